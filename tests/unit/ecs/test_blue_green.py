"""Blue/green ECS capacity over the shared lifecycle (``constructs_br.bluegreen``): a slot exists exactly when its
phase names it; every transition, with a per-slot change on the incoming slot, leaves the staying slot's resources
byte-identical under the same logical IDs; weights follow ``bluegreen.weight``; a retiring slot is deletable."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

from constructs_br.bluegreen import (
    SLOTS,
    PairSpec,
    Phase,
    incoming_slot,
    outgoing_slot,
    serving_slot,
    slots_present,
    transitions,
    weight,
)
from constructs_br.ecs import BlueGreenEcsCapacity, ClusterCapacityProviders, EcsCapacitySpec
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec
from tests.unit.ecs.helpers import (
    AMIS,
    NEW_AMI,
    VERSION,
    base_stack,
    of_type,
    one,
    refreshed,
    slot_resources,
    slots_in,
    strategy,
    synth,
)

BASE = EcsCapacitySpec(
    image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m6i.large",), min_size=1, max_size=4
)
OLD_AMI = AMIS[("aws-ecs-2", "x86_64")]

# The change a cutover carries, put on one slot only (the other slot is the base spec).
CHANGES: Mapping[str, Mapping[str, Any]] = {
    "instance-types": {"instance_types": ("m7i.xlarge",)},
    "image-version": {"image_version": VERSION},  # the refreshed lockfile's previous pin
}


def _pair(phase: Phase, *, change: str | None = None, on: str = "green", retire: bool = False) -> PairSpec[Any]:
    override = dict(CHANGES[change]) if change else {}
    return PairSpec(
        name="general",
        base=BASE,
        phase=phase,
        retire_outgoing=retire,
        blue=override if on == "blue" else {},
        green=override if on == "green" else {},
    )


def _build(pair: PairSpec[Any]) -> dict[str, Any]:
    def build(stack: Stack, vpc: ec2.IVpc, cluster: ecs.Cluster) -> None:
        capacity = BlueGreenEcsCapacity(
            stack, "General", cluster=cluster, vpc=vpc, pair=pair, lockfile=refreshed(), stage="pilot"
        )
        ClusterCapacityProviders(stack, "CapacityProviders", cluster=cluster, items=capacity.strategy)

    return synth(build)


@cache
def _template(phase: Phase, change: str | None = None, on: str = "green", retire: bool = False) -> dict[str, Any]:
    return _build(_pair(phase, change=change, on=on, retire=retire))


def _changed_slot(before: Phase, after: Phase) -> str:
    """The slot carrying the cutover's change: the incoming slot of the transition's two-slot phase."""
    incoming = incoming_slot(before) or incoming_slot(after)
    assert incoming is not None
    return incoming


# --- the phase walk --------------------------------------------------------------------------------------------


def test_transitions_cover_the_forward_walk_and_both_rollbacks() -> None:
    assert set(transitions()) == {
        (Phase.BLUE, Phase.BLUE_GREEN),
        (Phase.BLUE_GREEN, Phase.GREEN),
        (Phase.GREEN, Phase.GREEN_BLUE),
        (Phase.GREEN_BLUE, Phase.BLUE),
        (Phase.BLUE_GREEN, Phase.BLUE),
        (Phase.GREEN_BLUE, Phase.GREEN),
    }


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize(("before", "after"), transitions(), ids=[f"{a}->{b}" for a, b in transitions()])
def test_every_transition_leaves_the_staying_slot_byte_identical(before: Phase, after: Phase, change: str) -> None:
    on = _changed_slot(before, after)
    old, new = _template(before, change, on), _template(after, change, on)
    assert slots_in(old) == set(slots_present(before))
    assert slots_in(new) == set(slots_present(after))
    (staying,) = set(slots_present(before)) & set(slots_present(after))
    kept, now = slot_resources(old, staying), slot_resources(new, staying)
    for cfn_type in ("AWS::EC2::LaunchTemplate", "AWS::AutoScaling::AutoScalingGroup", "AWS::ECS::CapacityProvider"):
        one(kept, cfn_type)  # the staying slot has its launch template, ASG and provider ...
    assert sorted(kept) == sorted(now)  # ... under the same logical IDs ...
    assert kept == now  # ... byte-identical (user data, image, instance types, sizes, tags)
    for slot in set(SLOTS) - set(slots_present(after)):
        assert not slot_resources(new, slot)  # the slot the phase drops is gone, every resource of it


@pytest.mark.parametrize("phase", [Phase.BLUE_GREEN, Phase.GREEN_BLUE])
def test_the_change_lands_on_the_incoming_slot_only(phase: Phase) -> None:
    incoming, outgoing = incoming_slot(phase), outgoing_slot(phase)
    assert incoming is not None
    assert outgoing is not None
    types = _template(phase, "instance-types", incoming)
    images = _template(phase, "image-version", incoming)

    def overrides(template: dict[str, Any], slot: str) -> list[str]:
        _, asg = one(slot_resources(template, slot), "AWS::AutoScaling::AutoScalingGroup")
        return [o["InstanceType"] for o in asg["Properties"]["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]]

    def image_id(template: dict[str, Any], slot: str) -> str:
        _, lt = one(slot_resources(template, slot), "AWS::EC2::LaunchTemplate")
        return str(lt["Properties"]["LaunchTemplateData"]["ImageId"])

    assert (overrides(types, outgoing), overrides(types, incoming)) == (["m6i.large"], ["m7i.xlarge"])
    assert (image_id(images, outgoing), image_id(images, incoming)) == (NEW_AMI, OLD_AMI)
    # The slot without the change is the same in both: the base spec, whatever the other slot carries.
    assert slot_resources(types, outgoing) == slot_resources(images, outgoing)


# --- weights -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", list(Phase))
def test_default_strategy_weights_follow_the_phase(phase: Phase) -> None:
    template = _template(phase)
    providers = {
        slot: one(slot_resources(template, slot), "AWS::ECS::CapacityProvider")[0] for slot in slots_in(template)
    }
    associated, default = strategy(template)
    assert sorted(associated) == sorted(providers.values())  # every existing slot is associated with the cluster
    assert default == {providers[serving_slot(phase)]: 1}  # only the serving slot takes new tasks ...
    for slot, provider in providers.items():
        assert default.get(provider, 0) == weight(phase, slot)  # ... outgoing weight 0 = not in the default strategy


@pytest.mark.parametrize("phase", list(Phase))
def test_strategy_items_carry_the_shared_weights(phase: Phase) -> None:
    stack, vpc, cluster = base_stack()
    capacity = BlueGreenEcsCapacity(stack, "General", cluster=cluster, vpc=vpc, pair=_pair(phase), lockfile=refreshed())
    assert list(capacity.slots) == list(slots_present(phase))
    assert [item.weight for item in capacity.strategy] == [weight(phase, slot) for slot in slots_present(phase)]
    assert [item.capacity_provider for item in capacity.strategy] == [
        capacity.slots[slot].capacity_provider_name for slot in slots_present(phase)
    ]


# --- retiring the outgoing slot ----------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", [Phase.BLUE_GREEN, Phase.GREEN_BLUE])
def test_retiring_slot_is_deletable_and_the_incoming_slot_untouched(phase: Phase) -> None:
    outgoing, incoming = outgoing_slot(phase), incoming_slot(phase)
    assert outgoing is not None
    assert incoming is not None
    normal, retiring = _template(phase), _template(phase, retire=True)

    _, asg = one(slot_resources(retiring, outgoing), "AWS::AutoScaling::AutoScalingGroup")
    assert (asg["Properties"]["MinSize"], asg["Properties"]["MaxSize"]) == ("0", "0")
    assert asg["Properties"].get("NewInstancesProtectedFromScaleIn") is not True
    assert asg["UpdatePolicy"]["AutoScalingRollingUpdate"]["MinInstancesInService"] == 0
    _, cp = one(slot_resources(retiring, outgoing), "AWS::ECS::CapacityProvider")
    assert cp["Properties"]["AutoScalingGroupProvider"]["ManagedTerminationProtection"] == "DISABLED"

    # The same slot before retiring: protected, at its spec's sizes (so the assertions above can fail).
    _, live_asg = one(slot_resources(normal, outgoing), "AWS::AutoScaling::AutoScalingGroup")
    assert (live_asg["Properties"]["MinSize"], live_asg["Properties"]["MaxSize"]) == ("1", "4")
    assert live_asg["Properties"]["NewInstancesProtectedFromScaleIn"] is True
    _, live_cp = one(slot_resources(normal, outgoing), "AWS::ECS::CapacityProvider")
    assert live_cp["Properties"]["AutoScalingGroupProvider"]["ManagedTerminationProtection"] == "ENABLED"

    # Retiring changes the outgoing slot only, in place: same logical IDs, the launch template not rolled.
    assert sorted(slot_resources(retiring, outgoing)) == sorted(slot_resources(normal, outgoing))
    assert one(slot_resources(retiring, outgoing), "AWS::EC2::LaunchTemplate") == one(
        slot_resources(normal, outgoing), "AWS::EC2::LaunchTemplate"
    )
    assert slot_resources(retiring, incoming) == slot_resources(normal, incoming)
    assert strategy(retiring) == strategy(normal)


@pytest.mark.parametrize("phase", [Phase.BLUE, Phase.GREEN])
def test_retire_in_a_single_slot_phase_is_a_config_error(phase: Phase) -> None:
    with pytest.raises(ConfigError, match=r"pairs\.general\.retire_outgoing"):
        _pair(phase, retire=True)


# --- the capacity floor ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "overrides", "field"),
    [
        (Phase.BLUE, {"blue": {"min_size": 0}}, "pairs.general.blue.min_size"),
        (Phase.GREEN_BLUE, {"blue": {"min_size": 0}}, "pairs.general.blue.min_size"),
        (Phase.BLUE_GREEN, {"blue": {"min_size": 2}}, "pairs.general.green.min_size"),
    ],
    ids=["live-slot-min-0", "incoming-slot-min-0", "incoming-below-outgoing"],
)
def test_pair_without_capacity_for_new_tasks_is_refused_before_any_child(
    phase: Phase, overrides: dict[str, Any], field: str
) -> None:
    pair = PairSpec(name="general", base=BASE, phase=phase, **overrides)
    stack, vpc, cluster = base_stack()
    with pytest.raises(ConfigError) as err:
        BlueGreenEcsCapacity(stack, "General", cluster=cluster, vpc=vpc, pair=pair, lockfile=refreshed())
    assert field in err.value.fields
    general = stack.node.find_child("General")
    assert general.node.children == []  # validated before any slot was built


def test_outgoing_slot_at_min_0_keeps_no_creation_policy() -> None:
    template = _build(PairSpec(name="general", base=BASE, phase=Phase.BLUE_GREEN, blue={"min_size": 0}))
    _, blue_asg = one(slot_resources(template, "blue"), "AWS::AutoScaling::AutoScalingGroup")
    _, green_asg = one(slot_resources(template, "green"), "AWS::AutoScaling::AutoScalingGroup")
    assert "CreationPolicy" not in blue_asg  # nothing to signal at min 0
    assert green_asg["CreationPolicy"]["ResourceSignal"]["Count"] == 1
    assert len(of_type(template, "AWS::ECS::CapacityProvider")) == 2
