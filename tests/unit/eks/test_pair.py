"""The blue/green phase walk with per-slot specs.

For every transition of :func:`~constructs_br.bluegreen.transitions`, with a per-slot change (the incoming slot's
instance types; separately, the staying slot pinned to the lockfile's previous image while the other follows the
current one), the slot that stays keeps its logical IDs, a byte-identical launch template and a byte-identical node
group (apart from the cutover taint and its ordering on the incoming slot), so it is neither replaced nor rolled.
Capacity for new work (untainted node groups' minimum) is :func:`~constructs_br.bluegreen.schedulable_min` in
every phase, the outgoing slot keeps its own minimum while it drains, and the slots in the template are
:func:`~constructs_br.bluegreen.slots_present`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from aws_cdk.assertions import Template

from constructs_br.bluegreen import (
    PairSpec,
    Phase,
    apply_pair_context,
    incoming_slot,
    next_phase,
    outgoing_slot,
    schedulable_min,
    slots_present,
    transitions,
)
from constructs_br.eks import CUTOVER_TAINT_KEY, BlueGreenNodeGroupPair, NodeGroupSpec
from constructs_br.errors import ConfigError
from tests.unit.eks.helpers import PREVIOUS, VERSION, br_cluster_stack, lockfile

BASE = NodeGroupSpec(
    arch="x86_64", instance_types=("m7i.large",), min_size=2, desired_size=3, max_size=4, labels={"pool": "general"}
)
NEW_TYPES = ("m8i.large", "m7i.xlarge")
MIN_SIZE = {"blue": 2, "green": 3}  # different per slot, so capacity tells which slot serves
CUTOVER_TAINT = {"Key": CUTOVER_TAINT_KEY, "Value": "outgoing", "Effect": "NO_SCHEDULE"}
Overrides = tuple[tuple[str, str, Any], ...]  # (slot, field, value), hashable for the cache


def two_slot(before: Phase, after: Phase) -> Phase:
    return before if incoming_slot(before) else after


def scenario(kind: str, before: Phase, after: Phase) -> Overrides:
    """The per-slot change of one transition: on the incoming slot, or the staying slot pinned to the previous pin."""
    if kind == "instance-types":
        return (((incoming_slot(two_slot(before, after))), "instance_types", NEW_TYPES),)
    (staying,) = set(slots_present(before)) & set(slots_present(after))
    return ((staying, "image_version", PREVIOUS),)


def pair(phase: Phase, overrides: Overrides = ()) -> PairSpec[NodeGroupSpec]:
    per_slot: dict[str, dict[str, Any]] = {s: {"min_size": MIN_SIZE[s]} for s in ("blue", "green")}
    for slot, field, value in overrides:
        per_slot[slot][field] = value
    return PairSpec(name="general", base=BASE, phase=phase, blue=per_slot["blue"], green=per_slot["green"])


@cache
def build(phase: Phase, overrides: Overrides = ()) -> tuple[dict[str, Any], BlueGreenNodeGroupPair]:
    stack, cluster, key = br_cluster_stack()
    construct = BlueGreenNodeGroupPair(
        stack,
        "General",
        cluster=cluster,
        pair=pair(phase, overrides),
        lockfile=lockfile(),
        stage="production",
        volume_key=key,
    )
    return Template.from_stack(stack).to_json(), construct


def template(phase: Phase, overrides: Overrides = ()) -> dict[str, Any]:
    return build(phase, overrides)[0]


def slot_resources(tpl: dict[str, Any], slot: str) -> dict[str, Any]:
    prefix = f"General{slot.capitalize()}"
    return {k: v for k, v in tpl["Resources"].items() if k.startswith(prefix)}


def nodegroups(tpl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == "AWS::EKS::Nodegroup"}


def by_slot(tpl: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {ng["Properties"]["Tags"]["constructs-br:slot"]: (k, ng) for k, ng in nodegroups(tpl).items()}


def schedulable(tpl: dict[str, Any]) -> int:
    """Minimum nodes that take new pods: node groups without the cutover taint."""
    total = 0
    for ng in nodegroups(tpl).values():
        if CUTOVER_TAINT not in ng["Properties"].get("Taints", []):
            total += ng["Properties"]["ScalingConfig"]["MinSize"]
    return total


def running(tpl: dict[str, Any]) -> int:
    """Minimum nodes of every node group, tainted or not (what keeps running pods)."""
    return sum(ng["Properties"]["ScalingConfig"]["MinSize"] for ng in nodegroups(tpl).values())


def without_cutover(resource: dict[str, Any], other_slot_ids: set[str]) -> dict[str, Any]:
    """A node group minus what a phase change may legitimately add: the cutover taint and the DependsOn on the
    other slot's node group (both updated in place by EKS; neither rolls nodes)."""
    out = json.loads(json.dumps(resource))
    taints = [t for t in out["Properties"].get("Taints", []) if t != CUTOVER_TAINT]
    out["Properties"].pop("Taints", None)
    if taints:
        out["Properties"]["Taints"] = taints
    deps = [d for d in out.get("DependsOn", []) if d not in other_slot_ids]
    out.pop("DependsOn", None)
    if deps:
        out["DependsOn"] = deps
    return out


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


