"""EKS node logging: the add-on's Fluent Bit reads the journal, ships to the stage's encrypted groups with a
Pod Identity role scoped to them, tolerates every taint, and the platform stack holds no Lambda."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_br.eks.pair import CUTOVER_TAINT_KEY
from constructs_br.errors import ConfigError
from constructs_br.logs.eks import AddonSettings, fluent_bit_pod_manifest
from constructs_br.logs.fluentbit import eks_node_config, tag_matches
from constructs_br.logs.shipping import SHIPPING_ACTIONS
from stacks.logging import logging_config
from tests.unit.logs.helpers import addon_sections, addon_values, eks_stack, log_group_names, of_type, text


@pytest.fixture(scope="module")
def pilot() -> tuple[dict[str, Any], Any, Any]:
    return eks_stack("pilot")


def test_every_log_group_has_kms_and_retention(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    template = pilot[0]
    groups = of_type(template, "AWS::Logs::LogGroup")
    assert len(groups) >= 4  # host, containers, sessions, performance (+ the cluster's control plane)
    for logical_id, group in groups.items():
        assert "KmsKeyId" in group["Properties"], logical_id
        assert group["Properties"].get("RetentionInDays") in (365, 731), logical_id


def test_group_names_are_the_stage_api(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    names = log_group_names(pilot[0])
    assert {"/constructs-br/pilot/eks/host", "/constructs-br/pilot/eks/containers"} <= names
    # Session logs belong to the stage's Session Manager document (constructs_br.access), not to node logging.
    assert "/constructs-br/pilot/sessions" not in names
    assert pilot[1].groups.names.sessions is None


def test_journal_input_and_container_logs_with_metadata(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    sections = addon_sections(pilot[0])
    (journal,) = [s for s in sections if s.get("Name") == "systemd"]
    assert journal.get("Path") == "/var/log/journal"  # Bottlerocket's journal, under the add-on's /var/log mount
    assert any(s.get("Name") == "kubernetes" for s in sections)
    assert any(s.get("Name") == "tail" and s.get("Path") == "/var/log/containers/*.log" for s in sections)


def test_every_output_writes_to_a_group_of_the_stack_and_every_tag_is_routed(
    pilot: tuple[dict[str, Any], Any, Any],
) -> None:
    template = pilot[0]
    sections = addon_sections(template)
    outputs = [s for s in sections if s.name == "OUTPUT"]
    names = log_group_names(template)
    for o in outputs:
        assert o.get("Name") == "cloudwatch_logs"
        assert o.get("log_group_name") in names
        assert o.get("auto_create_group") == "false"
    for i in (s for s in sections if s.name == "INPUT"):
        assert any(tag_matches(o.get("Match") or "", i.get("Tag") or "") for o in outputs), i


def test_the_chart_default_files_are_all_replaced(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    files = addon_values(pilot[0])["containerLogs"]["fluentBit"]["config"]["extraFiles"]
    assert set(files) == {"application-log.conf", "dataplane-log.conf", "host-log.conf"}
    assert "auto_create_group true" not in json.dumps(files)
    assert "{{" not in json.dumps(files)  # the chart runs extraFiles through tpl


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for res in of_type(template, kind).values():
            out += res["Properties"]["PolicyDocument"]["Statement"]
    for role in of_type(template, "AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            out += policy["PolicyDocument"]["Statement"]
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def assert_log_iam_scoped(template: dict[str, Any], exempt_sids: tuple[str, ...] = ()) -> int:
    """Every statement granting a logs: action names only the stack's groups (and their streams), with exactly the
    shipping actions; returns how many statements were checked."""
    names = log_group_names(template)
    checked = 0
    for st in _statements(template):
        actions = [a for a in _as_list(st["Action"]) if a.startswith("logs:")]
        if not actions or st.get("Sid") in exempt_sids:
            continue
        checked += 1
        assert "logs:*" not in actions, st
        assert "logs:CreateLogGroup" not in actions, st
        assert set(actions) <= set(SHIPPING_ACTIONS), st
        for resource in _as_list(st["Resource"]):
            arn = text(resource)
            assert arn != "*", st
            group = arn.split(":log-group:", 1)[1] if ":log-group:" in arn else None
            if group is None and arn.startswith("<GetAtt:") and arn.endswith(".Arn>"):
                continue  # a LogGroup's own Arn attribute (CDK's awslogs grant): a group of this stack
            assert group is not None, arn
            group = group.removesuffix(":log-stream:*")
            if group.startswith("<Ref:"):  # a group referenced by Ref: its name in this template
                ref = template["Resources"][group[5:-1]]
                assert ref["Type"] == "AWS::Logs::LogGroup", ref
                group = text(ref["Properties"]["LogGroupName"])
            assert group in names, (group, names)
    return checked


def test_log_iam_is_scoped_to_the_stage_groups(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    template = pilot[0]
    assert assert_log_iam_scoped(template) >= 1
    (policy,) = [
        p
        for p in of_type(template, "AWS::IAM::ManagedPolicy").values()
        if "amazon-cloudwatch-observability" in p["Properties"].get("Description", "")
    ]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(statement["Action"]) == sorted(SHIPPING_ACTIONS)


def test_the_scope_check_fails_on_a_planted_wildcard(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    planted = json.loads(json.dumps(pilot[0]))
    planted["Resources"]["Planted"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"PolicyDocument": {"Statement": [{"Action": "logs:PutLogEvents", "Resource": "*"}]}},
    }
    with pytest.raises(AssertionError):
        assert_log_iam_scoped(planted)


def test_pod_identity_binds_the_addon_service_account(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    template = pilot[0]
    (addon,) = [
        a
        for a in of_type(template, "AWS::EKS::Addon").values()
        if a["Properties"]["AddonName"] == "amazon-cloudwatch-observability"
    ]
    (assoc,) = addon["Properties"]["PodIdentityAssociations"]
    assert assoc["ServiceAccount"] == "cloudwatch-agent"
    role_id = assoc["RoleArn"]["Fn::GetAtt"][0]
    trust = template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    deps = set(_as_list(addon.get("DependsOn", [])))
    core_dns = [k for k, v in of_type(template, "AWS::EKS::Addon").items() if v["Properties"]["AddonName"] == "coredns"]
    agent = [
        k
        for k, v in of_type(template, "AWS::EKS::Addon").items()
        if v["Properties"]["AddonName"] == "eks-pod-identity-agent"
    ]
    assert set(core_dns) <= deps
    assert set(agent) <= deps


def test_daemon_tolerates_the_cutover_taint_and_has_resources_and_priority(
    pilot: tuple[dict[str, Any], Any, Any],
) -> None:
    values = addon_values(pilot[0])
    taint = {"key": CUTOVER_TAINT_KEY, "value": "", "effect": "NoSchedule"}
    assert any(_tolerates(t, taint) for t in values["tolerations"])
    for effect in ("NoSchedule", "NoExecute", "PreferNoSchedule"):
        assert any(_tolerates(t, {"key": "anything", "effect": effect}) for t in values["tolerations"])
    fluent = values["containerLogs"]["fluentBit"]
    assert set(fluent["resources"]) == {"requests", "limits"}
    assert fluent["priorityClassName"] == "system-node-critical"


def _tolerates(toleration: dict[str, str], taint: dict[str, str]) -> bool:
    """Kubernetes' rule: empty key + Exists tolerates every taint; otherwise key, value and effect must match."""
    if toleration.get("effect") and toleration["effect"] != taint["effect"]:
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return not toleration.get("key") or toleration["key"] == taint["key"]
    return toleration.get("key") == taint["key"] and toleration.get("value", "") == taint.get("value", "")


