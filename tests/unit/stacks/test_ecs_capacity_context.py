"""ECS capacity phase and slot pins from CDK context (``br:<stage>:capacity:<pair>:...``), like EKS pairs.

The runbook on the real app: pin blue to what it runs, refresh the lockfile, move the phase to ``blue+green``:
Green appears, the default strategy takes both, and Blue is byte-identical to the default app's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Annotations, Match, Template

from constructs_br.ecs import Phase
from constructs_br.errors import ConfigError
from constructs_br.images import Lockfile, Pin
from stacks.app import ROOT, build_app, cdk_json_context
from stacks.config import load_config
from tests.conftest import synth_with

KEY = "br:pilot:capacity:general:"
WARNING_ID = "constructs-br:same-image-both-slots"
NEW_VERSION = "1.51.0-fedcba98"
NEW_AMI = "ami-0ec5000000000b0f1"


def _of_type(template: Mapping[str, Any], cfn_type: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def _slot(template: Mapping[str, Any], slot: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if k.startswith(f"General{slot}")}


def _strategy(template: Mapping[str, Any]) -> dict[str, int]:
    (assoc,) = _of_type(template, "AWS::ECS::ClusterCapacityProviderAssociations").values()
    return {s["CapacityProvider"]["Ref"]: s["Weight"] for s in assoc["Properties"]["DefaultCapacityProviderStrategy"]}


def _image_id(template: Mapping[str, Any], slot: str) -> str:
    (lt,) = _of_type({"Resources": _slot(template, slot)}, "AWS::EC2::LaunchTemplate").values()
    image_id: str = lt["Properties"]["LaunchTemplateData"]["ImageId"]
    return image_id


# --- config: the keys, their validation -------------------------------------------------------------------------


def test_default_is_phase_blue_with_no_green() -> None:
    (general,) = load_config({}).stage("pilot").capacity.ecs
    assert general.phase is Phase.BLUE
    assert general.green is None


def test_phase_from_context_creates_the_incoming_slot_as_a_copy_of_the_other() -> None:
    stage = load_config({KEY + "phase": "blue+green", KEY + "green:image-version": NEW_VERSION}).stage("pilot")
    (general,) = stage.capacity.ecs
    assert general.phase is Phase.BLUE_GREEN
    assert general.blue is not None
    assert general.green is not None
    assert general.blue.image_version is None
    assert general.green.image_version == NEW_VERSION
    assert general.green.instance_types == general.blue.instance_types
    assert general.green.min_size == general.blue.min_size
    assert load_config({KEY + "phase": "blue+green"}).stage("canary").capacity.ecs[0].phase is Phase.BLUE


def test_phase_green_keeps_the_code_configured_blue_as_a_standby() -> None:
    (general,) = load_config({KEY + "phase": "green"}).stage("pilot").capacity.ecs
    assert general.blue is not None
    assert general.green is not None
    assert (general.weight("blue"), general.weight("green")) == (0, 1)


def test_slot_pin_from_context_and_empty_clears_it() -> None:
    (pinned,) = load_config({KEY + "blue:image-version": "1.50.0-00000000"}).stage("pilot").capacity.ecs
    assert pinned.blue is not None
    assert pinned.blue.image_version == "1.50.0-00000000"
    (cleared,) = load_config({KEY + "blue:image-version": ""}).stage("pilot").capacity.ecs
    assert cleared.blue is not None
    assert cleared.blue.image_version is None


def test_pin_for_a_slot_absent_in_the_phase_waits_for_it() -> None:
    (general,) = load_config({KEY + "green:image-version": NEW_VERSION}).stage("pilot").capacity.ecs
    assert general.green is None  # phase blue: no green yet, the pin applies once a phase makes green live


@pytest.mark.parametrize(
    ("context", "field", "allowed"),
    [
        ({KEY + "phase": "purple"}, KEY + "phase", "blue | blue+green | green | green+blue"),
        ({"br:pilot:capacity:gpu:phase": "blue"}, "br:pilot:capacity:gpu:phase", "capacity pairs: general"),
        ({KEY + "colour": "blue"}, KEY + "colour", KEY + "phase | " + KEY + "blue:image-version"),
        ({KEY + "green:image-version": "1.51.0"}, KEY + "green:image-version", "X.Y.Z-<8 hex commit>"),
    ],
)
def test_bad_keys_are_named_with_what_is_allowed(context: dict[str, str], field: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(context)
    assert field in exc.value.fields
    assert allowed in str(exc.value)


def test_all_bad_keys_are_reported_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({KEY + "phase": "purple", "br:pilot:capacity:nope:phase": "blue", KEY + "blue:image-version": "x"})
    assert set(exc.value.fields) == {KEY + "phase", "br:pilot:capacity:nope:phase", KEY + "blue:image-version"}


# --- synth: the real app ------------------------------------------------------------------------------------------


def _refreshed_lockfile(tmp_path: Path) -> tuple[Path, str, str]:
    """The committed lockfile after ``brctl pins refresh`` of us-west-2 aws-ecs-2/x86_64 (old pin → previous)."""
    lock = Lockfile.load(ROOT / "bottlerocket.lock.json")
    old = lock.get("us-west-2", "aws-ecs-2", "x86_64")
    new = Pin(
        region=old.region,
        variant=old.variant,
        arch=old.arch,
        image_id=NEW_AMI,
        image_version=NEW_VERSION,
        ssm_path="/aws/service/bottlerocket/aws-ecs-2/x86_64/1.51.0/image_id",
        resolved_at="2026-02-01T00:00:00Z",
    )
    path = tmp_path / "refreshed.lock.json"
    lock.with_pin(new).save(path)
    return path, old.image_version, old.image_id


def test_runbook_blue_green_from_context_leaves_blue_byte_identical(
    tmp_path: Path, templates: Mapping[str, Any]
) -> None:
    lock, old_version, old_ami = _refreshed_lockfile(tmp_path)
    overrides = {"br:lockfile": str(lock), KEY + "blue:image-version": old_version, KEY + "phase": "blue+green"}
    new = synth_with(overrides, tmp_path / "cdk.out")
    before, after = templates["BrPilotEcs"], new["BrPilotEcs"]
    # Green is created on the new pin; the default strategy shifts to both live slots.
    (blue_cp,) = _of_type(before, "AWS::ECS::CapacityProvider")
    green_cps = [k for k in _of_type(after, "AWS::ECS::CapacityProvider") if k.startswith("GeneralGreen")]
    assert len(green_cps) == 1
    assert _strategy(before) == {blue_cp: 1}
    assert _strategy(after) == {blue_cp: 1, green_cps[0]: 1}
    assert _image_id(after, "Green") == NEW_AMI
    # Blue: same logical IDs, byte-identical properties (launch template user data and ImageId included).
    assert _image_id(after, "Blue") == old_ami
    assert _slot(before, "Blue") == _slot(after, "Blue")
    # Nothing else moves: every other stack is unchanged.
    assert {name for name, t in new.items() if t != templates[name]} == {"BrPilotEcs"}


def test_phase_alone_creates_green_keeps_blue_and_warns_same_image(
    tmp_path: Path, templates: Mapping[str, Any], assembly: Any
) -> None:
    # Committed lockfile (no previous pin) + only the phase key: both slots follow the current pin.
    app = build_app({**cdk_json_context(), KEY + "phase": "blue+green"}, outdir=str(tmp_path))
    stack = app.node.find_child("BrPilotEcs")
    assert isinstance(stack, Stack)
    before, after = templates["BrPilotEcs"], Template.from_stack(stack).to_json()
    (blue_cp,) = _of_type(before, "AWS::ECS::CapacityProvider")
    (green_cp,) = (k for k in _of_type(after, "AWS::ECS::CapacityProvider") if k.startswith("GeneralGreen"))
    assert _strategy(after) == {blue_cp: 1, green_cp: 1}
    assert _slot(before, "Blue") == _slot(after, "Blue")  # logical IDs and user data byte-identical
    # ... and a warning: the cutover would change nothing.
    annotations = Annotations.from_stack(stack)
    annotations.has_warning("/BrPilotEcs/General", Match.string_like_regexp(re.escape(WARNING_ID)))
    (message,) = annotations.find_warning("*", Match.string_like_regexp(re.escape(WARNING_ID)))
    assert "phase blue+green" in str(message.entry.data)
    assert "1.50.0-00000000" in str(message.entry.data)
    # The default app (every EKS and ECS pair in phase blue) carries no such warning, in any stack.
    default_messages = [str(m.entry.data) for s in assembly.stacks for m in s.messages]
    assert not [m for m in default_messages if WARNING_ID in m]


def test_a_slot_version_the_lockfile_does_not_record_fails_synth(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"capacity\.general\.blue\.image_version") as exc:
        synth_with({KEY + "blue:image-version": "1.49.0-00000000"}, tmp_path)
    assert "current or previous pin for us-west-2 aws-ecs-2/x86_64: 1.50.0-00000000" in str(exc.value)
