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

An *adopted* blue (``PairSpec.adopt`` = ``capacity-provider/<name>``, a provider this app did not create) is never
built: only ``Green`` is. While blue is present its provider is named in :attr:`BlueGreenEcsCapacity.strategy` by
name — an association with the cluster, not a resource (see the comment there). ``brctl cutover adopted standby``
scales its Auto Scaling group to zero at ``green``; nothing in this app deletes it. Outputs ``AdoptedBlue`` /
``AdoptedBlueState`` record its name and state as plain text for ``brctl``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from aws_cdk import Annotations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br.bluegreen.adopt import ECS_KINDS, adopt_hint
from constructs_br.bluegreen.pair import PairSpec
from constructs_br.bluegreen.phases import SlotRole, serving_slot, weight
from constructs_br.bluegreen.pins import SAME_IMAGE_WARNING, same_image_message, shared_image_version
from constructs_br.ecs.capacity import EcsCapacity
from constructs_br.ecs.cluster import StrategyItem
from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.eks.pair import add_adopted_outputs
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
    if pair.adopt is not None and serving == "blue":  # the adopted provider serves; its sizes are its owner's
        return p
    if spec.min_size < 1:
        p.add(f"{f}.{serving}.min_size", spec.min_size, ">= 1 for the slot taking tasks", "tasks need capacity")
    if pair.outgoing is not None and pair.outgoing in pair.built:
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
        if pair.adopt is not None and pair.adopt.kind not in ECS_KINDS:
            p.add(f"{pair.field_prefix}.{pair.name}.adopt", pair.adopt.ref, adopt_hint(ECS_KINDS))
        p.extend(capacity_pair_problems(pair).items)
        p.raise_if_any()
        self.pair = pair
        self.slots: dict[str, EcsCapacity] = {}
        for slot in pair.built:  # an adopted blue is never built
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
        if pair.adopt is not None:
            add_adopted_outputs(self, pair)

    def _warn_if_same_image(self) -> None:
        """Warn (the deploy is safe, only pointless) when both slots are the same image and the same spec."""
        outgoing, incoming = self.pair.outgoing, self.pair.incoming
        if outgoing not in self.slots or incoming not in self.slots:
            return
        assert outgoing is not None
        assert incoming is not None
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
        """One item per existing slot: weight 1 for the slot taking new tasks, 0 for the outgoing one.

        An adopted blue is named by its provider's name while its phase has it. This is an association, not a
        resource: ``AWS::ECS::ClusterCapacityProviderAssociations`` owns the cluster's whole provider list
        (``PutClusterCapacityProviders``), so a provider left out of it is *disassociated* from the cluster — never
        deleted (the association resource cannot delete a provider, on update or on delete). That is why the
        adopted provider must be listed while it serves (the first deploy of an adopted pair takes over the
        cluster's list: name every provider the cluster uses), and why dropping it at ``green`` is safe: ECS
        refuses the update while a service still uses it (``The specified capacity provider is in use``), and
        ``brctl cutover next`` refuses before that.
        """
        items = []
        for slot in self.pair.present:
            if slot in self.slots:
                name = self.slots[slot].capacity_provider_name
            else:
                assert self.pair.adopt is not None  # only an adopted blue is present but not built
                name = self.pair.adopt.name
            items.append(StrategyItem(capacity_provider=name, weight=weight(self.pair.phase, slot)))
        return items
