"""``brctl pins``: resolve, record, check and roll back the Bottlerocket image each region runs.

* ``refresh``  read the public SSM parameters in each region, check the image with EC2, write the lockfile
               (all regions or none), print old -> new.
* ``show``     the lockfile as a table or JSON.
* ``verify``   re-check every pin against SSM and EC2; exit 1 on a missing, deregistered or mismatched image.
* ``rollback`` restore a pin's previous image (in one channel).
* ``promote``  copy pins from one channel to the next after checks (image exists, soak time, source stage drift).
* ``migrate``  rewrite a version 1 lockfile as version 2 (one channel per ``[tool.brctl] channels`` entry).

Channels: a version 2 lockfile holds one set of pins per promotion channel (``[tool.brctl] channels``, in promotion
order). ``refresh`` writes the first channel (``--channel`` another), ``rollback`` works in one channel (default the
first), ``show`` / ``verify`` / ``outdated`` cover every channel. A command that writes a version 1 lockfile
migrates it to version 2 first (and says so on stderr).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from constructs_br.cli import _aws, _output
from constructs_br.cli._project import ProjectConfig, load_project
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK
from constructs_br.errors import ConfigError, Problems
from constructs_br.images.catalogue import Arch, Variant, get_variant, parse_arch
from constructs_br.images.lockfile import (
    DEFAULT_LOCKFILE,
    LockDocument,
    Lockfile,
    Pin,
    utc_now,
    validate_channel,
    validate_region,
)
from constructs_br.images.ssm import (
    LATEST,
    parameter_path,
    parse_parameter_path,
    short_version,
    validate_ami_id,
    validate_image_version_full,
    validate_release,
    version_from_image_name,
)

IMAGE_NAME_PREFIX = "bottlerocket-"


# --- shared checks (refresh and verify) ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Failure:
    """One failed check: where (region, SSM path) and why."""

    region: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.region}: {self.path}: {self.reason}"

    def to_dict(self) -> dict[str, str]:
        return {"region": self.region, "path": self.path, "reason": self.reason}


def check_image(image_id: str, arch: Arch, images: dict[str, _aws.ImageInfo]) -> list[str]:
    """Reasons the image is unfit to pin for ``arch`` (empty list: fit).

    Checks: exists (not deregistered), state ``available``, Amazon-owned, name starts ``bottlerocket-``, and EC2's
    ``Architecture`` equals the path's architecture (``arm64`` path <-> ``arm64`` image).
    """
    img = images.get(image_id)
    if img is None:
        return [f"image {image_id} does not exist in this region (deregistered, or never published)"]
    reasons: list[str] = []
    if img.state != "available":
        reasons.append(f"image {image_id} is {img.state!r}, not 'available'")
    if img.owner_alias != _aws.AMAZON_OWNER_ALIAS:
        reasons.append(
            f"image {image_id} is owned by {img.owner_id} (alias {img.owner_alias!r}), "
            f"not Amazon (alias {_aws.AMAZON_OWNER_ALIAS!r})"
        )
    if not img.name.startswith(IMAGE_NAME_PREFIX):
        reasons.append(f"image {image_id} is named {img.name!r}, not {IMAGE_NAME_PREFIX}*")
    if img.architecture != arch.value:
        reasons.append(
            f"architecture mismatch: the {arch.value} path points to {image_id}, an {img.architecture!r} image"
        )
    return reasons


def _name_version_warning(image_id: str, image_version: str, images: dict[str, _aws.ImageInfo]) -> str | None:
    img = images.get(image_id)
    if img is None:
        return None
    in_name = version_from_image_name(img.name)
    if in_name is not None and in_name != image_version:
        return f"image {image_id} name {img.name!r} says {in_name}, image_version parameter says {image_version}"
    return None


def _format_reason(exc: ConfigError) -> str:
    return "; ".join(str(p) for p in exc.problems)


# --- argument plumbing ----------------------------------------------------------------------------------------------
def _add_lockfile(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lockfile",
        default=None,  # brctl main fills it in: the [tool.brctl] lockfile, else ./bottlerocket.lock.json
        metavar="PATH",
        help=f"lockfile to read/write (default: the [tool.brctl] lockfile, else ./{DEFAULT_LOCKFILE})",
    )


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def _regions(values: Sequence[str] | None, field: str = "--region") -> list[str]:
    """Requested regions, de-duplicated in order; default: the environment's region."""
    regions = list(dict.fromkeys(values or []))
    if not regions:
        env = _aws.default_region()
        if env:
            regions = [env]
    if not regions:
        raise ConfigError(field, None, "one or more AWS regions", "pass --region or set AWS_REGION")
    return regions


