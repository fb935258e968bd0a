"""Validation of ECS capacity specs and blue/green pairs: every bad input named, all errors at once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from constructs_br.ecs import LIVE_SLOTS, BlueGreenSpec, EcsCapacitySpec, Phase, has_nvidia_gpu, instance_arch
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec


def spec(variant: str = "aws-ecs-2", arch: str = "x86_64", **kw: Any) -> EcsCapacitySpec:
    kw.setdefault("instance_types", ("m6i.large",))
    return EcsCapacitySpec(image=ImageSpec(variant=variant, arch=arch), **kw)


@pytest.mark.parametrize(
    ("itype", "arch", "gpu"),
    [
        ("m6i.large", "x86_64", False),
        ("m7g.large", "arm64", False),
        ("c7gn.xlarge", "arm64", False),
        ("r8gd.2xlarge", "arm64", False),
        ("t4g.medium", "arm64", False),
        ("im4gn.large", "arm64", False),
        ("a1.large", "arm64", False),
        ("c7i-flex.large", "x86_64", False),
        ("g5.xlarge", "x86_64", True),
        ("g5g.xlarge", "arm64", True),
        ("g4ad.xlarge", "x86_64", False),
        ("p5.48xlarge", "x86_64", True),
        ("gr6.4xlarge", "x86_64", True),
    ],
)
def test_instance_type_facts(itype: str, arch: str, gpu: bool) -> None:
    assert instance_arch(itype) == arch
    assert has_nvidia_gpu(itype) is gpu


@pytest.mark.parametrize(
    ("variant", "arch", "itypes"),
    [
        ("aws-ecs-2", "x86_64", ("m6i.large", "m7i.large")),
        ("aws-ecs-3", "arm64", ("m7g.large",)),
        ("aws-ecs-2-nvidia", "x86_64", ("g5.xlarge",)),
        ("aws-ecs-3-nvidia", "arm64", ("g5g.xlarge",)),
        ("aws-ecs-2-fips", "x86_64", ("c6i.large",)),
        ("aws-ecs-3-nvidia-fips", "x86_64", ("g6.xlarge",)),
    ],
)
def test_valid_specs(variant: str, arch: str, itypes: tuple[str, ...]) -> None:
    assert spec(variant, arch, instance_types=itypes).image.variant == variant


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        spec(
            "aws-ecs-2",
            "arm64",
            instance_types=("m6i.large", "g5g.xlarge", "nonsense"),
            min_size=5,
            max_size=2,
            target_capacity_percent=0,
            instance_warmup_seconds=20000,
            loglevel="verbose",
            image_pull_behavior="never",
        )
    fields = err.value.fields
    assert fields.count("capacity.instance_types") == 3  # m6i is x86_64, g5g is a GPU, nonsense is no type
    for field in (
        "capacity.min_size",
        "capacity.target_capacity_percent",
        "capacity.instance_warmup_seconds",
        "capacity.loglevel",
        "capacity.image_pull_behavior",
    ):
        assert field in fields
    assert "m6i.large is x86_64" in str(err.value)


def test_nvidia_variant_needs_gpu_instances() -> None:
    with pytest.raises(ConfigError, match=r"capacity.instance_types: got 'm6i.large'; allowed: NVIDIA GPU"):
        spec("aws-ecs-2-nvidia", instance_types=("m6i.large",))


@pytest.mark.parametrize("variant", ["aws-ecs-1", "aws-ecs-1-nvidia"])
def test_retired_aws_ecs_1_is_refused(variant: str) -> None:
    with pytest.raises(ConfigError, match="aws-ecs-1 is retired"):
        spec(variant)


def test_kubernetes_variant_is_refused() -> None:
    with pytest.raises(ConfigError, match=re.escape("capacity.image.variant: got 'aws-k8s-1.33'")):
        spec("aws-k8s-1.33")


def test_min_equal_max_leaves_no_room_for_a_rolling_update() -> None:
    with pytest.raises(ConfigError, match=re.escape("capacity.max_size: got 2; allowed: > min_size")):
        spec(min_size=2, max_size=2)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"on_demand_base_capacity": 1}, "capacity.on_demand_base_capacity"),
        ({"spot_percentage": 101}, "capacity.spot_percentage"),
        ({"max_batch_size": 4, "min_size": 1, "max_size": 3}, "capacity.max_batch_size"),
        ({"signal_timeout_minutes": 0}, "capacity.signal_timeout_minutes"),
        ({"instance_types": ()}, "capacity.instance_types"),
        ({"instance_types": ("m6i.large", "m6i.large")}, "capacity.instance_types"),
    ],
)
def test_single_field_problems(kw: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        spec(**kw)
    assert field in err.value.fields


# --- blue/green ---------------------------------------------------------------------------------------------


def test_weights_follow_the_phase() -> None:
    pair = BlueGreenSpec(name="general", phase=Phase.BLUE_GREEN, blue=spec(), green=spec())
    assert (pair.weight("blue"), pair.weight("green")) == (1, 1)
    assert LIVE_SLOTS[Phase.GREEN] == ("green",)
    green = BlueGreenSpec(name="general", phase="green", blue=spec(min_size=0), green=spec())  # type: ignore[arg-type]
    assert (green.weight("blue"), green.weight("green")) == (0, 1)


def test_live_slot_must_exist_and_have_capacity() -> None:
    with pytest.raises(ConfigError) as err:
        BlueGreenSpec(name="general", phase=Phase.BLUE_GREEN, blue=spec(min_size=0), green=None)
    assert set(err.value.fields) == {"capacity.general.blue.min_size", "capacity.general.green"}


def test_incoming_slot_keeps_the_capacity_floor() -> None:
    with pytest.raises(ConfigError, match=re.escape("capacity.general.green.min_size: got 1; allowed: >= blue")):
        BlueGreenSpec(
            name="general",
            phase=Phase.BLUE_GREEN,
            blue=spec(min_size=3, max_size=6),
            green=spec(min_size=1),
        )


@pytest.mark.parametrize(("name", "phase"), [("General", "blue"), ("general", "purple")])
def test_pair_name_and_phase(name: str, phase: str) -> None:
    with pytest.raises(ConfigError):
        BlueGreenSpec(name=name, phase=phase, blue=spec())  # type: ignore[arg-type]
