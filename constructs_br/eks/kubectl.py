"""A kubectl provider for an EKS cluster that lives in another stack, with exactly the access it needs.

The cluster stack builds the control plane and node groups without any custom resource; everything that has to be
installed *inside* the cluster (operators, CRDs, policies) goes through this provider, in a stack of its own.
:class:`ClusterKubectl` imports the cluster by attributes, creates the ``aws_eks_v2`` kubectl provider (a Lambda
with kubectl and helm, behind the CDK custom-resource provider framework) and exposes :attr:`ClusterKubectl.cluster`,
an ``eks.ICluster`` to hand to ``eks.HelmChart`` / ``eks.KubernetesManifest``.

Children (logical IDs are API): ``Role`` (the handler's execution role; its only statements are in its
``DefaultPolicy``), ``HandlerLogs`` (the handler's encrypted log group), ``KubectlLayer``, ``Target`` (the cluster
imported for the provider), ``KubectlProvider``, ``Cluster`` (the cluster imported with that provider:
:attr:`ClusterKubectl.cluster`), ``AccessEntry`` (EKS access for the role).

Access, and why it is this wide:

* the role's **EKS access entry** carries ``AmazonEKSClusterAdminPolicy`` at cluster scope. EKS access policies are a
  fixed AWS list; the only narrower ones (``AmazonEKSAdminPolicy``, ``AmazonEKSEditPolicy``, ...) map to the
  Kubernetes ``admin``/``edit`` roles, which cannot create cluster-scoped objects: ``CustomResourceDefinition``,
  ``ClusterRole``/``ClusterRoleBinding``, ``ValidatingWebhookConfiguration``, ``PriorityClass`` and ``Namespace``,
  all of which cert-manager, the update operator and Kyverno install. A custom RBAC role through the entry's
  Kubernetes groups would itself need a cluster admin to create it first. So cluster admin it is, for one role that
  only this stack's Lambda can assume;
* IAM: ``eks:DescribeCluster`` on this cluster (the handler writes its kubeconfig with it), write access to its own
  log group, and with a private endpoint the ENI actions a Lambda in a VPC needs. No ECR read (the kubectl
  provider adds ``AmazonEC2ContainerRegistryReadOnly`` for OCI charts; our charts come from HTTPS repositories, so
  the role is passed to the provider immutable and those grants never land).

With ``endpoint_access="private"`` (default, as :class:`~constructs_br.eks.BottlerocketCluster`) the Lambda runs in
the cluster's private subnets with the cluster security group, the only way to reach a private API endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from constructs_br.compliance.checkov import skip_checkov
from constructs_br.compliance.nag import acknowledge
from constructs_br.eks.cluster import ENDPOINT_ACCESS
from constructs_br.errors import ConfigError, Problems
from constructs_br.images.catalogue import KUBERNETES_MINORS
from constructs_br.logs.keys import LogRetention

DEFAULT_LAYER_MINOR = "1.33"
"""kubectl in the bundled layer (``aws-cdk.lambda-layer-kubectl-v33``)."""
DEFAULT_LAYER_MINORS: tuple[str, ...] = ("1.32", "1.33", "1.34")
"""Cluster minors the bundled kubectl 1.33 may drive (kubectl supports one minor of skew either way)."""

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
"""The EKS access policy of the provider's role (see the module docstring for why no narrower one works)."""

_RETENTION = {
    LogRetention.ONE_YEAR: logs.RetentionDays.ONE_YEAR,
    LogRetention.TWO_YEARS: logs.RetentionDays.TWO_YEARS,
}
_PROVIDER = "the aws_eks_v2 kubectl provider"
_CHECKOV_SKIPS = {
    "CKV_AWS_115": f"{_PROVIDER} runs only during deployments of this stack; it cannot exhaust account concurrency.",
    "CKV_AWS_116": f"{_PROVIDER} is invoked synchronously by CloudFormation; a failure fails the deployment.",
    "CKV_AWS_173": f"{_PROVIDER} has only non-secret environment variables set by CDK (regional STS endpoints).",
}
_CHECKOV_VPC_SKIP = (
    "CKV_AWS_117",
    f"{_PROVIDER} talks to a public cluster endpoint here (endpoint_access public-and-private), so no VPC is needed.",
)


