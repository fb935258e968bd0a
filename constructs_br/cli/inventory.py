"""``brctl inventory``: what the fleet runs today, and whether each group can move to Bottlerocket (read-only).

Every EKS managed node group (of the ``--cluster`` clusters, or of every cluster in the region), every self-managed
Auto Scaling group and every ECS capacity provider (of the ECS clusters in the region) is listed with its OS family,
architecture, instance types and Kubernetes minor, and classified:

* ``bottlerocket``   it already runs Bottlerocket.
* ``ready``          a stock Amazon Linux / Ubuntu image, a Bottlerocket variant exists for it (catalogue) and is
                     published in its region (live SSM check), its instance types are supported.
* ``check-by-hand``  a custom image or one we cannot identify, or a group whose workload (EKS? ECS?) is unknown:
                     the notes say what to check (node agents, kernel modules, host mounts, user data).
* ``blocked``        Windows, an instance family Bottlerocket does not run on, a Kubernetes minor with no variant,
                     or a variant not published in the region.

Exit 0 when every group is ``bottlerocket`` or ``ready``; 1 when something is ``blocked`` or ``check-by-hand`` or an
AWS call failed (the groups that could be read are still listed); 2 on usage errors.

How the OS family is found: for a managed node group from its AMI type (``AL2_*``, ``AL2023_*``, ``BOTTLEROCKET_*``,
``WINDOWS_*``); for ``CUSTOM`` node groups, launch templates and launch configurations from the image's name, then its
description (``amzn2-ami-*``, ``al2023-ami-*``, ``amazon-eks-node-*``, ``ubuntu/images/*``, ``bottlerocket-*``,
``Windows_Server*``). An image is *stock* when Amazon (owner alias ``amazon``) or Canonical publishes it; any other
owner makes it a custom image, whatever its name says.

>>> os_from_image("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240101", "")
'ubuntu'
>>> os_from_image("my-golden-image", "Amazon Linux 2023 AMI with our agents")
'al2023'
>>> os_from_ami_type("AL2023_ARM_64_STANDARD"), os_from_ami_type("WINDOWS_CORE_2022_x86_64"), os_from_ami_type("CUSTOM")
('al2023', 'windows', None)
>>> unsupported_instance_type("mac2.metal")
'EC2 Mac instances run macOS only'
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from constructs_br.cli import _aws, _output
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK
from constructs_br.errors import ConfigError, Problems
from constructs_br.images.catalogue import ECS_GENERATIONS, KUBERNETES_MINORS, Arch, get_variant, parse_eks_ami_type
from constructs_br.images.lockfile import validate_region
from constructs_br.images.ssm import parameter_path
from constructs_br.instance_types import has_nvidia_gpu, instance_arch, parse_instance_type

Status = Literal["bottlerocket", "ready", "check-by-hand", "blocked"]
STATUSES: tuple[Status, ...] = ("bottlerocket", "ready", "check-by-hand", "blocked")
MOVABLE: frozenset[str] = frozenset({"bottlerocket", "ready"})
"""Statuses that exit 0."""

Kind = Literal["nodegroup", "asg", "capacity-provider"]

ECS_TARGET_GENERATION = ECS_GENERATIONS[0]
"""The ``aws-ecs-<generation>`` an ECS group moves to (``aws-ecs-2``, the generation the library's examples use)."""

CANONICAL_OWNER_IDS = frozenset({"099720109477", "513442679011", "837727238323"})
"""Canonical's image-owner accounts (commercial, GovCloud, China): Ubuntu images from these are stock."""

# --- OS family ------------------------------------------------------------------------------------------------------
_AMI_TYPE_OS = (("BOTTLEROCKET_", "bottlerocket"), ("AL2023_", "al2023"), ("AL2_", "al2"), ("WINDOWS_", "windows"))

_NAME_OS = (
    ("bottlerocket-", "bottlerocket"),
    ("al2023-ami-", "al2023"),
    ("amazon-eks-node-al2023-", "al2023"),
    ("amzn2-ami-", "al2"),
    ("amazon-eks-", "al2"),  # amazon-eks-node-1.30-v…, amazon-eks-gpu-node-…, amazon-eks-arm64-node-… (AL2-based)
    ("ubuntu/images/", "ubuntu"),
    ("ubuntu-eks/", "ubuntu"),
    ("ubuntu-eks-pro/", "ubuntu"),
    ("ubuntu-minimal/images/", "ubuntu"),
    ("windows_server", "windows"),
)
_DESCRIPTION_OS = (
    ("bottlerocket", "bottlerocket"),
    ("amazon linux 2023", "al2023"),
    ("amazon linux 2", "al2"),
    ("ubuntu", "ubuntu"),
    ("windows", "windows"),
)


def os_from_ami_type(ami_type: str) -> str | None:
    """The OS family an EKS AMI type names; ``None`` for ``CUSTOM`` (the launch template's image decides) or an AMI
    type this module does not know."""
    for prefix, family in _AMI_TYPE_OS:
        if ami_type.startswith(prefix):
            return family
    return None


def os_from_image(name: str, description: str, platform: str = "") -> str:
    """The OS family of an image from its ``Platform``, name, then description; ``unknown`` when none says."""
    if platform.lower() == "windows":
        return "windows"
    lowered = name.lower()
    for prefix, family in _NAME_OS:
        if lowered.startswith(prefix):
            return family
    text = description.lower()
    for needle, family in _DESCRIPTION_OS:
        if needle in text:
            return family
    return "unknown"


# --- instance types -------------------------------------------------------------------------------------------------
_UNSUPPORTED_FAMILIES: dict[str, str] = {
    "mac": "EC2 Mac instances run macOS only",
    "g4ad": "AMD Radeon GPUs: no Bottlerocket variant ships their driver (NVIDIA GPUs use the -nvidia variants)",
    "t1": "previous-generation paravirtual family: Bottlerocket images are HVM only",
    "m1": "previous-generation paravirtual family: Bottlerocket images are HVM only",
    "m2": "previous-generation paravirtual family: Bottlerocket images are HVM only",
    "c1": "previous-generation paravirtual family: Bottlerocket images are HVM only",
}
"""Instance families (``<family><generation><attributes>`` prefix, or ``mac``) Bottlerocket cannot serve, and why."""


def unsupported_instance_type(instance_type: str) -> str | None:
    """Why Bottlerocket cannot run on ``instance_type``; ``None`` when it can (or the type is unknown)."""
    if instance_type.startswith("mac"):
        return _UNSUPPORTED_FAMILIES["mac"]
    parsed = parse_instance_type(instance_type)
    if parsed is None:
        return None
    return _UNSUPPORTED_FAMILIES.get(parsed.prefix) or _UNSUPPORTED_FAMILIES.get(f"{parsed.family}{parsed.generation}")


# --- the model ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """One group of instances as read from AWS, before classification."""

    region: str
    kind: Kind
    name: str
    cluster: str | None = None
    workload: Literal["k8s", "ecs"] | None = None
    os: str = "unknown"
    os_source: str = ""
    """Where the OS family came from, e.g. ``ami type AL2_x86_64`` or ``image ami-… 'amzn2-ami-…'``."""
    arch: Arch | None = None
    instance_types: tuple[str, ...] = ()
    k8s_minor: str | None = None
    image_id: str | None = None
    custom_image: bool = False
    """A ``CUSTOM`` AMI type or an image not published by Amazon or Canonical."""
    fips: bool = False
    asg: str | None = None
    """The Auto Scaling group behind a capacity provider."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """A group with its classification."""

    group: Group
    status: Status
    variant: str | None = None
    ssm_path: str | None = None
    published: bool | None = None
    reasons: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    """What to check by hand before moving this group."""

    def to_dict(self) -> dict[str, Any]:
        g = self.group
        return {
            "region": g.region,
            "kind": g.kind,
            "cluster": g.cluster,
            "name": g.name,
            "asg": g.asg,
            "workload": g.workload,
            "os": g.os,
            "os_source": g.os_source,
            "arch": g.arch.value if g.arch else None,
            "instance_types": list(g.instance_types),
            "kubernetes_minor": g.k8s_minor,
            "image_id": g.image_id,
            "custom_image": g.custom_image,
            "status": self.status,
            "variant": self.variant,
            "ssm_path": self.ssm_path,
            "published": self.published,
            "reasons": list(self.reasons),
            "checks": list(self.checks),
        }


CHECKS_CUSTOM_IMAGE: tuple[str, ...] = (
    "node agents: software baked into the image or installed by user data (monitoring, security, log shippers) "
    "must run as DaemonSets / daemon tasks or host containers on Bottlerocket",
    "kernel modules: Bottlerocket loads only the modules it ships (kernel lockdown); out-of-tree drivers need a "
    "variant that carries them",
    "host mounts: hostPath volumes and host writes outside /var, /opt, /mnt and /local (the root filesystem is "
    "read-only)",
    "user data: shell scripts do not run; express them as Bottlerocket settings (brctl userdata validate)",
)


def _minor(version: str | None) -> str | None:
    m = re.match(r"^(\d+\.\d+)", version or "")
    return m.group(1) if m else None


def target_variant(group: Group) -> tuple[str | None, list[str]]:
    """The Bottlerocket variant the group would run, or ``None`` and why not (blocked reasons)."""
    nvidia = any(has_nvidia_gpu(t) for t in group.instance_types)
    flavour = "-nvidia" * nvidia + "-fips" * group.fips
    if group.workload == "k8s":
        if group.k8s_minor is None:
            return None, ["Kubernetes version unknown"]
        if group.k8s_minor not in KUBERNETES_MINORS:
            return None, [
                f"Kubernetes {group.k8s_minor} has no Bottlerocket variant (variants: {', '.join(KUBERNETES_MINORS)}); "
                "upgrade the cluster first"
            ]
        name = f"aws-k8s-{group.k8s_minor}{flavour}"
    elif group.workload == "ecs":
        name = f"aws-ecs-{ECS_TARGET_GENERATION}{flavour}"
    else:
        return None, []
    try:
        return get_variant(name).name, []
    except ConfigError as exc:  # pragma: no cover - every minor x flavour above is in the catalogue
        return None, [str(p) for p in exc.problems]


def classify(group: Group, published: dict[str, bool]) -> Finding:
    """The group's status; ``published`` maps SSM ``latest/image_id`` paths to whether they exist in its region."""
    variant, blocked = target_variant(group)
    checks: list[str] = []
    notes = list(group.notes)
    if group.os == "windows":
        blocked.append("Windows nodes: Bottlerocket is Linux only; keep Windows workloads on Windows nodes")
    for itype in group.instance_types:
        why = unsupported_instance_type(itype)
        if why:
            blocked.append(f"{itype}: {why}")
        elif parse_instance_type(itype) is None and not itype.startswith("mac"):
            checks.append(f"instance type {itype!r} is not one this tool recognises: check Bottlerocket supports it")
    arches = {a for a in (instance_arch(t) for t in group.instance_types) if a is not None}
    if len(arches) > 1:
        checks.append("instance types span x86_64 and arm64: split the group (one image per architecture)")
    ssm_path = None
    is_published: bool | None = None
    if variant is not None and group.arch is not None and group.os not in ("bottlerocket", "windows"):
        ssm_path = parameter_path(variant, group.arch)
        is_published = published.get(ssm_path, False)
        if not is_published:
            blocked.append(f"{variant}/{group.arch.value} is not published in {group.region} ({ssm_path} not found)")
    if group.os == "bottlerocket":
        return Finding(group=group, status="bottlerocket", variant=variant, reasons=tuple(notes))
    if group.arch is None and group.os != "windows":
        checks.append("architecture unknown: no AMI type, image or recognised instance type says")
    if group.workload is None:
        checks.append(
            "workload unknown: Bottlerocket runs containers for EKS or ECS only; find the group's cluster "
            "(tag kubernetes.io/cluster/<name>, or an ECS capacity provider)"
        )
    if group.os == "unknown":
        checks.append("OS unknown: the image's name and description name no OS family this tool recognises")
    if group.custom_image or group.os == "unknown":
        checks.extend(CHECKS_CUSTOM_IMAGE)
    status: Status = "blocked" if blocked else "check-by-hand" if checks else "ready"
    return Finding(
        group=group,
        status=status,
        variant=variant,
        ssm_path=ssm_path,
        published=is_published,
        reasons=tuple(notes + blocked),
        checks=tuple(checks),
    )


# --- reading the fleet ----------------------------------------------------------------------------------------------
def _stock(img: _aws.ImageInfo) -> bool:
    return img.owner_alias == _aws.AMAZON_OWNER_ALIAS or img.owner_id in CANONICAL_OWNER_IDS


@dataclass
class _Region:
    """What one region's reads produced."""

    region: str
    groups: list[Group] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    clusters_seen: set[str] = field(default_factory=set)


def _image_facts(
    image_id: str | None, images: dict[str, _aws.ImageInfo]
) -> tuple[str, str, Arch | None, bool, tuple[str, ...]]:
    """``(os, os_source, arch, custom, notes)`` of an image."""
    if image_id is None:
        return "unknown", "no image in the launch template", None, True, ()
    img = images.get(image_id)
    if img is None:
        return "unknown", f"image {image_id}", None, True, (f"image {image_id} not found (deregistered or private)",)
    family = os_from_image(img.name, img.description, img.platform)
    arch = Arch(img.architecture) if img.architecture in {a.value for a in Arch} else None
    custom = not _stock(img)
    notes = (f"image {image_id} is owned by {img.owner_id}, not Amazon or Canonical: a custom image",) if custom else ()
    return family, f"image {image_id} {img.name!r}", arch, custom, notes


def _arch_from_types(types: Sequence[str]) -> Arch | None:
    arches = {a for a in (instance_arch(t) for t in types) if a is not None}
    return arches.pop() if len(arches) == 1 else None


def _read_region(region: str, clusters: Sequence[str] | None) -> _Region:
    out = _Region(region)
    wanted = set(clusters) if clusters else None

    # EKS managed node groups.
    nodegroups: list[_aws.NodegroupInfo] = []
    eks_versions: dict[str, str | None] = {}
    try:
        eks_clusters = _aws.list_eks_clusters(region)
        for name in eks_clusters:
            if wanted is None or name in wanted:
                out.clusters_seen.add(name)
                eks_versions[name] = _aws.eks_cluster_version(region, name)
                nodegroups.extend(_aws.list_nodegroups(region, name))
    except _aws.AwsError as exc:
        out.errors.append(str(exc))

    # Auto Scaling groups and ECS capacity providers.
    asgs: list[_aws.AsgSummary] = []
    ecs: list[_aws.EcsClusterCapacity] = []
    try:
        asgs = _aws.all_asgs(region)
        ecs = _aws.ecs_clusters_capacity(region, sorted(wanted) if wanted is not None else None)
    except _aws.AwsError as exc:
        out.errors.append(str(exc))
    out.clusters_seen.update(c.cluster for c in ecs)
    managed_asgs = {a for ng in nodegroups for a in ng.autoscaling_groups}
    by_arn = {a.arn: a for a in asgs}
    provider_of: dict[str, tuple[str, _aws.CapacityProviderInfo]] = {}
    for c in ecs:
        for p in c.providers:
            if p.asg_arn:
                provider_of.setdefault(p.asg_arn, (c.cluster, p))

    # Launch data (image + instance type) for node-group launch templates and every ASG.
    launch: dict[str, _aws.LaunchData | None] = {}
    lcs: dict[str, _aws.LaunchData] = {}
    try:
        for ng in nodegroups:
            if ng.launch_template_id or ng.launch_template_name:
                launch[f"ng/{ng.cluster}/{ng.name}"] = _aws.launch_template_data(
                    region, ng.launch_template_id, ng.launch_template_name, ng.launch_template_version
                )
        for a in asgs:
            if a.launch_template_id or a.launch_template_name:
                launch[f"asg/{a.name}"] = _aws.launch_template_data(
                    region, a.launch_template_id, a.launch_template_name, a.launch_template_version
                )
        lcs = _aws.launch_configurations(region, [a.launch_configuration for a in asgs if a.launch_configuration])
    except _aws.AwsError as exc:
        out.errors.append(str(exc))
    for a in asgs:
        if a.launch_configuration and a.launch_configuration in lcs:
            launch[f"asg/{a.name}"] = lcs[a.launch_configuration]
    images: dict[str, _aws.ImageInfo] = {}
    try:
        images = _aws.describe_images(region, {d.image_id for d in launch.values() if d and d.image_id})
    except _aws.AwsError as exc:
        out.errors.append(str(exc))

    for ng in nodegroups:
        out.groups.append(_nodegroup(region, ng, eks_versions.get(ng.cluster), launch, images))
    for a in asgs:
        if a.name in managed_asgs or "eks:nodegroup-name" in a.tags:
            continue  # an EKS managed node group's own ASG: listed as the node group
        group = _asg(region, a, provider_of.get(a.arn), launch.get(f"asg/{a.name}"), images)
        if group is None:
            continue
        if wanted is not None and group.cluster not in wanted:
            continue
        if group.workload == "k8s" and group.cluster and group.k8s_minor is None:
            try:
                version = eks_versions.get(group.cluster) or _aws.eks_cluster_version(region, group.cluster)
            except _aws.AwsError as exc:
                out.errors.append(str(exc))
                version = None
            group = replace(group, k8s_minor=_minor(version))
        out.groups.append(group)
    # Providers whose ASG is gone or unreadable still show up.
    for c in ecs:
        for p in c.providers:
            if p.asg_arn and p.asg_arn not in by_arn:
                out.groups.append(
                    Group(
                        region=region,
                        kind="capacity-provider",
                        name=p.name,
                        cluster=c.cluster,
                        workload="ecs",
                        notes=(f"Auto Scaling group {p.asg_arn} not found",),
                    )
                )
    return out


def _nodegroup(
    region: str,
    ng: _aws.NodegroupInfo,
    cluster_version: str | None,
    launch: dict[str, _aws.LaunchData | None],
    images: dict[str, _aws.ImageInfo],
) -> Group:
    data = launch.get(f"ng/{ng.cluster}/{ng.name}")
    types = ng.instance_types or ((data.instance_type,) if data and data.instance_type else ())
    minor = _minor(ng.kubernetes_version) or _minor(cluster_version)
    family = os_from_ami_type(ng.ami_type)
    parsed = parse_eks_ami_type(ng.ami_type)
    if family is not None:
        arch = parsed[0] if parsed else (Arch.ARM64 if "ARM_64" in ng.ami_type else Arch.X86_64)
        return Group(
            region=region,
            kind="nodegroup",
            name=ng.name,
            cluster=ng.cluster,
            workload="k8s",
            os=family,
            os_source=f"ami type {ng.ami_type}",
            arch=arch,
            instance_types=types,
            k8s_minor=minor,
            fips=bool(parsed and parsed[2]),
        )
    image_id = data.image_id if data else None
    os_family, source, image_arch, _, notes = _image_facts(image_id, images)
    if ng.ami_type != "CUSTOM":
        notes = (f"AMI type {ng.ami_type!r} is not one this tool knows", *notes)
    return Group(
        region=region,
        kind="nodegroup",
        name=ng.name,
        cluster=ng.cluster,
        workload="k8s",
        os=os_family,
        os_source=f"ami type {ng.ami_type}, {source}",
        arch=image_arch or _arch_from_types(types),
        instance_types=types,
        k8s_minor=minor,
        image_id=image_id,
        custom_image=True,  # CUSTOM: a launch template the team owns chose the image and the bootstrap
        fips="fips" in source.lower() and os_family == "bottlerocket",
        notes=notes,
    )


_K8S_CLUSTER_TAG = re.compile(r"^kubernetes\.io/cluster/(?P<name>.+)$")
_K8S_IN_IMAGE_NAME = re.compile(r"(?:node-|k8s[-_]|eks/k8s_|aws-k8s-)(?:al2023-[a-z0-9_]+-[a-z]+-)?(\d+\.\d+)")


def _asg(
    region: str,
    a: _aws.AsgSummary,
    provider: tuple[str, _aws.CapacityProviderInfo] | None,
    data: _aws.LaunchData | None,
    images: dict[str, _aws.ImageInfo],
) -> Group | None:
    image_id = data.image_id if data else None
    types = a.override_instance_types or ((data.instance_type,) if data and data.instance_type else ())
    os_family, source, arch, custom, notes = _image_facts(image_id, images)
    image_name = images[image_id].name if image_id and image_id in images else ""
    cluster: str | None = None
    workload: Literal["k8s", "ecs"] | None = None
    minor: str | None = None
    if provider is not None:
        cluster, workload = provider[0], "ecs"
    else:
        for key in a.tags:
            m = _K8S_CLUSTER_TAG.match(key)
            if m:
                cluster, workload = m["name"], "k8s"
        if cluster is None and a.tags.get("eks:cluster-name"):
            cluster, workload = a.tags["eks:cluster-name"], "k8s"
        if workload is None and ("-ecs-" in image_name or image_name.startswith("bottlerocket-aws-ecs-")):
            workload = "ecs"
        if workload is None and re.search(r"eks|k8s", image_name):
            workload = "k8s"
        if workload == "k8s":
            m2 = _K8S_IN_IMAGE_NAME.search(image_name)
            minor = m2.group(1) if m2 else None
    return Group(
        region=region,
        kind="capacity-provider" if provider else "asg",
        name=provider[1].name if provider else a.name,
        cluster=cluster,
        workload=workload,
        os=os_family,
        os_source=source,
        arch=arch or _arch_from_types(types),
        instance_types=types,
        k8s_minor=minor,
        image_id=image_id,
        custom_image=custom,
        fips=os_family == "bottlerocket" and "fips" in image_name,
        asg=a.name if provider else None,
        notes=notes,
    )


def _published(region: str, groups: Sequence[Group]) -> tuple[dict[str, bool], list[str]]:
    paths = set()
    for g in groups:
        variant, _ = target_variant(g)
        if variant is not None and g.arch is not None and g.os not in ("bottlerocket", "windows"):
            paths.add(parameter_path(variant, g.arch))
    if not paths:
        return {}, []
    try:
        found = _aws.get_parameters(region, paths)
    except _aws.AwsError as exc:
        return {}, [str(exc)]
    return {p: p in found for p in paths}, []


# --- the command ----------------------------------------------------------------------------------------------------
def _regions(values: Sequence[str] | None) -> list[str]:
    regions = list(dict.fromkeys(values or []))
    if not regions:
        env = _aws.default_region()
        if env:
            regions = [env]
    if not regions:
        raise ConfigError("--region", None, "one or more AWS regions", "pass --region or set AWS_REGION")
    problems = Problems()
    for region in regions:
        try:
            validate_region(region, field="--region")
        except ConfigError as exc:
            problems.extend(exc.problems)
    problems.raise_if_any()
    return regions


def run_inventory(args: argparse.Namespace) -> int:
    regions = _regions(args.region)
    clusters = list(dict.fromkeys(args.cluster or []))
    findings: list[Finding] = []
    errors: list[str] = []
    seen: set[str] = set()
    for region in regions:
        if not args.json:
            _output.info(f"{region}: reading node groups, Auto Scaling groups and ECS capacity providers")
        read = _read_region(region, clusters or None)
        errors.extend(read.errors)
        seen |= read.clusters_seen
        published, ssm_errors = _published(region, read.groups)
        errors.extend(ssm_errors)
        findings.extend(classify(g, published) for g in read.groups)
    for name in clusters:
        if name not in seen:
            errors.append(f"cluster {name}: no EKS or ECS cluster of that name in {', '.join(regions)}")
    findings.sort(key=lambda f: (f.group.region, f.group.kind, f.group.cluster or "", f.group.name))
    ok = not errors and all(f.status in MOVABLE for f in findings)
    summary = {s: sum(1 for f in findings if f.status == s) for s in STATUSES}
    if args.json:
        _output.emit_json(
            {
                "ok": ok,
                "regions": regions,
                "clusters": clusters,
                "summary": summary,
                "groups": [f.to_dict() for f in findings],
                "errors": errors,
            }
        )
    else:
        _output.table(
            f"Fleet inventory ({', '.join(regions)})",
            ["region", "kind", "cluster", "name", "os", "arch", "instance types", "k8s", "variant", "status", "notes"],
            [
                (
                    f.group.region,
                    f.group.kind,
                    f.group.cluster,
                    f.group.name,
                    f.group.os,
                    f.group.arch.value if f.group.arch else None,
                    ", ".join(f.group.instance_types) or None,
                    f.group.k8s_minor,
                    f.variant,
                    f.status,
                    "; ".join((*f.reasons, *(f"check: {c}" for c in f.checks))) or None,
                )
                for f in findings
            ],
        )
        _output.info(", ".join(f"{n} {s}" for s, n in summary.items()))
    for e in errors:
        _output.error(e)
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("inventory", help="what the fleet runs and whether it can move to Bottlerocket")
    p.add_argument("--region", action="append", metavar="R", help="region to read (repeatable; default: AWS_REGION)")
    p.add_argument(
        "--cluster",
        action="append",
        metavar="C",
        help="only this EKS or ECS cluster (repeatable; default: every cluster in the region)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(handler=run_inventory)
