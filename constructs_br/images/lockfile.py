"""The committed, per-region record of which Bottlerocket image each variant+arch runs: ``bottlerocket.lock.json``.

Format (JSON, keys sorted, 2-space indent, trailing newline, so a refresh is a small reviewable diff and a rollback is
a one-line revert)::

    {
      "note": "optional free text",
      "regions": {
        "us-west-2": {
          "aws-k8s-1.33/x86_64": {
            "image_id": "ami-0123456789abcdef0",
            "image_version": "1.50.0-abcdef12",
            "previous": null,
            "resolved_at": "2026-01-01T00:00:00Z",
            "ssm_path": "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id"
          }
        }
      },
      "version": 1
    }

JSON rather than TOML: the stdlib reads and writes it with no extra dependency, ``sort_keys`` makes output
deterministic, and one key per line diffs as cleanly as TOML does.

**Version 2: promotion channels.** A version 2 document holds one set of pins per *channel* (``pilot``, ``canary``,
``production`` or names from ``[tool.brctl] channels``); each stage reads its own channel, ``brctl pins refresh``
writes the first one and ``brctl pins promote`` copies a pin forward. Every pin records when it entered its channel
(``pinned_at``) and, when it came by promotion, from where (``promoted``; a forced promotion keeps its reason)::

    {
      "channels": {
        "canary": {"regions": {"us-west-2": {"aws-k8s-1.33/x86_64": {
          "image_id": "...", "image_version": "...", "previous": null, "resolved_at": "...", "ssm_path": "...",
          "pinned_at": "2026-01-04T00:00:00Z",
          "promoted": {"at": "2026-01-04T00:00:00Z", "forced_reason": null, "from": "pilot"}}}}},
        "pilot": {"regions": {...}}
      },
      "version": 2
    }

:class:`Lockfile` is one channel's pins (what every construct takes); :class:`LockDocument` is the whole file. A
version 1 file reads as a *legacy* document whose one set of pins every channel sees (what version 1 meant: every
stage read the same pins); :meth:`LockDocument.migrate` turns it into version 2.

>>> pin = Pin(region="us-west-2", variant="aws-k8s-1.33", arch="x86_64", image_id="ami-0123456789abcdef0",
...           image_version="1.50.0-abcdef12",
...           ssm_path="/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id",
...           resolved_at="2026-01-01T00:00:00Z")
>>> lock = Lockfile.empty().with_pin(pin)
>>> Lockfile.loads(lock.dumps()) == lock
True
>>> lock.get("eu-west-1", "aws-k8s-1.33", "x86_64")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.images.lockfile.MissingPinError: ... (run: brctl pins refresh --region eu-west-1 ...)
>>> doc = LockDocument.loads(lock.dumps()).migrate(["pilot", "production"])
>>> doc.channel_names, doc.channel("production").get("us-west-2", "aws-k8s-1.33", "x86_64").pinned_at
(('pilot', 'production'), '2026-01-01T00:00:00Z')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from constructs_br.errors import ConfigError, Problem, Problems
from constructs_br.images.catalogue import get_variant, parse_arch
from constructs_br.images.ssm import (
    parse_parameter_path,
    validate_ami_id,
    validate_image_version_full,
)

DEFAULT_LOCKFILE = "bottlerocket.lock.json"
FORMAT_VERSION = 1
"""The version :meth:`Lockfile.dumps` writes: one set of pins, no channels (legacy; still read everywhere)."""
DOCUMENT_VERSION = 2
"""The version :meth:`LockDocument.dumps` writes: one set of pins per promotion channel."""
ALLOWED_DOCUMENT = (
    f'a UTF-8 JSON object {{"version": {DOCUMENT_VERSION}, "channels": {{...}}, "note": ...}} '
    f'(or the older {{"version": {FORMAT_VERSION}, "regions": {{...}}, "note": ...}})'
)
"""What a lockfile document is, as errors about the whole file say."""
CHANNEL_RULE = "a channel name: lowercase letter, then up to 31 of a-z 0-9 -"
_CHANNEL_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_JSON_TYPES: dict[type, str] = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}

_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


def utc_now() -> str:
    """The current time as the lockfile writes it: ISO-8601, UTC, seconds, ``Z`` suffix."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def validate_region(value: str, field: str = "region") -> str:
    """An AWS region name such as ``us-west-2`` (shape only; the partition's list changes too often to hard-code)."""
    if isinstance(value, str) and _REGION_RE.match(value):
        return value
    raise ConfigError(field, value, "an AWS region name, e.g. us-west-2")


