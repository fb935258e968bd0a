"""IAM statements as small functions, each saying why it exists. Shared by EKS node roles and ECS instance roles.

Every statement carries a ``sid`` so a reviewer reading the template (or IAM Access Analyzer) sees its purpose.
``Resource: "*"`` appears only where the action supports no resource-level permissions (Describe*, ECR's
``GetAuthorizationToken``, the SSM agent's messaging APIs, which act on "the calling instance").
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

SSM_AGENT_ACTIONS: tuple[str, ...] = (
    # Registration and heartbeat: the agent reports itself as a managed instance.
    "ssm:UpdateInstanceInformation",
    # Session Manager channels (``apiclient exec`` / ``enter-admin-container`` through the control container).
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    # Run Command delivery (SSM documents sent to the node, e.g. Bottlerocket update commands).
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
    # State Manager associations (documents applied on a schedule) and inventory.
    "ssm:ListInstanceAssociations",
    "ssm:ListAssociations",
    "ssm:DescribeAssociation",
    "ssm:UpdateInstanceAssociationStatus",
    "ssm:GetDocument",
    "ssm:DescribeDocument",
    "ssm:PutInventory",
    "ssm:GetManifest",
)
"""What the SSM agent in Bottlerocket's control container calls.

Compared with ``AmazonSSMManagedInstanceCore`` (v2), this leaves out: ``ssm:GetParameter(s)`` (the agent reads no
parameters; Bottlerocket settings come from user data), ``ssm:GetDeployablePatchSnapshotForInstance`` and
``ssm:PutComplianceItems`` (Patch Manager: Bottlerocket updates by image, not by package patching),
``ssm:PutConfigurePackageResult`` (Distributor packages cannot be installed on Bottlerocket's read-only root) and
``ssm:UpdateAssociationStatus`` (legacy API superseded by ``UpdateInstanceAssociationStatus``).
"""


def ssm_agent_statements() -> list[iam.PolicyStatement]:
    """Least-privilege SSM agent permissions for the control container (instead of AmazonSSMManagedInstanceCore).

    ``Resource: "*"``: these APIs identify the caller by its instance credentials and support no resource ARNs.
    """
    return [
        iam.PolicyStatement(
            sid="SsmAgentControlContainer",
            actions=list(SSM_AGENT_ACTIONS),
            resources=["*"],
        )
    ]


def ecr_pull_statements() -> list[iam.PolicyStatement]:
    """Pull-only ECR access (no push, no list/describe of repositories): what kubelet / ecs-agent need for images.

    Authorization tokens are account-wide (no resource ARN exists). Layers are pulled from repositories in the
    account and from AWS-owned registries (EKS add-on images: VPC CNI, kube-proxy, CoreDNS), so the pull actions
    are scoped to ECR repositories in any account rather than to ``*``.
    """
    return [
        iam.PolicyStatement(
            sid="EcrAuthorizationToken",
            actions=["ecr:GetAuthorizationToken"],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="EcrPullImages",
            actions=["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            resources=[f"arn:{Aws.PARTITION}:ecr:*:*:repository/*"],
        ),
    ]


def eks_worker_statements(cluster_arn: str = "*") -> list[iam.PolicyStatement]:
    """What a kubelet needs from AWS (the content of AmazonEKSWorkerNodePolicy, as explicit statements).

    ``ec2:Describe*`` calls are read-only and take no resource ARNs; ``eks:DescribeCluster`` is scoped to
    ``cluster_arn`` when given; ``eks-auth:AssumeRoleForPodIdentity`` lets the EKS Pod Identity agent on the node
    fetch credentials for pods (the VPC CNI among them) instead of the node role carrying their permissions.
    """
    return [
        iam.PolicyStatement(
            sid="EksWorkerDescribeEc2",
            actions=[
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVolumes",
                "ec2:DescribeVolumesModifications",
                "ec2:DescribeVpcs",
            ],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="EksWorkerDescribeCluster",
            actions=["eks:DescribeCluster"],
            resources=[cluster_arn],
        ),
        iam.PolicyStatement(
            sid="EksPodIdentityAgent",
            actions=["eks-auth:AssumeRoleForPodIdentity"],
            resources=["*"],
        ),
    ]
