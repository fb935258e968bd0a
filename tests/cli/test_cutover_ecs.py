"""``brctl cutover --kind ecs``: the ECS capacity gate and slot removal against moto's ECS, Auto Scaling and EC2.

moto 5.2.5 gaps worked around here: ``CreateService`` drops ``capacityProviderStrategy`` (the tests set it with
``UpdateService``); ``DescribeCapacityProviders`` without names fails (brctl names the cluster's providers anyway).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from constructs_br import tags
from tests.cli.conftest import REGIONS, Moto, Run
from tests.cli.conftest_fleet import pin_v1

WEST = REGIONS[0]
V1 = "1.50.0-abcdef12"
V2 = "1.51.0-0123abcd"
VARIANT = "aws-ecs-2"
PAIR = "general"
CLUSTER = "apps"
KEY = "br:pilot:capacity:general:phase"
RETIRE = "br:pilot:capacity:general:retire-outgoing"


class Ecs:
    """A seeded ECS cluster with capacity-provider slots."""

    def __init__(self, moto: Moto, brctl: Run, project: Path, lockfile: Path) -> None:
        self.moto, self.brctl, self.project, self.lockfile = moto, brctl, project, lockfile
        self.ec2, self.asg, self.ecs = moto.client("ec2"), moto.client("autoscaling"), moto.client("ecs")
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{WEST}a")["Subnet"][
            "SubnetId"
        ]
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "a", "image": "x", "memory": 64}]
        )
        self.providers: list[str] = []

    def pin(self, version: str) -> str:
        return pin_v1(self.moto, self.lockfile, WEST, VARIANT, "x86_64", version)

    def slot(self, slot: str, image: str, version: str | None, *, desired: int = 2, register: bool = True) -> str:
        """ASG ``general-<slot>`` (launch template on ``image``) behind capacity provider ``cp-<slot>``."""
        name = f"{PAIR}-{slot}"
        lt = self.ec2.create_launch_template(LaunchTemplateName=f"lt-{name}", LaunchTemplateData={"ImageId": image})
        slot_tags = {tags.FLEET: PAIR, tags.SLOT: slot, tags.VARIANT: VARIANT, tags.STAGE: "pilot"}
        if version:
            slot_tags[tags.IMAGE_VERSION] = version
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Default"},
            MinSize=1,
            MaxSize=4,
            DesiredCapacity=desired,
            VPCZoneIdentifier=self.subnet,
            NewInstancesProtectedFromScaleIn=True,
            Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in slot_tags.items()],
        )
        arn = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0][
            "AutoScalingGroupARN"
        ]
        self.ecs.create_capacity_provider(
            name=f"cp-{slot}",
            autoScalingGroupProvider={"autoScalingGroupArn": arn, "managedTerminationProtection": "ENABLED"},
        )
        self.providers.append(f"cp-{slot}")
        self.ecs.put_cluster_capacity_providers(
            cluster=CLUSTER, capacityProviders=self.providers, defaultCapacityProviderStrategy=[]
        )
        if register:
            for instance in self.instances(slot):
                self.ecs.register_container_instance(
                    cluster=CLUSTER, instanceIdentityDocument=json.dumps({"instanceId": instance})
                )
        return name

    def instances(self, slot: str) -> list[str]:
        group = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{PAIR}-{slot}"])["AutoScalingGroups"]
        return sorted(i["InstanceId"] for i in group[0]["Instances"])

    def service(self, name: str, provider: str) -> None:
        self.ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition="web", desiredCount=1)
        # moto drops the strategy on CreateService; UpdateService keeps it.
        self.ecs.update_service(
            cluster=CLUSTER, service=name, capacityProviderStrategy=[{"capacityProvider": provider, "weight": 1}]
        )

    def retire(self, slot: str, *, empty: bool) -> None:
        """What the deploy with ``retire-outgoing: true`` does to the slot (and, ``empty``, the ASG afterwards)."""
        name = f"{PAIR}-{slot}"
        self.ecs.update_capacity_provider(
            name=f"cp-{slot}", autoScalingGroupProvider={"managedTerminationProtection": "DISABLED"}
        )
        if empty:
            self.asg.set_instance_protection(
                AutoScalingGroupName=name, InstanceIds=self.instances(slot), ProtectedFromScaleIn=False
            )
        self.asg.update_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, MaxSize=0, DesiredCapacity=0, NewInstancesProtectedFromScaleIn=False
        )

    def cutover(self, sub: str, *extra: str) -> tuple[int, str, str]:
        stage = ("--stage", "pilot") if sub == "next" else ()
        return self.brctl(
            "cutover", sub, "--ecs", "--cluster", CLUSTER, "--pair", PAIR, "--region", WEST,
            "--project", str(self.project), *stage, *extra,
        )  # fmt: skip


@pytest.fixture
def ecs(moto: Moto, brctl: Run, project: Path, lockfile: Path) -> Ecs:
    return Ecs(moto, brctl, project, lockfile)


def test_status_ok_single_slot(ecs: Ecs) -> None:
    image = ecs.pin(V1)
    ecs.slot("blue", image, V1)

    code, out, err = ecs.cutover("status", "--json")

    assert code == 0, (out, err)
    doc = json.loads(out)
    assert (doc["kind"], doc["ok"], doc["error"]) == ("ecs", True, None)
    (s,) = doc["slots"]
    assert (s["slot"], s["asg"], s["capacity_provider"], s["ready"], s["desired"]) == (
        "blue",
        "general-blue",
        "cp-blue",
        2,
        2,
    )
    assert (s["container_instances_active"], s["actual"], s["expected"], s["retiring"]) == (2, image, image, False)

    code, out, _ = ecs.cutover("status")
    assert code == 0
    assert "general-blue" in out
    assert "OK" in out


def test_kind_ecs_equals_ecs_flag(ecs: Ecs, brctl: Run, project: Path) -> None:
    image = ecs.pin(V1)
    ecs.slot("blue", image, V1)
    code, out, _ = brctl(
        "cutover", "status", "--kind", "ecs", "--cluster", CLUSTER, "--pair", PAIR, "--region", WEST, "--json"
    )
    assert code == 0
    assert json.loads(out)["kind"] == "ecs"


def test_unregistered_or_draining_container_instances_fail(ecs: Ecs) -> None:
    image = ecs.pin(V1)
    ecs.slot("blue", image, V1, register=False)
    first, second = ecs.instances("blue")
    ecs.ecs.register_container_instance(cluster=CLUSTER, instanceIdentityDocument=json.dumps({"instanceId": first}))
    arns = ecs.ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"]
    ecs.ecs.update_container_instances_state(cluster=CLUSTER, containerInstances=arns, status="DRAINING")

    code, out, _ = ecs.cutover("status", "--json")

    assert code == 1
    (s,) = json.loads(out)["slots"]
    assert f"container instance of {first} is DRAINING, expected ACTIVE" in s["reasons"]
    assert f"instance {second} is not a container instance of cluster {CLUSTER}" in s["reasons"]


def test_wrong_image_fails_and_previous_pin_passes(ecs: Ecs) -> None:
    old = ecs.pin(V1)
    new = ecs.pin(V2)
    ecs.slot("blue", old, V1)  # pinned to the previous pin: OK
    ecs.slot("green", old, None)  # follows the current pin but runs the old image: fail

    code, out, _ = ecs.cutover("status", "--json")

    assert code == 1
    by_slot = {s["slot"]: s for s in json.loads(out)["slots"]}
    assert (by_slot["blue"]["ok"], by_slot["blue"]["expected"], by_slot["blue"]["lockfile_pin"]) == (True, old, V2)
    assert f"launch template image {old}, expected {new} ({V2})" in by_slot["green"]["reasons"]


def test_other_clusters_asgs_are_not_the_pair(ecs: Ecs) -> None:
    image = ecs.pin(V1)
    ecs.slot("blue", image, V1)
    ecs.ecs.put_cluster_capacity_providers(cluster=CLUSTER, capacityProviders=[], defaultCapacityProviderStrategy=[])

    code, _, err = ecs.cutover("status")

    assert code == 1
    assert (
        f"no Auto Scaling groups tagged {tags.FLEET}={PAIR} behind capacity providers of ECS cluster {CLUSTER}" in err
    )


def test_next_from_blue(ecs: Ecs) -> None:
    old = ecs.pin(V1)
    ecs.slot("blue", old, V1)
    ecs.pin(V2)

    code, out, err = ecs.cutover("next")

    assert code == 0, err
    assert f'"{KEY}": "blue+green"' in out
    assert "npx cdk deploy BrPilotEcs" in out


def _two_slots(ecs: Ecs) -> None:
    old = ecs.pin(V1)
    new = ecs.pin(V2)
    ecs.slot("blue", old, V1)
    ecs.slot("green", new, None)


def test_next_refuses_while_services_use_the_outgoing_provider(ecs: Ecs) -> None:
    _two_slots(ecs)
    ecs.service("web", "cp-blue")
    ecs.service("api", "cp-blue")
    ecs.service("moved", "cp-green")

    code, out, err = ecs.cutover("next", "--phase", "blue+green")

    assert code == 1
    assert "gate failed; not advancing" in err
    assert "service web still uses the outgoing capacity provider cp-blue (blue)" in err
    assert "service moved" not in err
    for svc in ("api", "web"):
        assert (
            f"aws ecs update-service --cluster {CLUSTER} --service {svc} "
            "--capacity-provider-strategy capacityProvider=cp-green,weight=1 --force-new-deployment"
        ) in out
    assert f'"{KEY}": "green"' not in out
    # The rollback moves the services already on green back to blue.
    assert "Rollback instead (back to phase blue):" in out
    assert "--service moved --capacity-provider-strategy capacityProvider=cp-blue,weight=1" in out

    code, out, _ = ecs.cutover("next", "--phase", "blue+green", "--json")
    doc = json.loads(out)
    assert (doc["ok"], doc["action"]) == (False, "move-services")


def test_next_refuses_while_tasks_run_on_the_outgoing_slot(ecs: Ecs) -> None:
    _two_slots(ecs)
    ecs.ecs.create_service(cluster=CLUSTER, serviceName="legacy", taskDefinition="web", desiredCount=1)  # launch type
    arns = ecs.ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"]
    described = ecs.ecs.describe_container_instances(cluster=CLUSTER, containerInstances=arns)["containerInstances"]
    blue = [c["containerInstanceArn"] for c in described if c["ec2InstanceId"] in ecs.instances("blue")]
    ecs.ecs.start_task(cluster=CLUSTER, taskDefinition="web", containerInstances=blue[:1])

    code, out, err = ecs.cutover("next", "--phase", "blue+green")

    assert code == 1
    assert "1 task(s) still run on the container instances of blue" in err
    assert "--service legacy --capacity-provider-strategy capacityProvider=cp-green,weight=1" in out


def test_next_retires_the_outgoing_slot_in_a_deploy_of_its_own(ecs: Ecs) -> None:
    _two_slots(ecs)
    ecs.service("web", "cp-green")

    code, out, err = ecs.cutover("next", "--phase", "blue+green")

    assert code == 0, err
    assert f'"{RETIRE}": true' in out
    assert "npx cdk deploy BrPilotEcs" in out
    assert f'"{KEY}": "green"' not in out

    code, out, _ = ecs.cutover("next", "--phase", "blue+green", "--json")
    doc = json.loads(out)
    assert (doc["action"], doc["context"], doc["next"]) == ("retire", {RETIRE: True}, "green")


def test_next_refuses_while_a_retiring_slot_has_protected_instances(ecs: Ecs) -> None:
    _two_slots(ecs)
    ecs.retire("blue", empty=False)
    instances = ecs.instances("blue")
    assert instances  # moto keeps scale-in protected instances, as AWS does

    code, out, err = ecs.cutover("next", "--phase", "blue+green")

    assert code == 1
    assert f"{len(instances)} instance(s) remain in general-blue (blue, retiring)" in err
    assert (
        "aws autoscaling set-instance-protection --no-protected-from-scale-in "
        f"--auto-scaling-group-name general-blue --instance-ids {' '.join(instances)}"
    ) in out
    # Rollback from here first gives blue its capacity back.
    assert f'remove "{RETIRE}"' in out

    code, out, _ = ecs.cutover("status", "--json")
    assert code == 0  # a retiring slot is only judged by what is left on it (next's job)
    blue = next(s for s in json.loads(out)["slots"] if s["slot"] == "blue")
    assert (blue["retiring"], blue["min_size"], blue["max_size"]) == (True, 0, 0)


def test_next_moves_to_the_next_phase_once_the_retiring_slot_is_empty(ecs: Ecs) -> None:
    _two_slots(ecs)
    ecs.retire("blue", empty=True)
    assert ecs.instances("blue") == []

    code, out, err = ecs.cutover("next", "--phase", "blue+green")

    assert code == 0, err
    assert f'"{KEY}": "green"' in out
    assert f'remove "{RETIRE}"' in out
    assert "npx cdk deploy BrPilotEcs" in out

    code, out, _ = ecs.cutover("next", "--phase", "blue+green", "--json")
    doc = json.loads(out)
    assert (doc["action"], doc["context"]) == ("phase", {KEY: "green", RETIRE: None})
    assert (doc["rollback"]["phase"], doc["rollback"]["context_value"]) == ("blue", "blue")


def test_kubeconfig_is_for_eks_only(ecs: Ecs) -> None:
    code, _, err = ecs.cutover("next", "--kubeconfig", "x")
    assert code == 2
    assert "--kubeconfig" in err


def test_unknown_ecs_cluster_exit_1(ecs: Ecs, brctl: Run) -> None:
    ecs.pin(V1)
    code, _, err = brctl("cutover", "status", "--ecs", "--cluster", "nope", "--pair", PAIR, "--region", WEST)
    assert code == 1
    assert "ecs:DescribeClusters nope" in err