def _pin_row(pin: Pin | None) -> dict[str, str] | None:
    return None if pin is None else {"image_id": pin.image_id, "image_version": pin.image_version}


def _describe(pin: Pin | None) -> str | None:
    return None if pin is None else f"{pin.image_version} ({pin.image_id})"


# --- channels -----------------------------------------------------------------------------------------------------
def _project(args: argparse.Namespace) -> ProjectConfig:
    return load_project(getattr(args, "project", None))


def for_writing(doc: LockDocument, project: ProjectConfig) -> tuple[LockDocument, bool]:
    """The document a writing command changes: a version 1 document migrated to version 2 with the project's
    channels (``True``: it was migrated); a version 2 document with any configured channel it lacks added (empty)."""
    return doc.migrate(project.channels), doc.legacy


def save(doc: LockDocument, path: Path, *, migrated: bool, project: ProjectConfig) -> None:
    """Write ``doc``; after a migration, one line on stderr says so."""
    doc.save(path)
    if migrated:
        _output.info(
            f"migrated {path} from lockfile version 1 to version 2: channels {', '.join(project.channels)} "
            "each start with the version 1 pins"
        )


def channels_in_order(doc: LockDocument, project: ProjectConfig) -> list[tuple[str | None, Lockfile]]:
    """Every channel's pins, in promotion order (then any channel config does not name); a legacy document's one
    set as channel ``None``."""
    if doc.legacy:
        return [(None, doc.channel("legacy"))]
    names = [n for n in project.channels if doc.has_channel(n)]
    names += [n for n in doc.channel_names if n not in names]
    return [(n, doc.channel(n)) for n in names]


def _channel_filter(values: Sequence[str] | None, doc: LockDocument) -> list[str]:
    problems = Problems()
    for value in values or ():
        try:
            if not doc.legacy:
                doc.channel(value, field="--channel")
            else:
                validate_channel(value, "--channel")
        except ConfigError as exc:
            problems.extend(exc.problems)
    problems.raise_if_any()
    return list(values or ())


# --- refresh ------------------------------------------------------------------------------------------------------
def _resolve_region(
    region: str, variant: Variant, arch: Arch, release: str, resolved_at: str
) -> tuple[Pin | None, list[Failure], list[str]]:
    id_path = parameter_path(variant, arch, release, "image_id")
    version_path = parameter_path(variant, arch, release, "image_version")
    try:
        params = _aws.get_parameters(region, [id_path, version_path])
    except _aws.AwsError as exc:
        return None, [Failure(region, id_path, str(exc))], []
    failures: list[Failure] = []
    image_id = params.get(id_path)
    image_version = params.get(version_path)
    if image_id is None:
        failures.append(Failure(region, id_path, "parameter not found"))
    if image_version is None:
        failures.append(Failure(region, version_path, "parameter not found"))
    if image_id is None or image_version is None:
        return None, failures, []
    try:
        validate_ami_id(image_id, "image_id")
    except ConfigError as exc:
        failures.append(Failure(region, id_path, _format_reason(exc)))
    try:
        validate_image_version_full(image_version, "image_version")
    except ConfigError as exc:
        failures.append(Failure(region, version_path, _format_reason(exc)))
    if release not in (LATEST, image_version, short_version(image_version)):
        failures.append(Failure(region, version_path, f"image_version {image_version} is not release {release}"))
    if failures:
        return None, failures, []
    try:
        images = _aws.describe_images(region, [image_id])
    except _aws.AwsError as exc:
        return None, [Failure(region, id_path, str(exc))], []
    failures = [Failure(region, id_path, reason) for reason in check_image(image_id, arch, images)]
    if failures:
        return None, failures, []
    warning = _name_version_warning(image_id, image_version, images)
    pin = Pin(
        region=region,
        variant=variant.name,
        arch=arch.value,
        image_id=image_id,
        image_version=image_version,
        ssm_path=id_path,
        resolved_at=resolved_at,
    )
    return pin, [], [f"{region}: {warning}"] if warning else []


