"""Node logs on EKS: Fluent Bit as a DaemonSet on every node, installed by the ``amazon-cloudwatch-observability``
EKS add-on (a native ``AWS::EKS::Addon``: no kubectl Lambda, so the platform stack stays free of Lambda-backed
custom resources) with **our** rendered Fluent Bit configuration in its ``ConfigurationValues``.

Why the add-on can do it (docs/logging.md has the sources): its Fluent Bit DaemonSet mounts the host's ``/var/log``
read-only and Bottlerocket's persistent journal is ``/var/log/journal``, so a ``systemd`` input with that path reads
kubelet, containerd and host-container logs; ``containerLogs.fluentBit.config.service`` and ``.extraFiles`` replace
the chart's configuration files (we replace all three default files, so none of the chart's outputs with
``auto_create_group true`` survives); ``tolerations`` defaults to ``operator: Exists`` (every taint, the cutover
taint included) and we set it explicitly.

Children: ``PerformanceLogs`` (the CloudWatch agent's Container Insights group, created here so it is encrypted and
has a retention — the agent would create it otherwise), ``Role`` (trusted by ``pods.eks.amazonaws.com``; the add-on's
Fluent Bit and CloudWatch agent share the ``amazon-cloudwatch/cloudwatch-agent`` service account), ``Policy``
(:mod:`~constructs_br.logs.shipping`, scoped to the stage's groups), ``Addon``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Annotations, Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_br.errors import Problems
from constructs_br.logs.fluentbit import FluentBitConfig, FluentBitImage, render_sections
from constructs_br.logs.groups import NodeLogGroups
from constructs_br.logs.keys import _retention
from constructs_br.logs.shipping import guard_placeholder_image, log_shipping_policy

ADDON_NAME = "amazon-cloudwatch-observability"
NAMESPACE = "amazon-cloudwatch"
SERVICE_ACCOUNT = "cloudwatch-agent"
"""The add-on's Fluent Bit DaemonSet runs as this service account (shared with the CloudWatch agent)."""

DEFAULT_FILES = ("application-log.conf", "dataplane-log.conf", "host-log.conf")
"""The chart's default ``extraFiles``: each is replaced, so none of its own inputs or outputs remains."""

TOLERATE_EVERYTHING: tuple[Mapping[str, str], ...] = ({"operator": "Exists"},)
"""Every taint, every effect: the cutover taint (``constructs-br/cutover``), GPU and dedicated-node taints."""

AGENT_CONFIG: Mapping[str, Any] = {"logs": {"metrics_collected": {"kubernetes": {"enhanced_container_insights": True}}}}
"""The CloudWatch agent: Container Insights only (the chart's default also turns on Application Signals traces,
which would need X-Ray permissions this role does not have)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resources:
    """Container requests and limits (Kubernetes quantities)."""

    cpu_request: str = "50m"
    memory_request: str = "64Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "256Mi"

    def as_kubernetes(self) -> dict[str, dict[str, str]]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AddonSettings:
    """What the add-on is asked for besides the Fluent Bit configuration."""

    resources: Resources = field(default_factory=Resources)
    priority_class_name: str = "system-node-critical"
    """Built into every cluster; node-critical pods are the last the kubelet evicts under pressure."""
    image: FluentBitImage | None = None
    """Pin the add-on's Fluent Bit image by digest (rendered as ``tag@digest``); ``None`` keeps the add-on's own."""


def addon_configuration(
    fluent_bit: FluentBitConfig, settings: AddonSettings, *, host_file: str = "dataplane-log.conf"
) -> dict[str, Any]:
    """The add-on's ``ConfigurationValues`` as a dict (pure; JSON-dumped into the template).

    Fluent Bit concatenates included files into one pipeline, so every input, filter and output goes into one file
    (``host_file``); the other default files become a comment.
    """
    body = fluent_bit.render(service=False)
    service = render_sections([("SERVICE", fluent_bit.service.options())])
    files = dict.fromkeys(DEFAULT_FILES, f"# replaced by constructs_br: see {host_file}\n")
    files[host_file] = body
    fluent: dict[str, Any] = {
        "config": {"service": service, "extraFiles": files},
        "resources": settings.resources.as_kubernetes(),
        "priorityClassName": settings.priority_class_name,
    }
    if settings.image is not None:
        fluent["image"] = {"tag": f"{settings.image.tag}@{settings.image.digest}"}
    return {
        "agent": {"config": dict(AGENT_CONFIG)},
        "containerLogs": {"enabled": True, "fluentBit": fluent},
        "tolerations": [dict(t) for t in TOLERATE_EVERYTHING],
    }


def fluent_bit_pod_manifest(settings: AddonSettings, *, image: str = "aws-for-fluent-bit") -> dict[str, Any]:
    """The pod-level part of what we ask the add-on for (tolerations, resources, priority class, the ``/var/log``
    mount that holds the journal) as a Pod, so tests validate it against the cluster's Kubernetes schema."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "fluent-bit", "namespace": NAMESPACE},
        "spec": {
            "serviceAccountName": SERVICE_ACCOUNT,
            "priorityClassName": settings.priority_class_name,
            "tolerations": [dict(t) for t in TOLERATE_EVERYTHING],
            "containers": [
                {
                    "name": "fluent-bit",
                    "image": image,
                    "resources": settings.resources.as_kubernetes(),
                    "volumeMounts": [{"name": "varlog", "mountPath": "/var/log", "readOnly": True}],
                }
            ],
            "volumes": [{"name": "varlog", "hostPath": {"path": "/var/log"}}],
        },
    }


