"""BottlerocketCluster: the control plane node groups expect, and the deploy order CloudFormation must follow
(nodes after the CNI has credentials; CoreDNS after there are nodes to run on)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from constructs_br.bluegreen import PairSpec
from constructs_br.eks import BlueGreenNodeGroupPair, BottlerocketCluster, BottlerocketNodeGroup, NodeGroupSpec
from constructs_br.errors import ConfigError
from constructs_br.platform import PinnedAzStack
from tests.unit.eks.helpers import AZS, ENV, br_cluster_stack, lockfile

SPEC = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",))
REASON = "operators reach the API from the office without a VPN"


@pytest.fixture(scope="module")
def tpl() -> dict[str, Any]:
    """A cluster with one single node group and one pair in blue+green: three node groups."""
    stack, cluster, key = br_cluster_stack()
    lock = lockfile()
    BottlerocketNodeGroup(stack, "Single", cluster=cluster, spec=SPEC, lockfile=lock, fleet="single")
    BlueGreenNodeGroupPair(
        stack,
        "GeneralNodeGroups",
        cluster=cluster,
        pair=PairSpec(name="general", base=SPEC, phase="blue+green", green={"instance_types": ("m8i.large",)}),
        lockfile=lock,
        volume_key=key,
    )
    return Template.from_stack(stack).to_json()


def _of_type(tpl: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == type_}


def _addon(tpl: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, v) for k, v in _of_type(tpl, "AWS::EKS::Addon").items() if v["Properties"]["AddonName"] == name]
    return found


def _depends_on(resource: dict[str, Any]) -> set[str]:
    deps = resource.get("DependsOn", [])
    return {deps} if isinstance(deps, str) else set(deps)


def test_core_addons_exist_as_managed_addons(tpl: dict[str, Any]) -> None:
    names = sorted(v["Properties"]["AddonName"] for v in _of_type(tpl, "AWS::EKS::Addon").values())
    assert names == ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    for name in ("kube-proxy", "coredns"):
        _, addon = _addon(tpl, name)
        assert addon["Properties"]["ResolveConflicts"] == "OVERWRITE"
        assert addon["Properties"]["PreserveOnDelete"] is True
        assert addon["Properties"]["ClusterName"] == {"Ref": _cluster_id(tpl)}
    _, cni = _addon(tpl, "vpc-cni")
    assert cni["Properties"]["PodIdentityAssociations"][0]["ServiceAccount"] == "aws-node"


def test_addon_logical_ids_are_kept(tpl: dict[str, Any]) -> None:
    """Children ``KubeProxy``/``CoreDns`` of the cluster and ``VpcCni`` beside it (ids are API)."""
    assert _addon(tpl, "kube-proxy")[0].startswith("ClusterKubeProxy")
    assert _addon(tpl, "coredns")[0].startswith("ClusterCoreDns")
    assert _addon(tpl, "vpc-cni")[0].startswith("VpcCni")


def _cluster_id(tpl: dict[str, Any]) -> str:
    (cid,) = _of_type(tpl, "AWS::EKS::Cluster")
    return cid


def test_every_node_group_waits_for_the_cni_and_the_pod_identity_agent(tpl: dict[str, Any]) -> None:
    cni, _ = _addon(tpl, "vpc-cni")
    agent, _ = _addon(tpl, "eks-pod-identity-agent")
    groups = _of_type(tpl, "AWS::EKS::Nodegroup")
    assert len(groups) == 3
    for lid, ng in groups.items():
        assert {cni, agent} <= _depends_on(ng), lid
    # and the CNI itself waits for the agent (its Pod Identity association needs it)
    assert agent in _depends_on(tpl["Resources"][cni])


def test_coredns_waits_for_every_node_group(tpl: dict[str, Any]) -> None:
    _, coredns = _addon(tpl, "coredns")
    assert set(_of_type(tpl, "AWS::EKS::Nodegroup")) <= _depends_on(coredns)


def test_no_dependency_cycle_between_nodes_and_addons(tpl: dict[str, Any]) -> None:
    cni, _ = _addon(tpl, "vpc-cni")
    agent, _ = _addon(tpl, "eks-pod-identity-agent")
    kube_proxy, _ = _addon(tpl, "kube-proxy")
    groups = set(_of_type(tpl, "AWS::EKS::Nodegroup"))
    for addon in (cni, agent, kube_proxy):
        assert not groups & _depends_on(tpl["Resources"][addon]), addon


def test_control_plane_settings(tpl: dict[str, Any]) -> None:
    (cluster,) = _of_type(tpl, "AWS::EKS::Cluster").values()
    props = cluster["Properties"]
    assert props["Version"] == "1.33"
    assert props["AccessConfig"]["AuthenticationMode"] == "API"
    assert props["ComputeConfig"] == {"Enabled": False}  # node-group capacity, not Auto Mode
    assert props["ResourcesVpcConfig"]["EndpointPrivateAccess"] is True
    assert props["ResourcesVpcConfig"]["EndpointPublicAccess"] is False
    assert props["EncryptionConfig"][0]["Resources"] == ["secrets"]
    assert "KeyArn" in props["EncryptionConfig"][0]["Provider"]
    types = sorted(t["Type"] for t in props["Logging"]["ClusterLogging"]["EnabledTypes"])
    assert types == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert props["KubernetesNetworkConfig"]["ServiceIpv4Cidr"] == "172.20.0.0/16"
    assert not _of_type(tpl, "AWS::AutoScaling::AutoScalingGroup")  # default_capacity=0


def _new_cluster(**kwargs: Any) -> BottlerocketCluster:
    stack = PinnedAzStack(App(), "S", availability_zones=AZS, env=ENV)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    kwargs.setdefault("kubernetes_version", "1.33")
    return BottlerocketCluster(stack, "Cluster", vpc=vpc, secrets_encryption_key=key, **kwargs)


CIDRS = ("203.0.113.0/24",)


@pytest.mark.parametrize("reason", [None, "", "because operators need it", "   "])
def test_public_endpoint_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(ConfigError) as exc:
        _new_cluster(endpoint_access="public-and-private", public_access_reason=reason, public_access_cidrs=CIDRS)
    assert exc.value.fields == ("cluster.public_access_reason",)
    assert "6 words" in str(exc.value)


def test_public_endpoint_with_a_reason() -> None:
    cluster = _new_cluster(endpoint_access="public-and-private", public_access_reason=REASON, public_access_cidrs=CIDRS)
    (props,) = [
        v["Properties"] for v in Template.from_stack(cluster.stack).find_resources("AWS::EKS::Cluster").values()
    ]
    assert props["ResourcesVpcConfig"]["EndpointPublicAccess"] is True
    assert props["ResourcesVpcConfig"]["EndpointPrivateAccess"] is True
    assert props["ResourcesVpcConfig"]["PublicAccessCidrs"] == list(CIDRS)


@pytest.mark.parametrize(
    ("cidrs", "allowed"),
    [((), "one or more IPv4 CIDRs"), (("0.0.0.0/0",), "narrower than /0"), (("10.0.0.1/8",), "IPv4 CIDR")],
)
def test_a_public_endpoint_needs_narrow_cidrs(cidrs: tuple[str, ...], allowed: str) -> None:
    """Issue 11: the pilot endpoint was open to 0.0.0.0/0; an empty list is an error, so is /0."""
    with pytest.raises(ConfigError) as exc:
        _new_cluster(endpoint_access="public-and-private", public_access_reason=REASON, public_access_cidrs=cidrs)
    (problem,) = exc.value.problems
    assert problem.field == "cluster.public_access_cidrs"
    assert allowed in problem.allowed


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kubernetes_version": "1.28"}, "cluster.kubernetes_version"),
        ({"endpoint_access": "public"}, "cluster.endpoint_access"),
        ({"logging": ["api", "kubelet"]}, "cluster.logging"),
    ],
)
def test_cluster_validation(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as exc:
        _new_cluster(**kwargs)
    assert field in exc.value.fields


def test_cluster_errors_come_all_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        _new_cluster(kubernetes_version="1.28", endpoint_access="public-and-private")
    assert {"cluster.kubernetes_version", "cluster.public_access_reason"} <= set(exc.value.fields)


def test_without_core_addons_nodes_have_nothing_to_wait_for() -> None:
    cluster = _new_cluster(core_addons=False)
    group = BottlerocketNodeGroup(cluster.stack, "G", cluster=cluster, spec=SPEC, lockfile=lockfile(), fleet="g")
    tpl = Template.from_stack(cluster.stack).to_json()
    names = {v["Properties"]["AddonName"] for v in _of_type(tpl, "AWS::EKS::Addon").values()}
    assert not names & {"coredns", "kube-proxy", "vpc-cni"}
    assert cluster.kube_proxy is None
    assert cluster.core_dns is None
    assert cluster.vpc_cni is None
    (ng,) = _of_type(tpl, "AWS::EKS::Nodegroup").values()
    agent = {
        k
        for k, v in _of_type(tpl, "AWS::EKS::Addon").items()
        if v["Properties"]["AddonName"] == "eks-pod-identity-agent"
    }
    assert _depends_on(ng) <= agent  # at most the agent, if CDK created one
    assert group.kubernetes_version == "1.33"


def test_node_groups_in_another_stack_do_not_make_a_dependency_cycle() -> None:
    """A node-group stack separate from the cluster stack synthesizes (CoreDNS cannot wait for it: a warning)."""
    from aws_cdk.assertions import Annotations, Match

    cluster = _new_cluster()
    app = cluster.node.root
    nodes = PinnedAzStack(app, "Nodes", availability_zones=AZS, env=ENV)  # type: ignore[arg-type]
    BlueGreenNodeGroupPair(
        nodes,
        "General",
        cluster=cluster,
        lockfile=lockfile(),
        pair=PairSpec(name="general", base=SPEC),
    )
    app.synth()  # type: ignore[attr-defined]
    Annotations.from_stack(nodes).has_warning("*", Match.string_like_regexp("coredns add-on is created before"))


def _synth(cluster: BottlerocketCluster) -> None:
    app = cluster.node.root
    assert isinstance(app, App)
    app.synth()


def _split(**cluster_kwargs: Any) -> tuple[BottlerocketCluster, PinnedAzStack]:
    """A cluster stack and a node-group stack depending on it, one pair in the node-group stack."""
    cluster = _new_cluster(**cluster_kwargs)
    nodes = PinnedAzStack(cluster.node.root, "Nodes", availability_zones=AZS, env=ENV)  # type: ignore[arg-type]
    nodes.add_stack_dependency(cluster.stack)
    BlueGreenNodeGroupPair(
        nodes, "General", cluster=cluster, lockfile=lockfile(), pair=PairSpec(name="general", base=SPEC)
    )
    return cluster, nodes


def test_coredns_placed_in_the_node_group_stack_waits_for_its_node_groups() -> None:
    """core_dns=False + add_node_addons: CoreDNS is created in the node groups' stack, after every one of them —
    those built before the call and those built after it."""
    from aws_cdk.assertions import Annotations, Match

    cluster, nodes = _split(core_dns=False)
    assert cluster.core_dns is None
    addon = cluster.add_node_addons(nodes)
    assert cluster.core_dns is addon
    BottlerocketNodeGroup(nodes, "Late", cluster=cluster, spec=SPEC, lockfile=lockfile(), fleet="late")
    _synth(cluster)
    tpl = Template.from_stack(nodes).to_json()
    _, coredns = _addon(tpl, "coredns")
    assert coredns["Properties"]["PreserveOnDelete"] is True
    assert coredns["Properties"]["ResolveConflicts"] == "OVERWRITE"
    assert "CoreDns" in tpl["Resources"]
    groups = set(_of_type(tpl, "AWS::EKS::Nodegroup"))
    assert len(groups) == 2
    assert groups <= _depends_on(coredns)
    names = {
        v["Properties"]["AddonName"]
        for v in _of_type(Template.from_stack(cluster.stack).to_json(), "AWS::EKS::Addon").values()
    }
    assert names == {"vpc-cni", "eks-pod-identity-agent", "kube-proxy"}
    assert Annotations.from_stack(nodes).find_warning("*", Match.string_like_regexp("coredns")) == []


def test_coredns_nobody_places_is_a_warning() -> None:
    from aws_cdk.assertions import Annotations, Match

    cluster, nodes = _split(core_dns=False)
    _synth(cluster)
    Annotations.from_stack(nodes).has_warning("*", Match.string_like_regexp("it is not placed; build the cluster"))
    addons = _of_type(Template.from_stack(cluster.stack).to_json(), "AWS::EKS::Addon").values()
    assert "coredns" not in {v["Properties"]["AddonName"] for v in addons}


def test_coredns_in_another_stack_than_the_node_groups_is_a_warning() -> None:
    """Placed in the cluster's stack while the node groups are elsewhere: it cannot wait for them."""
    from aws_cdk.assertions import Annotations, Match

    cluster, nodes = _split(core_dns=False)
    cluster.add_node_addons(cluster.stack)
    _synth(cluster)
    Annotations.from_stack(nodes).has_warning("*", Match.string_like_regexp("it is in another stack"))


@pytest.mark.parametrize(
    ("kwargs", "got"),
    [
        ({}, "already placed"),
        ({"core_dns": False, "place_twice": True}, "already placed"),
        ({"core_addons": False}, "core_addons=False"),
    ],
)
def test_add_node_addons_is_refused_when_nothing_is_left_to_place(kwargs: dict[str, Any], got: str) -> None:
    twice = kwargs.pop("place_twice", False)
    cluster = _new_cluster(**kwargs)
    if twice:
        cluster.add_node_addons(cluster.stack)
    with pytest.raises(ConfigError) as exc:
        cluster.add_node_addons(cluster.stack)
    (problem,) = exc.value.problems
    assert problem.field == "cluster.add_node_addons"
    assert problem.value == got
    assert "core_dns=False" in problem.allowed
