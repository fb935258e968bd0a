"""Deploy-time rules of CloudFormation, KMS and EKS that synth never checks, as functions over a template.

Each returns the violations it finds (empty: the rule holds). tests/stacks/test_invariants.py runs every one over
every synthesized stack, and against a planted defect so each can be seen to fail.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

Template = Mapping[str, Any]

EKS_UNSUPPORTED_AZ_IDS = {"use1-az3", "usw1-az2", "cac1-az3"}


def resources(t: Template, cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in t.get("Resources", {}).items() if v["Type"] == cfn_type}


def _refs(value: Any) -> Iterator[str]:
    """Logical IDs ``value`` references (Ref, Fn::GetAtt, Fn::Sub ${X} / ${X.Attr})."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str) and not inner.startswith("AWS::"):
                yield inner
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                yield from re.findall(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9]+)?\}", str(text))
                if isinstance(inner, list):
                    yield from _refs(inner[1])
            else:
                yield from _refs(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def direct_deps(t: Template, logical_id: str) -> set[str]:
    res = t["Resources"][logical_id]
    depends = res.get("DependsOn", [])
    out = set([depends] if isinstance(depends, str) else depends)
    out.update(r for r in _refs(res.get("Properties", {})) if r in t["Resources"])
    return out


def all_deps(t: Template, logical_id: str) -> set[str]:
    """Everything CloudFormation must create before ``logical_id`` (transitively)."""
    seen: set[str] = set()
    todo = [logical_id]
    while todo:
        for dep in direct_deps(t, todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


# --- 1. key policies name only principals that exist ----------------------------------------------------------
def _existing_principal(entry: Any, roles: set[str]) -> bool:
    """The account root (literal or ``Fn::Join`` ending in ``:root``), or a role created in this template."""
    if isinstance(entry, str):
        return entry.endswith(":root")
    if isinstance(entry, dict) and "Fn::Join" in entry:
        parts = [p for p in entry["Fn::Join"][1] if isinstance(p, str)]
        return bool(parts) and parts[-1].endswith(":root")
    if isinstance(entry, dict) and "Fn::GetAtt" in entry:
        return next(iter(_refs(entry))) in roles
    return False


def key_policy_principals(t: Template) -> list[str]:
    """Every principal of every key policy: the account root, a service, a role created in this template, or ``*``
    narrowed by an ``aws:PrincipalArn`` condition. KMS rejects a policy naming a principal that does not exist."""
    roles = set(resources(t, "AWS::IAM::Role"))
    out = []
    for key_id, key in resources(t, "AWS::KMS::Key").items():
        for stmt in key["Properties"]["KeyPolicy"]["Statement"]:
            principal = stmt.get("Principal", {})
            if principal == "*" or principal == {"AWS": "*"}:
                cond = stmt.get("Condition", {})
                if not any("aws:PrincipalArn" in block for block in cond.values()):
                    out.append(f"{key_id}/{stmt.get('Sid')}: '*' without an aws:PrincipalArn condition")
                continue
            if "Service" in principal:
                continue
            aws = principal.get("AWS")
            for entry in aws if isinstance(aws, list) else [aws]:
                if not _existing_principal(entry, roles):
                    out.append(f"{key_id}/{stmt.get('Sid')}: principal {entry!r} may not exist")
    return out


# --- 2. node groups wait for the CNI and the Pod Identity agent ---------------------------------------------------
def _addons(t: Template) -> dict[str, str]:
    return {k: v["Properties"]["AddonName"] for k, v in resources(t, "AWS::EKS::Addon").items()}


def _local_cluster(t: Template, ng: Mapping[str, Any]) -> bool:
    """The node group's cluster is a resource of this template (not another stack's output)."""
    return any(r in resources(t, "AWS::EKS::Cluster") for r in _refs(ng["Properties"]["ClusterName"]))


def nodegroups_after_cni(t: Template) -> list[str]:
    """Node groups of a cluster in the same template depend on its CNI and agent add-ons. Node groups of another
    stack's cluster are ordered by the stack dependency (:func:`cross_stack_order`): the add-ons sit with it."""
    addons = _addons(t)
    need = {name: [k for k, n in addons.items() if n == name] for name in ("vpc-cni", "eks-pod-identity-agent")}
    out = []
    for ng, res in resources(t, "AWS::EKS::Nodegroup").items():
        if not _local_cluster(t, res):
            continue
        deps = all_deps(t, ng)
        for name, ids in need.items():
            if not ids or not set(ids) & deps:
                out.append(f"{ng}: does not depend on the {name} add-on")
    return out


def core_addons_managed(t: Template) -> list[str]:
    """A cluster's template holds kube-proxy and vpc-cni; coredns sits with the node groups (the cluster's template
    when they are there, else the node groups' own: :func:`node_addons_after_node_groups`)."""
    have = set(_addons(t).values())
    need = []
    if resources(t, "AWS::EKS::Cluster"):
        need += ["kube-proxy", "vpc-cni"]
    if resources(t, "AWS::EKS::Nodegroup"):
        need.append("coredns")
    return [f"missing EKS-managed add-on {n}" for n in need if n not in have]


NODE_ADDONS = ("coredns", "amazon-cloudwatch-observability")
"""EKS add-ons whose pods include a Deployment: created before any node, they sit DEGRADED until CloudFormation's
timeout (terraform-aws-eks #3001, pulumi-eks #1819)."""


def node_addons_after_node_groups(t: Template) -> list[str]:
    """Every add-on of :data:`NODE_ADDONS` waits for every EKS node group of its template, and has one to wait for."""
    groups = set(resources(t, "AWS::EKS::Nodegroup"))
    out = []
    for aid, name in _addons(t).items():
        if name not in NODE_ADDONS:
            continue
        if not groups:
            out.append(f"{aid}: {name} in a stack without node groups (created before any node can run it)")
        out.extend(f"{aid}: {name} can be created before node group {ng}" for ng in sorted(groups - all_deps(t, aid)))
    return out


# --- 2b. stacks by rate of change ---------------------------------------------------------------------------------
def no_lambda_with_capacity(t: Template) -> list[str]:
    """No stack holding node groups or Auto Scaling groups holds a Lambda function: capacity stacks deploy on every
    cutover, and a Lambda (custom-resource handler) in them would ride along (runtime deprecations, cold failures)."""
    capacity = {**resources(t, "AWS::EKS::Nodegroup"), **resources(t, "AWS::AutoScaling::AutoScalingGroup")}
    if not capacity:
        return []
    return [f"{fid}: Lambda function in a stack with capacity" for fid in sorted(resources(t, "AWS::Lambda::Function"))]


KUBECTL_RESOURCES = ("Custom::AWSCDK-EKS-HelmChart", "Custom::AWSCDK-EKS-KubernetesResource")


def kubectl_after_access_entry(t: Template) -> list[str]:
    """Every Helm chart and Kubernetes manifest waits for an EKS access entry of its template (the kubectl
    provider's role gets cluster access only through it: applied before it, the chart fails Unauthorized)."""
    entries = set(resources(t, "AWS::EKS::AccessEntry"))
    out = []
    for cfn_type in KUBECTL_RESOURCES:
        for rid in sorted(resources(t, cfn_type)):
            if not entries & all_deps(t, rid):
                out.append(f"{rid}: {cfn_type} can be applied before the kubectl provider's access entry")
    return out


def _stack_outputs_used(value: Any) -> Iterator[str]:
    """Stack names of every ``Fn::GetStackOutput`` / ``Fn::ImportValue`` producer ``value`` reads."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Fn::GetStackOutput" and isinstance(inner, dict):
                yield str(inner["StackName"])
            elif key == "Fn::ImportValue" and isinstance(inner, str):
                yield inner.split(":")[0]
            else:
                yield from _stack_outputs_used(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _stack_outputs_used(item)


def cross_stack_order(templates: Mapping[str, Template], dependencies: Mapping[str, set[str]]) -> list[str]:
    """A stack reading another stack's outputs deploys after it: the producer is among its (transitive) stack
    dependencies. Across stacks, CloudFormation orders nothing by itself."""

    def closure(name: str) -> set[str]:
        seen: set[str] = set()
        todo = [name]
        while todo:
            for dep in dependencies.get(todo.pop(), set()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen

    out: list[str] = []
    for name, t in sorted(templates.items()):
        producers = set(_stack_outputs_used(t.get("Resources", {}))) - {name}
        out.extend(f"{name}: reads outputs of {p} without depending on it" for p in sorted(producers - closure(name)))
    return out


# --- 3. managed node groups follow the cluster's minor -------------------------------------------------------------
def nodegroup_versions(t: Template) -> list[str]:
    clusters = {k: v["Properties"].get("Version") for k, v in resources(t, "AWS::EKS::Cluster").items()}
    out = []
    for ng_id, ng in resources(t, "AWS::EKS::Nodegroup").items():
        props = ng["Properties"]
        if "AmiType" not in props:
            continue  # custom AMI: the pinned image carries the kubelet
        cluster = next(iter(_refs(props["ClusterName"])), None)
        if props.get("Version") is None:
            out.append(f"{ng_id}: managed node group without Version (kubelet would not follow the cluster)")
        elif cluster in clusters and props["Version"] != clusters[cluster]:
            out.append(f"{ng_id}: Version {props['Version']} != cluster {clusters[cluster]}")
    return out


# --- 4. capacity waits for its role's policies -----------------------------------------------------------------------
def _role_policies(t: Template, role: str) -> set[str]:
    """Policies granting ``role`` permissions: those it lists (ManagedPolicyArns) and those naming it (Roles)."""
    out = set()
    for pid, pol in {**resources(t, "AWS::IAM::Policy"), **resources(t, "AWS::IAM::ManagedPolicy")}.items():
        if role in set(_refs(pol["Properties"].get("Roles", []))):
            out.add(pid)
    role_props = t["Resources"][role]["Properties"]
    out.update(r for r in _refs(role_props.get("ManagedPolicyArns", [])) if r in t["Resources"])
    return out


def capacity_after_policies(t: Template) -> list[str]:
    roles = set(resources(t, "AWS::IAM::Role"))
    out: list[str] = []
    capacity = {**resources(t, "AWS::EKS::Nodegroup"), **resources(t, "AWS::AutoScaling::AutoScalingGroup")}
    for cid in capacity:
        deps = all_deps(t, cid)
        for role in sorted(deps & roles):
            missing = _role_policies(t, role) - deps
            out.extend(f"{cid}: can start before {p} (a policy of {role}) is attached" for p in sorted(missing))
    return out


# --- 5. subnets in zones EKS supports --------------------------------------------------------------------------------
def subnet_zones(t: Template) -> list[str]:
    out = []
    for sid, sub in resources(t, "AWS::EC2::Subnet").items():
        zone_id = sub["Properties"].get("AvailabilityZoneId")
        if zone_id in EKS_UNSUPPORTED_AZ_IDS:
            out.append(f"{sid}: zone {zone_id} is refused by EKS")
        if zone_id is None and "AvailabilityZone" not in sub["Properties"]:
            out.append(f"{sid}: no zone")
    return out


# --- 6. custom-AMI nodes register with their labels and taints --------------------------------------------------------
def _user_data_text(lt: Mapping[str, Any]) -> str:
    ud = lt["Properties"]["LaunchTemplateData"].get("UserData", {}).get("Fn::Base64", "")
    if isinstance(ud, dict):
        return "".join(p for p in ud.get("Fn::Join", ["", []])[1] if isinstance(p, str))
    return str(ud)


def custom_ami_registration(t: Template) -> list[str]:
    out = []
    lts = resources(t, "AWS::EC2::LaunchTemplate")
    for ng_id, ng in resources(t, "AWS::EKS::Nodegroup").items():
        props = ng["Properties"]
        if "AmiType" in props:
            continue
        lt_id = next(iter(_refs(props["LaunchTemplate"])))
        text = _user_data_text(lts[lt_id])
        for key, value in props.get("Labels", {}).items():
            if f'"{key}" = "{value}"' not in text and f'{key} = "{value}"' not in text:
                out.append(f"{ng_id}: label {key}={value} not in settings.kubernetes.node-labels")
    return out


# --- 8. public endpoints are narrowed ---------------------------------------------------------------------------------
def public_endpoints(t: Template) -> list[str]:
    out = []
    for cid, cluster in resources(t, "AWS::EKS::Cluster").items():
        vpc = cluster["Properties"]["ResourcesVpcConfig"]
        if not vpc.get("EndpointPublicAccess"):
            continue
        cidrs = vpc.get("PublicAccessCidrs") or []
        if not cidrs:
            out.append(f"{cid}: public endpoint without PublicAccessCidrs (open to 0.0.0.0/0)")
        out.extend(f"{cid}: public endpoint open to {c}" for c in cidrs if ipaddress.ip_network(c).prefixlen == 0)
    return out


# --- 9. the control-plane log group exists first, encrypted, with retention -----------------------------------------
def control_plane_logs(t: Template) -> list[str]:
    out = []
    groups = {
        v["Properties"]["LogGroupName"]: (k, v)
        for k, v in resources(t, "AWS::Logs::LogGroup").items()
        if isinstance(v["Properties"].get("LogGroupName"), str)
    }
    for cid, cluster in resources(t, "AWS::EKS::Cluster").items():
        name = cluster["Properties"].get("Name")
        if not isinstance(name, str):
            out.append(f"{cid}: no literal Name, so its log group cannot be created first")
            continue
        found = groups.get(f"/aws/eks/{name}/cluster")
        if found is None:
            out.append(f"{cid}: EKS would create /aws/eks/{name}/cluster itself (no key, no retention)")
            continue
        lg_id, lg = found
        if lg_id not in all_deps(t, cid):
            out.append(f"{cid}: created before its log group {lg_id}")
        if "KmsKeyId" not in lg["Properties"] or "RetentionInDays" not in lg["Properties"]:
            out.append(f"{lg_id}: control-plane log group without KMS key or retention")
    return out


# --- 10. example pins refuse to deploy --------------------------------------------------------------------------------
def example_pins_refused(t: Template, example_images: set[str]) -> list[str]:
    """A stack whose launch templates or node groups use an example pin carries the ``ExamplePinsRefused`` rule."""
    used = set()
    for lt in resources(t, "AWS::EC2::LaunchTemplate").values():
        image = lt["Properties"]["LaunchTemplateData"].get("ImageId")
        if isinstance(image, str):
            used.add(image)
    for ng in resources(t, "AWS::EKS::Nodegroup").values():
        if isinstance(ng["Properties"].get("ReleaseVersion"), str):
            used.add(ng["Properties"]["ReleaseVersion"])
    uses_example = bool(used & example_images)
    rule = t.get("Rules", {}).get("ExamplePinsRefused")
    if uses_example and rule is None:
        return ["uses example pins but has no ExamplePinsRefused rule: a plain cdk deploy would go ahead"]
    if rule is not None:
        (assertion,) = rule["Assertions"]
        args = assertion["Assert"].get("Fn::Equals", [])
        if not any(isinstance(a, dict) and "Ref" in a for a in args):
            return ["ExamplePinsRefused does not read its parameter"]
    return []


# --- ECS: tasks drain before Auto Scaling terminates an instance (issue 18) ------------------------------------------
def ecs_managed_draining(t: Template) -> list[str]:
    return [
        f"{cid}: ManagedDraining is not ENABLED (instances could be terminated under running tasks)"
        for cid, cp in resources(t, "AWS::ECS::CapacityProvider").items()
        if cp["Properties"]["AutoScalingGroupProvider"].get("ManagedDraining") != "ENABLED"
    ]


# --- access and logging (issues 13, 14) -------------------------------------------------------------------------------
def log_groups_encrypted(t: Template) -> list[str]:
    """Every log group has a customer KMS key and a retention."""
    return [
        f"{lid}: log group without {'KmsKeyId' if 'KmsKeyId' not in lg['Properties'] else 'RetentionInDays'}"
        for lid, lg in resources(t, "AWS::Logs::LogGroup").items()
        if "KmsKeyId" not in lg["Properties"] or "RetentionInDays" not in lg["Properties"]
    ]


def _statements(t: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    for pid, pol in {**resources(t, "AWS::IAM::Policy"), **resources(t, "AWS::IAM::ManagedPolicy")}.items():
        for stmt in pol["Properties"]["PolicyDocument"]["Statement"]:
            yield pid, stmt
    for rid, role in resources(t, "AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            for stmt in inline["PolicyDocument"]["Statement"]:
                yield rid, stmt


def no_wildcard_actions(t: Template) -> list[str]:
    """No IAM statement allows ``*`` or ``service:*`` (least privilege: every action named)."""
    out = []
    for pid, stmt in _statements(t):
        actions = stmt.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            if stmt.get("Effect") == "Allow" and (action == "*" or action.endswith(":*")):
                out.append(f"{pid}/{stmt.get('Sid')}: allows {action}")
    return out


def admin_container_off(t: Template) -> list[str]:
    """Every launch template boots with the admin container off and the control container on (break-glass goes
    through an SSM document, never user data)."""
    out = []
    for lid, lt in resources(t, "AWS::EC2::LaunchTemplate").items():
        text = _user_data_text(lt)
        if "[settings.host-containers.admin]\nenabled = false" not in text:
            out.append(f"{lid}: admin container not disabled in user data")
        if "[settings.host-containers.control]\nenabled = true" not in text:
            out.append(f"{lid}: control container not enabled in user data")
    return out