def _project_channel(args: argparse.Namespace, problems: Problems) -> tuple[ProjectConfig, str]:
    """The project and the channel a write goes to: ``--channel``, else the first configured channel (an unknown one
    is added to ``problems``)."""
    project = _project(args)
    channel = project.channels[0]
    try:
        channel = project.check_channel(args.channel or channel, "--channel")
    except ConfigError as exc:
        problems.extend(exc.problems)
    return project, channel


def _flags(
    args: argparse.Namespace, *, release: bool = False
) -> tuple[Variant | None, Arch | None, str | None, Problems]:
    """``--variant``, ``--arch`` (and ``--release``) through the catalogue's and the SSM grammar's validators; every
    problem is collected, so a command reports all bad flags at once."""
    problems = Problems()

    def attempt(fn: Any, value: Any, field: str) -> Any:
        try:
            return fn(value, field)
        except ConfigError as exc:
            problems.extend(exc.problems)
            return None

    variant = attempt(get_variant, args.variant, "--variant")
    arch = attempt(parse_arch, args.arch, "--arch")
    rel = attempt(validate_release, args.release, "--release") if release else None
    return variant, arch, rel, problems


def cmd_refresh(args: argparse.Namespace) -> int:
    variant, arch, release, problems = _flags(args, release=True)
    regions: list[str] = []
    try:
        regions = _regions(args.region)
    except ConfigError as exc:
        problems.extend(exc.problems)
    for region in regions:
        try:
            validate_region(region, field="--region")
        except ConfigError as exc:
            problems.extend(exc.problems)
    project, channel = _project_channel(args, problems)
    problems.raise_if_any()
    assert variant is not None  # narrowed: raise_if_any raised otherwise
    assert arch is not None
    assert release is not None
    path = Path(args.lockfile)
    original = LockDocument.load_or_empty(path)
    doc, migrated = for_writing(original, project)
    before = doc.channel(channel)
    resolved_at = utc_now()

    new_pins: list[Pin] = []
    failures: list[Failure] = []
    for region in regions:
        if not args.json:
            _output.info(f"{region}: resolving {parameter_path(variant, arch, release)}")
        pin, region_failures, warnings = _resolve_region(region, variant, arch, release, resolved_at)
        pin = None if pin is None else replace(pin, pinned_at=resolved_at)
        failures.extend(region_failures)
        for w in warnings:
            _output.info(f"warning: {w}")
        if pin is not None:
            new_pins.append(pin)

    if failures:
        for f in failures:
            _output.error(f"refresh refused: {f}")
        _output.error(f"nothing written to {path}")
        if args.json:
            _output.emit_json({"ok": False, "written": False, "failures": [f.to_dict() for f in failures]})
        return EXIT_CHECK_FAILED

    after = before
    for pin in new_pins:
        after = after.with_pin(pin)
    changes: list[dict[str, Any]] = []
    for pin in new_pins:
        old = before.find(pin.region, pin.variant, pin.arch)
        changes.append(
            {
                "region": pin.region,
                "variant": pin.variant,
                "arch": pin.arch,
                "old": _pin_row(old),
                "new": _pin_row(pin),
                "changed": old is None or not old.same_image(pin),
            }
        )
    written = False
    after_doc = doc.with_channel(channel, after)
    if not args.dry_run and (after_doc != original or not path.exists()):
        save(after_doc, path, migrated=migrated, project=project)
        written = True

    if args.json:
        _output.emit_json(
            {
                "ok": True,
                "written": written,
                "lockfile": str(path),
                "channel": channel,
                "migrated": written and migrated,
                "changes": changes,
            }
        )
    else:
        where = f"written to {path}" if written else "not written"
        _output.table(
            f"Bottlerocket pins: {variant.name}/{arch.value}, channel {channel} ({where})",
            ["region", "variant/arch", "old", "new", "change"],
            [
                (
                    c["region"],
                    f"{c['variant']}/{c['arch']}",
                    _describe(before.find(c["region"], c["variant"], c["arch"])),
                    _describe(after.find(c["region"], c["variant"], c["arch"])),
                    ("new" if c["old"] is None else "updated") if c["changed"] else "unchanged",
                )
                for c in changes
            ],
        )
    return EXIT_OK


# --- show -----------------------------------------------------------------------------------------------------------
def _pin_json(pin: Pin) -> dict[str, Any]:
    return {"region": pin.region, "variant": pin.variant, "arch": pin.arch, **pin.to_dict()}


