"""Kyverno and the node policy in a cluster: the pinned Kyverno Helm chart, then the rendered ``ClusterPolicy``
(:func:`constructs_br.compliance.kyverno.node_policy`) as a ``KubernetesManifest``, ordered after the chart (the
``kyverno.io/v1`` CRD must exist first). Both go through a kubectl provider
(:class:`~constructs_br.eks.kubectl.ClusterKubectl`) in the per-stage operator stack.

The policy stays **Audit** with ``admission: false``: it is refused otherwise, so it can never block a kubelet's
Node status update. Kyverno's chart skips ``Node`` objects by default (``config.resourceFilters`` holds
``[Node,*,*]``), which would leave the policy with nothing to scan; the chart's ``resourceFiltersExclude`` takes
exactly that entry out and keeps ``[Node/?*,*,*]``, so Node *sub-resources* (the kubelet's ``status`` writes) stay
outside Kyverno entirely.

Children (logical IDs are API): ``Kyverno`` (``eks.HelmChart``), ``NodePolicy`` (``eks.KubernetesManifest``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from constructs_br.eks.update_operator import pinned_chart
from constructs_br.eks.update_operator_spec import ChartPin
from constructs_br.errors import ConfigError, Problem, Problems

KYVERNO_CHART: Final = ChartPin(
    repository="https://kyverno.github.io/kyverno/",
    chart="kyverno",
    version="3.3.7",
    release="kyverno",
    namespace="kyverno",
)
"""Kyverno 1.13 (chart 3.3.x), the ``kyverno.io/v1`` ClusterPolicy schema the policy is validated against."""


def kyverno_values() -> dict[str, Any]:
    """Chart values: let Kyverno see ``Node`` objects (not their sub-resources; see the module docstring)."""
    return {"config": {"resourceFiltersExclude": ["[Node,*,*]"]}}


def audit_policy_problems(policy: Mapping[str, Any], field_name: str = "kyverno.policy") -> list[Problem]:
    """Why ``policy`` could block something (``[]`` for an Audit-only, background-only ClusterPolicy)."""
    p = Problems()
    if policy.get("apiVersion") != "kyverno.io/v1" or policy.get("kind") != "ClusterPolicy":
        p.add(field_name, {"apiVersion": policy.get("apiVersion"), "kind": policy.get("kind")},
              "a kyverno.io/v1 ClusterPolicy (constructs_br.compliance.kyverno.node_policy)")  # fmt: skip
        return p.items
    spec = policy.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    if spec.get("validationFailureAction") != "Audit":
        p.add(f"{field_name}.spec.validationFailureAction", spec.get("validationFailureAction"), "Audit")
    if spec.get("admission") is not False:
        p.add(f"{field_name}.spec.admission", spec.get("admission"), "false (background scans only)",
              "in the admission path the policy would see every kubelet Node update")  # fmt: skip
    rules = spec.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        action = (rule.get("validate") or {}).get("failureAction", "Audit") if isinstance(rule, Mapping) else None
        if action != "Audit":
            p.add(f"{field_name}.spec.rules[{i}].validate.failureAction", action, "Audit (or unset)")
    return p.items


class KyvernoNodeAudit(Construct):
    """The Kyverno chart, then ``policy`` (see the module docstring).

    :param cluster: an ``eks.ICluster`` with a kubectl provider (:attr:`ClusterKubectl.cluster`).
    :param policy: the ClusterPolicy dict, e.g. ``kyverno.node_policy(...)``; refused unless Audit-only.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, cluster: eks.ICluster, policy: Mapping[str, Any]
    ) -> None:
        problems = audit_policy_problems(policy)
        if problems:
            raise ConfigError(problems=problems)
        super().__init__(scope, construct_id)
        # wait: the policy's CRD and Kyverno's webhook must be up before the manifest is applied.
        self.chart = pinned_chart(self, "Kyverno", cluster, KYVERNO_CHART, kyverno_values())
        self.policy = eks.KubernetesManifest(self, "NodePolicy", cluster=cluster, manifest=[dict(policy)])
        self.policy.node.add_dependency(self.chart)
