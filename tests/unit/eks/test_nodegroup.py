"""Template assertions for every node-group default, all 8 AMI types, both image paths, and every validation error."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Annotations, Match, Template

from constructs_br import tags
from constructs_br.eks import BottlerocketNodeGroup, NodeGroupSpec, Taint
from constructs_br.errors import ConfigError
from tests.unit.eks.helpers import AMI, ARCHES, ENV, FLAVOURS, VERSION, br_cluster_stack, cluster_stack, lockfile

GPU = {"x86_64": "g5.xlarge", "arm64": "g5g.xlarge"}
CPU = {"x86_64": "m7i.large", "arm64": "m7g.large"}
BASE: dict[str, Any] = {"arch": "x86_64", "instance_types": ("m7i.large",)}


def _name(arch: str, flavour: str) -> str:
    return f"{arch}{flavour}".replace("-", "").replace("_", "").capitalize()


@pytest.fixture(scope="module")
def built() -> tuple[Template, dict[str, BottlerocketNodeGroup]]:
    stack, cluster, key = br_cluster_stack()
    lock = lockfile()
    groups = {}
    for flavour in FLAVOURS:
        for arch in ARCHES:
            name = _name(arch, flavour)
            spec = NodeGroupSpec(
                arch=arch,
                nvidia="nvidia" in flavour,
                fips="fips" in flavour,
                instance_types=((GPU if "nvidia" in flavour else CPU)[arch],),
            )
            groups[name] = BottlerocketNodeGroup(
                stack,
                name,
                cluster=cluster,
                spec=spec,
                lockfile=lock,
                fleet=name.lower(),
                stage="production",
                volume_key=key,
            )
    custom = NodeGroupSpec(
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
        lockfile=lock,
        fleet="custom",
        stage="production",
        volume_key=key,
    )
    return Template.from_stack(stack), groups


def _res(template: Template, type_: str, prefix: str) -> dict[str, Any]:
    (found,) = [v for k, v in template.find_resources(type_).items() if k.startswith(prefix)]
    return dict(found["Properties"])


AMI_TYPES = [
    ("x86_64", "", "BOTTLEROCKET_x86_64"),
    ("arm64", "", "BOTTLEROCKET_ARM_64"),
    ("x86_64", "-nvidia", "BOTTLEROCKET_x86_64_NVIDIA"),
    ("arm64", "-nvidia", "BOTTLEROCKET_ARM_64_NVIDIA"),
    ("x86_64", "-fips", "BOTTLEROCKET_x86_64_FIPS"),
    ("arm64", "-fips", "BOTTLEROCKET_ARM_64_FIPS"),
    ("x86_64", "-nvidia-fips", "BOTTLEROCKET_x86_64_NVIDIA_FIPS"),
    ("arm64", "-nvidia-fips", "BOTTLEROCKET_ARM_64_NVIDIA_FIPS"),
]


@pytest.mark.parametrize(("arch", "flavour", "ami_type"), AMI_TYPES)
def test_spec_derives_ami_type_and_variant(arch: str, flavour: str, ami_type: str) -> None:
    spec = NodeGroupSpec(
        arch=arch,
        nvidia="nvidia" in flavour,
        fips="fips" in flavour,
        instance_types=((GPU if "nvidia" in flavour else CPU)[arch],),
    )
    assert spec.ami_type == ami_type
    assert spec.flavour == flavour
    assert spec.variant_for("1.33") == f"aws-k8s-1.33{flavour}"
    assert spec.variant_for("1.31") == f"aws-k8s-1.31{flavour}"
    # a node minor on the spec wins over the cluster's
    assert NodeGroupSpec(**{**BASE, "kubernetes_version": "1.31"}).variant_for("1.33") == "aws-k8s-1.31"


@pytest.mark.parametrize(("arch", "flavour", "ami_type"), AMI_TYPES)
def test_all_eight_ami_types_pinned_to_the_release(built: Any, arch: str, flavour: str, ami_type: str) -> None:
    template, groups = built
    prefix = _name(arch, flavour)
    ng = _res(template, "AWS::EKS::Nodegroup", f"{prefix}NodeGroup")
    assert ng["AmiType"] == ami_type
    assert ng["ReleaseVersion"] == VERSION
    assert ng["Version"] == "1.33"  # the node minor, from the cluster
    assert ng["Tags"][tags.VARIANT] == f"aws-k8s-1.33{flavour}"
    assert groups[prefix].variant == f"aws-k8s-1.33{flavour}"
    assert groups[prefix].image.region == "us-west-2"
    lt = _res(template, "AWS::EC2::LaunchTemplate", f"{prefix}LaunchTemplate")["LaunchTemplateData"]
    assert "ImageId" not in lt  # EKS picks the AMI from AmiType + ReleaseVersion


def test_spec_defaults() -> None:
    spec = NodeGroupSpec(**BASE)
    assert (spec.nvidia, spec.fips, spec.kubernetes_version, spec.image_version) == (False, False, None, None)
    assert spec.image_path == "eks-managed"
    assert spec.capacity_type == "ON_DEMAND"
    assert (spec.min_size, spec.desired_size, spec.max_size) == (1, 2, 3)
    assert (spec.max_unavailable, spec.max_unavailable_percentage, spec.force_update) == (1, None, False)
    assert (spec.os_volume_gib, spec.data_volume_gib, spec.hop_limit) == (4, 20, 1)
    assert spec.settings is None
    assert spec.settings_layer() is None
    assert spec.instance_types == ("m7i.large",)
    assert NodeGroupSpec(arch="x86_64", instance_types=["m7i.large"]).instance_types == ("m7i.large",)  # tuple


def test_variant_is_no_longer_a_spec_field() -> None:
    with pytest.raises(TypeError, match="variant"):
        NodeGroupSpec(variant="aws-k8s-1.33", **BASE)  # type: ignore[call-arg]


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
        assert keys[tags.VARIANT] == "aws-k8s-1.33"
    assert {s["ResourceType"] for s in lt["TagSpecifications"]} == {"instance", "volume"}


def test_node_group_defaults(built: Any) -> None:
    template, _ = built
    ng = _res(template, "AWS::EKS::Nodegroup", "X8664NodeGroup")
    assert ng["ForceUpdateEnabled"] is False
    assert ng["UpdateConfig"] == {"MaxUnavailable": 1}
    assert ng["ScalingConfig"] == {"MinSize": 1, "DesiredSize": 2, "MaxSize": 3}
    assert ng["CapacityType"] == "ON_DEMAND"
    assert ng["InstanceTypes"] == ["m7i.large"]
    assert "RemoteAccess" not in ng
    assert "DiskSize" not in ng
    assert "Labels" not in ng
    assert "Taints" not in ng
    assert ng["Tags"][tags.IMAGE_VERSION] == VERSION
    assert ng["LaunchTemplate"]["Version"]["Fn::GetAtt"][1] == "LatestVersionNumber"
    assert len(ng["Subnets"]) == 2  # the VPC's private subnets with egress
    assert all("Private" in s["Ref"] for s in ng["Subnets"])


def test_node_security_group_has_no_ingress(built: Any) -> None:
    template, _ = built
    node_sgs = [
        sg
        for sg in template.find_resources("AWS::EC2::SecurityGroup").values()
        if "Bottlerocket EKS nodes" in sg["Properties"]["GroupDescription"]
    ]
    assert len(node_sgs) == 9  # one per node group built without a shared security group
    for sg in node_sgs:
        assert "SecurityGroupIngress" not in sg["Properties"]
    for r in template.find_resources("AWS::EC2::SecurityGroupIngress").values():
        assert r["Properties"].get("FromPort") != 22


def test_custom_ami_path(built: Any) -> None:
    template, _ = built
    ng = _res(template, "AWS::EKS::Nodegroup", "CustomNodeGroup")
    for managed_only in ("AmiType", "ReleaseVersion", "Version"):
        assert managed_only not in ng
    assert ng["Labels"] == {"team": "platform"}
    assert ng["Taints"] == [{"Key": "dedicated", "Value": "arm", "Effect": "NO_SCHEDULE"}]
    assert ng["Tags"][tags.IMAGE_VERSION] == VERSION
    lt = _res(template, "AWS::EC2::LaunchTemplate", "CustomLaunchTemplate")["LaunchTemplateData"]
    assert lt["ImageId"] == AMI["arm64"]  # the us-west-2 pin's AMI
    user_data = str(lt["UserData"])
    for key in ("api-server", "cluster-certificate", "cluster-name"):
        assert key in user_data
    # the DNS IP comes from the BottlerocketCluster's service CIDR (172.20.0.0/16) without passing it
    assert 'cluster-dns-ip = "172.20.0.10"' in user_data
    assert "Endpoint" in user_data
    assert "CertificateAuthorityData" in user_data
    devices = {d["DeviceName"]: d["Ebs"] for d in lt["BlockDeviceMappings"]}
    assert devices["/dev/xvdb"]["VolumeSize"] == 100


def test_managed_path_user_data_has_no_join_keys(built: Any) -> None:
    _, groups = built
    assert "cluster-name" not in groups["X8664"].user_data
    assert "api-server" not in groups["X8664"].user_data
    assert "cluster-name" in groups["Custom"].user_data


def test_no_lambda_or_custom_resource_on_the_node_group_path(built: Any) -> None:
    template, _ = built
    node_path = {
        k: r
        for k, r in template.to_json()["Resources"].items()
        if r["Type"] in ("AWS::EKS::Nodegroup", "AWS::EC2::LaunchTemplate")
    }
    assert len(node_path) == 18
    for r in node_path.values():
        assert "Custom::" not in str(r)
        assert "AWS::Lambda" not in str(r)
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
    def render(settings: dict[str, Any]) -> str:
        stack, cluster, _ = cluster_stack()
        spec = NodeGroupSpec(**BASE, settings=settings)
        ng = BottlerocketNodeGroup(
            stack,
            "G",
            cluster=cluster,
            spec=spec,
            lockfile=lockfile(),
            cluster_kubernetes_version="1.33",
            fleet="g",
            stage="pilot",
        )
        return ng.user_data

    a = {"kubernetes": {"max-pods": 58, "allowed-unsafe-sysctls": ["net.core.somaxconn"]}}
    b = {"kubernetes": {"allowed-unsafe-sysctls": ["net.core.somaxconn"], "max-pods": 58}}  # other key order
    text = render(a)
    assert text == render(a) == render(b)
    assert "max-pods = 58" in text


# --- validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"arch": "arm64", "instance_types": ("m7i.large",)}, "nodegroup.instance_types", "m7i.large"),
        ({"arch": "x86_64", "instance_types": ("c7g.large",)}, "nodegroup.instance_types", "c7g.large"),
        ({"arch": "sparc"}, "nodegroup.arch", "sparc"),
        ({"instance_types": ("g5.xlarge",)}, "nodegroup.instance_types", "-nvidia variant"),
        ({"nvidia": True, "instance_types": ("m7i.large",)}, "nodegroup.instance_types", "NVIDIA"),
        ({"nvidia": True, "instance_types": ("g4ad.xlarge",)}, "nodegroup.instance_types", "NVIDIA"),
        ({"nvidia": True, "fips": True, "instance_types": ("m7i.large",)}, "nodegroup.instance_types", "NVIDIA"),
        ({"nvidia": "yes"}, "nodegroup.nvidia", "True | False"),
        ({"fips": 1}, "nodegroup.fips", "True | False"),
        ({"kubernetes_version": "1.28"}, "nodegroup.kubernetes_version", "1.29"),
        ({"kubernetes_version": "v1.33"}, "nodegroup.kubernetes_version", "the cluster's minor"),
        ({"image_version": "1.50.0"}, "nodegroup.image_version", "1.50.0"),
        ({"image_version": "latest"}, "nodegroup.image_version", "latest"),
        ({"settings": 42}, "nodegroup.settings", "a Settings, a mapping, or None"),
        ({"image_path": "ami"}, "nodegroup.image_path", "eks-managed | custom-ami"),
        ({"min_size": 3, "desired_size": 2}, "nodegroup.desired_size", "min_size (3)"),
        ({"desired_size": 5, "max_size": 3}, "nodegroup.desired_size", "max_size (3)"),
        ({"min_size": -1}, "nodegroup.min_size", ">= 0"),
        ({"max_size": 0, "min_size": 0, "desired_size": 0}, "nodegroup.max_size", ">= 1"),
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
        ({"os_volume_gib": 1}, "nodegroup.os_volume_gib", "2..64"),
        ({"data_volume_gib": 4}, "nodegroup.data_volume_gib", "8..16384"),
        ({"hop_limit": 2}, "nodegroup.hop_limit", "hop_limit_reason"),
        ({"hop_limit": 3, "hop_limit_reason": "x"}, "nodegroup.hop_limit", "1, or 2"),
        ({"capacity_type": "RESERVED"}, "nodegroup.capacity_type", "ON_DEMAND"),
        ({"field_prefix": "stages.pilot.pairs.general", "min_size": -1}, "stages.pilot.pairs.general.min_size", ">="),
    ],
)
def test_spec_validation(kwargs: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as exc:
        NodeGroupSpec(**{**BASE, **kwargs})
    assert field in exc.value.fields, str(exc.value)
    assert fragment in str(exc.value)


def test_valid_flavour_combinations_pass() -> None:
    for arch in ARCHES:
        for nvidia in (False, True):
            for fips in (False, True):
                NodeGroupSpec(arch=arch, nvidia=nvidia, fips=fips, instance_types=((GPU if nvidia else CPU)[arch],))
    NodeGroupSpec(**BASE, hop_limit=2, hop_limit_reason="pods on the host network need IMDS")
    NodeGroupSpec(**BASE, image_version=VERSION, kubernetes_version="1.30")


def test_spec_collects_every_error_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        NodeGroupSpec(
            arch="arm64",
            instance_types=("m7i.large",),
            min_size=5,
            labels={"bad key": "v"},
            max_unavailable=None,
            image_version="1.50.0",
        )
    assert {
        "nodegroup.instance_types",
        "nodegroup.min_size",  # min_size 5 > max_size 3: named as a comparison, no impossible desired range
        "nodegroup.labels",
        "nodegroup.max_unavailable",
        "nodegroup.image_version",
    } <= set(exc.value.fields)


def test_spot_with_one_instance_type_warns() -> None:
    stack, cluster, _ = br_cluster_stack()
    spec = NodeGroupSpec(**BASE, capacity_type="SPOT")
    BottlerocketNodeGroup(stack, "G", cluster=cluster, spec=spec, lockfile=lockfile(), fleet="g", stage="pilot")
    spot = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large", "m6i.large"), capacity_type="SPOT")
    BottlerocketNodeGroup(stack, "H", cluster=cluster, spec=spot, lockfile=lockfile(), fleet="h", stage="pilot")
    annotations = Annotations.from_stack(stack)
    annotations.has_warning("/S/G", Match.string_like_regexp("Spot with one instance type"))
    annotations.has_no_warning("/S/H", Match.string_like_regexp("SPOT"))


def test_cluster_level_errors_all_at_once() -> None:
    stack, cluster, _ = cluster_stack()  # a plain cluster: no service CIDR known to the library
    spec = NodeGroupSpec(**BASE, kubernetes_version="1.34", image_path="custom-ami")
    with pytest.raises(ConfigError) as exc:
        BottlerocketNodeGroup(
            stack,
            "G",
            cluster=cluster,
            spec=spec,
            lockfile=lockfile(),
            cluster_kubernetes_version="1.33",
            fleet="g",
            stage="pilot",
            subnets=[],
        )
    fields = exc.value.fields
    assert "nodegroup.kubernetes_version" in fields  # 1.34 nodes on a 1.33 cluster
    assert "nodegroup.subnets" in fields  # empty subnets
    assert "nodegroup.service_ipv4_cidr" in fields  # custom path without the service CIDR
    assert "the cluster runs 1.33" in str(exc.value)
    assert stack.node.try_find_child("G").node.children == []  # validation before any child


def test_imported_cluster_needs_its_security_group_and_vpc() -> None:
    stack = Stack(App(), "I", env=ENV)
    cluster = eks.Cluster.from_cluster_attributes(stack, "C", cluster_name="c")
    with pytest.raises(ConfigError) as exc:
        BottlerocketNodeGroup(
            stack,
            "G",
            cluster=cluster,
            spec=NodeGroupSpec(**BASE),
            lockfile=lockfile(),
            cluster_kubernetes_version="1.33",
            fleet="g",
            stage="pilot",
        )
    assert "nodegroup.vpc" in exc.value.fields
    assert "cluster.cluster_security_group_id" in exc.value.fields


# --- the update operator and the image lock ------------------------------------------------------------------------

OPERATOR_LABEL = "bottlerocket.aws/updater-interface-version"


def _group(image_path: str, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the node group's properties, the parsed user data) of one group."""
    from constructs_br.settings import parse_document

    stack, cluster, _ = br_cluster_stack()
    stage_settings = kwargs.pop("stage_settings", None)
    spec = NodeGroupSpec(**{**BASE, "image_path": image_path, **kwargs})
    group = BottlerocketNodeGroup(
        stack, "G", cluster=cluster, spec=spec, lockfile=lockfile(), fleet="g", stage_settings=stage_settings
    )
    ng = _res(Template.from_stack(stack), "AWS::EKS::Nodegroup", "GNodeGroup")
    return ng, parse_document(group.user_data)["settings"]


