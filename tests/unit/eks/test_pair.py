"""The blue/green phase walk: for every transition, capacity never drops below the live slot's minimum and the
slot that stays keeps its logical IDs and a byte-identical launch template (so it is neither replaced nor rolled)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from constructs_br.eks import (
    CUTOVER_TAINT_KEY,
    BlueGreenNodeGroupPair,
    NodeGroupSpec,
    Phase,
    live_slot,
    schedulable_min,
    select_slot_image,
    slots_present,
    transitions,
)
from constructs_br.errors import ConfigError
from tests.unit.eks.helpers import AMI, OLD_AMI, PREVIOUS, VERSION, cluster_stack, resolved

SPEC = NodeGroupSpec(variant="aws-k8s-1.33", arch="x86_64", instance_types=("m7i.large",), min_size=2, max_size=4)


@cache
def template(phase: Phase) -> dict[str, Any]:
    stack, cluster, key = cluster_stack()
    image = resolved()
    images = {"blue": select_slot_image(image, PREVIOUS), "green": select_slot_image(image, None)}
    BlueGreenNodeGroupPair(
        stack,
        "General",
        cluster=cluster,
        spec=SPEC,
        phase=phase,
        images=images,
        cluster_version="1.33",
        fleet="general",
        stage="production",
        volume_key=key,
    )
    from aws_cdk.assertions import Template

    return Template.from_stack(stack).to_json()


def slot_resources(tpl: dict[str, Any], slot: str) -> dict[str, Any]:
    prefix = f"General{slot.capitalize()}"
    return {k: v for k, v in tpl["Resources"].items() if k.startswith(prefix)}


def nodegroups(tpl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == "AWS::EKS::Nodegroup"}


def schedulable(tpl: dict[str, Any]) -> int:
    total = 0
    for ng in nodegroups(tpl).values():
        taints = ng["Properties"].get("Taints", [])
        if not any(t["Key"] == CUTOVER_TAINT_KEY and t["Effect"] == "NO_SCHEDULE" for t in taints):
            total += ng["Properties"]["ScalingConfig"]["MinSize"]
    return total


@pytest.mark.parametrize("phase", list(Phase))
def test_phase_shape(phase: Phase) -> None:
    tpl = template(phase)
    present = {k.removeprefix("General").split("NodeGroup")[0].lower() for k in nodegroups(tpl)}
    assert present == set(slots_present(phase))
    ids = set(tpl["Resources"])
    assert any(k.startswith("GeneralNodeRole") for k in ids)
    assert any(k.startswith("GeneralSecurityGroup") for k in ids)


def test_each_slot_has_its_own_pin() -> None:
    tpl = template(Phase.BLUE_GREEN)
    by_slot = {ng["Properties"]["Tags"]["constructs-br:slot"]: ng["Properties"] for ng in nodegroups(tpl).values()}
    assert by_slot["blue"]["ReleaseVersion"] == PREVIOUS
    assert by_slot["green"]["ReleaseVersion"] == VERSION


def test_outgoing_slot_is_tainted_after_the_incoming_one_exists() -> None:
    tpl = template(Phase.BLUE_GREEN)
    ((_, blue),) = [(k, v) for k, v in nodegroups(tpl).items() if k.startswith("GeneralBlue")]
    ((green_id, green),) = [(k, v) for k, v in nodegroups(tpl).items() if k.startswith("GeneralGreen")]
    assert blue["Properties"]["Taints"] == [{"Key": CUTOVER_TAINT_KEY, "Value": "outgoing", "Effect": "NO_SCHEDULE"}]
    assert "Taints" not in green["Properties"]
    assert green_id in blue.get("DependsOn", [])


@pytest.mark.parametrize(("before", "after"), transitions(), ids=str)
def test_transition_invariants(before: Phase, after: Phase) -> None:
    old, new = template(before), template(after)
    live_min = {"blue": SPEC.min_size, "green": SPEC.min_size}[live_slot(before)]
    # 1. capacity: never below the live slot's minimum, in the target phase (and, by the DependsOn above,
    #    the outgoing slot is tainted only once the incoming node group is ACTIVE).
    assert schedulable(new) >= live_min
    assert schedulable_min(after, {"blue": SPEC.min_size, "green": SPEC.min_size}) >= live_min
    # 2. the slot(s) present on both sides keep logical IDs and a byte-identical launch template.
    for slot in set(slots_present(before)) & set(slots_present(after)):
        old_res, new_res = slot_resources(old, slot), slot_resources(new, slot)
        assert set(old_res) == set(new_res), f"{slot}: logical IDs changed"
        for lid, res in old_res.items():
            if res["Type"] == "AWS::EC2::LaunchTemplate":
                assert json.dumps(res, sort_keys=True) == json.dumps(new_res[lid], sort_keys=True)
            if res["Type"] == "AWS::EKS::Nodegroup":
                a = {k: v for k, v in res["Properties"].items() if k != "Taints"}
                b = {k: v for k, v in new_res[lid]["Properties"].items() if k != "Taints"}
                assert a == b, "only the cutover taint may change on a staying node group"
                assert a["LaunchTemplate"] == b["LaunchTemplate"]  # same LT id and version reference
    # shared resources are untouched
    for lid, res in old["Resources"].items():
        if lid.startswith(("GeneralNodeRole", "GeneralSecurityGroup")):
            assert new["Resources"][lid] == res


def test_full_walk_and_back() -> None:
    phase = Phase.BLUE
    seen = [phase]
    from constructs_br.eks import next_phase

    for _ in range(4):
        phase = next_phase(phase)
        seen.append(phase)
    assert [p.value for p in seen] == ["blue", "blue+green", "green", "green+blue", "blue"]


def test_slot_pin_selection() -> None:
    image = resolved()
    assert select_slot_image(image, PREVIOUS).image_id == OLD_AMI["x86_64"]
    assert select_slot_image(image, VERSION).image_id == AMI["x86_64"]
    with pytest.raises(ConfigError, match=r"current or previous.*1\.50\.0-abcdef12 \| 1\.49\.0-12345678"):
        select_slot_image(image, "1.40.0-00000000")


def test_pair_needs_an_image_for_every_present_slot() -> None:
    stack, cluster, _ = cluster_stack()
    with pytest.raises(ConfigError, match=r"nodegroup\.green"):
        BlueGreenNodeGroupPair(
            stack,
            "P",
            cluster=cluster,
            spec=SPEC,
            phase="blue+green",
            images={"blue": resolved()},
            cluster_version="1.33",
            fleet="p",
            stage="pilot",
        )
