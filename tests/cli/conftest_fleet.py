"""Helpers that build a mixed fleet on the moto server for ``brctl inventory`` and seed dated Bottlerocket releases
for ``brctl pins outdated``. Import from test modules (this is not a ``conftest.py``; pytest does not load it).

Images are registered in-process (like :func:`tests.cli.conftest.register_amazon_image`) so tests can set the owner,
description, platform and creation date that ``DescribeImages`` reports; moto's ``RegisterImage`` sets none of those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.cli.conftest import AMAZON_OWNER_ID, Moto, image_name, seed_parameter

CANONICAL = "099720109477"
"""Canonical's image-owner account (Ubuntu)."""

NODE_ROLE = "arn:aws:iam::123456789012:role/node"


def register_image(
    moto: Moto,
    region: str,
    name: str,
    architecture: str = "x86_64",
    *,
    description: str = "",
    owner_alias: str | None = "amazon",
    owner_id: str = AMAZON_OWNER_ID,
    platform: str | None = None,
    created: datetime | None = None,
) -> str:
    """An image with the given name, description, owner, platform and creation date; its ID."""
    image_id = moto.register_amazon_image(region, name, architecture, owner_alias=owner_alias, owner_id=owner_id)
    ami = _ami(region, image_id)
    ami.description = description
    ami.platform = platform
    if created is not None:
        ami.creation_date = created
    return image_id


def set_creation_date(region: str, image_id: str, created: datetime) -> None:
    """Backdate (or move forward) an image's ``CreationDate``."""
    _ami(region, image_id).creation_date = created


def _ami(region: str, image_id: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]  # re-exported, not in moto's __all__
    from moto.ec2.models import ec2_backends

    return ec2_backends[DEFAULT_ACCOUNT_ID][region].amis[image_id]


