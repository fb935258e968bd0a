"""``brctl pins promote`` / ``migrate`` and per-channel refresh / rollback / show, against the moto server.

Promotion rules: the image must still exist (refused even with ``--force``), the pin must have soaked in the source
channel (``[tool.brctl] soak``, from its recorded ``pinned_at``), and the source stage must run it (``brctl drift``
clean); ``--force`` needs ``--reason``, which the lockfile keeps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from constructs_br import tags
from constructs_br.images.lockfile import LockDocument, Lockfile, Pin, parse_utc, utc_now
from tests.cli.conftest import REGIONS, Moto, Run

WEST, EU = REGIONS
V1 = "1.50.0-abcdef12"
V2 = "1.51.0-0123abcd"
K8S = "aws-ecs-2"
KEY = f"{K8S}/x86_64"
REASON = "CVE-2026-0001 fix, pilot fleet is empty this week"
REPO = Path(__file__).resolve().parents[2]

TABLE = """\
[tool.brctl]
stages = ["pilot", "canary", "production"]
soak = { pilot = "24h", canary = "72h" }
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "app" / "pyproject.toml"
    path.parent.mkdir()
    path.write_text(TABLE, encoding="utf-8")
    return path


@pytest.fixture
def run(brctl: Run, project: Path) -> Run:
    """brctl with this test's lockfile and ``[tool.brctl]`` table."""

    def call(*argv: str) -> tuple[int, str, str]:
        return brctl(*argv, "--project", str(project))

    return call


def refresh(run: Run, region: str = WEST, *extra: str) -> None:
    code, _, err = run("pins", "refresh", "--region", region, "--variant", K8S, "--arch", "x86_64", *extra)
    assert code == 0, err


def backdate(lockfile: Path, channel: str, hours: int, region: str = WEST) -> str:
    """Move a pin's ``pinned_at`` ``hours`` into the past (as if it had entered the channel then)."""
    doc = json.loads(lockfile.read_text())
    then = parse_utc(utc_now()).timestamp() - hours * 3600
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(then, UTC).isoformat().replace("+00:00", "Z")
    doc["channels"][channel]["regions"][region][KEY]["pinned_at"] = stamp
    lockfile.write_text(json.dumps(doc))
    return stamp


def launch(moto: Moto, image_id: str, stage: str, region: str = WEST) -> str:
    tag_list = [
        {"Key": tags.FLEET, "Value": "web"},
        {"Key": tags.VARIANT, "Value": K8S},
        {"Key": tags.STAGE, "Value": stage},
    ]
    resp = moto.client("ec2", region).run_instances(
        ImageId=image_id,
        MinCount=1,
        MaxCount=1,
        InstanceType="m7i.large",
        TagSpecifications=[{"ResourceType": "instance", "Tags": tag_list}],
    )
    return str(resp["Instances"][0]["InstanceId"])


def channel(lockfile: Path, name: str) -> Lockfile:
    return LockDocument.load(lockfile).channel(name)


def promote(run: Run, *extra: str, src: str = "pilot", dst: str = "canary") -> tuple[int, str, str]:
    return run("pins", "promote", "--from", src, "--to", dst, *extra)


# --- the happy path --------------------------------------------------------------------------------------------------
def test_refresh_writes_the_first_channel_only(moto: Moto, run: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    doc = LockDocument.load(lockfile)
    assert doc.channel_names == ("canary", "pilot", "production")
    pin = doc.channel("pilot").get(WEST, K8S, "x86_64")
    assert pin.image_id == image
    assert pin.pinned_at == pin.resolved_at
    assert len(doc.channel("canary")) == 0
    assert len(doc.channel("production")) == 0
    assert json.loads(lockfile.read_text())["version"] == 2


def test_promote_after_soak_with_the_source_stage_running_it(moto: Moto, run: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    backdate(lockfile, "pilot", 25)  # soak for pilot is 24h
    launch(moto, image, "pilot")
    other = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V2, latest=False)
    launch(moto, other, "production")  # another stage's fleet on another image: not pilot's drift

    code, out, err = promote(run, "--json")

    assert code == 0, err
    result = json.loads(out)
    assert (result["ok"], result["written"], result["from"], result["to"], result["stage"]) == (
        True,
        True,
        "pilot",
        "canary",
        "pilot",
    )
    (r,) = result["results"]
    assert [(c["check"], c["status"]) for c in r["checks"]] == [("image", "ok"), ("soak", "ok"), ("drift", "ok")]
    pin = channel(lockfile, "canary").get(WEST, K8S, "x86_64")
    assert pin.image_id == image
    assert pin.promoted is not None
    assert (pin.promoted.from_channel, pin.promoted.forced_reason) == ("pilot", None)
    assert pin.pinned_at == pin.promoted.at
    assert parse_utc(pin.pinned_at) > parse_utc(channel(lockfile, "pilot").get(WEST, K8S, "x86_64").pinned_at or "")
    assert len(channel(lockfile, "production")) == 0

    # Promoting again: the destination already runs it; nothing to check, nothing written.
    before = lockfile.read_bytes()
    code, out, err = promote(run)
    assert code == 0, err
    assert "unchanged" in out
    assert lockfile.read_bytes() == before


def test_promotion_replaces_the_destination_pin_and_rollback_undoes_it(moto: Moto, run: Run, lockfile: Path) -> None:
    old = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    assert promote(run, "--force", "--reason", REASON)[0] == 0
    new = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V2)
    refresh(run)
    assert promote(run, "--force", "--reason", REASON)[0] == 0
    canary = channel(lockfile, "canary").get(WEST, K8S, "x86_64")
    assert canary.image_id == new
    assert canary.previous is not None
    assert canary.previous.image_id == old

    code, _, err = run(
        "pins", "rollback", "--channel", "canary", "--region", WEST, "--variant", K8S, "--arch", "x86_64"
    )

    assert code == 0, err
    assert channel(lockfile, "canary").get(WEST, K8S, "x86_64").image_id == old
    assert channel(lockfile, "pilot").get(WEST, K8S, "x86_64").image_id == new  # other channels untouched


