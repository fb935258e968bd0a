"""Stage wiring: default pairs per stage, per-slot context overrides, and the synthesized platform stacks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from constructs_br.bluegreen import Phase
from constructs_br.errors import ConfigError
from stacks.config import load_config
from tests.unit.eks.helpers import PREVIOUS

_CUSTOM = ("AWS::Lambda::", "Custom::", "AWS::CloudFormation::CustomResource")


def _nodegroups(template: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::EKS::Nodegroup"}


def test_production_has_both_image_paths(templates: Mapping[str, Any]) -> None:
    ngs = {k: v["Properties"] for k, v in _nodegroups(templates["BrProduction"]).items()}
    managed = [p for p in ngs.values() if "AmiType" in p]
    custom = [p for p in ngs.values() if "AmiType" not in p]
    assert managed
    assert custom
    assert all("Version" in p for p in managed)
    assert not any("Version" in p for p in custom)
    assert all(p["Tags"]["constructs-br:slot"] == "blue" for p in ngs.values())  # default phase


@pytest.mark.parametrize("stack", ["BrPilot", "BrCanary", "BrProduction"])
def test_node_groups_are_ordered_around_the_core_addons(templates: Mapping[str, Any], stack: str) -> None:
    resources = templates[stack]["Resources"]
    addons = {r["Properties"]["AddonName"]: k for k, r in resources.items() if r["Type"] == "AWS::EKS::Addon"}
    assert {"vpc-cni", "eks-pod-identity-agent", "kube-proxy", "coredns"} <= set(addons)
    groups = _nodegroups(templates[stack])
    assert groups
    for ng in groups.values():
        assert {addons["vpc-cni"], addons["eks-pod-identity-agent"]} <= set(ng.get("DependsOn", []))
    assert set(groups) <= set(resources[addons["coredns"]].get("DependsOn", []))


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
    addons = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::EKS::Addon"]
    cni = [a for a in addons if a["AddonName"] == "vpc-cni"]
    assert cni[0]["PodIdentityAssociations"][0]["ServiceAccount"] == "aws-node"
    assert any(a["AddonName"] == "eks-pod-identity-agent" for a in addons)


def test_phase_and_slot_overrides_come_from_context() -> None:
    stage = load_config(
        {
            "br:production:pair:general:phase": "blue+green",
            "br:production:pair:general:blue:image-version": PREVIOUS,
            "br:production:pair:general:green:instance-types": "m8i.large, m7i.xlarge",
        }
    ).stage("production")
    general = next(p for p in stage.pairs if p.name == "general")
    assert general.phase is Phase.BLUE_GREEN
    blue, green = general.slot_spec("blue"), general.slot_spec("green")
    assert blue.image_version == PREVIOUS
    assert green.image_version is None  # follows the lockfile's current pin
    assert green.instance_types == ("m8i.large", "m7i.xlarge")
    assert blue.instance_types == general.base.instance_types  # the staying slot is untouched
    arm = next(p for p in stage.pairs if p.name == "arm")
    assert arm.phase is Phase.BLUE
    assert not arm.blue
    assert not arm.green


def test_an_empty_image_version_follows_the_current_pin() -> None:
    stage = load_config({"br:pilot:pair:general:blue:image-version": ""}).stage("pilot")
    assert stage.pairs[0].slot_spec("blue").image_version is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("br:pilot:pair:general:phase", "purple"),
        ("br:pilot:pair:nope:phase", "blue"),
        ("br:pilot:pair:general:phse", "green"),
        ("br:pilot:pair:general:green:instance-type", "m8i.large"),
        ("br:pilot:pair:general:red:instance-types", "m8i.large"),
        ("br:pilot:pair:general:green:instance-types", ""),
        ("br:pilot:pair:general:blue:image-version", "1.49.0"),
        ("br:pilot:pair:general:retire-outgoing", "true"),  # ECS only
    ],
)
def test_bad_overrides_are_named(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({key: value})
    assert key in exc.value.fields, exc.value.fields


def test_bad_overrides_come_all_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({"br:pilot:pair:general:phase": "purple", "br:pilot:pair:nope:phase": "blue"})
    assert {"br:pilot:pair:general:phase", "br:pilot:pair:nope:phase"} <= set(exc.value.fields)


def test_an_override_the_spec_rejects_is_refused() -> None:
    """An arm64 instance type on the x86_64 general pair: refused when the config loads, not at deploy."""
    with pytest.raises(ConfigError) as exc:
        load_config(
            {"br:pilot:pair:general:phase": "blue+green", "br:pilot:pair:general:green:instance-types": "m7g.large"}
        )
    # Named as the user wrote it: the context key.
    assert exc.value.fields == ("br:pilot:pair:general:green:instance-types",)
    assert "m7g.large" in str(exc.value)
