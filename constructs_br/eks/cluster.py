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
  CoreDNS waits for the node groups, since its pods need nodes — an add-on created before any node sits ``DEGRADED``
  until CloudFormation's timeout), the ``eks-pod-identity-agent`` (CDK's), and
  ``vpc-cni`` with its own role through Pod Identity (:class:`~constructs_br.eks.pod_identity.VpcCniPodIdentity`,
  created *beside* the cluster as ``VpcCni`` — the id this library's first stacks gave it, kept so their add-on is
  never replaced). Node groups built by this library on this cluster depend on ``vpc-cni`` and the agent, so no node
  boots before the CNI has credentials.

``kubernetes_version`` is the cluster's minor as a string: node groups read it from here, once.

**Node groups in another stack.** CoreDNS cannot wait for node groups in a stack that depends on the cluster's
(a dependency cycle). Build the cluster with ``core_dns=False`` and place the add-on in the node groups' stack with
:meth:`BottlerocketCluster.add_node_addons` — it then waits for every node group registered in that stack, before
or after the call (construct id ``CoreDns`` in the scope given). Add-ons whose pods need nodes too
(``amazon-cloudwatch-observability``: :class:`~constructs_br.logs.eks.EksNodeLogging` waits for
``cluster.core_dns``) go in that stack after the call. A node group that no CoreDNS of its stack waits for is a
synth warning (``constructs-br:coredns-before-nodes``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from enum import StrEnum

import jsii
from aws_cdk import Annotations, Aspects, IAspect, RemovalPolicy, Stack
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
    :param core_dns: create the ``coredns`` add-on here as the child ``CoreDns`` (default). ``False``: the node
        groups' stack creates it with :meth:`add_node_addons` (node groups in another stack than the cluster).
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
        core_dns: bool = True,
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
        self.cluster_name_literal = name
        """The EKS cluster's name as plain text (``cluster_name`` is a reference): for names derived from it in
        other stacks, e.g. ``/aws/containerinsights/<name>/performance``."""
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
        self._core_dns_deferred = core_addons and not core_dns
        self._node_groups: list[IConstruct] = []
        if core_addons:
            parent = self.node.scope
            assert isinstance(parent, Construct)
            self.vpc_cni = VpcCniPodIdentity(parent, "VpcCni", cluster=self)
            self.kube_proxy = _addon(self, "KubeProxy", "kube-proxy")
            if core_dns:
                self.core_dns = _addon(self, "CoreDns", "coredns")

    def add_node_addons(self, scope: Construct, *, after: Sequence[IConstruct] = ()) -> eks.CfnAddon:
        """Create the ``coredns`` add-on in ``scope`` (construct id ``CoreDns``) for a cluster built with
        ``core_dns=False``: it waits for every node group of this cluster registered in ``scope``'s stack (before or
        after this call) and for ``after``. Call it in the node groups' stack, before the add-ons that wait for
        :attr:`core_dns` (the CloudWatch observability add-on of :class:`~constructs_br.logs.eks.EksNodeLogging`).

        :raises ConfigError: the cluster has no core add-ons, or its CoreDNS is already placed.
        """
        if not self._core_dns_deferred or self.core_dns is not None:
            where = "core_addons=False" if not self._core_dns_deferred and self.core_dns is None else "already placed"
            raise ConfigError(
                "cluster.add_node_addons",
                where,
                "a BottlerocketCluster built with core_dns=False whose coredns add-on is not placed yet",
                "call it once, in the stack of the node groups",
            )
        self.core_dns = eks.CfnAddon(
            scope,
            "CoreDns",
            cluster_name=self.cluster_name,
            addon_name="coredns",
            resolve_conflicts="OVERWRITE",
            preserve_on_delete=True,
        )
        stack = Stack.of(scope)
        for group in self._node_groups:
            if Stack.of(group) is stack:
                self.core_dns.node.add_dependency(group)
        for dep in after:
            self.core_dns.node.add_dependency(dep)
        return self.core_dns

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
        pods need a node to run on) when CoreDNS is in the node group's stack."""
        for dep in self.node_dependencies():
            node_group.node.add_dependency(dep)
        self._node_groups.append(node_group)
        if self.core_dns is not None and Stack.of(node_group) is Stack.of(self.core_dns):
            self.core_dns.node.add_dependency(node_group)
        elif self.core_dns is not None or self._core_dns_deferred:
            # Decided at synth: add_node_addons may still place CoreDNS in this node group's stack.
            Aspects.of(node_group).add(_CoreDnsPlacement(self, node_group))


@jsii.implements(IAspect)
class _CoreDnsPlacement:
    """At synth: warn on a node group that no CoreDNS add-on of its own stack waits for. CoreDNS in the cluster's
    stack cannot wait for node groups in a stack depending on it (a cycle); its pods stay Pending and the add-on
    DEGRADED until a node joins."""

    def __init__(self, cluster: BottlerocketCluster, node_group: IConstruct) -> None:
        self.cluster = cluster
        self.node_group = node_group

    def visit(self, node: IConstruct) -> None:
        """Check once, on the node group itself."""
        if node is not self.node_group:
            return
        core_dns = self.cluster.core_dns
        if core_dns is not None and Stack.of(core_dns) is Stack.of(node):
            return
        where = "is not placed" if core_dns is None else "is in another stack"
        Annotations.of(node).add_warning_v2(
            "constructs-br:coredns-before-nodes",
            f"node group in another stack than its cluster: the coredns add-on is created before any node can run "
            f"it (it {where}; build the cluster with core_dns=False and call cluster.add_node_addons(<this stack>))",
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
