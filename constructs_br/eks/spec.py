"""Pure node-group configuration and its validation (no ``aws_cdk``): usable by stage config, ``brctl`` and tests.

>>> spec = NodeGroupSpec(variant="aws-k8s-1.33", arch="arm64", instance_types=("m7g.large",))
>>> spec.ami_type
'BOTTLEROCKET_ARM_64'
>>> NodeGroupSpec(variant="aws-k8s-1.33", arch="arm64", instance_types=("m7i.large",))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: nodegroup.instance_types: got 'm7i.large'; allowed: arm64 (Graviton, *g*) ...
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from constructs_br.errors import ConfigError, Problem, Problems
from constructs_br.images.catalogue import Arch, get_variant, parse_arch
from constructs_br.instance_types import has_nvidia_gpu, instance_arch

CapacityType = Literal["ON_DEMAND", "SPOT"]
ImagePath = Literal["eks-managed", "custom-ami"]

_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
RESERVED_LABEL_PREFIXES = ("eks.amazonaws.com/", "kubernetes.io/", "k8s.io/")


class TaintEffect(StrEnum):
    """Taint effects as EKS's API spells them."""

    NO_SCHEDULE = "NO_SCHEDULE"
    PREFER_NO_SCHEDULE = "PREFER_NO_SCHEDULE"
    NO_EXECUTE = "NO_EXECUTE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Taint:
    """A Kubernetes taint EKS applies to the node group's nodes."""

    key: str
    effect: TaintEffect | str
    value: str = ""


def label_key_problems(key: str, field_name: str, *, what: str = "label key") -> list[Problem]:
    """Kubernetes qualified-name grammar: ``[prefix/]name``; prefix a DNS subdomain <= 253, name <= 63."""
    allowed = f"a Kubernetes {what}: [dns-subdomain/]name, name <= 63 chars of [A-Za-z0-9-_.], alphanumeric ends"
    prefix, _, name = key.rpartition("/")
    if not _LABEL_NAME.match(name) or (prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix))):
        return [Problem(field_name, key, allowed)]
    if any(key.startswith(p) or f".{p}" in key for p in RESERVED_LABEL_PREFIXES):
        return [
            Problem(
                field_name,
                key,
                f"no reserved prefix ({', '.join(RESERVED_LABEL_PREFIXES)})",
                "EKS and the kubelet own these; the NodeRestriction admission plugin rejects them",
            )
        ]
    return []


