"""EcsCapacity on a small test stack: launch template, TOML user data, boot signal, provider, role, nag."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from constructs_br.ecs import ClusterCapacityProviders, EcsCapacity, EcsCapacitySpec, StrategyItem
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec, Lockfile, MissingPinError, Pin
from constructs_br.nodes import grant_ebs_key_to_autoscaling
from tests.unit.ecs.helpers import ACCOUNT, AMIS, REGION, VERSION, lockfile, of_type, synth, user_data_text

SPEC = EcsCapacitySpec(
    image=ImageSpec(variant="aws-ecs-2", arch="x86_64"),
    instance_types=("m6i.large", "m7i.large"),
    min_size=2,
    max_size=5,
    loglevel="warn",
    image_pull_behavior="prefer-cached",
    target_capacity_percent=90,
    instance_warmup_seconds=180,
)


def _add(stack: Stack, vpc: ec2.IVpc, cluster: ecs.Cluster, spec: EcsCapacitySpec = SPEC, **kw: Any) -> EcsCapacity:
    cap = EcsCapacity(
        stack,
        "Capacity",
        cluster=cluster,
        vpc=vpc,
        spec=spec,
        lockfile=lockfile(),
        stage="pilot",
        fleet="general",
        **kw,
    )
    ClusterCapacityProviders(
        stack,
        "CapacityProviders",
        cluster=cluster,
        items=[StrategyItem(capacity_provider=cap.capacity_provider_name, weight=1)],
    )
    return cap


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # nag_dir: AwsSolutions + NIST 800-53 R5 run; synth raises on any unacknowledged finding.
    return synth(_add, nag_dir=tmp_path_factory.mktemp("nag"))


def _one(template: dict[str, Any], cfn_type: str) -> tuple[str, dict[str, Any]]:
    (item,) = of_type(template, cfn_type).items()
    return item


def test_construct_ids_are_stable_nouns(template: dict[str, Any]) -> None:
    ids = set(template["Resources"])
    for prefix in (
        "CapacityAutoScalingGroup",
        "CapacityLaunchTemplate",
        "CapacityInstanceRole",
        "CapacityCapacityProvider",
        "CapacitySecurityGroup",
        "CapacityProviders",
    ):
        assert any(i.startswith(prefix) for i in ids), (prefix, ids)
    assert not any("m6i" in i.lower() or "1500" in i for i in ids)


def test_launch_template_is_pinned_imdsv2_encrypted_without_ssh(template: dict[str, Any]) -> None:
    _, lt = _one(template, "AWS::EC2::LaunchTemplate")
    data = lt["Properties"]["LaunchTemplateData"]
    assert data["ImageId"] == AMIS[("aws-ecs-2", "x86_64")]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert "KeyName" not in data
    devices = {d["DeviceName"]: d["Ebs"] for d in data["BlockDeviceMappings"]}
    assert set(devices) == {"/dev/xvda", "/dev/xvdb"}
    assert all(e["Encrypted"] is True and e["VolumeType"] == "gp3" for e in devices.values())


def test_user_data_is_our_bottlerocket_toml_not_amazon_linux(template: dict[str, Any]) -> None:
    asg_id, _ = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    cluster_id, _ = _one(template, "AWS::ECS::Cluster")
    _, lt = _one(template, "AWS::EC2::LaunchTemplate")
    text = user_data_text(template, lt)
    assert "#!/bin/bash" not in text
    assert "ecs.config" not in text
    assert text.count("[settings.ecs]") == 1
    doc = tomllib.loads(text)
    ecs_settings = doc["settings"]["ecs"]
    assert ecs_settings["cluster"] == f"<Ref:{cluster_id}>"
    assert ecs_settings["enable-spot-instance-draining"] is True
    assert ecs_settings["allow-privileged-containers"] is False
    assert ecs_settings["loglevel"] == "warn"
    assert ecs_settings["image-pull-behavior"] == "prefer-cached"
    assert doc["settings"]["host-containers"]["admin"]["enabled"] is False
    assert doc["settings"]["host-containers"]["control"]["enabled"] is True
    assert doc["settings"]["cloudformation"] == {
        "should-signal": True,
        "stack-name": "BrTestEcs",
        "logical-resource-id": asg_id,
    }


def test_cdk_add_asg_capacity_provider_would_break_the_toml(tmp_path: Path) -> None:
    """Why we do not call ``cluster.add_asg_capacity_provider``: with MachineImageType.BOTTLEROCKET, CDK 2.275
    still appends its own ``[settings.ecs]`` table (duplicate table = TOML error) and two AWS managed policies.
    If this test starts failing, CDK changed and the bypass in capacity.py can be reconsidered."""

    def build(stack: Stack, vpc: ec2.IVpc, cluster: ecs.Cluster) -> None:
        cap = EcsCapacity(
            stack, "Capacity", cluster=cluster, vpc=vpc, spec=SPEC, lockfile=lockfile(), stage="pilot", fleet="x"
        )
        cluster.add_asg_capacity_provider(cap.capacity_provider, machine_image_type=ecs.MachineImageType.BOTTLEROCKET)

    template = synth(build)
    _, lt = _one(template, "AWS::EC2::LaunchTemplate")
    text = user_data_text(template, lt)
    assert text.count("[settings.ecs]") == 2
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    _, role = _one(template, "AWS::IAM::Role")
    assert "ManagedPolicyArns" in role["Properties"]


def test_boot_signal_creation_and_rolling_update_policies(template: dict[str, Any]) -> None:
    _, asg = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    assert asg["CreationPolicy"] == {"ResourceSignal": {"Count": 2, "Timeout": "PT15M"}}
    rolling = asg["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert rolling["WaitOnResourceSignals"] is True
    assert rolling["MinInstancesInService"] == 2
    assert rolling["MaxBatchSize"] == 1
    assert rolling["PauseTime"] == "PT15M"
    assert asg["UpdatePolicy"]["AutoScalingScheduledAction"] == {"IgnoreUnmodifiedGroupSizeProperties": True}
    props = asg["Properties"]
    assert props["NewInstancesProtectedFromScaleIn"] is True
    assert (props["MinSize"], props["MaxSize"]) == ("2", "5")
    assert "DesiredCapacity" not in props  # ECS managed scaling owns it
    overrides = props["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
    assert [o["InstanceType"] for o in overrides] == ["m6i.large", "m7i.large"]
    tag_map = {t["Key"]: (t["Value"], t["PropagateAtLaunch"]) for t in props["Tags"]}
    assert tag_map["constructs-br:image-version"] == (VERSION, True)
    assert tag_map["constructs-br:variant"] == ("aws-ecs-2", True)
    assert tag_map["constructs-br:fleet"] == ("general", True)


def test_capacity_provider_managed_scaling_and_termination_protection(template: dict[str, Any]) -> None:
    asg_id, _ = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    cp_id, cp = _one(template, "AWS::ECS::CapacityProvider")
    provider = cp["Properties"]["AutoScalingGroupProvider"]
    assert provider["AutoScalingGroupArn"] == {"Ref": asg_id}
    assert provider["ManagedScaling"] == {"Status": "ENABLED", "TargetCapacity": 90, "InstanceWarmupPeriod": 180}
    assert provider["ManagedTerminationProtection"] == "ENABLED"
    _, assoc = _one(template, "AWS::ECS::ClusterCapacityProviderAssociations")
    assert assoc["Properties"]["DefaultCapacityProviderStrategy"] == [{"CapacityProvider": {"Ref": cp_id}, "Weight": 1}]


def test_instance_role_has_explicit_statements_only(template: dict[str, Any]) -> None:
    _, role = _one(template, "AWS::IAM::Role")
    assert of_type(template, "AWS::IAM::Policy") == {}  # no inline policies
    (arn,) = role["Properties"]["ManagedPolicyArns"]
    assert "Ref" in arn  # our customer-managed policy, no AWS managed policy
    _, policy = _one(template, "AWS::IAM::ManagedPolicy")
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["CloudFormationBootSignal"]["Resource"] == {"Ref": "AWS::StackId"}
    assert statements["CloudFormationBootSignal"]["Action"] == "cloudformation:SignalResource"
    cluster_id, _ = _one(template, "AWS::ECS::Cluster")
    assert statements["EcsAgentJoinCluster"]["Resource"] == {"Fn::GetAtt": [cluster_id, "Arn"]}
    assert statements["EcsAgentPoll"]["Condition"] == {
        "ArnEquals": {"ecs:cluster": {"Fn::GetAtt": [cluster_id, "Arn"]}}
    }
    assert "ssmmessages:OpenDataChannel" in statements["SsmAgentControlContainer"]["Action"]
    actions = [a for s in statements.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert not any(a.endswith("*") for a in actions)
    assert "ecs:CreateCluster" not in actions


def test_no_lambda_or_custom_resource(template: dict[str, Any]) -> None:
    types = {r["Type"] for r in template["Resources"].values()}
    assert not any(t.startswith("Custom::") or t.startswith("AWS::Lambda::") for t in types)
    assert "AWS::CloudFormation::CustomResource" not in types


def test_spot_mix_turns_on_capacity_rebalance() -> None:
    spot = EcsCapacitySpec(
        image=ImageSpec(variant="aws-ecs-2", arch="arm64"),
        instance_types=("m7g.large", "m6g.large"),
        spot_percentage=70,
        on_demand_base_capacity=1,
    )
    template = synth(lambda s, v, c: _add(s, v, c, spot))
    _, asg = _one(template, "AWS::AutoScaling::AutoScalingGroup")
    dist = asg["Properties"]["MixedInstancesPolicy"]["InstancesDistribution"]
    assert dist["OnDemandPercentageAboveBaseCapacity"] == 30
    assert dist["OnDemandBaseCapacity"] == 1
    assert dist["SpotAllocationStrategy"] == "price-capacity-optimized"
    assert asg["Properties"]["CapacityRebalance"] is True
    _, lt = _one(template, "AWS::EC2::LaunchTemplate")
    assert lt["Properties"]["LaunchTemplateData"]["ImageId"] == AMIS[("aws-ecs-2", "arm64")]


def test_customer_key_volumes_and_autoscaling_grant(tmp_path: Path) -> None:
    """A customer-managed volume key: the capacity itself lets the Auto Scaling service-linked role use it (matched
    by ``aws:PrincipalArn`` in this account: KMS refuses a policy naming a role that does not exist yet), once per
    key however many capacities share it, and both volumes name it."""

    def build(stack: Stack, vpc: ec2.IVpc, cluster: ecs.Cluster) -> None:
        key = kms.Key(stack, "VolumeKey", enable_key_rotation=True)
        grant_ebs_key_to_autoscaling(key)  # an explicit grant as well: idempotent
        _add(stack, vpc, cluster, volume_key=key)
        EcsCapacity(
            stack, "Second", cluster=cluster, vpc=vpc, spec=SPEC, lockfile=lockfile(), fleet="second", volume_key=key
        )

    template = synth(build, nag_dir=tmp_path)
    key_id, key = _one(template, "AWS::KMS::Key")
    for _, lt in of_type(template, "AWS::EC2::LaunchTemplate").items():
        for device in lt["Properties"]["LaunchTemplateData"]["BlockDeviceMappings"]:
            assert device["Ebs"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    sids = [s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert sids.count("AllowAutoScalingToUseKeyForNodeVolumes") == 1
    assert sids.count("AllowAutoScalingToGrantForNodeVolumes") == 1
    statements = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    use, grant = (
        statements["AllowAutoScalingToUseKeyForNodeVolumes"],
        statements["AllowAutoScalingToGrantForNodeVolumes"],
    )
    for statement in (use, grant):
        # Principal "*" only together with the conditions that narrow it to the service-linked role of this account.
        assert statement["Principal"] == {"AWS": "*"}
        assert "AWSServiceRoleForAutoScaling" in str(statement["Condition"]["ArnEquals"]["aws:PrincipalArn"])
        assert ":iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/" in str(
            statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]
        )
        assert statement["Condition"]["StringEquals"] == {"kms:CallerAccount": ACCOUNT}
    assert "kms:GenerateDataKey*" in use["Action"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


# --- the image is resolved for the stack's region ----------------------------------------------------------------


def _capacity_in(stack: Stack, lock: Lockfile | None = None) -> EcsCapacity:
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["az-a", "az-b"],
        private_subnet_ids=["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
    )
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    return EcsCapacity(
        stack, "Capacity", cluster=cluster, vpc=vpc, spec=SPEC, lockfile=lock or lockfile(), fleet="general"
    )


def test_stack_without_a_region_is_a_named_error() -> None:
    stack = Stack(App(), "NoEnv")
    with pytest.raises(ConfigError) as err:
        _capacity_in(stack)
    assert err.value.fields == ("stack.region",)
    (problem,) = err.value.problems
    assert "region" in problem.allowed
    assert "NoEnv" in str(problem.value)


def test_region_without_a_pin_names_the_region() -> None:
    stack = Stack(App(), "Frankfurt", env=Environment(account=ACCOUNT, region="eu-central-1"))
    with pytest.raises(MissingPinError) as err:
        _capacity_in(stack)
    assert err.value.region == "eu-central-1"
    assert "eu-central-1" in str(err.value)
    assert (err.value.variant, err.value.arch) == ("aws-ecs-2", "x86_64")


def test_each_stack_gets_its_own_regions_pin() -> None:
    other = Pin(
        region="eu-west-1",
        variant="aws-ecs-2",
        arch="x86_64",
        image_id="ami-0e0e000000000e001",
        image_version=VERSION,
        ssm_path="/aws/service/bottlerocket/aws-ecs-2/x86_64/1.50.0/image_id",
        resolved_at="2026-01-01T00:00:00Z",
    )
    lock = lockfile().with_pin(other)
    app = App()
    built = {
        region: _capacity_in(
            Stack(app, f"Ecs{region.replace('-', '')}", env=Environment(account=ACCOUNT, region=region)), lock
        )
        for region in (REGION, "eu-west-1")
    }
    images = {}
    for region, cap in built.items():
        _, lt = _one(dict(Template.from_stack(Stack.of(cap)).to_json()), "AWS::EC2::LaunchTemplate")
        images[region] = (cap.image.region, lt["Properties"]["LaunchTemplateData"]["ImageId"])
    assert images == {REGION: (REGION, AMIS[("aws-ecs-2", "x86_64")]), "eu-west-1": ("eu-west-1", other.image_id)}