PHASE_KINDS = [(phase, kind) for phase in Phase for kind in ("instance-types", "image-version")]
WALK = [(before, after, kind) for before, after in transitions() for kind in ("instance-types", "image-version")]


def test_transitions_cover_the_walk_and_every_rollback() -> None:
    pairs = {(b.value, a.value) for b, a in transitions()}
    assert pairs == {
        ("blue", "blue+green"),
        ("blue+green", "green"),
        ("green", "green+blue"),
        ("green+blue", "blue"),
        ("blue+green", "blue"),
        ("green+blue", "green"),
    }
    phase, seen = Phase.BLUE, []
    for _ in range(4):
        phase = next_phase(phase)
        seen.append(phase.value)
    assert seen == ["blue+green", "green", "green+blue", "blue"]


@pytest.mark.parametrize("phase", list(Phase), ids=str)
def test_slots_are_the_phases(phase: Phase) -> None:
    tpl, construct = build(phase)
    assert set(by_slot(tpl)) == set(slots_present(phase))
    assert {slot for slot in ("blue", "green") if slot_resources(tpl, slot)} == set(slots_present(phase))
    children = {c.node.id for c in construct.node.children}
    assert children == {"NodeRole", "SecurityGroup"} | {s.capitalize() for s in slots_present(phase)}
    assert set(construct.slots) == set(slots_present(phase))
    ids = set(tpl["Resources"])
    assert any(k.startswith("GeneralNodeRole") for k in ids)
    assert any(k.startswith("GeneralSecurityGroup") for k in ids)
    # one shared role and security group, used by every slot
    assert (
        len(
            [
                k
                for k in ids
                if tpl["Resources"][k]["Type"] == "AWS::EC2::SecurityGroup"
                and "Bottlerocket EKS nodes" in str(tpl["Resources"][k])
            ]
        )
        == 1
    )


@pytest.mark.parametrize(("phase", "kind"), PHASE_KINDS, ids=str)
def test_capacity_for_new_work_is_schedulable_min(phase: Phase, kind: str) -> None:
    for before, after in transitions():
        if phase in (before, after):
            tpl = template(phase, scenario(kind, before, after))
            assert schedulable(tpl) == schedulable_min(phase, MIN_SIZE)


@pytest.mark.parametrize(("before", "after", "kind"), WALK, ids=str)
def test_transition_keeps_the_staying_slot(before: Phase, after: Phase, kind: str) -> None:
    overrides = scenario(kind, before, after)
    old, new = template(before, overrides), template(after, overrides)
    # capacity: on both sides, the new-work capacity is the model's (the serving slot's minimum), and in the step's
    # two-slot phase the outgoing slot keeps its own minimum while its pods drain (nothing is scaled down early)
    assert schedulable(old) == schedulable_min(before, MIN_SIZE)
    assert schedulable(new) == schedulable_min(after, MIN_SIZE)
    both = template(two_slot(before, after), overrides)
    assert running(both) == MIN_SIZE["blue"] + MIN_SIZE["green"]
    assert schedulable(both) == MIN_SIZE[incoming_slot(two_slot(before, after))]  # type: ignore[index]
    staying = set(slots_present(before)) & set(slots_present(after))
    assert len(staying) == 1
    all_ngs = set(nodegroups(old)) | set(nodegroups(new))
    for slot in staying:
        old_res, new_res = slot_resources(old, slot), slot_resources(new, slot)
        assert set(old_res) == set(new_res), f"{slot}: logical IDs changed"
        assert {r["Type"] for r in old_res.values()} == {"AWS::EC2::LaunchTemplate", "AWS::EKS::Nodegroup"}
        others = {k for k in all_ngs if k not in old_res}
        for lid, res in old_res.items():
            if res["Type"] == "AWS::EC2::LaunchTemplate":
                assert dumps(res) == dumps(new_res[lid]), f"{slot}: launch template changed (nodes would roll)"
            else:
                assert dumps(without_cutover(res, others)) == dumps(without_cutover(new_res[lid], others)), (
                    f"{slot}: node group changed beyond the cutover taint"
                )
    # shared resources are untouched
    for lid, res in old["Resources"].items():
        if lid.startswith(("GeneralNodeRole", "GeneralSecurityGroup")):
            assert dumps(new["Resources"][lid]) == dumps(res)


@pytest.mark.parametrize(("before", "after"), transitions(), ids=str)
def test_the_change_lands_on_its_slot_only(before: Phase, after: Phase) -> None:
    """The per-slot change is really in the template (so the identity above is not vacuous)."""
    phase = two_slot(before, after)
    incoming, outgoing = incoming_slot(phase), outgoing_slot(phase)
    types = by_slot(template(phase, scenario("instance-types", before, after)))
    assert types[incoming][1]["Properties"]["InstanceTypes"] == list(NEW_TYPES)
    assert types[outgoing][1]["Properties"]["InstanceTypes"] == ["m7i.large"]
    (staying,) = set(slots_present(before)) & set(slots_present(after))
    (other,) = {incoming, outgoing} - {staying}
    pins = by_slot(template(phase, scenario("image-version", before, after)))
    assert pins[staying][1]["Properties"]["ReleaseVersion"] == PREVIOUS
    assert pins[other][1]["Properties"]["ReleaseVersion"] == VERSION
    assert pins[staying][1]["Properties"]["Tags"]["constructs-br:image-version"] == PREVIOUS


