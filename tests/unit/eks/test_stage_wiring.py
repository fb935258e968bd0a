"""Stage wiring: default pairs per stage, per-slot context overrides, and the synthesized platform and node-group
stacks (``Br<Stage>`` holds the cluster and its CNI add-ons, ``Br<Stage>Nodes`` the node groups, then CoreDNS and
the log add-on)."""

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
    assert _nodegroups(templates["BrProduction"]) == {}
    ngs = {k: v["Properties"] for k, v in _nodegroups(templates["BrProductionNodes"]).items()}
    managed = [p for p in ngs.values() if "AmiType" in p]
    custom = [p for p in ngs.values() if "AmiType" not in p]
    assert managed
    assert custom
    assert all("Version" in p for p in managed)
    assert not any("Version" in p for p in custom)
    assert all(p["Tags"]["constructs-br:slot"] == "blue" for p in ngs.values())  # default phase


def _addons(template: Mapping[str, Any]) -> dict[str, str]:
    return {r["Properties"]["AddonName"]: k for k, r in template["Resources"].items() if r["Type"] == "AWS::EKS::Addon"}


@pytest.mark.parametrize("stage", ["Pilot", "Canary", "Production"])
def test_node_groups_are_ordered_around_the_core_addons(
    templates: Mapping[str, Any], assembly: Any, stage: str
) -> None:
    platform, nodes = templates[f"Br{stage}"], templates[f"Br{stage}Nodes"]
    # The CNI and the agent come with the cluster; the node-group stack deploys after that stack ...
    assert set(_addons(platform)) == {"vpc-cni", "eks-pod-identity-agent", "kube-proxy"}
    deps = {s.stack_name: {d.id for d in s.dependencies} for s in assembly.stacks}
    assert f"Br{stage}" in deps[f"Br{stage}Nodes"]
    # ... and the add-ons whose pods need a node come after its node groups: CoreDNS, then the log add-on.
    addons = _addons(nodes)
    assert set(addons) == {"coredns", "amazon-cloudwatch-observability"}
    groups = _nodegroups(nodes)
    assert groups
    resources = nodes["Resources"]
    assert set(groups) <= set(resources[addons["coredns"]]["DependsOn"])
    assert addons["coredns"] in resources[addons["amazon-cloudwatch-observability"]]["DependsOn"]
    assert addons["coredns"] == "CoreDns"


@pytest.mark.parametrize("stage", ["Pilot", "Canary", "Production"])
def test_no_lambda_or_custom_resource_on_the_node_group_path(templates: Mapping[str, Any], stage: str) -> None:
    platform = templates[f"Br{stage}"]["Resources"]
    custom = {k for k, r in platform.items() if r["Type"].startswith(_CUSTOM)}
    # The only custom resource is the foundation's VPC default-SG restriction, in the platform stack ...
    assert custom
    assert all("RestrictDefaultS" in k for k in custom), custom
    # ... and the node-group stack holds none, nor references one.
    nodes = templates[f"Br{stage}Nodes"]["Resources"]
    assert "AWS::EKS::Nodegroup" in {r["Type"] for r in nodes.values()}
    assert not [k for k, r in nodes.items() if r["Type"].startswith(_CUSTOM)]
    assert not any(c in str(nodes) for c in custom)
    cni = [r["Properties"] for r in platform.values() if r["Type"] == "AWS::EKS::Addon"]
    cni = [a for a in cni if a["AddonName"] == "vpc-cni"]
    assert cni[0]["PodIdentityAssociations"][0]["ServiceAccount"] == "aws-node"


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
