"""``brctl cutover status`` / ``next``: the blue/green gate against moto's EKS, Auto Scaling and EC2 APIs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from constructs_br import tags
from tests.cli.conftest import REGIONS, Moto, Run
from tests.cli.conftest_fleet import pin_v1

WEST = REGIONS[0]
V1 = "1.50.0-abcdef12"
V2 = "1.51.0-0123abcd"
VARIANT = "aws-k8s-1.33"
PAIR = "general"
CLUSTER = "prod"


def cutover(brctl: Run, sub: str, *extra: str, pair: str = PAIR, region: str | None = WEST) -> tuple[int, str, str]:
    """``brctl cutover SUB`` for the test cluster and pair; ``region=None`` leaves ``--region`` out."""
    region_args = ("--region", region) if region else ()
    return brctl("cutover", sub, "--cluster", CLUSTER, "--pair", pair, *region_args, *extra)


_LOCK: list[Path] = []


@pytest.fixture(autouse=True)
def _the_lockfile(lockfile: Path) -> None:
    _LOCK[:] = [lockfile]


def pin(moto: Moto, brctl: Run, version: str) -> str:
    """Publish ``version`` and make it the (version 1) lockfile's current pin (the old one becomes ``previous``);
    ``brctl`` is the test's runner, which reads that lockfile."""
    del brctl
    return pin_v1(moto, _LOCK[0], WEST, VARIANT, "x86_64", version)


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
    custom_image: str | None = None,
) -> str:
    """A Bottlerocket managed node group of ``pair`` (desired 2) and, with ``asg_ready``, the ASG EKS reports for
    it with that many InService instances (moto's EKS names an ASG it does not create).

    ``custom_image``: a ``CUSTOM`` AMI node group instead, whose launch template (version 1) sets that ``ImageId``."""
    name = f"{pair}-{slot}"
    if custom_image is None:
        image_kwargs: dict[str, Any] = {"amiType": "BOTTLEROCKET_x86_64", "releaseVersion": release}
    else:
        lt = (
            c["moto"]
            .client("ec2", WEST)
            .create_launch_template(LaunchTemplateName=f"lt-{name}", LaunchTemplateData={"ImageId": custom_image})[
                "LaunchTemplate"
            ]
        )
        image_kwargs = {"amiType": "CUSTOM", "launchTemplate": {"id": lt["LaunchTemplateId"], "version": "1"}}
    ng = c["eks"].create_nodegroup(
        clusterName=CLUSTER,
        nodegroupName=name,
        nodeRole="arn:aws:iam::123456789012:role/node",
        subnets=[c["subnet"]],
        **image_kwargs,
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
    assert "npx cdk deploy BrPilotNodes" in out  # node groups live in Br<Stage>Nodes

    code, out, _ = cutover(brctl, "next", "--stage", "production", "--json")
    assert code == 0
    doc = json.loads(out)
    assert {k: doc[k] for k in ("ok", "current", "next", "context_key", "context_value", "command")} == {
        "ok": True,
        "current": "blue",
        "next": "blue+green",
        "context_key": "br:production:pair:general:phase",
        "context_value": "blue+green",
        "command": "npx cdk deploy BrProductionNodes",
    }
    assert (doc["kind"], doc["action"], doc["rollback"], doc["reasons"]) == ("eks", "phase", None, [])


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
    assert (doc["current"], doc["next"], doc["command"]) == ("blue+green", "green", "npx cdk deploy BrCanaryNodes")


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


# --- custom AMI (launch template ImageId is the pin) -----------------------------------------------------------------
def test_custom_ami_launch_template_image_is_pin_ok(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image, custom_image=image)

    code, out, err = cutover(brctl, "status", "--json")

    assert code == 0, (out, err)
    (g,) = json.loads(out)["nodegroups"]
    assert (g["ami_type"], g["arch"], g["actual"], g["expected"]) == ("CUSTOM", "x86_64", image, image)
    assert (g["expected_version"], g["lockfile_pin"], g["ok"], g["reasons"]) == (V1, V1, True, [])

    code, out, _ = cutover(brctl, "status")
    assert code == 0
    assert "OK" in out
    assert "FAIL" not in out


def test_custom_ami_other_image_fails_naming_expected_and_actual(
    cluster: dict[str, Any], moto: Moto, brctl: Run
) -> None:
    pinned = pin(moto, brctl, V1)
    other = moto.seed_bottlerocket_release(WEST, VARIANT, "x86_64", V2, latest=False)  # published, not pinned
    nodegroup(cluster, "blue", V1, image_id=pinned, custom_image=other)

    code, out, _ = cutover(brctl, "status", "--json")

    assert code == 1
    (g,) = json.loads(out)["nodegroups"]
    assert (g["actual"], g["expected"], g["ok"]) == (other, pinned, False)
    assert g["reasons"] == [f"image {other}, expected {pinned} ({V1})"]

    code, out, err = cutover(brctl, "status")
    assert code == 1
    assert f"FAIL: image {other}, expected {pinned}" in out  # the table may fold the rest of the cell

    code, out, err = cutover(brctl, "next", "--stage", "pilot")
    assert code == 1
    assert "gate failed; not advancing" in err
    assert f"blue (general-blue): image {other}, expected {pinned} ({V1})" in err
    assert "cdk deploy" not in out + err


def test_custom_ami_previous_pin_ok_while_tagged(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    # The live slot is pinned (image-version tag) to what is now the lockfile's previous pin: its image is expected.
    old = pin(moto, brctl, V1)
    pin(moto, brctl, V2)
    nodegroup(cluster, "blue", V1, image_id=old, custom_image=old)

    code, out, err = cutover(brctl, "status", "--json")

    assert code == 0, (out, err)
    (g,) = json.loads(out)["nodegroups"]
    assert (g["actual"], g["expected"], g["expected_version"], g["lockfile_pin"]) == (old, old, V1, V2)


# --- region from the environment ---------------------------------------------------------------------------------
def test_region_from_aws_region(
    cluster: dict[str, Any], moto: Moto, brctl: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image)
    monkeypatch.setenv("AWS_REGION", WEST)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGIONS[1])  # AWS_REGION wins, as in the AWS CLI

    code, out, err = cutover(brctl, "status", "--json", region=None)

    assert code == 0, (out, err)
    doc = json.loads(out)
    assert (doc["region"], doc["ok"]) == (WEST, True)
    (g,) = doc["nodegroups"]
    assert g["nodegroup"] == "general-blue"


def test_region_from_aws_region_only(
    cluster: dict[str, Any], moto: Moto, brctl: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_REGION", WEST)

    code, out, err = cutover(brctl, "next", "--stage", "pilot", region=None)

    assert code == 0, (out, err)
    assert "nothing to advance" in out


@pytest.mark.parametrize("sub", ["status", "next"])
def test_no_region_anywhere_is_usage_error(sub: str, brctl: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)  # no profile region either
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    extra = ("--stage", "pilot") if sub == "next" else ()

    code, out, err = cutover(brctl, sub, *extra, region=None)

    assert code == 2
    assert out == ""
    assert "--region" in err
    assert "pass --region or set AWS_REGION" in err


# --- leaving a two-slot phase: drain the outgoing slot first ---------------------------------------------------------
DRAIN_BLUE = (
    "kubectl get nodes -l eks.amazonaws.com/nodegroup=general-blue -o name"
    " | xargs -n1 kubectl drain --ignore-daemonsets --delete-emptydir-data --timeout=15m"
)


def _blue_green(cluster: dict[str, Any], moto: Moto, brctl: Run) -> None:
    old = pin(moto, brctl, V1)
    new = pin(moto, brctl, V2)
    nodegroup(cluster, "blue", V1, image_id=old)
    nodegroup(cluster, "green", V2, image_id=new)


def test_next_from_two_slots_prints_drain_and_rollback(
    cluster: dict[str, Any], moto: Moto, brctl: Run, project: Any
) -> None:
    _blue_green(cluster, moto, brctl)

    code, out, err = cutover(brctl, "next", "--stage", "pilot", "--phase", "blue+green", "--project", str(project))

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"gate OK ({WEST}): phase blue+green -> green"
    drain_at = lines.index(f"     {DRAIN_BLUE}")
    phase_at = lines.index('     "br:pilot:pair:general:phase": "green"')
    assert drain_at < phase_at  # drain first, then the phase change
    assert "pass --kubeconfig" in out
    assert "Rollback instead (back to phase blue):" in out
    assert (
        "kubectl taint nodes -l eks.amazonaws.com/nodegroup=general-blue constructs-br/cutover=outgoing:NoSchedule-"
        in out
    )
    assert "eks.amazonaws.com/nodegroup=general-green" in out  # drain green before rolling back
    assert '"br:pilot:pair:general:phase": "blue"' in out

    code, out, _ = cutover(
        brctl, "next", "--stage", "pilot", "--phase", "blue+green", "--project", str(project), "--json"
    )
    doc = json.loads(out)
    assert (doc["current"], doc["next"], doc["action"], doc["command"]) == (
        "blue+green",
        "green",
        "phase",
        "npx cdk deploy BrPilotNodes",  # the test project table names nodes-stack = "Br{Stage}Nodes"
    )
    assert doc["drain"] == {"commands": [DRAIN_BLUE], "checked": False}
    assert (doc["rollback"]["phase"], doc["rollback"]["context_key"], doc["rollback"]["context_value"]) == (
        "blue",
        "br:pilot:pair:general:phase",
        "blue",
    )


class _FakeCoreV1:
    def __init__(self, pods: list[Any]) -> None:
        self.pods = pods

    def list_node(self, label_selector: str) -> Any:
        from kubernetes import client

        name = "node-blue-1" if label_selector.endswith("=general-blue") else "node-other"
        return client.V1NodeList(items=[client.V1Node(metadata=client.V1ObjectMeta(name=name))])

    def list_pod_for_all_namespaces(self, field_selector: str) -> Any:
        from kubernetes import client

        node = field_selector.removeprefix("spec.nodeName=")
        return client.V1PodList(items=[p for p in self.pods if p.spec.node_name == node])


def _pod(name: str, owner_kind: str) -> Any:
    from kubernetes import client

    return client.V1Pod(
        metadata=client.V1ObjectMeta(
            name=name,
            namespace="shop",
            owner_references=[client.V1OwnerReference(api_version="v1", kind=owner_kind, name="o", uid="u")],
        ),
        spec=client.V1PodSpec(node_name="node-blue-1", containers=[client.V1Container(name="c")]),
        status=client.V1PodStatus(phase="Running"),
    )


@pytest.mark.parametrize(("pods", "code"), [(["DaemonSet"], 0), (["DaemonSet", "ReplicaSet"], 1)])
def test_next_with_kubeconfig_refuses_while_pods_remain(
    cluster: dict[str, Any],
    moto: Moto,
    brctl: Run,
    project: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    pods: list[str],
    code: int,
) -> None:
    pytest.importorskip("kubernetes")
    from constructs_br.cli import _kube

    _blue_green(cluster, moto, brctl)
    seen: list[tuple[str, str | None]] = []

    def fake_api(kubeconfig: str, context: str | None) -> Any:
        seen.append((kubeconfig, context))
        return _FakeCoreV1([_pod(f"p-{kind.lower()}", kind) for kind in pods])

    monkeypatch.setattr(_kube, "core_api", fake_api)
    kubeconfig = str(tmp_path / "kubeconfig")
    args: tuple[str, ...] = ("next", "--stage", "pilot", "--phase", "blue+green", "--project", str(project))
    args += ("--kubeconfig", kubeconfig, "--kube-context", "prod")

    got, out, err = cutover(brctl, *args)

    assert got == code, (out, err)
    assert seen == [(kubeconfig, "prod")]
    if code == 0:
        assert "Drained: no pods left to evict on the 1 node(s) of the outgoing slot blue." in out
        assert '"br:pilot:pair:general:phase": "green"' in out
    else:
        assert "gate failed; not advancing" in err
        assert "blue: pod shop/p-replicaset still on node node-blue-1 (ReplicaSet/o, Running)" in err
        assert DRAIN_BLUE in out
        assert '"br:pilot:pair:general:phase": "green"' not in out

    _, out, _ = cutover(brctl, *args, "--json")
    doc = json.loads(out)
    assert doc["drain"]["checked"] is True
    assert doc["drain"]["nodes"] == ["node-blue-1"]
    assert [p["name"] for p in doc["drain"]["remaining_pods"]] == (["p-replicaset"] if code else [])


def test_next_with_unreadable_kubeconfig_refuses(
    cluster: dict[str, Any], moto: Moto, brctl: Run, project: Any, tmp_path: Any
) -> None:
    pytest.importorskip("kubernetes")
    _blue_green(cluster, moto, brctl)

    code, out, err = cutover(
        brctl,
        "next",
        "--stage",
        "pilot",
        "--phase",
        "blue+green",
        "--project",
        str(project),
        "--kubeconfig",
        str(tmp_path / "missing"),
    )

    assert code == 1
    assert "cannot load kubeconfig" in err
    assert '"br:pilot:pair:general:phase": "green"' not in out  # only the drain (and the rollback) are printed


def test_stage_is_checked_against_the_project(cluster: dict[str, Any], moto: Moto, brctl: Run, project: Any) -> None:
    code, out, err = cutover(brctl, "next", "--stage", "prod", "--project", str(project))

    assert code == 2
    assert "--stage: got 'prod'; allowed: pilot | canary | production" in err
    assert out == ""


def test_stack_and_keys_come_from_the_project(cluster: dict[str, Any], moto: Moto, brctl: Run, tmp_path: Any) -> None:
    image = pin(moto, brctl, V1)
    nodegroup(cluster, "blue", V1, image_id=image)
    pin(moto, brctl, V2)
    other = tmp_path / "other.toml"
    other.write_text(
        '[tool.brctl]\neks-stack = "Fleet-{stage}"\nnodes-stack = "Fleet-{stage}-nodes"\n'
        'pair-key = "fleet/{stage}/{pair}/{key}"\n',
        encoding="utf-8",
    )

    code, out, err = cutover(brctl, "next", "--stage", "anything", "--project", str(other))

    assert code == 0, err
    assert '"fleet/anything/general/phase": "blue+green"' in out
    assert "npx cdk deploy Fleet-anything-nodes" in out
