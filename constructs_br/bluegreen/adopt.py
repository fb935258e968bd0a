"""Adopting an existing group as a pair's outgoing ``blue`` slot: a node group, an Auto Scaling group or an ECS
capacity provider this app did not create (Amazon Linux, Ubuntu, an older Bottlerocket group of another app).

The adopted group is named, never built: no resource and no import that CloudFormation could delete. The pair's
Bottlerocket ``green`` slot is created next to it; ``brctl cutover`` taints, drains, scales it to zero (keeping its
sizes in a tag) and restores it, always through the EKS / Auto Scaling APIs, and never calls a ``Delete*`` API.

Value syntax (``PairSpec.adopt`` and the ``<pair>:adopt`` context key), ``<kind-prefix>/<name>``:

=============================  ===========================  ===================================================
value                          kind                         for
=============================  ===========================  ===================================================
``nodegroup/<name>``           ``eks-nodegroup``            EKS pairs: a managed node group of the cluster
``asg/<name>``                 ``asg``                      EKS pairs: a self-managed node group's ASG
``capacity-provider/<name>``   ``ecs-capacity-provider``    ECS capacity pairs: a provider of the cluster
=============================  ===========================  ===================================================

Phases of an adopted pair (``blue`` is the adopted group, ``green`` the Bottlerocket slot)::

    blue ──► blue+green ──► green ──► retire (terminal: its owner may delete it)
      ▲          │ rollback   │ ▲
      │          ▼            ▼ │ rollback
      └──────── blue ◄── green+blue

>>> AdoptedGroup.parse("nodegroup/al2023-general").kind.value
'eks-nodegroup'
>>> AdoptedGroup.parse("nodegroup/al2023-general").ref
'nodegroup/al2023-general'
>>> AdoptedGroup.parse("ng/x", "br:pilot:pair:general:adopt")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: br:pilot:pair:general:adopt: got 'ng/x'; allowed: nodegroup/<name> | asg/<name> ...
>>> [p for p in adopted_targets("green")]
['retire', 'green+blue']
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from constructs_br.bluegreen.phases import ALLOWED_PHASES, Phase
from constructs_br.errors import ConfigError, Problem

RETIRE: Final = "retire"
"""The terminal phase of an adopted pair: the adopted group stays scaled to zero; its owner may delete it."""

ADOPTED_PHASES: Final = f"{ALLOWED_PHASES} | {RETIRE}"
"""Every phase value an adopted pair accepts."""


class AdoptKind(StrEnum):
    """What an adopted group is."""

    EKS_NODEGROUP = "eks-nodegroup"
    """A managed node group of the EKS cluster (found with ``eks:DescribeNodegroup`` by name)."""
    ASG = "asg"
    """A self-managed node group's Auto Scaling group (found with ``autoscaling:DescribeAutoScalingGroups``)."""
    ECS_CAPACITY_PROVIDER = "ecs-capacity-provider"
    """An ECS capacity provider (found with ``ecs:DescribeCapacityProviders``) and the ASG behind it."""


PREFIXES: Mapping[str, AdoptKind] = {
    "nodegroup": AdoptKind.EKS_NODEGROUP,
    "asg": AdoptKind.ASG,
    "capacity-provider": AdoptKind.ECS_CAPACITY_PROVIDER,
}
"""The value prefix of each kind (``nodegroup/<name>``)."""

EKS_KINDS: Final = frozenset({AdoptKind.EKS_NODEGROUP, AdoptKind.ASG})
"""Kinds an EKS node-group pair can adopt."""
ECS_KINDS: Final = frozenset({AdoptKind.ECS_CAPACITY_PROVIDER})
"""Kinds an ECS capacity pair can adopt."""

# EKS CreateNodegroup: 1-63 characters, a letter or digit first, then letters, digits, '-' and '_'.
_NODEGROUP = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$")
# Auto Scaling: 1-255 characters; we refuse ':' (an ARN, not a name), '/' (our separator) and whitespace.
_ASG = re.compile(r"^[^:/\s]{1,255}$")
# ECS CreateCapacityProvider: up to 255 letters, digits, '-' and '_'; not prefixed aws, ecs or fargate.
_PROVIDER = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_RESERVED_PROVIDER_PREFIXES = ("aws", "ecs", "fargate")

_NAME_RULES: Mapping[AdoptKind, str] = {
    AdoptKind.EKS_NODEGROUP: "a node group name: 1-63 letters, digits, '-' or '_', starting with a letter or digit",
    AdoptKind.ASG: "an Auto Scaling group name: 1-255 characters, no ':', '/' or whitespace",
    AdoptKind.ECS_CAPACITY_PROVIDER: (
        "a capacity provider name: 1-255 letters, digits, '-' or '_', not starting with aws, ecs or fargate"
    ),
}


def _name_ok(kind: AdoptKind, name: str) -> bool:
    if kind is AdoptKind.EKS_NODEGROUP:
        return bool(_NODEGROUP.match(name))
    if kind is AdoptKind.ASG:
        return bool(_ASG.match(name))
    return bool(_PROVIDER.match(name)) and not name.lower().startswith(_RESERVED_PROVIDER_PREFIXES)


