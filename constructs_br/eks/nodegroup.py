"""An EKS managed node group on Bottlerocket: secure launch template + ``AWS::EKS::Nodegroup`` (no custom resource).

Two image paths, both pinned by the lockfile:

* ``eks-managed``: the node group's ``AmiType`` (``BOTTLEROCKET_*``, all 8) and ``ReleaseVersion`` = the pin's
  full image version. The launch template carries no image; EKS merges the join settings into our TOML (which
  therefore must not set them: :func:`~constructs_br.settings.eks_managed_user_data` rejects them).
* ``custom-ami``: the launch template's ``ImageId`` = the pinned AMI; no ``AmiType``/``ReleaseVersion``; the user
  data carries the full bootstrap settings derived from the cluster (api-server, cluster-certificate,
  cluster-name, cluster-dns-ip = ``.10`` of the service CIDR).

On both paths the user data pins in-place updates to the same pin: ``settings.updates.version-lock =
"v<X.Y.Z>"`` of the pinned image and ``ignore-waves = false``, so ``apiclient update`` can never move a node off
it, unless ``NodeGroupSpec.update_operator`` hands the node to the Bottlerocket update operator (then the lock stays
``latest`` and the node carries ``bottlerocket.aws/updater-interface-version=2.0.0``: the node group's ``Labels``,
and on the custom-AMI path also ``settings.kubernetes.node-labels``, as every label). A settings layer that
contradicts this is a :class:`~constructs_br.errors.ConfigError`.

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
from constructs_br.bluegreen.pins import FLOATING
from constructs_br.eks.cluster import BottlerocketCluster, cluster_version_of
from constructs_br.eks.spec import NodeGroupSpec, Taint, TaintEffect, cluster_dns_ip
from constructs_br.errors import ConfigError, Problems
from constructs_br.iam.node_role import EksNodeRole
from constructs_br.images.lockfile import Lockfile, MissingPinError
from constructs_br.images.resolve import ImageSpec, ResolvedImage
from constructs_br.nodes.image import image_id_value, resolve_for_stack
from constructs_br.nodes.launch_template import (
    BottlerocketLaunchTemplate,
    grant_ebs_key_to_autoscaling,
    warn_if_imported_key,
)
from constructs_br.nodes.options import SPOT_SINGLE_TYPE_WARNING, MetadataOptions, VolumeOptions
from constructs_br.settings import Settings, custom_ami_user_data, eks_managed_user_data, merge_documents


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

    :param cluster: a :class:`~constructs_br.eks.BottlerocketCluster` (it knows its Kubernetes minor, service CIDR
        and add-ons), or any ``aws_eks_v2`` cluster with ``cluster_kubernetes_version`` given (imported clusters:
        give ``cluster_security_group_id`` and ``vpc`` in ``from_cluster_attributes``; the custom-AMI path also
        needs endpoint and CA data).
    :param spec: validated node-group configuration (:class:`NodeGroupSpec`).
    :param lockfile: where pins come from; the image is resolved for this construct's stack region.
    :param cluster_kubernetes_version: the cluster's minor when the cluster is not a ``BottlerocketCluster``.
    :param service_ipv4_cidr: the cluster's service CIDR (custom-AMI path; default: the BottlerocketCluster's).
    :param subnets: where nodes run (default: the VPC's private subnets with egress); an empty list is an error.
    :param stage_settings: a settings layer under the node group's own (e.g. the stage's).
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
        lockfile: Lockfile,
        fleet: str,
        stage: str | None = None,
        slot: str = "single",
        cluster_kubernetes_version: str | None = None,
        service_ipv4_cidr: str | None = None,
        stage_settings: Settings | Mapping[str, Any] | None = None,
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
        cluster_version: str | None = None
        try:
            cluster_version = cluster_version_of(cluster, cluster_kubernetes_version, "cluster_kubernetes_version")
        except ConfigError as exc:
            problems.extend(exc.problems)
        if service_ipv4_cidr is None and isinstance(cluster, BottlerocketCluster):
            service_ipv4_cidr = cluster.service_ipv4_cidr
        the_vpc = vpc or _cluster_vpc(cluster)
        subnet_ids: list[str] = []
        if subnets is not None:
            subnet_ids = [s.subnet_id for s in subnets]
        elif the_vpc is None:
            problems.add(f"{f}.vpc", None, "a VPC (the imported cluster has none; pass vpc=)")
        else:
            subnet_ids = list(the_vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids)
        subnet_count = (
            None if Token.is_unresolved(subnet_ids) or (the_vpc is None and subnets is None) else len(subnet_ids)
        )
        image: ResolvedImage | None = None
        missing: MissingPinError | None = None
        if cluster_version is not None:
            problems.extend(spec.cluster_problems(cluster_version=cluster_version, subnet_count=subnet_count))
            variant = spec.variant_for(cluster_version)
            try:
                image = resolve_for_stack(
                    self,
                    ImageSpec(variant=variant, arch=spec.arch),
                    lockfile,
                    image_version=spec.image_version,
                    field=f,
                )
            except MissingPinError as exc:
                missing = exc
                problems.extend(exc.problems)
            except ConfigError as exc:
                problems.extend(exc.problems)
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
        if image is not None and image.release_version is not None:
            problems.extend(spec.updates_problems(image.release_version, stage_settings=_layer(stage_settings)))
        taints = (*spec.taints, *extra_taints)
        if missing is not None and list(problems.items) == list(missing.problems):
            raise missing  # the only problem: keep its type (region, variant, arch, refresh command)
        problems.raise_if_any()
        assert image is not None
        assert cluster_version is not None
        self.image = image
        self.variant = variant
        self.kubernetes_version = spec.kubernetes_version or cluster_version
        for warning in spec.warnings():
            Annotations.of(self).add_warning_v2(SPOT_SINGLE_TYPE_WARNING, warning)

        # --- defaults resolved once ---------------------------------------------------------------------------------
        nodegroup_layer = spec.settings_layer()
        stage_layer = _layer(stage_settings)
        # The image lock comes from the same pin as the ReleaseVersion / ImageId below.
        assert image.release_version is not None  # node groups resolve pinned images only
        updates = spec.updates_layer(image.release_version)
        if spec.image_path == "eks-managed":
            user_data = eks_managed_user_data(
                variant=variant, stage=stage_layer, nodegroup=nodegroup_layer, extras=updates
            )
            image_id = None
        else:
            assert service_ipv4_cidr is not None
            user_data = custom_ami_user_data(
                variant=variant,
                cluster_name=cluster.cluster_name,
                api_server=cluster.cluster_endpoint,
                cluster_certificate=cluster.cluster_certificate_authority_data,
                cluster_dns_ip=cluster_dns_ip(service_ipv4_cidr),
                stage=stage_layer,
                nodegroup=nodegroup_layer,
                extras=merge_documents(kubelet_registration_layer(spec), updates),
            )
            image_id = image_id_value(self, image)
        image_version = image.release_version or FLOATING
        resource_tags = {
            tag_keys.FLEET: fleet,
            tag_keys.SLOT: slot,
            tag_keys.IMAGE_VERSION: image_version,
            tag_keys.VARIANT: variant,
        }
        if stage is not None:
            resource_tags[tag_keys.STAGE] = stage

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
        warn_if_imported_key(self, volume_key)
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
            version=self.kubernetes_version if managed else None,
            capacity_type=spec.capacity_type,
            instance_types=list(spec.instance_types),
            scaling_config=eks.CfnNodegroup.ScalingConfigProperty(
                min_size=spec.min_size, desired_size=spec.desired_size, max_size=spec.max_size
            ),
            update_config=eks.CfnNodegroup.UpdateConfigProperty(
                max_unavailable=spec.max_unavailable, max_unavailable_percentage=spec.max_unavailable_percentage
            ),
            force_update_enabled=spec.force_update,
            labels=dict(sorted(spec.node_labels.items())) or None,
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
        if isinstance(cluster, BottlerocketCluster):
            cluster.register_node_group(self.resource)

    @property
    def nodegroup_name(self) -> str:
        return self.resource.attr_nodegroup_name


_EFFECT = {
    TaintEffect.NO_SCHEDULE: "NoSchedule",
    TaintEffect.PREFER_NO_SCHEDULE: "PreferNoSchedule",
    TaintEffect.NO_EXECUTE: "NoExecute",
}


def kubelet_registration_layer(spec: NodeGroupSpec) -> Mapping[str, Any] | None:
    """The spec's labels and taints as ``settings.kubernetes.node-labels`` / ``node-taints`` (custom-AMI path).

    When a launch template names an AMI, EKS applies the node group's labels and taints through the API *after* the
    node registers, so pods could land on a new node before its taints exist. The kubelet registers with these
    instead. The blue/green cutover taint is not here on purpose: it comes and goes with the phase, and putting it
    in user data would roll the outgoing slot's nodes; EKS applies it to running nodes through the API.
    """
    taints: dict[str, list[str]] = {}
    for t in spec.taints:
        taints.setdefault(t.key, []).append(f"{t.value}:{_EFFECT[TaintEffect(t.effect)]}")
    table: dict[str, Any] = {}
    labels = spec.node_labels  # with update_operator, the operator's label: its agent must land on a new node
    if labels:
        table["node-labels"] = dict(sorted(labels.items()))
    if taints:
        table["node-taints"] = dict(sorted(taints.items()))
    return {"settings": {"kubernetes": table}} if table else None


def _layer(settings: Settings | Mapping[str, Any] | None) -> Settings | Mapping[str, Any] | None:
    """A settings layer for the builders: ``Settings`` as is, a mapping as the table under ``settings``."""
    if settings is None or isinstance(settings, Settings):
        return settings
    return {"settings": dict(settings)} if settings else None


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
