"""Lockfile model: format, determinism, validation, pin history and rollback, and the committed file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import DEFAULT_LOCKFILE, LockDocument, Lockfile, MissingPinError, Pin

REPO = Path(__file__).resolve().parents[3]


def make_pin(region: str = "us-west-2", variant: str = "aws-k8s-1.33", arch: str = "x86_64", n: int = 0) -> Pin:
    return Pin(
        region=region,
        variant=variant,
        arch=arch,
        image_id=f"ami-0{n:016x}",
        image_version=f"1.{50 + n}.0-abcdef{n:02x}",
        ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id",
        resolved_at=f"2026-01-{n + 1:02d}T00:00:00Z",
    )


def test_dumps_is_sorted_deterministic_and_round_trips() -> None:
    a = Lockfile([make_pin("us-west-2"), make_pin("eu-west-1", "aws-ecs-2", "arm64", 1)])
    b = Lockfile([make_pin("eu-west-1", "aws-ecs-2", "arm64", 1), make_pin("us-west-2")])
    text = a.dumps()
    assert text == b.dumps()
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert list(data["regions"]) == ["eu-west-1", "us-west-2"]
    assert '\n  "regions": {\n    "eu-west-1": {\n      "aws-ecs-2/arm64": {\n' in text
    assert Lockfile.loads(text) == a


def test_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_LOCKFILE
    lock = Lockfile([make_pin()], note="hello")
    lock.save(path)
    assert Lockfile.load(path) == lock
    assert Lockfile.load(path).note == "hello"
    assert not (tmp_path / (DEFAULT_LOCKFILE + ".tmp")).exists()


def test_missing_pin_names_region_variant_arch_and_command() -> None:
    lock = Lockfile([make_pin("us-west-2")])
    with pytest.raises(MissingPinError) as err:
        lock.get("eu-west-1", "aws-k8s-1.33", "arm64")
    message = str(err.value)
    assert "region eu-west-1" in message
    assert "variant aws-k8s-1.33" in message
    assert "arch arm64" in message
    assert "brctl pins refresh --region eu-west-1 --variant aws-k8s-1.33 --arch arm64" in message
    assert isinstance(err.value, ConfigError)
    assert lock.find("eu-west-1", "aws-k8s-1.33", "arm64") is None


def test_with_pin_keeps_previous_and_ignores_same_image() -> None:
    first = make_pin(n=0)
    second = make_pin(n=1)
    lock = Lockfile.empty().with_pin(first)
    assert lock.with_pin(replace(first, resolved_at="2027-01-01T00:00:00Z")) is lock  # same image: no churn
    lock2 = lock.with_pin(second)
    current = lock2.get("us-west-2", "aws-k8s-1.33", "x86_64")
    assert current.image_id == second.image_id
    assert current.previous == first.as_previous()
    assert lock.get("us-west-2", "aws-k8s-1.33", "x86_64") == first  # immutable


def test_rollback_swaps_and_rolls_forward() -> None:
    lock = Lockfile.empty().with_pin(make_pin(n=0)).with_pin(make_pin(n=1))
    back = lock.rollback("us-west-2", "aws-k8s-1.33", "x86_64")
    pin = back.get("us-west-2", "aws-k8s-1.33", "x86_64")
    assert pin.image_id == make_pin(n=0).image_id
    assert pin.resolved_at == make_pin(n=0).resolved_at
    assert pin.previous is not None
    assert pin.previous.image_id == make_pin(n=1).image_id
    forward = back.rollback("us-west-2", "aws-k8s-1.33", "x86_64")
    assert forward.get("us-west-2", "aws-k8s-1.33", "x86_64").image_id == make_pin(n=1).image_id


def test_rollback_without_previous() -> None:
    lock = Lockfile([make_pin()])
    with pytest.raises(ConfigError, match="previous"):
        lock.rollback("us-west-2", "aws-k8s-1.33", "x86_64")
    with pytest.raises(MissingPinError):
        lock.rollback("eu-west-1", "aws-k8s-1.33", "x86_64")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"image_id": "ami-xyz"}, "image_id"),
        ({"image_version": "1.50.0"}, "image_version"),
        ({"region": "Mars"}, "region"),
        ({"variant": "aws-ecs-1"}, "variant"),
        ({"arch": "aarch64"}, "arch"),
        ({"resolved_at": "2026-01-01 00:00"}, "resolved_at"),
        ({"ssm_path": "/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id"}, "ssm_path"),
        ({"ssm_path": "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_version"}, "ssm_path"),
    ],
)
def test_pin_validation(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        replace(make_pin(), **change)
    assert field in err.value.fields


def test_load_collects_every_problem_with_its_path() -> None:
    data = json.loads(Lockfile([make_pin(), make_pin("eu-west-1")]).dumps())
    data["regions"]["us-west-2"]["aws-k8s-1.33/x86_64"]["image_version"] = "1.50.0"
    data["regions"]["eu-west-1"]["aws-k8s-1.33/x86_64"]["image_id"] = "ami-nope"
    data["regions"]["eu-west-1"]["aws-k8s-1.99/x86_64"] = data["regions"]["us-west-2"]["aws-k8s-1.33/x86_64"]
    with pytest.raises(ConfigError) as err:
        Lockfile.loads(json.dumps(data))
    fields = err.value.fields
    assert "bottlerocket.lock.json: regions.us-west-2.aws-k8s-1.33/x86_64.image_version" in fields
    assert "bottlerocket.lock.json: regions.eu-west-1.aws-k8s-1.33/x86_64.image_id" in fields
    assert "bottlerocket.lock.json: regions.eu-west-1.aws-k8s-1.99/x86_64.variant" in fields


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("not json", "invalid JSON"),
        ("[]", "got .a JSON array.; allowed: a UTF-8 JSON object"),
        ('{"version": 2, "regions": {}}', "version"),
        ('{"version": 1, "regions": {}, "extra": 1}', "keys"),
        ('{"version": 1, "regions": {"us-west-2": {"aws-k8s-1.33": {}}}}', "<variant>/<arch>"),
    ],
)
def test_malformed_files(text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Lockfile.loads(text)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="brctl pins refresh"):
        Lockfile.load(tmp_path / "nope.json")
    assert len(Lockfile.load_or_empty(tmp_path / "nope.json")) == 0


@pytest.mark.parametrize("channel", ["pilot", "canary", "production"])
def test_committed_lockfile_is_valid_and_covers_the_stages(channel: str) -> None:
    path = REPO / DEFAULT_LOCKFILE
    doc = LockDocument.load(path)  # version 1 (every stage reads one set) or version 2 (a channel per stage)
    assert path.read_text() == doc.dumps(), "lockfile is not in canonical form; rewrite it with LockDocument.save"
    lock = doc.channel(channel)
    assert lock.note is not None
    assert "brctl pins refresh" in lock.note
    assert "brctl pins verify" in lock.note
    for region in ("us-west-2", "us-east-1", "eu-west-1"):
        for variant, arch in [
            ("aws-k8s-1.33", "x86_64"),
            ("aws-k8s-1.33", "arm64"),
            ("aws-ecs-2", "x86_64"),
            ("aws-ecs-2", "arm64"),
        ]:
            pin = lock.get(region, variant, arch)
            assert pin.image_version.startswith("1.50.0-")
    assert len({p.image_id for p in lock.pins()}) == len(lock.pins())  # each region, each image: its own AMI
