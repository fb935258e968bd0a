"""``brctl pins outdated``: each pin against the newest published image (versions and days behind), on a moto server
seeded with dated Bottlerocket releases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import REGIONS, Moto, Run
from tests.cli.conftest_fleet import day, seed_dated_release

WEST, EU = REGIONS
K8S, ECS = "aws-k8s-1.33", "aws-ecs-2"
V1 = "1.50.0-abcdef12"
V2 = "1.52.1-0123abcd"
V1_PATCH = "1.50.2-00aa11bb"


def pin(brctl: Run, variant: str, arch: str, region: str = WEST) -> None:
    code, _, err = brctl("pins", "refresh", "--region", region, "--variant", variant, "--arch", arch)
    assert code == 0, err


def outdated(brctl: Run, *argv: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = brctl("pins", "outdated", "--json", *argv)
    return code, json.loads(out), err


def only(doc: dict[str, Any]) -> dict[str, Any]:
    (result,) = doc["results"]
    assert isinstance(result, dict)
    return result


def test_current_pin_exits_0(moto: Moto, brctl: Run) -> None:
    image = seed_dated_release(moto, WEST, K8S, "x86_64", V1, day("2026-01-01"))
    pin(brctl, K8S, "x86_64")

    code, doc, err = outdated(brctl)

    assert code == 0, err
    r = only(doc)
    assert (r["status"], r["days_behind"], r["versions_behind"]) == ("current", 0, None)
    assert r["pinned"]["image_id"] == r["latest"]["image_id"] == image
    assert r["channel"] == "pilot"  # refresh writes the first channel
    assert (doc["ok"], doc["max_age_days"]) == (True, 30)


def test_newer_release_beyond_max_age_is_too_old(moto: Moto, brctl: Run) -> None:
    old = seed_dated_release(moto, WEST, K8S, "arm64", V1, day("2026-01-01"))
    pin(brctl, K8S, "arm64")
    new = seed_dated_release(moto, WEST, K8S, "arm64", V2, day("2026-03-01"))

    code, doc, err = outdated(brctl)

    assert code == 1
    r = only(doc)
    assert r["status"] == "too-old"
    assert (r["pinned"]["image_id"], r["latest"]["image_id"]) == (old, new)
    assert (r["pinned"]["image_version"], r["latest"]["image_version"]) == (V1, V2)
    assert r["versions_behind"] == {"level": "minor", "count": 2}
    assert r["days_behind"] == 59
    assert r["pinned"]["created"].startswith("2026-01-01")
    assert r["latest"]["created"].startswith("2026-03-01")
    assert "brctl pins refresh --region us-west-2 --variant aws-k8s-1.33 --arch arm64" in r["reasons"][0]
    assert err == ""  # --json: the document is the report

    code, _, err = brctl("pins", "outdated")
    assert code == 1
    assert "brctl: error: channel pilot: us-west-2 aws-k8s-1.33/arm64: too-old: 59 days behind" in err

    code, doc, _ = outdated(brctl, "--max-age-days", "60")
    assert code == 0
    assert only(doc)["status"] == "behind"


def test_patch_release_within_max_age_is_behind(moto: Moto, brctl: Run) -> None:
    seed_dated_release(moto, WEST, ECS, "x86_64", V1, day("2026-01-01"))
    pin(brctl, ECS, "x86_64")
    seed_dated_release(moto, WEST, ECS, "x86_64", V1_PATCH, day("2026-01-11"))

    code, doc, err = outdated(brctl)

    assert code == 0, err
    r = only(doc)
    assert (r["status"], r["days_behind"], r["versions_behind"]) == ("behind", 10, {"level": "patch", "count": 2})

    code, doc, _ = outdated(brctl, "--max-age-days", "9")
    assert code == 1
    assert only(doc)["status"] == "too-old"


def test_deregistered_pin_is_gone(moto: Moto, brctl: Run) -> None:
    old = seed_dated_release(moto, WEST, K8S, "x86_64", V1, day("2026-01-01"))
    pin(brctl, K8S, "x86_64")
    seed_dated_release(moto, WEST, K8S, "x86_64", V1_PATCH, day("2026-01-05"))
    moto.deregister_image(WEST, old)

    code, doc, _ = outdated(brctl)

    assert code == 1
    r = only(doc)
    assert (r["status"], r["days_behind"]) == ("gone", None)
    assert r["latest"]["image_version"] == V1_PATCH
    assert f"pinned image {old} no longer exists" in r["reasons"][0]


def test_missing_latest_parameter_is_unknown(moto: Moto, brctl: Run) -> None:
    seed_dated_release(moto, WEST, K8S, "x86_64", V1, day("2026-01-01"))
    pin(brctl, K8S, "x86_64")
    for leaf in ("image_id", "image_version"):
        moto.delete_parameter(WEST, f"/aws/service/bottlerocket/{K8S}/x86_64/latest/{leaf}")

    code, doc, _ = outdated(brctl)

    assert code == 1
    r = only(doc)
    assert r["status"] == "unknown"
    assert "latest/image_id: parameter not found" in r["reasons"][0]


def test_example_pins_are_always_reported_as_examples(moto: Moto, brctl: Run, lockfile: Path) -> None:
    seed_dated_release(moto, WEST, K8S, "x86_64", V1, day("2026-01-01"))
    pin(brctl, K8S, "x86_64")
    doc = json.loads(lockfile.read_text())
    doc["channels"]["pilot"]["regions"][WEST][f"{K8S}/x86_64"]["example"] = True
    lockfile.write_text(json.dumps(doc))

    code, out, _ = outdated(brctl)

    assert code == 1  # the image is the newest, but an example pin refuses to deploy: the watch fails until refreshed
    r = only(out)
    assert (r["status"], r["example"], r["days_behind"]) == ("example", True, 0)
    assert r["reasons"][0].startswith("example pin")


def test_every_region_variant_and_arch_with_a_table(moto: Moto, brctl: Run) -> None:
    seed_dated_release(moto, WEST, K8S, "x86_64", V1, day("2026-01-01"))
    seed_dated_release(moto, EU, K8S, "x86_64", V1, day("2026-01-01"))
    seed_dated_release(moto, EU, ECS, "arm64", V1, day("2026-01-02"))
    pin(brctl, K8S, "x86_64", WEST)
    pin(brctl, K8S, "x86_64", EU)
    pin(brctl, ECS, "arm64", EU)
    seed_dated_release(moto, EU, K8S, "x86_64", V2, day("2026-01-20"))  # EU k8s behind 19 days; the rest current

    code, doc, err = outdated(brctl)

    assert code == 0, err
    got = [(r["region"], r["variant"], r["arch"], r["status"], r["days_behind"]) for r in doc["results"]]
    assert got == [
        (EU, ECS, "arm64", "current", 0),
        (EU, K8S, "x86_64", "behind", 19),
        (WEST, K8S, "x86_64", "current", 0),
    ]

    code, out, _ = brctl("pins", "outdated")
    assert code == 0
    for text in ("versions behind", "days behind", "2 minor", "current", V2):
        assert text in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--max-age-days", "-1"), "--max-age-days: got -1"),
        (("--max-age-days", "soon"), "invalid int value"),
    ],
)
def test_usage_errors_exit_2(moto: Moto, brctl: Run, argv: tuple[str, ...], message: str) -> None:
    seed_dated_release(moto, WEST, K8S, "x86_64", V1, day("2026-01-01"))
    pin(brctl, K8S, "x86_64")
    code, _, err = brctl("pins", "outdated", *argv)
    assert code == 2
    assert message in err


def test_missing_lockfile_exit_2(brctl: Run) -> None:
    code, _, err = brctl("pins", "outdated")
    assert code == 2
    assert "lockfile" in err


def test_registering_pins_does_not_import_outdated(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from constructs_br.cli.main import build_parser\n"
        "build_parser(['pins'])\n"
        "print('constructs_br.cli.outdated' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_every_channel_is_checked(moto: Moto, brctl: Run) -> None:
    seed_dated_release(moto, WEST, K8S, "x86_64", V1, day("2026-01-01"))
    pin(brctl, K8S, "x86_64")
    reason = ("--reason", "outdated test: promote without a fleet")
    code, _, err = brctl("pins", "promote", "--from", "pilot", "--to", "canary", "--force", *reason)
    assert code == 0, err
    seed_dated_release(moto, WEST, K8S, "x86_64", V2, day("2026-01-03"))
    pin(brctl, K8S, "x86_64")  # pilot moves on; canary keeps V1

    code, doc, err = outdated(brctl)

    assert code == 0, err
    got = [(r["channel"], r["pinned"]["image_version"], r["status"]) for r in doc["results"]]
    assert got == [("pilot", V2, "current"), ("canary", V1, "behind")]
    code, out, _ = brctl("pins", "outdated")
    assert code == 0
    assert "channel" in out
    assert "canary" in out
