"""Lockfile version 2: promotion channels (:class:`LockDocument`), the version 1 -> 2 migration, and promotion."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from constructs_br.errors import ConfigError
from constructs_br.images import LockDocument, Promotion
from constructs_br.images.lockfile import Lockfile, MissingPinError, Pin, parse_utc, validate_channel

CHANNELS = ("pilot", "canary", "production")
T0 = "2026-01-01T00:00:00Z"
T1 = "2026-01-05T00:00:00Z"
T2 = "2026-01-09T00:00:00Z"


def make_pin(
    region: str = "us-west-2", variant: str = "aws-k8s-1.33", arch: str = "x86_64", n: int = 0, **kw: object
) -> Pin:
    return Pin(
        region=region,
        variant=variant,
        arch=arch,
        image_id=f"ami-0{n:016x}",
        image_version=f"1.{50 + n}.0-abcdef{n:02x}",
        ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id",
        resolved_at=f"2026-01-{n + 1:02d}T00:00:00Z",
        **kw,  # type: ignore[arg-type]
    )


def v2(**channels: Lockfile) -> LockDocument:
    doc = LockDocument()
    for name, lock in channels.items():
        doc = doc.with_channel(name, lock)
    return doc


# --- format -----------------------------------------------------------------------------------------------------------
def test_v2_dumps_sorted_with_version_and_round_trips(tmp_path: Path) -> None:
    pilot = Lockfile([make_pin(n=1, pinned_at=T1), make_pin("eu-west-1", "aws-ecs-2", "arm64", pinned_at=T0)])
    doc = v2(production=Lockfile([make_pin(pinned_at=T0)]), pilot=pilot).with_note("hello")
    text = doc.dumps()
    data = json.loads(text)
    assert data["version"] == 2
    assert list(data) == ["channels", "note", "version"]
    assert list(data["channels"]) == ["pilot", "production"]
    entry = data["channels"]["pilot"]["regions"]["us-west-2"]["aws-k8s-1.33/x86_64"]
    assert list(entry) == sorted(entry)
    assert entry["pinned_at"] == T1
    assert "promoted" not in entry
    assert text.endswith("}\n")
    assert '\n  "channels": {\n    "pilot": {\n      "regions": {\n        "eu-west-1": {\n' in text
    assert LockDocument.loads(text) == doc
    path = tmp_path / "l.json"
    doc.save(path)
    assert path.read_text() == text
    assert not (tmp_path / "l.json.tmp").exists()
    loaded = LockDocument.load(path)
    assert loaded.channel_names == ("pilot", "production")
    assert not loaded.legacy
    assert loaded.channel("pilot") == pilot.with_note("hello")
    assert loaded.note == "hello"


def test_lockfile_refuses_a_v2_file_and_names_lockdocument() -> None:
    text = v2(pilot=Lockfile([make_pin(pinned_at=T0)])).dumps()
    with pytest.raises(ConfigError) as err:
        Lockfile.loads(text, source="my.lock.json")
    assert err.value.fields == ("my.lock.json: version",)
    assert "LockDocument.load(path).channel(name)" in str(err.value)


def test_v1_file_is_legacy_and_every_channel_reads_its_one_set() -> None:
    lock = Lockfile([make_pin(), make_pin("eu-west-1")], note="old")
    doc = LockDocument.loads(lock.dumps())
    assert doc.legacy
    assert doc.channel_names == ()
    assert doc.channel("pilot") == lock
    assert doc.channel("anything-else") == lock
    assert doc.dumps() == lock.dumps()  # a legacy document is written back as version 1, byte for byte
    with pytest.raises(ConfigError, match="brctl pins migrate"):
        doc.with_channel("pilot", lock)


def test_unknown_channel_names_the_field_the_value_and_the_channels() -> None:
    doc = v2(pilot=Lockfile(), canary=Lockfile())
    with pytest.raises(ConfigError) as err:
        doc.channel("prod", field="--to")
    (problem,) = err.value.problems
    assert problem.field == "--to"
    assert problem.value == "prod"
    assert "canary | pilot" in problem.allowed
    with pytest.raises(ConfigError, match="none yet"):
        LockDocument().channel("pilot")


@pytest.mark.parametrize("name", ["", "Pilot", "1st", "a_b", "x" * 33, "pilot ", "-a"])
def test_channel_names_are_validated(name: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate_channel(name, "--channel")
    assert err.value.problems[0].field == "--channel"
    assert err.value.problems[0].value == name
    with pytest.raises(ConfigError):
        LockDocument().with_channel(name, Lockfile())


@pytest.mark.parametrize("name", ["pilot", "a", "canary-2", "x" * 32])
def test_valid_channel_names(name: str) -> None:
    assert validate_channel(name) == name


@pytest.mark.parametrize(
    ("text", "field", "match"),
    [
        ('{"version": 3, "channels": {}}', "l.json: version", "1 | 2"),
        ('{"version": 2}', "l.json: channels", "an object"),
        ('{"version": 2, "channels": {}, "regions": {}}', "l.json: keys", "version, channels, note"),
        ('{"version": 2, "channels": {"Prod": {"regions": {}}}}', "l.json: channels.Prod", "a channel name"),
        ('{"version": 2, "channels": {"pilot": {"regions": {}, "x": 1}}}', "l.json: channels.pilot", "regions"),
        ('{"version": 2, "channels": {}, "note": 3}', "l.json: note", "a string"),
    ],
)
def test_malformed_v2_documents(text: str, field: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as err:
        LockDocument.loads(text, source="l.json")
    assert field in err.value.fields


def _entry_doc(**changes: object) -> str:
    data = json.loads(v2(pilot=Lockfile([make_pin(pinned_at=T0)])).dumps())
    entry = data["channels"]["pilot"]["regions"]["us-west-2"]["aws-k8s-1.33/x86_64"]
    for key, value in changes.items():
        if value is None and key == "pinned_at":
            del entry[key]
        else:
            entry[key] = value
    return json.dumps(data)


PIN_FIELD = "l.json: channels.pilot.regions.us-west-2.aws-k8s-1.33/x86_64"


@pytest.mark.parametrize(
    ("changes", "field", "match"),
    [
        ({"pinned_at": None}, PIN_FIELD, "pinned_at"),  # required in a channel
        ({"pinned_at": "yesterday"}, f"{PIN_FIELD}.pinned_at", "ISO-8601 UTC"),
        ({"promoted": "pilot"}, f"{PIN_FIELD}.promoted", "null or an object with at, forced_reason, from"),
        ({"promoted": {"from": "Pilot", "at": T0, "forced_reason": None}}, f"{PIN_FIELD}.promoted.from", "channel"),
        ({"promoted": {"from": "pilot", "at": "now", "forced_reason": None}}, f"{PIN_FIELD}.promoted.at", "UTC"),
        (
            {"promoted": {"from": "pilot", "at": T0, "forced_reason": " "}},
            f"{PIN_FIELD}.promoted.forced_reason",
            "non-empty",
        ),
    ],
)
def test_v2_pin_entries_are_validated(changes: dict[str, object], field: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as err:
        LockDocument.loads(_entry_doc(**changes), source="l.json")
    assert field in err.value.fields


def test_promoted_entry_round_trips() -> None:
    promoted = {"from": "pilot", "at": T1, "forced_reason": "CVE-2026-0001 fix, pilot fleet is empty"}
    doc = LockDocument.loads(_entry_doc(promoted=promoted))
    pin = doc.channel("pilot").get("us-west-2", "aws-k8s-1.33", "x86_64")
    assert pin.promoted == Promotion(from_channel="pilot", at=T1, forced_reason=promoted["forced_reason"])
    assert json.loads(doc.dumps())["channels"]["pilot"]["regions"]["us-west-2"]["aws-k8s-1.33/x86_64"][
        "promoted"
    ] == dict(sorted(promoted.items()))


# --- migration --------------------------------------------------------------------------------------------------------
def test_migrate_copies_the_one_set_into_every_channel_with_pinned_at_resolved_at() -> None:
    old = Lockfile([make_pin(), make_pin("eu-west-1", n=2)]).with_pin(make_pin(n=1))
    doc = LockDocument.loads(old.dumps(), source="l.json").migrate(CHANNELS)
    assert not doc.legacy
    assert doc.channel_names == ("canary", "pilot", "production")
    for name in CHANNELS:
        lock = doc.channel(name)
        assert [p.image_id for p in lock.pins()] == [p.image_id for p in old.pins()]
        for pin in lock.pins():
            assert pin.pinned_at == pin.resolved_at
            assert pin.promoted is None
        west = lock.get("us-west-2", "aws-k8s-1.33", "x86_64")
        assert west.previous is not None
        assert west.previous.image_id == make_pin().image_id  # history survives the migration
    again = LockDocument.loads(doc.dumps())
    assert again == doc
    assert again.migrate(CHANNELS) is again  # idempotent


def test_migrate_a_v2_document_adds_missing_channels_only() -> None:
    doc = v2(pilot=Lockfile([make_pin(pinned_at=T0)]))
    migrated = doc.migrate(CHANNELS)
    assert migrated.channel_names == ("canary", "pilot", "production")
    assert migrated.channel("pilot") == doc.channel("pilot")
    assert len(migrated.channel("canary")) == 0


@pytest.mark.parametrize(("channels", "match"), [((), "one or more"), (("pilot", "Prod"), "a channel name")])
def test_migrate_validates_channel_names(channels: tuple[str, ...], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        LockDocument.loads(Lockfile([make_pin()]).dumps()).migrate(channels)


def test_migrate_keeps_example_pins_and_the_note() -> None:
    old = Lockfile([make_pin(example=True)], note="EXAMPLE PINS")
    doc = LockDocument.loads(old.dumps()).migrate(CHANNELS)
    assert doc.note == "EXAMPLE PINS"
    assert all(p.example for name in CHANNELS for p in doc.channel(name).pins())


# --- promotion --------------------------------------------------------------------------------------------------------
KEY = {"region": "us-west-2", "variant": "aws-k8s-1.33", "arch": "x86_64"}


def test_promote_copies_forward_and_the_replaced_pin_becomes_previous() -> None:
    doc = v2(canary=Lockfile([make_pin(n=1, pinned_at=T0)]), production=Lockfile([make_pin(pinned_at=T0)]))
    after = doc.promote("canary", "production", **KEY, now=T1, forced_reason=None)
    pin = after.channel("production").get(**KEY)
    assert pin.image_id == make_pin(n=1).image_id
    assert pin.resolved_at == make_pin(n=1).resolved_at
    assert pin.pinned_at == T1
    assert pin.promoted == Promotion(from_channel="canary", at=T1, forced_reason=None)
    assert pin.previous is not None
    assert pin.previous.image_id == make_pin().image_id
    assert after.channel("canary") == doc.channel("canary")  # the source is untouched
    assert doc.channel("production").get(**KEY).image_id == make_pin().image_id  # pure: doc unchanged
    rolled = after.channel("production").rollback(**KEY, now=T2)
    assert rolled.get(**KEY).image_id == make_pin().image_id  # rollback in the channel undoes the promotion
    assert rolled.get(**KEY).pinned_at == T2


def test_forced_promotion_records_the_reason() -> None:
    doc = v2(canary=Lockfile([make_pin(pinned_at=T0)]), production=Lockfile())
    after = doc.promote("canary", "production", **KEY, now=T1, forced_reason="hotfix for CVE-2026-1")
    text = after.dumps()
    assert '"forced_reason": "hotfix for CVE-2026-1"' in text
    pin = LockDocument.loads(text).channel("production").get(**KEY)
    assert pin.promoted is not None
    assert pin.promoted.forced_reason == "hotfix for CVE-2026-1"
    assert pin.previous is None


def test_promoting_the_image_the_destination_runs_changes_nothing() -> None:
    doc = v2(canary=Lockfile([make_pin(pinned_at=T1)]), production=Lockfile([make_pin(pinned_at=T0)]))
    assert doc.promote("canary", "production", **KEY, now=T2, forced_reason=None) is doc


def test_promote_errors() -> None:
    doc = v2(canary=Lockfile([make_pin(pinned_at=T0)]), production=Lockfile())
    with pytest.raises(MissingPinError):
        doc.promote("canary", "production", **{**KEY, "region": "eu-west-1"}, now=T1, forced_reason=None)
    with pytest.raises(ConfigError) as err:
        doc.promote("canary", "prod", **KEY, now=T1, forced_reason=None)
    assert err.value.fields == ("--to",)
    with pytest.raises(ConfigError) as err:
        doc.promote("pilot", "production", **KEY, now=T1, forced_reason=None)
    assert err.value.fields == ("--from",)
    with pytest.raises(ConfigError) as err:
        doc.promote("canary", "canary", **KEY, now=T1, forced_reason=None)
    assert err.value.fields == ("--to",)
    with pytest.raises(ConfigError) as err:
        doc.promote("canary", "production", **KEY, now="tomorrow", forced_reason=None)
    assert err.value.fields == ("now",)
    with pytest.raises(ConfigError, match="brctl pins migrate"):
        LockDocument.loads(Lockfile([make_pin()]).dumps()).promote(
            "canary", "production", **KEY, now=T1, forced_reason=None
        )


def test_pin_timestamps_are_validated() -> None:
    with pytest.raises(ConfigError) as err:
        make_pin(pinned_at="2026-01-01")
    assert err.value.fields == ("pinned_at",)
    with pytest.raises(ConfigError) as err:
        Promotion(from_channel="x y", at="soon", forced_reason="")
    assert err.value.fields == ("promoted.from", "promoted.at", "promoted.forced_reason")
    assert parse_utc(T1).isoformat() == "2026-01-05T00:00:00+00:00"
    with pytest.raises(ConfigError, match="ISO-8601"):
        parse_utc("2026-01-05", "pinned_at")


def test_v1_rollback_keeps_pinned_at_absent() -> None:
    lock = Lockfile([make_pin()]).with_pin(make_pin(n=1))
    rolled = lock.rollback(**KEY)
    assert rolled.get(**KEY).pinned_at is None
    assert "pinned_at" not in rolled.dumps()
    assert replace(make_pin(), pinned_at=T0).to_dict()["pinned_at"] == T0
