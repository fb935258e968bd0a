"""This app's compliance wiring: the per-stage Config-rule data and the one function the stage stacks call.

The lead wires :func:`add_compliance` into ``PlatformStack`` (one set of rules per stage and region; the rules cover
the ECS stack's resources too, since they are scoped by the ``constructs-br:stage`` tag, not by stack).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_kms as kms

from constructs_br.compliance.config_rules import FleetConfigRules, RecorderMode
from constructs_br.compliance.controls import approved_ami_ids
from constructs_br.compliance.guard import operator_role_names
from constructs_br.images.lockfile import Lockfile

OLDEST_SUPPORTED_KUBERNETES = "1.31"
"""``oldestVersionSupported`` of EKS_CLUSTER_SUPPORTED_VERSION: the oldest EKS minor in standard support we accept.
Raise it when EKS ends standard support of a minor (docs/compliance.md)."""

RECORDER: dict[str, RecorderMode] = {"pilot": "existing", "canary": "existing", "production": "existing"}
"""Every stage uses the account's existing Config recorder (one per account and region; canary and production share
us-east-1 in one account by default, so a created recorder would collide)."""


def stage_operator_roles(*stage_names: str) -> tuple[str, ...]:
    """The operator role names (``bottlerocket-control-<stage>``, ``bottlerocket-admin-<stage>``) of the stages."""
    return tuple(name for stage in stage_names for name in operator_role_names(stage))


def add_compliance(
    stack: Stack,
    *,
    stage_name: str,
    lockfile: Lockfile,
    region: str,
    production: bool,
    encryption_key: kms.IKey | None = None,
    operator_roles: Sequence[str] | None = None,
) -> FleetConfigRules:
    """Add the stage's AWS Config rules to ``stack`` (construct id ``ConfigRules``) and return them.

    ``production``: adds EKS_ENDPOINT_NO_PUBLIC_ACCESS. ``encryption_key``: only needed when the stage's
    :data:`RECORDER` mode is ``create``. ``operator_roles``: when given, adds the Guard custom policy rules
    (SSM access allowed only to these role names; launch templates with IMDSv2 and an approved AMI). Use
    :func:`stage_operator_roles`. Default ``None``: no Guard rules (the stage stacks' templates stay as they are
    until the call passes it). The SSM rule judges every IAM principal of the account, so where stages share an
    account pass the union of their roles.
    """
    return FleetConfigRules(
        stack,
        "ConfigRules",
        stage=stage_name,
        approved_ami_ids=approved_ami_ids(lockfile, region),
        oldest_kubernetes_version=OLDEST_SUPPORTED_KUBERNETES,
        require_private_endpoint=production,
        recorder=RECORDER.get(stage_name, "existing"),
        encryption_key=encryption_key,
        operator_roles=list(operator_roles) if operator_roles is not None else None,
    )
