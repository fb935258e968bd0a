"""``FleetAccess``: everything a person uses to reach one stage's fleet, composed from :mod:`constructs_br.access`.

Children (ids are API — renaming replaces the resource; named roles and documents would collide):
``Session`` (preferences document + log group), ``BreakGlass`` (On/Off documents), ``ControlRole``,
``AdminRole`` (each only with trusted principals), ``NodeSessionPolicy`` (what nodes need to log and decrypt
sessions), ``ClusterAccess`` (EKS access entries, with a cluster). While break-glass is configured: a
``constructs-br:break-glass`` tag on all of these, a stack output ``BreakGlass`` and a CDK warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack, Tags
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br.access._arn import arn, nag_text
from constructs_br.access.cluster import ClusterAccessEntries
from constructs_br.access.documents import BreakGlassDocuments, SessionPreferencesDocument
from constructs_br.access.roles import OperatorRole, break_glass_statements, find_node_statements, session_statements
from constructs_br.access.spec import ADMIN, BREAK_GLASS_TAG, CONTROL, AccessConfig, RoleTrust
from constructs_br.compliance.nag import acknowledge

BREAK_GLASS_OUTPUT = "BreakGlass"
"""Logical ID of the break-glass stack output, pinned: people and scripts look for it by this name."""
BREAK_GLASS_WARNING = "constructs-br:break-glass"

_REASONS = {
    "instances": "Session Manager and Run Command name instances by ARN; this statement is limited to the stage's "
    "fleet instances by ssm:resourceTag conditions on the constructs-br:stage and constructs-br:fleet tags.",
    "sessions": "Session IDs are generated at start; the statement allows only the caller's own sessions through "
    "the ssm:resourceTag/aws:ssmmessages:session-id condition on aws:userid.",
    "*": "These read-only describe and list calls support no resource-level permissions in IAM, so the only "
    "possible resource is the wildcard.",
    "ecs": "ECS clusters and container instances are created in the separate ECS stack; read-only describe calls "
    "are limited to this account and region.",
    "nodegroups": "Node group ARNs end in generated IDs; read-only describe is limited to this stage's cluster.",
    "loggroups": "DescribeLogGroups checks that the session log group exists and supports no narrower resource "
    "than log groups of this account and region.",
}


class NodeSessionPolicy(Construct):
    """What the SSM agent on a node needs for this stage's sessions: decrypt with the stage key (KMS-encrypted
    sessions) and write the session log group. Attach it to node roles (``roles``) or, from another stack, by
    ``managed_policy_arn``. The ``iam.ManagedPolicy`` has id ``Resource``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key_arn: str,
        log_group_arn: str,
        roles: Sequence[iam.IRole] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        groups = arn(self, "logs", "log-group:*")
        self.policy = iam.ManagedPolicy(
            self,
            "Resource",
            description="SSM agent on Bottlerocket nodes: decrypt and log Session Manager sessions",
            statements=[
                iam.PolicyStatement(sid="DecryptSessions", actions=["kms:Decrypt"], resources=[key_arn]),
                iam.PolicyStatement(
                    sid="WriteSessionLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="FindSessionLogGroup", actions=["logs:DescribeLogGroups"], resources=[groups.value]
                ),
            ],
            roles=list(roles),
        )
        self.managed_policy_arn = self.policy.managed_policy_arn
        acknowledge(self.policy, groups.finding, _REASONS["loggroups"])