def validate_channel(value: object, field: str = "channel") -> str:
    """A promotion channel name (``^[a-z][a-z0-9-]{0,31}$``), e.g. ``pilot``."""
    if isinstance(value, str) and _CHANNEL_RE.match(value):
        return value
    raise ConfigError(field, value, CHANNEL_RULE)


def parse_utc(value: str, field: str = "timestamp") -> datetime:
    """A lockfile timestamp (``2026-01-01T00:00:00Z``) as an aware UTC ``datetime``."""
    if not isinstance(value, str) or not _UTC_RE.match(value):
        raise ConfigError(field, value, "ISO-8601 UTC, e.g. 2026-01-01T00:00:00Z")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def refresh_command(region: str, variant: str, arch: str) -> str:
    """The exact command that creates or updates one pin."""
    return f"brctl pins refresh --region {region} --variant {variant} --arch {arch}"


def _check(problems: list[Problem], fn: Any, value: Any, field: str) -> None:
    try:
        fn(value, field)
    except ConfigError as exc:
        problems.extend(exc.problems)


def _common_problems(
    image_id: str, image_version: str, ssm_path: str, resolved_at: str, prefix: str
) -> tuple[list[Problem], Any]:
    problems: list[Problem] = []
    _check(problems, validate_ami_id, image_id, f"{prefix}image_id")
    _check(problems, validate_image_version_full, image_version, f"{prefix}image_version")
    parsed: Any = None
    try:
        parsed = parse_parameter_path(ssm_path, f"{prefix}ssm_path")
    except ConfigError as exc:
        problems.extend(exc.problems)
    if parsed is not None and parsed[3] != "image_id":
        problems.append(Problem(f"{prefix}ssm_path", ssm_path, "a path ending in /image_id"))
    if not isinstance(resolved_at, str) or not _UTC_RE.match(resolved_at):
        problems.append(Problem(f"{prefix}resolved_at", resolved_at, "ISO-8601 UTC, e.g. 2026-01-01T00:00:00Z"))
    return problems, parsed


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviousPin:
    """The pin a refresh replaced: what ``brctl pins rollback`` restores."""

    image_id: str
    image_version: str
    ssm_path: str
    resolved_at: str

    def __post_init__(self) -> None:
        problems, _ = _common_problems(self.image_id, self.image_version, self.ssm_path, self.resolved_at, "previous.")
        if problems:
            raise ConfigError(problems=problems)

    def to_dict(self) -> dict[str, str]:
        return {
            "image_id": self.image_id,
            "image_version": self.image_version,
            "resolved_at": self.resolved_at,
            "ssm_path": self.ssm_path,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Promotion:
    """How a pin came into its channel by ``brctl pins promote``: from which channel, when, and (forced promotions
    only) the reason given for skipping the soak and drift checks."""

    from_channel: str
    at: str
    forced_reason: str | None = None

    def __post_init__(self) -> None:
        p = Problems()
        try:
            validate_channel(self.from_channel, "promoted.from")
        except ConfigError as exc:
            p.extend(exc.problems)
        if not isinstance(self.at, str) or not _UTC_RE.match(self.at):
            p.add("promoted.at", self.at, "ISO-8601 UTC, e.g. 2026-01-01T00:00:00Z")
        reason = self.forced_reason
        if reason is not None and (not isinstance(reason, str) or not reason.strip()):
            p.add("promoted.forced_reason", reason, "null or a non-empty string")
        p.raise_if_any()

    def to_dict(self) -> dict[str, str | None]:
        return {"at": self.at, "forced_reason": self.forced_reason, "from": self.from_channel}


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """One region's image for one variant+arch, where it came from, when, and what it replaced."""

    region: str
    variant: str
    arch: str
    image_id: str
    image_version: str
    ssm_path: str
    resolved_at: str
    previous: PreviousPin | None = None
    example: bool = False
    """An example pin (made without an AWS account, e.g. against a local moto server): templates synthesize, but
    every stack using one carries a CloudFormation rule that refuses to deploy it. ``brctl pins refresh`` replaces
    it with a real pin (``example`` false)."""
    pinned_at: str | None = None
    """When the pin entered its channel (refresh, promote and rollback set it to the time they ran; a migrated
    version 1 pin gets its ``resolved_at``). ``None`` only in version 1 files. The soak time counts from here."""
    promoted: Promotion | None = None
    """Set when ``brctl pins promote`` brought the pin into its channel."""

    def __post_init__(self) -> None:
        p = Problems()
        if not isinstance(self.example, bool):
            p.add("example", self.example, "true | false")
        if self.pinned_at is not None and (not isinstance(self.pinned_at, str) or not _UTC_RE.match(self.pinned_at)):
            p.add("pinned_at", self.pinned_at, "ISO-8601 UTC, e.g. 2026-01-01T00:00:00Z")
        if self.promoted is not None and not isinstance(self.promoted, Promotion):
            p.add("promoted", self.promoted, "a Promotion or None")
        try:
            validate_region(self.region)
        except ConfigError as exc:
            p.extend(exc.problems)
        variant_ok = arch_ok = True
        try:
            get_variant(self.variant)
        except ConfigError as exc:
            p.extend(exc.problems)
            variant_ok = False
        try:
            object.__setattr__(self, "arch", str(parse_arch(self.arch).value))
        except ConfigError as exc:
            p.extend(exc.problems)
            arch_ok = False
        problems, parsed = _common_problems(self.image_id, self.image_version, self.ssm_path, self.resolved_at, "")
        p.extend(problems)
        if (
            parsed is not None
            and variant_ok
            and arch_ok
            and (parsed[0].name, parsed[1].value)
            != (
                self.variant,
                self.arch,
            )
        ):
            p.add("ssm_path", self.ssm_path, f"a path for {self.variant}/{self.arch}")
        p.raise_if_any()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.region, self.variant, self.arch)

    def as_previous(self) -> PreviousPin:
        return PreviousPin(
            image_id=self.image_id,
            image_version=self.image_version,
            ssm_path=self.ssm_path,
            resolved_at=self.resolved_at,
        )

    def previous_pin(self, *, previous: PreviousPin | None = None) -> Pin | None:
        """This pin's previous image as a pin of the same region/variant/arch (``None`` without history);
        ``previous`` becomes that pin's own history (rollback passes the current pin, so it can roll forward)."""
        if self.previous is None:
            return None
        return Pin(
            region=self.region,
            variant=self.variant,
            arch=self.arch,
            image_id=self.previous.image_id,
            image_version=self.previous.image_version,
            ssm_path=self.previous.ssm_path,
            resolved_at=self.previous.resolved_at,
            previous=previous,
        )

    def same_image(self, other: Pin) -> bool:
        return (self.image_id, self.image_version, self.example) == (other.image_id, other.image_version, other.example)

    def to_dict(self) -> dict[str, Any]:
        """The pin's entry in the lockfile (region, variant and arch are the keys around it)."""
        out: dict[str, Any] = {
            "image_id": self.image_id,
            "image_version": self.image_version,
            "previous": self.previous.to_dict() if self.previous else None,
            "resolved_at": self.resolved_at,
            "ssm_path": self.ssm_path,
        }
        if self.example:
            out["example"] = True
        if self.pinned_at is not None:
            out["pinned_at"] = self.pinned_at
        if self.promoted is not None:
            out["promoted"] = self.promoted.to_dict()
        return out


