"""The platform and ECS stacks' secure defaults, asserted on the synthesized templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest


def _of_type(template: Mapping[str, Any], cfn_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == cfn_type]


@pytest.mark.parametrize("stack", ["BrPilot", "BrCanary", "BrProduction"])
def test_eks_cluster_is_native_encrypted_and_logs_everything(stack: str, templates: Mapping[str, Any]) -> None:
    template = templates[stack]
    (cluster,) = _of_type(template, "AWS::EKS::Cluster")
    props = cluster["Properties"]
    assert props["EncryptionConfig"][0]["Resources"] == ["secrets"]
    logging = {t["Type"] for t in props["Logging"]["ClusterLogging"]["EnabledTypes"]}
    assert logging == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    # No kubectl Lambda / custom resource: the only Lambda is CDK's default-security-group restrictor.
    customs = {r["Type"] for r in template["Resources"].values() if r["Type"].startswith("Custom::")}
    assert customs == {"Custom::VpcRestrictDefaultSG"}
    assert len(_of_type(template, "AWS::Lambda::Function")) == 1
    # No node group created implicitly (default capacity 0): every node group is one of our tagged slots, in the
    # node-group stack.
    assert _of_type(template, "AWS::EKS::Nodegroup") == []
    nodegroups = _of_type(templates[stack + "Nodes"], "AWS::EKS::Nodegroup")
    assert nodegroups
    assert all(ng["Properties"]["Tags"]["constructs-br:slot"] in ("blue", "green") for ng in nodegroups)
    (key,) = _of_type(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True


@pytest.mark.parametrize(("stack", "public"), [("BrPilot", True), ("BrCanary", False), ("BrProduction", False)])
def test_endpoint_private_outside_pilot(stack: str, public: bool, templates: Mapping[str, Any]) -> None:
    (cluster,) = _of_type(templates[stack], "AWS::EKS::Cluster")
    vpc_config = cluster["Properties"]["ResourcesVpcConfig"]
    assert vpc_config["EndpointPublicAccess"] is public
    assert vpc_config["EndpointPrivateAccess"] is True


@pytest.mark.parametrize("stack", ["BrPilot", "BrCanary", "BrProduction"])
def test_vpc_has_encrypted_flow_logs_and_no_public_ip_on_launch(stack: str, templates: Mapping[str, Any]) -> None:
    template = templates[stack]
    assert len(_of_type(template, "AWS::EC2::FlowLog")) == 1
    (flow_log,) = _of_type(template, "AWS::EC2::FlowLog")
    (log_group,) = [
        v
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::Logs::LogGroup" and flow_log["Properties"]["LogGroupName"] == {"Ref": k}
    ]
    assert "KmsKeyId" in log_group["Properties"]
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in _of_type(template, "AWS::EC2::Subnet"))


@pytest.mark.parametrize("stack", ["BrPilotEcs", "BrCanaryEcs", "BrProductionEcs"])
def test_ecs_cluster_has_container_insights(stack: str, templates: Mapping[str, Any]) -> None:
    (cluster,) = _of_type(templates[stack], "AWS::ECS::Cluster")
    assert {"Name": "containerInsights", "Value": "enhanced"} in cluster["Properties"]["ClusterSettings"]


def test_production_stacks_have_termination_protection(assembly: Any) -> None:
    protected = {s.stack_name: s.termination_protection for s in assembly.stacks}
    assert protected["BrProduction"] is True
    assert protected["BrProductionEcs"] is True
    assert protected["BrProductionNodes"] is True
    assert protected["BrPilot"] is False
    assert protected["BrPilotNodes"] is False
