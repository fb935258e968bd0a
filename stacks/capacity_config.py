"""ECS capacity per stage, as data: which blue/green capacity pairs join the stage's ECS cluster.

Defaults: every stage runs one pair, ``general``, on ``aws-ecs-2`` x86_64 (pinned from the lockfile), phase
``blue``. A cutover is a reviewed config change: add ``green`` with the new image, move the phase to
``blue+green`` (both take tasks), then ``green``, then drop ``blue``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from constructs_br.ecs.spec import BlueGreenSpec, EcsCapacitySpec, Phase
from constructs_br.errors import Problems
from constructs_br.images.resolve import ImageSpec


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