class MissingPinError(ConfigError):
    """No pin for a region/variant/arch. The message carries the exact command that creates it."""

    def __init__(self, region: str, variant: str, arch: str) -> None:
        self.region = region
        self.variant = variant
        self.arch = arch
        self.command = refresh_command(region, variant, arch)
        super().__init__(
            DEFAULT_LOCKFILE,
            f"no pin for region {region}, variant {variant}, arch {arch}",
            "a pinned image for every region, variant and arch a stage deploys",
            f"run: {self.command}",
        )


def _key_str(variant: str, arch: str) -> str:
    return f"{variant}/{arch}"


class Lockfile:
    """An immutable set of pins, keyed by (region, variant, arch). Every change returns a new ``Lockfile``."""

    __slots__ = ("_note", "_pins")

    def __init__(self, pins: Iterable[Pin] = (), *, note: str | None = None) -> None:
        table: dict[tuple[str, str, str], Pin] = {}
        for pin in pins:
            if pin.key in table:
                raise ConfigError("pins", _key_str(pin.variant, pin.arch), "one pin per region/variant/arch")
            table[pin.key] = pin
        self._pins = table
        self._note = note

    # --- construction and I/O -----------------------------------------------------------------------------------
    @classmethod
    def empty(cls) -> Lockfile:
        return cls()

    @classmethod
    def load(cls, path: str | Path) -> Lockfile:
        """Read a lockfile; a missing or unreadable file, non-UTF-8 bytes, invalid JSON or a document that is not
        a lockfile raise :class:`ConfigError` naming ``path`` (a version 2 file too: use :class:`LockDocument`)."""
        data, source = _read(path)
        return cls.loads(data, source=source)

    @classmethod
    def load_or_empty(cls, path: str | Path) -> Lockfile:
        """Like :meth:`load`, but a missing file is an empty lockfile (what ``refresh`` starts from)."""
        return cls.load(path) if Path(path).exists() else cls()

    @classmethod
    def loads(cls, text: str | bytes, source: str = DEFAULT_LOCKFILE) -> Lockfile:
        """Parse a lockfile's content (``bytes`` must be UTF-8); every error names ``source``.

        >>> Lockfile.loads(b'{"version": 1, "regions": {}}\\n\\xff', source="my.lock.json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        constructs_br.errors.ConfigError: my.lock.json: got '<byte 0xff at offset 30>'; allowed: a UTF-8 JSON ...
        """
        return cls.from_dict(_parse_json(text, source), source=source)

    @classmethod
    def from_dict(cls, data: Any, source: str = DEFAULT_LOCKFILE) -> Lockfile:
        p = Problems()
        if not isinstance(data, Mapping):
            raise ConfigError(source, f"a JSON {_JSON_TYPES.get(type(data), type(data).__name__)}", ALLOWED_DOCUMENT)
        if data.get("version") == DOCUMENT_VERSION:
            raise ConfigError(
                f"{source}: version",
                DOCUMENT_VERSION,
                f"{FORMAT_VERSION} for a Lockfile (one set of pins)",
                "this lockfile has promotion channels: read one channel with "
                "LockDocument.load(path).channel(name) (constructs_br.images.LockDocument)",
            )
        if data.get("version") != FORMAT_VERSION:
            p.add(f"{source}: version", data.get("version"), f"{FORMAT_VERSION} | {DOCUMENT_VERSION}")
        unknown = sorted(set(data) - {"version", "regions", "note"})
        if unknown:
            p.add(f"{source}: keys", unknown, "version, regions, note")
        note = data.get("note")
        if note is not None and not isinstance(note, str):
            p.add(f"{source}: note", note, "a string")
        pins = _pins_from_regions(data.get("regions", {}), f"{source}: regions", p, channel=False)
        p.raise_if_any()
        return cls(pins, note=note if isinstance(note, str) else None)

    def to_dict(self) -> dict[str, Any]:
        regions: dict[str, dict[str, Any]] = {}
        for pin in self.pins():
            regions.setdefault(pin.region, {})[_key_str(pin.variant, pin.arch)] = pin.to_dict()
        out: dict[str, Any] = {"regions": regions, "version": FORMAT_VERSION}
        if self._note is not None:
            out["note"] = self._note
        return out

    def dumps(self) -> str:
        """Deterministic text: sorted keys, 2-space indent, trailing newline."""
        return _json_text(self.to_dict())

    def save(self, path: str | Path) -> None:
        """Write atomically (temp file + rename), so a failed write never leaves half a lockfile."""
        _write_atomic(path, self.dumps())

    # --- queries --------------------------------------------------------------------------------------------------
    @property
    def note(self) -> str | None:
        return self._note

    def pins(self) -> tuple[Pin, ...]:
        return tuple(self._pins[k] for k in sorted(self._pins))

    def example_pins(self) -> tuple[Pin, ...]:
        """Pins marked ``example`` (they synthesize, and refuse to deploy)."""
        return tuple(p for p in self.pins() if p.example)

    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({k[0] for k in self._pins}))

    def find(self, region: str, variant: str, arch: str) -> Pin | None:
        return self._pins.get((region, variant, str(arch)))

    def get(self, region: str, variant: str, arch: str) -> Pin:
        pin = self.find(region, variant, arch)
        if pin is None:
            raise MissingPinError(region, variant, str(arch))
        return pin

    # --- changes --------------------------------------------------------------------------------------------------
    def with_pin(self, pin: Pin) -> Lockfile:
        """Add or replace a pin. The replaced pin becomes ``previous``; re-pinning the same image changes nothing."""
        old = self._pins.get(pin.key)
        if old is not None:
            if old.same_image(pin):
                return self
            pin = replace(pin, previous=old.as_previous())
        return self._with({pin.key: pin})

    def rollback(self, region: str, variant: str, arch: str, *, now: str | None = None) -> Lockfile:
        """Restore the previous pin. The current one becomes ``previous``, so a second rollback rolls forward.

        The restored pin's ``pinned_at`` is ``now`` (default: the current time) when the current pin has one (a
        channel's pin: its soak time starts again), else ``None`` (version 1)."""
        current = self.get(region, variant, arch)
        restored = current.previous_pin(previous=current.as_previous())
        if restored is not None and current.pinned_at is not None:
            restored = replace(restored, pinned_at=now or utc_now())
        if restored is None:
            raise ConfigError(
                f"{DEFAULT_LOCKFILE}: regions.{region}.{_key_str(variant, str(arch))}.previous",
                None,
                "a previous pin to roll back to",
                "this pin has no history; pin an explicit release with: "
                f"{refresh_command(region, variant, str(arch))} --release X.Y.Z",
            )
        return self._with({restored.key: restored})

    def with_note(self, note: str | None) -> Lockfile:
        return Lockfile(self._pins.values(), note=note)

    def _with(self, changes: Mapping[tuple[str, str, str], Pin]) -> Lockfile:
        merged = dict(self._pins)
        merged.update(changes)
        return Lockfile(merged.values(), note=self._note)

    # --- dunder ---------------------------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lockfile) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.dumps())

    def __len__(self) -> int:
        return len(self._pins)

    def __repr__(self) -> str:
        return f"Lockfile({len(self._pins)} pins in {', '.join(self.regions()) or 'no regions'})"


