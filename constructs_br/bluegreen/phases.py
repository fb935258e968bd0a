"""The blue/green lifecycle of a pair of slots, as data. Pure Python: constructs and ``brctl cutover`` share it.

::

    blue ──► blue+green ──► green ──► green+blue ──► blue
      ▲          │ rollback   ▲           │ rollback
      └──────────┘            └───────────┘

A slot exists exactly when its phase names it. In a two-slot phase the first slot named is *outgoing* (EKS: tainted
``NoSchedule``; ECS: weight 0 in the cluster's default strategy) and the second is *incoming* (takes all new work).
Work leaves the outgoing slot before the next phase deletes it: ``kubectl drain`` for EKS nodes, a forced new
deployment of each ECS service onto the incoming capacity provider (then one deploy with the outgoing slot
*retiring*: scale-in and termination protection off, scaled to zero) — ``brctl cutover next`` gates both.

>>> [p.value for p in (next_phase(Phase.BLUE), next_phase(Phase.BLUE_GREEN))]
['blue+green', 'green']
>>> slots_present(Phase.BLUE_GREEN), outgoing_slot(Phase.BLUE_GREEN), incoming_slot(Phase.BLUE_GREEN)
(('blue', 'green'), 'blue', 'green')
>>> weight(Phase.BLUE_GREEN, "blue"), weight(Phase.BLUE_GREEN, "green"), weight(Phase.GREEN, "green")
(0, 1, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from constructs_br.errors import ConfigError

SLOTS: tuple[str, str] = ("blue", "green")
"""The two slots, in the order they are built (and listed)."""


class Phase(StrEnum):
    """Where a blue/green pair is: which slots exist (``blue``, ``blue+green``, ``green``, ``green+blue``)."""

    BLUE = "blue"
    BLUE_GREEN = "blue+green"
    GREEN = "green"
    GREEN_BLUE = "green+blue"


class SlotRole(StrEnum):
    """What a present slot does in its phase."""

    LIVE = "live"
    """The only slot: takes all work."""
    INCOMING = "incoming"
    """Second slot of a two-slot phase: takes all new work."""
    OUTGOING = "outgoing"
    """First slot of a two-slot phase: takes no new work; its work is moved off before it is removed."""
    RETIRING = "retiring"
    """Outgoing slot with no work left, made deletable (ECS: protections off, scaled to zero)."""


_NEXT = {
    Phase.BLUE: Phase.BLUE_GREEN,
    Phase.BLUE_GREEN: Phase.GREEN,
    Phase.GREEN: Phase.GREEN_BLUE,
    Phase.GREEN_BLUE: Phase.BLUE,
}
_ROLLBACK = {Phase.BLUE_GREEN: Phase.BLUE, Phase.GREEN_BLUE: Phase.GREEN}
ALLOWED_PHASES = " | ".join(p.value for p in Phase)


def parse_phase(value: object, field: str = "phase") -> Phase:
    """A phase from its value; anything else is a :class:`ConfigError` naming ``field``."""
    if isinstance(value, Phase):
        return value
    try:
        return Phase(str(value))
    except ValueError:
        raise ConfigError(field, value, ALLOWED_PHASES) from None


def parse_slot(value: object, field: str = "slot") -> str:
    """``blue`` or ``green``; anything else is a :class:`ConfigError` naming ``field``."""
    if value in SLOTS:
        return str(value)
    raise ConfigError(field, value, " | ".join(SLOTS))


def next_phase(phase: Phase) -> Phase:
    """The forward step."""
    return _NEXT[phase]


def rollback_phase(phase: Phase) -> Phase | None:
    """Back to the single old slot (only from a two-slot phase)."""
    return _ROLLBACK.get(phase)


def transitions() -> tuple[tuple[Phase, Phase], ...]:
    """Every allowed phase change: the forward walk and the two rollbacks."""
    return (*_NEXT.items(), *_ROLLBACK.items())


def slots_present(phase: Phase) -> tuple[str, ...]:
    """Slots that exist in ``phase`` (blue first)."""
    return tuple(s for s in SLOTS if s in phase.value.split("+"))


def live_slot(phase: Phase) -> str:
    """The slot serving before the phase's change: the first one named (``blue`` in ``blue+green``)."""
    return phase.value.split("+")[0]


def incoming_slot(phase: Phase) -> str | None:
    """The slot being brought in in a two-slot phase (``green`` in ``blue+green``)."""
    parts = phase.value.split("+")
    return parts[1] if len(parts) == 2 else None


def outgoing_slot(phase: Phase) -> str | None:
    """The slot being moved off in a two-slot phase (``blue`` in ``blue+green``)."""
    return live_slot(phase) if incoming_slot(phase) else None


def serving_slot(phase: Phase) -> str:
    """The slot that takes new work: the incoming one in a two-slot phase, else the only one."""
    return incoming_slot(phase) or live_slot(phase)


def slot_role(phase: Phase, slot: str, *, retiring: bool = False) -> SlotRole | None:
    """The slot's role in ``phase`` (``None``: it does not exist). ``retiring`` marks the outgoing slot."""
    if slot not in slots_present(phase):
        return None
    if slot == outgoing_slot(phase):
        return SlotRole.RETIRING if retiring else SlotRole.OUTGOING
    return SlotRole.INCOMING if incoming_slot(phase) else SlotRole.LIVE


def weight(phase: Phase, slot: str) -> int:
    """The slot's share of new work: 1 for the serving slot, 0 for the outgoing one and absent slots."""
    return 1 if slot == serving_slot(phase) else 0


def schedulable_min(phase: Phase, min_sizes: Mapping[str, int]) -> int:
    """Guaranteed capacity for new work in ``phase``: the minimum size of the serving slot."""
    return min_sizes[serving_slot(phase)]
