"""EKS managed node groups on Bottlerocket: the node group, the blue/green pair, phases, and the VPC CNI's
Pod Identity."""

from constructs_br.eks.nodegroup import BottlerocketNodeGroup, node_security_group
from constructs_br.eks.pair import CUTOVER_TAINT_KEY, BlueGreenNodeGroupPair
from constructs_br.eks.phases import (
    SLOTS,
    Phase,
    incoming_slot,
    live_slot,
    next_phase,
    parse_phase,
    rollback_phase,
    schedulable_min,
    slots_present,
    tainted_slot,
    transitions,
)
from constructs_br.eks.pod_identity import VpcCniPodIdentity
from constructs_br.eks.slot_pin import select_slot_image
from constructs_br.eks.spec import NodeGroupSpec, Taint, TaintEffect, cluster_dns_ip

__all__ = [
    "CUTOVER_TAINT_KEY",
    "SLOTS",
    "BlueGreenNodeGroupPair",
    "BottlerocketNodeGroup",
    "NodeGroupSpec",
    "Phase",
    "Taint",
    "TaintEffect",
    "VpcCniPodIdentity",
    "cluster_dns_ip",
    "incoming_slot",
    "live_slot",
    "next_phase",
    "node_security_group",
    "parse_phase",
    "rollback_phase",
    "schedulable_min",
    "select_slot_image",
    "slots_present",
    "tainted_slot",
    "transitions",
]
