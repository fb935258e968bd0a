"""constructs_br: AWS CDK constructs for container fleets on Bottlerocket.

The curated public API (construct classes load lazily, so ``import constructs_br`` never starts jsii)::

    from constructs_br import (
        PinnedAzStack, BottlerocketVpc, FleetKey, BottlerocketCluster,      # the platform
        PairSpec, NodeGroupSpec, BlueGreenNodeGroupPair,                    # EKS node groups, blue/green
        EcsCapacitySpec, BlueGreenEcsCapacity, ClusterCapacityProviders,    # ECS capacity, blue/green
        Lockfile, LockDocument, ImageSpec, Settings, ConfigError,           # images, settings, errors
        ClusterKubectl, KyvernoNodeAudit, BottlerocketUpdateOperator,       # in-cluster operators stack
        UpdateOperatorSpec, capped_concurrency, node_group_budget,          # update operator config (pure)
        version_lock_for, UPDATER_INTERFACE_LABEL,
    )
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_br._lazy import lazy_exports
from constructs_br.eks.spec import version_lock_for
from constructs_br.eks.update_operator_spec import (
    UPDATER_INTERFACE_LABEL,
    UpdateOperatorSpec,
    capped_concurrency,
    node_group_budget,
)
from constructs_br.errors import ConfigError, Problem

if TYPE_CHECKING:
    from constructs_br.bluegreen import PairSpec
    from constructs_br.compliance.kyverno_install import KyvernoNodeAudit
    from constructs_br.ecs import BlueGreenEcsCapacity, ClusterCapacityProviders, EcsCapacitySpec
    from constructs_br.eks import (
        BlueGreenNodeGroupPair,
        BottlerocketCluster,
        BottlerocketUpdateOperator,
        ClusterKubectl,
        NodeGroupSpec,
    )
    from constructs_br.images import ImageSpec, LockDocument, Lockfile
    from constructs_br.logs.keys import FleetKey
    from constructs_br.platform import BottlerocketVpc, PinnedAzStack
    from constructs_br.settings import Settings

_LAZY = {
    "PairSpec": "constructs_br.bluegreen",
    "BlueGreenEcsCapacity": "constructs_br.ecs.blue_green",
    "ClusterCapacityProviders": "constructs_br.ecs.cluster",
    "EcsCapacitySpec": "constructs_br.ecs.spec",
    "BlueGreenNodeGroupPair": "constructs_br.eks.pair",
    "BottlerocketCluster": "constructs_br.eks.cluster",
    "BottlerocketUpdateOperator": "constructs_br.eks.update_operator",
    "ClusterKubectl": "constructs_br.eks.kubectl",
    "KyvernoNodeAudit": "constructs_br.compliance.kyverno_install",
    "LockDocument": "constructs_br.images.lockfile",
    "NodeGroupSpec": "constructs_br.eks.spec",
    "ImageSpec": "constructs_br.images.resolve",
    "Lockfile": "constructs_br.images.lockfile",
    "FleetKey": "constructs_br.logs.keys",
    "BottlerocketVpc": "constructs_br.platform.network",
    "PinnedAzStack": "constructs_br.platform.network",
    "Settings": "constructs_br.settings.model",
}

__all__ = [
    "UPDATER_INTERFACE_LABEL",
    "BlueGreenEcsCapacity",
    "BlueGreenNodeGroupPair",
    "BottlerocketCluster",
    "BottlerocketUpdateOperator",
    "BottlerocketVpc",
    "ClusterCapacityProviders",
    "ClusterKubectl",
    "ConfigError",
    "EcsCapacitySpec",
    "FleetKey",
    "ImageSpec",
    "KyvernoNodeAudit",
    "LockDocument",
    "Lockfile",
    "NodeGroupSpec",
    "PairSpec",
    "PinnedAzStack",
    "Problem",
    "Settings",
    "UpdateOperatorSpec",
    "capped_concurrency",
    "node_group_budget",
    "version_lock_for",
]
__version__ = "0.1.0"

__getattr__ = lazy_exports(__name__, _LAZY)
