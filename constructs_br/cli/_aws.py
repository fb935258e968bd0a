"""The only place ``brctl`` talks to boto3: a session helper plus small typed wrappers around the calls we make.

Configuration is the standard AWS environment, which boto3 honours natively: ``AWS_PROFILE``,
``AWS_DEFAULT_REGION``, credentials, and ``AWS_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL_<SERVICE>``, e.g. a moto server
in tests; botocore >= 1.31 resolves these itself, so nothing here passes ``endpoint_url``). ``AWS_REGION``, which
botocore does not read for the session region, is honoured by :func:`default_region` (before ``AWS_DEFAULT_REGION``,
as in the AWS CLI).

Every wrapper returns plain typed data and raises :class:`AwsError` (never a botocore exception), so command modules
stay strict-typed and can report failures with region and call named.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

AMAZON_OWNER_ALIAS = "amazon"
"""``ImageOwnerAlias`` of AWS-published images, Bottlerocket's included."""


class AwsError(RuntimeError):
    """An AWS call failed (credentials, network, throttling, access denied, ...)."""


def _environment() -> tuple[tuple[str, str], ...]:
    """The ``AWS_*`` environment: everything boto3 reads to build a session or client (profile, credentials, config
    files, endpoints, retries). Part of the cache keys, so a changed environment gets a fresh session and client."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))


_SESSIONS: dict[tuple[Any, ...], boto3.Session] = {}
_CLIENTS: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.Lock()


def session(region: str | None = None, profile: str | None = None) -> boto3.Session:
    """A boto3 session for ``region``; ``profile`` defaults to ``AWS_PROFILE`` (boto3 reads it too).

    One per (region, profile, ``AWS_*`` environment) for the life of the process: a fresh session re-reads the config
    files and registers botocore's ~40 k event handlers, and a ``brctl`` command asks for one per call it makes."""
    with _LOCK:
        return _session(region, profile)


def _session(region: str | None, profile: str | None) -> boto3.Session:
    profile = profile or os.environ.get("AWS_PROFILE") or None
    key = (region, profile, _environment())
    if key not in _SESSIONS:
        _SESSIONS[key] = boto3.Session(region_name=region, profile_name=profile)
    return _SESSIONS[key]


def clear_cache() -> None:
    """Forget the sessions and clients :func:`session` and :func:`_client` keep (the next call builds new ones)."""
    with _LOCK:
        _SESSIONS.clear()
        _CLIENTS.clear()


def default_region() -> str | None:
    """The region the environment / profile configures, if any: ``AWS_REGION``, else ``AWS_DEFAULT_REGION``, else the
    profile's ``region``."""
    env = os.environ.get("AWS_REGION", "").strip()
    if env:
        return env
    try:
        name = session().region_name
    except BotoCoreError:
        return None
    return cast(str | None, name)


def _client(service: str, region: str) -> Any:
    """The ``service`` client for ``region``, one per process and environment (botocore clients are thread-safe and
    keep their connection pool; building one costs milliseconds of model and handler setup)."""
    key = (service, region, _environment())  # the environment holds AWS_PROFILE too
    with _LOCK:  # boto3 sessions are not thread-safe: build clients one at a time
        if key not in _CLIENTS:
            try:
                _CLIENTS[key] = _session(region, None).client(service)
            except BotoCoreError as exc:
                raise AwsError(f"{region}: cannot create {service} client: {exc}") from exc
        return _CLIENTS[key]