_PIN_KEYS = {"image_id", "image_version", "previous", "resolved_at", "ssm_path"}
_OPTIONAL_PIN_KEYS = {"example", "pinned_at", "promoted"}
_PREV_KEYS = {"image_id", "image_version", "resolved_at", "ssm_path"}
_PROMOTED_KEYS = {"at", "forced_reason", "from"}


def _parse_json(text: str | bytes, source: str) -> Any:
    """JSON from text or UTF-8 bytes; every failure is a :class:`ConfigError` naming ``source``."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                source, f"<byte 0x{text[exc.start]:02x} at offset {exc.start}>", ALLOWED_DOCUMENT, "not UTF-8"
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            source, f"invalid JSON at line {exc.lineno} column {exc.colno}", ALLOWED_DOCUMENT, exc.msg
        ) from None
    except (ValueError, RecursionError) as exc:  # int() digit limit, nesting deeper than the parser goes
        raise ConfigError(source, f"<{type(exc).__name__}>", ALLOWED_DOCUMENT, str(exc)) from None


def _read(path: str | Path) -> tuple[bytes, str]:
    p = Path(path)
    try:
        return p.read_bytes(), str(p)
    except FileNotFoundError:
        raise ConfigError(
            "lockfile", str(p), "an existing lockfile", "create it with: brctl pins refresh ..."
        ) from None
    except OSError as exc:
        raise ConfigError("lockfile", str(p), "a readable lockfile file", exc.strerror or str(exc)) from None


def _json_text(data: Mapping[str, Any]) -> str:
    """The lockfile's text form, for either version: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _write_atomic(path: str | Path, text: str) -> None:
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(p)


