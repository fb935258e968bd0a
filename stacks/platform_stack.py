"""The stage's platform stack (``BrPilot`` / ``BrCanary`` / ``BrProduction``): VPC, KMS key, EKS control plane,
access, Config rules and the node-log groups, composed from the library's constructs; this file adds only stage data.

Networks and control planes change rarely; node capacity changes often. So the EKS node groups live in their own
stack (``Br<Stage>Nodes``, stacks/nodes_stack.py) with CoreDNS and the log add-on, and ECS in ``Br<Stage>Ecs``: a
cutover never deploys this stack, which holds the VPC's default-security-group Lambda. Logical IDs below are API:
renaming a construct replaces live infrastructure (tests/stacks shows every logical ID).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from constructs_br.images.lockfile import Lockfile
from constructs_br.platform import BottlerocketCluster, BottlerocketVpc, FleetKey, encrypted_log_group
from stacks.access import access_config, add_access
from stacks.compliance import add_compliance, stage_operator_roles
from stacks.config import StageConfig
from stacks.stage_stack import StageStack, stage_log_retention

PILOT_PUBLIC_ENDPOINT_REASON = (
    "The pilot stage keeps a public endpoint for operators without VPN; canary and production are private-only, "
    "enforced by stage config validation."
)


def stage_vpc(scope: Construct, stage: StageConfig, key: FleetKey) -> ec2.IVpc:
    """The stage's VPC: created (hardened, encrypted flow logs) or imported by attributes (no lookup)."""
    net = stage.network
    if net.imported is not None:
        return ec2.Vpc.from_vpc_attributes(
            scope,
            "Vpc",
            vpc_id=net.imported.vpc_id,
            availability_zones=list(net.availability_zones),
            private_subnet_ids=list(net.imported.private_subnet_ids),
        )
    # The flow-log group sits beside the VPC (its logical ID predates BottlerocketVpc).
    flow_log_group = encrypted_log_group(scope, "FlowLogs", key=key.key)
    return BottlerocketVpc(
        scope,
        "Vpc",
        availability_zones=net.availability_zones,
        flow_log_group=flow_log_group,
        cidr=net.cidr,
        nat_gateways=net.nat_gateways,
    )


class PlatformStack(StageStack):
    """VPC + KMS + EKS control plane + access + Config rules for one stage (node groups: :class:`NodesStack`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        lockfile: Lockfile,
        account_stages: tuple[str, ...] = (),
        operator_roles: tuple[str, ...] | None = None,
    ) -> None:
        """``operator_roles``: the operator role names of every stage and region sharing this stage's account (the
        designated SSM principals of the account-wide Guard rule). Default: those of ``account_stages`` (stage
        names; default this stage only) in their primary region."""
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            lockfile=lockfile,
            description="network and EKS control plane on Bottlerocket",
        )
        self.key = FleetKey(self, "Key", description=f"constructs_br {stage.name}: EKS secrets, logs, node volumes")
        self.vpc = stage_vpc(self, stage, self.key)
        public = stage.eks.endpoint_access != "private"
        production = stage.name == "production"
        self.cluster = BottlerocketCluster(
            self,
            "Cluster",
            kubernetes_version=stage.eks.kubernetes_version,
            vpc=self.vpc,
            secrets_encryption_key=self.key.key,
            endpoint_access=stage.eks.endpoint_access,
            public_access_reason=PILOT_PUBLIC_ENDPOINT_REASON if public else None,
            public_access_cidrs=stage.eks.public_access_cidrs,
            service_ipv4_cidr=stage.eks.service_ipv4_cidr,
            # Control-plane logs: two years and kept in production (audit evidence), one year elsewhere.
            log_retention=stage_log_retention(stage.name),
            log_removal_policy=RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY,
            # People reach the cluster through the access entries below, never as the deploy role.
            bootstrap_cluster_creator_admin_permissions=False,
            # CoreDNS waits for node groups, which live in Br<Stage>Nodes: it is created there (add_node_addons).
            core_dns=False,
        )
        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)
        # Operator roles, audited sessions, break-glass documents and EKS access entries (docs/access.md).
        self.access = add_access(
            self,
            stage_name=stage.name,
            cluster=self.cluster,
            key=self.key.key,
            config=access_config(stage.name, self.node.get_all_context()),
            role_name_prefix=stage.role_name_prefix,
        )
        # AWS Config rules for the stage's tagged fleet: approved AMIs from the lockfile, IMDSv2, encryption, EKS and
        # ECS checks (docs/compliance.md). The account's existing configuration recorder evaluates them.
        self.config_rules = add_compliance(
            self,
            stage_name=stage.name,
            lockfile=lockfile,
            region=stage.region,
            production=production,
            operator_roles=operator_roles
            if operator_roles is not None
            else stage_operator_roles(*(account_stages or (stage.name,))),
        )
