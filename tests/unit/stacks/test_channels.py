"""Channels per stage: ``br:<stage>:channel`` picks the lockfile channel a stage's pins come from (default: the stage's
name), and the committed lockfile is version 2 with one channel per stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_br.errors import ConfigError
from constructs_br.images import LockDocument, Pin
from stacks.app import ROOT, cdk_json_context, lockfile_path
from stacks.config import load_config
from tests.conftest import synth_with

NEW_AMI = "ami-0aaaaaaaaaaaaaaa1"


def test_each_stage_reads_the_channel_of_its_name_by_default() -> None:
    assert [s.channel for s in load_config({}).stages] == ["pilot", "canary", "production"]


def test_the_channel_comes_from_context() -> None:
    assert load_config({"br:production:channel": "canary"}).stage("production").channel == "canary"


@pytest.mark.parametrize("value", ["Canary", "1st", "a" * 33, "no_underscores"])
def test_a_bad_channel_name_is_a_named_error(value: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({"br:canary:channel": value})
    (problem,) = exc.value.problems
    assert problem.field == "br:canary:channel"
    assert problem.value == value
    assert "lowercase letter" in problem.allowed


def test_the_committed_lockfile_has_a_channel_per_stage_with_the_same_example_pins() -> None:
    path = lockfile_path(cdk_json_context())
    assert json.loads(path.read_text())["version"] == 2
    doc = LockDocument.load(path)
    assert doc.channel_names == ("canary", "pilot", "production")
    assert doc.note is not None
    assert "EXAMPLE PINS" in doc.note

    def images(channel: str) -> set[tuple[str, str, str, str, str, bool]]:
        return {
            (p.region, p.variant, p.arch, p.image_id, p.image_version, p.example) for p in doc.channel(channel).pins()
        }

    assert images("pilot") == images("canary") == images("production")
    assert all(example for *_, example in images("pilot"))


def _with_canary_pin(tmp_path: Path) -> Path:
    """The committed lockfile with a new us-east-1 aws-ecs-2/x86_64 pin in the canary channel only."""
    doc = LockDocument.load(ROOT / "bottlerocket.lock.json")
    canary = doc.channel("canary")
    old = canary.get("us-east-1", "aws-ecs-2", "x86_64")
    new = Pin(
        region=old.region,
        variant=old.variant,
        arch=old.arch,
        image_id=NEW_AMI,
        image_version="1.51.0-00000000",
        ssm_path=old.ssm_path,
        resolved_at="2026-12-01T00:00:00Z",
        pinned_at="2026-12-01T00:00:00Z",
        example=True,
    )
    path = tmp_path / "channels.lock.json"
    doc.with_channel("canary", canary.with_pin(new)).save(path)
    return path


def _ecs_images(template: Any) -> set[str]:
    return {
        r["Properties"]["LaunchTemplateData"]["ImageId"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::LaunchTemplate"
    }


def test_a_stage_runs_its_own_channel(tmp_path: Path) -> None:
    """canary and production share us-east-1: a pin promoted to canary only reaches canary's templates — and
    production's once it reads the canary channel."""
    path = _with_canary_pin(tmp_path)
    both = {"br:lockfile": str(path), "br:stages": "canary,production"}  # the stages in us-east-1
    templates = synth_with(both, tmp_path / "a")
    assert _ecs_images(templates["BrCanaryEcs"]) == {NEW_AMI}
    assert NEW_AMI not in _ecs_images(templates["BrProductionEcs"])
    moved = synth_with({**both, "br:production:channel": "canary"}, tmp_path / "b")
    assert _ecs_images(moved["BrProductionEcs"]) == {NEW_AMI}


def test_an_unknown_channel_names_the_stage_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        synth_with({"br:pilot:channel": "nightly", "br:stages": "pilot"}, tmp_path)
    (problem,) = exc.value.problems
    assert problem.field == "br:pilot:channel"
    assert problem.value == "nightly"
    assert "canary | pilot | production" in problem.allowed
