"""Blue/green ECS capacity: two capacities (``Blue``, ``Green``) whose cluster-strategy weights follow the phase.

A slot's resources are built from its own spec only; the phase decides nothing but the weights in
:class:`~constructs_br.ecs.cluster.ClusterCapacityProviders`. So moving ``blue`` → ``blue+green`` → ``green``
never touches the slot that stays (same logical IDs, same launch template user data).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br.ecs.capacity import EcsCapacity
from constructs_br.ecs.cluster import StrategyItem
from constructs_br.ecs.spec import BlueGreenSpec
from constructs_br.images.lockfile import Lockfile

SLOT_IDS = {"blue": "Blue", "green": "Green"}


class BlueGreenEcsCapacity(Construct):
    """The ``blue`` and ``green`` capacities of ``spec`` (each only if configured). Add :attr:`strategy` to the
    cluster's :class:`~constructs_br.ecs.cluster.ClusterCapacityProviders`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        vpc: ec2.IVpc,
        spec: BlueGreenSpec,
        lockfile: Lockfile,
        stage: str,
        vpc_subnets: ec2.SubnetSelection | None = None,
        volume_key: kms.IKey | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.slots: dict[str, EcsCapacity] = {}
        for slot, slot_id in SLOT_IDS.items():
            slot_spec = spec.slot(slot)
            if slot_spec is None:
                continue
            self.slots[slot] = EcsCapacity(
                self,
                slot_id,
                cluster=cluster,
                vpc=vpc,
                spec=slot_spec,
                lockfile=lockfile,
                stage=stage,
                fleet=spec.name,
                slot=slot,
                vpc_subnets=vpc_subnets,
                volume_key=volume_key,
                security_groups=security_groups,
            )

    @property
    def strategy(self) -> list[StrategyItem]:
        """One item per existing slot, weight 1 if it takes tasks in the current phase, else 0."""
        return [
            StrategyItem(capacity_provider=cap.capacity_provider_name, weight=self.spec.weight(slot))
            for slot, cap in self.slots.items()
        ]
