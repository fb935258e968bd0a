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
    "node-addons-after-node-groups": inv.node_addons_after_node_groups,
    "no-lambda-with-capacity": inv.no_lambda_with_capacity,
    "kubectl-after-access-entry": inv.kubectl_after_access_entry,
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


@pytest.fixture(scope="module")
def library() -> dict[str, Any]:
    """What a library user builds: cluster and node groups in one stack (the app splits them, so no app stack has
    a node group on a cluster of its own template)."""
    from aws_cdk.assertions import Template

    from constructs_br.bluegreen import PairSpec
    from constructs_br.eks import BlueGreenNodeGroupPair, NodeGroupSpec
    from tests.unit.eks.helpers import br_cluster_stack, lockfile

    stack, cluster, key = br_cluster_stack()
    spec = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",))
    pair = PairSpec(name="general", base=spec)
    BlueGreenNodeGroupPair(stack, "GeneralNodeGroups", cluster=cluster, pair=pair, lockfile=lockfile(), volume_key=key)
    return dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def sources(templates: Mapping[str, dict[str, Any]], library: dict[str, Any]) -> Mapping[str, dict[str, Any]]:
    return {**templates, "Library": library}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_stack_keeps_the_rule(rule: str, sources: Mapping[str, dict[str, Any]]) -> None:
    found = {name: RULES[rule](t) for name, t in sources.items()}
    assert {k: v for k, v in found.items() if v} == {}


def _dependencies(assembly: Any) -> dict[str, set[str]]:
    return {s.stack_name: {d.id for d in s.dependencies} for s in assembly.stacks}


def test_every_stack_deploys_after_the_stacks_it_reads(assembly: Any, templates: Mapping[str, dict[str, Any]]) -> None:
    deps = _dependencies(assembly)
    assert inv.cross_stack_order(templates, deps) == []
    nodes = [n for n in templates if n.endswith("Nodes")]
    assert nodes
    for name in nodes:  # the node-group stacks read the cluster, key and session policy of their platform stack
        assert name.removesuffix("Nodes") in deps[name]


def test_cross_stack_order_fails_without_the_dependency(assembly: Any, templates: Mapping[str, dict[str, Any]]) -> None:
    deps = _dependencies(assembly)
    deps["BrPilotNodes"] = deps["BrPilotNodes"] - {"BrPilot"}
    assert inv.cross_stack_order(templates, deps) == ["BrPilotNodes: reads outputs of BrPilot without depending on it"]


def test_every_stack_using_example_pins_refuses_to_deploy(
    templates: Mapping[str, dict[str, Any]], regions: Mapping[str, str]
) -> None:
    lock = load_lockfile({}, ROOT)
    assert lock.example_pins(), "the committed pins are examples (this repository has no AWS account)"
    for name, t in templates.items():
        assert inv.example_pins_refused(t, _example_images(lock, regions[name])) == [], name
        # Every capacity stack runs an example pin and ships logs with the placeholder digest; the platform stacks
        # launch nothing (their Config rules only list the pinned AMI IDs) and ship no logs.
        capacity = name.endswith(("Nodes", "Ecs"))
        assert ("ExamplePinsRefused" in t.get("Rules", {})) is capacity, name
        assert ("PlaceholderImageRefused" in t.get("Rules", {})) is capacity, name


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


def _coredns_first(t: dict[str, Any]) -> None:
    _first(t, "AWS::EKS::Addon", lambda v: v["Properties"]["AddonName"] == "coredns").pop("DependsOn")


def _lambda_beside_capacity(t: dict[str, Any]) -> None:
    t["Resources"]["Handler"] = {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.13"}}


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


def _chart_before_access(t: dict[str, Any]) -> None:
    """The provider framework no longer waits for the access entry (the chart reaches it only through that)."""
    for res in t["Resources"].values():
        deps = res.get("DependsOn")
        if isinstance(deps, list):
            res["DependsOn"] = [d for d in deps if t["Resources"].get(d, {}).get("Type") != "AWS::EKS::AccessEntry"]


PLANTED: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "key-policy-principals-exist": ("BrProduction", _slr_principal),
    "nodegroups-after-cni": ("Library", _no_cni_dependency),
    "core-addons-managed": ("BrPilot", _no_kube_proxy),
    "node-addons-after-node-groups": ("BrPilotNodes", _coredns_first),
    "no-lambda-with-capacity": ("BrPilotNodes", _lambda_beside_capacity),
    "kubectl-after-access-entry": ("BrCanaryOperators", _chart_before_access),
    "nodegroup-versions": ("BrPilotNodes", _no_version),
    "capacity-after-policies": ("BrPilotNodes", _policy_by_roles),
    "subnet-zones": ("BrCanary", _refused_zone),
    "custom-ami-registration": ("BrProductionNodes", _labels_only_by_api),
    "public-endpoints": ("BrPilot", _open_endpoint),
    "control-plane-logs": ("BrProduction", _eks_makes_the_log_group),
    "ecs-managed-draining": ("BrPilotEcs", _no_managed_draining),
    "log-groups-encrypted": ("BrPilotEcs", _unencrypted_log_group),
    "no-wildcard-actions": ("BrPilot", _wildcard_action),
    "admin-container-off": ("BrProductionNodes", _admin_on),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_rule_fails_on_its_planted_defect(rule: str, sources: Mapping[str, dict[str, Any]]) -> None:
    assert set(PLANTED) == set(RULES)
    stack, edit = PLANTED[rule]
    assert RULES[rule](sources[stack]) == []
    assert RULES[rule](_plant(sources[stack], edit)) != []


def test_the_ecs_stacks_hold_no_lambda(templates: Mapping[str, dict[str, Any]]) -> None:
    """The capacity rule reaches the ECS stacks too: Auto Scaling groups and no Lambda function."""
    for name in (n for n in templates if n.endswith("Ecs")):
        types = {r["Type"] for r in templates[name]["Resources"].values()}
        assert "AWS::AutoScaling::AutoScalingGroup" in types, name
        assert inv.no_lambda_with_capacity(templates[name]) == [], name
    planted = _plant(templates["BrPilotEcs"], _lambda_beside_capacity)
    assert inv.no_lambda_with_capacity(planted) == ["Handler: Lambda function in a stack with capacity"]


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


def test_the_operators_stacks_hold_the_kubectl_lambda_and_no_capacity(templates: Mapping[str, dict[str, Any]]) -> None:
    """The capacity and access-entry rules are not vacuous over the operators stacks: each has the kubectl Lambda
    and charts, no node group or Auto Scaling group; planting a node group beside the Lambda trips the rule."""
    operators = [n for n in templates if "Operators" in n]
    assert sorted(operators) == ["BrCanaryOperators", "BrPilotOperators", "BrProductionOperators"]
    for name in operators:
        types = [r["Type"] for r in templates[name]["Resources"].values()]
        assert "AWS::Lambda::Function" in types, name
        assert "Custom::AWSCDK-EKS-HelmChart" in types, name
        assert not {"AWS::EKS::Nodegroup", "AWS::AutoScaling::AutoScalingGroup"} & set(types), name
        assert inv.kubectl_after_access_entry(templates[name]) == [], name
    planted = _plant(
        templates["BrPilotOperators"],
        lambda t: t["Resources"].update(Planted={"Type": "AWS::EKS::Nodegroup", "Properties": {}}),
    )
    assert inv.no_lambda_with_capacity(planted) != []
