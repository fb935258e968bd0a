"""``Br<Stage>Operators``: the kubectl provider, the Kyverno node audit in every stage, the update operator where the
stage runs it (canary by default), the node groups' label / version lock to match, and every bad value of the
``br:<stage>:update-operator`` keys named."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from constructs_br.eks.update_operator_spec import CONCURRENCY_CAPPED_WARNING, UPDATER_INTERFACE_LABEL
from constructs_br.errors import ConfigError
from stacks.app import build_app, cdk_json_context
from stacks.config import DEFAULT_UPDATE_WINDOW, load_config, update_operator_config
from tests.conftest import synth_with
from tests.stacks.invariants import _user_data_text as user_data_text

BRUPOP_CHARTS = ["cert-manager", "bottlerocket-shadow", "bottlerocket-update-operator"]


def _of_type(template: Mapping[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def _charts(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Chart name → the HelmChart resource's properties."""
    return {
        r["Properties"]["Chart"]: r["Properties"] for r in _of_type(template, "Custom::AWSCDK-EKS-HelmChart").values()
    }


def _user_data(template: Mapping[str, Any]) -> list[str]:
    """Every launch template's user data (the literal parts of a custom-AMI template's Fn::Join)."""
    return [user_data_text(lt) for lt in _of_type(template, "AWS::EC2::LaunchTemplate").values()]


def _operator_values(template: Mapping[str, Any]) -> dict[str, Any]:
    return dict(json.loads(_charts(template)["bottlerocket-update-operator"]["Values"]))


# --- the test: canary carries the operator stack and the label, production does not unless configured ------
def test_canary_carries_the_update_operator_and_its_nodes_the_label(templates: Mapping[str, Any]) -> None:
    assert set(_charts(templates["BrCanaryOperators"])) == {"kyverno", *BRUPOP_CHARTS}
    assert _operator_values(templates["BrCanaryOperators"])["scheduler_cron_expression"] == DEFAULT_UPDATE_WINDOW
    assert _operator_values(templates["BrCanaryOperators"])["max_concurrent_updates"] == "1"
    groups = _of_type(templates["BrCanaryNodes"], "AWS::EKS::Nodegroup").values()
    assert groups
    assert all(ng["Properties"]["Labels"][UPDATER_INTERFACE_LABEL] == "2.0.0" for ng in groups)
    assert all("version-lock" not in ud for ud in _user_data(templates["BrCanaryNodes"]))


@pytest.mark.parametrize("stage", ["Pilot", "Production"])
def test_other_stages_audit_only_and_keep_their_nodes_locked(templates: Mapping[str, Any], stage: str) -> None:
    assert set(_charts(templates[f"Br{stage}Operators"])) == {"kyverno"}
    nodes = templates[f"Br{stage}Nodes"]
    groups = _of_type(nodes, "AWS::EKS::Nodegroup").values()
    assert groups
    assert all(UPDATER_INTERFACE_LABEL not in ng["Properties"].get("Labels", {}) for ng in groups)
    user_data = _user_data(nodes)
    assert user_data
    assert all('version-lock = "v' in ud for ud in user_data)
    assert all(UPDATER_INTERFACE_LABEL not in ud for ud in user_data)  # custom-AMI path: node-labels in user data


def test_production_runs_the_operator_when_configured(tmp_path: Path) -> None:
    templates = synth_with(
        {
            "br:stages": "production",
            "br:production:update-operator": "true",
            "br:production:update-operator:window": "0 0 9 * * Wed *",
        },
        tmp_path,
    )
    assert set(_charts(templates["BrProductionOperators"])) == {"kyverno", *BRUPOP_CHARTS}
    assert _operator_values(templates["BrProductionOperators"])["scheduler_cron_expression"] == "0 0 9 * * Wed *"
    nodes = templates["BrProductionNodes"]
    managed = [ng for ng in _of_type(nodes, "AWS::EKS::Nodegroup").values() if "AmiType" in ng["Properties"]]
    assert managed
    assert all(ng["Properties"]["Labels"][UPDATER_INTERFACE_LABEL] == "2.0.0" for ng in managed)
    user_data = _user_data(nodes)
    assert all("version-lock" not in ud for ud in user_data)
    # the custom-AMI (arm) pair carries the label in its own user data
    assert any(f'"{UPDATER_INTERFACE_LABEL}" = "2.0.0"' in ud for ud in user_data)