class FleetAccess(Construct):
    """Operator roles, session preferences, break-glass documents and people's cluster access for one stage.

    :param config: who may do what (:class:`~constructs_br.access.spec.AccessConfig`).
    :param key: the stage's customer-managed key (sessions and their log group are encrypted with it).
    :param cluster: the stage's EKS cluster; ``None`` (ECS-only): no access entries, no EKS describe.
    :param node_roles: node roles in this stack to attach :class:`NodeSessionPolicy` to.
    :param role_name_prefix: roles are named ``<prefix>-control-<stage>`` and ``<prefix>-admin-<stage>``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AccessConfig,
        key: kms.IKey,
        cluster: eks.ICluster | eks.Cluster | None = None,
        node_roles: Sequence[iam.IRole] = (),
        role_name_prefix: str = "bottlerocket",
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        stage = config.stage
        self.session = SessionPreferencesDocument(self, "Session", stage=stage, key=key, preferences=config.session)
        self.break_glass = BreakGlassDocuments(self, "BreakGlass", stage=stage)
        self.node_session_policy = NodeSessionPolicy(
            self,
            "NodeSessionPolicy",
            key_arn=key.key_arn,
            log_group_arn=self.session.log_group.log_group_arn,
            roles=node_roles,
        )
        instances = arn(self, "ec2", "instance/*")
        sessions = arn(self, "ssm", "session/*")
        ecs_clusters = arn(self, "ecs", "cluster/*")
        ecs_instances = arn(self, "ecs", "container-instance/*")
        nodegroups = (
            arn(
                self,
                "eks",
                f"nodegroup/{cluster.cluster_name}/*",
                nag_resource=f"nodegroup/{nag_text(self, cluster.cluster_name)}/*",
            )
            if cluster is not None
            else None
        )
        control = [
            *session_statements(
                instances=instances,
                sessions=sessions,
                document=self.session.document_arn,
                key_arn=key.key_arn,
                stage=stage,
                fleets=config.fleets,
            ),
            *find_node_statements(
                cluster_arn=cluster.cluster_arn if cluster is not None else None,
                nodegroups=nodegroups,
                ecs_clusters=ecs_clusters,
                ecs_instances=ecs_instances,
            ),
        ]
        findings = {
            instances.finding: _REASONS["instances"],
            sessions.finding: _REASONS["sessions"],
            "AwsSolutions-IAM5[Resource::*]": _REASONS["*"],
            ecs_clusters.finding: _REASONS["ecs"],
            ecs_instances.finding: _REASONS["ecs"],
        }
        if nodegroups is not None:
            findings[nodegroups.finding] = _REASONS["nodegroups"]
        bg = config.break_glass
        meta: dict[str, Any] = {
            "break_glass": {
                "enabled": bg.enabled,
                "reason": bg.reason if bg.enabled else "",
                "expires": bg.expires.isoformat() if bg.enabled and bg.expires else None,
                "on_document": self.break_glass.on_name,
                "off_document": self.break_glass.off_name,
            },
            "session_document": self.session.document_name,
        }
        self.control_role = self._role(
            kind=CONTROL,
            trust=config.control,
            statements=control,
            findings=findings,
            meta=meta,
            role_name=f"{role_name_prefix}-control-{stage}",
        )
        admin = [
            *control,
            *break_glass_statements(
                instances=instances,
                on_document=self.break_glass.on_arn,
                off_document=self.break_glass.off_arn,
                expires=bg.expires if bg.enabled else None,
                stage=stage,
                fleets=config.fleets,
            ),
        ]
        self.admin_role = self._role(
            kind=ADMIN,
            trust=config.admin,
            statements=admin,
            findings=findings,
            meta=meta,
            role_name=f"{role_name_prefix}-admin-{stage}",
        )
        self.cluster_access: ClusterAccessEntries | None = None
        if cluster is not None:
            roles = {
                f"{kind.capitalize()}RoleView": r.role
                for kind, r in ((CONTROL, self.control_role), (ADMIN, self.admin_role))
                if r is not None
            }
            self.cluster_access = ClusterAccessEntries(
                self, "ClusterAccess", cluster=cluster, principals=config.cluster, roles=roles
            )
        CfnOutput(self, "SessionDocument", value=self.session.document_name, description="--document-name for sessions")
        for kind, r in ((CONTROL, self.control_role), (ADMIN, self.admin_role)):
            if r is not None:
                CfnOutput(self, f"{kind.capitalize()}RoleArn", value=r.role.role_arn)
        if bg.enabled:
            assert bg.expires is not None
            Tags.of(self).add(BREAK_GLASS_TAG, bg.tag_value)
            admins = ", ".join(config.admin.principals) or "nobody (no admin principals configured)"
            text = (
                f"break-glass ON in {stage} until {bg.expires.isoformat()} (end of day UTC): {bg.reason} — "
                f"may send {self.break_glass.on_name}: {admins}"
            )
            out = CfnOutput(self, "BreakGlassWindow", value=text, description="break-glass window (constructs_br)")
            # Pinned logical ID (reason: runbooks and brctl look for the output named BreakGlass in every stack).
            out.override_logical_id(BREAK_GLASS_OUTPUT)
            Annotations.of(self).add_warning_v2(BREAK_GLASS_WARNING, text)

    def _role(
        self,
        *,
        kind: str,
        trust: RoleTrust,
        statements: list[iam.PolicyStatement],
        findings: dict[str, str],
        meta: dict[str, Any],
        role_name: str,
    ) -> OperatorRole | None:
        if not trust.principals:
            return None
        return OperatorRole(
            self,
            f"{kind.capitalize()}Role",
            kind=kind,
            stage=self.config.stage,
            role_name=role_name,
            trust=trust,
            statements=statements,
            wildcard_findings=findings,
            metadata={
                **meta,
                "trusted": list(trust.principals),
                "require_mfa": trust.require_mfa,
                "max_session_hours": trust.max_session_hours,
                "stack": Stack.of(self).stack_name,
            },
        )
