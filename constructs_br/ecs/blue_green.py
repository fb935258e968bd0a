"""Blue/green ECS capacity: two capacities (``Blue``, ``Green``) whose cluster-strategy weights follow the phase.

A slot's resources are built from its own spec only; the phase decides nothing but the weights in
:class:`~constructs_br.ecs.cluster.ClusterCapacityProviders`. So moving ``blue`` → ``blue+green`` → ``green``
never touches the slot that stays (same logical IDs, same launch template user data).

In a two-slot phase, both slots on the same pinned image with otherwise identical specs is a synth-time warning
(``constructs-br:same-image-both-slots``): the cutover would change nothing and only double capacity. Slots that
differ in anything else (instance types, settings, ...) are a real cutover and do not warn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aws_cdk import Annotations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br.ecs.capacity import EcsCapacity
from constructs_br.ecs.cluster import StrategyItem
from constructs_br.ecs.spec import LIVE_SLOTS, BlueGreenSpec, EcsCapacitySpec
from constructs_br.images.lockfile import Lockfile
from constructs_br.images.slot_pin import SAME_IMAGE_WARNING, same_image_message, shared_image_version

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
        self._warn_if_same_image()

    def _warn_if_same_image(self) -> None:
        """Warn (the deploy is safe, only pointless) when both live slots are the same image and the same spec."""
        live = LIVE_SLOTS[self.spec.phase]
        if len(live) != 2 or not all(slot in self.slots for slot in live):
            return
        outgoing, incoming = (self.slots[slot] for slot in live)
        version = shared_image_version(outgoing.image, incoming.image)
        if version is None or _unpinned(outgoing.spec) != _unpinned(incoming.spec):
            return
        message = same_image_message(
            pair=self.spec.name, phase=self.spec.phase.value, version=version, outgoing=live[0], incoming=live[1]
        )
        Annotations.of(self).add_warning_v2(SAME_IMAGE_WARNING, message)

    @property
    def strategy(self) -> list[StrategyItem]:
        """One item per existing slot, weight 1 if it takes tasks in the current phase, else 0."""
        return [
            StrategyItem(capacity_provider=cap.capacity_provider_name, weight=self.spec.weight(slot))
            for slot, cap in self.slots.items()
        ]


def _unpinned(spec: EcsCapacitySpec) -> EcsCapacitySpec:
    """``spec`` without its slot pin (to compare two slots apart from their image version)."""
    return replace(spec, image_version=None)
