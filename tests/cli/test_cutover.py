"""``brctl cutover status`` / ``next``: the blue/green gate against moto's EKS, Auto Scaling and EC2 APIs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from constructs_br import tags
from tests.cli.conftest import REGIONS, Moto, Run

WEST = REGIONS[0]
V1 = "1.50.0-abcdef12"
V2 = "1.51.0-0123abcd"
VARIANT = "aws-k8s-1.33"
PAIR = "general"
CLUSTER = "prod"


def cutover(brctl: Run, sub: str, *extra: str, pair: str = PAIR) -> tuple[int, str, str]:
    return brctl("cutover", sub, "--cluster", CLUSTER, "--pair", pair, "--region", WEST, *extra)


def pin(moto: Moto, brctl: Run, version: str) -> str:
    """Publish ``version`` and make it the lockfile's current pin (the old one becomes ``previous``)."""
    image = moto.seed_bottlerocket_release(WEST, VARIANT, "x86_64", version)
    code, _, err = brctl("pins", "refresh", "--region", WEST, "--variant", VARIANT, "--arch", "x86_64")
    assert code == 0, err
    return image


@pytest.fixture
def cluster(moto: Moto) -> dict[str, Any]:
    ec2 = moto.client("ec2", WEST)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{WEST}a")["Subnet"]["SubnetId"]
    eks = moto.client("eks", WEST)
    eks.create_cluster(
        name=CLUSTER,
        version="1.33",
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": [subnet]},
    )
    return {"eks": eks, "subnet": subnet, "moto": moto}


def nodegroup(
    c: dict[str, Any],
    slot: str,
    release: str,
    *,
    image_id: str | None,
    tagged_version: str | None = None,
    asg_ready: int | None = 2,
    pair: str = PAIR,
) -> str:
    """A Bottlerocket managed node group of ``pair`` (desired 2) and, with ``asg_ready``, the ASG EKS reports for
    it with that many InService instances (moto's EKS names an ASG it does not create)."""
    name = f"{pair}-{slot}"
    ng = c["eks"].create_nodegroup(
        clusterName=CLUSTER,
        nodegroupName=name,
        nodeRole="arn:aws:iam::123456789012:role/node",
        subnets=[c["subnet"]],
        amiType="BOTTLEROCKET_x86_64",
        releaseVersion=release,
        scalingConfig={"minSize": 1, "desiredSize": 2, "maxSize": 4},
        tags={
            tags.FLEET: pair,
            tags.STAGE: "pilot",
            tags.SLOT: slot,
            tags.VARIANT: VARIANT,
            tags.IMAGE_VERSION: tagged_version or release,
        },
    )["nodegroup"]
    if asg_ready is not None:
        assert image_id is not None
        asg_name = ng["resources"]["autoScalingGroups"][0]["name"]
        autoscaling = c["moto"].client("autoscaling", WEST)
        autoscaling.create_launch_configuration(
            LaunchConfigurationName=f"lc-{name}", ImageId=image_id, InstanceType="m7i.large"
        )
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=asg_name,
            LaunchConfigurationName=f"lc-{name}",
            MinSize=0,
            MaxSize=4,
            DesiredCapacity=asg_ready,
            VPCZoneIdentifier=c["subnet"],
        )
    return name


def test_status_ok(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    image = pin(moto, brctl, V1)
    name = nodegroup(cluster, "blue", V1, image_id=image)

    code, out, err = cutover(brctl, "status", "--json")

    assert code == 0, (out, err)
    doc = json.loads(out)
    assert (doc["ok"], doc["pair"], doc["cluster"], doc["error"]) == (True, PAIR, CLUSTER, None)
    (g,) = doc["nodegroups"]
    assert g["nodegroup"] == name
    assert (g["slot"], g["status"], g["health_issues"], g["ready"], g["desired"]) == ("blue", "ACTIVE", [], 2, 2)
    assert (g["actual"], g["expected"], g["lockfile_pin"], g["ok"], g["reasons"]) == (V1, V1, V1, True, [])


def test_status_table(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image)

    code, out, _ = cutover(brctl, "status")

    assert code == 0
    assert "general-blue" in out
    assert "OK" in out
    assert "2/2" in out


def test_wrong_release_version_fails(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V2, image_id=image, tagged_version=V1)

    code, out, _ = cutover(brctl, "status", "--json")

    assert code == 1
    (g,) = json.loads(out)["nodegroups"]
    assert g["reasons"] == [f"release version {V2}, expected {V1}"]


def test_asg_missing_fails(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=None, asg_ready=None)

    code, out, _ = cutover(brctl, "status", "--json")

    assert code == 1
    (g,) = json.loads(out)["nodegroups"]
    assert g["ready"] is None
    assert any(r.startswith("ASG not found: eks-") for r in g["reasons"])


def test_fewer_ready_than_desired_fails(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image, asg_ready=1)

    code, out, _ = cutover(brctl, "status")

    assert code == 1
    assert "1/2 desired nodes ready" in out
    assert "FAIL" in out


def test_unknown_pair_exit_1(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image)

    code, out, err = cutover(brctl, "status", pair="nope")

    assert code == 1
    assert out == ""
    assert f"no node groups tagged {tags.FLEET}=nope in cluster {CLUSTER}" in err


def test_missing_cluster_is_usage_error(brctl: Run) -> None:
    code, _, err = brctl("cutover", "status", "--pair", PAIR)

    assert code == 2
    assert "--cluster" in err


def test_next_refuses_while_gate_fails(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image, asg_ready=1)
    pin(moto, brctl, V2)

    code, out, err = cutover(brctl, "next", "--stage", "pilot")

    assert code == 1
    assert "gate failed; not advancing" in err
    assert "1/2 desired nodes ready" in err
    assert "br:pilot:pair" not in out + err
    assert "cdk deploy" not in out + err


def test_next_from_blue(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    # Blue runs V1 (pinned by its image-version tag); the lockfile moved on to V2: time for blue+green.
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image)
    pin(moto, brctl, V2)

    code, out, err = cutover(brctl, "next", "--stage", "pilot")

    assert code == 0, err
    assert '"br:pilot:pair:general:phase": "blue+green"' in out
    assert "npx cdk deploy BrPilot" in out

    code, out, _ = cutover(brctl, "next", "--stage", "production", "--json")
    assert code == 0
    assert json.loads(out) == {
        "ok": True,
        "current": "blue",
        "next": "blue+green",
        "context_key": "br:production:pair:general:phase",
        "context_value": "blue+green",
        "command": "npx cdk deploy BrProduction",
    }


def test_next_from_blue_green_to_green(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    old = pin(moto, brctl, V1)
    new = pin(moto, brctl, V2)
    nodegroup(cluster, "blue", V1, image_id=old)
    nodegroup(cluster, "green", V2, image_id=new)

    code, _, err = cutover(brctl, "next", "--stage", "canary")
    assert code == 2  # both slots present: the phase cannot be inferred
    assert "--phase" in err

    code, out, err = cutover(brctl, "next", "--stage", "canary", "--phase", "blue+green", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["current"], doc["next"], doc["command"]) == ("blue+green", "green", "npx cdk deploy BrCanary")


def test_next_phase_slots_mismatch_refuses(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image)

    code, _, err = cutover(brctl, "next", "--stage", "pilot", "--phase", "blue+green")

    assert code == 1
    assert "expects slot(s) blue, green, found blue" in err


def test_next_nothing_to_advance(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image)

    code, out, _ = cutover(brctl, "next", "--stage", "pilot")

    assert code == 0
    assert "nothing to advance" in out
    assert "cdk deploy" not in out
