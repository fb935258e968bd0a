"""ECS capacity on Bottlerocket: capacity provider (ASG + launch template), blue/green pairs, cluster strategy."""

from constructs_br.ecs.blue_green import BlueGreenEcsCapacity
from constructs_br.ecs.capacity import EcsCapacity
from constructs_br.ecs.cluster import ClusterCapacityProviders, StrategyItem
from constructs_br.ecs.spec import LIVE_SLOTS, BlueGreenSpec, EcsCapacitySpec, Phase
from constructs_br.instance_types import has_nvidia_gpu, instance_arch

__all__ = [
    "LIVE_SLOTS",
    "BlueGreenEcsCapacity",
    "BlueGreenSpec",
    "ClusterCapacityProviders",
    "EcsCapacity",
    "EcsCapacitySpec",
    "Phase",
    "StrategyItem",
    "has_nvidia_gpu",
    "instance_arch",
]
