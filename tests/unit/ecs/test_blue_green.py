"""Blue/green capacity: weights shift per phase; the slot that stays is byte-identical across a phase change."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

from constructs_br.ecs import BlueGreenEcsCapacity, BlueGreenSpec, ClusterCapacityProviders, EcsCapacitySpec, Phase
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec
from tests.unit.ecs.helpers import AMIS, lockfile, of_type, synth

BLUE = EcsCapacitySpec(image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m6i.large",))
GREEN = EcsCapacitySpec(image=ImageSpec(variant="aws-ecs-3", arch="x86_64"), instance_types=("m7i.large",))


def _pair_template(phase: Phase, blue: EcsCapacitySpec | None = BLUE, green: EcsCapacitySpec | None = GREEN) -> Any:
    spec = BlueGreenSpec(name="general", phase=phase, blue=blue, green=green)

    def build(stack: Stack, vpc: ec2.IVpc, cluster: ecs.Cluster) -> None:
        pair = BlueGreenEcsCapacity(
            stack, "General", cluster=cluster, vpc=vpc, spec=spec, lockfile=lockfile(), stage="pilot"
        )
        ClusterCapacityProviders(stack, "CapacityProviders", cluster=cluster, items=pair.strategy)

    return synth(build)


def _slot_resources(template: dict[str, Any], slot: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if k.startswith(f"General{slot}")}


def _strategy(template: dict[str, Any]) -> dict[str, int]:
    (assoc,) = of_type(template, "AWS::ECS::ClusterCapacityProviderAssociations").values()
    return {s["CapacityProvider"]["Ref"]: s["Weight"] for s in assoc["Properties"]["DefaultCapacityProviderStrategy"]}


@pytest.fixture(scope="module")
def phases() -> dict[Phase, Any]:
    return {
        Phase.BLUE: _pair_template(Phase.BLUE, green=None),
        Phase.BLUE_GREEN: _pair_template(Phase.BLUE_GREEN),
        Phase.GREEN: _pair_template(Phase.GREEN, blue=None),
    }


def test_weights_shift_per_phase(phases: dict[Phase, Any]) -> None:
    providers = {p: set(of_type(t, "AWS::ECS::CapacityProvider")) for p, t in phases.items()}
    (blue_cp,) = providers[Phase.BLUE]
    (green_cp,) = providers[Phase.GREEN]
    assert blue_cp.startswith("GeneralBlue")
    assert green_cp.startswith("GeneralGreen")
    assert _strategy(phases[Phase.BLUE]) == {blue_cp: 1}
    assert _strategy(phases[Phase.BLUE_GREEN]) == {blue_cp: 1, green_cp: 1}
    assert _strategy(phases[Phase.GREEN]) == {green_cp: 1}


@pytest.mark.parametrize(
    ("before", "after", "staying"),
    [(Phase.BLUE, Phase.BLUE_GREEN, "Blue"), (Phase.BLUE_GREEN, Phase.GREEN, "Green")],
)
def test_phase_change_never_touches_the_slot_that_stays(
    phases: dict[Phase, Any], before: Phase, after: Phase, staying: str
) -> None:
    old, new = _slot_resources(phases[before], staying), _slot_resources(phases[after], staying)
    assert old  # the slot exists in both phases ...
    assert old == new  # ... with the same logical IDs and byte-identical properties (user data included)
    (lt,) = of_type({"Resources": new}, "AWS::EC2::LaunchTemplate").values()
    image = AMIS[("aws-ecs-2" if staying == "Blue" else "aws-ecs-3", "x86_64")]
    assert lt["Properties"]["LaunchTemplateData"]["ImageId"] == image


def test_standby_slot_gets_weight_zero_and_stays_associated() -> None:
    template = _pair_template(Phase.GREEN, blue=EcsCapacitySpec(**{**_kw(BLUE), "min_size": 0}))
    (assoc,) = of_type(template, "AWS::ECS::ClusterCapacityProviderAssociations").values()
    assert len(assoc["Properties"]["CapacityProviders"]) == 2
    assert len(assoc["Properties"]["DefaultCapacityProviderStrategy"]) == 1
    (blue_asg,) = of_type(
        {"Resources": _slot_resources(template, "Blue")}, "AWS::AutoScaling::AutoScalingGroup"
    ).values()
    assert "CreationPolicy" not in blue_asg  # nothing to signal at min 0


def test_shift_below_the_live_minimum_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"capacity\.general\.green\.min_size"):
        BlueGreenSpec(
            name="general",
            phase=Phase.BLUE_GREEN,
            blue=EcsCapacitySpec(**{**_kw(BLUE), "min_size": 2, "max_size": 4}),
            green=GREEN,
        )


def _kw(spec: EcsCapacitySpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in spec.__dataclass_fields__}