class ClusterKubectl(Construct):
    """A kubectl provider for the EKS cluster ``cluster_name`` built in another stack (see the module docstring).

    :param cluster_name: the cluster's name (``BottlerocketCluster.cluster_name``).
    :param kubernetes_version: the cluster's minor; it picks the kubectl layer (``kubectl_layer`` for minors the
        bundled kubectl 1.33 cannot drive).
    :param log_key: customer-managed KMS key of the handler's log group (its policy must let CloudWatch Logs use it).
    :param vpc: the cluster's VPC (required with a private endpoint).
    :param cluster_security_group_id: the cluster security group (required with a private endpoint: the Lambda joins
        it to reach the endpoint's ENIs).
    :param endpoint_access: the cluster's endpoint access, ``"private"`` (default) or ``"public-and-private"``.
    :param private_subnets: where the Lambda runs with a private endpoint (default: the VPC's private subnets with
        egress; the handler downloads charts from their repositories at deploy time).
    :param kubectl_layer: a layer with kubectl and helm (default: kubectl 1.33 for clusters 1.32..1.34).
    :param log_retention: retention of the handler's log group (default one year).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_name: str,
        kubernetes_version: str,
        log_key: kms.IKey,
        vpc: ec2.IVpc | None = None,
        cluster_security_group_id: str | None = None,
        endpoint_access: str = "private",
        private_subnets: Sequence[ec2.ISubnet] | None = None,
        kubectl_layer: lambda_.ILayerVersion | None = None,
        log_retention: LogRetention = LogRetention.ONE_YEAR,
    ) -> None:
        p = Problems()
        if not cluster_name:
            p.add("kubectl.cluster_name", cluster_name, "the EKS cluster's name")
        if kubernetes_version not in KUBERNETES_MINORS:
            p.add("kubectl.kubernetes_version", kubernetes_version, " | ".join(KUBERNETES_MINORS))
        elif kubectl_layer is None and kubernetes_version not in DEFAULT_LAYER_MINORS:
            p.add(
                "kubectl.kubectl_layer",
                None,
                f"a kubectl layer within one minor of {kubernetes_version} "
                f"(e.g. aws_cdk.lambda_layer_kubectl_v{kubernetes_version.split('.')[1]})",
                f"the bundled kubectl {DEFAULT_LAYER_MINOR} drives clusters {', '.join(DEFAULT_LAYER_MINORS)} only",
            )
        if endpoint_access not in ENDPOINT_ACCESS:
            p.add("kubectl.endpoint_access", endpoint_access, " | ".join(ENDPOINT_ACCESS))
        private = endpoint_access == "private"
        if private and vpc is None:
            p.add("kubectl.vpc", None, "the cluster's VPC with endpoint_access private (the Lambda runs in it)")
        if private and not cluster_security_group_id:
            p.add(
                "kubectl.cluster_security_group_id",
                cluster_security_group_id,
                "the cluster security group with endpoint_access private",
                "the Lambda joins it to reach the private API endpoint",
            )
        if private_subnets is not None and not private:
            p.add("kubectl.private_subnets", "given", "None with endpoint_access public-and-private")
        if private_subnets is not None and len(private_subnets) == 0:
            p.add("kubectl.private_subnets", [], "at least one subnet, or None for the VPC's private subnets")
        if log_retention not in _RETENTION:
            p.add("kubectl.log_retention", log_retention, " | ".join(str(int(r)) for r in _RETENTION))
        p.raise_if_any()
        super().__init__(scope, construct_id)
        self.endpoint_access = endpoint_access
        self.kubernetes_version = kubernetes_version
        subnets: list[ec2.ISubnet] | None = None
        if private:
            assert vpc is not None
            if private_subnets is not None:
                subnets = list(private_subnets)
            else:
                try:
                    subnets = list(vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets)
                except RuntimeError:  # jsii: the VPC has no such subnet group
                    subnets = []
            if not subnets:
                raise ConfigError("kubectl.private_subnets", [], "private subnets with egress in the cluster's VPC")

        self.log_group = logs.LogGroup(
            self,
            "HandlerLogs",
            encryption_key=log_key,
            retention=_RETENTION[log_retention],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"kubectl/helm provider of EKS cluster {cluster_name}: cluster admin through its access entry",
        )
        cluster_arn = Stack.of(self).format_arn(service="eks", resource="cluster", resource_name=cluster_name)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="DescribeTheCluster",  # `aws eks update-kubeconfig` in the handler
                actions=["eks:DescribeCluster"],
                resources=[cluster_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteOwnLogs",  # the handler's own log group (wired below), nothing else
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        if private:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="LambdaVpcNetworkInterfaces",  # what AWSLambdaVPCAccessExecutionRole grants, without logs:*
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSubnets",
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    resources=["*"],
                )
            )
        layer = kubectl_layer
        if layer is None:
            from aws_cdk.lambda_layer_kubectl_v33 import KubectlV33Layer

            layer = KubectlV33Layer(self, "KubectlLayer")
        # An imported cluster ignores kubectl_provider_options: import it once for the provider (and the access
        # entry), then once more with that provider for the charts and manifests.
        target = eks.Cluster.from_cluster_attributes(
            self,
            "Target",
            cluster_name=cluster_name,
            vpc=vpc,
            cluster_security_group_id=cluster_security_group_id,
        )
        provider = eks.KubectlProvider(
            self,
            "KubectlProvider",
            cluster=target,
            kubectl_layer=layer,
            # immutable: the provider's own grants (ECR read for OCI charts, AWS-managed VPC policy) never land;
            # this construct's statements above are the whole policy.
            role=self.role.without_policy_updates(),
            private_subnets=subnets,
            security_groups=[target.cluster_security_group] if private else None,
        )
        self.provider = provider
        self.cluster: eks.ICluster = eks.Cluster.from_cluster_attributes(
            self,
            "Cluster",
            cluster_name=cluster_name,
            vpc=vpc,
            cluster_security_group_id=cluster_security_group_id,
            kubectl_provider=provider,
        )
        self.access_entry = eks.AccessEntry(
            self,
            "AccessEntry",
            cluster=target,
            principal=self.role.role_arn,
            access_policies=[
                eks.AccessPolicy.from_access_policy_name(
                    CLUSTER_ADMIN_POLICY, access_scope_type=eks.AccessScopeType.CLUSTER
                )
            ],
        )
        handler = provider.node.find_child("Handler")
        assert isinstance(handler, lambda_.Function)
        self.handler = handler
        cfn_handler_of(handler).add_property_override("LoggingConfig.LogGroup", self.log_group.log_group_name)
        # The role is immutable to the provider, so nothing orders the Lambda after its policy: order it here (a
        # Lambda in a VPC fails to create without the ENI permissions). Every chart or manifest reaches the cluster
        # only after the access entry exists: the provider framework waits for it.
        handler.node.add_dependency(self.role)
        provider.node.add_dependency(self.access_entry)
        # The provider adds a partition condition for its ECR Public grant, which the immutable role drops: remove
        # the condition too, or the template carries an unused one (cfn-lint W8001).
        self.node.try_remove_child("HasEcrPublic")
        # With @aws-cdk/aws-lambda:useCdkManagedLogGroup, CDK gives each Lambda here its own log group without a
        # key (the handler's is unused: its logs go to ``HandlerLogs``): encrypt them all with ``log_key``.
        for group in self.node.find_all():
            if isinstance(group, logs.CfnLogGroup) and group.kms_key_id is None:
                group.kms_key_id = log_key.key_arn
        self._acknowledge(private)

    @property
    def service_token(self) -> str:
        """The custom-resource provider's service token (charts and manifests use it through :attr:`cluster`)."""
        return self.provider.service_token

    def _acknowledge(self, private: bool) -> None:
        policy = self.role.node.find_child("DefaultPolicy")
        if private:
            eni_reason = (
                "A Lambda in a VPC creates and deletes its own network interfaces, whose IDs are unknown at synth; "
                "EC2 grants these ENI actions on all resources (what AWSLambdaVPCAccessExecutionRole grants)."
            )
            acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", eni_reason)
            skip_checkov(policy, "CKV_AWS_111", eni_reason)  # checkov's view of the same statement
        acknowledge(
            policy,
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "The kubectl provider's role has one inline policy: DescribeCluster on this cluster, its own log group "
            "and Lambda ENIs; a managed policy would add an object to audit and no reuse.",
        )
        framework = self.provider.node.find_child("Provider")
        fw_role = _find_path(framework, "framework-onEvent", "ServiceRole")
        acknowledge(
            fw_role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "The CDK custom-resource provider framework's own Lambda role uses the AWS-managed basic execution "
            "policy for its logs; the framework creates it and does not take a role.",
        )
        if private:
            acknowledge(
                fw_role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
                "The CDK custom-resource provider framework's Lambda runs in the cluster VPC beside the handler and "
                "gets the AWS-managed VPC execution policy from the framework, which does not take a role.",
            )
        handler_id = Stack.of(self).resolve(Stack.of(self).get_logical_id(cfn_handler_of(self.handler)))
        acknowledge(
            fw_role,
            f"AwsSolutions-IAM5[Resource::<{handler_id}.Arn>:*]",
            "The provider framework may invoke every version of the kubectl handler (the function ARN with :*); "
            "CDK generates this statement for the framework's Lambda and scopes it to that one function.",
        )
        acknowledge(
            fw_role,
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "The CDK provider framework's Lambda role has one generated inline policy, invoking the kubectl "
            "handler only; it has no other use.",
        )
        acknowledge(
            self.handler,
            "AwsSolutions-L1",
            "The kubectl handler's Python runtime is chosen by aws_eks_v2 for its bundled handler code and the "
            "kubectl layer; it moves with aws-cdk-lib upgrades, not here.",
        )
        for fn in (self.handler, framework.node.find_child("framework-onEvent")):
            for rule, reason in (
                (
                    "NIST.800.53.R5-LambdaConcurrency",
                    "Runs only while CloudFormation deploys this stack, one custom resource at a time; a reserved "
                    "concurrency would only take capacity from the account.",
                ),
                (
                    "NIST.800.53.R5-LambdaDLQ",
                    "Invoked synchronously by the CDK provider framework during deployments; a failure fails the "
                    "CloudFormation deployment, so there is no lost asynchronous event to keep.",
                ),
            ):
                acknowledge(fn, rule, reason)
            if not private:
                acknowledge(
                    fn,
                    "NIST.800.53.R5-LambdaInsideVPC",
                    "With a public cluster endpoint the kubectl provider reaches the API server over the internet "
                    "like any kubectl client; it has no private resources to reach.",
                )
            for check_id, reason in _CHECKOV_SKIPS.items():
                skip_checkov(fn, check_id, reason)
            if not private:
                skip_checkov(fn, *_CHECKOV_VPC_SKIP)


def cfn_handler_of(fn: lambda_.Function) -> lambda_.CfnFunction:
    cfn = fn.node.default_child
    assert isinstance(cfn, lambda_.CfnFunction)
    return cfn


def _find_path(root: IConstruct, *ids: str) -> IConstruct:
    node = root
    for child in ids:
        node = node.node.find_child(child)
    return node
