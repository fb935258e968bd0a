"""The node role: explicit statements only, no AWS managed policies, no CNI permissions, SSM without SSMCore."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from constructs_br.iam import SSM_AGENT_ACTIONS, EksNodeRole


@pytest.fixture(scope="module")
def template() -> Template:
    stack = Stack(App(), "S")
    EksNodeRole(stack, "NodeRole", cluster_arn="arn:aws:eks:us-west-2:123456789012:cluster/c")
    return Template.from_stack(stack)


def _statements(template: Template) -> list[dict[str, Any]]:
    (policy,) = template.find_resources("AWS::IAM::ManagedPolicy").values()
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_role_has_no_aws_managed_policies(template: Template) -> None:
    (role,) = template.find_resources("AWS::IAM::Role").values()
    (policy_id,) = template.find_resources("AWS::IAM::ManagedPolicy")
    # Only our own customer-managed policy, attached through the role (issue 11: ordering), never an AWS one.
    assert role["Properties"]["ManagedPolicyArns"] == [{"Ref": policy_id}]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"
    }


def test_every_statement_says_why(template: Template) -> None:
    sids = [s.get("Sid") for s in _statements(template)]
    assert all(sids), sids
    assert len(set(sids)) == len(sids)


def test_no_cni_permissions_on_the_node_role(template: Template) -> None:
    actions = {
        a for s in _statements(template) for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not any(
        a.startswith("ec2:AssignPrivateIpAddresses") or a.startswith("ec2:CreateNetworkInterface") for a in actions
    )
    assert not any(a.endswith("*") for a in actions), "no action wildcards"
    assert "ecr:PutImage" not in actions
    assert "ecr:InitiateLayerUpload" not in actions


def test_ssm_agent_least_privilege(template: Template) -> None:
    (ssm,) = [s for s in _statements(template) if s["Sid"] == "SsmAgentControlContainer"]
    assert sorted(ssm["Action"]) == sorted(SSM_AGENT_ACTIONS)
    for dropped in ("ssm:GetParameters", "ssm:GetParameter", "ssm:PutComplianceItems"):
        assert dropped not in ssm["Action"]


def test_describe_cluster_scoped_to_the_cluster(template: Template) -> None:
    (stmt,) = [s for s in _statements(template) if s["Sid"] == "EksWorkerDescribeCluster"]
    assert stmt["Resource"] == "arn:aws:eks:us-west-2:123456789012:cluster/c"


def test_ssm_agent_can_be_left_out() -> None:
    stack = Stack(App(), "S")
    EksNodeRole(stack, "NodeRole", ssm_agent=False)
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    assert "SsmAgentControlContainer" not in {s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]}
