"""The operator roles people assume: ``bottlerocket-control`` (a Session Manager session into the control container
of this stage's nodes) and ``bottlerocket-admin`` (the same plus the break-glass documents). Statements are small
functions, each with a ``sid`` saying why; no action wildcard, every resource scoped to this stage's account and
region. ``Resource: "*"`` only for read-only calls that support no resource ARN.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from aws_cdk import Duration, Tags
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br import tags
from constructs_br.access._arn import Arn
from constructs_br.access.spec import ACCESS_ROLE_TAG, METADATA_KEY, RoleTrust
from constructs_br.compliance.nag import acknowledge_all

READ_ONLY_UNSCOPED = (
    "ec2:DescribeInstances",
    "ec2:DescribeTags",
    "ssm:DescribeInstanceInformation",
    "ssm:DescribeSessions",
    "ssm:GetConnectionStatus",
    "ecs:ListClusters",
)
"""Finding nodes: these APIs support no resource-level permissions (IAM's service authorization reference)."""


def node_conditions(stage: str, fleets: Sequence[str]) -> dict[str, Any]:
    """Instances of this stage (``constructs-br:stage``) and of a fleet (``constructs-br:fleet``: one of ``fleets``,
    or present at all) — the tags the node paths (EKS launch templates, ECS Auto Scaling groups) set."""
    equals: dict[str, Any] = {f"ssm:resourceTag/{tags.STAGE}": stage}
    conditions: dict[str, Any] = {"StringEquals": equals}
    if fleets:
        equals[f"ssm:resourceTag/{tags.FLEET}"] = sorted(fleets)
    else:
        conditions["Null"] = {f"ssm:resourceTag/{tags.FLEET}": "false"}
    return conditions


def session_statements(
    *, instances: Arn, sessions: Arn, document: Arn, key_arn: str, stage: str, fleets: Sequence[str]
) -> list[iam.PolicyStatement]:
    """Start a session only on this stage's fleet instances and only with this stage's preferences document;
    terminate or resume only one's own sessions; encrypt the session with the stage key."""
    doc_check = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    return [
        iam.PolicyStatement(
            sid="StartSessionOnStageNodes",
            actions=["ssm:StartSession"],
            resources=[instances.value],
            conditions={**node_conditions(stage, fleets), **doc_check},
        ),
        iam.PolicyStatement(
            sid="StartSessionWithStageDocument",
            actions=["ssm:StartSession"],
            resources=[document.value],
            conditions=doc_check,
        ),
        iam.PolicyStatement(
            sid="TerminateResumeOwnSessions",
            actions=["ssm:TerminateSession", "ssm:ResumeSession"],
            resources=[sessions.value],
            # Session Manager tags each session with the caller's "role-id:session-name" (= aws:userid).
            conditions={"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}},
        ),
        iam.PolicyStatement(
            sid="EncryptSessionWithStageKey",
            actions=["kms:GenerateDataKey"],
            resources=[key_arn],
        ),
    ]


def find_node_statements(
    *, cluster_arn: str | None, nodegroups: Arn | None, ecs_clusters: Arn, ecs_instances: Arn
) -> list[iam.PolicyStatement]:
    """Read-only calls to find a node: instances and their SSM status, the stage's EKS cluster and node groups,
    ECS container instances."""
    statements = [
        iam.PolicyStatement(sid="FindNodes", actions=list(READ_ONLY_UNSCOPED), resources=["*"]),
        iam.PolicyStatement(
            sid="FindEcsContainerInstances",
            actions=["ecs:DescribeClusters", "ecs:ListContainerInstances"],
            resources=[ecs_clusters.value],
        ),
        iam.PolicyStatement(
            sid="DescribeEcsContainerInstances",
            actions=["ecs:DescribeContainerInstances"],
            resources=[ecs_instances.value],
        ),
    ]
    if cluster_arn is not None and nodegroups is not None:
        statements += [
            iam.PolicyStatement(
                sid="DescribeStageCluster",
                actions=["eks:DescribeCluster", "eks:ListNodegroups"],
                resources=[cluster_arn],
            ),
            iam.PolicyStatement(
                sid="DescribeStageNodegroups", actions=["eks:DescribeNodegroup"], resources=[nodegroups.value]
            ),
        ]
    return statements


def end_of_day(day: date) -> str:
    """The first instant after ``day`` (UTC), for ``DateLessThan aws:CurrentTime``.

    >>> end_of_day(date(2026, 2, 28))
    '2026-03-01T00:00:00Z'
    """
    return f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z"


def break_glass_statements(
    *, instances: Arn, on_document: Arn, off_document: Arn, expires: date | None, stage: str, fleets: Sequence[str]
) -> list[iam.PolicyStatement]:
    """``ssm:SendCommand`` of the break-glass documents only, on this stage's fleet instances only. ``On`` only with
    an expiry (break-glass configured), until the end of that day; ``Off`` always (ending break-glass is never
    blocked)."""
    statements = [
        iam.PolicyStatement(
            sid="SendBreakGlassToStageNodes",
            actions=["ssm:SendCommand"],
            resources=[instances.value],
            conditions=node_conditions(stage, fleets),
        ),
        iam.PolicyStatement(sid="SendBreakGlassOff", actions=["ssm:SendCommand"], resources=[off_document.value]),
        iam.PolicyStatement(
            sid="ReadBreakGlassResults",
            actions=["ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation"],
            resources=["*"],
        ),
    ]
    if expires is not None:
        statements.insert(
            1,
            iam.PolicyStatement(
                sid="SendBreakGlassOnUntilExpiry",
                actions=["ssm:SendCommand"],
                resources=[on_document.value],
                conditions={"DateLessThan": {"aws:CurrentTime": end_of_day(expires)}},
            ),
        )
    return statements


class OperatorRole(Construct):
    """One operator role (``iam.Role`` id ``Resource``) with one customer-managed policy (id ``Policy``).

    Trusted by ``trust.principals`` only (optionally with MFA), bounded by ``trust.permissions_boundary_arn``,
    sessions of at most ``trust.max_session_hours``. Tagged ``constructs-br:access-role=<kind>`` and described in
    template metadata (``constructs-br:access``) for ``brctl access show``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        kind: str,
        stage: str,
        role_name: str,
        trust: RoleTrust,
        statements: Sequence[iam.PolicyStatement],
        wildcard_findings: dict[str, str],
        metadata: dict[str, Any],
    ) -> None:
        super().__init__(scope, construct_id)
        principal: iam.IPrincipal = iam.CompositePrincipal(*(iam.ArnPrincipal(a) for a in trust.principals))
        if trust.require_mfa:
            principal = iam.PrincipalWithConditions(principal, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})
        boundary = (
            iam.ManagedPolicy.from_managed_policy_arn(self, "Boundary", trust.permissions_boundary_arn)
            if trust.permissions_boundary_arn
            else None
        )
        self.role = iam.Role(
            self,
            "Resource",
            role_name=role_name,
            description=f"bottlerocket-{kind} for {stage} (constructs_br): see docs/access.md",
            assumed_by=principal,
            max_session_duration=Duration.hours(trust.max_session_hours),
            permissions_boundary=boundary,
        )
        self.policy = iam.ManagedPolicy(
            self, "Policy", description=f"bottlerocket-{kind} ({stage})", statements=list(statements), roles=[self.role]
        )
        Tags.of(self.role).add(ACCESS_ROLE_TAG, kind)
        cfn_role = self.role.node.default_child
        assert isinstance(cfn_role, iam.CfnRole)
        cfn_role.add_metadata(METADATA_KEY, {"kind": kind, "stage": stage, **metadata})
        acknowledge_all(self.policy, dict(sorted(wildcard_findings.items())))
