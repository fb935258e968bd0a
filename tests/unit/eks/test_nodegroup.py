"""Template assertions for every node-group default, all 8 AMI types, both image paths, and every validation error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Annotations, Match, Template

from constructs_br import tags
from constructs_br.eks import BottlerocketNodeGroup, NodeGroupSpec, Taint
from constructs_br.errors import ConfigError
from tests.unit.eks.helpers import AMI, FLAVOURS, VERSION, cluster_stack, resolved

GPU = {"x86_64": "g5.xlarge", "arm64": "g5g.xlarge"}
CPU = {"x86_64": "m7i.large", "arm64": "m7g.large"}


@pytest.fixture(scope="module")
def built() -> tuple[Template, dict[str, BottlerocketNodeGroup]]:
    stack, cluster, key = cluster_stack()
    groups = {}
    for flavour in FLAVOURS:
        for arch in ("x86_64", "arm64"):
            variant = f"aws-k8s-1.33{flavour}"
            name = f"{arch}{flavour}".replace("-", "").replace("_", "").capitalize()
            spec = NodeGroupSpec(
                variant=variant, arch=arch, instance_types=((GPU if "nvidia" in flavour else CPU)[arch],)
            )
            groups[name] = BottlerocketNodeGroup(
                stack,
                name,
                cluster=cluster,
                spec=spec,
                image=resolved(variant, arch),
                cluster_version="1.33",
                fleet=name.lower(),
                stage="production",
                volume_key=key,
            )
    custom = NodeGroupSpec(
        variant="aws-k8s-1.33",
        arch="arm64",
        image_path="custom-ami",
        instance_types=("m7g.large",),
        labels={"team": "platform"},
        taints=(Taint(key="dedicated", value="arm", effect="NO_SCHEDULE"),),
        data_volume_gib=100,
    )
    groups["Custom"] = BottlerocketNodeGroup(
        stack,
        "Custom",
        cluster=cluster,
        spec=custom,
        image=resolved("aws-k8s-1.33", "arm64"),
        cluster_version="1.33",
        fleet="custom",
        stage="production",
        service_ipv4_cidr="172.20.0.0/16",
        volume_key=key,
    )
    return Template.from_stack(stack), groups


def _res(template: Template, type_: str, prefix: str) -> dict[str, Any]:
    (found,) = [v for k, v in template.find_resources(type_).items() if k.startswith(prefix)]
    return dict(found["Properties"])


@pytest.mark.parametrize(
    ("prefix", "ami_type"),
    [
        ("X8664", "BOTTLEROCKET_x86_64"),
        ("Arm64", "BOTTLEROCKET_ARM_64"),
        ("X8664nvidia", "BOTTLEROCKET_x86_64_NVIDIA"),
        ("Arm64nvidia", "BOTTLEROCKET_ARM_64_NVIDIA"),
        ("X8664fips", "BOTTLEROCKET_x86_64_FIPS"),
        ("Arm64fips", "BOTTLEROCKET_ARM_64_FIPS"),
        ("X8664nvidiafips", "BOTTLEROCKET_x86_64_NVIDIA_FIPS"),
        ("Arm64nvidiafips", "BOTTLEROCKET_ARM_64_NVIDIA_FIPS"),
    ],
)
def test_all_eight_ami_types_pinned_to_the_release(built: Any, prefix: str, ami_type: str) -> None:
    template, _ = built
    ng = _res(template, "AWS::EKS::Nodegroup", f"{prefix}NodeGroup")
    assert ng["AmiType"] == ami_type
    assert ng["ReleaseVersion"] == VERSION
    lt = _res(template, "AWS::EC2::LaunchTemplate", f"{prefix}LaunchTemplate")["LaunchTemplateData"]
    assert "ImageId" not in lt  # EKS picks the AMI from AmiType + ReleaseVersion


def test_launch_template_defaults(built: Any) -> None:
    template, _ = built
    lt = _res(template, "AWS::EC2::LaunchTemplate", "X8664LaunchTemplate")["LaunchTemplateData"]
    assert lt["MetadataOptions"] == {
        "HttpEndpoint": "enabled",
        "HttpPutResponseHopLimit": 1,
        "HttpTokens": "required",
        "InstanceMetadataTags": "disabled",
    }
    devices = {d["DeviceName"]: d["Ebs"] for d in lt["BlockDeviceMappings"]}
    assert set(devices) == {"/dev/xvda", "/dev/xvdb"}
    for ebs in devices.values():
        assert ebs["VolumeType"] == "gp3"
        assert ebs["Encrypted"] is True
        assert ebs["KmsKeyId"]["Fn::GetAtt"][1] == "Arn"  # the customer key
    assert devices["/dev/xvda"]["VolumeSize"] == 4
    assert devices["/dev/xvdb"]["VolumeSize"] == 20
    for forbidden in ("KeyName", "IamInstanceProfile", "NetworkInterfaces", "InstanceType"):
        assert forbidden not in lt
    sgs = lt["SecurityGroupIds"]
    assert any("ClusterSecurityGroupId" in str(s) for s in sgs), "the cluster SG must be in the LT"
    for spec in lt["TagSpecifications"]:
        keys = {t["Key"]: t["Value"] for t in spec["Tags"]}
        assert keys[tags.IMAGE_VERSION] == VERSION
        assert keys[tags.FLEET] == "x8664"
        assert keys[tags.STAGE] == "production"
        assert keys[tags.SLOT] == "single"
    assert {s["ResourceType"] for s in lt["TagSpecifications"]} == {"instance", "volume"}


def test_node_group_defaults(built: Any) -> None:
    template, _ = built
    ng = _res(template, "AWS::EKS::Nodegroup", "X8664NodeGroup")
    assert ng["ForceUpdateEnabled"] is False
    assert ng["UpdateConfig"] == {"MaxUnavailable": 1}
    assert ng["ScalingConfig"] == {"MinSize": 1, "DesiredSize": 2, "MaxSize": 3}
    assert ng["CapacityType"] == "ON_DEMAND"
    assert "RemoteAccess" not in ng
    assert "DiskSize" not in ng
    assert ng["Tags"][tags.IMAGE_VERSION] == VERSION
    assert ng["LaunchTemplate"]["Version"]["Fn::GetAtt"][1] == "LatestVersionNumber"


def test_node_security_group_has_no_ingress(built: Any) -> None:
    template, _ = built
    for sg in template.find_resources("AWS::EC2::SecurityGroup").values():
        if "Bottlerocket EKS nodes" in sg["Properties"]["GroupDescription"]:
            assert "SecurityGroupIngress" not in sg["Properties"]
    for r in template.find_resources("AWS::EC2::SecurityGroupIngress").values():
        assert r["Properties"].get("FromPort") != 22


def test_custom_ami_path(built: Any) -> None:
    template, _ = built
    ng = _res(template, "AWS::EKS::Nodegroup", "CustomNodeGroup")
    assert "AmiType" not in ng
    assert "ReleaseVersion" not in ng
    assert ng["Labels"] == {"team": "platform"}
    assert ng["Taints"] == [{"Key": "dedicated", "Value": "arm", "Effect": "NO_SCHEDULE"}]
    lt = _res(template, "AWS::EC2::LaunchTemplate", "CustomLaunchTemplate")["LaunchTemplateData"]
    assert lt["ImageId"] == AMI["arm64"]
    user_data = str(lt["UserData"])
    for key in ("api-server", "cluster-certificate", "cluster-name", 'cluster-dns-ip = \\"172.20.0.10\\"'):
        assert key in user_data or key.replace("\\", "") in user_data
    assert "Endpoint" in user_data
    assert "CertificateAuthorityData" in user_data
    devices = {d["DeviceName"]: d["Ebs"] for d in lt["BlockDeviceMappings"]}
    assert devices["/dev/xvdb"]["VolumeSize"] == 100


def test_managed_path_user_data_has_no_join_keys(built: Any) -> None:
    _, groups = built
    assert "cluster-name" not in groups["X8664"].user_data
    assert "api-server" not in groups["X8664"].user_data


def test_no_lambda_or_custom_resource_on_the_node_group_path(built: Any) -> None:
    template, _ = built
    types = {r["Type"] for r in template.to_json()["Resources"].values()}
    assert not any(t.startswith(("AWS::Lambda::", "Custom::", "AWS::CloudFormation::CustomResource")) for t in types)


def test_customer_key_granted_to_autoscaling_once(built: Any) -> None:
    template, _ = built
    (key,) = template.find_resources("AWS::KMS::Key").values()
    sids = [s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert sids.count("AllowAutoScalingToUseKeyForNodeVolumes") == 1
    assert sids.count("AllowAutoScalingToGrantForNodeVolumes") == 1
    assert "AWSServiceRoleForAutoScaling" in str(key["Properties"]["KeyPolicy"])


def test_user_data_is_deterministic() -> None:
    def render() -> str:
        stack, cluster, _ = cluster_stack()
        spec = NodeGroupSpec(
            variant="aws-k8s-1.33",
            arch="x86_64",
            instance_types=("m7i.large",),
            settings={"kubernetes": {"max-pods": 58, "allowed-unsafe-sysctls": ["net.core.somaxconn"]}},
        )
        ng = BottlerocketNodeGroup(
            stack, "G", cluster=cluster, spec=spec, image=resolved(), cluster_version="1.33", fleet="g", stage="pilot"
        )
        return ng.user_data

    assert render() == render()


# --- validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"arch": "arm64", "instance_types": ("m7i.large",)}, "nodegroup.instance_types", "m7i.large"),
        ({"arch": "x86_64", "instance_types": ("c7g.large",)}, "nodegroup.instance_types", "c7g.large"),
        ({"instance_types": ("g5.xlarge",)}, "nodegroup.instance_types", "-nvidia variant"),
        ({"variant": "aws-k8s-1.33-nvidia", "instance_types": ("m7i.large",)}, "nodegroup.instance_types", "NVIDIA"),
        ({"variant": "aws-k8s-1.33-nvidia", "instance_types": ("g4ad.xlarge",)}, "nodegroup.instance_types", "NVIDIA"),
        ({"min_size": 3, "desired_size": 2}, "nodegroup.desired_size", "min_size (3)"),
        ({"desired_size": 5, "max_size": 3}, "nodegroup.desired_size", "max_size (3)"),
        ({"max_unavailable": 5, "max_size": 3}, "nodegroup.max_unavailable", "1..3"),
        ({"max_unavailable": 0}, "nodegroup.max_unavailable", "1.."),
        ({"max_unavailable": None}, "nodegroup.max_unavailable", "exactly one"),
        (
            {"max_unavailable": None, "max_unavailable_percentage": 101},
            "nodegroup.max_unavailable_percentage",
            "1..100",
        ),
        ({"max_unavailable": 1, "max_unavailable_percentage": 10}, "nodegroup.max_unavailable", "exactly one"),
        ({"labels": {"bad key!": "x"}}, "nodegroup.labels", "label key"),
        ({"labels": {"team": "-bad-"}}, 'nodegroup.labels."team"', "63 chars"),
        ({"labels": {"eks.amazonaws.com/nodegroup": "x"}}, "nodegroup.labels", "reserved prefix"),
        ({"taints": (Taint(key="a", effect="NoSchedule"),)}, "nodegroup.taints[0].effect", "NO_SCHEDULE"),
        ({"taints": (Taint(key="a/b/c", effect="NO_SCHEDULE"),)}, "nodegroup.taints[0].key", "taint key"),
        ({"instance_types": ()}, "nodegroup.instance_types", "at least one"),
        ({"instance_types": ("large",)}, "nodegroup.instance_types", "EC2 instance type"),
        ({"hop_limit": 2}, "nodegroup.hop_limit", "hop_limit_reason"),
        ({"variant": "aws-ecs-2"}, "nodegroup.variant", "aws-k8s"),
        ({"capacity_type": "RESERVED"}, "nodegroup.capacity_type", "ON_DEMAND"),
    ],
)
def test_spec_validation(kwargs: dict[str, Any], field: str, fragment: str) -> None:
    base: dict[str, Any] = {"variant": "aws-k8s-1.33", "arch": "x86_64", "instance_types": ("m7i.large",)}
    with pytest.raises(ConfigError) as exc:
        NodeGroupSpec(**{**base, **kwargs})
    assert field in exc.value.fields, str(exc.value)
    assert fragment in str(exc.value)


def test_spec_collects_every_error_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        NodeGroupSpec(
            variant="aws-k8s-1.33",
            arch="arm64",
            instance_types=("m7i.large",),
            min_size=5,
            labels={"bad key": "v"},
            max_unavailable=None,
        )
    assert len(exc.value.problems) >= 4


def test_spot_with_one_instance_type_warns() -> None:
    stack, cluster, _ = cluster_stack()
    spec = NodeGroupSpec(variant="aws-k8s-1.33", arch="x86_64", instance_types=("m7i.large",), capacity_type="SPOT")
    BottlerocketNodeGroup(
        stack, "G", cluster=cluster, spec=spec, image=resolved(), cluster_version="1.33", fleet="g", stage="pilot"
    )
    Annotations.from_stack(stack).has_warning("/S/G", Match.string_like_regexp("SPOT with one instance type"))


def test_cluster_level_errors_all_at_once() -> None:
    stack, cluster, _ = cluster_stack()
    spec = NodeGroupSpec(variant="aws-k8s-1.32", arch="x86_64", instance_types=("m7i.large",), image_path="custom-ami")
    with pytest.raises(ConfigError) as exc:
        BottlerocketNodeGroup(
            stack,
            "G",
            cluster=cluster,
            spec=spec,
            image=resolved(),
            cluster_version="1.33",
            fleet="g",
            stage="pilot",
            subnets=[],
        )
    fields = exc.value.fields
    assert "nodegroup.variant" in fields  # 1.32 variant on a 1.33 cluster
    assert "nodegroup.subnets" in fields  # empty subnets
    assert "nodegroup.service_ipv4_cidr" in fields  # custom path without the service CIDR
    assert "image" in fields  # image resolved for another variant
    assert re.search(r"the cluster runs 1\.33", str(exc.value))


def test_imported_cluster_needs_its_security_group_and_vpc() -> None:
    stack = Stack(App(), "I", env={"account": "123456789012", "region": "us-west-2"})
    cluster = eks.Cluster.from_cluster_attributes(stack, "C", cluster_name="c")
    spec = NodeGroupSpec(variant="aws-k8s-1.33", arch="x86_64", instance_types=("m7i.large",))
    with pytest.raises(ConfigError) as exc:
        BottlerocketNodeGroup(
            stack, "G", cluster=cluster, spec=spec, image=resolved(), cluster_version="1.33", fleet="g", stage="pilot"
        )
    assert "nodegroup.vpc" in exc.value.fields
    assert "cluster.cluster_security_group_id" in exc.value.fields
