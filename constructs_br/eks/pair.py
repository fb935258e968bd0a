"""A blue/green pair of Bottlerocket node groups: one :class:`~constructs_br.bluegreen.PairSpec`, built.

Children (logical IDs are API): ``NodeRole`` and ``SecurityGroup`` shared by both slots (so removing a slot never
touches them), ``Blue`` and ``Green`` (each a :class:`BottlerocketNodeGroup` with ``LaunchTemplate`` and
``NodeGroup``), each existing only while its phase names it. Each slot is built from its own spec (the pair's base
plus the slot's overrides), so a change meant for the cutover goes on the incoming slot and the staying slot's
launch template and node group are byte-identical in every transition.

In a two-slot phase the outgoing slot carries the ``NoSchedule`` taint :data:`CUTOVER_TAINT_KEY` (new pods land on
the incoming slot) and its node group depends on the incoming one: CloudFormation taints the old nodes only after
the new node group is ``ACTIVE``. Before the next phase deletes the outgoing node group, drain it
(``brctl cutover next`` prints the ``kubectl drain`` command and, with a kubeconfig, refuses while pods remain), so
pods move one node at a time under their PodDisruptionBudgets instead of all at once when EKS deletes the group.

Both slots on the same pinned image with the same spec is a synth warning (``constructs-br:same-image-both-slots``).

An *adopted* blue (``PairSpec.adopt``: ``nodegroup/<name>`` or ``asg/<name>``, a group this app did not create) is
never built — no resource, no import CloudFormation could delete. Only ``Green`` is built next to it; the adopted
group's name is recorded as plain text in the stack outputs ``AdoptedBlue`` and ``AdoptedBlueState``
(``serving`` | ``outgoing`` | ``standby`` | ``retired``) for ``brctl``. Its outgoing taint goes through the EKS API
(``brctl cutover adopted taint``), not the template, because the template does not own it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from aws_cdk import Annotations, CfnOutput
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br.bluegreen.adopt import EKS_KINDS, adopt_hint
from constructs_br.bluegreen.pair import PairSpec
from constructs_br.bluegreen.phases import SlotRole
from constructs_br.bluegreen.pins import SAME_IMAGE_WARNING, same_image_message, shared_image_version
from constructs_br.eks.nodegroup import BottlerocketNodeGroup, _cluster_vpc, node_security_group
from constructs_br.eks.spec import NodeGroupSpec, Taint, TaintEffect
from constructs_br.errors import Problems
from constructs_br.iam.node_role import EksNodeRole
from constructs_br.images.lockfile import Lockfile
from constructs_br.settings import Settings

CUTOVER_TAINT_KEY = "constructs-br/cutover"
"""The taint on the outgoing slot: new pods avoid it; running pods stay until the slot is drained."""

ADOPTED_STATES = {
    None: "absent",
    SlotRole.LIVE: "serving",
    SlotRole.INCOMING: "serving",
    SlotRole.OUTGOING: "outgoing",
    SlotRole.RETIRING: "outgoing",
}


def adopted_state(pair: PairSpec[Any]) -> str:
    """What the adopted blue does in the pair's phase: ``serving``, ``outgoing`` (tainted / weight 0), ``standby``
    (``green``: scaled to zero by brctl) or ``retired`` (``retire``: its owner may delete it)."""
    if pair.retired:
        return "retired"
    role = pair.role("blue")
    return "standby" if role is None else ADOPTED_STATES[role]


def add_adopted_outputs(scope: Construct, pair: PairSpec[Any]) -> None:
    """Plain-text outputs naming the adopted group and its state (no resource: nothing CloudFormation could
    delete)."""
    assert pair.adopt is not None
    CfnOutput(
        scope,
        "AdoptedBlue",
        value=pair.adopt.ref,
        description=f"pair {pair.name}: the existing group adopted as blue (not managed or deleted by this app)",
    )
    CfnOutput(
        scope,
        "AdoptedBlueState",
        value=adopted_state(pair),
        description=f"pair {pair.name}: phase {pair.phase_value}; brctl cutover adopted brings the group there",
    )


NodeGroupPair: TypeAlias = PairSpec[NodeGroupSpec]
"""A blue/green pair of node-group specs."""


class BlueGreenNodeGroupPair(Construct):
    """The slots of ``pair`` that its phase needs, each a :class:`BottlerocketNodeGroup` built from its own spec.

    :param pair: base spec, per-slot overrides and phase (:class:`~constructs_br.bluegreen.PairSpec`); its name is
        the fleet tag.
    :param lockfile: where pins come from (each slot: the current pin, or the previous one by ``image_version``).
    Other parameters are :class:`BottlerocketNodeGroup`'s.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster | eks.Cluster,
        pair: PairSpec[NodeGroupSpec],
        lockfile: Lockfile,
        stage: str | None = None,
        cluster_kubernetes_version: str | None = None,
        service_ipv4_cidr: str | None = None,
        stage_settings: Settings | Mapping[str, Any] | None = None,
        vpc: ec2.IVpc | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        volume_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems()
        if not isinstance(pair.base, NodeGroupSpec):
            problems.add(f"{pair.field_prefix}.{pair.name}.base", type(pair.base).__name__, "a NodeGroupSpec")
        if pair.retire_outgoing:
            problems.add(
                f"{pair.field_prefix}.{pair.name}.retire_outgoing",
                True,
                "false for EKS pairs",
                "EKS node groups are drained with kubectl and deleted by the next phase; retiring is an ECS step",
            )
        if pair.adopt is not None and pair.adopt.kind not in EKS_KINDS:
            problems.add(f"{pair.field_prefix}.{pair.name}.adopt", pair.adopt.ref, adopt_hint(EKS_KINDS))
        the_vpc = vpc or _cluster_vpc(cluster)
        if the_vpc is None:
            problems.add(f"{pair.field_prefix}.{pair.name}.vpc", None, "a VPC (the imported cluster has none)")
        problems.raise_if_any()
        assert the_vpc is not None
        self.pair = pair
        self.phase = pair.phase
        self.node_role = EksNodeRole(self, "NodeRole", cluster_arn=cluster.cluster_arn).role
        self.security_group = node_security_group(self, "SecurityGroup", the_vpc)
        self.slots: dict[str, BottlerocketNodeGroup] = {}
        outgoing = pair.outgoing
        for slot in pair.built:  # an adopted blue is never built
            spec = pair.slot_spec(slot)
            self.slots[slot] = BottlerocketNodeGroup(
                self,
                slot.capitalize(),
                cluster=cluster,
                spec=spec,
                lockfile=lockfile,
                fleet=pair.name,
                stage=stage,
                slot=slot,
                cluster_kubernetes_version=cluster_kubernetes_version,
                service_ipv4_cidr=service_ipv4_cidr,
                stage_settings=stage_settings,
                vpc=the_vpc,
                subnets=subnets,
                node_role=self.node_role,
                security_group=self.security_group,
                volume_key=volume_key,
                extra_taints=(
                    [Taint(key=CUTOVER_TAINT_KEY, value="outgoing", effect=TaintEffect.NO_SCHEDULE)]
                    if slot == outgoing
                    else []
                ),
            )
        incoming = pair.incoming
        if outgoing in self.slots and incoming in self.slots:
            assert outgoing is not None
            assert incoming is not None
            self.slots[outgoing].resource.add_dependency(self.slots[incoming].resource)
            self._warn_if_same(outgoing, incoming)
        if pair.adopt is not None:
            add_adopted_outputs(self, pair)

    def _warn_if_same(self, outgoing: str, incoming: str) -> None:
        """Warn (the deploy is safe, only pointless) when both slots run the same image with the same spec."""
        version = shared_image_version(self.slots[outgoing].image, self.slots[incoming].image)
        a, b = (dataclasses.replace(self.pair.slot_spec(s), image_version=None) for s in (outgoing, incoming))
        if version is None or a != b:
            return
        message = same_image_message(
            pair=self.pair.name, phase=self.phase.value, version=version, outgoing=outgoing, incoming=incoming
        )
        Annotations.of(self).add_warning_v2(SAME_IMAGE_WARNING, message)
