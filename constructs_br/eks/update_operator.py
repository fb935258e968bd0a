"""The Bottlerocket update operator (BRUPOP): cert-manager, the ``bottlerocket-shadow`` CRD and the operator, as
``aws_eks_v2`` Helm charts through a kubectl provider (:class:`~constructs_br.eks.kubectl.ClusterKubectl`), in a stack
of their own (node-group stacks stay without any custom resource).

Configuration (pure, re-exported here) is in :mod:`constructs_br.eks.update_operator_spec`: the maintenance window,
the concurrency and its cap at the node groups' disruption budget, the pinned charts.

Children (logical IDs are API): ``CertManager``, ``Shadow``, ``Operator``, each an ``eks.HelmChart`` with its
namespace created by the install, in that order (explicit dependencies): the shadow CRD's conversion webhook and the
operator's certificates need cert-manager's webhook up, and the operator needs its CRD. Each waits for its pods
(``wait``), so the next one starts against a ready webhook; a stack delete removes them in reverse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, Duration
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from constructs_br.eks.update_operator_spec import (
    BRUPOP_NAMESPACE,
    BRUPOP_REPOSITORY,
    CERT_MANAGER_CHART,
    CONCURRENCY_CAPPED_WARNING,
    OPERATOR_CHART,
    SHADOW_CHART,
    UPDATER_INTERFACE_LABEL,
    UPDATER_INTERFACE_VERSION,
    ChartPin,
    UpdateOperatorSpec,
    capped_concurrency,
    cert_manager_values,
    concurrency_warning,
    cron_problems,
    node_group_budget,
    operator_values,
    shadow_values,
)
from constructs_br.errors import ConfigError

__all__ = [
    "BRUPOP_NAMESPACE",
    "BRUPOP_REPOSITORY",
    "CERT_MANAGER_CHART",
    "CONCURRENCY_CAPPED_WARNING",
    "OPERATOR_CHART",
    "SHADOW_CHART",
    "UPDATER_INTERFACE_LABEL",
    "UPDATER_INTERFACE_VERSION",
    "BottlerocketUpdateOperator",
    "ChartPin",
    "UpdateOperatorSpec",
    "capped_concurrency",
    "cert_manager_values",
    "concurrency_warning",
    "cron_problems",
    "node_group_budget",
    "operator_values",
    "shadow_values",
]


def pinned_chart(
    scope: Construct, construct_id: str, cluster: eks.ICluster, pin: ChartPin, values: dict[str, Any]
) -> eks.HelmChart:
    """A Helm chart at its pinned version in its own namespace, installed with ``wait`` (its pods ready: the next
    chart or manifest needs its webhooks) and a ten-minute timeout."""
    return eks.HelmChart(
        scope,
        construct_id,
        cluster=cluster,
        repository=pin.repository,
        chart=pin.chart,
        version=pin.version,
        release=pin.release,
        namespace=pin.namespace,
        create_namespace=True,
        values=values,
        wait=True,
        timeout=Duration.minutes(10),
    )


class BottlerocketUpdateOperator(Construct):
    """cert-manager → ``bottlerocket-shadow`` → ``bottlerocket-update-operator`` on ``cluster`` (see the module
    docstring).

    :param cluster: an ``eks.ICluster`` with a kubectl provider (:attr:`ClusterKubectl.cluster`).
    :param spec: the stage's :class:`UpdateOperatorSpec`.
    :param node_group_budgets: :func:`node_group_budget` of every node group with ``update_operator=True``; the
        operator's concurrency is capped at the smallest (a warning says so when that lowers the spec's value).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster,
        spec: UpdateOperatorSpec,
        node_group_budgets: Sequence[int],
    ) -> None:
        if not isinstance(spec, UpdateOperatorSpec):
            raise ConfigError("update_operator.spec", type(spec).__name__, "an UpdateOperatorSpec")
        concurrency = capped_concurrency(spec, node_group_budgets)
        super().__init__(scope, construct_id)
        self.spec = spec
        self.max_concurrent_updates = concurrency
        warning = concurrency_warning(spec, node_group_budgets)
        if warning is not None:
            Annotations.of(self).add_warning_v2(CONCURRENCY_CAPPED_WARNING, warning)
        self.cert_manager = pinned_chart(self, "CertManager", cluster, CERT_MANAGER_CHART, cert_manager_values())
        self.shadow = pinned_chart(self, "Shadow", cluster, SHADOW_CHART, shadow_values())
        self.operator = pinned_chart(self, "Operator", cluster, OPERATOR_CHART, operator_values(spec, concurrency))
        self.shadow.node.add_dependency(self.cert_manager)
        self.operator.node.add_dependency(self.shadow)
