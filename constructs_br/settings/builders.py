"""User data for the three node paths: EKS managed AMI, EKS custom AMI, ECS.

Layers merge as ``secure_defaults(variant) <- stage <- nodegroup <- extras`` (see :mod:`merge`), then the result
is validated for the variant; every problem is raised at once as :class:`ConfigError`.

* **EKS-managed AMI** (node group with a Bottlerocket ``amiType``): EKS merges its own settings into the launch
  template's user data - ``cluster-name``, ``api-server``, ``cluster-certificate``, ``cluster-dns-ip`` - and
  derives the ``eks.amazonaws.com/*`` node labels from the node group. Setting them ourselves would override EKS's
  values (a stale endpoint or CA after a cluster change), so they are rejected in every layer.
* **Custom AMI**: EKS merges nothing; the join keys are required and come from the cluster (tokens accepted), never
  from a layer.
* **ECS**: ``settings.ecs.cluster`` comes from the argument; spot draining on and privileged containers off are
  library defaults (layers may override them); optional CloudFormation signalling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from constructs_br.errors import Problems
from constructs_br.settings.codec import as_document, render
from constructs_br.settings.merge import merge
from constructs_br.settings.model import CloudFormationSettings, EcsSettings, KubernetesSettings, Settings
from constructs_br.settings.presets import secure_defaults
from constructs_br.settings.validate import validate
from constructs_br.settings.variants import parse_variant

Layer = Settings | Mapping[str, Any] | None

EKS_INJECTED_KEYS: tuple[str, ...] = ("cluster-name", "api-server", "cluster-certificate", "cluster-dns-ip")
"""Keys EKS writes into managed-AMI node groups' user data itself."""

EKS_DERIVED_LABEL_PREFIX = "eks.amazonaws.com/"
"""Node labels EKS derives from the node group (``eks.amazonaws.com/nodegroup``, ``…/capacityType``, …)."""


def _kubernetes_table(layer: Layer) -> Mapping[str, Any]:
    if layer is None:
        return {}
    settings = as_document(layer).get("settings") or {}
    table = settings.get("kubernetes") if isinstance(settings, Mapping) else None
    return table if isinstance(table, Mapping) else {}


def _named_layers(stage: Layer, nodegroup: Layer, extras: Layer) -> tuple[tuple[str, Layer], ...]:
    return (("stage", stage), ("nodegroup", nodegroup), ("extras", extras))


def _finish(merged: Settings, variant: str, problems: Problems) -> str:
    problems.extend(validate(merged, variant=variant))
    problems.raise_if_any()
    return render(merged)


def _require_family(variant: str, family: str, problems: Problems) -> bool:
    v = parse_variant(variant)
    if v.family != family:
        problems.add("variant", variant, f"an aws-{family}-* variant for this path")
        return False
    return True


def eks_managed_user_data(*, variant: str, stage: Layer = None, nodegroup: Layer = None, extras: Layer = None) -> str:
    """TOML user data for a managed node group on an EKS Bottlerocket AMI type (EKS adds the join keys)."""
    problems = Problems()
    if not _require_family(variant, "k8s", problems):
        problems.raise_if_any()
    for name, layer in _named_layers(stage, nodegroup, extras):
        table = _kubernetes_table(layer)
        for key in EKS_INJECTED_KEYS:
            if key in table:
                problems.add(
                    f"settings.kubernetes.{key}",
                    table[key],
                    "unset on the EKS-managed-AMI path",
                    f"EKS injects this key into managed node groups' user data itself; setting it in {name} "
                    "overrides EKS's value (use custom_ami_user_data for a custom AMI)",
                )
        labels = table.get("node-labels")
        if isinstance(labels, Mapping):
            for label in labels:
                if str(label).startswith(EKS_DERIVED_LABEL_PREFIX):
                    problems.add(
                        f'settings.kubernetes.node-labels."{label}"',
                        labels[label],
                        f"no {EKS_DERIVED_LABEL_PREFIX}* labels",
                        f"EKS derives these labels from the node group (set in {name})",
                    )
    merged = merge(secure_defaults(variant), stage, nodegroup, extras)
    return _finish(merged, variant, problems)


