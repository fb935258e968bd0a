"""CloudFormation quotas fail synth with a named error (issue 12), through the same plugin path as cdk-nag."""

from __future__ import annotations

import doctest
import json

import pytest
from aws_cdk import App, CfnOutput, Stack
from aws_cdk import aws_sqs as sqs

from constructs_br.compliance import limits
from constructs_br.compliance.limits import QUOTAS, Quota, add_limit_checks, template_problems


def test_doctests() -> None:
    assert doctest.testmod(limits).failed == 0


def test_a_template_over_each_quota_is_named() -> None:
    over = {"Resources": {f"R{i}": {"Type": "AWS::SQS::Queue"} for i in range(501)}, "Outputs": {}}
    (found,) = template_problems(json.dumps(over))
    assert (found[0].name, found[1]) == ("resources", 501)
    assert template_problems(json.dumps({"Resources": {}})) == []
    assert (
        template_problems("x" * 0 + json.dumps({"Outputs": {f"O{i}": {} for i in range(201)}}))[0][0].name == "outputs"
    )


def test_synth_fails_when_a_stack_exceeds_a_quota(tmp_path: object) -> None:
    app = App(outdir=str(tmp_path))
    add_limit_checks(app, quotas=(*QUOTAS[1:], Quota("resources", 2, "Resources")))  # a small limit to plant it
    stack = Stack(app, "Big")
    for i in range(3):
        sqs.Queue(stack, f"Q{i}", enforce_ssl=True)
    CfnOutput(stack, "Out", value="x")
    with pytest.raises(Exception, match="resources") as exc:  # CDK raises after printing the validation report
        app.synth()
    assert "Validation failed" in str(exc.value) or "validation" in str(exc.value).lower()


def test_synth_passes_within_the_quotas(tmp_path: object) -> None:
    app = App(outdir=str(tmp_path))
    add_limit_checks(app)
    sqs.Queue(Stack(app, "Small"), "Q", enforce_ssl=True)
    app.synth()
