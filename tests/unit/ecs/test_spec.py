"""Validation of ECS capacity specs and blue/green capacity pairs: every bad input named, all errors at once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from constructs_br.bluegreen import PairSpec, Phase, SlotRole, weight
from constructs_br.ecs import CapacityPair, EcsCapacitySpec, capacity_pair_problems, has_nvidia_gpu, instance_arch
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


# --- blue/green pairs (PairSpec of EcsCapacitySpec) --------------------------------------------------------


def pair(phase: Phase = Phase.BLUE_GREEN, base: EcsCapacitySpec | None = None, **kw: Any) -> CapacityPair:
    return PairSpec(name="general", base=base or spec(), phase=phase, field_prefix="capacity", **kw)


def test_capacity_pair_is_the_shared_pair_spec() -> None:
    # ==, not `is`: typing caches subscripted generics in a bounded LRU cache, so identity depends on what else the
    # process subscripted before (it failed once a worker had run enough other tests).
    assert CapacityPair == PairSpec[EcsCapacitySpec]
    green = pair(green={"instance_types": ("m7i.xlarge",)})
    assert green.slot_spec("blue") is green.base
    assert green.slot_spec("green").instance_types == ("m7i.xlarge",)
    assert isinstance(green.slot_spec("green"), EcsCapacitySpec)


def test_slot_override_is_validated_as_a_spec() -> None:
    with pytest.raises(ConfigError) as err:
        pair(green={"instance_types": ("m7g.large",)})  # arm64 type on an x86_64 image
    assert "m7g.large is arm64" in str(err.value)


def test_override_of_an_absent_slot_is_validated_when_committed() -> None:
    # Phase blue builds no green, but a bad green override fails now, not at the cutover deploy.
    with pytest.raises(ConfigError, match=re.escape("m7g.large is arm64")):
        pair(Phase.BLUE, green={"instance_types": ("m7g.large",)})
    assert pair(Phase.BLUE, green={"instance_types": ("m7i.xlarge",)}).present == ("blue",)


def test_invalid_slot_override_names_the_pair_and_slot() -> None:
    with pytest.raises(ConfigError) as err:
        pair(green={"instance_types": ("m7g.large",)})
    assert err.value.fields == ("capacity.general.green.instance_types",)


def test_unknown_override_field_is_named() -> None:
    with pytest.raises(ConfigError, match=re.escape("capacity.general.green.instance_type: got 'm7i.large'")) as err:
        pair(green={"instance_type": "m7i.large"})
    assert "a field of EcsCapacitySpec" in str(err.value)
    assert "instance_types" in str(err.value)


@pytest.mark.parametrize("phase", list(Phase))
def test_weights_follow_the_shared_lifecycle(phase: Phase) -> None:
    p = pair(phase)
    weights = {slot: weight(phase, slot) for slot in p.present}
    assert sum(weights.values()) == 1  # exactly one slot takes new tasks
    if p.outgoing is not None:
        assert weights[p.outgoing] == 0
        assert p.incoming is not None
        assert weights[p.incoming] == 1
        assert (p.role(p.outgoing), p.role(p.incoming)) == (SlotRole.OUTGOING, SlotRole.INCOMING)
    else:
        (live,) = p.present
        assert p.role(live) is SlotRole.LIVE


@pytest.mark.parametrize("phase", [Phase.BLUE_GREEN, Phase.GREEN_BLUE])
def test_retire_outgoing_marks_only_the_outgoing_slot(phase: Phase) -> None:
    p = pair(phase, retire_outgoing=True)
    assert p.outgoing is not None
    assert p.incoming is not None
    assert p.role(p.outgoing) is SlotRole.RETIRING
    assert p.role(p.incoming) is SlotRole.INCOMING


@pytest.mark.parametrize("phase", [Phase.BLUE, Phase.GREEN])
def test_retire_in_a_single_slot_phase_is_refused(phase: Phase) -> None:
    with pytest.raises(ConfigError, match=re.escape("capacity.general.retire_outgoing: got True")) as err:
        pair(phase, retire_outgoing=True)
    assert "single-slot phase" in str(err.value)


def test_serving_slot_must_have_capacity() -> None:
    problems = capacity_pair_problems(pair(Phase.BLUE, base=spec(min_size=0)))
    assert [p.field for p in problems.items] == ["capacity.general.blue.min_size"]
    # In a two-slot phase the serving slot is the incoming one: an outgoing min 0 is fine, an incoming one is not.
    assert not capacity_pair_problems(pair(Phase.BLUE_GREEN, blue={"min_size": 0})).items
    problems = capacity_pair_problems(pair(Phase.BLUE_GREEN, green={"min_size": 0}))
    assert "capacity.general.green.min_size" in [p.field for p in problems.items]


def test_incoming_slot_keeps_the_capacity_floor() -> None:
    problems = capacity_pair_problems(pair(blue={"min_size": 3, "max_size": 6}))
    (problem,) = problems.items
    assert str(problem).startswith("capacity.general.green.min_size: got 1; allowed: >= blue.min_size (3)")
    assert not capacity_pair_problems(pair(blue={"min_size": 3, "max_size": 6}, green={"min_size": 3, "max_size": 6}))


@pytest.mark.parametrize(("name", "phase"), [("General", "blue"), ("general", "purple"), ("gpu_1", "blue")])
def test_pair_name_and_phase(name: str, phase: str) -> None:
    with pytest.raises(ConfigError):
        PairSpec(name=name, base=spec(), phase=phase)  # type: ignore[arg-type]