def _pins_from_regions(regions: Any, field: str, p: Problems, *, channel: bool) -> list[Pin]:
    """The pins of a ``{region: {variant/arch: pin}}`` object; ``channel``: a version 2 channel's (``pinned_at``
    required)."""
    pins: list[Pin] = []
    if not isinstance(regions, Mapping):
        p.add(field, regions, "an object {region: {variant/arch: pin}}")
        return pins
    for region, entries in regions.items():
        if not isinstance(entries, Mapping):
            p.add(f"{field}.{region}", entries, "an object {variant/arch: pin}")
            continue
        for key, entry in entries.items():
            pin = _pin_from_entry(region, key, entry, f"{field}.{region}.{key}", p, channel=channel)
            if pin is not None:
                pins.append(pin)
    return pins


def _promotion_from_entry(value: Any, field: str, p: Problems) -> tuple[bool, Promotion | None]:
    if value is None:
        return True, None
    if not isinstance(value, Mapping) or set(value) != _PROMOTED_KEYS:
        p.add(field, value, "null or an object with " + ", ".join(sorted(_PROMOTED_KEYS)))
        return False, None
    try:
        return True, Promotion(from_channel=value["from"], at=value["at"], forced_reason=value["forced_reason"])
    except ConfigError as exc:
        p.extend(
            Problem(f"{field}.{q.field.removeprefix('promoted.')}", q.value, q.allowed, q.hint) for q in exc.problems
        )
        return False, None


