"""Blue/green ECS capacity: one :class:`~constructs_br.bluegreen.PairSpec` of :class:`EcsCapacitySpec`, built.

The same lifecycle as EKS node-group pairs (:mod:`constructs_br.bluegreen.phases`): a slot exists exactly when its
phase names it; each slot is built from its own spec (base + overrides), so the staying slot is byte-identical in
every transition. Weights in the cluster's default strategy: the serving slot 1, the outgoing slot 0 (it takes no
new tasks). Services keep their own strategy, so before the outgoing slot goes their tasks are moved (``aws ecs
update-service --capacity-provider-strategy … --force-new-deployment``, printed by ``brctl cutover next``); then one
deploy with ``retire_outgoing`` makes the outgoing slot deletable — Auto Scaling group min/max 0, new instances not
protected from scale-in, the provider's managed termination protection off — so the next phase deletes it without
CloudFormation waiting on protected instances (aws-cdk#18179).

Children (logical IDs are API): ``Blue``, ``Green`` (each an :class:`EcsCapacity`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from aws_cdk import Annotations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br.bluegreen.pair import PairSpec
from constructs_br.bluegreen.phases import SlotRole, serving_slot, weight
from constructs_br.bluegreen.pins import SAME_IMAGE_WARNING, same_image_message, shared_image_version
from constructs_br.ecs.capacity import EcsCapacity
from constructs_br.ecs.cluster import StrategyItem
from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.errors import Problems
from constructs_br.images.lockfile import Lockfile

SLOT_IDS = {"blue": "Blue", "green": "Green"}


def capacity_pair_problems(pair: PairSpec[EcsCapacitySpec]) -> Problems:
    """The capacity invariant: the serving slot has ``min_size >= 1``; in a two-slot phase the incoming slot's
    minimum is at least the outgoing one's, so finishing the shift never lowers the floor."""
    p = Problems()
    f = f"{pair.field_prefix}.{pair.name}"
    serving = serving_slot(pair.phase)
    spec = pair.slot_spec(serving)
    if spec.min_size < 1:
        p.add(f"{f}.{serving}.min_size", spec.min_size, ">= 1 for the slot taking tasks", "tasks need capacity")
    if pair.outgoing is not None:
        out = pair.slot_spec(pair.outgoing)
        if spec.min_size < out.min_size:
            p.add(
                f"{f}.{serving}.min_size",
                spec.min_size,
                f">= {pair.outgoing}.min_size ({out.min_size})",
                "when the shift completes, capacity must not fall below the live minimum",
            )
    return p


class BlueGreenEcsCapacity(Construct):
    """The slots of ``pair`` that its phase needs. Add :attr:`strategy` to the cluster's
    :class:`~constructs_br.ecs.cluster.ClusterCapacityProviders`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        vpc: ec2.IVpc,
        pair: PairSpec[EcsCapacitySpec],
        lockfile: Lockfile,
        stage: str | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        volume_key: kms.IKey | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        p = Problems()
        if not isinstance(pair.base, EcsCapacitySpec):
            p.add(f"{pair.field_prefix}.{pair.name}.base", type(pair.base).__name__, "an EcsCapacitySpec")
            p.raise_if_any()
        p.extend(capacity_pair_problems(pair).items)
        p.raise_if_any()
        self.pair = pair
        self.slots: dict[str, EcsCapacity] = {}
        for slot in pair.present:
            self.slots[slot] = EcsCapacity(
                self,
                SLOT_IDS[slot],
                cluster=cluster,
                vpc=vpc,
                spec=pair.slot_spec(slot),
                lockfile=lockfile,
                stage=stage,
                fleet=pair.name,
                slot=slot,
                retiring=pair.role(slot) is SlotRole.RETIRING,
                vpc_subnets=vpc_subnets,
                volume_key=volume_key,
                security_groups=security_groups,
                field_prefix=f"{pair.field_prefix}.{pair.name}.{slot}",
            )
        self._warn_if_same_image()

    def _warn_if_same_image(self) -> None:
        """Warn (the deploy is safe, only pointless) when both slots are the same image and the same spec."""
        outgoing, incoming = self.pair.outgoing, self.pair.incoming
        if outgoing is None or incoming is None:
            return
        version = shared_image_version(self.slots[outgoing].image, self.slots[incoming].image)
        a, b = (dataclasses.replace(self.pair.slot_spec(s), image_version=None) for s in (outgoing, incoming))
        if version is None or a != b:
            return
        message = same_image_message(
            pair=self.pair.name, phase=self.pair.phase.value, version=version, outgoing=outgoing, incoming=incoming
        )
        Annotations.of(self).add_warning_v2(SAME_IMAGE_WARNING, message)

    @property
    def strategy(self) -> list[StrategyItem]:
        """One item per existing slot: weight 1 for the slot taking new tasks, 0 for the outgoing one."""
        return [
            StrategyItem(capacity_provider=cap.capacity_provider_name, weight=weight(self.pair.phase, slot))
            for slot, cap in self.slots.items()
        ]