def _syntax(kinds: Collection[AdoptKind]) -> str:
    return " | ".join(f"{prefix}/<name>" for prefix, kind in PREFIXES.items() if kind in kinds)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdoptedGroup:
    """An existing group a pair adopts as its ``blue`` slot: its kind and name (validated on construction).

    ``field`` (not compared) is what errors name, e.g. ``pairs.general.adopt`` or a context key.
    """

    kind: AdoptKind
    name: str
    field: str = field(default="adopt", compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", AdoptKind(self.kind))
        except ValueError:
            raise ConfigError(f"{self.field}.kind", self.kind, " | ".join(k.value for k in AdoptKind)) from None
        if not isinstance(self.name, str) or not _name_ok(self.kind, self.name):
            raise ConfigError(f"{self.field}.name", self.name, _NAME_RULES[self.kind])

    @property
    def ref(self) -> str:
        """The value syntax: ``nodegroup/<name>``, ``asg/<name>``, ``capacity-provider/<name>``."""
        prefix = next(p for p, k in PREFIXES.items() if k is self.kind)
        return f"{prefix}/{self.name}"

    @classmethod
    def parse(
        cls, value: object, field: str = "adopt", kinds: Collection[AdoptKind] = tuple(AdoptKind)
    ) -> AdoptedGroup:
        """An :class:`AdoptedGroup` from ``<kind-prefix>/<name>`` (or one itself), of one of ``kinds``; anything else
        is a :class:`ConfigError` naming ``field``."""
        if isinstance(value, AdoptedGroup):
            group = value
        else:
            prefix, sep, name = str(value).strip().partition("/")
            kind = PREFIXES.get(prefix)
            if not sep or kind is None or kind not in kinds:
                raise ConfigError(field, value, _syntax(kinds) + f" ({adopt_hint(kinds)})")
            if not _name_ok(kind, name):
                raise ConfigError(field, value, f"{prefix}/<name> with {_NAME_RULES[kind]}")
            group = cls(kind=kind, name=name, field=field)
        if group.kind not in kinds:
            raise ConfigError(field, group.ref, _syntax(kinds) + f" ({adopt_hint(kinds)})")
        return group


def adopt_hint(kinds: Collection[AdoptKind]) -> str:
    """Which pairs the kinds are for (the hint in an error about a kind)."""
    if set(kinds) <= ECS_KINDS:
        return "ECS capacity pairs adopt a capacity provider"
    if set(kinds) <= EKS_KINDS:
        return "EKS pairs adopt a managed node group or a self-managed node group's ASG"
    return "a group this app does not manage"


# --- the adopted pair's phases ------------------------------------------------------------------------------------
_ADOPTED_NEXT: Mapping[str, tuple[str, ...]] = {
    Phase.BLUE.value: (Phase.BLUE_GREEN.value,),
    Phase.BLUE_GREEN.value: (Phase.GREEN.value, Phase.BLUE.value),
    Phase.GREEN.value: (RETIRE, Phase.GREEN_BLUE.value),
    Phase.GREEN_BLUE.value: (Phase.BLUE.value, Phase.GREEN.value),
    RETIRE: (),
}
_PLAIN_NEXT: Mapping[str, tuple[str, ...]] = {
    Phase.BLUE.value: (Phase.BLUE_GREEN.value,),
    Phase.BLUE_GREEN.value: (Phase.GREEN.value, Phase.BLUE.value),
    Phase.GREEN.value: (Phase.GREEN_BLUE.value,),
    Phase.GREEN_BLUE.value: (Phase.BLUE.value, Phase.GREEN.value),
}


def adopted_targets(phase: str) -> tuple[str, ...]:
    """The phases an adopted pair may go to from ``phase`` (first: forward; then the rollback, if any).

    From ``green`` the forward step is ``retire`` and ``green+blue`` is the way back to the adopted group (brctl
    scales it up and lifts its taint first); ``retire`` is terminal.
    """
    return _ADOPTED_NEXT[phase]


def parse_pair_phase(value: object, field: str, *, adopted: bool) -> tuple[Phase, bool]:
    """``(phase, retired)`` from a phase value; ``retire`` is ``(green, True)`` and valid only for adopted pairs."""
    text = value.value if isinstance(value, Phase) else str(value).strip()
    if text == RETIRE:
        if not adopted:
            raise ConfigError(
                field, value, ALLOWED_PHASES, "retire is the last phase of a pair that adopts an existing group"
            )
        return Phase.GREEN, True
    try:
        return Phase(text), False
    except ValueError:
        raise ConfigError(field, value, ADOPTED_PHASES if adopted else ALLOWED_PHASES) from None


def transition_problems(before: str, after: str, field: str, *, adopted: bool) -> list[Problem]:
    """Problems of moving a pair from phase ``before`` to ``after`` (a :class:`Problem` naming ``field``)."""
    table = _ADOPTED_NEXT if adopted else _PLAIN_NEXT
    allowed_phases = ADOPTED_PHASES if adopted else ALLOWED_PHASES
    if before not in table:
        return [Problem(field, before, allowed_phases, "the current phase")]
    targets = table[before]
    if after in targets:
        return []
    if not targets:
        return [Problem(field, after, "nothing: retire is terminal", "the owner of the adopted group may delete it")]
    hint = "retire is for pairs that adopt an existing group" if after == RETIRE and not adopted else ""
    return [Problem(field, after, f"from {before}: " + " | ".join(targets), hint)]


def check_transition(before: str, after: str, field: str, *, adopted: bool) -> None:
    """Raise :class:`ConfigError` naming ``field`` unless ``before`` -> ``after`` is an allowed phase change."""
    problems = transition_problems(before, after, field, adopted=adopted)
    if problems:
        raise ConfigError(problems=problems)
