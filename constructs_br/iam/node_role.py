"""The EKS node role: only what a Bottlerocket node needs, every statement explicit and explained.

No AWS managed policies: EKS accepts customer-managed node-role policies for managed node groups since 2023-10, so
the role carries one customer-managed policy built from :mod:`constructs_br.iam.statements`:

* EKS worker permissions (``ec2:Describe*``, ``eks:DescribeCluster`` on this cluster, Pod Identity credentials);
* ECR pull-only (no push, no repository listing);
* the SSM agent's permissions for the control container (not ``AmazonSSMManagedInstanceCore``).

The VPC CNI's permissions (``AmazonEKS_CNI_Policy``) are *not* here: the ``vpc-cni`` add-on gets its own role through
EKS Pod Identity (:class:`constructs_br.eks.VpcCniPodIdentity`), so a compromised pod cannot use the node role to
rewire ENIs.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br.compliance.checkov import skip_checkov
from constructs_br.compliance.nag import acknowledge
from constructs_br.iam.statements import ecr_pull_statements, eks_worker_statements, ssm_agent_statements


class EksNodeRole(Construct):
    """The role EKS managed node groups launch nodes with. The ``iam.Role`` has id ``Resource``; its one
    customer-managed policy has id ``Policy``.

    :param cluster_arn: scopes ``eks:DescribeCluster``; ``"*"`` only when the cluster is unknown at synth.
    :param ssm_agent: grant the control container's SSM agent its permissions (default on: it is how operators
        reach Bottlerocket nodes without SSH).
    :param extra_statements: explicit additions (each should carry a ``sid`` saying why).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_arn: str = "*",
        ssm_agent: bool = True,
        extra_statements: Sequence[iam.PolicyStatement] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Resource",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="Bottlerocket EKS nodes: worker, ECR pull-only, SSM agent; the VPC CNI uses Pod Identity",
        )
        statements = [*eks_worker_statements(cluster_arn), *ecr_pull_statements()]
        if ssm_agent:
            statements.extend(ssm_agent_statements())
        statements.extend(extra_statements)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="What a Bottlerocket EKS node needs; every statement's Sid says why",
            statements=statements,
        )
        # Attached through the role (ManagedPolicyArns), not the policy's Roles: node groups reference the role, so
        # CloudFormation creates them only after the policy is attached, and removes the policy only after them.
        self.role.add_managed_policy(self.policy)
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Resource star remains only where AWS offers no resource scoping: EC2 Describe calls, ECR "
            "authorization tokens, Pod Identity credentials and the SSM agent's instance-scoped messaging APIs.",
        )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:*:*:repository/*]",
            "Nodes pull EKS add-on images (VPC CNI, kube-proxy, CoreDNS) from AWS-owned registries in other "
            "accounts and regions, so pulls are scoped to ECR repositories rather than to one account.",
        )
        if ssm_agent:
            skip_checkov(
                self.policy,
                "CKV_AWS_111",
                "Write access without resource constraints is only the SSM agent's (control container) own "
                "APIs, ec2messages and ssmmessages, which support no resource-level permissions in IAM.",
            )
