"""``brctl pins promote --from A --to B``: copy pins forward along the promotion channels, after checks.

Per pin of channel ``A`` (optionally only ``--region`` / ``--variant`` / ``--arch``):

1. **image** - the image still exists in the region and is fit to run (``ec2:DescribeImages``, the same checks as
   ``brctl pins refresh``: available, Amazon-owned, a ``bottlerocket-`` image of the pin's architecture). Never
   skipped, not even with ``--force``.
2. **soak** - the pin has been in ``A`` for at least ``[tool.brctl] soak.A`` (counted from its ``pinned_at``; no
   soak configured for ``A`` means 0).
3. **drift** - the stage that reads ``A`` (``[tool.brctl] stages`` + ``channel``) runs it: ``brctl drift --stage``
   for that stage finds nothing drifted or unreadable in the pin's region, and at least one resource there runs the
   pinned image.

``--force`` skips 2 and 3 and needs ``--reason`` (a few words), which is written into the lockfile with the pin
(``promoted.forced_reason``). ``B`` must come after ``A`` in ``[tool.brctl] channels``. All or nothing: when any pin
is refused, nothing is written. The promoted pin's ``pinned_at`` is now (its soak in ``B`` starts), and the pin it
replaces in ``B`` becomes ``previous`` (``brctl pins rollback --channel B`` undoes the promotion).

Exit 0 when written (or nothing to do), 1 when a check refused a pin (each refusal names the pin, the check and the
command that fixes it), 2 on bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from constructs_br.cli import _aws, _output, drift
from constructs_br.cli._project import ProjectConfig, load_project
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK
from constructs_br.cli.pins import check_image, for_writing, save
from constructs_br.errors import ConfigError, Problems
from constructs_br.images.catalogue import Arch, get_variant, parse_arch
from constructs_br.images.lockfile import LockDocument, Lockfile, Pin, parse_utc, utc_now, validate_region

MIN_REASON_WORDS = 3
"""``--force --reason``: at least this many words (a reason someone reading the lockfile later can follow)."""

IMAGE, SOAK, DRIFT = "image", "soak", "drift"
PASSED, FAILED, SKIPPED = "ok", "refused", "skipped"


@dataclass(frozen=True, slots=True)
class Check:
    """One check of one pin: ``status`` ok | refused | skipped (``--force``), what was found, and the fix."""

    name: str
    status: str
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"check": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One pin's promotion: the source pin, the destination's current pin, the checks and whether it changes."""

    pin: Pin
    current: Pin | None
    checks: tuple[Check, ...]

    @property
    def unchanged(self) -> bool:
        return self.current is not None and self.current.same_image(self.pin)

    @property
    def ok(self) -> bool:
        return all(c.status != FAILED for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.pin.region,
            "variant": self.pin.variant,
            "arch": self.pin.arch,
            "image_id": self.pin.image_id,
            "image_version": self.pin.image_version,
            "current": None
            if self.current is None
            else {"image_id": self.current.image_id, "image_version": self.current.image_version},
            "unchanged": self.unchanged,
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
        }


def _duration(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return " ".join(f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (mins, "m")) if n) or "0m"


def _command(args: argparse.Namespace, pin: Pin, *, force: bool = False) -> str:
    cmd = (
        f"brctl pins promote --from {args.from_channel} --to {args.to_channel} "
        f"--region {pin.region} --variant {pin.variant} --arch {pin.arch}"
    )
    return cmd + (' --force --reason "<why the checks may be skipped>"' if force else "")


def soak_check(pin: Pin, channel: str, soak: timedelta, now: datetime, args: argparse.Namespace) -> Check:
    """Whether ``pin`` has been in ``channel`` for ``soak`` at ``now``."""
    if pin.pinned_at is None:  # cannot happen in a version 2 document (pinned_at is required there)
        return Check(SOAK, FAILED, f"the pin in {channel} has no pinned_at", "brctl pins migrate")
    since = parse_utc(pin.pinned_at, "pinned_at")
    age = now - since
    if age >= soak:
        return Check(SOAK, PASSED, f"in {channel} for {_duration(age)} (soak {_duration(soak)})")
    ready = (since + soak).isoformat().replace("+00:00", "Z")
    return Check(
        SOAK,
        FAILED,
        f"in {channel} for {_duration(age)} since {pin.pinned_at}; soak for {channel} is {_duration(soak)}",
        f"wait until {ready} and run: {_command(args, pin)} (or {_command(args, pin, force=True)})",
    )


