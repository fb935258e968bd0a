"""The one image API on the EKS side: the node group resolves its own image from the lockfile for its stack's
region, takes the Kubernetes minor from the cluster once, and names every way that can go wrong."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Template

from constructs_br import tags
from constructs_br.eks import BottlerocketNodeGroup, NodeGroupSpec
from constructs_br.errors import ConfigError
from constructs_br.images import Lockfile, MissingPinError
from tests.unit.eks.helpers import (
    AMI,
    OLD_AMI,
    PREVIOUS,
    VERSION,
    br_cluster_stack,
    cluster_stack,
    lockfile,
    pin,
)

SPEC = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",))
EAST_AMI = "ami-0eeeeeeeeeeeeeee1"
EAST_VERSION = "1.50.1-eeeeeeee"


def _nodegroup(stack: Stack) -> dict[str, Any]:
    (ng,) = Template.from_stack(stack).find_resources("AWS::EKS::Nodegroup").values()
    return dict(ng["Properties"])


def _launch_template(stack: Stack) -> dict[str, Any]:
    (lt,) = Template.from_stack(stack).find_resources("AWS::EC2::LaunchTemplate").values()
    return dict(lt["Properties"]["LaunchTemplateData"])


def _group(stack: Stack, cluster: eks.ICluster, spec: NodeGroupSpec = SPEC, **kwargs: Any) -> BottlerocketNodeGroup:
    kwargs.setdefault("lockfile", lockfile())
    return BottlerocketNodeGroup(stack, "G", cluster=cluster, spec=spec, fleet="g", stage="pilot", **kwargs)


# --- region -----------------------------------------------------------------------------------------------------


def _two_region_lockfile() -> Lockfile:
    east = pin("aws-k8s-1.33", "x86_64", EAST_VERSION, EAST_AMI, region="us-east-1")
    return lockfile().with_pin(east)


@pytest.mark.parametrize("image_path", ["eks-managed", "custom-ami"])
def test_resolves_for_the_stacks_region_only(image_path: str) -> None:
    """With pins for two regions, a us-west-2 stack gets the us-west-2 pin (no caller-chosen image to mix up)."""
    stack, cluster, _ = br_cluster_stack()
    spec = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), image_path=image_path)
    group = _group(stack, cluster, spec, lockfile=_two_region_lockfile())
    assert group.image.region == "us-west-2"
    ng = _nodegroup(stack)
    assert ng["Tags"][tags.IMAGE_VERSION] == VERSION
    if image_path == "eks-managed":
        assert ng["ReleaseVersion"] == VERSION
    else:
        assert _launch_template(stack)["ImageId"] == AMI["x86_64"]
    assert EAST_AMI not in str(Template.from_stack(stack).to_json())
    assert EAST_VERSION not in str(Template.from_stack(stack).to_json())


def _east_only() -> Lockfile:
    return Lockfile.empty().with_pin(pin("aws-k8s-1.33", "x86_64", EAST_VERSION, EAST_AMI, region="us-east-1"))


def test_a_pin_for_another_region_is_never_used() -> None:
    stack, cluster, _ = br_cluster_stack()
    with pytest.raises(ConfigError) as exc:
        _group(stack, cluster, lockfile=_east_only())
    text = str(exc.value)
    assert "no pin for region us-west-2, variant aws-k8s-1.33, arch x86_64" in text
    assert "brctl pins refresh" in text  # the command that creates the missing pin
    assert "us-east-1" not in text


def test_a_missing_pin_is_a_missing_pin_error() -> None:
    stack, cluster, _ = br_cluster_stack()
    with pytest.raises(MissingPinError) as exc:
        _group(stack, cluster, lockfile=_east_only())
    assert exc.value.region == "us-west-2"


def test_a_stack_without_a_concrete_region_is_one_named_error() -> None:
    stack = Stack(App(), "NoEnv")  # what `cdk init` makes: environment-agnostic
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    cluster = eks.Cluster(
        stack,
        "Cluster",
        version=eks.KubernetesVersion.V1_33,
        vpc=vpc,
        default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
        default_capacity=0,
    )
    with pytest.raises(ConfigError) as exc:
        _group(stack, cluster, cluster_kubernetes_version="1.33")
    assert "stack.region" in exc.value.fields
    assert "NoEnv" in str(exc.value)
    assert "region=" in str(exc.value)  # says how to give it one
    assert "Token" not in str(exc.value)  # not `no pin for region ${Token[AWS.Region.5]}`


# --- image version (current or previous pin) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_version", "release", "ami"), [(None, VERSION, AMI), (VERSION, VERSION, AMI), (PREVIOUS, PREVIOUS, OLD_AMI)]
)
@pytest.mark.parametrize("image_path", ["eks-managed", "custom-ami"])
def test_image_version_selects_current_or_previous_pin(
    image_path: str, image_version: str | None, release: str, ami: dict[str, str]
) -> None:
    stack, cluster, _ = br_cluster_stack()
    spec = NodeGroupSpec(
        arch="x86_64", instance_types=("m7i.large",), image_version=image_version, image_path=image_path
    )
    _group(stack, cluster, spec)
    ng, lt = _nodegroup(stack), _launch_template(stack)
    assert ng["Tags"][tags.IMAGE_VERSION] == release
    if image_path == "eks-managed":
        assert ng["ReleaseVersion"] == release
        assert "ImageId" not in lt
    else:
        assert lt["ImageId"] == ami["x86_64"]
        assert "ReleaseVersion" not in ng


def test_image_version_outside_the_lockfile_is_named() -> None:
    stack, cluster, _ = br_cluster_stack()
    spec = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), image_version="1.40.0-00000000")
    with pytest.raises(ConfigError) as exc:
        _group(stack, cluster, spec)
    assert "nodegroup.image_version" in exc.value.fields
    assert f"{VERSION} | {PREVIOUS}" in str(exc.value)


# --- Kubernetes minor: from the cluster, once; skew is an error ---------------------------------------------------


@pytest.mark.parametrize("node", ["1.34", "1.35"])
def test_nodes_newer_than_the_cluster_are_refused(node: str) -> None:
    stack, cluster, _ = br_cluster_stack()
    spec = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), kubernetes_version=node)
    with pytest.raises(ConfigError) as exc:
        _group(stack, cluster, spec, lockfile=lockfile(minors=("1.33", node)))
    assert exc.value.fields == ("nodegroup.kubernetes_version",)
    assert "1.30..1.33" in str(exc.value)
    assert "never newer" in str(exc.value)


def test_nodes_more_than_three_minors_older_are_refused() -> None:
    stack, cluster, _ = br_cluster_stack()
    spec = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), kubernetes_version="1.29")
    with pytest.raises(ConfigError) as exc:
        _group(stack, cluster, spec, lockfile=lockfile(minors=("1.29", "1.33")))
    assert exc.value.fields == ("nodegroup.kubernetes_version",)
    assert "got '1.29'" in str(exc.value)


@pytest.mark.parametrize("node", ["1.30", "1.31", "1.32", "1.33"])
def test_nodes_within_the_skew_run_their_own_minor(node: str) -> None:
    stack, cluster, _ = br_cluster_stack()
    spec = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), kubernetes_version=node)
    group = _group(stack, cluster, spec, lockfile=lockfile(minors=(node, "1.33")))
    ng = _nodegroup(stack)
    assert ng["Version"] == node  # EKS would otherwise take the cluster's minor
    assert ng["Tags"][tags.VARIANT] == f"aws-k8s-{node}"
    assert group.variant == f"aws-k8s-{node}"
    assert group.kubernetes_version == node


def test_the_minor_comes_from_a_bottlerocket_cluster() -> None:
    stack, cluster, _ = br_cluster_stack(kubernetes_version="1.32")
    group = _group(stack, cluster, lockfile=lockfile(minors=("1.32",)))
    assert _nodegroup(stack)["Version"] == "1.32"
    assert group.variant == "aws-k8s-1.32"


def test_a_bottlerocket_cluster_takes_its_own_minor_again() -> None:
    stack, cluster, _ = br_cluster_stack()
    _group(stack, cluster, cluster_kubernetes_version="1.33")  # the same minor: accepted
    assert _nodegroup(stack)["Version"] == "1.33"


def test_a_bottlerocket_cluster_refuses_a_different_minor() -> None:
    stack, cluster, _ = br_cluster_stack()
    with pytest.raises(ConfigError) as exc:
        _group(stack, cluster, cluster_kubernetes_version="1.32")
    assert exc.value.fields == ("cluster_kubernetes_version",)
    assert "1.33" in str(exc.value)


def test_a_plain_cluster_needs_cluster_kubernetes_version() -> None:
    stack, cluster, _ = cluster_stack()
    with pytest.raises(ConfigError) as exc:
        _group(stack, cluster)
    assert exc.value.fields == ("cluster_kubernetes_version",)
    assert "BottlerocketCluster" in str(exc.value)


def test_a_plain_cluster_with_its_minor_given() -> None:
    stack, cluster, _ = cluster_stack()
    _group(stack, cluster, cluster_kubernetes_version="1.33")
    ng = _nodegroup(stack)
    assert (ng["Version"], ng["ReleaseVersion"]) == ("1.33", VERSION)


def test_a_plain_cluster_with_an_unknown_minor() -> None:
    stack, cluster, _ = cluster_stack()
    with pytest.raises(ConfigError) as exc:
        _group(stack, cluster, cluster_kubernetes_version="1.28")
    assert exc.value.fields == ("cluster_kubernetes_version",)