def _pin_from_entry(region: str, key: str, entry: Any, field: str, p: Problems, *, channel: bool = False) -> Pin | None:
    if "/" not in key:
        p.add(field, key, "<variant>/<arch>, e.g. aws-k8s-1.33/x86_64")
        return None
    variant, arch = key.rsplit("/", 1)
    required = _PIN_KEYS | ({"pinned_at"} if channel else set())
    optional = _OPTIONAL_PIN_KEYS - required
    if not isinstance(entry, Mapping):
        p.add(field, entry, "an object with " + ", ".join(sorted(required)))
        return None
    keys = set(entry) - optional
    if keys != required:
        p.add(field, sorted(keys), ", ".join(sorted(required)) + f" (and optionally {', '.join(sorted(optional))})")
        return None
    example = entry.get("example", False)
    if not isinstance(example, bool):
        p.add(f"{field}.example", example, "true | false (or absent)")
        return None
    ok, promoted = _promotion_from_entry(entry.get("promoted"), f"{field}.promoted", p)
    if not ok:
        return None
    previous: PreviousPin | None = None
    prev = entry["previous"]
    try:
        if prev is not None:
            if not isinstance(prev, Mapping) or set(prev) != _PREV_KEYS:
                p.add(f"{field}.previous", prev, "null or an object with " + ", ".join(sorted(_PREV_KEYS)))
                return None
            previous = PreviousPin(**{k: prev[k] for k in _PREV_KEYS})
        return Pin(
            region=region,
            variant=variant,
            arch=arch,
            image_id=entry["image_id"],
            image_version=entry["image_version"],
            ssm_path=entry["ssm_path"],
            resolved_at=entry["resolved_at"],
            previous=previous,
            example=example,
            pinned_at=entry.get("pinned_at"),
            promoted=promoted,
        )
    except ConfigError as exc:
        p.extend(Problem(f"{field}.{q.field}", q.value, q.allowed, q.hint) for q in exc.problems)
        return None