def _call(region: str, what: str, fn: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return cast(dict[str, Any], fn(**kwargs))
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise AwsError(f"{region}: {what}: {err.get('Code', 'Error')}: {err.get('Message', exc)}") from exc
    except BotoCoreError as exc:
        raise AwsError(f"{region}: {what}: {exc}") from exc


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _paged(
    region: str, what: str, fn: Any, items_key: str, *, token_key: str = "nextToken", **kwargs: Any
) -> list[Any]:
    """Every item of ``items_key`` over all pages of one call (``nextToken`` for EKS/ECS, ``NextToken`` for
    Auto Scaling)."""
    out: list[Any] = []
    while True:
        resp = _call(region, what, fn, **kwargs)
        out.extend(resp.get(items_key, []))
        token = resp.get(token_key)
        if not token:
            return out
        kwargs[token_key] = token


# --- SSM ---------------------------------------------------------------------------------------------------------
def get_parameters(region: str, names: Iterable[str]) -> dict[str, str]:
    """Values of the parameters that exist (missing names are simply absent from the result)."""
    ssm = _client("ssm", region)
    out: dict[str, str] = {}
    for chunk in _chunks(sorted(set(names)), 10):  # GetParameters takes at most 10 names
        resp = _call(region, "ssm:GetParameters", ssm.get_parameters, Names=chunk)
        for param in resp.get("Parameters", []):
            out[str(param["Name"])] = str(param["Value"])
    return out


# --- STS / IAM (account-wide facts ``brctl preflight`` reads) --------------------------------------------------------
def caller_account(region: str) -> str:
    """The account the configured credentials belong to (``sts:GetCallerIdentity``)."""
    sts = _client("sts", region)
    return str(_call(region, "sts:GetCallerIdentity", sts.get_caller_identity)["Account"])


def role_exists(region: str, role_name: str) -> bool:
    """Whether IAM role ``role_name`` exists in the credentials' account (``iam:GetRole``; ``NoSuchEntity`` is
    ``False``, any other failure an :class:`AwsError`). IAM is global: ``region`` only picks the endpoint."""
    iam = _client("iam", region)
    try:
        iam.get_role(RoleName=role_name)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        if err.get("Code") == "NoSuchEntity":
            return False
        raise AwsError(
            f"{region}: iam:GetRole {role_name}: {err.get('Code', 'Error')}: {err.get('Message', exc)}"
        ) from exc
    except BotoCoreError as exc:
        raise AwsError(f"{region}: iam:GetRole {role_name}: {exc}") from exc
    return True


# --- EC2 ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ImageInfo:
    image_id: str
    name: str
    state: str
    architecture: str
    owner_id: str
    owner_alias: str | None
    creation_date: str = ""
    """``CreationDate`` as EC2 returns it (ISO-8601, e.g. ``2026-01-01T00:00:00.000Z``); empty if absent."""
    description: str = ""
    platform: str = ""
    """``Platform``: ``windows`` for Windows images, empty otherwise."""


def describe_images(region: str, image_ids: Iterable[str]) -> dict[str, ImageInfo]:
    """Images that exist, by ID. An unknown or deregistered ID is absent from the result (not an error)."""
    ec2 = _client("ec2", region)
    out: dict[str, ImageInfo] = {}
    for image_id in sorted(set(image_ids)):
        # One ID per call: DescribeImages fails the whole call with InvalidAMIID.NotFound if any ID is unknown.
        try:
            resp = cast(dict[str, Any], ec2.describe_images(ImageIds=[image_id], IncludeDeprecated=True))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code.startswith("InvalidAMIID"):
                continue
            raise AwsError(f"{region}: ec2:DescribeImages {image_id}: {code}: {exc}") from exc
        except BotoCoreError as exc:
            raise AwsError(f"{region}: ec2:DescribeImages {image_id}: {exc}") from exc
        for img in resp.get("Images", []):
            out[str(img["ImageId"])] = ImageInfo(
                image_id=str(img["ImageId"]),
                name=str(img.get("Name", "")),
                state=str(img.get("State", "")),
                architecture=str(img.get("Architecture", "")),
                owner_id=str(img.get("OwnerId", "")),
                owner_alias=cast(str | None, img.get("ImageOwnerAlias")),
                creation_date=str(img.get("CreationDate", "")),
                description=str(img.get("Description", "")),
                platform=str(img.get("Platform", "")),
            )
    return out


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    instance_id: str
    image_id: str
    architecture: str
    state: str
    tags: dict[str, str]


def _describe_instances(region: str, ec2: Any, kwargs: dict[str, Any]) -> list[InstanceInfo]:
    """Every page of ``ec2:DescribeInstances`` for ``kwargs``, as :class:`InstanceInfo`."""
    out: list[InstanceInfo] = []
    kwargs = dict(kwargs)
    while True:
        resp = _call(region, "ec2:DescribeInstances", ec2.describe_instances, **kwargs)
        for reservation in resp.get("Reservations", []):
            out.extend(
                InstanceInfo(
                    instance_id=str(inst["InstanceId"]),
                    image_id=str(inst.get("ImageId", "")),
                    architecture=str(inst.get("Architecture", "")),
                    state=str(inst.get("State", {}).get("Name", "")),
                    tags={str(t["Key"]): str(t["Value"]) for t in inst.get("Tags", [])},
                )
                for inst in reservation.get("Instances", [])
            )
        token = resp.get("NextToken")
        if not token:
            return out
        kwargs["NextToken"] = token


def describe_instances_with_tag(region: str, tag_key: str) -> list[InstanceInfo]:
    """Running and pending instances carrying ``tag_key`` (any value)."""
    ec2 = _client("ec2", region)
    out: list[InstanceInfo] = []
    kwargs: dict[str, Any] = {
        "Filters": [
            {"Name": "tag-key", "Values": [tag_key]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    }
    out.extend(_describe_instances(region, ec2, kwargs))
    return sorted(out, key=lambda i: i.instance_id)


def launch_template_image(region: str, template_id: str | None, template_name: str | None, version: str) -> str | None:
    """``ImageId`` of one launch template version (``$Default`` / ``$Latest`` allowed), ``None`` if it has none."""
    ec2 = _client("ec2", region)
    kwargs: dict[str, Any] = {"Versions": [version]}
    if template_id:
        kwargs["LaunchTemplateId"] = template_id
    else:
        kwargs["LaunchTemplateName"] = template_name
    resp = _call(region, "ec2:DescribeLaunchTemplateVersions", ec2.describe_launch_template_versions, **kwargs)
    versions = resp.get("LaunchTemplateVersions", [])
    if not versions:
        return None
    image = versions[0].get("LaunchTemplateData", {}).get("ImageId")
    return str(image) if image else None


# --- Auto Scaling ------------------------------------------------------------------------------------------------
def asg_ready_count(region: str, asg: str) -> int | None:
    """Instances ``InService`` and ``Healthy`` in Auto Scaling group ``asg``; ``None`` when the group does not exist."""
    client = _client("autoscaling", region)
    resp = _call(
        region,
        f"autoscaling:DescribeAutoScalingGroups {asg}",
        client.describe_auto_scaling_groups,
        AutoScalingGroupNames=[asg],
    )
    groups = resp.get("AutoScalingGroups", [])
    if not groups:
        return None
    return sum(
        1
        for i in groups[0].get("Instances", [])
        if i.get("LifecycleState") == "InService" and i.get("HealthStatus") == "Healthy"
    )


# --- EKS ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Taint:
    """A node group taint in the EKS API's terms (``effect`` ``NO_SCHEDULE``, not Kubernetes' ``NoSchedule``)."""

    key: str
    value: str
    effect: str

    def to_api(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "effect": self.effect}


@dataclass(frozen=True, slots=True)
class NodegroupInfo:
    cluster: str
    name: str
    ami_type: str
    release_version: str
    kubernetes_version: str
    launch_template_id: str | None
    launch_template_name: str | None
    launch_template_version: str | None
    tags: dict[str, str]
    status: str = ""
    health_issues: tuple[str, ...] = ()
    """``health.issues`` as ``"<code>: <message>"``."""
    desired_size: int = 0
    """``scalingConfig.desiredSize``."""
    autoscaling_groups: tuple[str, ...] = ()
    """``resources.autoScalingGroups[*].name``, in EKS's order."""
    instance_types: tuple[str, ...] = ()
    """``instanceTypes`` (empty when the launch template names the instance type)."""
    arn: str = ""
    """``nodegroupArn``."""
    min_size: int = 0
    max_size: int = 0
    taints: tuple[Taint, ...] = ()
    """``taints`` as EKS reports them (effect ``NO_SCHEDULE`` | ``NO_EXECUTE`` | ``PREFER_NO_SCHEDULE``)."""


def _nodegroup_info(cluster: str, name: str, ng: dict[str, Any]) -> NodegroupInfo:
    lt = ng.get("launchTemplate") or {}
    scaling = ng.get("scalingConfig") or {}
    return NodegroupInfo(
        cluster=cluster,
        name=name,
        ami_type=str(ng.get("amiType", "")),
        release_version=str(ng.get("releaseVersion", "")),
        kubernetes_version=str(ng.get("version", "")),
        launch_template_id=cast(str | None, lt.get("id")),
        launch_template_name=cast(str | None, lt.get("name")),
        launch_template_version=cast(str | None, lt.get("version")),
        tags={str(k): str(v) for k, v in (ng.get("tags") or {}).items()},
        status=str(ng.get("status", "")),
        health_issues=tuple(
            f"{i.get('code', '?')}: {i.get('message', '')}".strip()
            for i in (ng.get("health") or {}).get("issues") or []
        ),
        desired_size=int(scaling.get("desiredSize") or 0),
        autoscaling_groups=tuple(
            str(g["name"]) for g in (ng.get("resources") or {}).get("autoScalingGroups") or [] if g.get("name")
        ),
        instance_types=tuple(str(t) for t in ng.get("instanceTypes") or []),
        arn=str(ng.get("nodegroupArn", "")),
        min_size=int(scaling.get("minSize") or 0),
        max_size=int(scaling.get("maxSize") or 0),
        taints=tuple(
            Taint(str(t.get("key", "")), str(t.get("value", "")), str(t.get("effect", "")))
            for t in ng.get("taints") or []
        ),
    )


def list_nodegroups(region: str, cluster: str) -> list[NodegroupInfo]:
    """Every node group of ``cluster``, described."""
    eks = _client("eks", region)
    names = [
        str(n)
        for n in _paged(region, f"eks:ListNodegroups {cluster}", eks.list_nodegroups, "nodegroups", clusterName=cluster)
    ]
    out: list[NodegroupInfo] = []
    for name in sorted(names):
        ng = _call(
            region,
            f"eks:DescribeNodegroup {cluster}/{name}",
            eks.describe_nodegroup,
            clusterName=cluster,
            nodegroupName=name,
        )["nodegroup"]
        out.append(_nodegroup_info(cluster, name, ng))
    return out


def describe_nodegroup(region: str, cluster: str, name: str) -> NodegroupInfo | None:
    """One node group of ``cluster`` by name (``eks:DescribeNodegroup``); ``None`` when it does not exist."""
    eks = _client("eks", region)
    try:
        ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
    except ClientError as exc:
        err = exc.response.get("Error", {})
        if err.get("Code") == "ResourceNotFoundException":
            return None
        raise AwsError(
            f"{region}: eks:DescribeNodegroup {cluster}/{name}: {err.get('Code', 'Error')}: {err.get('Message', exc)}"
        ) from exc
    except BotoCoreError as exc:
        raise AwsError(f"{region}: eks:DescribeNodegroup {cluster}/{name}: {exc}") from exc
    return _nodegroup_info(cluster, name, cast(dict[str, Any], ng))


def update_nodegroup_taints(
    region: str, cluster: str, name: str, *, add: Iterable[Taint] = (), remove: Iterable[Taint] = ()
) -> str:
    """``eks:UpdateNodegroupConfig`` ``taints.addOrUpdateTaints`` / ``removeTaints``; the update's ID. EKS applies it
    to the node group's nodes (and to nodes it launches later)."""
    taints: dict[str, Any] = {}
    if add:
        taints["addOrUpdateTaints"] = [t.to_api() for t in add]
    if remove:
        taints["removeTaints"] = [t.to_api() for t in remove]
    eks = _client("eks", region)
    resp = _call(
        region,
        f"eks:UpdateNodegroupConfig {cluster}/{name} taints",
        eks.update_nodegroup_config,
        clusterName=cluster,
        nodegroupName=name,
        taints=taints,
    )
    return str((resp.get("update") or {}).get("id", ""))


def update_nodegroup_scaling(
    region: str, cluster: str, name: str, *, min_size: int, desired: int, max_size: int
) -> str:
    """``eks:UpdateNodegroupConfig`` ``scalingConfig``; the update's ID."""
    eks = _client("eks", region)
    resp = _call(
        region,
        f"eks:UpdateNodegroupConfig {cluster}/{name} scalingConfig",
        eks.update_nodegroup_config,
        clusterName=cluster,
        nodegroupName=name,
        scalingConfig={"minSize": min_size, "desiredSize": desired, "maxSize": max_size},
    )
    return str((resp.get("update") or {}).get("id", ""))


def tag_nodegroup(region: str, arn: str, tags: dict[str, str]) -> None:
    """``eks:TagResource`` on a node group's ARN (adds or overwrites; never removes a tag)."""
    eks = _client("eks", region)
    _call(region, f"eks:TagResource {arn}", eks.tag_resource, resourceArn=arn, tags=tags)


def describe_instances(region: str, instance_ids: Iterable[str]) -> list[InstanceInfo]:
    """The given instances (any state), by ID; IDs EC2 does not know are absent from the result."""
    ids = sorted(set(instance_ids))
    if not ids:
        return []
    ec2 = _client("ec2", region)
    out: list[InstanceInfo] = []
    for chunk in _chunks(ids, 200):  # filter, not InstanceIds: one unknown ID would fail the whole call
        out.extend(_describe_instances(region, ec2, {"Filters": [{"Name": "instance-id", "Values": chunk}]}))
    return sorted(out, key=lambda i: i.instance_id)


# --- Auto Scaling groups by tag (ECS capacity) -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AsgInstance:
    instance_id: str
    lifecycle_state: str
    health_status: str
    protected_from_scale_in: bool

    @property
    def ready(self) -> bool:
        return self.lifecycle_state == "InService" and self.health_status == "Healthy"


@dataclass(frozen=True, slots=True)
class AsgInfo:
    name: str
    arn: str
    min_size: int
    max_size: int
    desired_capacity: int
    new_instances_protected_from_scale_in: bool
    launch_template_id: str | None
    """From ``LaunchTemplate`` or ``MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification``."""
    launch_template_name: str | None
    launch_template_version: str | None
    instances: tuple[AsgInstance, ...]
    tags: dict[str, str]


def _asg_info(g: dict[str, Any]) -> AsgInfo:
    lt = g.get("LaunchTemplate") or (g.get("MixedInstancesPolicy") or {}).get("LaunchTemplate", {}).get(
        "LaunchTemplateSpecification"
    )
    lt = lt or {}
    return AsgInfo(
        name=str(g["AutoScalingGroupName"]),
        arn=str(g.get("AutoScalingGroupARN", "")),
        min_size=int(g.get("MinSize") or 0),
        max_size=int(g.get("MaxSize") or 0),
        desired_capacity=int(g.get("DesiredCapacity") or 0),
        new_instances_protected_from_scale_in=bool(g.get("NewInstancesProtectedFromScaleIn")),
        launch_template_id=cast(str | None, lt.get("LaunchTemplateId")),
        launch_template_name=cast(str | None, lt.get("LaunchTemplateName")),
        launch_template_version=cast(str | None, lt.get("Version")),
        instances=tuple(
            AsgInstance(
                instance_id=str(i["InstanceId"]),
                lifecycle_state=str(i.get("LifecycleState", "")),
                health_status=str(i.get("HealthStatus", "")),
                protected_from_scale_in=bool(i.get("ProtectedFromScaleIn")),
            )
            for i in sorted(g.get("Instances", []), key=lambda i: str(i["InstanceId"]))
        ),
        tags={str(t["Key"]): str(t["Value"]) for t in g.get("Tags", [])},
    )


def _describe_asgs(region: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page of ``autoscaling:DescribeAutoScalingGroups`` for ``kwargs`` (filters), raw."""
    client = _client("autoscaling", region)
    return _paged(
        region,
        "autoscaling:DescribeAutoScalingGroups",
        client.describe_auto_scaling_groups,
        "AutoScalingGroups",
        token_key="NextToken",
        **kwargs,
    )


def asg_by_name(region: str, name: str) -> AsgInfo | None:
    """One Auto Scaling group by name; ``None`` when it does not exist."""
    groups = _describe_asgs(region, AutoScalingGroupNames=[name])
    return _asg_info(groups[0]) if groups else None


def update_asg_sizes(region: str, name: str, *, min_size: int, desired: int) -> None:
    """``autoscaling:UpdateAutoScalingGroup`` ``MinSize`` / ``DesiredCapacity`` (``MaxSize`` left as it is)."""
    client = _client("autoscaling", region)
    _call(
        region,
        f"autoscaling:UpdateAutoScalingGroup {name}",
        client.update_auto_scaling_group,
        AutoScalingGroupName=name,
        MinSize=min_size,
        DesiredCapacity=desired,
    )


def tag_asg(region: str, name: str, tags: dict[str, str]) -> None:
    """``autoscaling:CreateOrUpdateTags`` on a group, not propagated to instances (adds or overwrites only)."""
    client = _client("autoscaling", region)
    _call(
        region,
        f"autoscaling:CreateOrUpdateTags {name}",
        client.create_or_update_tags,
        Tags=[
            {
                "ResourceId": name,
                "ResourceType": "auto-scaling-group",
                "Key": key,
                "Value": value,
                "PropagateAtLaunch": False,
            }
            for key, value in sorted(tags.items())
        ],
    )


def asgs_with_tag(region: str, key: str, value: str) -> list[AsgInfo]:
    """Auto Scaling groups tagged ``key`` = ``value``, by name."""
    groups = _describe_asgs(region, Filters=[{"Name": f"tag:{key}", "Values": [value]}])
    return sorted((_asg_info(g) for g in groups), key=lambda g: g.name)


# --- ECS ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CapacityProviderInfo:
    name: str
    status: str
    asg_arn: str | None
    managed_termination_protection: str | None
    """``ENABLED`` | ``DISABLED``."""


def cluster_capacity_providers(region: str, cluster: str) -> list[CapacityProviderInfo]:
    """The capacity providers associated with ECS cluster ``cluster``, described (an unknown cluster is an error)."""
    ecs = _client("ecs", region)
    resp = _call(region, f"ecs:DescribeClusters {cluster}", ecs.describe_clusters, clusters=[cluster])
    clusters = [c for c in resp.get("clusters", []) if c.get("status") != "INACTIVE"]
    if not clusters:
        raise AwsError(f"{region}: ecs:DescribeClusters {cluster}: cluster not found")
    names = sorted(str(n) for n in clusters[0].get("capacityProviders") or [])
    out: list[CapacityProviderInfo] = []
    for chunk in _chunks(names, 100):
        described = _call(
            region, "ecs:DescribeCapacityProviders", ecs.describe_capacity_providers, capacityProviders=chunk
        )
        for cp in described.get("capacityProviders", []):
            asg = cp.get("autoScalingGroupProvider") or {}
            out.append(
                CapacityProviderInfo(
                    name=str(cp["name"]),
                    status=str(cp.get("status", "")),
                    asg_arn=cast(str | None, asg.get("autoScalingGroupArn")),
                    managed_termination_protection=cast(str | None, asg.get("managedTerminationProtection")),
                )
            )
    return sorted(out, key=lambda c: c.name)


def describe_capacity_provider(region: str, name: str) -> CapacityProviderInfo | None:
    """One capacity provider by name, associated with a cluster or not; ``None`` when it does not exist."""
    ecs = _client("ecs", region)
    resp = _call(
        region, f"ecs:DescribeCapacityProviders {name}", ecs.describe_capacity_providers, capacityProviders=[name]
    )
    for cp in resp.get("capacityProviders", []):
        if str(cp.get("name")) == name:
            asg = cp.get("autoScalingGroupProvider") or {}
            return CapacityProviderInfo(
                name=name,
                status=str(cp.get("status", "")),
                asg_arn=cast(str | None, asg.get("autoScalingGroupArn")),
                managed_termination_protection=cast(str | None, asg.get("managedTerminationProtection")),
            )
    return None


def asg_name_from_arn(arn: str) -> str:
    """``arn:...:autoScalingGroup:<uuid>:autoScalingGroupName/<name>`` → ``<name>`` (a bare name is returned as is)."""
    return arn.rsplit("autoScalingGroupName/", 1)[-1]


@dataclass(frozen=True, slots=True)
class ContainerInstanceInfo:
    arn: str
    ec2_instance_id: str
    status: str
    """``ACTIVE`` | ``DRAINING`` | ``REGISTERING`` | ..."""
    running_tasks: int


def container_instances(region: str, cluster: str) -> list[ContainerInstanceInfo]:
    """Every container instance registered with ``cluster`` (any status), described."""
    ecs = _client("ecs", region)
    what = f"ecs:ListContainerInstances {cluster}"
    arns = [
        str(a) for a in _paged(region, what, ecs.list_container_instances, "containerInstanceArns", cluster=cluster)
    ]
    out: list[ContainerInstanceInfo] = []
    for chunk in _chunks(arns, 100):
        described = _call(
            region,
            f"ecs:DescribeContainerInstances {cluster}",
            ecs.describe_container_instances,
            cluster=cluster,
            containerInstances=chunk,
        )
        for ci in described.get("containerInstances", []):
            out.append(
                ContainerInstanceInfo(
                    arn=str(ci["containerInstanceArn"]),
                    ec2_instance_id=str(ci.get("ec2InstanceId", "")),
                    status=str(ci.get("status", "")),
                    running_tasks=int(ci.get("runningTasksCount") or 0),
                )
            )
    return sorted(out, key=lambda c: c.ec2_instance_id)


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    name: str
    status: str
    launch_type: str | None
    capacity_providers: tuple[str, ...]
    """The providers named in the service's ``capacityProviderStrategy`` (empty: none, e.g. a launch type)."""


def services(region: str, cluster: str) -> list[ServiceInfo]:
    """Every service of ``cluster``, described, by name."""
    ecs = _client("ecs", region)
    arns = [
        str(a) for a in _paged(region, f"ecs:ListServices {cluster}", ecs.list_services, "serviceArns", cluster=cluster)
    ]
    out: list[ServiceInfo] = []
    for chunk in _chunks(arns, 10):  # DescribeServices takes at most 10
        described = _call(
            region, f"ecs:DescribeServices {cluster}", ecs.describe_services, cluster=cluster, services=chunk
        )
        for s in described.get("services", []):
            out.append(
                ServiceInfo(
                    name=str(s["serviceName"]),
                    status=str(s.get("status", "")),
                    launch_type=cast(str | None, s.get("launchType")),
                    capacity_providers=tuple(
                        str(i["capacityProvider"]) for i in s.get("capacityProviderStrategy") or []
                    ),
                )
            )
    return sorted(out, key=lambda s: s.name)


def asgs_with_tag_key(region: str, key: str) -> list[AsgInfo]:
    """Auto Scaling groups carrying tag ``key`` (any value), by name."""
    groups = _describe_asgs(region, Filters=[{"Name": "tag-key", "Values": [key]}])
    return sorted((_asg_info(g) for g in groups), key=lambda g: g.name)


# --- fleet inventory (``brctl inventory``): every group in a region, not only this library's --------------------------
def list_eks_clusters(region: str) -> list[str]:
    """Names of every EKS cluster in ``region``, sorted."""
    eks = _client("eks", region)
    return sorted(str(n) for n in _paged(region, "eks:ListClusters", eks.list_clusters, "clusters"))


def eks_cluster_version(region: str, cluster: str) -> str | None:
    """The Kubernetes version (``1.33``) of EKS cluster ``cluster``; ``None`` when it does not exist."""
    eks = _client("eks", region)
    try:
        resp = eks.describe_cluster(name=cluster)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        if err.get("Code") == "ResourceNotFoundException":
            return None
        raise AwsError(
            f"{region}: eks:DescribeCluster {cluster}: {err.get('Code', 'Error')}: {err.get('Message', exc)}"
        ) from exc
    except BotoCoreError as exc:
        raise AwsError(f"{region}: eks:DescribeCluster {cluster}: {exc}") from exc
    version = (resp.get("cluster") or {}).get("version")
    return str(version) if version else None


@dataclass(frozen=True, slots=True)
class LaunchData:
    """What a launch template version or launch configuration says about the image and instance type."""

    image_id: str | None
    instance_type: str | None


def launch_template_data(
    region: str, template_id: str | None, template_name: str | None, version: str | None
) -> LaunchData | None:
    """``ImageId`` and ``InstanceType`` of one launch template version (default: ``$Default``); ``None`` when the
    template or version does not exist."""
    ec2 = _client("ec2", region)
    kwargs: dict[str, Any] = {"Versions": [version or "$Default"]}
    if template_id:
        kwargs["LaunchTemplateId"] = template_id
    else:
        kwargs["LaunchTemplateName"] = template_name
    what = f"ec2:DescribeLaunchTemplateVersions {template_id or template_name}"
    try:
        resp = cast(dict[str, Any], ec2.describe_launch_template_versions(**kwargs))
    except ClientError as exc:
        err = exc.response.get("Error", {})
        if str(err.get("Code", "")).startswith("InvalidLaunchTemplate"):
            return None
        raise AwsError(f"{region}: {what}: {err.get('Code', 'Error')}: {err.get('Message', exc)}") from exc
    except BotoCoreError as exc:
        raise AwsError(f"{region}: {what}: {exc}") from exc
    versions = resp.get("LaunchTemplateVersions", [])
    if not versions:
        return None
    data = versions[0].get("LaunchTemplateData", {})
    image, itype = data.get("ImageId"), data.get("InstanceType")
    return LaunchData(image_id=str(image) if image else None, instance_type=str(itype) if itype else None)


def launch_configurations(region: str, names: Iterable[str]) -> dict[str, LaunchData]:
    """``ImageId`` / ``InstanceType`` of the named launch configurations that exist, by name."""
    client = _client("autoscaling", region)
    out: dict[str, LaunchData] = {}
    for chunk in _chunks(sorted(set(names)), 50):  # DescribeLaunchConfigurations takes at most 50 names
        configurations = _paged(
            region,
            "autoscaling:DescribeLaunchConfigurations",
            client.describe_launch_configurations,
            "LaunchConfigurations",
            token_key="NextToken",
            LaunchConfigurationNames=chunk,
        )
        for lc in configurations:
            out[str(lc["LaunchConfigurationName"])] = LaunchData(
                image_id=cast(str | None, lc.get("ImageId")), instance_type=cast(str | None, lc.get("InstanceType"))
            )
    return out


@dataclass(frozen=True, slots=True)
class AsgSummary:
    """One Auto Scaling group as the inventory sees it: how it launches and what it is tagged."""

    name: str
    arn: str
    launch_template_id: str | None
    launch_template_name: str | None
    launch_template_version: str | None
    launch_configuration: str | None
    override_instance_types: tuple[str, ...]
    """``MixedInstancesPolicy.LaunchTemplate.Overrides[*].InstanceType``."""
    desired_capacity: int
    tags: dict[str, str]


def all_asgs(region: str) -> list[AsgSummary]:
    """Every Auto Scaling group in ``region``, by name."""
    out: list[AsgSummary] = []
    for g in _describe_asgs(region):
        mixed = (g.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}
        lt = g.get("LaunchTemplate") or mixed.get("LaunchTemplateSpecification") or {}
        out.append(
            AsgSummary(
                name=str(g["AutoScalingGroupName"]),
                arn=str(g.get("AutoScalingGroupARN", "")),
                launch_template_id=cast(str | None, lt.get("LaunchTemplateId")),
                launch_template_name=cast(str | None, lt.get("LaunchTemplateName")),
                launch_template_version=cast(str | None, lt.get("Version")),
                launch_configuration=cast(str | None, g.get("LaunchConfigurationName")),
                override_instance_types=tuple(
                    str(o["InstanceType"]) for o in mixed.get("Overrides") or [] if o.get("InstanceType")
                ),
                desired_capacity=int(g.get("DesiredCapacity") or 0),
                tags={str(t["Key"]): str(t["Value"]) for t in g.get("Tags", [])},
            )
        )
    return sorted(out, key=lambda g: g.name)


@dataclass(frozen=True, slots=True)
class EcsClusterCapacity:
    """An ECS cluster and the capacity providers associated with it."""

    cluster: str
    providers: tuple[CapacityProviderInfo, ...]


def ecs_clusters_capacity(region: str, names: Iterable[str] | None = None) -> list[EcsClusterCapacity]:
    """Every active ECS cluster in ``region`` (or the named ones that exist), with its capacity providers described.
    Providers associated with no cluster are not listed (DescribeCapacityProviders is asked by name)."""
    ecs = _client("ecs", region)
    wanted = sorted(set(names)) if names is not None else None
    if wanted is None:
        wanted = [str(a) for a in _paged(region, "ecs:ListClusters", ecs.list_clusters, "clusterArns")]
    described: list[dict[str, Any]] = []
    for chunk in _chunks(wanted, 100):  # DescribeClusters takes at most 100
        resp = _call(region, "ecs:DescribeClusters", ecs.describe_clusters, clusters=chunk)
        described.extend(c for c in resp.get("clusters", []) if c.get("status") == "ACTIVE")
    provider_names = sorted({str(n) for c in described for n in c.get("capacityProviders") or []})
    providers: dict[str, CapacityProviderInfo] = {}
    for chunk in _chunks([n for n in provider_names if n not in ("FARGATE", "FARGATE_SPOT")], 100):
        resp = _call(region, "ecs:DescribeCapacityProviders", ecs.describe_capacity_providers, capacityProviders=chunk)
        for cp in resp.get("capacityProviders", []):
            asg = cp.get("autoScalingGroupProvider") or {}
            providers[str(cp["name"])] = CapacityProviderInfo(
                name=str(cp["name"]),
                status=str(cp.get("status", "")),
                asg_arn=cast(str | None, asg.get("autoScalingGroupArn")),
                managed_termination_protection=cast(str | None, asg.get("managedTerminationProtection")),
            )
    return sorted(
        (
            EcsClusterCapacity(
                cluster=str(c["clusterName"]),
                providers=tuple(providers[str(n)] for n in sorted(c.get("capacityProviders") or []) if n in providers),
            )
            for c in described
        ),
        key=lambda c: c.cluster,
    )
