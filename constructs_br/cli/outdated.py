"""``brctl pins outdated``: the release watch. For every pin in the lockfile, the newest published image for its
region / variant / arch and how far behind the pin is, in versions and in days.

The newest image is what Bottlerocket's public SSM parameters say (``.../<variant>/<arch>/latest/image_id`` and
``.../latest/image_version``); both images' ``CreationDate`` come from ``ec2:DescribeImages``. *Days behind* is the
newest image's creation date minus the pinned image's, so a pin is not "old" in a week without releases.

Statuses: ``current`` (the pin is the newest image), ``behind`` (newer images exist, within ``--max-age-days``),
``too-old`` (more than ``--max-age-days`` behind the newest), ``gone`` (the pinned image no longer exists), ``unknown``
(the newest image could not be read: parameter missing, image missing, or an AWS call failed) and ``example``
(``"example": true`` pins made without an account; always reported as such, whatever the images say, because they
refuse to deploy). Exit 1 when any pin is ``too-old``, ``gone``, ``unknown`` or ``example``; 0 otherwise; 2 on usage
errors.

Every channel of a version 2 lockfile is checked (a pin in two channels is reported once per channel); each result
carries its ``"channel"`` (``null`` for a version 1 lockfile, whose one set every stage reads).

>>> versions_behind("1.50.0-abcdef12", "1.52.1-0123abcd")
('minor', 2)
>>> versions_behind("1.50.0-abcdef12", "1.50.3-0123abcd"), versions_behind("1.50.0-abcdef12", "1.50.0-abcdef12")
(('patch', 3), None)
>>> days_between("2026-01-01T00:00:00.000Z", "2026-02-15T12:00:00.000Z")
45
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from constructs_br.cli import _aws, _output
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import LockDocument, Pin, refresh_command, utc_now
from constructs_br.images.ssm import LATEST, parameter_path, short_version

DEFAULT_MAX_AGE_DAYS = 30
"""``--max-age-days`` default: a pin more than 30 days behind the newest image fails the watch."""

Status = Literal["current", "behind", "too-old", "gone", "unknown", "example"]
FAILING: frozenset[str] = frozenset({"too-old", "gone", "unknown", "example"})
"""Statuses that exit 1."""


def _semver(version: str) -> tuple[int, int, int] | None:
    parts = short_version(version).split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def versions_behind(pinned: str, latest: str) -> tuple[str, int] | None:
    """How far ``pinned`` is behind ``latest``, at the first version part that differs: ``("major" | "minor" |
    "patch", n)``; ``None`` when they are the same release (or ``pinned`` is newer, or either is unparseable)."""
    a, b = _semver(pinned), _semver(latest)
    if a is None or b is None or a >= b:
        return None
    for level, x, y in zip(("major", "minor", "patch"), a, b, strict=True):
        if x != y:
            return level, y - x
    return None  # pragma: no cover - a < b means some part differs


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def days_between(older: str, newer: str) -> int | None:
    """Whole days from the ``older`` to the ``newer`` ``CreationDate``; ``None`` if either is unreadable."""
    a, b = _parse_time(older), _parse_time(newer)
    if a is None or b is None:
        return None
    return (b - a).days


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """One pin against the newest published image for its region / variant / arch."""

    pin: Pin
    status: Status
    channel: str | None = None
    """Promotion channel of the pin (``None``: a version 1 lockfile)."""
    latest_image_id: str | None = None
    latest_version: str | None = None
    pinned_created: str | None = None
    latest_created: str | None = None
    versions: tuple[str, int] | None = None
    days: int | None = None
    reasons: tuple[str, ...] = ()

    @property
    def behind(self) -> str | None:
        """``2 minor`` / ``3 patch`` / ``current``, for people."""
        if self.latest_version is None:
            return None
        if self.versions is None:
            return "current" if self.latest_version == self.pin.image_version else None
        return f"{self.versions[1]} {self.versions[0]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.pin.region,
            "channel": self.channel,
            "variant": self.pin.variant,
            "arch": self.pin.arch,
            "example": self.pin.example,
            "pinned": {
                "image_id": self.pin.image_id,
                "image_version": self.pin.image_version,
                "created": self.pinned_created,
            },
            "latest": {
                "image_id": self.latest_image_id,
                "image_version": self.latest_version,
                "created": self.latest_created,
            },
            "versions_behind": (
                None if self.versions is None else {"level": self.versions[0], "count": self.versions[1]}
            ),
            "days_behind": self.days,
            "status": self.status,
            "reasons": list(self.reasons),
        }


COLUMNS: tuple[tuple[str, Callable[[Result], Any]], ...] = (
    ("region", lambda r: r.pin.region),
    ("channel", lambda r: r.channel or "(all)"),
    ("variant/arch", lambda r: f"{r.pin.variant}/{r.pin.arch}"),
    ("pinned", lambda r: f"{r.pin.image_version} ({r.pin.image_id})"),
    ("latest", lambda r: f"{r.latest_version} ({r.latest_image_id})" if r.latest_version else None),
    ("versions behind", lambda r: r.behind),
    ("days behind", lambda r: r.days),
    ("status", lambda r: r.status),
    ("notes", lambda r: "; ".join(r.reasons) or None),
)
"""The table, column by column."""


def judge(
    pin: Pin,
    *,
    latest_id: str | None,
    latest_version: str | None,
    images: dict[str, _aws.ImageInfo],
    max_age_days: int,
    error: str | None = None,
) -> Result:
    """One pin's result from what SSM (``latest_*``) and EC2 (``images``) said."""
    reasons: list[str] = []
    pinned = images.get(pin.image_id)
    latest = images.get(latest_id) if latest_id else None
    if error:
        reasons.append(error)
    elif latest_id is None or latest_version is None:
        reasons.append(
            f"{parameter_path(pin.variant, pin.arch, LATEST)}: parameter not found "
            f"(is {pin.variant}/{pin.arch} published in {pin.region}?)"
        )
    elif latest is None:
        reasons.append(f"the newest image {latest_id} ({latest_version}) is not visible to ec2:DescribeImages")
    if pinned is None and not error:
        reasons.append(f"pinned image {pin.image_id} no longer exists (deregistered, or never published here)")
    same = latest_id == pin.image_id
    versions = versions_behind(pin.image_version, latest_version) if latest_version else None
    days = 0 if same else days_between(pinned.creation_date, latest.creation_date) if pinned and latest else None
    status: Status
    if pin.example:
        status = "example"
        reasons.insert(
            0,
            "example pin (made without an AWS account; refuses to deploy): run "
            f"{refresh_command(pin.region, pin.variant, pin.arch)}",
        )
    elif error or latest_id is None or latest_version is None or (latest is None and not same):
        status = "unknown"
    elif pinned is None:
        status = "gone"
    elif same:
        status = "current"
    elif days is not None and days > max_age_days:
        status = "too-old"
        reasons.append(
            f"{days} days behind the newest image (more than --max-age-days {max_age_days}): "
            f"{refresh_command(pin.region, pin.variant, pin.arch)}, then cut over"
        )
    else:
        status = "behind"
    return Result(
        pin=pin,
        status=status,
        latest_image_id=latest_id,
        latest_version=latest_version,
        pinned_created=pinned.creation_date if pinned else None,
        latest_created=latest.creation_date if latest else None,
        versions=versions,
        days=days,
        reasons=tuple(reasons),
    )


