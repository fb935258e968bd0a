"""Pure node-group configuration and its validation (no ``aws_cdk``): usable by stage config, ``brctl`` and tests.

The image is given once: the flavour (``nvidia``, ``fips``) and ``arch`` here, the Kubernetes minor from the
cluster (or ``kubernetes_version`` on one slot during an upgrade), the exact image from the lockfile
(``image_version``: the lockfile's current pin, or its previous one).

>>> spec = NodeGroupSpec(arch="arm64", instance_types=("m7g.large",))
>>> spec.ami_type, spec.variant_for("1.33")
('BOTTLEROCKET_ARM_64', 'aws-k8s-1.33')
>>> NodeGroupSpec(arch="arm64", instance_types=("m7i.large",))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: nodegroup.instance_types: got 'm7i.large'; allowed: arm64 (Graviton, *g*) ...
>>> spec = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",))
>>> print(*spec.kubernetes_problems("1.33", kubernetes_version="1.34"))  # doctest: +ELLIPSIS
nodegroup.kubernetes_version: got '1.34'; allowed: 1.30..1.33 (the cluster runs 1.33; nodes may be up to 3 ...
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from constructs_br.eks.update_operator_spec import UPDATER_INTERFACE_LABEL, UPDATER_INTERFACE_VERSION
from constructs_br.errors import ConfigError, Problem, Problems
from constructs_br.images.catalogue import KUBERNETES_MINORS, Arch, Variant, get_variant, parse_arch
from constructs_br.images.ssm import short_version, validate_image_version_full
from constructs_br.instance_types import has_nvidia_gpu, instance_arch
from constructs_br.nodes.options import size_problems, spot_warnings
from constructs_br.settings.codec import as_document
from constructs_br.settings.labels import label_key_problems, label_value_problems
from constructs_br.settings.model import Settings

CapacityType = Literal["ON_DEMAND", "SPOT"]
ImagePath = Literal["eks-managed", "custom-ami"]

KUBELET_SKEW = 3
"""Kubelets may be up to three minors older than the API server (Kubernetes version skew policy), never newer."""

OPERATOR_VERSION_LOCK = "latest"
"""``settings.updates.version-lock`` of a node the update operator manages (Bottlerocket's default; not written)."""


def version_lock_for(image_version: str) -> str:
    """The ``settings.updates.version-lock`` that keeps ``apiclient update`` on a pinned image.

    >>> version_lock_for("1.50.0-abcdef12")
    'v1.50.0'
    """
    return f"v{short_version(image_version)}"


def _settings_table(layer: Settings | Mapping[str, Any] | None, namespace: str) -> Mapping[str, Any]:
    """``settings.<namespace>`` of a builder layer (``{}`` when unset or not a table)."""
    if layer is None:
        return {}
    settings = as_document(layer).get("settings")
    table = settings.get(namespace) if isinstance(settings, Mapping) else None
    return table if isinstance(table, Mapping) else {}


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


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeGroupSpec:
    """Everything about one EKS managed node group that is not the cluster: validated on construction.

    Defaults: standard flavour (no NVIDIA, no FIPS), on-demand, 2 nodes (1..3), ``max_unavailable=1`` (one node
    replaced at a time), no forced updates (``force_update=False``: EKS respects PodDisruptionBudgets and fails the
    update instead of evicting), OS volume 4 GiB, data volume 20 GiB, IMDS hop limit 1, the cluster's Kubernetes
    minor, the lockfile's current pin.
    """

    arch: str
    instance_types: tuple[str, ...]
    nvidia: bool = False
    fips: bool = False
    kubernetes_version: str | None = None
    """``None``: the cluster's minor. Set on the incoming slot to move nodes to a new minor after the control plane."""
    image_version: str | None = None
    """``None``: the lockfile's current pin for the stack's region; else a full version (current or previous pin)."""
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
    settings: Settings | Mapping[str, Any] | None = None
    """The node group's Bottlerocket settings layer (:class:`~constructs_br.settings.Settings`, or the table under
    ``settings`` as a mapping: ``{"kubernetes": {...}}``), merged over secure defaults."""
    update_operator: bool = False
    """``True``: the Bottlerocket update operator updates these nodes in place (label
    ``bottlerocket.aws/updater-interface-version=2.0.0``; ``settings.updates.version-lock`` left at ``latest``).
    ``False``: ``version-lock`` is the pinned image's version and ``ignore-waves`` false, so ``apiclient update``
    can never move a node off its pin; new images come only through the lockfile."""
    field_prefix: str = field(default="nodegroup", compare=False)
    """Where errors point (a pair sets ``<pairs>.<name>.<slot>``); not part of the spec's identity."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "instance_types", tuple(self.instance_types))
        object.__setattr__(self, "taints", tuple(self.taints))
        p = Problems()
        p.extend(self.problems())
        p.raise_if_any()

    # --- derived ------------------------------------------------------------------------------------------------
    @property
    def flavour(self) -> str:
        """``""``, ``-nvidia``, ``-fips`` or ``-nvidia-fips``."""
        return "-nvidia" * self.nvidia + "-fips" * self.fips

    def variant_for(self, cluster_version: str) -> str:
        """The Bottlerocket variant this spec runs on a cluster of ``cluster_version``."""
        return f"aws-k8s-{self.kubernetes_version or cluster_version}{self.flavour}"

    @property
    def ami_type(self) -> str:
        """The EKS AMI type (``BOTTLEROCKET_*``) of the flavour and arch."""
        return "BOTTLEROCKET_" + parse_arch(self.arch).eks_token + "_NVIDIA" * self.nvidia + "_FIPS" * self.fips

    def settings_layer(self) -> Settings | Mapping[str, Any] | None:
        """The settings as a builder layer (a mapping is the table under ``settings``)."""
        if self.settings is None or isinstance(self.settings, Settings):
            return self.settings
        return {"settings": dict(self.settings)} if self.settings else None

    @property
    def node_labels(self) -> dict[str, str]:
        """``labels`` plus, with ``update_operator``, the label the update operator's agent selects on."""
        labels = dict(self.labels)
        if self.update_operator:
            labels[UPDATER_INTERFACE_LABEL] = UPDATER_INTERFACE_VERSION
        return labels

    def updates_layer(self, image_version: str) -> dict[str, Any] | None:
        """``settings.updates`` the library writes for a node on ``image_version`` (``None`` with the operator).

        >>> NodeGroupSpec(arch="arm64", instance_types=("m7g.large",)).updates_layer("1.50.0-abcdef12")
        {'settings': {'updates': {'version-lock': 'v1.50.0', 'ignore-waves': False}}}
        """
        if self.update_operator:
            return None
        return {"settings": {"updates": {"version-lock": version_lock_for(image_version), "ignore-waves": False}}}

    def updates_problems(
        self, image_version: str, *, stage_settings: Settings | Mapping[str, Any] | None = None
    ) -> list[Problem]:
        """A settings layer (the node group's or the stage's) whose ``settings.updates`` contradicts the library's:
        a ``version-lock`` other than the pin's (or other than ``latest`` with the operator), or ``ignore-waves``
        true on a pinned node."""
        f = self.field_prefix
        lock = OPERATOR_VERSION_LOCK if self.update_operator else version_lock_for(image_version)
        why = (
            "update_operator=True: the operator moves nodes to new releases; a lock would stop it"
            if self.update_operator
            else f"update_operator=False: nodes stay on the pinned image ({image_version}); change the pin instead"
        )
        p = Problems()
        for name, layer in ((f"{f}.settings", self.settings_layer()), ("stage_settings", stage_settings)):
            table = _settings_table(layer, "updates")
            if "version-lock" in table and table["version-lock"] != lock:
                p.add(f"{name}.updates.version-lock", table["version-lock"], f"unset (or {lock!r})", why)
            if not self.update_operator and table.get("ignore-waves") is True:
                p.add(f"{name}.updates.ignore-waves", True, "unset (or false)", why)
        return p.items

    # --- validation ---------------------------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        f = self.field_prefix
        p = Problems()
        variant: Variant | None = None
        flags_ok = True
        for name in ("nvidia", "fips"):
            if not isinstance(getattr(self, name), bool):
                p.add(f"{f}.{name}", getattr(self, name), "True | False")
                flags_ok = False
        if self.kubernetes_version is not None and self.kubernetes_version not in KUBERNETES_MINORS:
            p.add(
                f"{f}.kubernetes_version",
                self.kubernetes_version,
                "None (the cluster's minor) | " + " | ".join(KUBERNETES_MINORS),
            )
        elif flags_ok:
            variant = get_variant(self.variant_for(self.kubernetes_version or KUBERNETES_MINORS[-1]))
        if self.image_version is not None:
            try:
                validate_image_version_full(self.image_version, f"{f}.image_version")
            except ConfigError as exc:
                p.extend(exc.problems)
        if self.settings is not None and not isinstance(self.settings, (Settings, Mapping)):
            p.add(f"{f}.settings", type(self.settings).__name__, "a Settings, a mapping, or None")
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
                        "non-GPU instance types without nvidia=True",
                        "NVIDIA GPU instances need an -nvidia variant (drivers and device plugin)",
                    )
                if variant.nvidia and not has_nvidia_gpu(it):
                    p.add(
                        f"{f}.instance_types",
                        it,
                        "NVIDIA GPU instance types (p*, g*, gr*) with nvidia=True",
                        "an -nvidia variant on a GPU-less instance wastes the image and fails the device plugin",
                    )
        if self.capacity_type not in ("ON_DEMAND", "SPOT"):
            p.add(f"{f}.capacity_type", self.capacity_type, "ON_DEMAND | SPOT")
        p.extend(size_problems(f, min_size=self.min_size, max_size=self.max_size, desired_size=self.desired_size).items)
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
        p.extend(self._operator_problems())
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

    def _operator_problems(self) -> list[Problem]:
        """``update_operator`` is a bool, and no label or settings layer contradicts it."""
        f = self.field_prefix
        p = Problems()
        if not isinstance(self.update_operator, bool):
            p.add(f"{f}.update_operator", self.update_operator, "True | False")
            return p.items
        if self.settings is not None and not isinstance(self.settings, (Settings, Mapping)):
            return p.items  # reported as nodegroup.settings
        node_labels = _settings_table(self.settings_layer(), "kubernetes").get("node-labels")
        sources = [(f'{f}.labels."{UPDATER_INTERFACE_LABEL}"', self.labels)]
        if isinstance(node_labels, Mapping):
            sources.append((f'{f}.settings.kubernetes.node-labels."{UPDATER_INTERFACE_LABEL}"', node_labels))
        for name, labels in sources:
            if UPDATER_INTERFACE_LABEL not in labels:
                continue
            value = labels[UPDATER_INTERFACE_LABEL]
            if not self.update_operator:
                p.add(name, value, "unset with update_operator=False",
                      "the label puts the update operator's agent on nodes that are locked to their pin")  # fmt: skip
            elif value != UPDATER_INTERFACE_VERSION:
                p.add(name, value, f"unset (update_operator=True sets {UPDATER_INTERFACE_VERSION!r})")
        lock = _settings_table(self.settings_layer(), "updates").get("version-lock")
        if not self.update_operator and lock == OPERATOR_VERSION_LOCK:
            p.add(
                f"{f}.settings.updates.version-lock",
                lock,
                "unset (the library locks nodes to their pinned image)",
                "'latest' lets `apiclient update` move a node off its pin; use update_operator=True instead",
            )
        return p.items

    def warnings(self) -> list[str]:
        """Legal but risky choices (surfaced as CDK warnings at synth)."""
        return spot_warnings(
            self.field_prefix,
            spot=self.capacity_type == "SPOT",
            instance_types=self.instance_types,
            field="capacity_type",
        )

    def kubernetes_problems(self, cluster_version: str, *, kubernetes_version: str | None = None) -> list[Problem]:
        """Version skew against the cluster: nodes may be up to :data:`KUBELET_SKEW` minors older, never newer."""
        f = self.field_prefix
        node = kubernetes_version if kubernetes_version is not None else self.kubernetes_version
        if node is None or node not in KUBERNETES_MINORS or cluster_version not in KUBERNETES_MINORS:
            return []
        lo = KUBERNETES_MINORS.index(cluster_version) - KUBELET_SKEW
        allowed = KUBERNETES_MINORS[max(lo, 0) : KUBERNETES_MINORS.index(cluster_version) + 1]
        if node in allowed:
            return []
        return [
            Problem(
                f"{f}.kubernetes_version",
                node,
                f"{allowed[0]}..{allowed[-1]} (the cluster runs {cluster_version}; nodes may be up to "
                f"{KUBELET_SKEW} minors older, never newer)",
            )
        ]

    def cluster_problems(self, *, cluster_version: str, subnet_count: int | None) -> list[Problem]:
        """Checks that need the cluster: Kubernetes skew and subnets (``None`` = unknown at synth, skipped)."""
        p = Problems()
        p.extend(self.kubernetes_problems(cluster_version))
        if subnet_count is not None and subnet_count == 0:
            p.add(f"{self.field_prefix}.subnets", [], "at least one subnet (none selected)")
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
