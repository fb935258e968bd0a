"""Issue 12 on the construct side: one sizes rule (comparisons name both fields), EC2's user-data limit before
CloudFormation, and the Spot warning for EKS and ECS alike."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Annotations, Match

from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.eks.spec import NodeGroupSpec
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec
from constructs_br.nodes.launch_template import BottlerocketLaunchTemplate
from constructs_br.nodes.options import USER_DATA_LIMIT, size_problems

ECS_IMAGE = ImageSpec(variant="aws-ecs-2", arch="x86_64")


@pytest.mark.parametrize(
    ("kwargs", "field", "hint"),
    [
        ({"min_size": 3, "max_size": 2, "desired_size": 2}, "n.min_size", "min_size 3 > max_size 2"),
        ({"min_size": 1, "max_size": 3, "desired_size": 0}, "n.desired_size", "desired_size 0 < min_size 1"),
        ({"min_size": 1, "max_size": 3, "desired_size": 4}, "n.desired_size", "desired_size 4 > max_size 3"),
    ],
)
def test_size_comparisons_name_both_fields(kwargs: dict[str, int], field: str, hint: str) -> None:
    (problem,) = size_problems("n", **kwargs).items
    assert (problem.field, problem.hint) == (field, hint)


def test_eks_and_ecs_share_the_sizes_rule() -> None:
    with pytest.raises(ConfigError) as eks:
        NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), min_size=3, desired_size=2, max_size=2)
    with pytest.raises(ConfigError) as ecs:
        EcsCapacitySpec(image=ECS_IMAGE, instance_types=("m7i.large",), min_size=3, max_size=2)
    assert [p.hint for p in eks.value.problems] == ["min_size 3 > max_size 2"]
    assert "min_size 3 > max_size 2" in [p.hint for p in ecs.value.problems]


def test_user_data_over_ec2s_limit_fails_synth_not_deploy() -> None:
    stack = Stack(App(), "S", env=Environment(account="123456789012", region="us-west-2"))
    big = "[settings]\n" + "# " + "x" * USER_DATA_LIMIT + "\n"
    with pytest.raises(ConfigError, match=r"launch_template\.user_data: got '\d+ bytes'; allowed: at most 16384"):
        BottlerocketLaunchTemplate(stack, "LaunchTemplate", user_data=big)
    BottlerocketLaunchTemplate(stack, "Small", user_data="[settings]\n")  # within the limit: fine


def test_spot_with_one_instance_type_warns_for_ecs_too() -> None:
    assert EcsCapacitySpec(image=ECS_IMAGE, instance_types=("m7i.large",), spot_percentage=50).warnings()
    assert not EcsCapacitySpec(
        image=ECS_IMAGE, instance_types=("m7i.large", "m6i.large"), spot_percentage=50
    ).warnings()
    assert not EcsCapacitySpec(image=ECS_IMAGE, instance_types=("m7i.large",)).warnings()


def test_the_ecs_spot_warning_reaches_the_synth() -> None:
    from constructs_br.ecs import EcsCapacity
    from tests.unit.ecs.helpers import base_stack, lockfile

    stack, vpc, cluster = base_stack()
    spec = EcsCapacitySpec(image=ECS_IMAGE, instance_types=("m7i.large",), spot_percentage=50)
    EcsCapacity(stack, "Spot", cluster=cluster, vpc=vpc, spec=spec, lockfile=lockfile(), fleet="spot")
    Annotations.from_stack(stack).has_warning("*", Match.string_like_regexp("Spot with one instance type"))
