"""An EKS control plane set up the way Bottlerocket node groups from this library expect it.

``BottlerocketCluster`` *is* an ``aws_eks_v2.Cluster`` (a subclass, so every CDK API works on it) with these settings
fixed or defaulted, each one a deliberate choice:

* **node-group capacity, not Auto Mode** (``default_capacity_type=NODEGROUP``, ``default_capacity=0``): EKS Auto Mode
  runs its own Bottlerocket nodes the library cannot pin, harden or cut over; our node groups are added explicitly;
* **API authentication** (access entries; ``aws_eks_v2``'s only mode): no ``aws-auth`` ConfigMap to edit by kubectl;
* **all five control-plane log types** on;
* **secrets encryption** with the customer-managed key you pass (required);
* **private endpoint** by default; ``public-and-private`` only on request, with a written reason and the CIDRs
  allowed to reach it (never ``0.0.0.0/0``);
* **the control-plane log group created first**: EKS would create ``/aws/eks/<name>/cluster`` itself, unencrypted
  and kept forever; here it is created before the cluster (child ``ControlPlaneLogs``) with the customer key, a
  retention and a removal policy — which needs the cluster's name at synth (``cluster_name``, default
  ``<stack name>-<construct id>``);
* **managed core add-ons**: ``kube-proxy`` and ``coredns`` as EKS add-ons (children ``KubeProxy``, ``CoreDns``;
  CoreDNS waits for the first node group, since its pods need nodes), the ``eks-pod-identity-agent`` (CDK's), and
  ``vpc-cni`` with its own role through Pod Identity (:class:`~constructs_br.eks.pod_identity.VpcCniPodIdentity`,
  created *beside* the cluster as ``VpcCni`` — the id this library's first stacks gave it, kept so their add-on is
  never replaced). Node groups built by this library on this cluster depend on ``vpc-cni`` and the agent, so no node
  boots before the CNI has credentials.

``kubernetes_version`` is the cluster's minor as a string: node groups read it from here, once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from enum import StrEnum

from aws_cdk import Annotations, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from constructs_br.compliance.nag import acknowledge
from constructs_br.eks.pod_identity import VpcCniPodIdentity
from constructs_br.errors import ConfigError, Problems
from constructs_br.images.catalogue import KUBERNETES_MINORS
from constructs_br.logs.keys import LogRetention

ENDPOINT_ACCESS = ("private", "public-and-private")
_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
_RETENTION = {
    LogRetention.ONE_YEAR: logs.RetentionDays.ONE_YEAR,
    LogRetention.TWO_YEARS: logs.RetentionDays.TWO_YEARS,
}


class ClusterLogging(StrEnum):
    """Control-plane log types (all on by default)."""

    API = "api"
    AUDIT = "audit"
    AUTHENTICATOR = "authenticator"
    CONTROLLER_MANAGER = "controllerManager"
    SCHEDULER = "scheduler"


_LOGGING = {
    ClusterLogging.API: eks.ClusterLoggingTypes.API,
    ClusterLogging.AUDIT: eks.ClusterLoggingTypes.AUDIT,
    ClusterLogging.AUTHENTICATOR: eks.ClusterLoggingTypes.AUTHENTICATOR,
    ClusterLogging.CONTROLLER_MANAGER: eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
    ClusterLogging.SCHEDULER: eks.ClusterLoggingTypes.SCHEDULER,
}


class BottlerocketCluster(eks.Cluster):
    """An ``aws_eks_v2.Cluster`` for Bottlerocket managed node groups (see the module docstring for each setting).

    :param kubernetes_version: the control plane's minor, e.g. ``"1.33"`` (one of the catalogue's minors).
    :param vpc: the cluster's VPC; nodes and the control plane use ``vpc_subnets`` (default: private with egress).
    :param secrets_encryption_key: customer-managed KMS key for Kubernetes secrets.
    :param endpoint_access: ``"private"`` (default) or ``"public-and-private"``.
    :param public_access_reason: required with a public endpoint; it acknowledges cdk-nag's AwsSolutions-EKS1.
    :param public_access_cidrs: required with a public endpoint: the IPv4 CIDRs allowed to reach it.
    :param service_ipv4_cidr: the service CIDR (node groups on the custom-AMI path derive the DNS IP from it).
    :param cluster_name: the EKS cluster's name (create-only: changing it replaces the cluster).
    :param log_retention: retention of the control-plane log group (default one year).
    :param log_removal_policy: what deleting the stack does to that log group (default: retain it).
    :param bootstrap_cluster_creator_admin_permissions: give the identity that creates the cluster (the
        CloudFormation execution role) cluster-admin outside the access entries — EKS's default, ``True``. Set
        ``False`` when people get in through explicit access entries (:mod:`constructs_br.access`). Create-only:
        changing it later replaces the cluster.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        kubernetes_version: str,
        vpc: ec2.IVpc,
        secrets_encryption_key: kms.IKey,
        endpoint_access: str = "private",
        public_access_reason: str | None = None,
        public_access_cidrs: Sequence[str] = (),
        service_ipv4_cidr: str = "172.20.0.0/16",
        cluster_name: str | None = None,
        log_retention: LogRetention = LogRetention.ONE_YEAR,
        log_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        vpc_subnets: Sequence[ec2.SubnetSelection] | None = None,
        logging: Sequence[ClusterLogging] = tuple(ClusterLogging),
        core_addons: bool = True,
        bootstrap_cluster_creator_admin_permissions: bool = True,
    ) -> None:
        p = Problems()
        if kubernetes_version not in KUBERNETES_MINORS:
            p.add("cluster.kubernetes_version", kubernetes_version, " | ".join(KUBERNETES_MINORS))
        if endpoint_access not in ENDPOINT_ACCESS:
            p.add("cluster.endpoint_access", endpoint_access, " | ".join(ENDPOINT_ACCESS))
        elif endpoint_access != "private" and len((public_access_reason or "").split()) < 6:
            p.add(
                "cluster.public_access_reason",
                public_access_reason,
                "a reason of at least 6 words with endpoint_access public-and-private",
                "a public API endpoint is a finding (AwsSolutions-EKS1); say why this cluster needs one",
            )
        cidrs = list(public_access_cidrs)
        if endpoint_access != "private":
            if not cidrs:
                p.add(
                    "cluster.public_access_cidrs",
                    cidrs,
                    "one or more IPv4 CIDRs allowed to reach the public endpoint",
                    "an empty list would open the API server to 0.0.0.0/0",
                )
            for cidr in cidrs:
                try:
                    net = ipaddress.IPv4Network(cidr, strict=True)
                except ValueError:
                    p.add("cluster.public_access_cidrs", cidr, "an IPv4 CIDR such as 203.0.113.0/24")
                    continue
                if net.prefixlen == 0:
                    p.add("cluster.public_access_cidrs", cidr, "a CIDR narrower than /0 (the whole internet)")
        elif cidrs:
            p.add(
                "cluster.public_access_cidrs",
                cidrs,
                "empty with endpoint_access private",
                "the CIDRs would have no effect",
            )
        stack = Stack.of(scope)
        name = cluster_name or f"{stack.stack_name}-{construct_id}"
        if not _CLUSTER_NAME.match(name):
            p.add("cluster.cluster_name", name, "1-100 of [A-Za-z0-9-_], starting with a letter or digit")
        try:
            types = [_LOGGING[ClusterLogging(t)] for t in logging]
        except ValueError:
            p.add("cluster.logging", list(logging), " | ".join(t.value for t in ClusterLogging))
            types = []
        p.raise_if_any()
        super().__init__(
            scope,
            construct_id,
            cluster_name=name,
            bootstrap_cluster_creator_admin_permissions=bootstrap_cluster_creator_admin_permissions,
            version=eks.KubernetesVersion.of(kubernetes_version),
            vpc=vpc,
            vpc_subnets=list(vpc_subnets or [ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)]),
            default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
            default_capacity=0,
            secrets_encryption_key=secrets_encryption_key,
            endpoint_access=eks.EndpointAccess.PRIVATE
            if endpoint_access == "private"
            else eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*cidrs),
            cluster_logging=types,
            service_ipv4_cidr=service_ipv4_cidr,
        )
        # The log group must exist before the cluster, or EKS creates it (unencrypted, no retention) and ours fails.
        self.control_plane_logs = logs.LogGroup(
            self,
            "ControlPlaneLogs",
            log_group_name=f"/aws/eks/{name}/cluster",
            encryption_key=secrets_encryption_key,
            retention=_RETENTION[log_retention],
            removal_policy=log_removal_policy,
        )
        self.node.find_child("Resource").node.add_dependency(self.control_plane_logs)
        self.kubernetes_version = kubernetes_version
        self.service_ipv4_cidr = service_ipv4_cidr
        self.endpoint_access = endpoint_access
        if isinstance(self.role, iam.Role):
            acknowledge(
                self.role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]",
                "AmazonEKSClusterPolicy is the AWS-maintained policy EKS requires on the cluster service role; "
                "AWS updates it as the control plane needs new permissions.",
            )
        if endpoint_access != "private":
            assert public_access_reason is not None
            acknowledge(self, "AwsSolutions-EKS1", public_access_reason)
        self.vpc_cni: VpcCniPodIdentity | None = None
        self.kube_proxy: eks.CfnAddon | None = None
        self.core_dns: eks.CfnAddon | None = None
        if core_addons:
            parent = self.node.scope
            assert isinstance(parent, Construct)
            self.vpc_cni = VpcCniPodIdentity(parent, "VpcCni", cluster=self)
            self.kube_proxy = _addon(self, "KubeProxy", "kube-proxy")
            self.core_dns = _addon(self, "CoreDns", "coredns")

    def node_dependencies(self) -> list[IConstruct]:
        """What every node group must wait for: the ``vpc-cni`` add-on (with its Pod Identity association) and the
        Pod Identity agent, so ``aws-node`` starts with credentials and nodes become Ready."""
        deps: list[IConstruct] = []
        if self.vpc_cni is not None:
            deps.append(self.vpc_cni.addon)
        agent = self.eks_pod_identity_agent
        if agent is not None:
            deps.append(agent)
        return deps

    def register_node_group(self, node_group: IConstruct) -> None:
        """Order a node group built on this cluster: after :meth:`node_dependencies`, before CoreDNS (whose
        pods need a node to run on)."""
        for dep in self.node_dependencies():
            node_group.node.add_dependency(dep)
        if self.core_dns is None:
            return
        if Stack.of(node_group) is Stack.of(self.core_dns):
            self.core_dns.node.add_dependency(node_group)
        else:
            # Node groups in another stack (that stack depends on this one): CoreDNS cannot wait for them without a
            # cycle. Its pods stay Pending until the first node joins; the add-on reports DEGRADED until then.
            Annotations.of(node_group).add_warning_v2(
                "constructs-br:coredns-before-nodes",
                "node group in another stack than its cluster: the coredns add-on is created before any node can "
                "run it (deploy the node-group stack right after the cluster stack)",
            )


