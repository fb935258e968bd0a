"""Stage wiring: default pairs per stage, context overrides, userdata_for, and the synthesized platform stacks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from constructs_br.errors import ConfigError
from stacks.config import load_config, userdata_for

_CUSTOM = ("AWS::Lambda::", "Custom::", "AWS::CloudFormation::CustomResource")


def _nodegroups(template: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::EKS::Nodegroup"}


def test_production_has_both_image_paths(templates: Mapping[str, Any]) -> None:
    ngs = _nodegroups(templates["BrProduction"])
    managed = [p for p in ngs.values() if "AmiType" in p]
    custom = [p for p in ngs.values() if "AmiType" not in p]
    assert managed
    assert custom
    assert all(p["Tags"]["constructs-br:slot"] == "blue" for p in ngs.values())  # default phase


@pytest.mark.parametrize("stack", ["BrPilot", "BrCanary", "BrProduction"])
def test_no_lambda_or_custom_resource_on_the_node_group_path(templates: Mapping[str, Any], stack: str) -> None:
    resources = templates[stack]["Resources"]
    custom = {k for k, r in resources.items() if r["Type"].startswith(_CUSTOM)}
    # The only custom resource is the foundation's VPC default-SG restriction; nothing on the node-group path
    # is one, or references / depends on one.
    assert all("RestrictDefaultS" in k for k in custom), custom
    node_path = {k: r for k, r in resources.items() if "NodeGroups" in k or k.startswith("VpcCni")}
    assert node_path
    for r in node_path.values():
        assert not r["Type"].startswith(_CUSTOM)
        assert not any(c in str(r) for c in custom)
    types = {r["Type"] for r in resources.values()}
    assert "AWS::EKS::Nodegroup" in types
    addons = [r["Properties"] for r in templates[stack]["Resources"].values() if r["Type"] == "AWS::EKS::Addon"]
    cni = [a for a in addons if a["AddonName"] == "vpc-cni"]
    assert cni[0]["PodIdentityAssociations"][0]["ServiceAccount"] == "aws-node"
    assert any(a["AddonName"] == "eks-pod-identity-agent" for a in addons)


def test_phase_and_slot_pins_come_from_context() -> None:
    stage = load_config(
        {"br:production:pair:general:phase": "blue+green", "br:production:pair:general:blue:image-version": "1.2.3-x"}
    ).stage("production")
    general = next(p for p in stage.pairs if p.name == "general")
    assert general.phase.value == "blue+green"
    assert general.blue_image_version == "1.2.3-x"


def test_bad_overrides_are_named() -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({"br:pilot:pair:general:phase": "purple", "br:pilot:pair:nope:phase": "blue"})
    assert "br:pilot:pair:general:phase" in exc.value.fields
    assert "br:pilot:pair:nope:phase" in exc.value.fields


def test_userdata_for_defaults_to_the_first_pair() -> None:
    text = userdata_for("production", None)
    assert text == userdata_for("production", "general")
    assert "cluster-name" not in text  # EKS-managed path: EKS injects the join keys


def test_userdata_for_custom_ami_pair_has_join_keys() -> None:
    text = userdata_for("production", "arm")
    assert 'cluster-dns-ip = "172.20.0.10"' in text
    assert "api-server" in text


def test_userdata_for_unknown_nodegroup_lists_the_allowed() -> None:
    with pytest.raises(ConfigError, match=r"general \| arm"):
        userdata_for("production", "gpu")