def image_check(pin: Pin, images: dict[str, _aws.ImageInfo] | None, error: str | None) -> Check:
    """Whether the pinned image still exists in its region and is fit to run (never skipped)."""
    fix = (
        f"pin a published image in the source channel first: brctl pins refresh --region {pin.region} "
        f"--variant {pin.variant} --arch {pin.arch}"
    )
    if error is not None or images is None:
        return Check(IMAGE, FAILED, f"could not read the image: {error}", "check AWS credentials and retry")
    reasons = check_image(pin.image_id, Arch(pin.arch), images)
    if reasons:
        return Check(IMAGE, FAILED, "; ".join(reasons), fix)
    return Check(IMAGE, PASSED, f"{pin.image_id} exists and is available")


def drift_check(pin: Pin, stage: str | None, channel: str, findings: Sequence[drift.Finding], fix: str) -> Check:
    """Whether the source stage runs ``pin`` in its region: no drift or unreadable resource there, and at least one
    resource running the pinned image."""
    if stage is None:
        return Check(
            DRIFT,
            FAILED,
            f"no stage reads channel {channel} ([tool.brctl] stages and channel), so no fleet proves the pin",
            "add the stage to [tool.brctl] stages, or promote with --force --reason",
        )
    here = [f for f in findings if f.region == pin.region and f.status != drift.SKIPPED]
    bad = [f for f in here if f.status in (drift.DRIFT, drift.ERROR)]
    if bad:
        shown = "; ".join(f"{f.kind} {f.resource}: {f.status}: {f.detail}" for f in bad[:3])
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        return Check(DRIFT, FAILED, f"stage {stage} drifts in {pin.region}: {shown}{more}", fix)
    running = [
        f
        for f in here
        if f.status == drift.OK and f.actual in (pin.image_id, pin.image_version) and f.variant == pin.variant
    ]
    if not running:
        return Check(
            DRIFT,
            FAILED,
            f"no {pin.variant}/{pin.arch} resource of stage {stage} in {pin.region} runs {pin.image_version}",
            f"deploy stage {stage} and check with: {fix}",
        )
    return Check(DRIFT, PASSED, f"stage {stage} runs it on {len(running)} resource(s), no drift")


def _reason_problem(args: argparse.Namespace, problems: Problems) -> None:
    reason = args.reason
    if args.force and (reason is None or len(reason.split()) < MIN_REASON_WORDS):
        problems.add(
            "--reason",
            reason,
            f"with --force: at least {MIN_REASON_WORDS} words saying why the soak and drift checks may be skipped "
            "(written into the lockfile)",
        )
    elif reason is not None and not args.force:
        problems.add("--reason", reason, "only with --force")


def _order_problem(project: ProjectConfig, src: str, dst: str, problems: Problems) -> None:
    order = project.channels
    later = order[order.index(src) + 1 :]
    if dst not in later:
        allowed = " | ".join(later) if later else f"none: {src} is the last channel"
        problems.add("--to", dst, f"a channel after {src} in [tool.brctl] channels ({' -> '.join(order)}): {allowed}")


def _selected(source: Lockfile, regions: list[str], variant: str | None, arch: str | None) -> list[Pin]:
    return [
        p
        for p in source.pins()
        if (not regions or p.region in regions) and (variant is None or p.variant == variant)
        if arch is None or p.arch == arch
    ]


