"""ECS container instances offer the awsfirelens logging driver (FireLens sidecars, issue 14)."""

from __future__ import annotations

import pytest

from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec
from constructs_br.settings import parse

IMAGE = ImageSpec(variant="aws-ecs-2", arch="x86_64")


def test_default_drivers_add_awsfirelens_to_bottlerocket_defaults() -> None:
    spec = EcsCapacitySpec(image=IMAGE, instance_types=("m7i.large",))
    assert spec.logging_drivers == ("json-file", "awslogs", "none", "awsfirelens")


def test_the_drivers_reach_the_user_data() -> None:
    from constructs_br.ecs import EcsCapacity
    from tests.unit.ecs.helpers import base_stack, lockfile

    stack, vpc, cluster = base_stack()
    spec = EcsCapacitySpec(image=IMAGE, instance_types=("m7i.large",), logging_drivers=("awslogs", "awsfirelens"))
    cap = EcsCapacity(stack, "Cap", cluster=cluster, vpc=vpc, spec=spec, lockfile=lockfile(), fleet="general")
    settings = parse(cap.user_data)
    assert settings.ecs is not None
    assert settings.ecs.logging_drivers == ("awslogs", "awsfirelens")


@pytest.mark.parametrize("drivers", [(), ("awslogs", "syslogd")])
def test_unknown_or_no_drivers_are_named(drivers: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as exc:
        EcsCapacitySpec(image=IMAGE, instance_types=("m7i.large",), logging_drivers=drivers)
    assert exc.value.fields == ("capacity.logging_drivers",)
