"""The cluster's capacity providers and default strategy: one ``AWS::ECS::ClusterCapacityProviderAssociations``.

CloudFormation allows one association resource per cluster and it owns the cluster's whole provider list, so
every capacity of the cluster goes through this one construct (id ``CapacityProviders``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_ecs as ecs
from constructs import Construct

from constructs_br.errors import Problems


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategyItem:
    """One capacity provider in the cluster's default strategy. ``weight`` 0 = associated but given no tasks."""

    capacity_provider: str
    weight: int
    base: int = 0


class ClusterCapacityProviders(Construct):
    """Associates ``items`` with ``cluster``; those with ``weight > 0`` form the default strategy."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster: ecs.ICluster, items: Sequence[StrategyItem]):
        super().__init__(scope, construct_id)
        p = Problems()
        if not any(i.weight > 0 for i in items):
            p.add("capacity.strategy", [i.weight for i in items], "at least one provider with weight > 0")
        if sum(1 for i in items if i.base > 0) > 1:
            p.add("capacity.strategy.base", [i.base for i in items], "a nonzero base on at most one provider")
        for i in items:
            if not 0 <= i.weight <= 1000:
                p.add("capacity.strategy.weight", i.weight, "0..1000")
            if not 0 <= i.base <= 100000:
                p.add("capacity.strategy.base", i.base, "0..100000")
        p.raise_if_any()
        self.resource = ecs.CfnClusterCapacityProviderAssociations(
            self,
            "Resource",
            cluster=cluster.cluster_name,
            capacity_providers=[i.capacity_provider for i in items],
            default_capacity_provider_strategy=[
                ecs.CfnClusterCapacityProviderAssociations.CapacityProviderStrategyProperty(
                    capacity_provider=i.capacity_provider, weight=i.weight, base=i.base or None
                )
                for i in items
                if i.weight > 0
            ],
        )
