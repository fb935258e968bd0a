"""The stage's platform stack (``BrPilot`` / ``BrCanary`` / ``BrProduction``): VPC, KMS key, EKS control plane.

Networks and control planes change rarely; node capacity changes often. EKS node groups join this stack
(issue 5); ECS lives in its own stack (``Br<Stage>Ecs``) so it deploys and rolls independently.
Logical IDs below are API: renaming a construct replaces live infrastructure.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br.compliance.nag import acknowledge
from constructs_br.eks import BlueGreenNodeGroupPair, VpcCniPodIdentity, select_slot_image, slots_present
from constructs_br.images import ImageSpec, resolve_image
from constructs_br.images.lockfile import Lockfile
from constructs_br.logs import FleetKey, encrypted_log_group
from stacks.config import StageConfig
from stacks.stage_stack import StageStack


def stage_vpc(scope: Construct, stage: StageConfig, key: FleetKey) -> ec2.IVpc:
    """The stage's VPC: created (with encrypted flow logs) or imported by attributes (no lookup)."""
    net = stage.network
    if net.imported is not None:
        return ec2.Vpc.from_vpc_attributes(
            scope,
            "Vpc",
            vpc_id=net.imported.vpc_id,
            availability_zones=list(net.availability_zones),
            private_subnet_ids=list(net.imported.private_subnet_ids),
        )
    flow_log_group = encrypted_log_group(scope, "FlowLogs", key=key.key)
    vpc = ec2.Vpc(
        scope,
        "Vpc",
        ip_addresses=ec2.IpAddresses.cidr(net.cidr),
        availability_zones=list(net.availability_zones),
        nat_gateways=net.nat_gateways,
        subnet_configuration=[
            ec2.SubnetConfiguration(
                name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24, map_public_ip_on_launch=False
            ),
            ec2.SubnetConfiguration(name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=19),
        ],
        flow_logs={
            "All": ec2.FlowLogOptions(
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
                traffic_type=ec2.FlowLogTrafficType.ALL,
            )
        },
        restrict_default_security_group=True,
    )
    for subnet in vpc.public_subnets:
        Tags.of(subnet).add("kubernetes.io/role/elb", "1")
    for subnet in vpc.private_subnets:
        Tags.of(subnet).add("kubernetes.io/role/internal-elb", "1")
    for subnet in [*vpc.public_subnets, *vpc.private_subnets]:
        acknowledge(
            subnet.node.find_child("Subnet"),
            "CloudFormation-Validate::W3010",
            "Availability zones are pinned in stage config on purpose: synth needs no AZ lookup and subnets "
            "never move when AWS adds a zone. cfn-lint's W3010 is ignored for the same reason (.cfnlintrc).",
        )
    public_routes = [subnet.node.find_child("DefaultRoute") for subnet in vpc.public_subnets]
    for route in public_routes:
        acknowledge(
            route,
            "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
            "Public subnets exist only for NAT gateways and internet-facing load balancers; nodes run in "
            "private subnets whose default route goes through NAT, never directly to the internet gateway.",
        )
    flow_role = vpc.node.find_child("All").node.find_child("IAMRole")
    acknowledge(
        flow_role,
        "NIST.800.53.R5-IAMNoInlinePolicy",
        "CDK generates the flow-log delivery role with one inline policy scoped to this VPC's flow-log group; "
        "it has no other use, so a managed policy would add nothing but another object to audit.",
    )
    return vpc


class PlatformStack(StageStack):
    """VPC + KMS + EKS control plane for one stage."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, lockfile: Lockfile) -> None:
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            lockfile=lockfile,
            description="network and EKS control plane on Bottlerocket",
        )

        self.key = FleetKey(self, "Key", description=f"constructs_br {stage.name}: EKS secrets, logs, node volumes")
        self.vpc = stage_vpc(self, stage, self.key)

        self.cluster = eks.Cluster(
            self,
            "Cluster",
            version=eks.KubernetesVersion.of(stage.eks.kubernetes_version),
            vpc=self.vpc,
            vpc_subnets=[ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)],
            default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
            default_capacity=0,
            secrets_encryption_key=self.key.key,
            endpoint_access=eks.EndpointAccess.PRIVATE
            if stage.eks.endpoint_access == "private"
            else eks.EndpointAccess.PUBLIC_AND_PRIVATE,
            cluster_logging=[
                eks.ClusterLoggingTypes.API,
                eks.ClusterLoggingTypes.AUDIT,
                eks.ClusterLoggingTypes.AUTHENTICATOR,
                eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
                eks.ClusterLoggingTypes.SCHEDULER,
            ],
            service_ipv4_cidr=stage.eks.service_ipv4_cidr,
        )
        cluster_role = self.cluster.role
        if isinstance(cluster_role, iam.Role):
            acknowledge(
                cluster_role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]",
                "AmazonEKSClusterPolicy is the AWS-maintained policy EKS requires on the cluster service role; "
                "AWS updates it as the control plane needs new permissions.",
            )
        if stage.eks.endpoint_access != "private":
            acknowledge(
                self.cluster,
                "AwsSolutions-EKS1",
                "The pilot stage keeps a public endpoint for operators without VPN; canary and production are "
                "private-only, enforced by stage config validation.",
            )
        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)
        self.node_groups = self._add_node_groups(stage, lockfile)

    def _add_node_groups(self, stage: StageConfig, lockfile: Lockfile) -> dict[str, BlueGreenNodeGroupPair]:
        """The VPC CNI on Pod Identity, then every blue/green node-group pair of the stage (issue 5)."""
        if not stage.pairs:
            return {}
        VpcCniPodIdentity(self, "VpcCni", cluster=self.cluster)
        pairs = {}
        for pair in stage.pairs:
            spec = pair.spec
            image = resolve_image(
                ImageSpec(variant=spec.variant, arch=spec.arch),
                region=stage.region,
                stage=stage.name,
                lockfile=lockfile,
            )
            images = {
                slot: select_slot_image(
                    image, pair.image_version(slot), f"stages.{stage.name}.pairs.{pair.name}.{slot}_image_version"
                )
                for slot in slots_present(pair.phase)
            }
            pairs[pair.name] = BlueGreenNodeGroupPair(
                self,
                pair.construct_id,
                cluster=self.cluster,
                spec=spec,
                phase=pair.phase,
                images=images,
                cluster_version=stage.eks.kubernetes_version,
                fleet=pair.name,
                stage=stage.name,
                service_ipv4_cidr=stage.eks.service_ipv4_cidr,
                stage_settings=pair.stage_settings,
                volume_key=self.key.key,
            )
        return pairs
