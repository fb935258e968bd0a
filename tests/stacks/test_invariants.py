"""Template invariants (issue 11): what CloudFormation, KMS and EKS check only at deploy time, over every
synthesized stack — and each rule against a planted defect, so it is seen to fail."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from constructs_br.images import Lockfile
from stacks.app import ROOT, load_lockfile
from tests.stacks import invariants as inv

RULES: dict[str, Callable[[inv.Template], list[str]]] = {
    "key-policy-principals-exist": inv.key_policy_principals,
    "nodegroups-after-cni": inv.nodegroups_after_cni,
    "core-addons-managed": inv.core_addons_managed,
    "nodegroup-versions": inv.nodegroup_versions,
    "capacity-after-policies": inv.capacity_after_policies,
    "subnet-zones": inv.subnet_zones,
    "custom-ami-registration": inv.custom_ami_registration,
    "public-endpoints": inv.public_endpoints,
    "control-plane-logs": inv.control_plane_logs,
    "ecs-managed-draining": inv.ecs_managed_draining,
    "log-groups-encrypted": inv.log_groups_encrypted,
    "no-wildcard-actions": inv.no_wildcard_actions,
    "admin-container-off": inv.admin_container_off,
}


def _example_images(lock: Lockfile, region: str) -> set[str]:
    return {v for p in lock.example_pins() if p.region == region for v in (p.image_id, p.image_version)}


@pytest.fixture(scope="module")
def regions(assembly: Any) -> Mapping[str, str]:
    return {s.stack_name: s.environment.region for s in assembly.stacks}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_stack_keeps_the_rule(rule: str, templates: Mapping[str, dict[str, Any]]) -> None:
    found = {name: RULES[rule](t) for name, t in templates.items()}
    assert {k: v for k, v in found.items() if v} == {}


def test_every_stack_using_example_pins_refuses_to_deploy(
    templates: Mapping[str, dict[str, Any]], regions: Mapping[str, str]
) -> None:
    lock = load_lockfile({}, ROOT)
    assert lock.example_pins(), "the committed pins are examples (this repository has no AWS account)"
    for name, t in templates.items():
        assert inv.example_pins_refused(t, _example_images(lock, regions[name])) == [], name
        assert "ExamplePinsRefused" in t.get("Rules", {}), name  # every stack here runs an example pin
        assert "PlaceholderImageRefused" in t.get("Rules", {}), name  # and ships logs with the placeholder digest


# --- planted defects: each rule fails on the defect it exists for -----------------------------------------------
def _plant(template: Mapping[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    t = copy.deepcopy(dict(template))
    edit(t)
    return t


def _first(
    t: dict[str, Any], cfn_type: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
) -> dict[str, Any]:
    return next(v for v in t["Resources"].values() if v["Type"] == cfn_type and where(v))


def _slr_principal(t: dict[str, Any]) -> None:
    stmt = next(
        s
        for s in _first(t, "AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowAutoScalingToUseKeyForNodeVolumes"
    )
    stmt["Principal"] = {"AWS": "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/X"}
    del stmt["Condition"]


def _no_cni_dependency(t: dict[str, Any]) -> None:
    _first(t, "AWS::EKS::Nodegroup").pop("DependsOn", None)


def _no_kube_proxy(t: dict[str, Any]) -> None:
    t["Resources"] = {
        k: v for k, v in t["Resources"].items() if v.get("Properties", {}).get("AddonName") != "kube-proxy"
    }


def _no_version(t: dict[str, Any]) -> None:
    _first(t, "AWS::EKS::Nodegroup", lambda v: "AmiType" in v["Properties"])["Properties"].pop("Version")


def _policy_by_roles(t: dict[str, Any]) -> None:
    role_id, role = next((k, v) for k, v in t["Resources"].items() if "NodeRole" in k and v["Type"] == "AWS::IAM::Role")
    policy = role["Properties"]["ManagedPolicyArns"].pop(0)  # the node policy: attached by its Roles instead
    t["Resources"][policy["Ref"]]["Properties"]["Roles"] = [{"Ref": role_id}]


def _refused_zone(t: dict[str, Any]) -> None:
    sub = _first(t, "AWS::EC2::Subnet")["Properties"]
    sub.pop("AvailabilityZone", None)
    sub["AvailabilityZoneId"] = "use1-az3"


def _labels_only_by_api(t: dict[str, Any]) -> None:
    ng = _first(t, "AWS::EKS::Nodegroup", lambda v: "AmiType" not in v["Properties"])
    ng["Properties"]["Labels"]["team"] = "payments"


def _open_endpoint(t: dict[str, Any]) -> None:
    _first(t, "AWS::EKS::Cluster")["Properties"]["ResourcesVpcConfig"]["PublicAccessCidrs"] = ["0.0.0.0/0"]


def _eks_makes_the_log_group(t: dict[str, Any]) -> None:
    t["Resources"] = {k: v for k, v in t["Resources"].items() if "LogGroupName" not in v.get("Properties", {})}
    for v in t["Resources"].values():
        if isinstance(v.get("DependsOn"), list):
            v["DependsOn"] = [d for d in v["DependsOn"] if d in t["Resources"]]


def _no_managed_draining(t: dict[str, Any]) -> None:
    _first(t, "AWS::ECS::CapacityProvider")["Properties"]["AutoScalingGroupProvider"].pop("ManagedDraining")


def _unencrypted_log_group(t: dict[str, Any]) -> None:
    _first(t, "AWS::Logs::LogGroup")["Properties"].pop("KmsKeyId")


def _wildcard_action(t: dict[str, Any]) -> None:
    _first(t, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = "ssm:*"


def _admin_on(t: dict[str, Any]) -> None:
    lt = _first(
        t,
        "AWS::EC2::LaunchTemplate",
        lambda v: isinstance(v["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"], str),
    )
    ud = lt["Properties"]["LaunchTemplateData"]["UserData"]
    ud["Fn::Base64"] = ud["Fn::Base64"].replace(
        "[settings.host-containers.admin]\nenabled = false", "[settings.host-containers.admin]\nenabled = true"
    )


PLANTED: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "key-policy-principals-exist": ("BrProduction", _slr_principal),
    "nodegroups-after-cni": ("BrPilot", _no_cni_dependency),
    "core-addons-managed": ("BrPilot", _no_kube_proxy),
    "nodegroup-versions": ("BrPilot", _no_version),
    "capacity-after-policies": ("BrPilot", _policy_by_roles),
    "subnet-zones": ("BrCanary", _refused_zone),
    "custom-ami-registration": ("BrProduction", _labels_only_by_api),
    "public-endpoints": ("BrPilot", _open_endpoint),
    "control-plane-logs": ("BrProduction", _eks_makes_the_log_group),
    "ecs-managed-draining": ("BrPilotEcs", _no_managed_draining),
    "log-groups-encrypted": ("BrPilotEcs", _unencrypted_log_group),
    "no-wildcard-actions": ("BrPilot", _wildcard_action),
    "admin-container-off": ("BrProduction", _admin_on),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_rule_fails_on_its_planted_defect(rule: str, templates: Mapping[str, dict[str, Any]]) -> None:
    assert set(PLANTED) == set(RULES)
    stack, edit = PLANTED[rule]
    assert RULES[rule](templates[stack]) == []
    assert RULES[rule](_plant(templates[stack], edit)) != []


def test_example_pin_rule_fails_when_the_rule_is_stripped(
    templates: Mapping[str, dict[str, Any]], regions: Mapping[str, str]
) -> None:
    lock = load_lockfile({}, ROOT)
    planted = _plant(templates["BrPilotEcs"], lambda t: t["Rules"].pop("ExamplePinsRefused"))
    assert inv.example_pins_refused(planted, _example_images(lock, regions["BrPilotEcs"])) != []


def test_real_pins_carry_no_refusal(tmp_path: Any) -> None:
    """With the example flag cleared (what `brctl pins refresh` writes) and a reviewed Fluent Bit digest, no stack
    carries a refusal rule or its parameter."""
    from stacks.app import build_app, cdk_json_context

    lock = load_lockfile({}, ROOT)
    real = Lockfile([__import__("dataclasses").replace(p, example=False) for p in lock.pins()])
    path = tmp_path / "real.lock.json"
    real.save(path)
    digest = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0@sha256:" + "ab" * 32
    context = {**cdk_json_context(), "br:lockfile": str(path), "br:logging:fluent-bit-image": digest}
    assembly = build_app(context, outdir=str(tmp_path / "out")).synth()
    for stack in assembly.stacks:
        assert "ExamplePinsRefused" not in stack.template.get("Rules", {}), stack.stack_name
        assert "PlaceholderImageRefused" not in stack.template.get("Rules", {}), stack.stack_name
        assert "ExampleValues" not in stack.template.get("Parameters", {}), stack.stack_name
