"""cdk-nag v3 wiring: the rule packs as validation plugins, and the one way to acknowledge a finding.

cdk-nag v3 registers its packs as CDK policy-validation plugins and findings are acknowledged per rule ID
through ``Validations.of(scope).acknowledge``. Everything that touches that API lives in this file, so an
API change touches one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aws_cdk import Acknowledgment, Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
from constructs import IConstruct

from constructs_br._scope import per_jsii_object
from constructs_br.errors import ConfigError

_RULE_ID = re.compile(
    r"^(?:(?P<ns>AwsSolutions|NIST\.800\.53\.R5)::)?(?P<pack>AwsSolutions|NIST\.800\.53\.R5)-[A-Za-z0-9]+(\[.+\])?$"
    r"|^(?P<cfn>CloudFormation-Validate)::[EW]\d{4}$"
)
_MIN_REASON_WORDS = 6
_VALIDATIONS: dict[str, Validations] = {}
_PLACEHOLDERS = {"todo", "tbd", "fixme", "n/a", "na", "none", "ignore", "ok", "fine", "later"}


def add_nag_checks(app: IConstruct) -> None:
    """Register AwsSolutions and NIST 800-53 R5 as validation plugins: any unacknowledged finding fails synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(), NIST80053R5Checks())


def acknowledge(scope: IConstruct, finding_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on ``scope`` (and its children), with a real reason.

    ``finding_id`` is the rule ID as cdk-nag reports it (or ``CloudFormation-Validate::W3010`` for CDK's
    built-in template validation) (``AwsSolutions-IAM4``,
    ``NIST.800.53.R5-IAMNoInlinePolicy``), optionally with a finding qualifier in brackets
    (``AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]``).
    The reason must say why, in at least six words; placeholders are refused.
    """
    acknowledge_all(scope, {finding_id: reason})


def acknowledge_all(scope: IConstruct, findings: Mapping[str, str]) -> None:
    """:func:`acknowledge` each ``finding_id: reason`` of ``findings`` on ``scope``, in one jsii call (every entry
    is checked first: one bad ID or reason acknowledges nothing)."""
    acks = [Acknowledgment(id=_full_id(finding_id, reason), reason=reason) for finding_id, reason in findings.items()]
    if not acks:
        return
    # One Validations.of per scope: a jsii round trip saved on each further call.
    per_jsii_object(_VALIDATIONS, scope, lambda: Validations.of(scope)).acknowledge(*acks)


def _full_id(finding_id: str, reason: str) -> str:
    """The ID CDK keys an acknowledgement by, after checking ``finding_id`` and ``reason`` (:func:`acknowledge`)."""
    match = _RULE_ID.match(finding_id)
    if not match or (match["ns"] and match["ns"] != match["pack"]):
        raise ConfigError(
            "acknowledge.finding_id",
            finding_id,
            "a cdk-nag rule ID such as AwsSolutions-IAM4 or NIST.800.53.R5-IAMNoInlinePolicy, optionally [qualifier]",
        )
    words = reason.split()
    if len(words) < _MIN_REASON_WORDS or reason.strip().lower() in _PLACEHOLDERS:
        raise ConfigError(
            "acknowledge.reason",
            reason,
            f"a real reason of at least {_MIN_REASON_WORDS} words saying why the finding is acceptable",
        )
    # CDK keys acknowledgements by "<plugin namespace>::<rule id>", exactly as the report prints them.
    return finding_id if match["ns"] or match["cfn"] else f"{match['pack']}::{finding_id}"
