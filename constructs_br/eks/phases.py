"""Blue/green cutover phases for a node-group pair, as data (pure Python: ``brctl cutover`` uses it too).

::

    blue ──► blue+green ──► green ──► green+blue ──► blue
      ▲          │ rollback   ▲           │ rollback
      └──────────┘            └───────────┘

In ``blue+green`` the green slot is created and the blue slot is tainted ``NoSchedule`` (new pods land on green,
running pods stay); in ``green`` the blue node group is removed and EKS drains it. ``green+blue`` mirrors it.

>>> [p.value for p in (next_phase(Phase.BLUE), next_phase(Phase.BLUE_GREEN))]
['blue+green', 'green']
>>> slots_present(Phase.BLUE_GREEN), tainted_slot(Phase.BLUE_GREEN), incoming_slot(Phase.BLUE_GREEN)
(('blue', 'green'), 'blue', 'green')
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from constructs_br.errors import ConfigError

SLOTS: tuple[str, str] = ("blue", "green")


class Phase(StrEnum):
    BLUE = "blue"
    BLUE_GREEN = "blue+green"
    GREEN = "green"
    GREEN_BLUE = "green+blue"


_NEXT = {
    Phase.BLUE: Phase.BLUE_GREEN,
    Phase.BLUE_GREEN: Phase.GREEN,
    Phase.GREEN: Phase.GREEN_BLUE,
    Phase.GREEN_BLUE: Phase.BLUE,
}
_ROLLBACK = {Phase.BLUE_GREEN: Phase.BLUE, Phase.GREEN_BLUE: Phase.GREEN}


def parse_phase(value: str, field: str = "phase") -> Phase:
    try:
        return Phase(value)
    except ValueError:
        raise ConfigError(field, value, " | ".join(p.value for p in Phase)) from None


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
    """Slots whose node group exists in ``phase`` (blue first)."""
    return tuple(s for s in SLOTS if s in phase.value.split("+"))


def live_slot(phase: Phase) -> str:
    """The slot serving before/while the phase runs: the first one named (``blue`` in ``blue+green``)."""
    return phase.value.split("+")[0]


def incoming_slot(phase: Phase) -> str | None:
    """The slot being created in a two-slot phase (``green`` in ``blue+green``)."""
    parts = phase.value.split("+")
    return parts[1] if len(parts) == 2 else None


def tainted_slot(phase: Phase) -> str | None:
    """The slot tainted ``NoSchedule`` (the outgoing one) in a two-slot phase."""
    return live_slot(phase) if incoming_slot(phase) else None


def schedulable_min(phase: Phase, min_sizes: Mapping[str, int]) -> int:
    """Guaranteed schedulable nodes in ``phase``: the minimum sizes of present, untainted slots."""
    return sum(min_sizes[s] for s in slots_present(phase) if s != tainted_slot(phase))
