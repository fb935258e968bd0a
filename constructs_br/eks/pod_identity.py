"""The VPC CNI's AWS permissions through EKS Pod Identity, so the node role does not carry them.

Creates the ``eks-pod-identity-agent`` add-on (the cluster's own, via ``cluster.eks_pod_identity_agent`` when the
cluster was built here), a role trusted by ``pods.eks.amazonaws.com`` with ``AmazonEKS_CNI_Policy``, and the
``vpc-cni`` add-on whose ``PodIdentityAssociations`` bind ``kube-system/aws-node`` to that role. All native
CloudFormation (``AWS::EKS::Addon``): no custom resource.
"""

from __future__ import annotations

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br.compliance.nag import acknowledge


class VpcCniPodIdentity(Construct):
    """Children: ``Role`` (the CNI's), ``Agent`` (only for an imported cluster), ``VpcCni`` (the add-on)."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster: eks.ICluster | eks.Cluster) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("pods.eks.amazonaws.com").with_session_tags(),
            description="VPC CNI (kube-system/aws-node) via EKS Pod Identity: ENI and IP management",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AmazonEKS_CNI_Policy")],
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKS_CNI_Policy]",
            "AmazonEKS_CNI_Policy is the AWS-maintained policy for the VPC CNI; AWS updates it with the plugin, "
            "and it is bound only to kube-system/aws-node through Pod Identity, not to the nodes.",
        )
        agent = cluster.eks_pod_identity_agent if isinstance(cluster, eks.Cluster) else None
        if agent is None:
            agent = eks.Addon(self, "Agent", cluster=cluster, addon_name="eks-pod-identity-agent")  # type: ignore[arg-type]
        self.addon = eks.CfnAddon(
            self,
            "VpcCni",
            cluster_name=cluster.cluster_name,
            addon_name="vpc-cni",
            resolve_conflicts="OVERWRITE",
            pod_identity_associations=[
                eks.CfnAddon.PodIdentityAssociationProperty(service_account="aws-node", role_arn=self.role.role_arn)
            ],
        )
        self.addon.node.add_dependency(agent)
