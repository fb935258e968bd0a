"""The permissions a log shipper needs, scoped to named log groups: ``logs:CreateLogStream``, ``logs:PutLogEvents``,
``logs:DescribeLogStreams`` — nothing else (no ``logs:*``, no ``logs:CreateLogGroup``: the groups exist, encrypted,
before anything writes to them).

As a managed policy attached to the role (``ManagedPolicyArns``), not an inline policy (NIST IAMNoInlinePolicy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br.compliance.nag import acknowledge
from constructs_br.errors import ConfigError
from constructs_br.logs.fluentbit import PLACEHOLDER_IMAGE_RULE, FluentBitImage
from constructs_br.logs.groups import log_group_arn, log_stream_arn
from constructs_br.nodes.image import refuse_deploy

SHIPPING_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
"""Exactly what Fluent Bit's ``cloudwatch_logs`` output calls with ``auto_create_group false``."""


def log_shipping_statement(scope: Construct, log_group_names: Sequence[str]) -> iam.PolicyStatement:
    """One statement: :data:`SHIPPING_ACTIONS` on each group and its streams (sorted, deterministic)."""
    if not log_group_names:
        raise ConfigError("log_shipping.log_group_names", (), "one or more log group names")
    resources: list[str] = []
    for name in sorted(set(log_group_names)):
        resources += [log_group_arn(scope, name), log_stream_arn(scope, name)]
    return iam.PolicyStatement(sid="ShipToStageLogGroups", actions=list(SHIPPING_ACTIONS), resources=resources)


def log_shipping_policy(
    scope: Construct, construct_id: str, *, log_group_names: Sequence[str], roles: Sequence[iam.IRole], what: str
) -> iam.ManagedPolicy:
    """A managed policy with :func:`log_shipping_statement`, attached to ``roles``."""
    statement = log_shipping_statement(scope, log_group_names)
    policy = iam.ManagedPolicy(
        scope,
        construct_id,
        description=f"{what}: write to the stage's log groups only",
        statements=[statement],
        roles=list(roles),
    )
    stack = Stack.of(scope)
    for resource in statement.resources:
        if resource.endswith(":log-stream:*"):
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::{nag_text(stack.resolve(resource))}]",
                "Log stream names are created at runtime per node and per container (host name prefix), so "
                "the statement names each log group exactly and only its streams with a wildcard.",
            )
    return policy


def nag_text(value: Any) -> str:
    """A resolved template value as cdk-nag prints it in a finding qualifier (``<AWS::Partition>``, ``<LogicalId>``,
    ``<LogicalId.Arn>``), so an acknowledgement names exactly one resource."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::Join":
            return str(arg[0]).join(nag_text(v) for v in arg[1])
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{'.'.join(arg) if isinstance(arg, list) else arg}>"
    raise ValueError(f"cannot name {value!r} in a cdk-nag finding")


PLACEHOLDER_DIGEST_WARNING = "constructs-br:fluent-bit-placeholder-digest"
"""Warning ID when a log shipper runs the placeholder Fluent Bit image digest."""


def guard_placeholder_image(scope: Construct, image: FluentBitImage | None) -> None:
    """A placeholder Fluent Bit digest synthesizes, warns, and makes the stack refuse every deploy
    (:data:`~constructs_br.logs.fluentbit.PLACEHOLDER_IMAGE_RULE`), like example image pins."""
    if image is None or not image.is_placeholder:
        return
    Annotations.of(scope).add_warning_v2(
        PLACEHOLDER_DIGEST_WARNING,
        "The Fluent Bit image digest is the placeholder: set a reviewed digest before deploying.",
    )
    refuse_deploy(
        scope,
        PLACEHOLDER_IMAGE_RULE,
        "This stack ships logs with a placeholder Fluent Bit image digest: set a reviewed digest "
        "(context br:logging:fluent-bit-image) and synthesize again.",
    )
