"""EKS access entries for people: one per configured principal, with the access policy its role asks for
(cluster admin / edit / view, namespaced where configured), plus view for the operator roles.

Construct ids come from the principal ARN (a short hash), never from list order, so adding or removing one person
touches only that person's entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import cast

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br.access.spec import ClusterPrincipal

_VIEW_POLICY = "AmazonEKSViewPolicy"
"""What the operator roles get: read-only, cluster-wide."""


def entry_id(arn: str) -> str:
    """``Entry<8 hex>`` from the ARN: stable while the principal stays.

    >>> entry_id("arn:aws:iam::123456789012:role/PlatformViewers")
    'Entryb48b9146'
    """
    return "Entry" + hashlib.sha256(arn.encode()).hexdigest()[:8]


def access_policy(principal: ClusterPrincipal) -> eks.IAccessPolicy:
    if principal.namespaces:
        return eks.AccessPolicy.from_access_policy_name(
            principal.policy_name,
            access_scope_type=eks.AccessScopeType.NAMESPACE,
            namespaces=list(principal.namespaces),
        )
    return eks.AccessPolicy.from_access_policy_name(
        principal.policy_name, access_scope_type=eks.AccessScopeType.CLUSTER
    )


class ClusterAccessEntries(Construct):
    """``AWS::EKS::AccessEntry`` per person (``principals``) and per operator role (``roles``: view, cluster-wide,
    so an operator can find a node's pods)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: eks.ICluster | eks.Cluster,
        principals: Sequence[ClusterPrincipal],
        roles: Mapping[str, iam.IRole],
    ) -> None:
        super().__init__(scope, construct_id)
        target = cast(eks.ICluster, cluster)  # a Cluster is an ICluster; jsii's stubs don't say so
        self.entries: dict[str, eks.AccessEntry] = {}
        for principal in principals:
            self.entries[principal.arn] = eks.AccessEntry(
                self,
                entry_id(principal.arn),
                cluster=target,
                principal=principal.arn,
                access_policies=[access_policy(principal)],
            )
        view = eks.AccessPolicy.from_access_policy_name(_VIEW_POLICY, access_scope_type=eks.AccessScopeType.CLUSTER)
        for role_id, role in sorted(roles.items()):
            self.entries[role_id] = eks.AccessEntry(
                self, role_id, cluster=target, principal=role.role_arn, access_policies=[view]
            )
