"""CloudFormation's template quotas, checked when the app synthesizes — not when CloudFormation rejects the stack.

Registered like the cdk-nag packs, as a CDK policy-validation plugin, so it reads each synthesized template:

=====================  ==========  ===========================================================
quota                  limit       what happens at deploy otherwise
=====================  ==========  ===========================================================
resources              500         ``Template format error: Number of resources ... exceeded``
outputs                200         the same for outputs
parameters             200         the same for parameters
mappings               200         the same for mappings
template body          1,000,000   bytes, the S3 template-URL limit (the CDK CLI uploads larger
                                   than 51,200 bytes to the bootstrap bucket first)
=====================  ==========  ===========================================================

>>> [(q.name, q.limit) for q in QUOTAS][:2]
[('resources', 500), ('outputs', 200)]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Validations,
)
from constructs import IConstruct


@dataclass(frozen=True, slots=True)
class Quota:
    """One CloudFormation quota: its name, limit, and how a template is measured against it."""

    name: str
    limit: int
    section: str | None  # a template section counted by keys, or None for the body size in bytes


QUOTAS: tuple[Quota, ...] = (
    Quota("resources", 500, "Resources"),
    Quota("outputs", 200, "Outputs"),
    Quota("parameters", 200, "Parameters"),
    Quota("mappings", 200, "Mappings"),
    Quota("template-bytes", 1_000_000, None),
)


def template_problems(text: str, quotas: Sequence[Quota] = QUOTAS) -> list[tuple[Quota, int]]:
    """The quotas a template text exceeds, with its measured value."""
    data: dict[str, Any] = json.loads(text)
    out = []
    for quota in quotas:
        value = len(text.encode("utf-8")) if quota.section is None else len(data.get(quota.section, {}))
        if value > quota.limit:
            out.append((quota, value))
    return out


@jsii.implements(IPolicyValidationPlugin)
class TemplateLimits:
    """Fails synth, naming the stack, the quota, the measured value and the limit, for every exceeded quota."""

    def __init__(self, quotas: Sequence[Quota] = QUOTAS) -> None:
        self._quotas = tuple(quotas)

    @property
    def name(self) -> str:
        return "constructs-br-template-limits"

    @property
    def version(self) -> str:
        return "1"

    @property
    def rule_ids(self) -> list[str]:
        return [f"CloudFormation-{q.name}" for q in self._quotas]

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        violations = []
        for path in context.template_paths:
            for quota, value in template_problems(Path(path).read_text(encoding="utf-8"), self._quotas):
                unit = "bytes" if quota.section is None else quota.section.lower()
                violations.append(
                    PolicyViolation(
                        rule_name=f"CloudFormation-{quota.name}",
                        description=f"{Path(path).name}: {value} {unit}; allowed: at most {quota.limit} "
                        "(CloudFormation would reject this template at deploy)",
                        fix="split the stack (for example more pairs per stack → one stack per fleet)",
                        violating_resources=[PolicyViolatingResource(locations=[quota.name], template_path=path)],
                    )
                )
        return PolicyValidationPluginReport(success=not violations, violations=violations)


def add_limit_checks(app: IConstruct, quotas: Sequence[Quota] = QUOTAS) -> None:
    """Register :class:`TemplateLimits` on ``app``: a template over a CloudFormation quota fails synth."""
    Validations.of(app).add_plugins(TemplateLimits(quotas))
