"""An EKS managed node group on Bottlerocket: secure launch template + ``AWS::EKS::Nodegroup`` (no custom resource).

Two image paths, both pinned by the lockfile:

* ``eks-managed``: the node group's ``AmiType`` (``BOTTLEROCKET_*``, all 8) and ``ReleaseVersion`` = the pin's
  full image version. The launch template carries no image; EKS merges the join settings into our TOML (which
  therefore must not set them: :func:`~constructs_br.settings.eks_managed_user_data` rejects them).
* ``custom-ami``: the launch template's ``ImageId`` = the pinned AMI; no ``AmiType``/``ReleaseVersion``; the user
  data carries the full bootstrap settings derived from the cluster (api-server, cluster-certificate,
  cluster-name, cluster-dns-ip = ``.10`` of the service CIDR).

Children (logical IDs are API): ``NodeRole`` and ``SecurityGroup`` (unless given), ``LaunchTemplate``,
``NodeGroup`` (the ``CfnNodegroup``). The L1 is used rather than ``aws_eks_v2.Nodegroup`` because the L2 rejects
the FIPS AMI types with instance types set, and defaults ``forceUpdateEnabled`` to true.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Annotations, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br import tags as tag_keys
from constructs_br.eks.spec import NodeGroupSpec, Taint, TaintEffect, cluster_dns_ip
from constructs_br.errors import Problems
from constructs_br.iam.node_role import EksNodeRole
from constructs_br.images.resolve import ResolutionMode, ResolvedImage
from constructs_br.nodes import (
    BottlerocketLaunchTemplate,
    MetadataOptions,
    VolumeOptions,
    grant_ebs_key_to_autoscaling,
    image_id_value,
)
from constructs_br.settings import custom_ami_user_data, eks_managed_user_data


def node_security_group(scope: Construct, construct_id: str, vpc: ec2.IVpc) -> ec2.SecurityGroup:
    """The nodes' own security group: no ingress at all (no SSH; node-to-node and control-plane traffic flow
    through the EKS cluster security group, which every launch template also carries)."""
    return ec2.SecurityGroup(
        scope,
        construct_id,
        vpc=vpc,
        description="Bottlerocket EKS nodes: no ingress (no SSH); cluster traffic uses the cluster security group",
        allow_all_outbound=True,
    )


class BottlerocketNodeGroup(Construct):
    """One EKS managed node group on Bottlerocket.

    :param cluster: a stack-built ``aws_eks_v2.Cluster`` or ``Cluster.from_cluster_attributes`` (then give
        ``cluster_security_group_id`` and ``vpc`` there; the custom-AMI path also needs endpoint and CA data).
    :param spec: validated node-group configuration (:class:`NodeGroupSpec`).
    :param image: the resolved image (``resolve_image``); the ``eks-managed`` path needs ``pinned`` mode.
    :param cluster_version: the cluster's Kubernetes minor (``"1.33"``); the variant must match.
    :param service_ipv4_cidr: the cluster's service CIDR (custom-AMI path: cluster-dns-ip is its ``.10``).
    :param subnets: where nodes run (default: the VPC's private subnets with egress); an empty list is an error.
    :param stage_settings: the stage's Bottlerocket settings layer (under the node group's own).
    :param volume_key: customer KMS key for both volumes (default: the AWS-managed EBS key); a ``kms.Key``
        created in this app also gets the Auto Scaling service-linked role's grant.
    :param extra_taints: taints added on top of ``spec.taints`` (the blue/green pair's cutover taint).
    :param fleet, stage, slot: tag values (``constructs-br:*``) on the node group, instances and volumes.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster | eks.Cluster,
        spec: NodeGroupSpec,
        image: ResolvedImage,
        cluster_version: str | None,
        fleet: str,
        stage: str,
        slot: str = "single",
        service_ipv4_cidr: str | None = None,
        stage_settings: Mapping[str, Any] | None = None,
        vpc: ec2.IVpc | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        node_role: iam.IRole | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        volume_key: kms.IKey | None = None,
        extra_taints: Sequence[Taint] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        f = spec.field_prefix
        # --- validate everything before creating any child ------------------------------------------------------
        problems = Problems()
        the_vpc = vpc or _cluster_vpc(cluster)
        subnet_ids: list[str] = []
        if subnets is not None:
            subnet_ids = [s.subnet_id for s in subnets]
        elif the_vpc is None:
            problems.add(f"{f}.vpc", None, "a VPC (the imported cluster has none; pass vpc=)")
        else:
            subnet_ids = list(the_vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids)
        problems.extend(
            spec.cluster_problems(
                cluster_version=cluster_version,
                subnet_count=None
                if Token.is_unresolved(subnet_ids) or (the_vpc is None and subnets is None)
                else len(subnet_ids),
            )
        )
        if spec.image_path == "eks-managed" and image.mode is not ResolutionMode.PINNED:
            problems.add(
                "image.mode",
                image.mode.value,
                "pinned on the eks-managed path",
                "the node group's ReleaseVersion comes from the lockfile pin",
            )
        if image.variant.name != spec.variant or image.arch.value != spec.arch:
            problems.add(
                "image", f"{image.variant.name}/{image.arch.value}", f"{spec.variant}/{spec.arch} (the spec's)"
            )
        if spec.image_path == "custom-ami":
            if service_ipv4_cidr is None:
                problems.add(f"{f}.service_ipv4_cidr", None, "the cluster's service CIDR (custom-ami path)")
            for attr in ("cluster_endpoint", "cluster_certificate_authority_data"):
                if not _has_attr(cluster, attr):
                    problems.add(f"cluster.{attr}", None, "set (from_cluster_attributes) on the custom-ami path")
        try:
            cluster_sg_id = cluster.cluster_security_group_id
        except Exception:  # jsii raises for an imported cluster without the attribute
            cluster_sg_id = None
            problems.add(
                "cluster.cluster_security_group_id",
                None,
                "set (from_cluster_attributes): launch templates with security groups must carry it",
            )
        taints = (*spec.taints, *extra_taints)
        problems.raise_if_any()
        for warning in spec.warnings():
            Annotations.of(self).add_warning_v2("constructs-br:eks-spot-single-instance-type", warning)

        # --- defaults resolved once ---------------------------------------------------------------------------------
        nodegroup_layer = {"settings": dict(spec.settings)} if spec.settings else None
        stage_layer = {"settings": dict(stage_settings)} if stage_settings else None
        if spec.image_path == "eks-managed":
            user_data = eks_managed_user_data(variant=spec.variant, stage=stage_layer, nodegroup=nodegroup_layer)
            image_id = None
        else:
            assert service_ipv4_cidr is not None
            user_data = custom_ami_user_data(
                variant=spec.variant,
                cluster_name=cluster.cluster_name,
                api_server=cluster.cluster_endpoint,
                cluster_certificate=cluster.cluster_certificate_authority_data,
                cluster_dns_ip=cluster_dns_ip(service_ipv4_cidr),
                stage=stage_layer,
                nodegroup=nodegroup_layer,
            )
            image_id = image_id_value(self, image)
        image_version = image.release_version or "floating"
        resource_tags = {
            tag_keys.FLEET: fleet,
            tag_keys.STAGE: stage,
            tag_keys.SLOT: slot,
            tag_keys.IMAGE_VERSION: image_version,
            tag_keys.VARIANT: spec.variant,
        }

        # --- children -----------------------------------------------------------------------------------------------
        if node_role is None:
            node_role = EksNodeRole(self, "NodeRole", cluster_arn=cluster.cluster_arn).role
        self.node_role = node_role
        if security_group is None:
            assert the_vpc is not None
            security_group = node_security_group(self, "SecurityGroup", the_vpc)
        self.security_group = security_group
        assert cluster_sg_id is not None
        cluster_sg = ec2.SecurityGroup.from_security_group_id(self, "ClusterSecurityGroup", cluster_sg_id)
        if isinstance(volume_key, kms.Key):
            grant_ebs_key_to_autoscaling(volume_key)
        self.launch_template = BottlerocketLaunchTemplate(
            self,
            "LaunchTemplate",
            user_data=user_data,
            image_id=image_id,
            security_groups=[cluster_sg, security_group],
            volumes=VolumeOptions(os_size_gib=spec.os_volume_gib, data_size_gib=spec.data_volume_gib),
            metadata=MetadataOptions(hop_limit=spec.hop_limit, hop_limit_reason=spec.hop_limit_reason),
            volume_key=volume_key,
            tags=resource_tags,
            field_prefix=f"{f}.launch_template",
        )
        lt = self.launch_template.launch_template
        self.user_data = user_data
        managed = spec.image_path == "eks-managed"
        self.resource = eks.CfnNodegroup(
            self,
            "NodeGroup",
            cluster_name=cluster.cluster_name,
            node_role=node_role.role_arn,
            subnets=subnet_ids,
            ami_type=spec.ami_type if managed else None,
            release_version=image.release_version if managed else None,
            capacity_type=spec.capacity_type,
            instance_types=list(spec.instance_types),
            scaling_config=eks.CfnNodegroup.ScalingConfigProperty(
                min_size=spec.min_size, desired_size=spec.desired_size, max_size=spec.max_size
            ),
            update_config=eks.CfnNodegroup.UpdateConfigProperty(
                max_unavailable=spec.max_unavailable, max_unavailable_percentage=spec.max_unavailable_percentage
            ),
            force_update_enabled=spec.force_update,
            labels=dict(sorted(spec.labels.items())) or None,
            taints=[
                eks.CfnNodegroup.TaintProperty(key=t.key, value=t.value or None, effect=TaintEffect(t.effect).value)
                for t in taints
            ]
            or None,
            launch_template=eks.CfnNodegroup.LaunchTemplateSpecificationProperty(
                id=lt.launch_template_id, version=lt.latest_version_number
            ),
            tags=dict(sorted(resource_tags.items())),
        )

    @property
    def nodegroup_name(self) -> str:
        return self.resource.attr_nodegroup_name


def _cluster_vpc(cluster: eks.ICluster | eks.Cluster) -> ec2.IVpc | None:
    try:
        return cluster.vpc
    except Exception:  # imported cluster without vpc
        return None


def _has_attr(cluster: eks.ICluster | eks.Cluster, attr: str) -> bool:
    try:
        return bool(getattr(cluster, attr))
    except Exception:
        return False