def _region_filter(values: Sequence[str] | None) -> list[str]:
    """``--region`` filters of show / verify, each checked with the lockfile's region validator (all at once)."""
    problems = Problems()
    for region in values or ():
        try:
            validate_region(region, field="--region")
        except ConfigError as exc:
            problems.extend(exc.problems)
    problems.raise_if_any()
    return list(values or ())


def cmd_show(args: argparse.Namespace) -> int:
    args.region = _region_filter(args.region)
    doc = LockDocument.load(args.lockfile)
    wanted = _channel_filter(args.channel, doc)
    project = _project(args)
    rows: list[tuple[str | None, Pin]] = [
        (name, p)
        for name, lock in channels_in_order(doc, project)
        if not wanted or name is None or name in wanted
        for p in lock.pins()
        if not args.region or p.region in args.region
    ]
    if args.json:
        _output.emit_json(
            {
                "lockfile": str(args.lockfile),
                "note": doc.note,
                "version": 1 if doc.legacy else 2,
                "channels": list(doc.channel_names),
                "pins": [{"channel": name, **_pin_json(p)} for name, p in rows],
            }
        )
        return EXIT_OK
    if doc.note:
        _output.info(f"note: {doc.note}")
    if doc.legacy:
        _output.info(f"{args.lockfile} is lockfile version 1 (no channels: every stage reads these pins)")
    _output.table(
        f"Bottlerocket pins ({args.lockfile})",
        ["region", "channel", "variant/arch", "image_id", "image_version", "resolved_at", "pinned_at", "previous"],
        [
            (
                p.region,
                name if name is not None else "(all)",
                f"{p.variant}/{p.arch}",
                p.image_id,
                p.image_version,
                p.resolved_at,
                _pinned_note(p),
                p.previous.image_version if p.previous else None,
            )
            for name, p in rows
        ],
    )
    return EXIT_OK


def _pinned_note(pin: Pin) -> str | None:
    if pin.pinned_at is None:
        return None
    if pin.promoted is None:
        return pin.pinned_at
    how = f"forced: {pin.promoted.forced_reason}" if pin.promoted.forced_reason else "checked"
    return f"{pin.pinned_at} (from {pin.promoted.from_channel}, {how})"


# --- verify ---------------------------------------------------------------------------------------------------------
def _verify_path(pin: Pin) -> str:
    """The SSM parameter that must still name the pinned image: the pin's own path if it names a release, else the
    release-specific path of the pinned version (``latest`` legitimately moves on)."""
    _, _, release, _ = parse_parameter_path(pin.ssm_path)
    if release != LATEST:
        return pin.ssm_path
    return parameter_path(pin.variant, pin.arch, short_version(pin.image_version), "image_id")


def _verify_region(region: str, pins: list[Pin]) -> list[dict[str, Any]]:
    paths: dict[Pin, tuple[str, str, str]] = {}
    for pin in pins:
        id_path = _verify_path(pin)
        paths[pin] = (
            id_path,
            id_path.removesuffix("image_id") + "image_version",
            parameter_path(pin.variant, pin.arch, LATEST, "image_version"),
        )
    try:
        params = _aws.get_parameters(region, [p for triple in paths.values() for p in triple])
        images = _aws.describe_images(region, [pin.image_id for pin in pins])
    except _aws.AwsError as exc:
        return [_verify_result(pin, [str(exc)], None) for pin in pins]
    results: list[dict[str, Any]] = []
    for pin in pins:
        id_path, version_path, latest_path = paths[pin]
        reasons: list[str] = []
        ssm_image = params.get(id_path)
        ssm_version = params.get(version_path)
        if ssm_image is None:
            reasons.append(f"{id_path}: parameter not found")
        elif ssm_image != pin.image_id:
            reasons.append(f"mismatch: {id_path} is {ssm_image}, lockfile says {pin.image_id}")
        if ssm_version is not None and ssm_version != pin.image_version:
            reasons.append(f"mismatch: {version_path} is {ssm_version}, lockfile says {pin.image_version}")
        reasons.extend(check_image(pin.image_id, Arch(pin.arch), images))
        results.append(_verify_result(pin, reasons, params.get(latest_path)))
    return results


def _verify_result(pin: Pin, reasons: list[str], latest: str | None) -> dict[str, Any]:
    return {
        "region": pin.region,
        "variant": pin.variant,
        "arch": pin.arch,
        "image_id": pin.image_id,
        "image_version": pin.image_version,
        "ok": not reasons,
        "reasons": reasons,
        "latest_version": latest,
        "newer_available": latest is not None and latest != pin.image_version,
    }


