"""An adopted blue slot is never in a template: for every phase of an adopted EKS pair and ECS capacity pair, the
whole synthesized app (every stack of the cloud assembly) has no ``Resources`` entry naming the adopted group; only
the Bottlerocket ``Green`` slot is built, byte-identical to a plain pair's green; the group's name is recorded as
plain-text outputs; ECS names the adopted provider in the cluster association only while its phase has it."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from aws_cdk import App

from constructs_br.bluegreen import RETIRE, PairSpec, Phase
from constructs_br.ecs import BlueGreenEcsCapacity, ClusterCapacityProviders, EcsCapacitySpec
from constructs_br.eks import BlueGreenNodeGroupPair, NodeGroupSpec
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec
from tests.unit.ecs import helpers as ecs_helpers
from tests.unit.eks.helpers import br_cluster_stack, lockfile

NODEGROUP = "legacy-al2023-workers"
ASG = "legacy-ubuntu-asg"
PROVIDER = "legacy-al2-provider"
PHASES = [p.value for p in Phase] + [RETIRE]
EKS_BASE = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), min_size=2, desired_size=2, max_size=4)
ECS_BASE = EcsCapacitySpec(
    image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m6i.large",), min_size=1, max_size=4
)
EXPECTED_STATE = {
    "blue": "serving",
    "blue+green": "outgoing",
    "green": "standby",
    "green+blue": "serving",
    "retire": "retired",
}


def _templates(app: App) -> dict[str, dict[str, Any]]:
    return {s.stack_name: dict(s.template) for s in app.synth().stacks}


@cache
def eks_app(phase: str, adopt: str | None) -> dict[str, dict[str, Any]]:
    stack, cluster, key = br_cluster_stack()
    pair = PairSpec(name="general", base=EKS_BASE, phase=phase, adopt=adopt)  # type: ignore[arg-type]
    BlueGreenNodeGroupPair(
        stack, "General", cluster=cluster, pair=pair, lockfile=lockfile(), stage="pilot", volume_key=key
    )
    root = stack.node.root
    assert isinstance(root, App)
    return _templates(root)


@cache
def ecs_app(phase: str, adopt: str | None) -> dict[str, dict[str, Any]]:
    app = App()
    stack, vpc, cluster = ecs_helpers.base_stack(app)
    pair = PairSpec(name="general", base=ECS_BASE, phase=phase, adopt=adopt)  # type: ignore[arg-type]
    capacity = BlueGreenEcsCapacity(
        stack, "General", cluster=cluster, vpc=vpc, pair=pair, lockfile=ecs_helpers.refreshed(), stage="pilot"
    )
    ClusterCapacityProviders(stack, "CapacityProviders", cluster=cluster, items=capacity.strategy)
    return _templates(app)


def _slot(template: dict[str, Any], slot: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if k.startswith(f"General{slot.capitalize()}")}


def _outputs(template: dict[str, Any]) -> dict[str, str]:
    """The adopted-group outputs by construct id (logical IDs end in a path hash)."""
    out = {}
    for key, value in template.get("Outputs", {}).items():
        for cid in ("GeneralAdoptedBlueState", "GeneralAdoptedBlue"):
            if key.startswith(cid):
                out[cid] = value["Value"]
                break
    return out


CASES = [("eks", f"nodegroup/{NODEGROUP}"), ("eks", f"asg/{ASG}"), ("ecs", f"capacity-provider/{PROVIDER}")]


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize(("kind", "adopt"), CASES, ids=str)
def test_the_adopted_group_is_in_no_resource_of_any_template(kind: str, adopt: str, phase: str) -> None:
    name = adopt.split("/", 1)[1]
    templates = (eks_app if kind == "eks" else ecs_app)(phase, adopt)
    assert templates
    for stack_name, template in templates.items():
        resources = json.dumps(template.get("Resources", {}))
        if kind == "ecs" and phase in ("blue", "blue+green", "green+blue"):
            # The one exception: the cluster association names the provider (an association, not a resource).
            (assoc,) = (
                r
                for r in template["Resources"].values()
                if r["Type"] == "AWS::ECS::ClusterCapacityProviderAssociations"
            )
            assert name in assoc["Properties"]["CapacityProviders"]
            others = {k: v for k, v in template["Resources"].items() if v is not assoc}
            resources = json.dumps(others)
        assert name not in resources, stack_name
        assert _slot(template, "blue") == {}, "the adopted blue is never built"
    (template,) = templates.values()
    assert _outputs(template) == {"GeneralAdoptedBlue": adopt, "GeneralAdoptedBlueState": EXPECTED_STATE[phase]}


@pytest.mark.parametrize("phase", ["blue+green", "green", "green+blue"])
@pytest.mark.parametrize("kind", ["eks", "ecs"])
def test_green_is_the_plain_pairs_green(kind: str, phase: str) -> None:
    build = eks_app if kind == "eks" else ecs_app
    adopt = CASES[0][1] if kind == "eks" else CASES[2][1]
    (adopted,) = build(phase, adopt).values()
    (plain,) = build(phase, None).values()
    green, plain_green = (json.loads(json.dumps(_slot(t, "green"))) for t in (adopted, plain))  # cached: copy
    assert green
    if kind == "eks":  # the plain pair's outgoing green waits on its blue; no blue to wait on here
        for resource in plain_green.values():
            resource.pop("DependsOn", None)
        for resource in green.values():
            resource.pop("DependsOn", None)
    assert json.dumps(green, sort_keys=True) == json.dumps(plain_green, sort_keys=True)


@pytest.mark.parametrize(("kind", "adopt"), CASES, ids=str)
def test_retire_changes_nothing_but_the_recorded_state(kind: str, adopt: str) -> None:
    build = eks_app if kind == "eks" else ecs_app
    (green,) = build("green", adopt).values()
    (retire,) = build(RETIRE, adopt).values()
    assert green["Resources"] == retire["Resources"]
    assert _outputs(green)["GeneralAdoptedBlueState"] == "standby"
    assert _outputs(retire)["GeneralAdoptedBlueState"] == "retired"


def test_blue_phase_builds_no_node_group() -> None:
    (template,) = eks_app("blue", CASES[0][1]).values()
    assert [r for r in template["Resources"].values() if r["Type"] == "AWS::EKS::Nodegroup"] == []


def test_the_outgoing_adopted_slot_is_not_tainted_by_the_template() -> None:
    (template,) = eks_app("blue+green", CASES[0][1]).values()
    (green,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::EKS::Nodegroup"]
    assert "Taints" not in green["Properties"]  # green is incoming; blue's taint goes through the EKS API
    (back,) = [
        r for r in eks_app("green+blue", CASES[0][1])["S"]["Resources"].values() if r["Type"] == "AWS::EKS::Nodegroup"
    ]
    assert {"Key": "constructs-br/cutover", "Value": "outgoing", "Effect": "NO_SCHEDULE"} in back["Properties"][
        "Taints"
    ]


def test_ecs_strategy_follows_the_phase() -> None:
    def assoc(phase: str) -> dict[str, Any]:
        (template,) = ecs_app(phase, CASES[2][1]).values()
        (a,) = (
            r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::ClusterCapacityProviderAssociations"
        )
        return dict(a["Properties"])

    blue = assoc("blue")
    assert blue["CapacityProviders"] == [PROVIDER]
    assert blue["DefaultCapacityProviderStrategy"] == [{"CapacityProvider": PROVIDER, "Weight": 1}]
    shift = assoc("blue+green")
    assert shift["CapacityProviders"][0] == PROVIDER
    assert [s["Weight"] for s in shift["DefaultCapacityProviderStrategy"]] == [1]
    assert shift["DefaultCapacityProviderStrategy"][0]["CapacityProvider"] != PROVIDER
    assert PROVIDER not in json.dumps(assoc("green"))


def test_wrong_kind_for_the_pair_type_names_the_field() -> None:
    stack, cluster, key = br_cluster_stack()
    pair = PairSpec(name="general", base=EKS_BASE, adopt=f"capacity-provider/{PROVIDER}")  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as exc:
        BlueGreenNodeGroupPair(stack, "General", cluster=cluster, pair=pair, lockfile=lockfile(), volume_key=key)
    assert exc.value.fields == ("pairs.general.adopt",)
    assert "EKS pairs adopt a managed node group" in str(exc.value)

    app = App()
    stack2, vpc, ecs_cluster = ecs_helpers.base_stack(app)
    bad = PairSpec(name="general", base=ECS_BASE, adopt=f"nodegroup/{NODEGROUP}")  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as exc:
        BlueGreenEcsCapacity(
            stack2, "General", cluster=ecs_cluster, vpc=vpc, pair=bad, lockfile=ecs_helpers.refreshed()
        )
    assert exc.value.fields == ("pairs.general.adopt",)
    assert "ECS capacity pairs adopt a capacity provider" in str(exc.value)