@pytest.mark.parametrize("image_path", ["eks-managed", "custom-ami"])
def test_pinned_nodes_lock_updates_to_their_image(image_path: str) -> None:
    ng, settings = _group(image_path)
    assert settings["updates"] == {"version-lock": "v1.50.0", "ignore-waves": False}  # VERSION = 1.50.0-abcdef12
    assert OPERATOR_LABEL not in (ng.get("Labels") or {})
    assert OPERATOR_LABEL not in settings.get("kubernetes", {}).get("node-labels", {})


@pytest.mark.parametrize("image_path", ["eks-managed", "custom-ami"])
def test_the_previous_pin_locks_to_the_previous_version(image_path: str) -> None:
    from tests.unit.eks.helpers import PREVIOUS

    ng, settings = _group(image_path, image_version=PREVIOUS)
    assert settings["updates"]["version-lock"] == "v1.49.0"
    if image_path == "eks-managed":
        assert ng["ReleaseVersion"] == PREVIOUS  # the lock and the release come from the same pin


def test_operator_nodes_carry_the_label_and_no_lock_on_the_managed_path() -> None:
    ng, settings = _group("eks-managed", update_operator=True, labels={"team": "a"})
    assert ng["Labels"] == {OPERATOR_LABEL: "2.0.0", "team": "a"}
    assert "updates" not in settings  # version-lock stays Bottlerocket's default, latest
    assert "node-labels" not in settings.get("kubernetes", {})  # EKS applies Labels on this path


