"""Adopted blue slots (pure model): value syntax, name rules per kind, the adopted pair's phases and transitions,
and the context keys — every error names its field or key."""

from __future__ import annotations

import doctest
from typing import Any

import pytest

from constructs_br import bluegreen as bg
from constructs_br.bluegreen import adopt
from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.eks.spec import NodeGroupSpec
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec

EKS = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",))
ECS = EcsCapacitySpec(image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m6i.large",))
PAIR = "br:pilot:pair:"
CAP = "br:pilot:capacity:"


def test_doctests() -> None:
    result = doctest.testmod(adopt, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("value", "kind", "name"),
    [
        ("nodegroup/al2023-general", bg.AdoptKind.EKS_NODEGROUP, "al2023-general"),
        ("nodegroup/ng_1", bg.AdoptKind.EKS_NODEGROUP, "ng_1"),
        ("asg/eks-ubuntu-workers.v2", bg.AdoptKind.ASG, "eks-ubuntu-workers.v2"),
        (" capacity-provider/legacy-al2 ", bg.AdoptKind.ECS_CAPACITY_PROVIDER, "legacy-al2"),
    ],
)
def test_parse_each_kind(value: str, kind: bg.AdoptKind, name: str) -> None:
    group = bg.AdoptedGroup.parse(value, "f")
    assert (group.kind, group.name) == (kind, name)
    assert group.ref == value.strip()
    assert bg.AdoptedGroup.parse(group.ref) == group


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("ng/x", "nodegroup/<name> | asg/<name> | capacity-provider/<name>"),
        ("nodegroup", "nodegroup/<name> | asg/<name> | capacity-provider/<name>"),
        ("nodegroup/-starts-with-dash", "nodegroup/<name> with a node group name: 1-63 letters"),
        ("nodegroup/" + "a" * 64, "nodegroup/<name> with a node group name"),
        ("nodegroup/has space", "nodegroup/<name> with a node group name"),
        ("asg/arn:aws:autoscaling:x", "asg/<name> with an Auto Scaling group name"),
        ("asg/", "asg/<name> with an Auto Scaling group name"),
        ("capacity-provider/ecs-legacy", "not starting with aws, ecs or fargate"),
        ("capacity-provider/FARGATE", "not starting with aws, ecs or fargate"),
        ("capacity-provider/dots.not.allowed", "capacity-provider/<name> with a capacity provider name"),
    ],
)
def test_bad_values_name_the_field_value_and_the_rule(value: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as exc:
        bg.AdoptedGroup.parse(value, "br:pilot:pair:general:adopt")
    (problem,) = exc.value.problems
    assert problem.field == "br:pilot:pair:general:adopt"
    assert problem.value == value
    assert allowed in problem.allowed


def test_kinds_are_restricted_per_pair_type() -> None:
    with pytest.raises(ConfigError) as exc:
        bg.AdoptedGroup.parse("capacity-provider/legacy", "k", bg.EKS_KINDS)
    assert exc.value.problems[0].allowed == (
        "nodegroup/<name> | asg/<name> (EKS pairs adopt a managed node group or a self-managed node group's ASG)"
    )
    with pytest.raises(ConfigError) as exc:
        bg.AdoptedGroup.parse(bg.AdoptedGroup(kind=bg.AdoptKind.ASG, name="workers"), "k", bg.ECS_KINDS)
    assert exc.value.problems[0].allowed == "capacity-provider/<name> (ECS capacity pairs adopt a capacity provider)"
    assert exc.value.problems[0].value == "asg/workers"


def test_direct_construction_is_validated() -> None:
    with pytest.raises(ConfigError) as exc:
        bg.AdoptedGroup(kind="lambda", name="x", field="pairs.general.adopt")  # type: ignore[arg-type]
    assert exc.value.fields == ("pairs.general.adopt.kind",)
    assert "eks-nodegroup | asg | ecs-capacity-provider" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        bg.AdoptedGroup(kind=bg.AdoptKind.EKS_NODEGROUP, name="_x", field="pairs.general.adopt")
    assert exc.value.fields == ("pairs.general.adopt.name",)


# --- PairSpec with an adopted blue ------------------------------------------------------------------------------------
@pytest.mark.parametrize("phase", list(bg.Phase))
def test_adopted_blue_is_never_built(phase: bg.Phase) -> None:
    pair = bg.PairSpec(name="general", base=EKS, phase=phase, adopt="nodegroup/al2023")  # type: ignore[arg-type]
    assert pair.adopt == bg.AdoptedGroup(kind=bg.AdoptKind.EKS_NODEGROUP, name="al2023")
    assert pair.present == bg.slots_present(phase)
    assert pair.built == tuple(s for s in bg.slots_present(phase) if s != "blue")
    plain = bg.PairSpec(name="general", base=EKS, phase=phase)
    assert plain.built == plain.present


def test_retire_is_green_recorded_as_retired() -> None:
    pair = bg.PairSpec(name="general", base=EKS, phase="retire", adopt="nodegroup/al2023")  # type: ignore[arg-type]
    assert (pair.phase, pair.retired, pair.phase_value, pair.built) == (bg.Phase.GREEN, True, "retire", ("green",))


def test_retire_is_refused_for_a_pair_that_adopts_nothing() -> None:
    with pytest.raises(ConfigError) as exc:
        bg.PairSpec(name="general", base=EKS, phase="retire")  # type: ignore[arg-type]
    (problem,) = exc.value.problems
    assert (problem.field, problem.value) == ("pairs.general.phase", "retire")
    assert problem.allowed == bg.ALLOWED_PHASES
    with pytest.raises(ConfigError) as exc:
        bg.PairSpec(name="general", base=EKS, phase=bg.Phase.GREEN, retired=True)
    assert exc.value.fields == ("pairs.general.phase",)


def test_retired_only_in_green() -> None:
    with pytest.raises(ConfigError) as exc:
        bg.PairSpec(name="general", base=EKS, phase=bg.Phase.BLUE_GREEN, retired=True, adopt="nodegroup/x")  # type: ignore[arg-type]
    assert exc.value.fields == ("pairs.general.retired",)
    assert "false in phase blue+green" in str(exc.value)


def test_adopted_blue_takes_no_overrides() -> None:
    with pytest.raises(ConfigError) as exc:
        bg.PairSpec(name="general", base=EKS, adopt="nodegroup/x", blue={"instance_types": ("m8i.large",)})  # type: ignore[arg-type]
    assert exc.value.fields == ("pairs.general.blue",)
    assert "not built by this app" in str(exc.value)
    assert "nodegroup/x" in str(exc.value)


def test_retire_outgoing_is_refused_while_the_adopted_blue_is_outgoing() -> None:
    with pytest.raises(ConfigError) as exc:
        bg.PairSpec(
            name="general",
            base=ECS,
            phase=bg.Phase.BLUE_GREEN,
            retire_outgoing=True,
            adopt="capacity-provider/old",  # type: ignore[arg-type]
        )
    assert exc.value.fields == ("pairs.general.retire_outgoing",)
    # The Bottlerocket green slot may retire as usual (green+blue: the way back to the adopted group).
    pair = bg.PairSpec(
        name="general",
        base=ECS,
        phase=bg.Phase.GREEN_BLUE,
        retire_outgoing=True,
        adopt="capacity-provider/old",  # type: ignore[arg-type]
    )
    assert pair.role("green") is bg.SlotRole.RETIRING


def test_bad_adopt_value_names_the_pair_field() -> None:
    with pytest.raises(ConfigError) as exc:
        bg.PairSpec(name="general", base=EKS, adopt="nodegroup/")  # type: ignore[arg-type]
    assert exc.value.fields == ("pairs.general.adopt",)


# --- transitions ---------------------------------------------------------------------------------------------------
ADOPTED_WALK = [
    ("blue", "blue+green"),
    ("blue+green", "green"),
    ("blue+green", "blue"),
    ("green", "retire"),
    ("green", "green+blue"),
    ("green+blue", "blue"),
    ("green+blue", "green"),
]


@pytest.mark.parametrize(("before", "after"), ADOPTED_WALK)
def test_adopted_transitions_are_allowed(before: str, after: str) -> None:
    assert bg.transition_problems(before, after, "--phase", adopted=True) == []
    assert after in bg.adopted_targets(before)


ALL = [p.value for p in bg.Phase] + [bg.RETIRE]


@pytest.mark.parametrize(("before", "after"), [(b, a) for b in ALL for a in ALL if (b, a) not in ADOPTED_WALK], ids=str)
def test_every_other_adopted_transition_is_refused(before: str, after: str) -> None:
    with pytest.raises(ConfigError) as exc:
        bg.check_transition(before, after, "br:pilot:pair:general:phase", adopted=True)
    (problem,) = exc.value.problems
    assert (problem.field, problem.value) == ("br:pilot:pair:general:phase", after)
    if before == bg.RETIRE:
        assert problem.allowed == "nothing: retire is terminal"
    else:
        assert problem.allowed.startswith(f"from {before}: ")


def test_plain_pairs_walk_as_before_and_never_retire() -> None:
    for before, after in bg.transitions():
        assert bg.transition_problems(before.value, after.value, "p", adopted=False) == []
    (problem,) = bg.transition_problems("green", "retire", "p", adopted=False)
    assert problem.hint == "retire is for pairs that adopt an existing group"
    (problem,) = bg.transition_problems("retire", "green", "p", adopted=False)
    assert (problem.value, problem.allowed) == ("retire", bg.ALLOWED_PHASES)


def test_parse_pair_phase() -> None:
    assert bg.parse_pair_phase("retire", "k", adopted=True) == (bg.Phase.GREEN, True)
    assert bg.parse_pair_phase(bg.Phase.BLUE, "k", adopted=False) == (bg.Phase.BLUE, False)
    with pytest.raises(ConfigError, match=r"^k: got 'retire'; allowed: blue \| blue\+green"):
        bg.parse_pair_phase("retire", "k", adopted=False)
    with pytest.raises(ConfigError, match=r"allowed: blue \| blue\+green \| green \| green\+blue \| retire$"):
        bg.parse_pair_phase("purple", "k", adopted=True)


# --- context keys --------------------------------------------------------------------------------------------------
def _apply(ctx: dict[str, Any], base: Any = EKS, prefix: str = PAIR, **kw: Any) -> bg.PairSpec[Any]:
    (out,) = bg.apply_pair_context((bg.PairSpec(name="general", base=base),), ctx, prefix=prefix, **kw)
    return out


def test_context_adopt_and_retire() -> None:
    pair = _apply({PAIR + "general:adopt": "nodegroup/al2023", PAIR + "general:phase": "retire"})
    assert (pair.adopt, pair.phase, pair.retired) == (
        bg.AdoptedGroup(kind=bg.AdoptKind.EKS_NODEGROUP, name="al2023"),
        bg.Phase.GREEN,
        True,
    )
    cap = _apply({CAP + "general:adopt": "capacity-provider/legacy"}, ECS, CAP, allow_retire=True)
    assert cap.adopt is not None
    assert cap.adopt.kind is bg.AdoptKind.ECS_CAPACITY_PROVIDER
    assert _apply({PAIR + "general:adopt": ""}).adopt is None


def test_context_retire_without_adopt_names_the_key() -> None:
    with pytest.raises(ConfigError) as exc:
        _apply({PAIR + "general:phase": "retire"})
    (problem,) = exc.value.problems
    assert (problem.field, problem.value, problem.allowed) == (PAIR + "general:phase", "retire", bg.ALLOWED_PHASES)


@pytest.mark.parametrize(
    ("prefix", "value", "kw"),
    [(PAIR, "capacity-provider/legacy", {}), (CAP, "nodegroup/al2023", {"allow_retire": True})],
)
def test_context_adopt_kind_is_the_pair_types(prefix: str, value: str, kw: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as exc:
        _apply({prefix + "general:adopt": value}, prefix=prefix, **kw)
    assert exc.value.fields == (prefix + "general:adopt",)


def test_context_blue_override_on_an_adopted_pair_is_refused() -> None:
    with pytest.raises(ConfigError) as exc:
        _apply({PAIR + "general:adopt": "asg/workers", PAIR + "general:blue:instance-types": "m8i.large"})
    assert "not built by this app" in str(exc.value)


def test_unknown_key_lists_adopt_as_allowed() -> None:
    with pytest.raises(ConfigError) as exc:
        _apply({PAIR + "general:adopted": "nodegroup/x"})
    assert PAIR + "general:adopt" in exc.value.problems[0].allowed


def test_plain_pairs_are_unchanged_by_the_context_parser() -> None:
    base = bg.PairSpec(name="general", base=EKS)
    (out,) = bg.apply_pair_context((base,), {PAIR + "general:phase": "blue+green"}, prefix=PAIR)
    assert (out.adopt, out.retired, out.built) == (None, False, ("blue", "green"))