def publish_latest(moto: Moto, region: str, variant: str, arch: str, image_id: str = "ami-0123456789abcdef0") -> None:
    """Only the ``latest/image_id`` parameter the inventory's live check reads."""
    seed_parameter(moto.endpoint, region, f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id", image_id)


def seed_dated_release(
    moto: Moto, region: str, variant: str, arch: str, version: str, created: datetime, *, latest: bool = True
) -> str:
    """A Bottlerocket release (parameters + Amazon-owned image) whose image was created at ``created``."""
    image_id = moto.seed_bottlerocket_release(region, variant, arch, version, latest=latest)
    set_creation_date(region, image_id, created)
    return image_id


def day(text: str) -> datetime:
    """``2026-01-01`` as a UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Fleet:
    """One region's VPC, subnet and EKS cluster(s), with builders for the group kinds the inventory reads."""

    moto: Moto
    region: str
    subnet: str = ""
    clusters: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        ec2 = self.moto.client("ec2", self.region)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]

    def eks_cluster(self, name: str, version: str = "1.33") -> str:
        self.moto.client("eks", self.region).create_cluster(
            name=name,
            version=version,
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={"subnetIds": [self.subnet]},
        )
        self.clusters.append(name)
        return name

    def nodegroup(
        self,
        cluster: str,
        name: str,
        *,
        ami_type: str,
        instance_types: tuple[str, ...] = ("m6i.large",),
        version: str = "1.33",
        image_id: str | None = None,
    ) -> None:
        """A managed node group; with ``image_id`` (``ami_type="CUSTOM"``) its launch template names the image."""
        kwargs: dict[str, Any] = {"amiType": ami_type, "instanceTypes": list(instance_types), "version": version}
        if image_id is not None:
            lt = self.launch_template(f"{cluster}-{name}", image_id, instance_types[0])
            kwargs["launchTemplate"] = {"id": lt, "version": "1"}
        self.moto.client("eks", self.region).create_nodegroup(
            clusterName=cluster, nodegroupName=name, nodeRole=NODE_ROLE, subnets=[self.subnet], **kwargs
        )

    def launch_template(self, name: str, image_id: str, instance_type: str) -> str:
        resp = self.moto.client("ec2", self.region).create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData={"ImageId": image_id, "InstanceType": instance_type}
        )
        return str(resp["LaunchTemplate"]["LaunchTemplateId"])

    def asg(
        self,
        name: str,
        image_id: str,
        *,
        instance_types: tuple[str, ...] = ("m6i.large",),
        tags: dict[str, str] | None = None,
    ) -> str:
        """A self-managed ASG on a launch template (several instance types: a mixed-instances policy); its ARN."""
        lt = self.launch_template(f"{name}-lt", image_id, instance_types[0])
        client = self.moto.client("autoscaling", self.region)
        kwargs: dict[str, Any] = {
            "AutoScalingGroupName": name,
            "MinSize": 0,
            "MaxSize": 2,
            "VPCZoneIdentifier": self.subnet,
            "Tags": [{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in (tags or {}).items()],
        }
        if len(instance_types) > 1:
            kwargs["MixedInstancesPolicy"] = {
                "LaunchTemplate": {
                    "LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "$Latest"},
                    "Overrides": [{"InstanceType": t} for t in instance_types],
                }
            }
        else:
            kwargs["LaunchTemplate"] = {"LaunchTemplateId": lt, "Version": "$Latest"}
        client.create_auto_scaling_group(**kwargs)
        group = client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
        return str(group["AutoScalingGroupARN"])

    def ecs_capacity(self, cluster: str, provider: str, image_id: str, instance_type: str = "m6i.large") -> None:
        """An ECS cluster with one capacity provider over a new ASG."""
        arn = self.asg(f"{provider}-asg", image_id, instance_types=(instance_type,))
        ecs = self.moto.client("ecs", self.region)
        ecs.create_capacity_provider(
            name=provider,
            autoScalingGroupProvider={"autoScalingGroupArn": arn, "managedTerminationProtection": "DISABLED"},
        )
        ecs.create_cluster(clusterName=cluster, capacityProviders=[provider])


def bottlerocket_name(variant: str, arch: str, version: str = "1.50.0-abcdef12") -> str:
    return image_name(variant, arch, version)


def pin_v1(moto: Moto, lockfile: Path, region: str, variant: str, arch: str, version: str) -> str:
    """Publish ``version`` and make it the current pin of a version 1 lockfile at ``lockfile`` (the old one becomes
    ``previous``), the way ``brctl pins refresh`` did before channels — written directly, so cutover tests do not
    depend on how ``pins refresh`` writes (a legacy file still works with and without ``--stage``)."""
    from constructs_br.images import Lockfile, Pin

    image = moto.seed_bottlerocket_release(region, variant, arch, version)
    lock = Lockfile.load_or_empty(lockfile).with_pin(
        Pin(
            region=region,
            variant=variant,
            arch=arch,
            image_id=image,
            image_version=version,
            ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/{version.split('-', 1)[0]}/image_id",
            resolved_at="2026-01-01T00:00:00Z",
        )
    )
    lock.save(lockfile)
    return image


@dataclass
class CallLog:
    """Every AWS operation brctl called, in order (``("eks", "UpdateNodegroupConfig")``)."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def ops(self) -> set[str]:
        return {op for _, op in self.calls}

    def count(self, op: str) -> int:
        return sum(1 for _, o in self.calls if o == op)

    def deletes(self) -> list[tuple[str, str]]:
        """Calls that remove something: ``Delete*``, ``Deregister*``, ``Terminate*``, ``Untag*``."""
        verbs = ("Delete", "Deregister", "Terminate", "Untag", "Remove")
        return [(s, o) for s, o in self.calls if o.startswith(verbs)]


def record_calls(monkeypatch: Any, log: CallLog) -> None:
    """Record every operation of every client brctl's :mod:`constructs_br.cli._aws` creates (botocore
    ``before-call`` event), without changing what it sends."""
    from constructs_br.cli import _aws

    original = _aws._client

    def client(service: str, region: str) -> Any:
        c = original(service, region)

        def before_call(model: Any, **_: Any) -> None:
            log.calls.append((service, str(model.name)))

        # brctl reuses its clients: register once per client and log, however often the client is handed out
        c.meta.events.register("before-call.*.*", before_call, unique_id=f"record-calls-{id(log)}")
        return c

    monkeypatch.setattr(_aws, "_client", client)


def nodegroup_tagging(monkeypatch: Any) -> None:
    """Fill a moto 5.2.5 gap: ``eks:TagResource`` on a node group ARN (moto only tags clusters; real EKS tags node
    groups, and ``DescribeNodegroup`` returns the tags). Cluster ARNs behave as before."""
    from moto.eks.models import EKSBackend

    original = EKSBackend.tag_resource

    def tag_resource(self: Any, resource_arn: str, tags: dict[str, str]) -> None:
        for cluster in self.clusters.values():
            for ng in cluster.nodegroups.values():
                if ng.arn == resource_arn:
                    ng.tags.update(tags)
                    return
        original(self, resource_arn, tags)

    monkeypatch.setattr(EKSBackend, "tag_resource", tag_resource)