def cmd_verify(args: argparse.Namespace) -> int:
    args.region = _region_filter(args.region)
    doc = LockDocument.load(args.lockfile)
    results: list[dict[str, Any]] = []
    for channel, lock in channels_in_order(doc, _project(args)):
        by_region: dict[str, list[Pin]] = {}
        for pin in lock.pins():
            if not args.region or pin.region in args.region:
                by_region.setdefault(pin.region, []).append(pin)
        for region, pins in sorted(by_region.items()):
            if not args.json:
                _output.info(f"{region}: verifying {len(pins)} pin(s)" + (f" of channel {channel}" if channel else ""))
            results.extend({"channel": channel, **r} for r in _verify_region(region, pins))
    ok = all(r["ok"] for r in results)
    if args.json:
        _output.emit_json({"ok": ok, "lockfile": str(args.lockfile), "results": results})
    else:
        _output.table(
            f"Verify {args.lockfile}",
            ["region", "channel", "variant/arch", "image_id", "image_version", "status", "latest"],
            [
                (
                    r["region"],
                    r["channel"] or "(all)",
                    f"{r['variant']}/{r['arch']}",
                    r["image_id"],
                    r["image_version"],
                    "ok" if r["ok"] else "FAILED: " + "; ".join(r["reasons"]),
                    r["latest_version"],
                )
                for r in results
            ],
        )
        for r in results:
            for reason in r["reasons"]:
                where = f"channel {r['channel']}: " if r["channel"] else ""
                _output.error(f"{where}{r['region']} {r['variant']}/{r['arch']}: {reason}")
    return EXIT_OK if ok else EXIT_CHECK_FAILED


# --- rollback -------------------------------------------------------------------------------------------------------
def cmd_rollback(args: argparse.Namespace) -> int:
    variant, arch, _, problems = _flags(args)
    try:
        validate_region(args.region, field="--region")
    except ConfigError as exc:
        problems.extend(exc.problems)
    project, channel = _project_channel(args, problems)
    problems.raise_if_any()
    assert variant is not None  # narrowed: raise_if_any raised otherwise
    assert arch is not None
    path = Path(args.lockfile)
    doc, migrated = for_writing(LockDocument.load(path), project)
    before = doc.channel(channel, "--channel")
    old = before.get(args.region, variant.name, arch.value)
    after = before.rollback(args.region, variant.name, arch.value, now=utc_now())
    new = after.get(args.region, variant.name, arch.value)
    save(doc.with_channel(channel, after), path, migrated=migrated, project=project)
    if args.json:
        _output.emit_json(
            {
                "ok": True,
                "lockfile": str(path),
                "channel": channel,
                "migrated": migrated,
                "region": args.region,
                "variant": variant.name,
                "arch": arch.value,
                "old": _pin_row(old),
                "new": _pin_row(new),
            }
        )
    else:
        _output.table(
            f"Rolled back {variant.name}/{arch.value} in {args.region}, channel {channel} ({path}); "
            "run `brctl pins verify` before deploy",
            ["region", "variant/arch", "old", "new"],
            [(args.region, f"{variant.name}/{arch.value}", _describe(old), _describe(new))],
        )
    return EXIT_OK


# --- migrate --------------------------------------------------------------------------------------------------------
def cmd_migrate(args: argparse.Namespace) -> int:
    """Version 1 -> 2 in place (idempotent: a version 2 file only gains configured channels it lacks)."""
    project = _project(args)
    path = Path(args.lockfile)
    original = LockDocument.load(path)
    doc, migrated = for_writing(original, project)
    written = doc != original
    if written:
        save(doc, path, migrated=migrated, project=project)
    added = [n for n in doc.channel_names if original.legacy or not original.has_channel(n)]
    if args.json:
        _output.emit_json(
            {
                "ok": True,
                "lockfile": str(path),
                "migrated": migrated,
                "written": written,
                "channels": list(doc.channel_names),
                "added_channels": added,
            }
        )
    elif not written:
        _output.info(f"{path} is already lockfile version 2 with channels {', '.join(doc.channel_names)}")
    elif not migrated:
        _output.info(f"{path}: added empty channel(s) {', '.join(added)}")
    return EXIT_OK


