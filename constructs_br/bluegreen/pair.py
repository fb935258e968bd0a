"""A blue/green pair as data: a base spec, per-slot overrides, a phase. Shared by EKS node groups and ECS capacity.

Each slot's spec is the base with that slot's overrides applied (``dataclasses.replace``), so a change meant for a
cutover goes on the incoming slot only and the staying slot is byte-identical. Overrides name fields of the spec
(``instance_types``, ``image_version``, ``min_size``, ...); an unknown field is an error naming it.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True, kw_only=True)
... class Spec:
...     instance_types: tuple[str, ...]
...     image_version: str | None = None
>>> pair = PairSpec(name="general", base=Spec(instance_types=("m7i.large",)), phase="blue+green",
...                 green={"instance_types": ("m8i.large",)})
>>> pair.slot_spec("blue").instance_types, pair.slot_spec("green").instance_types
(('m7i.large',), ('m8i.large',))
>>> pair.present, pair.construct_id
(('blue', 'green'), 'General')
>>> PairSpec(name="general", base=Spec(instance_types=()), blue={"instance_type": "x"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: pairs.general.blue.instance_type: got 'x'; allowed: a field of Spec: ...
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from constructs_br.bluegreen.adopt import RETIRE, AdoptedGroup, parse_pair_phase
from constructs_br.bluegreen.phases import (
    SLOTS,
    Phase,
    SlotRole,
    incoming_slot,
    outgoing_slot,
    parse_phase,
    slot_role,
    slots_present,
)
from constructs_br.errors import ConfigError, Problem, Problems

S = TypeVar("S")

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_NAME = 31
NAME_RULE = f"lower-case letters, digits and single '-' between them, starting with a letter (<= {MAX_NAME})"


def pascal(name: str) -> str:
    """``general`` → ``General``, ``gpu-inference`` → ``GpuInference`` (construct IDs: the name is API)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("-"))


def name_problems(name: object, field: str) -> list[Problem]:
    """A pair name's grammar (:data:`NAME_RULE`): the name becomes construct IDs and tags."""
    if isinstance(name, str) and _NAME.match(name) and len(name) <= MAX_NAME:
        return []
    return [Problem(field, name, NAME_RULE)]