def test_operator_nodes_register_with_the_label_on_the_custom_ami_path() -> None:
    ng, settings = _group("custom-ami", update_operator=True)
    assert settings["kubernetes"]["node-labels"] == {OPERATOR_LABEL: "2.0.0"}
    assert ng["Labels"] == {OPERATOR_LABEL: "2.0.0"}
    assert "updates" not in settings


def test_a_matching_lock_in_a_layer_is_accepted() -> None:
    _, settings = _group("eks-managed", settings={"updates": {"version-lock": "v1.50.0"}})
    assert settings["updates"]["version-lock"] == "v1.50.0"


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"update_operator": "yes"}, "nodegroup.update_operator", "True | False"),
        ({"labels": {OPERATOR_LABEL: "2.0.0"}}, f'nodegroup.labels."{OPERATOR_LABEL}"', "update_operator=False"),
        (
            {"update_operator": True, "labels": {OPERATOR_LABEL: "1.0.0"}},
            f'nodegroup.labels."{OPERATOR_LABEL}"',
            "sets '2.0.0'",
        ),
        (
            {"settings": {"kubernetes": {"node-labels": {OPERATOR_LABEL: "2.0.0"}}}},
            f'nodegroup.settings.kubernetes.node-labels."{OPERATOR_LABEL}"',
            "update_operator=False",
        ),
        (
            {"settings": {"updates": {"version-lock": "latest"}}},
            "nodegroup.settings.updates.version-lock",
            "use update_operator=True",
        ),
    ],
)
def test_spec_refuses_contradicting_operator_settings(kwargs: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as exc:
        NodeGroupSpec(**{**BASE, **kwargs})
    assert field in exc.value.fields, str(exc.value)
    assert fragment in str(exc.value)


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"settings": {"updates": {"version-lock": "v1.49.0"}}}, "nodegroup.settings.updates.version-lock", "v1.50.0"),
        ({"settings": {"updates": {"ignore-waves": True}}}, "nodegroup.settings.updates.ignore-waves", "pinned image"),
        (
            {"stage_settings": {"updates": {"version-lock": "latest"}}},
            "stage_settings.updates.version-lock",
            "change the pin instead",
        ),
        (
            {"update_operator": True, "settings": {"updates": {"version-lock": "v1.50.0"}}},
            "nodegroup.settings.updates.version-lock",
            "a lock would stop it",
        ),
        (
            {"update_operator": True, "stage_settings": {"updates": {"version-lock": "1.50.0"}}},
            "stage_settings.updates.version-lock",
            "'latest'",
        ),
    ],
)
@pytest.mark.parametrize("image_path", ["eks-managed", "custom-ami"])
def test_node_group_refuses_a_layer_that_contradicts_the_lock(
    image_path: str, kwargs: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        _group(image_path, **kwargs)
    assert field in exc.value.fields, str(exc.value)
    assert fragment in str(exc.value)
