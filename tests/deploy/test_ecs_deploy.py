"""Real ``cdk bootstrap`` + ``cdk deploy BrPilotEcs`` (the CDK CLI from node_modules) against moto on localhost,
then read back with boto3. moto accepts some resource types without creating anything (ECS capacity providers
among them): assertions go to the service APIs, not to the stack status. See docs/ecs.md for what moto cannot check.
"""

from __future__ import annotations

import base64
import time
import tomllib
from typing import Any

import boto3
import pytest

from stacks.app import cdk_json_context, load_lockfile
from tests.conftest import cdk_cli, copy_assembly, synthesized
from tests.deploy.conftest import REGION, DeployEnv

ACCOUNT = "123456789012"
STACK = "BrPilotEcs"


def _client(service: str, deploy: DeployEnv) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=deploy.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def deployed(deploy_env: DeployEnv, tmp_path_factory: pytest.TempPathFactory) -> DeployEnv:
    """Bootstrap the account, then deploy ``BrPilotEcs`` from pilot's cloud assembly synthesized with the VPC imported
    by context — the way a pipeline deploys (synthesize once, ``cdk deploy --app <assembly>``). That the CLI runs
    the app with cdk.json and ``-c`` as pytest builds it is tests/stacks/test_cli_equivalence.py's."""
    # Outside the project (no cdk.json): `cdk bootstrap` would otherwise synthesize the whole app first, to learn
    # environments the explicit aws://account/region already names.
    boot = cdk_cli(["bootstrap", f"aws://{ACCOUNT}/{REGION}"], tmp_path_factory.mktemp("boot"), env=deploy_env.env)
    assert boot.returncode == 0, boot.stdout + boot.stderr
    context = {
        "br:stages": "pilot",
        "br:pilot:vpc-id": deploy_env.vpc_id,
        "br:pilot:private-subnet-ids": ",".join(deploy_env.subnet_ids),
        "br:pilot:availability-zones": ",".join(deploy_env.azs),
    }
    # A private copy: the CLI writes its lock files into the assembly directory it reads.
    assembly = copy_assembly(synthesized(context), tmp_path_factory.mktemp("cdk.out"))
    deploy = cdk_cli(
        ["deploy", STACK, "--app", str(assembly), "--require-approval", "never", "--exclusively"], env=deploy_env.env
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    (assembly / "deploy.log").write_text(deploy.stdout + deploy.stderr)
    return deploy_env


def _resources(deploy: DeployEnv) -> dict[str, dict[str, Any]]:
    cfn = _client("cloudformation", deploy)
    for _ in range(30):
        summaries = cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
        if summaries:
            return {r["LogicalResourceId"]: r for r in summaries}
        time.sleep(1)
    raise AssertionError("no stack resources")


def _physical(deploy: DeployEnv, cfn_type: str) -> str:
    (resource,) = [r for r in _resources(deploy).values() if r["ResourceType"] == cfn_type]
    return str(resource["PhysicalResourceId"])


@pytest.mark.deploy
def test_ecs_cluster_exists(deployed: DeployEnv) -> None:
    name = _physical(deployed, "AWS::ECS::Cluster")
    clusters = _client("ecs", deployed).describe_clusters(clusters=[name])["clusters"]
    assert [c["status"] for c in clusters] == ["ACTIVE"]


@pytest.mark.deploy
def test_launch_template_and_asg_read_back(deployed: DeployEnv) -> None:
    ec2 = _client("ec2", deployed)
    lt_id = _physical(deployed, "AWS::EC2::LaunchTemplate")
    (version,) = ec2.describe_launch_template_versions(LaunchTemplateId=lt_id)["LaunchTemplateVersions"]
    data = version["LaunchTemplateData"]
    pin = load_lockfile(cdk_json_context()).get(REGION, "aws-ecs-2", "x86_64")
    assert data["ImageId"] == pin.image_id
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    devices = {d["DeviceName"]: d["Ebs"] for d in data["BlockDeviceMappings"]}
    assert set(devices) == {"/dev/xvda", "/dev/xvdb"}
    assert all(e["Encrypted"] is True and e["VolumeType"] == "gp3" for e in devices.values())
    assert "KeyName" not in data

    doc = tomllib.loads(base64.b64decode(data["UserData"]).decode())
    cluster_name = _physical(deployed, "AWS::ECS::Cluster")
    assert doc["settings"]["ecs"]["cluster"] == cluster_name
    assert doc["settings"]["ecs"]["enable-spot-instance-draining"] is True
    assert doc["settings"]["cloudformation"]["stack-name"] == STACK
    asg_logical = next(k for k, r in _resources(deployed).items() if r["ResourceType"].endswith("AutoScalingGroup"))
    assert doc["settings"]["cloudformation"]["logical-resource-id"] == asg_logical

    asg_name = _physical(deployed, "AWS::AutoScaling::AutoScalingGroup")
    (asg,) = _client("autoscaling", deployed).describe_auto_scaling_groups(AutoScalingGroupNames=[asg_name])[
        "AutoScalingGroups"
    ]
    assert (asg["MinSize"], asg["MaxSize"]) == (1, 4)
    assert set(asg["VPCZoneIdentifier"].split(",")) == set(deployed.subnet_ids)
    spec = asg["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]
    assert spec["LaunchTemplateId"] == lt_id
    assert asg["NewInstancesProtectedFromScaleIn"] is True


@pytest.mark.deploy
def test_node_logs_read_back(deployed: DeployEnv) -> None:
    """The ECS stack's node logging deployed: the named groups with retention, the Fluent Bit service."""
    groups = _client("logs", deployed).describe_log_groups(logGroupNamePrefix="/constructs-br/pilot/ecs/")["logGroups"]
    assert sorted(g["logGroupName"] for g in groups) == [
        "/constructs-br/pilot/ecs/containers",
        "/constructs-br/pilot/ecs/host",
    ]
    # moto's CloudFormation drops KmsKeyId on log groups; the KMS rule is a template invariant (tests/stacks).
    assert all(g.get("retentionInDays") == 365 for g in groups), groups
    cluster = _physical(deployed, "AWS::ECS::Cluster")
    service = _physical(deployed, "AWS::ECS::Service")
    (svc,) = _client("ecs", deployed).describe_services(cluster=cluster, services=[service])["services"]
    # moto's CloudFormation ignores SchedulingStrategy (it reports REPLICA); DAEMON is asserted on the template
    # (tests/unit/logs). What moto shows: the service exists and is active on the cluster.
    assert svc["status"] == "ACTIVE"
