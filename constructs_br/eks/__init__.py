"""EKS on Bottlerocket: the cluster, managed node groups, blue/green node-group pairs, the VPC CNI's Pod Identity.

``NodeGroupSpec`` and friends are pure (``constructs_br.eks.spec``); the constructs load lazily, so importing the
spec never starts jsii.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_br._lazy import lazy_exports
from constructs_br.eks.spec import NodeGroupSpec, Taint, TaintEffect, cluster_dns_ip

if TYPE_CHECKING:
    from constructs_br.eks.cluster import BottlerocketCluster, ClusterLogging
    from constructs_br.eks.nodegroup import BottlerocketNodeGroup, node_security_group
    from constructs_br.eks.pair import CUTOVER_TAINT_KEY, BlueGreenNodeGroupPair, NodeGroupPair
    from constructs_br.eks.pod_identity import VpcCniPodIdentity

_LAZY = {
    "BottlerocketCluster": "constructs_br.eks.cluster",
    "ClusterLogging": "constructs_br.eks.cluster",
    "BottlerocketNodeGroup": "constructs_br.eks.nodegroup",
    "node_security_group": "constructs_br.eks.nodegroup",
    "CUTOVER_TAINT_KEY": "constructs_br.eks.pair",
    "BlueGreenNodeGroupPair": "constructs_br.eks.pair",
    "NodeGroupPair": "constructs_br.eks.pair",
    "VpcCniPodIdentity": "constructs_br.eks.pod_identity",
}

__all__ = [
    "CUTOVER_TAINT_KEY",
    "BlueGreenNodeGroupPair",
    "BottlerocketCluster",
    "BottlerocketNodeGroup",
    "ClusterLogging",
    "NodeGroupPair",
    "NodeGroupSpec",
    "Taint",
    "TaintEffect",
    "VpcCniPodIdentity",
    "cluster_dns_ip",
    "node_security_group",
]


__getattr__ = lazy_exports(__name__, _LAZY)
