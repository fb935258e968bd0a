"""The stage's node-group stack (``BrPilotNodes`` / ``BrCanaryNodes`` / ``BrProductionNodes``): the EKS node-group
pairs and the add-ons whose pods need a node, composed from the library's constructs.

Node capacity changes on every cutover; the VPC and the control plane almost never. So the node groups live here,
apart from ``Br<Stage>`` (VPC, key, cluster, access, Config rules — and the VPC's default-security-group Lambda): a
cutover deploys this stack only. It references the platform stack's cluster, key and node session policy (weak
cross-stack references, ``Fn::GetStackOutput``), depends on it, and holds no Lambda function (a rule in
tests/stacks/invariants.py).

CoreDNS (``CoreDns``) is created here, after the node groups: an add-on created before any node can run its pods
sits ``DEGRADED`` until CloudFormation's timeout (terraform-aws-eks #3001, pulumi-eks #1819). So is the
``amazon-cloudwatch-observability`` add-on (``NodeLogShipping``), whose operator is a Deployment needing a node too;
its log groups stay in the platform stack. Construct ids are those the node groups had in ``Br<Stage>``
(``GeneralNodeGroups``, ``ArmNodeGroups``); logical IDs are API.
"""

from __future__ import annotations

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br.eks import BlueGreenNodeGroupPair
from constructs_br.images.lockfile import Lockfile
from constructs_br.logs.eks import EksNodeLogging
from stacks.config import StageConfig
from stacks.logging import StageLogging, add_eks_logging, logging_config
from stacks.platform_stack import PlatformStack
from stacks.stage_stack import StageStack


class NodesStack(StageStack):
    """EKS node-group pairs of one stage (and region), CoreDNS after them, the node-log add-on after CoreDNS."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        lockfile: Lockfile,
        platform: PlatformStack,
    ) -> None:
        """``platform``: the stage's ``Br<Stage>`` stack in the same region (cluster, key, session policy, log
        groups); this stack depends on it."""
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            lockfile=lockfile,
            description="EKS node groups on Bottlerocket and the add-ons that need nodes",
        )
        self.add_stack_dependency(platform, "node groups join the platform stack's cluster")
        cluster = platform.cluster
        # One construct per pair: id = the pair's name in PascalCase + "NodeGroups" (a stable, user-chosen name).
        self.node_groups = {
            pair.name: BlueGreenNodeGroupPair(
                self,
                pair.construct_id + "NodeGroups",
                cluster=cluster,
                pair=pair,
                lockfile=lockfile,
                stage=stage.name,
                volume_key=platform.key.key,
                # The stage's CIS preset (Level 1 = Bottlerocket's secure defaults: renders nothing new).
                stage_settings=stage.cis_config.settings(pair.base.variant_for(stage.eks.kubernetes_version)),
            )
            for pair in stage.pairs
        }
        # The platform stack's node session policy (decrypt and log Session Manager sessions), attached through the
        # role like the node policy: nodes start only once they can log sessions.
        session_policy = iam.ManagedPolicy.from_managed_policy_arn(
            self, "NodeSessionPolicy", platform.access.node_session_policy.managed_policy_arn
        )
        for pair in self.node_groups.values():
            pair.node_role.add_managed_policy(session_policy)
        # CoreDNS waits for every node group above (and any registered later in this stack).
        self.core_dns = cluster.add_node_addons(self)
        # Host (journal) and container logs through Fluent Bit in the CloudWatch observability add-on, after CoreDNS;
        # the groups it writes to are the platform stack's (docs/logging.md). The add-on sees the cluster by its
        # literal name (names derived from it stay plain text here, not cross-stack references).
        named = eks.Cluster.from_cluster_attributes(self, "ClusterByName", cluster_name=cluster.cluster_name_literal)
        self.logging: StageLogging = add_eks_logging(
            platform,
            stage_name=stage.name,
            cluster=named,
            key=platform.key.key,
            config=logging_config(stage.name, self.node.get_all_context()),
            shipper_stack=self,
        )
        shipper = self.logging.shipper
        assert isinstance(shipper, EksNodeLogging)
        # Its operator is a Deployment: it needs a node, like CoreDNS (which waits for every node group here).
        shipper.addon.node.add_dependency(self.core_dns)
