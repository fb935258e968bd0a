"""A customer-managed KMS key for a stage's logs, secrets and volumes, and log groups encrypted with it."""

from __future__ import annotations

from enum import IntEnum

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_br._scope import partition, stack_env


class LogRetention(IntEnum):
    """Retention in days; one year by default (NIST AU-11 asks for a defined retention)."""

    ONE_YEAR = 365
    TWO_YEARS = 731


class FleetKey(Construct):
    """A rotating customer-managed KMS key that CloudWatch Logs may use in this account and region only.

    Id ``Resource`` holds the ``AWS::KMS::Key``; never rename it (a new key means re-encrypting everything).
    """

    def __init__(self, scope: Construct, construct_id: str, *, description: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Resource",
            description=description,
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Why: CloudWatch Logs encrypts log groups with this key; scoped to log groups of this account+region.
        env = stack_env(self)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{env.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition()}:logs:{env.region}:"
                        f"{env.account}:log-group:*"
                    }
                },
            )
        )


def encrypted_log_group(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    retention: LogRetention = LogRetention.ONE_YEAR,
) -> logs.LogGroup:
    """A KMS-encrypted log group with a defined retention, retained on stack deletion (audit evidence)."""
    return logs.LogGroup(
        scope,
        construct_id,
        encryption_key=key,
        retention=_retention(retention),
        removal_policy=RemovalPolicy.RETAIN,
    )


def _retention(retention: LogRetention) -> logs.RetentionDays:
    return {
        LogRetention.ONE_YEAR: logs.RetentionDays.ONE_YEAR,
        LogRetention.TWO_YEARS: logs.RetentionDays.TWO_YEARS,
    }[retention]