class EksNodeLogging(Construct):
    """Fluent Bit on every node of ``cluster`` through the ``amazon-cloudwatch-observability`` add-on.

    :param cluster: the cluster (a :class:`~constructs_br.eks.BottlerocketCluster`: the add-on then waits for its
        Pod Identity agent and for CoreDNS, i.e. for the first node group).
    :param groups: the stage's groups; every CloudWatch output of ``fluent_bit`` must write to one of them.
    :param fluent_bit: the rendered pipeline (:func:`~constructs_br.logs.fluentbit.eks_node_config`).
    :param settings: resources, priority class, image pin.
    :param addon_version: the add-on version (pins the operator and agent images); ``None`` = EKS's default.
    :param extra_log_group_names: further groups the role may write to (named and created elsewhere).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster | eks.Cluster,
        groups: NodeLogGroups,
        fluent_bit: FluentBitConfig,
        settings: AddonSettings | None = None,
        addon_version: str | None = None,
        extra_log_group_names: Sequence[str] = (),
    ) -> None:
        settings = settings or AddonSettings()
        p = Problems()
        known_names = {groups.names.host, groups.names.containers, *extra_log_group_names}
        for name in fluent_bit.log_group_names():
            if name not in known_names:
                p.add(
                    "eks_logging.fluent_bit.outputs.log_group_name",
                    name,
                    " | ".join(sorted(known_names)),
                    "every output's log group must exist in the stack (the role cannot create one)",
                )
        p.extend(fluent_bit.problems())
        p.raise_if_any()
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.performance_logs = logs.LogGroup(
            self,
            "PerformanceLogs",
            log_group_name=f"/aws/containerinsights/{cluster.cluster_name}/performance",
            encryption_key=groups.key,
            retention=_retention(groups.retention),
            removal_policy=groups.removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("pods.eks.amazonaws.com").with_session_tags(),
            description=f"{ADDON_NAME} ({NAMESPACE}/{SERVICE_ACCOUNT}) via EKS Pod Identity: write node logs",
        )
        names = sorted({*known_names, f"/aws/containerinsights/{cluster.cluster_name}/performance"})
        self.policy = log_shipping_policy(
            self, "Policy", log_group_names=names, roles=[self.role], what=f"{ADDON_NAME} on {stack.stack_name}"
        )
        self.configuration = addon_configuration(fluent_bit, settings)
        self.addon = eks.CfnAddon(
            self,
            "Addon",
            cluster_name=cluster.cluster_name,
            addon_name=ADDON_NAME,
            addon_version=addon_version,
            resolve_conflicts="OVERWRITE",
            configuration_values=json.dumps(self.configuration, sort_keys=True, separators=(",", ":")),
            pod_identity_associations=[
                eks.CfnAddon.PodIdentityAssociationProperty(
                    service_account=SERVICE_ACCOUNT, role_arn=self.role.role_arn
                )
            ],
        )
        # The association needs credentials for the role before the pods start: policy first, then the add-on.
        self.addon.node.add_dependency(self.policy)
        self.addon.node.add_dependency(self.performance_logs)
        for g in groups.shipping_groups():
            self.addon.node.add_dependency(g)
        agent = cluster.eks_pod_identity_agent if isinstance(cluster, eks.Cluster) else None
        if agent is not None:
            self.addon.node.add_dependency(agent)
        core_dns = getattr(cluster, "core_dns", None)
        if core_dns is not None:
            # CoreDNS waits for the cluster's node groups; the add-on's operator needs a node too.
            self.addon.node.add_dependency(core_dns)
        guard_placeholder_image(self, settings.image)
        if addon_version is None:
            Annotations.of(self).add_info(f"{ADDON_NAME}: no addon_version, EKS installs its default version")


__all__ = [
    "ADDON_NAME",
    "AGENT_CONFIG",
    "AddonSettings",
    "EksNodeLogging",
    "Resources",
    "addon_configuration",
    "fluent_bit_pod_manifest",
]