class LockDocument:
    """The whole lockfile: one :class:`Lockfile` per promotion channel (version 2), or a *legacy* version 1 file's
    one set of pins, which every channel reads. Immutable: every change returns a new document.

    >>> pin = Pin(region="us-west-2", variant="aws-ecs-2", arch="arm64", image_id="ami-0123456789abcdef0",
    ...           image_version="1.50.0-abcdef12", ssm_path="/aws/service/bottlerocket/aws-ecs-2/arm64/latest/image_id",
    ...           resolved_at="2026-01-01T00:00:00Z", pinned_at="2026-01-01T00:00:00Z")
    >>> doc = LockDocument().with_channel("pilot", Lockfile([pin])).with_channel("production", Lockfile())
    >>> doc = doc.promote("pilot", "production", region="us-west-2", variant="aws-ecs-2", arch="arm64",
    ...                   now="2026-01-05T00:00:00Z", forced_reason=None)
    >>> doc.channel("production").get("us-west-2", "aws-ecs-2", "arm64").promoted.from_channel
    'pilot'
    >>> doc.channel("prod", field="--to")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    constructs_br.errors.ConfigError: --to: got 'prod'; allowed: a channel of this lockfile: pilot | production ...
    """

    __slots__ = ("_channels", "_legacy", "_note")

    def __init__(
        self, channels: Mapping[str, Lockfile] | None = None, *, note: str | None = None, legacy: Lockfile | None = None
    ) -> None:
        table: dict[str, Lockfile] = {}
        p = Problems()
        for name, lock in (channels or {}).items():
            try:
                validate_channel(name, "channels")
            except ConfigError as exc:
                p.extend(exc.problems)
                continue
            table[name] = Lockfile(lock.pins())
        if legacy is not None and table:
            p.add("channels", sorted(table), "none in a legacy (version 1) document: migrate it first")
        p.raise_if_any()
        self._channels = table
        self._legacy = None if legacy is None else Lockfile(legacy.pins())
        self._note = note if legacy is None or note is not None else legacy.note

    # --- construction and I/O -----------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> LockDocument:
        """Read a lockfile of either version; errors as :meth:`Lockfile.load`'s, naming ``path``."""
        data, source = _read(path)
        return cls.loads(data, source=source)

    @classmethod
    def load_or_empty(cls, path: str | Path) -> LockDocument:
        """Like :meth:`load`, but a missing file is an empty version 2 document (no channels yet)."""
        return cls.load(path) if Path(path).exists() else cls()

    @classmethod
    def loads(cls, text: str | bytes, source: str = DEFAULT_LOCKFILE) -> LockDocument:
        """Parse a version 1 (legacy) or version 2 document; every problem is collected and names ``source``."""
        data = _parse_json(text, source)
        if not isinstance(data, Mapping):
            raise ConfigError(source, f"a JSON {_JSON_TYPES.get(type(data), type(data).__name__)}", ALLOWED_DOCUMENT)
        if data.get("version") == FORMAT_VERSION:
            return cls(legacy=Lockfile.from_dict(data, source=source))
        p = Problems()
        if data.get("version") != DOCUMENT_VERSION:
            p.add(f"{source}: version", data.get("version"), f"{FORMAT_VERSION} | {DOCUMENT_VERSION}")
        unknown = sorted(set(data) - {"version", "channels", "note"})
        if unknown:
            p.add(f"{source}: keys", unknown, "version, channels, note")
        note = data.get("note")
        if note is not None and not isinstance(note, str):
            p.add(f"{source}: note", note, "a string")
        channels: dict[str, Lockfile] = {}
        raw = data.get("channels")
        if not isinstance(raw, Mapping):
            p.add(f"{source}: channels", raw, "an object {channel: {regions: {region: {variant/arch: pin}}}}")
            raw = {}
        for name, body in raw.items():
            field = f"{source}: channels.{name}"
            if not (isinstance(name, str) and _CHANNEL_RE.match(name)):
                p.add(field, name, CHANNEL_RULE)
                continue
            if not isinstance(body, Mapping) or set(body) != {"regions"}:
                p.add(field, body, "an object {regions: {region: {variant/arch: pin}}}")
                continue
            channels[name] = Lockfile(_pins_from_regions(body["regions"], f"{field}.regions", p, channel=True))
        p.raise_if_any()
        return cls(channels, note=note if isinstance(note, str) else None)

    def to_dict(self) -> dict[str, Any]:
        if self._legacy is not None:
            return self._legacy.with_note(self._note).to_dict()
        out: dict[str, Any] = {
            "channels": {name: {"regions": lock.to_dict()["regions"]} for name, lock in sorted(self._channels.items())},
            "version": DOCUMENT_VERSION,
        }
        if self._note is not None:
            out["note"] = self._note
        return out

    def dumps(self) -> str:
        """Deterministic text: sorted keys, 2-space indent, trailing newline (a legacy document stays version 1)."""
        return _json_text(self.to_dict())

    def save(self, path: str | Path) -> None:
        """Write atomically (temp file + rename), so a failed write never leaves half a lockfile."""
        _write_atomic(path, self.dumps())

    # --- queries --------------------------------------------------------------------------------------------------
    @property
    def legacy(self) -> bool:
        """Read from a version 1 file: one unnamed set of pins that every channel reads."""
        return self._legacy is not None

    @property
    def note(self) -> str | None:
        return self._note

    @property
    def channel_names(self) -> tuple[str, ...]:
        """The channels in the document, sorted (``()`` for a legacy document; promotion order is config's)."""
        return tuple(sorted(self._channels))

    def has_channel(self, name: str) -> bool:
        """Whether ``channel(name)`` finds pins (always, for a legacy document)."""
        return self._legacy is not None or name in self._channels

    def channel(self, name: str, field: str = "channel") -> Lockfile:
        """One channel's pins (a legacy document: its one set, whatever ``name``). An unknown channel raises
        :class:`ConfigError` naming ``field``, ``name`` and the channels that exist."""
        if self._legacy is not None:
            return self._legacy.with_note(self._note)
        validate_channel(name, field)
        lock = self._channels.get(name)
        if lock is None:
            existing = " | ".join(self.channel_names) or "none yet"
            raise ConfigError(
                field,
                name,
                f"a channel of this lockfile: {existing}",
                f"pin it with: brctl pins refresh --channel {name} ... (or brctl pins promote --to {name})",
            )
        return lock.with_note(self._note)

    # --- changes --------------------------------------------------------------------------------------------------
    def with_channel(self, name: str, lockfile: Lockfile) -> LockDocument:
        """Add or replace one channel's pins (a legacy document raises: migrate it first)."""
        if self._legacy is not None:
            raise ConfigError(
                "lockfile",
                f"version {FORMAT_VERSION}",
                f"a version {DOCUMENT_VERSION} lockfile with channels",
                "migrate it first: brctl pins migrate",
            )
        validate_channel(name, "channel")
        return LockDocument({**self._channels, name: lockfile}, note=self._note)

    def with_note(self, note: str | None) -> LockDocument:
        if self._legacy is not None:
            return LockDocument(legacy=self._legacy, note=note)
        return LockDocument(self._channels, note=note)

    def migrate(self, channels: Sequence[str]) -> LockDocument:
        """Version 1 -> 2: the one set of pins copied into every channel in ``channels``, each pin's ``pinned_at``
        its ``resolved_at``. A version 2 document gains the missing channels (empty) and is otherwise unchanged."""
        p = Problems()
        names = list(dict.fromkeys(channels))
        if not names:
            p.add("channels", list(channels), "one or more channel names")
        for name in names:
            try:
                validate_channel(name, "channels")
            except ConfigError as exc:
                p.extend(exc.problems)
        p.raise_if_any()
        if self._legacy is None:
            missing = {n: Lockfile() for n in names if n not in self._channels}
            return LockDocument({**self._channels, **missing}, note=self._note) if missing else self
        pins = [replace(pin, pinned_at=pin.pinned_at or pin.resolved_at) for pin in self._legacy.pins()]
        return LockDocument({name: Lockfile(pins) for name in names}, note=self._note)

    def promote(
        self,
        src: str,
        dst: str,
        *,
        region: str,
        variant: str,
        arch: str,
        now: str,
        forced_reason: str | None,
    ) -> LockDocument:
        """Copy one pin from channel ``src`` to channel ``dst`` (pure: the checks are the caller's). The copy's
        ``pinned_at`` is ``now`` and ``promoted`` records ``src``, ``now`` and ``forced_reason``; the pin it replaces
        in ``dst`` becomes its ``previous`` (so ``rollback`` there undoes the promotion). Promoting the image ``dst``
        already runs changes nothing."""
        if self._legacy is not None:
            raise ConfigError(
                "lockfile",
                f"version {FORMAT_VERSION}",
                f"a version {DOCUMENT_VERSION} lockfile with channels",
                "migrate it first: brctl pins migrate",
            )
        if src == dst:
            raise ConfigError("--to", dst, f"a channel other than the source channel {src}")
        source = self.channel(src, "--from").get(region, variant, arch)
        target = self.channel(dst, "--to")
        parse_utc(now, "now")
        if forced_reason is not None and not forced_reason.strip():
            raise ConfigError("--reason", forced_reason, "a non-empty reason")
        copy = Pin(
            region=source.region,
            variant=source.variant,
            arch=source.arch,
            image_id=source.image_id,
            image_version=source.image_version,
            ssm_path=source.ssm_path,
            resolved_at=source.resolved_at,
            example=source.example,
            pinned_at=now,
            promoted=Promotion(from_channel=src, at=now, forced_reason=forced_reason),
        )
        old = target.find(region, variant, arch)
        if old is not None and old.same_image(copy):
            return self
        return self.with_channel(dst, target.with_pin(copy))

    # --- dunder ---------------------------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, LockDocument) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.dumps())

    def __repr__(self) -> str:
        if self._legacy is not None:
            return f"LockDocument(legacy, {len(self._legacy)} pins)"
        return "LockDocument(" + ", ".join(f"{n}: {len(lock)} pins" for n, lock in sorted(self._channels.items())) + ")"