def test_canary_can_turn_the_operator_off(tmp_path: Path) -> None:
    templates = synth_with({"br:stages": "canary", "br:canary:update-operator": False}, tmp_path)
    assert set(_charts(templates["BrCanaryOperators"])) == {"kyverno"}
    assert all('version-lock = "v' in ud for ud in _user_data(templates["BrCanaryNodes"]))


# --- the stack itself ---------------------------------------------------------------------------------------------
def test_operators_deploy_after_the_nodes_and_the_platform(assembly: Any) -> None:
    deps = {s.stack_name: {d.id for d in s.dependencies} for s in assembly.stacks}
    for stage in ("Pilot", "Canary", "Production"):
        assert {f"Br{stage}", f"Br{stage}Nodes"} <= deps[f"Br{stage}Operators"]


@pytest.mark.parametrize("stage", ["Canary", "Production"])
def test_private_endpoint_kubectl_runs_in_the_private_subnets_with_the_cluster_security_group(
    templates: Mapping[str, Any], stage: str
) -> None:
    fns = _of_type(templates[f"Br{stage}Operators"], "AWS::Lambda::Function")
    (handler,) = [f for k, f in fns.items() if "ProviderHandler" in k]
    vpc = handler["Properties"]["VpcConfig"]
    outputs = [ref["Fn::GetStackOutput"]["OutputName"] for ref in vpc["SubnetIds"]]
    assert len(outputs) == 3
    assert all("PrivateSubnet" in o for o in outputs)
    (sg,) = vpc["SecurityGroupIds"]
    assert sg["Fn::GetStackOutput"]["StackName"] == f"Br{stage}"
    assert "ClusterSecurityGroupId" in sg["Fn::GetStackOutput"]["OutputName"]


def test_public_endpoint_kubectl_stays_outside_the_vpc(templates: Mapping[str, Any]) -> None:
    fns = _of_type(templates["BrPilotOperators"], "AWS::Lambda::Function")
    assert fns
    assert all("VpcConfig" not in f["Properties"] for f in fns.values())


@pytest.mark.parametrize("stage", ["Pilot", "Canary", "Production"])
def test_charts_target_the_platform_cluster_and_the_kyverno_policy_is_the_stage_s(
    templates: Mapping[str, Any], stage: str
) -> None:
    template = templates[f"Br{stage}Operators"]
    assert {c["ClusterName"] for c in _charts(template).values()} == {f"Br{stage}-Cluster"}
    (manifest,) = _of_type(template, "Custom::AWSCDK-EKS-KubernetesResource").values()
    (policy,) = json.loads(manifest["Properties"]["Manifest"])
    assert policy["kind"] == "ClusterPolicy"
    assert policy["metadata"]["name"] == f"constructs-br-{stage.lower()}-node-images"
    assert policy["spec"]["validationFailureAction"] == "Audit"


def test_every_operators_log_group_is_encrypted_with_the_platform_key(templates: Mapping[str, Any]) -> None:
    groups = _of_type(templates["BrCanaryOperators"], "AWS::Logs::LogGroup")
    assert len(groups) == 3  # HandlerLogs, and the CDK-managed groups of the handler and the provider framework
    for group in groups.values():
        assert group["Properties"]["KmsKeyId"]["Fn::GetStackOutput"]["StackName"] == "BrCanary"


def test_secondary_regions_get_their_own_operators_stack(tmp_path: Path) -> None:
    templates = synth_with({"br:stages": "canary", "br:canary:regions": "us-east-1,us-west-2"}, tmp_path)
    assert {"BrCanaryOperators", "BrCanaryOperators-us-west-2"} <= set(templates)
    charts = _charts(templates["BrCanaryOperators-us-west-2"])
    assert {c["ClusterName"] for c in charts.values()} == {"BrCanary-us-west-2-Cluster"}


def test_concurrency_above_the_node_budget_is_capped_with_a_warning(tmp_path: Path) -> None:
    context = {
        **cdk_json_context(),
        "br:stages": "canary",
        "br:canary:update-operator:max-concurrent-updates": "3",
    }
    assembly = build_app(context, outdir=str(tmp_path)).synth()
    stack = assembly.get_stack_by_name("BrCanaryOperators")
    assert (
        json.loads(_charts(stack.template)["bottlerocket-update-operator"]["Values"])["max_concurrent_updates"] == "1"
    )
    warnings = [str(m.entry.data) for m in stack.messages if m.level.name == "WARNING"]
    assert any("max_concurrent_updates 3 is capped at 1" in w and CONCURRENCY_CAPPED_WARNING in w for w in warnings)