def cmd_promote(args: argparse.Namespace) -> int:
    """``brctl pins promote`` (dispatched from :mod:`constructs_br.cli.pins`)."""
    project = load_project(getattr(args, "project", None))
    problems = Problems()

    def attempt(fn: Any, *values: Any) -> Any:
        try:
            return fn(*values)
        except ConfigError as exc:
            problems.extend(exc.problems)
            return None

    src = attempt(project.check_channel, args.from_channel, "--from")
    dst = attempt(project.check_channel, args.to_channel, "--to")
    if src is not None and dst is not None:
        _order_problem(project, src, dst, problems)
    variant = attempt(get_variant, args.variant, "--variant") if args.variant is not None else None
    arch = attempt(parse_arch, args.arch, "--arch") if args.arch is not None else None
    regions = list(dict.fromkeys(args.region or []))
    for region in regions:
        attempt(validate_region, region, "--region")
    _reason_problem(args, problems)
    problems.raise_if_any()
    assert src is not None  # narrowed: raise_if_any raised otherwise
    assert dst is not None

    path = Path(args.lockfile)
    original = LockDocument.load(path)
    doc, migrated = for_writing(original, project)
    source = doc.channel(src, "--from")
    target = doc.channel(dst, "--to")
    pins = _selected(source, regions, variant.name if variant else None, arch.value if arch else None)
    if not pins:
        wanted = ", ".join(
            filter(None, [" ".join(regions), variant.name if variant else None, arch.value if arch else None])
        )
        raise ConfigError(
            "--from",
            src,
            f"a channel with pins to promote{f' ({wanted})' if wanted else ''}",
            f"channel {src} has none; pin them with: brctl pins refresh --channel {src} ...",
        )

    now_text = utc_now()
    now = parse_utc(now_text, "now")
    soak = project.soak_time(src)
    stage = project.stage_of_channel(src)
    pin_regions = sorted({p.region for p in pins})

    images: dict[str, dict[str, _aws.ImageInfo] | None] = {}
    image_errors: dict[str, str] = {}
    for region in pin_regions:
        try:
            images[region] = _aws.describe_images(region, [p.image_id for p in pins if p.region == region])
        except _aws.AwsError as exc:
            images[region] = None
            image_errors[region] = str(exc)

    findings: list[drift.Finding] = []
    if not args.force and stage is not None:
        if not args.json:
            _output.info(f"checking that stage {stage} runs channel {src} (brctl drift --stage {stage})")
        findings = drift.collect(pin_regions, source, args.cluster or [], stages=(stage,), progress=not args.json)

    outcomes: list[Outcome] = []
    for pin in pins:
        current = target.find(pin.region, pin.variant, pin.arch)
        if current is not None and current.same_image(pin):  # already there: nothing to check or write
            outcomes.append(Outcome(pin, current, ()))
            continue
        checks = [image_check(pin, images[pin.region], image_errors.get(pin.region))]
        if args.force:
            forced = f"skipped by --force: {args.reason}"
            checks += [Check(SOAK, SKIPPED, forced), Check(DRIFT, SKIPPED, forced)]
        else:
            clusters = "".join(f" --cluster {c}" for c in args.cluster or [])
            fix = f"brctl drift --stage {stage} --region {pin.region}{clusters}"
            checks += [soak_check(pin, src, soak, now, args), drift_check(pin, stage, src, findings, fix)]
        outcomes.append(Outcome(pin, current, tuple(checks)))

    ok = all(o.ok for o in outcomes)
    after = doc
    if ok:
        for o in outcomes:
            after = after.promote(
                src,
                dst,
                region=o.pin.region,
                variant=o.pin.variant,
                arch=o.pin.arch,
                now=now_text,
                forced_reason=args.reason if args.force else None,
            )
    written = ok and not args.dry_run and after != original
    if written:
        save(after, path, migrated=migrated, project=project)

    if args.json:
        _output.emit_json(
            {
                "ok": ok,
                "written": written,
                "lockfile": str(path),
                "from": src,
                "to": dst,
                "forced_reason": args.reason if args.force else None,
                "soak": _duration(soak),
                "stage": stage,
                "results": [o.to_dict() for o in outcomes],
            }
        )
    else:
        _table(outcomes, src, dst, path, written)
    for o in outcomes:
        for c in o.checks:
            if c.status == FAILED:
                _output.error(
                    f"promote refused: {o.pin.region} {o.pin.variant}/{o.pin.arch} ({o.pin.image_version}): "
                    f"{c.name} check: {c.detail}; fix: {c.fix}"
                )
    if not ok:
        _output.error(f"nothing written to {path}")
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def _table(outcomes: Sequence[Outcome], src: str, dst: str, path: Path, written: bool) -> None:
    def cell(o: Outcome, name: str) -> str | None:
        c = next((c for c in o.checks if c.name == name), None)
        if c is None:
            return None
        return c.status if c.status != FAILED else f"REFUSED: {c.detail}"

    _output.table(
        f"Promote {src} -> {dst} ({f'written to {path}' if written else 'not written'})",
        ["region", "variant/arch", src, f"{dst} (now)", "image", "soak", "drift", "result"],
        [
            (
                o.pin.region,
                f"{o.pin.variant}/{o.pin.arch}",
                f"{o.pin.image_version} ({o.pin.image_id})",
                None if o.current is None else f"{o.current.image_version} ({o.current.image_id})",
                cell(o, IMAGE),
                cell(o, SOAK),
                cell(o, DRIFT),
                ("unchanged" if o.unchanged else "promoted") if o.ok else "refused",
            )
            for o in outcomes
        ],
    )