def label_value_problems(value: str, field_name: str) -> list[Problem]:
    if value == "" or _LABEL_NAME.match(value):
        return []
    return [Problem(field_name, value, "empty, or <= 63 chars of [A-Za-z0-9-_.] with alphanumeric ends")]


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeGroupSpec:
    """Everything about one EKS managed node group that is not the cluster: validated on construction.

    Defaults: on-demand, 2 nodes (1..3), ``max_unavailable=1`` (one node replaced at a time), no forced updates
    (``force_update=False``: EKS respects PodDisruptionBudgets and fails the update instead of evicting),
    OS volume 4 GiB, data volume 20 GiB, IMDS hop limit 1.
    """

    variant: str
    arch: str
    instance_types: tuple[str, ...]
    image_path: ImagePath = "eks-managed"
    capacity_type: CapacityType = "ON_DEMAND"
    min_size: int = 1
    desired_size: int = 2
    max_size: int = 3
    max_unavailable: int | None = 1
    max_unavailable_percentage: int | None = None
    force_update: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    os_volume_gib: int = 4
    data_volume_gib: int = 20
    hop_limit: int = 1
    hop_limit_reason: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    """The node group's Bottlerocket settings layer (``{"kubernetes": {...}}``), merged over secure defaults."""
    field_prefix: str = "nodegroup"

    def __post_init__(self) -> None:
        object.__setattr__(self, "instance_types", tuple(self.instance_types))
        object.__setattr__(self, "taints", tuple(self.taints))
        p = Problems()
        p.extend(self.problems())
        p.raise_if_any()

    # --- derived ------------------------------------------------------------------------------------------------
    @property
    def ami_type(self) -> str:
        """The EKS AMI type (``BOTTLEROCKET_*``) of the variant and arch."""
        return get_variant(self.variant).eks_ami_type(self.arch)

    @property
    def k8s_minor(self) -> str | None:
        return get_variant(self.variant).k8s_minor

    # --- validation ---------------------------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        f = self.field_prefix
        p = Problems()
        variant = None
        try:
            variant = get_variant(self.variant, field=f"{f}.variant")
            if variant.family != "k8s":
                p.add(f"{f}.variant", self.variant, "an aws-k8s-* variant (EKS node groups)")
                variant = None
        except ConfigError as exc:
            p.extend(exc.problems)
        arch: Arch | None = None
        try:
            arch = parse_arch(self.arch, field=f"{f}.arch")
            object.__setattr__(self, "arch", str(arch.value))
        except ConfigError as exc:
            p.extend(exc.problems)
        if self.image_path not in ("eks-managed", "custom-ami"):
            p.add(f"{f}.image_path", self.image_path, "eks-managed | custom-ami")
        if not self.instance_types:
            p.add(f"{f}.instance_types", self.instance_types, "at least one instance type")
        for it in self.instance_types:
            it_arch = instance_arch(it)
            if it_arch is None:
                p.add(f"{f}.instance_types", it, "an EC2 instance type such as m7i.large or m7g.large")
                continue
            if arch is not None and it_arch != arch:
                allowed = "arm64 (Graviton, *g*) instance types" if arch is Arch.ARM64 else "x86_64 (non-Graviton)"
                p.add(
                    f"{f}.instance_types",
                    it,
                    f"{allowed} for arch {arch.value}",
                    f"{it} is {it_arch.value}; instance family and image arch must match",
                )
            if variant is not None:
                if has_nvidia_gpu(it) and not variant.nvidia:
                    p.add(
                        f"{f}.instance_types",
                        it,
                        f"non-GPU instance types for {variant.name}",
                        "NVIDIA GPU instances need an -nvidia variant (drivers and device plugin)",
                    )
                if variant.nvidia and not has_nvidia_gpu(it):
                    p.add(
                        f"{f}.instance_types",
                        it,
                        f"NVIDIA GPU instance types (p*, g*, gr*) for {variant.name}",
                        "an -nvidia variant on a GPU-less instance wastes the image and fails the device plugin",
                    )
        if self.capacity_type not in ("ON_DEMAND", "SPOT"):
            p.add(f"{f}.capacity_type", self.capacity_type, "ON_DEMAND | SPOT")
        if self.min_size < 0:
            p.add(f"{f}.min_size", self.min_size, ">= 0")
        if self.max_size < 1:
            p.add(f"{f}.max_size", self.max_size, ">= 1")
        if not self.min_size <= self.desired_size <= self.max_size:
            p.add(
                f"{f}.desired_size",
                self.desired_size,
                f"min_size ({self.min_size}) <= desired_size <= max_size ({self.max_size})",
            )
        mu, mup = self.max_unavailable, self.max_unavailable_percentage
        if (mu is None) == (mup is None):
            p.add(
                f"{f}.max_unavailable",
                {"max_unavailable": mu, "max_unavailable_percentage": mup},
                "exactly one of max_unavailable (count) or max_unavailable_percentage",
            )
        if mu is not None and not 1 <= mu <= min(100, max(self.max_size, 1)):
            p.add(f"{f}.max_unavailable", mu, f"1..{min(100, max(self.max_size, 1))} (at most max_size and 100)")
        if mup is not None and not 1 <= mup <= 100:
            p.add(f"{f}.max_unavailable_percentage", mup, "1..100")
        for key, value in sorted(self.labels.items()):
            p.extend(label_key_problems(key, f"{f}.labels"))
            p.extend(label_value_problems(value, f'{f}.labels."{key}"'))
        for i, taint in enumerate(self.taints):
            p.extend(label_key_problems(taint.key, f"{f}.taints[{i}].key", what="taint key"))
            p.extend(label_value_problems(taint.value, f"{f}.taints[{i}].value"))
            try:
                TaintEffect(taint.effect)
            except ValueError:
                p.add(f"{f}.taints[{i}].effect", taint.effect, " | ".join(e.value for e in TaintEffect))
        if not 2 <= self.os_volume_gib <= 64:
            p.add(f"{f}.os_volume_gib", self.os_volume_gib, "2..64 GiB (Bottlerocket's OS volume is small)")
        if not 8 <= self.data_volume_gib <= 16384:
            p.add(f"{f}.data_volume_gib", self.data_volume_gib, "8..16384 GiB (gp3)")
        if self.hop_limit not in (1, 2) or (self.hop_limit == 2 and not (self.hop_limit_reason or "").strip()):
            p.add(f"{f}.hop_limit", self.hop_limit, "1, or 2 with hop_limit_reason")
        return p.items

    def warnings(self) -> list[str]:
        """Legal but risky choices (surfaced as CDK warnings at synth)."""
        out = []
        if self.capacity_type == "SPOT" and len(self.instance_types) < 2:
            out.append(
                f"{self.field_prefix}.capacity_type: SPOT with one instance type ({', '.join(self.instance_types)}); "
                "give several types of the same size so a Spot interruption in one pool does not empty the group"
            )
        return out

    def cluster_problems(self, *, cluster_version: str | None, subnet_count: int | None) -> list[Problem]:
        """Checks that need the cluster: Kubernetes minor and subnets (``None`` = unknown at synth, skipped)."""
        f = self.field_prefix
        p = Problems()
        minor = self.k8s_minor
        if cluster_version is not None and minor is not None and minor != cluster_version:
            p.add(
                f"{f}.variant",
                self.variant,
                f"an aws-k8s-{cluster_version}* variant (the cluster runs {cluster_version})",
                "managed node groups must run the control plane's Kubernetes minor",
            )
        if subnet_count is not None and subnet_count == 0:
            p.add(f"{f}.subnets", [], "at least one subnet (none selected)")
        return p.items


def cluster_dns_ip(service_ipv4_cidr: str) -> str:
    """The cluster DNS service IP EKS assigns: the ``.10`` address of the service CIDR.

    >>> cluster_dns_ip("172.20.0.0/16")
    '172.20.0.10'
    """
    try:
        net = ipaddress.ip_network(service_ipv4_cidr)
    except ValueError:
        raise ConfigError(
            "cluster.service_ipv4_cidr", service_ipv4_cidr, "an IPv4 CIDR such as 172.20.0.0/16"
        ) from None
    return str(net[10])
