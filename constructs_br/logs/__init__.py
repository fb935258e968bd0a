"""KMS keys and encrypted log groups, and Fluent Bit for EKS and ECS nodes.

``constructs_br.logs.fluentbit`` is pure (no ``aws_cdk``): the Fluent Bit configuration as typed data, its renderer
and a parser. The constructs load lazily, so importing the renderer never starts jsii.

* :class:`FleetKey`, :func:`encrypted_log_group`, :class:`LogRetention` — the stage key and generic groups;
* :class:`NodeLogGroups` — host / containers / sessions groups with fixed names (API);
* :class:`EksNodeLogging` — Fluent Bit through the ``amazon-cloudwatch-observability`` add-on, Pod Identity;
* :class:`EcsNodeLogging` — a Fluent Bit ``DAEMON`` service reading the journal;
* :func:`add_log_router`, :func:`firelens_logging` — FireLens for application task definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_br._lazy import lazy_exports
from constructs_br.logs.fluentbit import FluentBitConfig, FluentBitImage, ecs_node_config, eks_node_config

if TYPE_CHECKING:
    from constructs_br.logs.ecs import EcsNodeLogging
    from constructs_br.logs.eks import AddonSettings, EksNodeLogging, Resources
    from constructs_br.logs.firelens import add_log_router, firelens_logging
    from constructs_br.logs.groups import LogGroupNames, NodeLogGroups
    from constructs_br.logs.keys import FleetKey, LogRetention, encrypted_log_group

_LAZY = {
    "FleetKey": "constructs_br.logs.keys",
    "LogRetention": "constructs_br.logs.keys",
    "encrypted_log_group": "constructs_br.logs.keys",
    "LogGroupNames": "constructs_br.logs.groups",
    "NodeLogGroups": "constructs_br.logs.groups",
    "AddonSettings": "constructs_br.logs.eks",
    "EksNodeLogging": "constructs_br.logs.eks",
    "Resources": "constructs_br.logs.eks",
    "EcsNodeLogging": "constructs_br.logs.ecs",
    "add_log_router": "constructs_br.logs.firelens",
    "firelens_logging": "constructs_br.logs.firelens",
}

__all__ = [
    "AddonSettings",
    "EcsNodeLogging",
    "EksNodeLogging",
    "FleetKey",
    "FluentBitConfig",
    "FluentBitImage",
    "LogGroupNames",
    "LogRetention",
    "NodeLogGroups",
    "Resources",
    "add_log_router",
    "ecs_node_config",
    "eks_node_config",
    "encrypted_log_group",
    "firelens_logging",
]


__getattr__ = lazy_exports(__name__, _LAZY)