def unique_id_problems(names: Iterable[str], field: str, suffix: str = "") -> list[Problem]:
    """Names whose construct IDs (``pascal(name) + suffix``) collide in one scope, checked before any construct."""
    seen: dict[str, str] = {}
    out = []
    for name in names:
        cid = pascal(name) + suffix
        if cid in seen:
            out.append(
                Problem(field, name, f"a name whose construct ID differs from {seen[cid]!r}'s", f"both become {cid}")
            )
        else:
            seen[cid] = name
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class PairSpec(Generic[S]):
    """One blue/green pair: ``base`` spec, ``blue``/``green`` overrides (field → value), and the phase.

    ``retire_outgoing`` (two-slot phases, ECS): the outgoing slot is made deletable — scale-in and termination
    protection off, scaled to zero — in a deploy of its own, after its work has moved and before the next phase
    removes it. Validated on construction: name, phase, override fields, and both slots' specs (an override for
    the slot a later phase brings in fails when it is committed, not at the cutover).

    ``adopt`` (:class:`~constructs_br.bluegreen.adopt.AdoptedGroup`, or its ``nodegroup/<name>`` text): the ``blue``
    slot is an existing group this app did not create; it is never built (:attr:`built` leaves it out), takes no
    overrides, and ``retired`` (phase ``retire``, from ``green`` only) records that its owner may delete it.
    """

    name: str
    base: S
    phase: Phase = Phase.BLUE
    blue: Mapping[str, Any] = field(default_factory=dict)
    green: Mapping[str, Any] = field(default_factory=dict)
    retire_outgoing: bool = False
    field_prefix: str = "pairs"
    adopt: AdoptedGroup | None = None
    retired: bool = False

    def __post_init__(self) -> None:
        p = Problems()
        f = f"{self.field_prefix}.{self.name}"
        p.extend(name_problems(self.name, f"{self.field_prefix}.name"))
        try:
            if self.adopt is not None:
                object.__setattr__(self, "adopt", AdoptedGroup.parse(self.adopt, f"{f}.adopt"))
            if self.phase == RETIRE:  # the phase value itself: retired in green
                phase, retired = parse_pair_phase(self.phase, f"{f}.phase", adopted=self.adopt is not None)
                object.__setattr__(self, "retired", retired)
                object.__setattr__(self, "phase", phase)
            object.__setattr__(self, "phase", parse_phase(self.phase, f"{f}.phase"))
        except ConfigError as exc:
            p.extend(exc.problems)
            p.raise_if_any()
        p.extend(self._adopt_problems(f))
        if not dataclasses.is_dataclass(self.base) or isinstance(self.base, type):
            p.add(f"{f}.base", type(self.base).__name__, "a spec dataclass instance (NodeGroupSpec, EcsCapacitySpec)")
            p.raise_if_any()
        names = {fl.name for fl in dataclasses.fields(self.base)}  # type: ignore[arg-type]
        for slot in SLOTS:
            overrides = self.overrides(slot)
            if not isinstance(overrides, Mapping):
                p.add(f"{f}.{slot}", overrides, "a mapping of spec field -> value")
                continue
            object.__setattr__(self, slot, dict(overrides))
            for key in overrides:
                if key not in names:
                    p.add(
                        f"{f}.{slot}.{key}",
                        overrides[key],
                        f"a field of {type(self.base).__name__}: {', '.join(sorted(names))}",
                    )
        if self.retire_outgoing and outgoing_slot(self.phase) is None:
            p.add(
                f"{f}.retire_outgoing",
                True,
                "false in a single-slot phase",
                f"phase {self.phase} has no outgoing slot to retire",
            )
        p.raise_if_any()
        for slot in SLOTS:  # absent slots too: a bad override fails when committed, not at the cutover
            try:
                self.slot_spec(slot)
            except ConfigError as exc:
                p.extend(exc.problems)
        p.raise_if_any()

    def _adopt_problems(self, f: str) -> list[Problem]:
        out: list[Problem] = []
        if self.retired and self.adopt is None:
            out.append(Problem(f"{f}.phase", RETIRE, "blue | blue+green | green | green+blue", "retire: adopted only"))
        elif self.retired and self.phase is not Phase.GREEN:
            out.append(Problem(f"{f}.retired", True, f"false in phase {self.phase}", "retire follows green"))
        if self.adopt is None:
            return out
        if self.blue:
            out.append(
                Problem(
                    f"{f}.blue",
                    dict(self.blue),
                    "no overrides: the adopted blue slot is not built by this app",
                    f"blue is {self.adopt.ref}",
                )
            )
        if self.retire_outgoing and self.outgoing == "blue":
            out.append(
                Problem(
                    f"{f}.retire_outgoing",
                    True,
                    f"false while the adopted blue slot is outgoing (phase {self.phase})",
                    "brctl cutover adopted standby scales it to zero; the app never makes it deletable",
                )
            )
        return out

    @property
    def built(self) -> tuple[str, ...]:
        """The slots this app synthesizes in the phase: :attr:`present` without an adopted ``blue``."""
        return tuple(s for s in self.present if not (self.adopt is not None and s == "blue"))

    @property
    def phase_value(self) -> str:
        """The phase as written in config: ``retire`` for a retired adopted pair, else the phase's value."""
        return RETIRE if self.retired else self.phase.value

    def overrides(self, slot: str) -> Mapping[str, Any]:
        return self.blue if slot == "blue" else self.green

    def slot_spec(self, slot: str) -> S:
        """The slot's own spec: the base with the slot's overrides (a new validated spec whose errors point at
        ``<field_prefix>.<name>.<slot>``), or the base itself."""
        overrides = dict(self.overrides(slot))
        if not overrides:
            return self.base
        if "field_prefix" in {f.name for f in dataclasses.fields(self.base)}:  # type: ignore[arg-type]
            overrides.setdefault("field_prefix", f"{self.field_prefix}.{self.name}.{slot}")
        return dataclasses.replace(self.base, **overrides)  # type: ignore[type-var]

    @property
    def present(self) -> tuple[str, ...]:
        return slots_present(self.phase)

    @property
    def incoming(self) -> str | None:
        return incoming_slot(self.phase)

    @property
    def outgoing(self) -> str | None:
        return outgoing_slot(self.phase)

    def role(self, slot: str) -> SlotRole | None:
        return slot_role(self.phase, slot, retiring=self.retire_outgoing)

    @property
    def construct_id(self) -> str:
        return pascal(self.name)


def pair_problems(pairs: Iterable[PairSpec[Any]], field: str, suffix: str = "") -> list[Problem]:
    """Problems of a set of pairs in one scope: at least one, and construct IDs unique."""
    items = list(pairs)
    p = Problems()
    p.extend(unique_id_problems([pair.name for pair in items], field, suffix))
    return p.items