# --- refusals --------------------------------------------------------------------------------------------------------
def test_soak_not_over_is_refused_with_the_time_it_ends(moto: Moto, run: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    backdate(lockfile, "pilot", 2)
    launch(moto, image, "pilot")
    before = lockfile.read_bytes()

    code, out, err = promote(run)

    assert code == 1
    assert f"promote refused: {WEST} {K8S}/x86_64 ({V1}): soak check: in pilot for 2h" in err
    assert "soak for pilot is 1d" in err
    assert "wait until " in err
    assert f"brctl pins promote --from pilot --to canary --region {WEST} --variant {K8S} --arch x86_64" in err
    assert "REFUSED" in out
    assert "nothing written" in err
    assert lockfile.read_bytes() == before


def test_soak_is_per_source_channel_and_missing_soak_is_zero(moto: Moto, run: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    launch(moto, image, "canary")
    launch(moto, image, "production")
    assert promote(run, "--force", "--reason", REASON)[0] == 0
    backdate(lockfile, "canary", 71)  # canary's soak is 72h
    code, _, err = promote(run, src="canary", dst="production")
    assert code == 1
    assert "soak check" in err
    assert "soak for canary is 3d" in err

    (lockfile.parent / "app" / "pyproject.toml").write_text(
        '[tool.brctl]\nstages = ["pilot", "canary", "production"]\nsoak = { pilot = "1h" }\n'
    )
    code, out, err = promote(run, "--json", src="canary", dst="production")
    assert code == 0, err
    (r,) = json.loads(out)["results"]
    assert r["checks"][1] == {"check": "soak", "status": "ok", "detail": "in canary for 2d 23h (soak 0m)", "fix": None}


def test_source_stage_drift_is_refused(moto: Moto, run: Run, lockfile: Path) -> None:
    old = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    stale = launch(moto, old, "pilot")
    new = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V2)
    refresh(run)
    backdate(lockfile, "pilot", 48)
    launch(moto, new, "pilot")

    code, _, err = promote(run)

    assert code == 1
    assert f"drift check: stage pilot drifts in {WEST}: instance {stale}: drift" in err
    assert f"fix: brctl drift --stage pilot --region {WEST}" in err
    assert len(channel(lockfile, "canary")) == 0


def test_no_source_fleet_running_the_pin_is_refused(moto: Moto, run: Run, lockfile: Path) -> None:
    moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    backdate(lockfile, "pilot", 48)

    code, _, err = promote(run)

    assert code == 1
    assert f"drift check: no {K8S}/x86_64 resource of stage pilot in {WEST} runs {V1}" in err
    assert "deploy stage pilot and check with: brctl drift --stage pilot" in err


def test_forced_promotion_skips_soak_and_drift_and_records_the_reason(moto: Moto, run: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)

    code, out, err = promote(run, "--force", "--reason", REASON, "--json")

    assert code == 0, err
    (r,) = json.loads(out)["results"]
    assert [(c["check"], c["status"]) for c in r["checks"]] == [
        ("image", "ok"),
        ("soak", "skipped"),
        ("drift", "skipped"),
    ]
    entry = json.loads(lockfile.read_text())["channels"]["canary"]["regions"][WEST][KEY]
    assert entry["image_id"] == image
    assert entry["promoted"]["forced_reason"] == REASON
    assert entry["promoted"]["from"] == "pilot"


def test_missing_image_is_refused_even_with_force(moto: Moto, run: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    moto.deregister_image(WEST, image)
    before = lockfile.read_bytes()

    code, out, err = promote(run, "--force", "--reason", REASON)

    assert code == 1
    assert f"image check: image {image} does not exist in this region" in err
    assert f"brctl pins refresh --region {WEST} --variant {K8S} --arch x86_64" in err
    assert "refused" in out
    assert lockfile.read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--force",), "--reason: got None; allowed: with --force: at least 3 words"),
        (("--force", "--reason", "hotfix"), "--reason: got 'hotfix'; allowed: with --force"),
        (("--reason", "because we must ship"), "--reason: got 'because we must ship'; allowed: only with --force"),
        (("--variant", "aws-ecs-9"), "--variant: got 'aws-ecs-9'"),
        (("--arch", "aarch64"), "--arch: got 'aarch64'"),
        (("--region", "mars-1"), "--region: got 'mars-1'"),
    ],
)
def test_bad_flags_exit_2(moto: Moto, run: Run, lockfile: Path, argv: tuple[str, ...], message: str) -> None:
    moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    before = lockfile.read_bytes()
    code, _, err = promote(run, *argv)
    assert code == 2
    assert message in err
    assert lockfile.read_bytes() == before