# --- registration ---------------------------------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    pins = subparsers.add_parser("pins", help="pin Bottlerocket images per region (bottlerocket.lock.json)")
    sub = pins.add_subparsers(dest="pins_command", required=True, metavar="ACTION")

    refresh = sub.add_parser("refresh", help="resolve images from SSM, check them with EC2, write the lockfile")
    refresh.add_argument(
        "--region", action="append", metavar="R", help="region to pin (repeatable; default: AWS_REGION)"
    )
    refresh.add_argument("--variant", required=True, metavar="V", help="e.g. aws-k8s-1.33, aws-ecs-2-nvidia")
    refresh.add_argument("--arch", required=True, metavar="A", help="x86_64 | arm64")
    refresh.add_argument("--release", default=LATEST, metavar="X.Y.Z", help="pin a specific release instead of latest")
    refresh.add_argument("--dry-run", action="store_true", help="check and print, write nothing")
    refresh.add_argument(
        "--channel", metavar="C", help="channel to write (default: the first of [tool.brctl] channels)"
    )
    _add_lockfile(refresh)
    _add_json(refresh)
    refresh.set_defaults(handler=cmd_refresh)

    show = sub.add_parser("show", help="print the lockfile")
    show.add_argument("--region", action="append", metavar="R", help="only these regions (repeatable)")
    show.add_argument("--channel", action="append", metavar="C", help="only these channels (repeatable)")
    _add_lockfile(show)
    _add_json(show)
    show.set_defaults(handler=cmd_show)

    verify = sub.add_parser("verify", help="re-check every pin against SSM and EC2 (exit 1 on failure)")
    verify.add_argument("--region", action="append", metavar="R", help="only these regions (repeatable)")
    _add_lockfile(verify)
    _add_json(verify)
    verify.set_defaults(handler=cmd_verify)

    rollback = sub.add_parser("rollback", help="restore a pin's previous image")
    rollback.add_argument("--region", required=True, metavar="R")
    rollback.add_argument("--variant", required=True, metavar="V")
    rollback.add_argument("--arch", required=True, metavar="A")
    rollback.add_argument("--channel", metavar="C", help="channel to roll back in (default: the first channel)")
    _add_lockfile(rollback)
    _add_json(rollback)
    rollback.set_defaults(handler=cmd_rollback)

    def promote_handler(args: argparse.Namespace) -> int:  # cli/promote.py is imported only when it runs
        from constructs_br.cli.promote import cmd_promote

        return cmd_promote(args)

    promote = sub.add_parser(
        "promote",
        help="copy pins to the next channel after checks: image exists, soak time, source stage runs it (drift)",
    )
    promote.add_argument("--from", dest="from_channel", required=True, metavar="A", help="source channel")
    promote.add_argument("--to", dest="to_channel", required=True, metavar="B", help="destination (after A)")
    promote.add_argument("--region", action="append", metavar="R", help="only these regions (default: all A has)")
    promote.add_argument("--variant", metavar="V", help="only this variant")
    promote.add_argument("--arch", metavar="A", help="only this architecture")
    promote.add_argument(
        "--cluster", action="append", metavar="C", help="EKS cluster whose node groups the drift check reads"
    )
    promote.add_argument("--force", action="store_true", help="skip the soak and drift checks (needs --reason)")
    promote.add_argument("--reason", metavar="TEXT", help="why --force (a few words; written into the lockfile)")
    promote.add_argument("--dry-run", action="store_true", help="check and print, write nothing")
    _add_lockfile(promote)
    _add_json(promote)
    promote.set_defaults(handler=promote_handler)

    migrate = sub.add_parser("migrate", help="rewrite a version 1 lockfile as version 2 (one set per channel)")
    _add_lockfile(migrate)
    _add_json(migrate)
    migrate.set_defaults(handler=cmd_migrate)

    def outdated_handler(args: argparse.Namespace) -> int:  # cli/outdated.py is imported only when it runs
        from constructs_br.cli.outdated import cmd_outdated

        return cmd_outdated(args)

    outdated = sub.add_parser(
        "outdated", help="how far each pin is behind the newest published image (exit 1 when too old or gone)"
    )
    outdated.add_argument(
        "--max-age-days",
        type=int,
        default=None,  # cli/outdated.py's DEFAULT_MAX_AGE_DAYS
        metavar="N",
        help="fail when a pin is more than N days behind the newest image (default: 30)",
    )
    _add_lockfile(outdated)
    _add_json(outdated)
    outdated.set_defaults(handler=outdated_handler)
