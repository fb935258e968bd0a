"""Adopting an existing group as a pair's outgoing slot, against moto: an AL2023 managed node group (EKS) and an
existing capacity provider over its Auto Scaling group (ECS), both created with boto3, never by the app.

Every AWS call brctl makes is recorded (botocore ``before-call``): none is a ``Delete*`` (or ``Untag*``) call; the
adopted group's taint and sizes are read back through the EKS / Auto Scaling APIs.

moto 5.2.5 gap: ``eks:TagResource`` / ``ListTagsForResource`` only know clusters (a node group ARN is
``NotFoundException``; real EKS tags node groups). :func:`tests.cli.conftest_fleet.nodegroup_tagging` teaches the
in-process server to tag a node group ARN — the tags then show in ``DescribeNodegroup`` as on AWS — and
``test_eks_calls_match_the_service_model`` checks the exact requests against botocore's model with a Stubber.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from constructs_br import tags
from constructs_br.cli import _adopted, _aws
from tests.cli.conftest import REGIONS, Moto, Run
from tests.cli.conftest_fleet import CallLog, nodegroup_tagging, pin_v1, record_calls

WEST = REGIONS[0]
V1 = "1.50.0-abcdef12"
VARIANT = "aws-k8s-1.33"
PAIR = "general"
CLUSTER = "prod"
ADOPTED = "al2023-general"
REF = f"nodegroup/{ADOPTED}"
TAINT = {"key": "constructs-br/cutover", "value": "outgoing", "effect": "NO_SCHEDULE"}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[CallLog]:
    log = CallLog()
    record_calls(monkeypatch, log)
    nodegroup_tagging(monkeypatch)
    yield log
    assert log.deletes() == [], "brctl must never call a Delete*/Untag* API"


class Eks:
    """An EKS cluster with an AL2023 node group (2 nodes, not this app's) and, once deployed, a Bottlerocket green."""

    def __init__(self, moto: Moto, brctl: Run, lockfile: Path) -> None:
        self.moto, self.brctl = moto, brctl
        self.ec2, self.eks, self.asg = moto.client("ec2", WEST), moto.client("eks", WEST), moto.client("autoscaling")
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{WEST}a")["Subnet"][
            "SubnetId"
        ]
        self.eks.create_cluster(
            name=CLUSTER,
            version="1.33",
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={"subnetIds": [self.subnet]},
        )
        self.image = pin_v1(moto, lockfile, WEST, VARIANT, "x86_64", V1)
        self.nodegroup(ADOPTED, ami_type="AL2023_x86_64_STANDARD", ng_tags={"team": "platform"})

    def nodegroup(self, name: str, *, ami_type: str, ng_tags: dict[str, str], release: str | None = None) -> None:
        """A managed node group (min 2, desired 2, max 4) and the ASG EKS reports for it, with 2 instances."""
        kwargs: dict[str, Any] = {"releaseVersion": release} if release else {}
        ng = self.eks.create_nodegroup(
            clusterName=CLUSTER,
            nodegroupName=name,
            nodeRole="arn:aws:iam::123456789012:role/node",
            subnets=[self.subnet],
            amiType=ami_type,
            scalingConfig={"minSize": 2, "desiredSize": 2, "maxSize": 4},
            tags=ng_tags,
            **kwargs,
        )["nodegroup"]
        asg_name = ng["resources"]["autoScalingGroups"][0]["name"]
        self.asg.create_launch_configuration(
            LaunchConfigurationName=f"lc-{name}", ImageId=self.image, InstanceType="m7i.large"
        )
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=asg_name,
            LaunchConfigurationName=f"lc-{name}",
            MinSize=0,
            MaxSize=4,
            DesiredCapacity=2,
            VPCZoneIdentifier=self.subnet,
        )

    def deploy_green(self) -> None:
        """What the deploy of blue+green creates: the pair's Bottlerocket green slot."""
        self.nodegroup(
            f"{PAIR}-green",
            ami_type="BOTTLEROCKET_x86_64",
            release=V1,
            ng_tags={
                tags.FLEET: PAIR,
                tags.SLOT: "green",
                tags.STAGE: "pilot",
                tags.VARIANT: VARIANT,
                tags.IMAGE_VERSION: V1,
            },
        )

    def adopted(self) -> dict[str, Any]:
        return dict(self.eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=ADOPTED)["nodegroup"])

    def cutover(self, sub: str, *extra: str, adopt: str | None = REF) -> tuple[int, str, str]:
        stage = ("--stage", "pilot") if sub == "next" else ()
        adopt_args = ("--adopt", adopt) if adopt else ()
        return self.brctl(
            "cutover", sub, "--cluster", CLUSTER, "--pair", PAIR, "--region", WEST, *adopt_args, *stage, *extra
        )

    def adopt(self, action: str, *extra: str) -> tuple[int, str, str]:
        return self.brctl(
            "cutover", "adopted", action, "--cluster", CLUSTER, "--pair", PAIR, "--region", WEST, "--adopt", REF, *extra
        )