def _addon(cluster: eks.Cluster, construct_id: str, name: str) -> eks.CfnAddon:
    """An EKS-managed add-on at the default version for the cluster; ``OVERWRITE`` adopts the self-managed copy
    EKS bootstraps, and ``PRESERVE`` on delete keeps DNS and kube-proxy running if the add-on is removed."""
    return eks.CfnAddon(
        cluster,
        construct_id,
        cluster_name=cluster.cluster_name,
        addon_name=name,
        resolve_conflicts="OVERWRITE",
        preserve_on_delete=True,
    )


def cluster_version_of(cluster: eks.ICluster | eks.Cluster, kubernetes_version: str | None, field: str) -> str:
    """The cluster's Kubernetes minor: a :class:`BottlerocketCluster` knows it; an imported cluster needs it given."""
    own = cluster.kubernetes_version if isinstance(cluster, BottlerocketCluster) else None
    if own is not None and kubernetes_version is not None and own != kubernetes_version:
        raise ConfigError(field, kubernetes_version, f"None or {own} (the cluster's kubernetes_version)")
    version = own or kubernetes_version
    if version is None:
        raise ConfigError(
            field,
            None,
            "the cluster's Kubernetes minor, e.g. '1.33'",
            "pass cluster_kubernetes_version= for a cluster that is not a BottlerocketCluster",
        )
    if version not in KUBERNETES_MINORS:
        raise ConfigError(field, version, " | ".join(KUBERNETES_MINORS))
    return version
