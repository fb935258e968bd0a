"""An existing ECS capacity provider (over an Amazon Linux ASG, created with boto3) adopted as a capacity pair's
blue, against moto: services move to green first, then ``adopted standby`` scales its ASG to zero through
``UpdateAutoScalingGroup`` with the sizes in a tag, ``restore`` brings them back; no call is a ``Delete*``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from constructs_br import tags
from constructs_br.cli import _adopted
from tests.cli.conftest import REGIONS, Moto, Run
from tests.cli.conftest_fleet import CallLog, pin_v1, record_calls

WEST = REGIONS[0]
V1 = "1.50.0-abcdef12"
VARIANT = "aws-ecs-2"
PAIR = "general"
CLUSTER = "apps"
PROVIDER = "legacy-al2"
ASG = "legacy-al2-asg"
REF = f"capacity-provider/{PROVIDER}"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[CallLog]:
    log = CallLog()
    record_calls(monkeypatch, log)
    yield log
    assert log.deletes() == [], "brctl must never call a Delete*/Untag* API"


class Ecs:
    def __init__(self, moto: Moto, brctl: Run, lockfile: Path) -> None:
        self.brctl = brctl
        self.ec2, self.asg, self.ecs = moto.client("ec2"), moto.client("autoscaling"), moto.client("ecs")
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{WEST}a")["Subnet"][
            "SubnetId"
        ]
        self.image = pin_v1(moto, lockfile, WEST, VARIANT, "x86_64", V1)
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "a", "image": "x", "memory": 64}]
        )
        self.providers: list[str] = []
        self.group(ASG, PROVIDER, {"owner": "legacy-team"})  # the adopted one: none of the library's tags

    def group(self, name: str, provider: str, group_tags: dict[str, str]) -> None:
        lt = self.ec2.create_launch_template(
            LaunchTemplateName=f"lt-{name}", LaunchTemplateData={"ImageId": self.image}
        )
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Default"},
            MinSize=1,
            MaxSize=4,
            DesiredCapacity=2,
            VPCZoneIdentifier=self.subnet,
            Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in group_tags.items()],
        )
        arn = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0][
            "AutoScalingGroupARN"
        ]
        self.ecs.create_capacity_provider(
            name=provider,
            autoScalingGroupProvider={"autoScalingGroupArn": arn, "managedTerminationProtection": "DISABLED"},
        )
        self.providers.append(provider)
        self.ecs.put_cluster_capacity_providers(
            cluster=CLUSTER, capacityProviders=self.providers, defaultCapacityProviderStrategy=[]
        )
        group = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
        for instance in group["Instances"]:
            self.ecs.register_container_instance(
                cluster=CLUSTER, instanceIdentityDocument=json.dumps({"instanceId": instance["InstanceId"]})
            )

    def deploy_green(self) -> None:
        slot_tags = {tags.FLEET: PAIR, tags.SLOT: "green", tags.VARIANT: VARIANT, tags.STAGE: "pilot"}
        self.group(f"{PAIR}-green", "cp-green", {**slot_tags, tags.IMAGE_VERSION: V1})

    def service(self, name: str, provider: str) -> None:
        self.ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition="web", desiredCount=1)
        self.move(name, provider)

    def move(self, name: str, provider: str) -> None:  # moto keeps the strategy only on UpdateService
        self.ecs.update_service(
            cluster=CLUSTER, service=name, capacityProviderStrategy=[{"capacityProvider": provider, "weight": 1}]
        )

    def adopted_asg(self) -> dict[str, Any]:
        return dict(self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[ASG])["AutoScalingGroups"][0])

    def run(self, sub: str, *extra: str) -> tuple[int, str, str]:
        stage = ("--stage", "pilot") if sub == "next" else ()
        return self.brctl(
            "cutover", *sub.split(), "--ecs", "--cluster", CLUSTER, "--pair", PAIR, "--region", WEST,
            "--adopt", REF, *stage, *extra,
        )  # fmt: skip


@pytest.fixture
def fleet(moto: Moto, brctl: Run, lockfile: Path) -> Ecs:
    return Ecs(moto, brctl, lockfile)


def _tags(group: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in group.get("Tags", [])}


def test_adopted_provider_walk(fleet: Ecs, calls: CallLog) -> None:
    fleet.service("web", PROVIDER)
    code, out, err = fleet.run("status", "--json")
    assert code == 0, (out, err)
    (slot,) = json.loads(out)["slots"]
    assert (slot["capacity_provider"], slot["adopted"], slot["ready"], slot["desired"]) == (PROVIDER, True, 2, 2)

    code, out, err = fleet.run("next", "--json")
    doc = json.loads(out)
    assert code == 0, err
    assert (doc["current"], doc["next"], doc["context"]) == (
        "blue",
        "blue+green",
        {"br:pilot:capacity:general:phase": "blue+green"},
    )
    assert doc["command"] == "npx cdk deploy BrPilotEcs"

    fleet.deploy_green()
    code, out, _ = fleet.run("next", "--phase", "blue+green", "--json")
    doc = json.loads(out)
    assert (code, doc["action"]) == (1, "move-services")
    assert doc["reasons"] == [f"service web still uses the outgoing capacity provider {PROVIDER} (blue)"]
    code, _, err = fleet.run("adopted standby")  # refused while a service still uses it
    assert code == 1
    assert "services still use it: web" in err

    fleet.move("web", "cp-green")
    code, out, err = fleet.run("next", "--phase", "blue+green", "--json")
    doc = json.loads(out)
    assert code == 0, err
    assert (doc["action"], doc["context"]) == ("standby", {"br:pilot:capacity:general:phase": "green"})
    assert "brctl cutover adopted standby" in doc["steps"][0]["lines"][0]

    code, out, err = fleet.run("adopted standby")
    assert code == 0, err
    group = fleet.adopted_asg()
    assert (group["MinSize"], group["DesiredCapacity"], group["MaxSize"]) == (0, 0, 4)
    assert _tags(group) == {"owner": "legacy-team", _adopted.STANDBY_TAG: "min=1,desired=2,max=4"}

    code, out, err = fleet.run("next", "--json")  # inferred: green
    doc = json.loads(out)
    assert code == 0, err
    assert (doc["current"], doc["next"], doc["context"]) == (
        "green",
        "retire",
        {"br:pilot:capacity:general:phase": "retire"},
    )

    code, out, err = fleet.run("adopted restore")
    assert code == 0, err
    group = fleet.adopted_asg()
    assert (group["MinSize"], group["DesiredCapacity"]) == (1, 2)
    assert _tags(group)[_adopted.STANDBY_TAG] == ""
    assert calls.ops() >= {"DescribeCapacityProviders", "UpdateAutoScalingGroup", "CreateOrUpdateTags"}
    assert fleet.ecs.describe_capacity_providers(capacityProviders=[PROVIDER])["capacityProviders"][0]["name"] == (
        PROVIDER
    )


def test_an_ecs_provider_takes_no_taint(fleet: Ecs, calls: CallLog) -> None:
    code, _, err = fleet.run("adopted taint")
    assert code == 1
    assert "an ECS capacity provider takes no taint" in err
    assert calls.count("UpdateAutoScalingGroup") == 0


def test_kubeconfig_is_for_eks_only(fleet: Ecs, calls: CallLog) -> None:
    code, _, err = fleet.run("adopted standby", "--kubeconfig", "/tmp/kc")
    assert code == 2
    assert "--kubeconfig: got '/tmp/kc'; allowed: EKS pairs only" in err
    assert calls.ops() == set()