# --- config ---------------------------------------------------------------------------------------------------------
def test_defaults_canary_only() -> None:
    config = load_config({})
    assert {s.name: s.update_operator is not None for s in config.stages} == {
        "pilot": False,
        "canary": True,
        "production": False,
    }
    for s in config.stages:
        assert all(p.base.update_operator == (s.name == "canary") for p in s.pairs)
    spec = config.stage("canary").update_operator
    assert spec is not None
    assert (spec.scheduler_cron_expression, spec.max_concurrent_updates) == (DEFAULT_UPDATE_WINDOW, 1)


def test_values_are_read_as_cdk_passes_them() -> None:
    spec = update_operator_config(
        "pilot",
        {
            "br:pilot:update-operator": True,
            "br:pilot:update-operator:window": "* * 2-4 * * Sat *",
            "br:pilot:update-operator:max-concurrent-updates": 2,
        },
    )
    assert spec is not None
    assert (spec.scheduler_cron_expression, spec.max_concurrent_updates) == ("* * 2-4 * * Sat *", 2)
    assert update_operator_config("canary", {"br:canary:update-operator": "FALSE"}) is None


@pytest.mark.parametrize(
    ("context", "field", "value", "allowed"),
    [
        ({"br:canary:update-operator": "yes"}, "br:canary:update-operator", "yes", "true | false"),
        ({"br:canary:update-operator": 1}, "br:canary:update-operator", 1, "true | false"),
        (
            {"br:canary:update-operator:window": "0 3 * * *"},
            "br:canary:update-operator:window",
            "0 3 * * *",
            "BRUPOP's cron crate",
        ),
        (
            {"br:canary:update-operator:window": "0 0 25 * * *"},
            "br:canary:update-operator:window",
            "0 0 25 * * *",
            "BRUPOP's cron crate",
        ),
        (
            {"br:canary:update-operator:max-concurrent-updates": "0"},
            "br:canary:update-operator:max-concurrent-updates",
            "0",
            "an integer >= 1",
        ),
        (
            {"br:canary:update-operator:max-concurrent-updates": "two"},
            "br:canary:update-operator:max-concurrent-updates",
            "two",
            "an integer >= 1",
        ),
        (
            {"br:canary:update-operator:max-concurrent-updates": True},
            "br:canary:update-operator:max-concurrent-updates",
            True,
            "an integer >= 1",
        ),
        (
            {"br:canary:update-operator:concurrency": 2},
            "br:canary:update-operator:concurrency",
            2,
            "br:canary:update-operator:window | br:canary:update-operator:max-concurrent-updates",
        ),
        (
            {"br:production:update-operator:window": "0 0 3 * * Tue *"},
            "br:production:update-operator:window",
            "0 0 3 * * Tue *",
            "unset while br:production:update-operator is false",
        ),
        (
            {"br:canary:update-operator": "false", "br:canary:update-operator:max-concurrent-updates": 2},
            "br:canary:update-operator:max-concurrent-updates",
            2,
            "unset while br:canary:update-operator is false",
        ),
    ],
)
def test_each_bad_value_is_named(context: dict[str, Any], field: str, value: object, allowed: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(context)
    problems = [p for p in exc.value.problems if p.field == field]
    assert problems, exc.value.problems
    assert problems[0].value == value
    assert allowed in problems[0].allowed


def test_every_problem_of_every_stage_comes_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(
            {
                "br:production:regions": "us-east-1,eu-west-1",
                "br:production:update-operator": "maybe",
                "br:canary:update-operator:window": "nope",
            }
        )
    fields = [p.field for p in exc.value.problems]
    # named once, though production has two regions
    assert fields.count("br:production:update-operator") == 1
    assert "br:canary:update-operator:window" in fields


def test_an_imported_vpc_puts_the_kubectl_lambda_in_its_private_subnets(tmp_path: Path) -> None:
    subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1", "subnet-0123456789abcdef2"]
    templates = synth_with(
        {
            "br:stages": "canary",
            "br:canary:vpc-id": "vpc-0123456789abcdef0",
            "br:canary:private-subnet-ids": ",".join(subnets),
        },
        tmp_path,
    )
    fns = _of_type(templates["BrCanaryOperators"], "AWS::Lambda::Function")
    (handler,) = [f for k, f in fns.items() if "ProviderHandler" in k]
    assert handler["Properties"]["VpcConfig"]["SubnetIds"] == subnets
