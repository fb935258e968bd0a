"""ECS capacity pairs from CDK context (``br:<stage>:capacity:<pair>:...``), parsed by the one strict parser that EKS
pairs use too (``constructs_br.bluegreen.apply_pair_context``).

The runbook on the real app: pin blue to what it runs, refresh the lockfile, move the phase to ``blue+green``:
Green appears and takes the default strategy, Blue stays associated at weight 0 and is byte-identical to the default
app's. A per-slot override (instance types, image version) changes that slot only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Annotations, Match, Template

from constructs_br.bluegreen import SAME_IMAGE_WARNING, Phase, SlotRole
from constructs_br.errors import ConfigError
from constructs_br.images import LockDocument, Pin
from stacks.app import ROOT, build_app, cdk_json_context
from stacks.config import load_config
from tests.conftest import synth_with

KEY = "br:pilot:capacity:general:"
NEW_VERSION = "1.51.0-fedcba98"
NEW_AMI = "ami-0ec5000000000b0f1"
WARNING = Match.string_like_regexp(re.escape(SAME_IMAGE_WARNING))


def _of_type(resources: Mapping[str, Any], cfn_type: str) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == cfn_type}


def _slot(template: Mapping[str, Any], slot: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if k.startswith(f"General{slot}")}


def _one(template: Mapping[str, Any], slot: str, cfn_type: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = _of_type(_slot(template, slot), cfn_type).items()
    return logical_id, resource


def _association(template: Mapping[str, Any]) -> tuple[list[str], dict[str, int]]:
    (assoc,) = _of_type(template["Resources"], "AWS::ECS::ClusterCapacityProviderAssociations").values()
    props = assoc["Properties"]
    default = {s["CapacityProvider"]["Ref"]: s["Weight"] for s in props["DefaultCapacityProviderStrategy"]}
    return [p["Ref"] for p in props["CapacityProviders"]], default


def _image_id(template: Mapping[str, Any], slot: str) -> str:
    _, lt = _one(template, slot, "AWS::EC2::LaunchTemplate")
    return str(lt["Properties"]["LaunchTemplateData"]["ImageId"])


def _instance_types(template: Mapping[str, Any], slot: str) -> list[str]:
    _, asg = _one(template, slot, "AWS::AutoScaling::AutoScalingGroup")
    return [o["InstanceType"] for o in asg["Properties"]["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]]


def _general(context: Mapping[str, Any], stage: str = "pilot") -> Any:
    (general,) = load_config(context).stage(stage).capacity
    return general


# --- config: the keys, their validation -------------------------------------------------------------------------


def test_default_is_phase_blue_with_only_blue_and_no_overrides() -> None:
    general = _general({})
    assert general.phase is Phase.BLUE
    assert general.present == ("blue",)
    assert (dict(general.blue), dict(general.green)) == ({}, {})
    assert general.retire_outgoing is False


def test_phase_from_context_creates_the_incoming_slot_from_the_base() -> None:
    general = _general({KEY + "phase": "blue+green"})
    assert general.phase is Phase.BLUE_GREEN
    assert general.present == ("blue", "green")
    assert general.slot_spec("green") == general.slot_spec("blue") == general.base
    assert _general({KEY + "phase": "blue+green"}, "canary").phase is Phase.BLUE  # one stage's keys only


@pytest.mark.parametrize("slot", ["blue", "green"])
def test_instance_types_override_lands_on_one_slot_only(slot: str) -> None:
    general = _general({KEY + "phase": "blue+green", KEY + f"{slot}:instance-types": " m7i.xlarge, m6i.xlarge "})
    other = "green" if slot == "blue" else "blue"
    assert general.slot_spec(slot).instance_types == ("m7i.xlarge", "m6i.xlarge")
    assert general.slot_spec(other) == general.base  # untouched: the base's types, sizes, image
    assert general.base.instance_types == ("m6i.large", "m7i.large")
    assert dict(general.overrides(other)) == {}


@pytest.mark.parametrize("slot", ["blue", "green"])
def test_image_version_override_lands_on_one_slot_only(slot: str) -> None:
    general = _general({KEY + "phase": "green+blue", KEY + f"{slot}:image-version": NEW_VERSION})
    other = "green" if slot == "blue" else "blue"
    assert general.slot_spec(slot).image_version == NEW_VERSION
    assert general.slot_spec(other).image_version is None
    assert general.slot_spec(other) == general.base


def test_both_overrides_of_one_slot_combine() -> None:
    general = _general(
        {KEY + "phase": "blue+green", KEY + "green:instance-types": "m7i.xlarge", KEY + "green:image-version": ""}
    )
    assert dict(general.green) == {"instance_types": ("m7i.xlarge",), "image_version": None}
    assert general.slot_spec("blue") == general.base


def test_empty_image_version_follows_the_current_pin() -> None:
    assert _general({KEY + "blue:image-version": "1.50.0-00000000"}).slot_spec("blue").image_version == (
        "1.50.0-00000000"
    )
    assert _general({KEY + "blue:image-version": ""}).slot_spec("blue").image_version is None


def test_override_for_a_slot_absent_in_the_phase_waits_for_it() -> None:
    general = _general({KEY + "green:image-version": NEW_VERSION})
    assert general.present == ("blue",)  # phase blue: no green yet; the pin applies once a phase brings green in
    assert dict(general.green) == {"image_version": NEW_VERSION}


def test_bad_override_for_an_absent_slot_fails_when_committed() -> None:
    with pytest.raises(ConfigError, match=re.escape("m7g.large is arm64")):
        load_config({KEY + "green:instance-types": "m7g.large"})  # phase blue: green absent, still checked


def test_retire_outgoing_from_context() -> None:
    general = _general({KEY + "phase": "blue+green", KEY + "retire-outgoing": "true"})
    assert general.retire_outgoing is True
    assert (general.role("blue"), general.role("green")) == (SlotRole.RETIRING, SlotRole.INCOMING)
    assert _general({KEY + "phase": "blue+green", KEY + "retire-outgoing": "false"}).role("blue") is SlotRole.OUTGOING


def test_retire_outgoing_in_a_single_slot_phase_is_refused() -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({KEY + "phase": "green", KEY + "retire-outgoing": "true"})
    (problem,) = exc.value.problems
    assert problem.field == KEY + "retire-outgoing"  # the key the user wrote, not the spec field behind it
    assert "single-slot phase" in str(exc.value)


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        (KEY + "phse", "green", KEY + "phase | "),
        ("br:pilot:capacity:gpu:phase", "blue", "a key for one of these pairs: general"),
        ("br:pilot:capacity:gpu:green:instance-types", "g5.xlarge", "a key for one of these pairs: general"),
        (KEY + "colour", "blue", KEY + "blue:image-version"),
        (KEY + "purple:instance-types", "m7i.large", KEY + "green:instance-types"),
        (KEY + "green:instance_types", "m7i.large", KEY + "green:instance-types"),
        (KEY + "phase", "purple", "blue | blue+green | green | green+blue"),
        (KEY + "green:image-version", "1.51.0", "X.Y.Z-<8 hex commit>"),
        (KEY + "green:instance-types", " , ", "one or more comma-separated instance types"),
        (KEY + "retire-outgoing", "yes", "true | false"),
    ],
    ids=[
        "typo-phse",
        "unknown-pair",
        "unknown-pair-slot-key",
        "unknown-key",
        "unknown-slot",
        "underscore-key",
        "bad-phase",
        "short-image-version",
        "empty-instance-types",
        "bad-bool",
    ],
)
def test_bad_keys_are_named_with_what_is_allowed(key: str, value: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({key: value})
    assert exc.value.fields == (key,)
    assert allowed in str(exc.value)


def test_an_override_that_breaks_the_slot_spec_names_the_slot() -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({KEY + "phase": "blue+green", KEY + "green:instance-types": "m7g.large"})  # arm64 on x86_64
    (field,) = exc.value.fields
    assert field in (KEY + "green:instance-types", "stages.pilot.capacity.general.green.instance_types")


def test_eks_pair_keys_are_not_capacity_keys() -> None:
    # The EKS prefix has no retire-outgoing: the same key there is an unknown key of the EKS pair.
    with pytest.raises(ConfigError) as exc:
        load_config({"br:pilot:pair:general:retire-outgoing": "true"})
    assert exc.value.fields == ("br:pilot:pair:general:retire-outgoing",)


def test_all_bad_keys_are_reported_at_once() -> None:
    context = {
        KEY + "phase": "purple",
        KEY + "phse": "green",
        "br:pilot:capacity:nope:phase": "blue",
        KEY + "blue:image-version": "x",
    }
    with pytest.raises(ConfigError) as exc:
        load_config(context)
    assert set(exc.value.fields) == set(context)


# --- synth: the real app ------------------------------------------------------------------------------------------


def _refreshed_lockfile(tmp_path: Path) -> tuple[Path, str, str]:
    """The committed lockfile after ``brctl pins refresh --channel pilot`` of us-west-2 aws-ecs-2/x86_64 (old pin →
    previous)."""
    doc = LockDocument.load(ROOT / "bottlerocket.lock.json")
    lock = doc.channel("pilot")
    old = lock.get("us-west-2", "aws-ecs-2", "x86_64")
    new = Pin(
        region=old.region,
        variant=old.variant,
        arch=old.arch,
        image_id=NEW_AMI,
        image_version=NEW_VERSION,
        ssm_path="/aws/service/bottlerocket/aws-ecs-2/x86_64/1.51.0/image_id",
        resolved_at="2026-02-01T00:00:00Z",
        pinned_at="2026-02-01T00:00:00Z",
    )
    path = tmp_path / "refreshed.lock.json"
    doc.with_channel("pilot", lock.with_pin(new)).save(path)
    return path, old.image_version, old.image_id


def test_runbook_blue_green_from_context_leaves_blue_byte_identical(
    tmp_path: Path, templates: Mapping[str, Any]
) -> None:
    lock, old_version, old_ami = _refreshed_lockfile(tmp_path)
    overrides = {"br:lockfile": str(lock), KEY + "blue:image-version": old_version, KEY + "phase": "blue+green"}
    new = synth_with(overrides, tmp_path / "cdk.out")
    before, after = templates["BrPilotEcs"], new["BrPilotEcs"]
    blue_cp, _ = _one(before, "Blue", "AWS::ECS::CapacityProvider")
    green_cp, _ = _one(after, "Green", "AWS::ECS::CapacityProvider")
    # Green is created on the new pin and takes the default strategy; Blue stays associated at weight 0.
    assert _association(before) == ([blue_cp], {blue_cp: 1})
    assert _association(after) == ([blue_cp, green_cp], {green_cp: 1})
    assert _image_id(after, "Green") == NEW_AMI
    # Blue: same logical IDs, byte-identical properties (launch template user data and ImageId included).
    assert _image_id(after, "Blue") == old_ami
    assert _slot(before, "Blue") == _slot(after, "Blue")
    # Nothing else moves: every other stack is unchanged, except the platform stack's approved-AMI Config rules,
    # which follow the refreshed lockfile (the new pin is approved; the old one stays approved as previous).
    assert {name for name, t in new.items() if t != templates[name]} == {"BrPilotEcs", "BrPilot"}
    old_res, new_res = templates["BrPilot"]["Resources"], new["BrPilot"]["Resources"]
    moved = {k for k in set(old_res) | set(new_res) if old_res.get(k) != new_res.get(k)}
    assert moved
    assert all(new_res[k]["Type"] == "AWS::Config::ConfigRule" for k in moved), moved


def _pilot_ecs(context: Mapping[str, Any], outdir: Path) -> Stack:
    """``BrPilotEcs`` of the app built with ``context`` (pilot only: the other stages' stacks are not read)."""
    app = build_app({**cdk_json_context(), "br:stages": "pilot", **context}, outdir=str(outdir))
    stack = app.node.find_child("BrPilotEcs")
    assert isinstance(stack, Stack)
    return stack


def test_phase_alone_creates_green_keeps_blue_and_warns_same_image(
    tmp_path: Path, templates: Mapping[str, Any], assembly: Any
) -> None:
    # Committed lockfile (no previous pin) + only the phase key: both slots follow the current pin, same spec.
    stack = _pilot_ecs({KEY + "phase": "blue+green"}, tmp_path)
    before, after = templates["BrPilotEcs"], Template.from_stack(stack).to_json()
    assert _slot(before, "Blue") == _slot(after, "Blue")  # logical IDs and user data byte-identical
    assert _slot(after, "Green")
    annotations = Annotations.from_stack(stack)
    annotations.has_warning("/BrPilotEcs/General", WARNING)
    (message,) = annotations.find_warning("*", WARNING)
    assert "phase blue+green" in str(message.entry.data)
    assert "1.50.0-00000000" in str(message.entry.data)
    # The default app (every EKS and ECS pair in phase blue) carries no such warning, in any stack.
    default_messages = [str(m.entry.data) for s in assembly.stacks for m in s.messages]
    assert not [m for m in default_messages if SAME_IMAGE_WARNING in m]


def test_incoming_instance_types_from_context_change_green_only_and_do_not_warn(
    tmp_path: Path, templates: Mapping[str, Any]
) -> None:
    stack = _pilot_ecs({KEY + "phase": "blue+green", KEY + "green:instance-types": "m7i.xlarge,m6i.xlarge"}, tmp_path)
    before, after = templates["BrPilotEcs"], Template.from_stack(stack).to_json()
    assert _instance_types(after, "Green") == ["m7i.xlarge", "m6i.xlarge"]
    assert _instance_types(after, "Blue") == ["m6i.large", "m7i.large"]
    assert _slot(before, "Blue") == _slot(after, "Blue")
    assert _image_id(after, "Blue") == _image_id(after, "Green")  # the same image: only the spec differs ...
    Annotations.from_stack(stack).has_no_warning("*", WARNING)  # ... which is a real cutover: no warning


def test_retire_outgoing_from_context_makes_blue_deletable(tmp_path: Path) -> None:
    stack = _pilot_ecs({KEY + "phase": "blue+green", KEY + "retire-outgoing": "true"}, tmp_path)
    template = Template.from_stack(stack).to_json()
    _, asg = _one(template, "Blue", "AWS::AutoScaling::AutoScalingGroup")
    assert (asg["Properties"]["MinSize"], asg["Properties"]["MaxSize"]) == ("0", "0")
    assert asg["Properties"].get("NewInstancesProtectedFromScaleIn") is not True
    _, cp = _one(template, "Blue", "AWS::ECS::CapacityProvider")
    assert cp["Properties"]["AutoScalingGroupProvider"]["ManagedTerminationProtection"] == "DISABLED"
    _, green_asg = _one(template, "Green", "AWS::AutoScaling::AutoScalingGroup")
    assert (green_asg["Properties"]["MinSize"], green_asg["Properties"]["MaxSize"]) == ("1", "4")
    assert green_asg["Properties"]["NewInstancesProtectedFromScaleIn"] is True


def test_a_slot_version_the_lockfile_does_not_record_fails_synth(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"stages\.pilot\.capacity\.general\.blue\.image_version") as exc:
        synth_with({KEY + "blue:image-version": "1.49.0-00000000"}, tmp_path)
    assert "current or previous pin for us-west-2 aws-ecs-2/x86_64: 1.50.0-00000000" in str(exc.value)
