"""ECS capacity on Bottlerocket: capacity provider (ASG + launch template), blue/green pairs, cluster strategy.

``EcsCapacitySpec`` is pure (``constructs_br.ecs.spec``); the constructs load lazily, so importing the spec never
starts jsii.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_br._lazy import lazy_exports
from constructs_br.ecs.spec import CapacityPair, EcsCapacitySpec
from constructs_br.instance_types import has_nvidia_gpu, instance_arch

if TYPE_CHECKING:
    from constructs_br.ecs.blue_green import BlueGreenEcsCapacity, capacity_pair_problems
    from constructs_br.ecs.capacity import EcsCapacity
    from constructs_br.ecs.cluster import ClusterCapacityProviders, StrategyItem

_LAZY = {
    "BlueGreenEcsCapacity": "constructs_br.ecs.blue_green",
    "capacity_pair_problems": "constructs_br.ecs.blue_green",
    "EcsCapacity": "constructs_br.ecs.capacity",
    "ClusterCapacityProviders": "constructs_br.ecs.cluster",
    "StrategyItem": "constructs_br.ecs.cluster",
}

__all__ = [
    "BlueGreenEcsCapacity",
    "CapacityPair",
    "ClusterCapacityProviders",
    "EcsCapacity",
    "EcsCapacitySpec",
    "StrategyItem",
    "capacity_pair_problems",
    "has_nvidia_gpu",
    "instance_arch",
]


__getattr__ = lazy_exports(__name__, _LAZY)