@pytest.fixture
def fleet(moto: Moto, brctl: Run, lockfile: Path) -> Eks:
    return Eks(moto, brctl, lockfile)


def _next(fleet: Eks, *extra: str) -> dict[str, Any]:
    code, out, err = fleet.cutover("next", *extra, "--json")
    doc = json.loads(out)
    assert code == (0 if doc["ok"] else 1), err
    return dict(doc)


def test_adopted_walk_blue_to_retire(fleet: Eks, calls: CallLog) -> None:
    # blue: only the adopted AL2023 group serves; it is found by name (it carries none of the library's tags).
    code, out, err = fleet.cutover("status", "--json")
    assert code == 0, (out, err)
    (adopted,) = json.loads(out)["nodegroups"]
    assert (adopted["nodegroup"], adopted["adopted"], adopted["ready"], adopted["desired"]) == (REF, True, 2, 2)
    assert (adopted["expected"], adopted["reasons"]) == (None, [])  # no image gate: it is not Bottlerocket

    doc = _next(fleet)
    assert (doc["current"], doc["next"], doc["action"]) == ("blue", "blue+green", "phase")
    assert doc["context"] == {"br:pilot:pair:general:phase": "blue+green"}
    assert doc["command"] == "npx cdk deploy BrPilotNodes"
    assert f"brctl cutover adopted taint --cluster {CLUSTER} --pair {PAIR} --adopt {REF}" in doc["steps"][2]["lines"][0]

    # blue+green: green deployed; the adopted group is not tainted yet, so next refuses and says how.
    fleet.deploy_green()
    doc = _next(fleet, "--phase", "blue+green")
    assert (doc["ok"], doc["action"]) == (False, "taint")
    assert "not tainted constructs-br/cutover=outgoing:NoSchedule" in doc["reasons"][0]
    code, _, err = fleet.adopt("standby")  # scaling to zero before the taint is refused
    assert code == 1
    assert "still takes new pods" in err

    code, out, err = fleet.adopt("taint")
    assert code == 0, err
    assert "tainted through eks:UpdateNodegroupConfig" in out
    assert fleet.adopted()["taints"] == [TAINT]
    assert calls.count("UpdateNodegroupConfig") == 1
    code, out, _ = fleet.adopt("taint")  # idempotent: no second update
    assert (code, calls.count("UpdateNodegroupConfig")) == (0, 1)
    assert "already tainted" in out

    doc = _next(fleet, "--phase", "blue+green")
    assert (doc["ok"], doc["action"], doc["next"]) == (True, "standby", "green")
    assert doc["drain"]["checked"] is False
    assert doc["rollback"]["phase"] == "blue"

    # standby: sizes recorded on the group (a tag), then scaled to zero through the EKS API.
    code, out, err = fleet.adopt("standby")
    assert code == 0, err
    ng = fleet.adopted()
    assert ng["scalingConfig"] == {"minSize": 0, "desiredSize": 0, "maxSize": 4}
    assert ng["tags"] == {"team": "platform", _adopted.STANDBY_TAG: "min=2,desired=2,max=4"}
    assert ng["status"] == "ACTIVE"  # still there

    # green: inferred (adopted in standby + green); the forward step is retire, the way back green+blue.
    doc = _next(fleet)
    assert (doc["current"], doc["next"], doc["action"]) == ("green", "retire", "phase")
    assert doc["context"] == {"br:pilot:pair:general:phase": "retire"}
    assert doc["rollback"]["phase"] == "green+blue"
    assert "adopted restore" in doc["rollback"]["steps"][0]["lines"][0]

    doc = _next(fleet, "--phase", "retire")
    assert (doc["ok"], doc["action"], doc["current"]) == (True, "none", "retire")
    assert "its owner may delete it" in doc["message"]
    assert fleet.adopted()["nodegroupName"] == ADOPTED  # never deleted