@pytest.mark.parametrize(
    ("src", "dst", "message"),
    [
        ("canary", "pilot", "--to: got 'pilot'; allowed: a channel after canary in [tool.brctl] channels"),
        ("production", "production", "none: production is the last channel"),
        ("pilot", "prod", "--to: got 'prod'; allowed: pilot | canary | production"),
        ("Pilot", "canary", "--from: got 'Pilot'; allowed: a channel name"),
    ],
)
def test_channels_only_move_forward(moto: Moto, run: Run, src: str, dst: str, message: str) -> None:
    moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    code, _, err = promote(run, src=src, dst=dst)
    assert code == 2
    assert message in err


def test_nothing_to_promote_is_a_usage_error(moto: Moto, run: Run) -> None:
    moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    code, _, err = promote(run, "--region", EU)
    assert code == 2
    assert f"--from: got 'pilot'; allowed: a channel with pins to promote ({EU})" in err
    code, _, err = promote(run, src="canary", dst="production")
    assert code == 2
    assert "brctl pins refresh --channel canary" in err


def test_pilot_can_skip_to_production_forward(moto: Moto, run: Run, lockfile: Path) -> None:
    moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    assert promote(run, "--force", "--reason", REASON, dst="production")[0] == 0
    assert len(channel(lockfile, "production")) == 1
    assert len(channel(lockfile, "canary")) == 0


# --- migration -------------------------------------------------------------------------------------------------------
def _v1(lockfile: Path, image: str) -> Lockfile:
    lock = Lockfile(
        [
            Pin(
                region=WEST,
                variant=K8S,
                arch="x86_64",
                image_id=image,
                image_version=V1,
                ssm_path=f"/aws/service/bottlerocket/{K8S}/x86_64/latest/image_id",
                resolved_at="2026-01-01T00:00:00Z",
            )
        ],
        note="old file",
    )
    lock.save(lockfile)
    return lock


def test_promote_migrates_a_v1_file_in_place(moto: Moto, run: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    old = _v1(lockfile, image)
    launch(moto, image, "pilot")

    code, _, err = promote(run)  # resolved_at 2026-01-01 is pinned_at after the migration: soaked

    assert code == 0, err
    assert "migrated" in err
    assert "from lockfile version 1 to version 2" in err
    doc = LockDocument.load(lockfile)
    assert not doc.legacy
    assert doc.note == "old file"
    assert doc.channel("pilot").get(WEST, K8S, "x86_64").pinned_at == "2026-01-01T00:00:00Z"
    assert [(p.image_id, p.resolved_at, p.pinned_at) for p in doc.channel("production").pins()] == [
        (p.image_id, p.resolved_at, p.resolved_at) for p in old.pins()
    ]
    assert doc.channel("canary").get(WEST, K8S, "x86_64").image_id == image


def test_refresh_and_rollback_migrate_a_v1_file(moto: Moto, run: Run, lockfile: Path) -> None:
    first = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    _v1(lockfile, first)
    moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V2)
    code, _, err = run("pins", "refresh", "--region", WEST, "--variant", K8S, "--arch", "x86_64")
    assert code == 0, err
    assert "migrated" in err
    doc = LockDocument.load(lockfile)
    assert doc.channel("pilot").get(WEST, K8S, "x86_64").image_version == V2
    assert doc.channel("canary").get(WEST, K8S, "x86_64").image_version == V1  # the other channels keep v1's pins

    _v1(lockfile, first)
    code, _, err = run("pins", "rollback", "--region", WEST, "--variant", K8S, "--arch", "x86_64")
    assert code == 2  # the migrated pin has no history
    assert "this pin has no history" in err
    assert json.loads(lockfile.read_text())["version"] == 1  # nothing written on error


