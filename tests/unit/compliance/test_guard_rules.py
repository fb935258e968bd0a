"""Guard custom policy rules: the rendered text carries the operator roles / approved AMIs, and the template has the
rules with runtime guard-2.x.x and the right scope (synthesized with cdk-nag on). The Guard text is not executed
here (no cfn-guard in the environment): the tests pin what is rendered, and the SSM pattern on sample documents."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Match, Template

from constructs_br.compliance import guard
from constructs_br.compliance.config_rules import FleetConfigRules, FleetGuardRules
from constructs_br.compliance.controls import approved_ami_ids
from constructs_br.compliance.nag import add_nag_checks
from constructs_br.errors import ConfigError
from stacks.app import load_lockfile
from stacks.compliance import add_compliance, stage_operator_roles

ROLES = ("bottlerocket-control-pilot", "bottlerocket-admin-pilot")
AMIS = ("ami-0123456789abcdef0", "ami-0fedcba9876543210")


def _synth(fn: Callable[[Stack], object]) -> Template:
    app = App()
    add_nag_checks(app)
    stack = Stack(app, "BrTest", env=Environment(account="123456789012", region="us-east-1"))
    fn(stack)
    app.synth()
    return Template.from_stack(stack)


def _custom_rules(t: Template) -> dict[str, Any]:
    return dict(t.find_resources("AWS::Config::ConfigRule", {"Properties": {"Source": {"Owner": "CUSTOM_POLICY"}}}))


def test_ssm_text_names_exactly_the_operator_roles() -> None:
    text = guard.ssm_access_policy(operator_roles=ROLES)
    assert '["bottlerocket-admin-pilot", "bottlerocket-control-pilot"]' in text
    assert "configuration.roleName !IN" in text
    assert "%attached_roles.resourceName IN" in text
    for rt in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Policy"):
        assert f'resourceType == "{rt}"' in text
    assert "/" + guard.SSM_GRANT_PATTERN + "/" in text
    assert "canary" not in text


def test_operator_role_names_follow_fleet_access() -> None:
    assert guard.operator_role_names("pilot") == ROLES
    assert stage_operator_roles("canary", "production") == (
        "bottlerocket-control-canary", "bottlerocket-admin-canary",
        "bottlerocket-control-production", "bottlerocket-admin-production",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("action", "grants"),
    [
        ("ssm:StartSession", True), ("ssm:SendCommand", True), ("ssm:*", True), ("ssm:Start*", True),
        ("ssm:S*", True), ("ssm:Send*", True), ("SSM:startSession", True), ("ssm:GetParameter", False),
        ("ssm:Get*", False), ("ssm:StartAutomationExecution", False), ("ssmmessages:*", False),
        ("ssm:ResumeSession", False),
    ],
)  # fmt: skip
def test_ssm_pattern_on_plain_and_url_encoded_documents(action: str, grants: bool) -> None:
    doc = f'{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["{action}"],"Resource":"*"}}]}}'
    rx = re.compile(guard.SSM_GRANT_PATTERN.removeprefix("(?i)"), re.IGNORECASE)
    for text in (doc, urllib.parse.quote(doc, safe=""), urllib.parse.quote(doc)):
        assert bool(rx.search(text)) is grants, (action, text)


def test_launch_template_text_names_exactly_the_amis() -> None:
    text = guard.launch_template_policy(approved_ami_ids=AMIS)
    assert text.count('["ami-0123456789abcdef0", "ami-0fedcba9876543210"]') == 2
    assert 'HttpTokens == "required"' in text
    assert 'httpTokens == "required"' in text


def test_committed_lockfile_amis_in_the_rendered_text() -> None:
    lock = load_lockfile({})
    amis = approved_ami_ids(lock, "us-east-1")
    text = guard.launch_template_policy(approved_ami_ids=amis)
    assert set(re.findall(r'"(ami-[0-9a-f]+)"', text)) == set(amis)


def test_bad_input_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="operator_roles"):
        guard.ssm_access_policy(operator_roles=[])
    with pytest.raises(ConfigError, match="operator_roles"):
        guard.ssm_access_policy(operator_roles=['x"y'])
    with pytest.raises(ConfigError, match="approved_ami_ids"):
        guard.launch_template_policy(approved_ami_ids=["not-an-ami"])
    with pytest.raises(ConfigError, match="policy_text"):
        guard.launch_template_policy(approved_ami_ids=[f"ami-{i:017x}" for i in range(600)])


def test_template_has_both_rules_with_runtime_and_scope() -> None:
    t = _synth(lambda s: FleetGuardRules(s, "Guard", stage="pilot", operator_roles=ROLES, approved_ami_ids=AMIS))
    rules = _custom_rules(t)
    assert len(rules) == 2
    by_name = {r["Properties"]["ConfigRuleName"]: r["Properties"] for r in rules.values()}
    ssm = by_name["constructs-br-pilot-ssm-access"]
    lt = by_name["constructs-br-pilot-launch-templates"]
    for props in (ssm, lt):
        assert props["Source"]["CustomPolicyDetails"]["PolicyRuntime"] == "guard-2.x.x"
    assert ssm["Source"]["CustomPolicyDetails"]["PolicyText"] == guard.ssm_access_policy(operator_roles=ROLES)
    assert sorted(ssm["Scope"]["ComplianceResourceTypes"]) == sorted(guard.IAM_RESOURCE_TYPES)
    assert lt["Source"]["CustomPolicyDetails"]["PolicyText"] == guard.launch_template_policy(approved_ami_ids=AMIS)
    assert lt["Scope"] == {"TagKey": "constructs-br:stage", "TagValue": "pilot"}


def test_add_compliance_adds_guard_rules_only_when_asked() -> None:
    lock = load_lockfile({})

    def without(s: Stack) -> None:
        add_compliance(s, stage_name="pilot", lockfile=lock, region="us-east-1", production=False)

    def with_roles(s: Stack) -> None:
        rules = add_compliance(s, stage_name="pilot", lockfile=lock, region="us-east-1", production=False,
                               operator_roles=stage_operator_roles("pilot"))  # fmt: skip
        assert rules.guard is not None

    assert _custom_rules(_synth(without)) == {}
    t = _synth(with_roles)
    assert len(_custom_rules(t)) == 2
    text = guard.launch_template_policy(approved_ami_ids=approved_ami_ids(lock, "us-east-1"))
    t.has_resource_properties(
        "AWS::Config::ConfigRule", {"Source": Match.object_like({"CustomPolicyDetails": Match.object_like(
            {"PolicyText": text})})}
    )  # fmt: skip


def test_created_recorder_gates_the_guard_rules_too() -> None:
    from aws_cdk import aws_kms as kms

    def fn(s: Stack) -> None:
        FleetConfigRules(s, "Rules", stage="pilot", approved_ami_ids=AMIS, oldest_kubernetes_version="1.31",
                         recorder="create", encryption_key=kms.Key(s, "Key", enable_key_rotation=True),
                         operator_roles=ROLES)  # fmt: skip

    rules = _custom_rules(_synth(fn))
    assert len(rules) == 2
    for r in rules.values():
        deps = r.get("DependsOn", [])
        assert any("Recorder" in d for d in deps), deps
        assert any("DeliveryChannel" in d for d in deps), deps
