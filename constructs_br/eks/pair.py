"""A blue/green pair of Bottlerocket node groups with a cutover phase (see :mod:`constructs_br.eks.phases`).

Children (logical IDs are API): ``NodeRole`` and ``SecurityGroup`` shared by both slots (so removing a slot never
touches them), ``Blue`` and ``Green`` (each a :class:`BottlerocketNodeGroup` with ``LaunchTemplate`` and
``NodeGroup``). A phase change only adds/removes the incoming/outgoing slot and sets or clears the outgoing slot's
``NoSchedule`` taint on its node group (EKS applies it to the nodes); the staying slot's launch template and user
data are byte-identical, so it is never replaced or rolled.

While both slots exist, the outgoing slot's node group depends on the incoming one: CloudFormation taints the old
nodes only after the new node group is ``ACTIVE`` (its nodes joined), so schedulable capacity never drops below
the live slot's minimum.

In a two-slot phase, both slots on the same pinned image is a synth-time warning
(``constructs-br:same-image-both-slots``): the cutover would change nothing and only double capacity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Annotations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br.eks.nodegroup import BottlerocketNodeGroup, node_security_group
from constructs_br.eks.phases import Phase, incoming_slot, slots_present, tainted_slot
from constructs_br.eks.spec import NodeGroupSpec, Taint, TaintEffect
from constructs_br.errors import Problems
from constructs_br.iam.node_role import EksNodeRole
from constructs_br.images.resolve import ResolvedImage
from constructs_br.images.slot_pin import SAME_IMAGE_WARNING, same_image_message, shared_image_version

CUTOVER_TAINT_KEY = "constructs-br/cutover"
"""The taint on the outgoing slot: new pods avoid it, running pods stay until EKS drains the node group."""


class BlueGreenNodeGroupPair(Construct):
    """Two slots, ``blue`` and ``green``, each with its own image; ``phase`` says which exist and which is tainted.

    :param images: the image of each slot present in ``phase`` (``{"blue": ..., "green": ...}``); see
        :func:`~constructs_br.eks.slot_pin.select_slot_image` to pin a slot to the lockfile's previous image.
    Other parameters are :class:`BottlerocketNodeGroup`'s; ``fleet`` is the pair's name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster | eks.Cluster,
        spec: NodeGroupSpec,
        phase: Phase | str,
        images: Mapping[str, ResolvedImage],
        cluster_version: str | None,
        fleet: str,
        stage: str,
        service_ipv4_cidr: str | None = None,
        stage_settings: Mapping[str, Any] | None = None,
        vpc: ec2.IVpc | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        volume_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.phase = Phase(phase)
        problems = Problems()
        for slot in slots_present(self.phase):
            if slot not in images:
                problems.add(f"{spec.field_prefix}.{slot}", None, f"an image for slot {slot} (phase {self.phase})")
        the_vpc = vpc or cluster.vpc
        problems.raise_if_any()

        self.node_role = EksNodeRole(self, "NodeRole", cluster_arn=cluster.cluster_arn).role
        self.security_group = node_security_group(self, "SecurityGroup", the_vpc)
        self.slots: dict[str, BottlerocketNodeGroup] = {}
        tainted = tainted_slot(self.phase)
        for slot in slots_present(self.phase):
            self.slots[slot] = BottlerocketNodeGroup(
                self,
                slot.capitalize(),
                cluster=cluster,
                spec=spec,
                image=images[slot],
                cluster_version=cluster_version,
                fleet=fleet,
                stage=stage,
                slot=slot,
                service_ipv4_cidr=service_ipv4_cidr,
                stage_settings=stage_settings,
                vpc=the_vpc,
                subnets=subnets,
                node_role=self.node_role,
                security_group=self.security_group,
                volume_key=volume_key,
                extra_taints=(
                    [Taint(key=CUTOVER_TAINT_KEY, value="outgoing", effect=TaintEffect.NO_SCHEDULE)]
                    if slot == tainted
                    else []
                ),
            )
        if tainted is not None:
            incoming = next(s for s in self.slots if s != tainted)
            self.slots[tainted].resource.add_dependency(self.slots[incoming].resource)
        _warn_if_same_image(self, fleet, self.phase, images)


def _warn_if_same_image(pair: Construct, name: str, phase: Phase, images: Mapping[str, ResolvedImage]) -> None:
    """Warn (the deploy is safe, only pointless) when both slots of a two-slot phase run the same pinned image."""
    incoming, outgoing = incoming_slot(phase), tainted_slot(phase)
    if incoming is None or outgoing is None:
        return
    version = shared_image_version(images[outgoing], images[incoming])
    if version is not None:
        message = same_image_message(
            pair=name, phase=phase.value, version=version, outgoing=outgoing, incoming=incoming
        )
        Annotations.of(pair).add_warning_v2(SAME_IMAGE_WARNING, message)
