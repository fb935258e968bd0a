"""The one blue/green model (pure): lifecycle, roles and weights, per-slot specs, the strict context parser, and
the slot-pin rule drift and cutover share."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from constructs_br import bluegreen as bg
from constructs_br.bluegreen import context, pair, phases, pins
from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.eks.spec import NodeGroupSpec
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec, Lockfile, MissingPinError, Pin

EKS = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",))
ECS = EcsCapacitySpec(image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m6i.large",))


@pytest.mark.parametrize("module", [phases, pins, pair, context], ids=lambda m: m.__name__)
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_eks_and_ecs_share_one_phase_type() -> None:
    import constructs_br.ecs as ecs
    import constructs_br.eks as eks

    assert not hasattr(eks, "Phase")
    assert not hasattr(ecs, "Phase")
    assert bg.PairSpec(name="a", base=EKS).phase is bg.PairSpec(name="a", base=ECS).phase is bg.Phase.BLUE


@pytest.mark.parametrize(("current", "upcoming"), bg.transitions())
def test_every_transition_keeps_one_slot_and_changes_at_most_one(current: bg.Phase, upcoming: bg.Phase) -> None:
    before, after = set(bg.slots_present(current)), set(bg.slots_present(upcoming))
    assert before & after, "a transition must keep a slot serving"
    assert len(before ^ after) == 1


@pytest.mark.parametrize("phase", list(bg.Phase))
def test_exactly_one_slot_takes_new_work(phase: bg.Phase) -> None:
    weights = {slot: bg.weight(phase, slot) for slot in bg.SLOTS}
    assert sorted(weights.values()) == [0, 1]
    assert weights[bg.serving_slot(phase)] == 1
    roles = {s: bg.slot_role(phase, s) for s in bg.SLOTS}
    if bg.outgoing_slot(phase):
        assert roles[bg.outgoing_slot(phase)] is bg.SlotRole.OUTGOING
        assert bg.slot_role(phase, bg.outgoing_slot(phase) or "", retiring=True) is bg.SlotRole.RETIRING
        assert roles[bg.incoming_slot(phase) or ""] is bg.SlotRole.INCOMING
    else:
        assert [r for r in roles.values() if r] == [bg.SlotRole.LIVE]


def test_overrides_change_one_slot_only_and_are_validated_by_the_spec() -> None:
    p = bg.PairSpec(name="general", base=EKS, phase="blue+green", green={"instance_types": ("m8i.large",)})
    assert p.slot_spec("blue") is EKS
    assert p.slot_spec("green").instance_types == ("m8i.large",)
    with pytest.raises(ConfigError, match=r"pairs\.general\.green\.instance_types: got 'm7g\.large'"):
        bg.PairSpec(name="general", base=EKS, phase="blue+green", green={"instance_types": ("m7g.large",)})


def test_an_override_of_an_absent_slot_is_kept_but_not_built() -> None:
    """``green`` overrides in phase ``blue`` wait for the cutover (a bad value there still fails once it is built)."""
    p = bg.PairSpec(name="general", base=EKS, green={"instance_types": ("m8i.large",)})
    assert p.present == ("blue",)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "General"}, "pairs.name"),
        ({"name": "a--b"}, "pairs.name"),
        ({"name": "x" * 32}, "pairs.name"),
        ({"phase": "purple"}, "pairs.general.phase"),
        ({"blue": {"instance_type": "m7i.large"}}, "pairs.general.blue.instance_type"),
        ({"retire_outgoing": True}, "pairs.general.retire_outgoing"),
    ],
)
def test_pair_errors_name_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"name": "general", "base": EKS, **kwargs}
    with pytest.raises(ConfigError) as err:
        bg.PairSpec(**args)  # type: ignore[arg-type]
    assert field in err.value.fields


def test_names_whose_construct_ids_collide_are_refused_before_any_construct() -> None:
    problems = bg.unique_id_problems(["a-1b", "a1b"], "stages.pilot.pairs")
    assert [p.value for p in problems] == ["a1b"]
    assert "A1b" in problems[0].hint


PREFIX = "br:pilot:capacity:"


def _ctx(**keys: object) -> dict[str, object]:
    return {PREFIX + k.replace("__", ":").replace("_", "-"): v for k, v in keys.items()}


def test_context_sets_phase_slot_overrides_and_retire() -> None:
    pairs = (bg.PairSpec(name="general", base=ECS),)
    ctx = _ctx(general__phase="blue+green", general__green__instance_types="m7i.large, m7i.xlarge")
    ctx[PREFIX + "general:retire-outgoing"] = "true"
    (out,) = bg.apply_pair_context(pairs, ctx, prefix=PREFIX, allow_retire=True)
    assert out.phase is bg.Phase.BLUE_GREEN
    assert out.retire_outgoing is True
    assert out.slot_spec("green").instance_types == ("m7i.large", "m7i.xlarge")
    assert out.slot_spec("blue") is ECS


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("general:phse", "green", "br:pilot:capacity:general:phase"),
        ("generl:phase", "green", "general"),
        ("general:green:image-version", "1.50.0", "X.Y.Z-<8 hex commit>"),
        ("general:blue:instance-types", " , ", "instance types"),
        ("general:phase", "purple", "blue | blue+green"),
        ("general:retire-outgoing", "yes", "true | false"),
    ],
)
def test_context_errors_name_the_key(key: str, value: str, allowed: str) -> None:
    pairs = (bg.PairSpec(name="general", base=ECS),)
    with pytest.raises(ConfigError) as err:
        bg.apply_pair_context(pairs, {PREFIX + key: value}, prefix=PREFIX, allow_retire=True)
    (problem,) = err.value.problems
    assert problem.field == PREFIX + key
    assert allowed in problem.allowed


def test_retire_in_a_single_slot_phase_names_the_key_that_asked_for_it() -> None:
    """Found by hypothesis (tests/property/test_bad_input.py): the error named the spec field
    ``pairs.general.retire_outgoing``, not the context key the user wrote."""
    pairs = (bg.PairSpec(name="general", base=ECS),)
    with pytest.raises(ConfigError) as err:  # phase blue (the default) has no outgoing slot
        bg.apply_pair_context(pairs, {PREFIX + "general:retire-outgoing": "true"}, prefix=PREFIX, allow_retire=True)
    (problem,) = err.value.problems
    assert problem.field == PREFIX + "general:retire-outgoing"
    assert "false in a single-slot phase" in problem.allowed


def test_a_phase_key_that_leaves_a_coded_retire_without_an_outgoing_slot_is_named() -> None:
    pairs = (bg.PairSpec(name="general", base=ECS, phase=bg.Phase.BLUE_GREEN, retire_outgoing=True),)
    with pytest.raises(ConfigError) as err:
        bg.apply_pair_context(pairs, {PREFIX + "general:phase": "green"}, prefix=PREFIX, allow_retire=True)
    (problem,) = err.value.problems
    assert problem.field == PREFIX + "general:phase"  # the code's retire is fine; the key moved the phase


def test_retire_key_is_unknown_where_retiring_is_not_allowed() -> None:
    pairs = (bg.PairSpec(name="general", base=EKS),)
    with pytest.raises(ConfigError, match="br:pilot:pair:general:retire-outgoing"):
        bg.apply_pair_context(pairs, {"br:pilot:pair:general:retire-outgoing": True}, prefix="br:pilot:pair:")


def test_keys_of_other_prefixes_are_ignored() -> None:
    pairs = (bg.PairSpec(name="general", base=ECS),)
    assert bg.apply_pair_context(pairs, {"br:canary:capacity:x:phase": "blue"}, prefix=PREFIX) == pairs


def _pin(version: str, ami: str) -> Pin:
    return Pin(
        region="us-west-2",
        variant="aws-k8s-1.33",
        arch="x86_64",
        image_id=ami,
        image_version=version,
        ssm_path="/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id",
        resolved_at="2026-01-01T00:00:00Z",
    )


LOCK = Lockfile.empty().with_pin(_pin("1.49.0-11111111", "ami-00000000000000001"))
LOCK = LOCK.with_pin(_pin("1.50.0-22222222", "ami-00000000000000002"))


@pytest.mark.parametrize(
    ("tag", "image"),
    [
        (None, "ami-00000000000000002"),
        ("floating", "ami-00000000000000002"),
        ("1.50.0-22222222", "ami-00000000000000002"),
        ("1.49.0-11111111", "ami-00000000000000001"),
    ],
)
def test_expected_pin_accepts_current_and_previous(tag: str | None, image: str) -> None:
    assert bg.expected_pin(LOCK, "us-west-2", "aws-k8s-1.33", "x86_64", tag).image_id == image


def test_expected_pin_refuses_an_unrecorded_version_and_a_missing_pin() -> None:
    with pytest.raises(ConfigError, match=r"1\.50\.0-22222222 \| 1\.49\.0-11111111"):
        bg.expected_pin(LOCK, "us-west-2", "aws-k8s-1.33", "x86_64", "1.48.0-00000000")
    with pytest.raises(MissingPinError, match="eu-west-1"):
        bg.expected_pin(LOCK, "eu-west-1", "aws-k8s-1.33", "x86_64", None)