def test_dry_run_refresh_does_not_migrate(moto: Moto, run: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    _v1(lockfile, image)
    before = lockfile.read_bytes()
    refresh(run, WEST, "--dry-run")
    assert lockfile.read_bytes() == before


def test_migrate_command_on_a_version_1_copy_of_the_committed_lockfile(run: Run, lockfile: Path) -> None:
    committed = REPO / "bottlerocket.lock.json"
    original = committed.read_bytes()
    pins = LockDocument.load(committed).channel("pilot")  # the committed pins, whichever version the file is
    Lockfile(pins.pins(), note=pins.note).save(lockfile)  # ... written as version 1
    assert json.loads(lockfile.read_text())["version"] == 1

    code, _, err = run("pins", "migrate")

    assert code == 0, err
    assert "migrated" in err
    doc = LockDocument.load(lockfile)
    assert doc.channel_names == ("canary", "pilot", "production")
    assert doc.note == pins.note
    for name in doc.channel_names:
        got = doc.channel(name).pins()
        assert [(p.key, p.image_id, p.example) for p in got] == [(p.key, p.image_id, p.example) for p in pins.pins()]
        assert all(p.pinned_at == p.resolved_at for p in got)
    migrated = lockfile.read_bytes()
    assert migrated == doc.dumps().encode()

    code, out, err = run("pins", "migrate", "--json")  # idempotent
    assert code == 0, err
    assert (json.loads(out)["written"], json.loads(out)["migrated"]) == (False, False)
    assert lockfile.read_bytes() == migrated
    assert committed.read_bytes() == original


def test_migrate_adds_a_configured_channel_a_v2_file_lacks(run: Run, lockfile: Path, project: Path) -> None:
    LockDocument().with_channel("pilot", Lockfile()).save(lockfile)
    code, out, err = run("pins", "migrate", "--json")
    assert code == 0, err
    assert json.loads(out)["added_channels"] == ["canary", "production"]
    assert LockDocument.load(lockfile).channel_names == ("canary", "pilot", "production")


def test_migrate_without_a_lockfile_is_a_usage_error(run: Run, lockfile: Path) -> None:
    code, _, err = run("pins", "migrate")
    assert code == 2
    assert f"lockfile: got '{lockfile}'; allowed: an existing lockfile" in err


def test_examples_consumer_lockfile_stays_v1() -> None:
    path = REPO / "examples" / "consumer" / "fleet.lock.json"
    assert json.loads(path.read_text())["version"] == 1
    doc = LockDocument.load(path)
    assert doc.legacy
    assert doc.channel("production") == Lockfile.load(path)


# --- show, verify and drift per channel ------------------------------------------------------------------------------
def test_show_and_verify_cover_every_channel(moto: Moto, run: Run) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    assert promote(run, "--force", "--reason", REASON)[0] == 0

    code, out, _ = run("pins", "show", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["version"] == 2
    assert [(p["channel"], p["image_id"]) for p in doc["pins"]] == [("pilot", image), ("canary", image)]
    assert doc["pins"][1]["promoted"]["forced_reason"] == REASON

    code, out, _ = run("pins", "show", "--channel", "canary")
    assert code == 0
    assert "from pilot, forced: CVE-2026-0001" in out
    assert run("pins", "show", "--channel", "prod")[0] == 2

    code, out, err = run("pins", "verify", "--json")
    assert code == 0, err
    assert [r["channel"] for r in json.loads(out)["results"]] == ["pilot", "canary"]


def test_drift_needs_a_stage_or_channel_on_a_v2_file(moto: Moto, run: Run, lockfile: Path) -> None:
    image = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V1)
    refresh(run)
    launch(moto, image, "pilot")
    old = moto.seed_bottlerocket_release(WEST, K8S, "x86_64", V2, latest=False)
    launch(moto, old, "canary")

    code, _, err = run("drift")
    assert code == 2
    assert "--stage: got None; allowed: --stage S (its channel) or --channel C" in err

    code, out, err = run("drift", "--stage", "pilot", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["channel"] == "pilot"
    assert sorted(f["status"] for f in doc["findings"]) == ["ok", "skipped"]  # the canary instance is canary's

    code, out, _ = run("drift", "--channel", "canary", "--region", WEST, "--json")
    assert code == 1  # canary has no pins yet: its instance cannot be judged
    assert run("drift", "--stage", "pilot", "--channel", "pilot")[0] == 2
    assert run("drift", "--stage", "qa")[0] == 2

    _v1(lockfile, image)
    code, out, err = run("drift", "--json")  # a version 1 file: one set of pins, no option needed
    assert code == 1  # both instances judged against the one set: the canary one drifts
    assert json.loads(out)["channel"] is None
