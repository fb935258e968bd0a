"""EKS on Bottlerocket: the cluster, managed node groups, blue/green node-group pairs, the VPC CNI's Pod Identity, the
kubectl provider of an operator stack and the Bottlerocket update operator.

``NodeGroupSpec`` and friends are pure (``constructs_br.eks.spec``); the constructs load lazily, so importing the
spec never starts jsii.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_br._lazy import lazy_exports
from constructs_br.eks.spec import NodeGroupSpec, Taint, TaintEffect, cluster_dns_ip, version_lock_for
from constructs_br.eks.update_operator_spec import (
    UPDATER_INTERFACE_LABEL,
    UpdateOperatorSpec,
    capped_concurrency,
    node_group_budget,
)

if TYPE_CHECKING:
    from constructs_br.eks.cluster import BottlerocketCluster, ClusterLogging
    from constructs_br.eks.kubectl import ClusterKubectl
    from constructs_br.eks.nodegroup import BottlerocketNodeGroup, node_security_group
    from constructs_br.eks.pair import CUTOVER_TAINT_KEY, BlueGreenNodeGroupPair, NodeGroupPair
    from constructs_br.eks.pod_identity import VpcCniPodIdentity
    from constructs_br.eks.update_operator import BottlerocketUpdateOperator

_LAZY = {
    "BottlerocketCluster": "constructs_br.eks.cluster",
    "ClusterLogging": "constructs_br.eks.cluster",
    "BottlerocketNodeGroup": "constructs_br.eks.nodegroup",
    "node_security_group": "constructs_br.eks.nodegroup",
    "CUTOVER_TAINT_KEY": "constructs_br.eks.pair",
    "BlueGreenNodeGroupPair": "constructs_br.eks.pair",
    "NodeGroupPair": "constructs_br.eks.pair",
    "VpcCniPodIdentity": "constructs_br.eks.pod_identity",
    "ClusterKubectl": "constructs_br.eks.kubectl",
    "BottlerocketUpdateOperator": "constructs_br.eks.update_operator",
}

__all__ = [
    "CUTOVER_TAINT_KEY",
    "UPDATER_INTERFACE_LABEL",
    "BlueGreenNodeGroupPair",
    "BottlerocketCluster",
    "BottlerocketNodeGroup",
    "BottlerocketUpdateOperator",
    "ClusterKubectl",
    "ClusterLogging",
    "NodeGroupPair",
    "NodeGroupSpec",
    "Taint",
    "TaintEffect",
    "UpdateOperatorSpec",
    "VpcCniPodIdentity",
    "capped_concurrency",
    "cluster_dns_ip",
    "node_group_budget",
    "node_security_group",
    "version_lock_for",
]


__getattr__ = lazy_exports(__name__, _LAZY)