def custom_ami_user_data(
    *,
    variant: str,
    cluster_name: str,
    api_server: str,
    cluster_certificate: str,
    cluster_dns_ip: str | Sequence[str],
    stage: Layer = None,
    nodegroup: Layer = None,
    extras: Layer = None,
) -> str:
    """TOML user data for a custom AMI (EKS merges nothing): the join keys come from the cluster arguments."""
    problems = Problems()
    if not _require_family(variant, "k8s", problems):
        problems.raise_if_any()
    join = {
        "cluster-name": cluster_name,
        "api-server": api_server,
        "cluster-certificate": cluster_certificate,
        "cluster-dns-ip": cluster_dns_ip,
    }
    for key, value in join.items():
        if value is None or value == "" or (not isinstance(value, str) and not list(value)):
            problems.add(f"settings.kubernetes.{key}", value, "a value derived from the cluster (required)",
                         "a custom-AMI node cannot join EKS without it")  # fmt: skip
    for name, layer in _named_layers(stage, nodegroup, extras):
        table = _kubernetes_table(layer)
        for key in EKS_INJECTED_KEYS:
            if key in table:
                problems.add(
                    f"settings.kubernetes.{key}",
                    table[key],
                    "unset in layers on the custom-AMI path",
                    f"derived from the cluster via the {key.replace('-', '_')} argument; set in {name}",
                )
    dns = cluster_dns_ip if isinstance(cluster_dns_ip, str) else tuple(cluster_dns_ip)
    join_layer = Settings(
        kubernetes=KubernetesSettings(
            cluster_name=cluster_name,
            api_server=api_server,
            cluster_certificate=cluster_certificate,
            cluster_dns_ip=dns,
        )
    )
    merged = merge(secure_defaults(variant), stage, nodegroup, extras, join_layer)
    return _finish(merged, variant, problems)


def ecs_user_data(
    *,
    variant: str,
    cluster: str,
    stage: Layer = None,
    nodegroup: Layer = None,
    extras: Layer = None,
    stack_name: str | None = None,
    logical_resource_id: str | None = None,
) -> str:
    """TOML user data for an ECS container instance joining ``cluster``.

    With ``stack_name`` and ``logical_resource_id`` the node sends a CloudFormation signal when it is up
    (``settings.cloudformation.should-signal``); give both or neither.
    """
    problems = Problems()
    if not _require_family(variant, "ecs", problems):
        problems.raise_if_any()
    if not cluster:
        problems.add("settings.ecs.cluster", cluster, "a cluster name or ARN (required)")
    for name, layer in _named_layers(stage, nodegroup, extras):
        doc = as_document(layer).get("settings", {}) if layer is not None else {}
        ecs = doc.get("ecs") if isinstance(doc, Mapping) else None
        if isinstance(ecs, Mapping) and "cluster" in ecs:
            problems.add("settings.ecs.cluster", ecs["cluster"], "unset in layers",
                         f"comes from the cluster argument; set in {name}")  # fmt: skip
    if (stack_name is None) != (logical_resource_id is None):
        problems.add("settings.cloudformation", {"stack_name": stack_name, "logical_resource_id": logical_resource_id},
                     "both stack_name and logical_resource_id, or neither")  # fmt: skip
    library = Settings(ecs=EcsSettings(enable_spot_instance_draining=True, allow_privileged_containers=False))
    signal = (
        Settings(
            cloudformation=CloudFormationSettings(
                should_signal=True, stack_name=stack_name, logical_resource_id=logical_resource_id
            )
        )
        if stack_name is not None and logical_resource_id is not None
        else None
    )
    merged = merge(
        secure_defaults(variant), library, stage, nodegroup, extras, Settings(ecs=EcsSettings(cluster=cluster)), signal
    )
    return _finish(merged, variant, problems)
