"""ECS capacity per stage, as data: which blue/green capacity pairs join the stage's ECS cluster.

Defaults: every stage runs one pair, ``general``, on ``aws-ecs-2`` x86_64 (pinned from the lockfile), phase
``blue``. A cutover is a reviewed config change, in code or (like EKS pairs) in CDK context — commit the keys in
``cdk.json``'s ``context`` so every deploy sees the same phase:

=================================================  ============================================================
``br:<stage>:capacity:<pair>:phase``               ``blue`` | ``blue+green`` | ``green`` | ``green+blue``
``br:<stage>:capacity:<pair>:<slot>:image-version``  full image version of a slot (lockfile current or previous)
=================================================  ============================================================

A phase that makes a slot live which the code does not configure creates it as a copy of the other slot (same
instance types, sizes, settings) following the lockfile's current pin, or its own ``image-version`` key. A slot
configured in code stays (weight 0 when not live) until the code drops it. An ``image-version`` key for a slot that
does not exist in the phase is kept for when it does, as for EKS pairs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs_br.ecs.spec import LIVE_SLOTS, BlueGreenSpec, EcsCapacitySpec, Phase
from constructs_br.errors import ConfigError, Problems
from constructs_br.images.resolve import ImageSpec
from constructs_br.images.ssm import validate_image_version_full

SLOTS: tuple[str, str] = ("blue", "green")
_KEY_SUFFIXES: tuple[str, ...] = ("phase", "blue:image-version", "green:image-version")


def default_pairs() -> tuple[BlueGreenSpec, ...]:
    return (
        BlueGreenSpec(
            name="general",
            phase=Phase.BLUE,
            blue=EcsCapacitySpec(
                image=ImageSpec(variant="aws-ecs-2", arch="x86_64"),
                instance_types=("m6i.large", "m7i.large"),
                min_size=1,
                max_size=4,
            ),
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityConfig:
    """The stage's ECS capacity pairs (names unique: each is a construct id and the fleet tag)."""

    ecs: tuple[BlueGreenSpec, ...] = field(default_factory=default_pairs)

    def __post_init__(self) -> None:
        p = Problems()
        names = [pair.name for pair in self.ecs]
        if not names:
            p.add("capacity.ecs", names, "at least one capacity pair (an ECS cluster without capacity runs nothing)")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            p.add("capacity.ecs", dupes, "unique pair names")
        p.raise_if_any()


def apply_capacity_overrides(stage: str, capacity: CapacityConfig, context: Mapping[str, Any]) -> CapacityConfig:
    """Apply ``br:<stage>:capacity:<pair>:...`` context keys; unknown pair names or keys are errors."""
    p = Problems()
    names = sorted(pair.name for pair in capacity.ecs)
    prefix = f"br:{stage}:capacity:"
    for key in context:
        if not key.startswith(prefix):
            continue
        name, _, rest = key[len(prefix) :].partition(":")
        if name not in names:
            p.add(key, context[key], f"a key for one of this stage's capacity pairs: {', '.join(names)}")
        elif rest not in _KEY_SUFFIXES:
            p.add(key, context[key], " | ".join(f"{prefix}{name}:{suffix}" for suffix in _KEY_SUFFIXES))
    out = []
    for pair in capacity.ecs:
        try:
            out.append(_apply_pair(pair, f"{prefix}{pair.name}:", context))
        except ConfigError as exc:
            p.extend(exc.problems)
    p.raise_if_any()
    return dataclasses.replace(capacity, ecs=tuple(out))


def _apply_pair(pair: BlueGreenSpec, base: str, context: Mapping[str, Any]) -> BlueGreenSpec:
    p = Problems()
    phase = pair.phase
    if base + "phase" in context:
        value = str(context[base + "phase"])
        try:
            phase = Phase(value)
        except ValueError:
            p.add(base + "phase", value, " | ".join(ph.value for ph in Phase))
    versions: dict[str, str | None] = {}
    for slot in SLOTS:
        key = f"{base}{slot}:image-version"
        if key in context:
            versions[slot] = str(context[key]) or None
            if versions[slot] is not None:
                try:
                    validate_image_version_full(str(versions[slot]), key)
                except ConfigError as exc:
                    p.extend(exc.problems)
    p.raise_if_any()
    if phase == pair.phase and not versions:
        return pair
    slots = {slot: pair.slot(slot) for slot in SLOTS}
    for slot in LIVE_SLOTS[phase]:
        if slots[slot] is None:
            other = slots["green" if slot == "blue" else "blue"]
            assert other is not None  # BlueGreenSpec: at least one slot is configured
            slots[slot] = dataclasses.replace(other, image_version=None)
    for slot, version in versions.items():
        spec = slots[slot]
        if spec is not None:
            slots[slot] = dataclasses.replace(spec, image_version=version)
    return dataclasses.replace(pair, phase=phase, blue=slots["blue"], green=slots["green"])
