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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
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
ALLOWED_DOCUMENT = f'a UTF-8 JSON object {{"version": {FORMAT_VERSION}, "regions": {{...}}, "note": ...}}'
"""What a lockfile document is, as errors about the whole file say."""
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

    def __post_init__(self) -> None:
        p = Problems()
        if not isinstance(self.example, bool):
            p.add("example", self.example, "true | false")
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
        a lockfile raise :class:`ConfigError` naming ``path``."""
        p = Path(path)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise ConfigError(
                "lockfile", str(p), "an existing lockfile", "create it with: brctl pins refresh ..."
            ) from None
        except OSError as exc:
            raise ConfigError("lockfile", str(p), "a readable lockfile file", exc.strerror or str(exc)) from None
        return cls.loads(data, source=str(p))

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
        if isinstance(text, (bytes, bytearray)):
            try:
                text = bytes(text).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ConfigError(
                    source, f"<byte 0x{text[exc.start]:02x} at offset {exc.start}>", ALLOWED_DOCUMENT, "not UTF-8"
                ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                source, f"invalid JSON at line {exc.lineno} column {exc.colno}", ALLOWED_DOCUMENT, exc.msg
            ) from None
        except (ValueError, RecursionError) as exc:  # int() digit limit, nesting deeper than the parser goes
            raise ConfigError(source, f"<{type(exc).__name__}>", ALLOWED_DOCUMENT, str(exc)) from None
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: Any, source: str = DEFAULT_LOCKFILE) -> Lockfile:
        p = Problems()
        if not isinstance(data, Mapping):
            raise ConfigError(source, f"a JSON {_JSON_TYPES.get(type(data), type(data).__name__)}", ALLOWED_DOCUMENT)
        if data.get("version") != FORMAT_VERSION:
            p.add(f"{source}: version", data.get("version"), str(FORMAT_VERSION))
        unknown = sorted(set(data) - {"version", "regions", "note"})
        if unknown:
            p.add(f"{source}: keys", unknown, "version, regions, note")
        note = data.get("note")
        if note is not None and not isinstance(note, str):
            p.add(f"{source}: note", note, "a string")
        regions = data.get("regions", {})
        pins: list[Pin] = []
        if not isinstance(regions, Mapping):
            p.add(f"{source}: regions", regions, "an object {region: {variant/arch: pin}}")
            regions = {}
        for region, entries in regions.items():
            if not isinstance(entries, Mapping):
                p.add(f"{source}: regions.{region}", entries, "an object {variant/arch: pin}")
                continue
            for key, entry in entries.items():
                field = f"{source}: regions.{region}.{key}"
                pin = _pin_from_entry(region, key, entry, field, p)
                if pin is not None:
                    pins.append(pin)
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
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def save(self, path: str | Path) -> None:
        """Write atomically (temp file + rename), so a failed write never leaves half a lockfile."""
        p = Path(path)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(self.dumps(), encoding="utf-8")
        tmp.replace(p)

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

    def rollback(self, region: str, variant: str, arch: str) -> Lockfile:
        """Restore the previous pin. The current one becomes ``previous``, so a second rollback rolls forward."""
        current = self.get(region, variant, arch)
        restored = current.previous_pin(previous=current.as_previous())
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
_PREV_KEYS = {"image_id", "image_version", "resolved_at", "ssm_path"}


def _pin_from_entry(region: str, key: str, entry: Any, field: str, p: Problems) -> Pin | None:
    if "/" not in key:
        p.add(field, key, "<variant>/<arch>, e.g. aws-k8s-1.33/x86_64")
        return None
    variant, arch = key.rsplit("/", 1)
    if not isinstance(entry, Mapping):
        p.add(field, entry, "an object with " + ", ".join(sorted(_PIN_KEYS)))
        return None
    keys = set(entry) - {"example"}
    if keys != _PIN_KEYS:
        p.add(field, sorted(keys), ", ".join(sorted(_PIN_KEYS)) + " (and optionally example)")
        return None
    example = entry.get("example", False)
    if not isinstance(example, bool):
        p.add(f"{field}.example", example, "true | false (or absent)")
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
        )
    except ConfigError as exc:
        p.extend(Problem(f"{field}.{q.field}", q.value, q.allowed, q.hint) for q in exc.problems)
        return None