def check_region(region: str, pins: Sequence[Pin], max_age_days: int) -> list[Result]:
    """Every pin of one region against its newest published image (one SSM and one EC2 pass per region)."""
    paths = {
        pin.key: (
            parameter_path(pin.variant, pin.arch, LATEST, "image_id"),
            parameter_path(pin.variant, pin.arch, LATEST, "image_version"),
        )
        for pin in pins
    }
    try:
        params = _aws.get_parameters(region, [p for pair in paths.values() for p in pair])
        wanted = {pin.image_id for pin in pins} | {params[i] for i, _ in paths.values() if i in params}
        images = _aws.describe_images(region, wanted)
    except _aws.AwsError as exc:
        return [
            judge(pin, latest_id=None, latest_version=None, images={}, max_age_days=max_age_days, error=str(exc))
            for pin in pins
        ]
    return [
        judge(
            pin,
            latest_id=params.get(paths[pin.key][0]),
            latest_version=params.get(paths[pin.key][1]),
            images=images,
            max_age_days=max_age_days,
        )
        for pin in pins
    ]


def _max_age(value: object) -> int:
    if value is None:
        return DEFAULT_MAX_AGE_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError("--max-age-days", value, "a whole number of days, 0 or more")
    return value


def cmd_outdated(args: argparse.Namespace) -> int:
    """``brctl pins outdated`` (dispatched from :mod:`constructs_br.cli.pins`)."""
    from constructs_br.cli._project import load_project
    from constructs_br.cli.pins import channels_in_order

    max_age = _max_age(args.max_age_days)
    doc = LockDocument.load(args.lockfile)
    results: list[Result] = []
    for channel, lock in channels_in_order(doc, load_project(getattr(args, "project", None))):
        by_region: dict[str, list[Pin]] = {}
        for pin in lock.pins():
            by_region.setdefault(pin.region, []).append(pin)
        for region, pins in sorted(by_region.items()):
            if not args.json:
                where = f" of channel {channel}" if channel else ""
                _output.info(f"{region}: checking {len(pins)} pin(s){where} against the newest published images")
            checked = check_region(region, sorted(pins, key=lambda p: p.key), max_age)
            results.extend(replace(r, channel=channel) for r in checked)
    ok = not any(r.status in FAILING for r in results)
    if args.json:
        _output.emit_json(
            {
                "ok": ok,
                "lockfile": str(args.lockfile),
                "max_age_days": max_age,
                "checked_at": utc_now(),
                "results": [r.to_dict() for r in results],
            }
        )
        return EXIT_OK if ok else EXIT_CHECK_FAILED
    _output.table(
        f"Pins against the newest Bottlerocket images ({args.lockfile}; max age {max_age} days)",
        [name for name, _ in COLUMNS],
        [[cell(r) for _, cell in COLUMNS] for r in results],
    )
    for r in results:
        if r.status in FAILING:
            where = f"channel {r.channel}: " if r.channel else ""
            _output.error(f"{where}{r.pin.region} {r.pin.variant}/{r.pin.arch}: {r.status}: {'; '.join(r.reasons)}")
    return EXIT_OK if ok else EXIT_CHECK_FAILED