def test_rollback_restores_the_recorded_sizes_and_lifts_the_taint(fleet: Eks, calls: CallLog) -> None:
    fleet.deploy_green()
    assert fleet.adopt("taint")[0] == 0
    assert fleet.adopt("standby")[0] == 0
    assert fleet.adopted()["scalingConfig"]["desiredSize"] == 0

    code, out, err = fleet.adopt("restore")

    assert code == 0, err
    ng = fleet.adopted()
    assert ng["scalingConfig"] == {"minSize": 2, "desiredSize": 2, "maxSize": 4}
    assert ng["taints"] == []
    assert ng["tags"][_adopted.STANDBY_TAG] == ""  # cleared by overwriting: no Untag/Delete call
    assert "restored to min 2, desired 2" in out
    # green+blue: the adopted group serves again next to green (the template taints green).
    code, out, err = fleet.cutover("status", "--json")
    assert code == 0, (out, err)
    assert [g["nodegroup"] for g in json.loads(out)["nodegroups"]] == [REF, f"{PAIR}-green"]
    doc = _next(fleet, "--phase", "green+blue")
    assert (doc["ok"], doc["next"]) == (True, "blue")
    assert doc["drain"]["commands"][0].startswith("kubectl get nodes -l eks.amazonaws.com/nodegroup=general-green")

    code, _, err = fleet.adopt("restore")  # nothing recorded any more
    assert code == 1
    assert "nothing to restore" in err
    assert calls.ops() >= {"DescribeNodegroup", "UpdateNodegroupConfig", "TagResource"}


def test_phase_mismatch_and_missing_group_refuse(fleet: Eks, calls: CallLog) -> None:
    doc = _next(fleet, "--phase", "blue+green")  # green not deployed yet
    assert doc["ok"] is False
    assert "expects the Bottlerocket green slot, found none" in doc["reasons"][0]

    code, out, _ = fleet.cutover("status", "--json", adopt="nodegroup/nope")
    assert code == 1
    (g,) = json.loads(out)["nodegroups"]
    assert g["reasons"] == [f"adopted node group nope not found in cluster {CLUSTER}"]
    assert calls.count("DescribeNodegroup") >= 1


def test_retire_is_refused_for_a_pair_that_adopts_nothing(fleet: Eks, calls: CallLog) -> None:
    fleet.deploy_green()
    code, out, err = fleet.cutover("next", "--phase", "retire", adopt=None)
    assert code == 2
    assert out == ""
    assert "--phase: got 'retire'; allowed: blue | blue+green | green | green+blue" in err
    assert calls.ops() == set()  # refused before any AWS call


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("capacity-provider/x", "nodegroup/<name> | asg/<name>"),
        ("nodegroup/-bad", "nodegroup/<name> with a node group name"),
    ],
)
def test_bad_adopt_is_a_usage_error_naming_the_flag(fleet: Eks, calls: CallLog, value: str, allowed: str) -> None:
    code, out, err = fleet.cutover("status", adopt=value)
    assert code == 2
    assert f"--adopt: got {value!r}; allowed: {allowed}" in err
    assert out == ""


def test_eks_calls_match_the_service_model() -> None:
    """The exact EKS requests (botocore validates them against the model): the taint, the scaling, the tag."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("eks", region_name=WEST)
    stub = Stubber(client)
    arn = f"arn:aws:eks:{WEST}:123456789012:nodegroup/{CLUSTER}/{ADOPTED}/x"
    update = {"update": {"id": "u-1"}}
    stub.add_response(
        "update_nodegroup_config",
        update,
        {"clusterName": CLUSTER, "nodegroupName": ADOPTED, "taints": {"addOrUpdateTaints": [TAINT]}},
    )
    stub.add_response("tag_resource", {}, {"resourceArn": arn, "tags": {_adopted.STANDBY_TAG: "min=2,desired=2,max=4"}})
    stub.add_response(
        "update_nodegroup_config",
        update,
        {
            "clusterName": CLUSTER,
            "nodegroupName": ADOPTED,
            "scalingConfig": {"minSize": 0, "desiredSize": 0, "maxSize": 4},
        },
    )
    with stub, pytest.MonkeyPatch.context() as mp:
        mp.setattr(_aws, "_client", lambda service, region: client)
        assert _aws.update_nodegroup_taints(WEST, CLUSTER, ADOPTED, add=[_adopted.TAINT]) == "u-1"
        _aws.tag_nodegroup(WEST, arn, {_adopted.STANDBY_TAG: "min=2,desired=2,max=4"})
        assert _aws.update_nodegroup_scaling(WEST, CLUSTER, ADOPTED, min_size=0, desired=0, max_size=4) == "u-1"
        stub.assert_no_pending_responses()


def test_the_taint_is_the_librarys() -> None:
    from constructs_br.eks.pair import CUTOVER_TAINT_KEY

    assert _adopted.TAINT.key == CUTOVER_TAINT_KEY
    assert f"{_adopted.TAINT.key}={_adopted.TAINT.value}:NoSchedule" == "constructs-br/cutover=outgoing:NoSchedule"