def test_logging_adds_no_lambda_or_custom_resource(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    ours = {k: r["Type"] for k, r in pilot[0]["Resources"].items() if k.startswith("NodeLog")}
    assert "AWS::EKS::Addon" in ours.values()
    assert len(ours) >= 6
    for logical_id, cfn_type in ours.items():
        assert cfn_type != "AWS::Lambda::Function", logical_id
        assert not cfn_type.startswith("Custom::"), logical_id
        assert cfn_type != "AWS::CloudFormation::CustomResource", logical_id


def test_image_pinned_by_digest_in_the_addon(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    tag = addon_values(pilot[0])["containerLogs"]["fluentBit"]["image"]["tag"]
    assert "@sha256:" in tag
    assert "latest" not in tag


def test_manifest_fragments_validate_against_the_cluster_kubernetes_schema() -> None:
    kv = pytest.importorskip("kubernetes_validate")
    manifest = fluent_bit_pod_manifest(AddonSettings())
    kv.validate(manifest, "1.33", strict=True)
    bad = fluent_bit_pod_manifest(AddonSettings())
    bad["spec"]["tolerations"] = [{"operator": "Exists", "effect": 7}]
    with pytest.raises(kv.ValidationError):
        kv.validate(bad, "1.33", strict=True)


def test_production_retention_and_retained(tmp_path: Path) -> None:
    template, _, _ = eks_stack("production")
    for logical_id, group in of_type(template, "AWS::Logs::LogGroup").items():
        if "NodeLog" in logical_id:
            assert group["Properties"]["RetentionInDays"] == 731, logical_id
            assert group["DeletionPolicy"] == "Retain", logical_id


def test_pilot_groups_are_deleted_with_the_stack(pilot: tuple[dict[str, Any], Any, Any]) -> None:
    for logical_id, group in of_type(pilot[0], "AWS::Logs::LogGroup").items():
        if logical_id.startswith("NodeLogs"):
            assert group["Properties"]["RetentionInDays"] == 365
            assert group["DeletionPolicy"] == "Delete", logical_id


def test_an_output_to_a_group_outside_the_stack_is_refused() -> None:
    from aws_cdk import App
    from aws_cdk import aws_eks_v2 as eks

    from constructs_br.logs.eks import EksNodeLogging
    from constructs_br.logs.groups import NodeLogGroups
    from constructs_br.platform import FleetKey, PinnedAzStack

    cfg = eks_node_config(region="us-west-2", host_log_group="/elsewhere/host", containers_log_group="/elsewhere/c")
    env = {"account": "123456789012", "region": "us-west-2"}
    stack = PinnedAzStack(App(), "S", availability_zones=("us-west-2a", "us-west-2b"), env=env)
    groups = NodeLogGroups(
        stack, "G", prefix="/constructs-br/pilot/eks", key=FleetKey(stack, "Key", description="k").key
    )
    cluster = eks.Cluster.from_cluster_attributes(stack, "C", cluster_name="c")
    with pytest.raises(ConfigError, match=r"eks_logging\.fluent_bit\.outputs\.log_group_name: got '/elsewhere/c'"):
        EksNodeLogging(stack, "L", cluster=cluster, groups=groups, fluent_bit=cfg)


def test_nag_gates_pass(tmp_path: Path) -> None:
    eks_stack("canary", nag_dir=tmp_path)  # synth raises on any unacknowledged finding
    report = json.loads((tmp_path / "validation-report.json").read_text())
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin["violations"]


def test_config_context_overrides() -> None:
    digest = "sha256:" + "d" * 64
    cfg = logging_config(
        "canary",
        {
            "br:logging:fluent-bit-image": f"public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.5@{digest}",
            "br:canary:logging:addon-version": "v4.1.0-eksbuild.1",
        },
    )
    assert cfg.image.digest == digest
    assert cfg.addon_version == "v4.1.0-eksbuild.1"
    with pytest.raises(ConfigError) as exc:
        logging_config("canary", {"br:canary:logging:adon-version": "v1", "br:logging:fluent-bit-image": "x:latest"})
    assert "br:canary:logging:adon-version" in exc.value.fields
    assert "br:logging:fluent-bit-image" in exc.value.fields
