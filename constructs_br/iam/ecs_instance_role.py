"""The instance role of Bottlerocket ECS container instances: what the ECS agent and the control container's SSM
agent need, as explicit statements (no AWS managed policy), plus the boot signal to CloudFormation.

Compared with ``AmazonEC2ContainerServiceforEC2Role`` this leaves out ``ecs:CreateCluster`` (the cluster exists),
``ec2:DescribeTags`` (only used with ``ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM``, which Bottlerocket does not
set), ``ecs:TagResource`` and ``logs:*`` (tasks write logs and pull private images with their *execution* role).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br.compliance.checkov import skip_checkov
from constructs_br.compliance.nag import acknowledge
from constructs_br.iam.statements import ecr_pull_statements, ssm_agent_statements


def ecs_agent_statements(cluster: ecs.ICluster) -> list[iam.PolicyStatement]:
    """What the ECS agent calls, scoped to ``cluster`` wherever the API takes a resource."""
    return [
        iam.PolicyStatement(
            sid="EcsAgentJoinCluster",
            # Register/deregister the instance and report task, container and attachment state to this cluster.
            actions=[
                "ecs:RegisterContainerInstance",
                "ecs:DeregisterContainerInstance",
                "ecs:SubmitAttachmentStateChanges",
                "ecs:SubmitContainerStateChange",
                "ecs:SubmitTaskStateChange",
            ],
            resources=[cluster.cluster_arn],
        ),
        iam.PolicyStatement(
            sid="EcsAgentPoll",
            # The agent's long-poll and telemetry sessions, and (settings.ecs.enable-spot-instance-draining) setting
            # its own container instance to DRAINING on a spot interruption: container instances of this cluster.
            actions=["ecs:Poll", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState"],
            resources=["*"],
            conditions={"ArnEquals": {"ecs:cluster": cluster.cluster_arn}},
        ),
        iam.PolicyStatement(
            sid="EcsAgentDiscoverEndpoint",
            # DiscoverPollEndpoint supports no resource-level permissions.
            actions=["ecs:DiscoverPollEndpoint"],
            resources=["*"],
        ),
    ]


def cloudformation_signal_statement(stack: Stack) -> iam.PolicyStatement:
    """Bottlerocket's ``settings.cloudformation.should-signal``: the node signals its ASG in *this* stack only."""
    return iam.PolicyStatement(
        sid="CloudFormationBootSignal",
        actions=["cloudformation:SignalResource"],
        resources=[stack.stack_id],
    )


class EcsInstanceRole(Construct):
    """Role (``Resource``) + customer-managed policy (``Policy``) for ECS container instances of one cluster.

    A managed policy, not an inline one: one auditable object per capacity. ``Resource: "*"`` appears only where
    the API supports no resource ARN (acknowledged for cdk-nag with that reason).
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster: ecs.ICluster) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Bottlerocket ECS container instance: ECS agent, SSM agent (control container), boot signal",
            statements=[
                *ecs_agent_statements(cluster),
                *ecr_pull_statements(),
                *ssm_agent_statements(),
                cloudformation_signal_statement(stack),
            ],
        )
        self.role = iam.Role(
            self,
            "Resource",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="Bottlerocket ECS container instance role",
            managed_policies=[self.policy],
        )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Only actions without resource-level permissions use Resource '*': ecs:DiscoverPollEndpoint, "
            "ecr:GetAuthorizationToken, the SSM agent's messaging APIs; ecs:Poll is bound to this cluster by the "
            "ecs:cluster condition.",
        )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:*:*:repository/*]",
            "Pull-only ECR access to repositories in any account: task images live in workload accounts and "
            "Bottlerocket's host-container images in AWS-owned registries that differ per region.",
        )
        skip_checkov(
            self.policy,
            "CKV_AWS_111",
            "Write access without resource constraints is only the SSM agent's (control container) own "
            "APIs, ec2messages and ssmmessages, which support no resource-level permissions in IAM.",
        )
