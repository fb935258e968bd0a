"""The platform under the fleet: a hardened VPC, the stack base that needs no AZ lookup, the stage's KMS key, and
the EKS control plane Bottlerocket node groups expect."""

from __future__ import annotations

from constructs_br.eks.cluster import BottlerocketCluster, ClusterLogging
from constructs_br.logs.keys import FleetKey, LogRetention, encrypted_log_group
from constructs_br.platform.network import BottlerocketVpc, PinnedAzStack

__all__ = [
    "BottlerocketCluster",
    "BottlerocketVpc",
    "ClusterLogging",
    "FleetKey",
    "LogRetention",
    "PinnedAzStack",
    "encrypted_log_group",
]