@pytest.mark.parametrize("phase", [Phase.BLUE_GREEN, Phase.GREEN_BLUE], ids=str)
def test_outgoing_slot_is_tainted_after_the_incoming_one_exists(phase: Phase) -> None:
    slots = by_slot(template(phase))
    out_id, out = slots[outgoing_slot(phase)]  # type: ignore[index]
    in_id, inc = slots[incoming_slot(phase)]  # type: ignore[index]
    assert out["Properties"]["Taints"] == [CUTOVER_TAINT]
    assert "Taints" not in inc["Properties"]
    assert in_id in out.get("DependsOn", [])
    assert out_id not in inc.get("DependsOn", [])


@pytest.mark.parametrize("phase", [Phase.BLUE, Phase.GREEN], ids=str)
def test_single_slot_is_untainted(phase: Phase) -> None:
    ((_, ng),) = by_slot(template(phase)).values()
    assert "Taints" not in ng["Properties"]
    assert ng["Properties"]["Labels"] == {"pool": "general"}


def test_slot_tags_and_fleet() -> None:
    for slot, (_, ng) in by_slot(template(Phase.BLUE_GREEN)).items():
        t = ng["Properties"]["Tags"]
        assert (t["constructs-br:slot"], t["constructs-br:fleet"], t["constructs-br:stage"]) == (
            slot,
            "general",
            "production",
        )


def test_spec_taints_are_kept_beside_the_cutover_taint() -> None:
    from constructs_br.eks import Taint

    base = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), taints=(Taint(key="gpu", effect="NO_SCHEDULE"),))
    stack, cluster, _ = br_cluster_stack()
    BlueGreenNodeGroupPair(
        stack, "P", cluster=cluster, pair=PairSpec(name="p", base=base, phase="green+blue"), lockfile=lockfile()
    )
    green = by_slot(Template.from_stack(stack).to_json())["green"][1]
    assert green["Properties"]["Taints"] == [{"Key": "gpu", "Effect": "NO_SCHEDULE"}, CUTOVER_TAINT]


def test_context_keys_override_one_slot() -> None:
    """The config/CLI contract: ``br:<stage>:pair:<pair>:<slot>:instance-types|image-version``."""
    (ctx_pair,) = apply_pair_context(
        (PairSpec(name="general", base=BASE),),
        {
            "br:production:pair:general:phase": "blue+green",
            "br:production:pair:general:green:instance-types": "m8i.large, m7i.xlarge",
            "br:production:pair:general:blue:image-version": PREVIOUS,
        },
        prefix="br:production:pair:",
    )
    stack, cluster, _ = br_cluster_stack()
    BlueGreenNodeGroupPair(stack, "General", cluster=cluster, pair=ctx_pair, lockfile=lockfile())
    slots = by_slot(Template.from_stack(stack).to_json())
    assert slots["green"][1]["Properties"]["InstanceTypes"] == list(NEW_TYPES)
    assert slots["green"][1]["Properties"]["ReleaseVersion"] == VERSION
    assert slots["blue"][1]["Properties"]["InstanceTypes"] == ["m7i.large"]
    assert slots["blue"][1]["Properties"]["ReleaseVersion"] == PREVIOUS


def test_a_bad_slot_override_is_named_before_synth() -> None:
    with pytest.raises(ConfigError) as exc:
        PairSpec(name="general", base=BASE, phase="blue+green", green={"instance_types": ("m7g.large",)})
    assert any(f.endswith("instance_types") for f in exc.value.fields), exc.value.fields
    with pytest.raises(ConfigError) as exc:
        PairSpec(name="general", base=BASE, green={"instance_type": ("m8i.large",)})
    assert "pairs.general.green.instance_type" in exc.value.fields


def test_retire_outgoing_is_refused_for_eks() -> None:
    stack, cluster, _ = br_cluster_stack()
    spec = PairSpec(name="general", base=BASE, phase="blue+green", retire_outgoing=True)
    with pytest.raises(ConfigError) as exc:
        BlueGreenNodeGroupPair(stack, "General", cluster=cluster, pair=spec, lockfile=lockfile())
    assert "pairs.general.retire_outgoing" in exc.value.fields
    assert "ECS" in str(exc.value)
    assert not stack.node.find_child("General").node.children  # refused before any child


def test_slot_image_outside_the_lockfile_is_named() -> None:
    stack, cluster, _ = br_cluster_stack()
    spec = PairSpec(name="general", base=BASE, phase="blue+green", blue={"image_version": "1.40.0-00000000"})
    with pytest.raises(ConfigError, match=r"current or previous.*1\.50\.0-abcdef12 \| 1\.49\.0-12345678"):
        BlueGreenNodeGroupPair(stack, "General", cluster=cluster, pair=spec, lockfile=lockfile())
