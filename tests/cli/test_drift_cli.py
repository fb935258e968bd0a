"""``brctl drift``: fleet instances and EKS node groups against the lockfile, on a seeded moto server."""

from __future__ import annotations

import json
from typing import Any

from constructs_br import tags
from tests.cli.conftest import REGIONS, Moto, Run

WEST, EU = REGIONS
V1 = "1.50.0-abcdef12"
V2 = "1.51.0-0123abcd"


def pin(brctl: Run, variant: str, arch: str, region: str = WEST) -> None:
    code, _, err = brctl("pins", "refresh", "--region", region, "--variant", variant, "--arch", arch)
    assert code == 0, err


def launch(moto: Moto, image_id: str, variant: str | None, region: str = WEST, fleet: str = "web") -> str:
    tag_list = [{"Key": tags.FLEET, "Value": fleet}]
    if variant:
        tag_list.append({"Key": tags.VARIANT, "Value": variant})
    resp = moto.client("ec2", region).run_instances(
        ImageId=image_id,
        MinCount=1,
        MaxCount=1,
        InstanceType="m7g.large",
        TagSpecifications=[{"ResourceType": "instance", "Tags": tag_list}],
    )
    return str(resp["Instances"][0]["InstanceId"])


def cluster(moto: Moto, name: str = "prod", region: str = WEST) -> dict[str, Any]:
    ec2 = moto.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    eks = moto.client("eks", region)
    eks.create_cluster(
        name=name,
        version="1.33",
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": [subnet]},
    )
    return {"eks": eks, "ec2": ec2, "subnet": subnet, "name": name}


def nodegroup(c: dict[str, Any], name: str, **kwargs: Any) -> None:
    kwargs.setdefault("tags", {tags.FLEET: name})
    c["eks"].create_nodegroup(
        clusterName=c["name"],
        nodegroupName=name,
        nodeRole="arn:aws:iam::123456789012:role/node",
        subnets=[c["subnet"]],
        **kwargs,
    )


def test_no_drift_exit_0(moto: Moto, brctl: Run) -> None:
    image = moto.seed_bottlerocket_release(WEST, "aws-ecs-2", "arm64", V1)
    pin(brctl, "aws-ecs-2", "arm64")
    instance = launch(moto, image, "aws-ecs-2")

    code, out, err = brctl("drift", "--stage", "pilot", "--json")

    assert code == 0, err
    doc = json.loads(out)
    assert doc["drift"] is False
    (finding,) = doc["findings"]
    assert finding["resource"] == instance
    assert (finding["status"], finding["arch"], finding["fleet"]) == ("ok", "arm64", "web")


def test_instance_on_other_image_is_drift(moto: Moto, brctl: Run) -> None:
    old = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    stale = launch(moto, old, "aws-k8s-1.33")
    new = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V2)
    pin(brctl, "aws-k8s-1.33", "x86_64")
    fresh = launch(moto, new, "aws-k8s-1.33")
    # Not a fleet instance: ignored.
    moto.client("ec2").run_instances(ImageId=old, MinCount=1, MaxCount=1)

    code, out, _ = brctl("drift", "--stage", "pilot", "--json")

    assert code == 1
    by_id = {f["resource"]: f for f in json.loads(out)["findings"]}
    assert set(by_id) == {stale, fresh}
    assert (by_id[stale]["status"], by_id[stale]["expected"], by_id[stale]["actual"]) == ("drift", new, old)
    assert by_id[fresh]["status"] == "ok"

    code, out, _ = brctl("drift", "--stage", "pilot")
    assert code == 1
    assert "DRIFT" in out
    assert stale in out


def test_instance_without_variant_tag_or_pin_is_drift(moto: Moto, brctl: Run) -> None:
    image = moto.seed_bottlerocket_release(WEST, "aws-ecs-2", "x86_64", V1)
    pin(brctl, "aws-ecs-2", "x86_64")
    untagged = launch(moto, image, None)
    unpinned = launch(moto, image, "aws-ecs-3")

    code, out, _ = brctl("drift", "--stage", "pilot", "--json")

    assert code == 1
    by_id = {f["resource"]: f for f in json.loads(out)["findings"]}
    assert "tag constructs-br:variant missing" in by_id[untagged]["detail"]
    assert "brctl pins refresh --region us-west-2 --variant aws-ecs-3 --arch x86_64" in by_id[unpinned]["detail"]


def test_drift_checks_each_region_against_its_own_pin(moto: Moto, brctl: Run) -> None:
    west = moto.seed_bottlerocket_release(WEST, "aws-ecs-2", "x86_64", V1)
    eu = moto.seed_bottlerocket_release(EU, "aws-ecs-2", "x86_64", V1)
    pin(brctl, "aws-ecs-2", "x86_64", WEST)
    pin(brctl, "aws-ecs-2", "x86_64", EU)
    launch(moto, west, "aws-ecs-2", WEST)
    launch(moto, eu, "aws-ecs-2", EU)

    code, out, err = brctl("drift", "--stage", "pilot", "--json")
    assert code == 0, out + err
    assert sorted(f["region"] for f in json.loads(out)["findings"]) == [EU, WEST]

    code, out, _ = brctl("drift", "--stage", "pilot", "--region", EU, "--json")
    assert code == 0
    assert {f["region"] for f in json.loads(out)["findings"]} == {EU}


def test_managed_nodegroup_release_version(moto: Moto, brctl: Run) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "arm64", V1)
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33-nvidia", "x86_64", V1)
    pin(brctl, "aws-k8s-1.33", "arm64")
    pin(brctl, "aws-k8s-1.33-nvidia", "x86_64")
    c = cluster(moto)
    nodegroup(c, "arm", amiType="BOTTLEROCKET_ARM_64", version="1.33", releaseVersion=V1)
    nodegroup(c, "gpu", amiType="BOTTLEROCKET_x86_64_NVIDIA", version="1.33", releaseVersion="1.49.0-11111111")
    nodegroup(c, "al2", amiType="AL2023_x86_64_STANDARD", version="1.33", releaseVersion="1.33.0-20250101")

    code, out, _ = brctl("drift", "--stage", "pilot", "--region", WEST, "--cluster", "prod", "--json")

    assert code == 1
    by_name = {f["resource"]: f for f in json.loads(out)["findings"]}
    assert by_name["prod/arm"]["status"] == "ok"
    assert (by_name["prod/gpu"]["status"], by_name["prod/gpu"]["expected"]) == ("drift", V1)
    assert by_name["prod/gpu"]["variant"] == "aws-k8s-1.33-nvidia"
    assert by_name["prod/al2"]["status"] == "skipped"


def test_custom_ami_nodegroup_launch_template_image(moto: Moto, brctl: Run) -> None:
    image = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    other = moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V2, latest=False)
    pin(brctl, "aws-k8s-1.33", "x86_64")
    c = cluster(moto)
    good = c["ec2"].create_launch_template(LaunchTemplateName="good", LaunchTemplateData={"ImageId": image})
    bad = c["ec2"].create_launch_template(LaunchTemplateName="bad", LaunchTemplateData={"ImageId": other})
    for name, lt in (("good", good), ("bad", bad)):
        nodegroup(
            c,
            name,
            amiType="CUSTOM",
            launchTemplate={"id": lt["LaunchTemplate"]["LaunchTemplateId"], "version": "1"},
            tags={tags.FLEET: name, tags.VARIANT: "aws-k8s-1.33"},
        )

    code, out, _ = brctl("drift", "--stage", "pilot", "--region", WEST, "--cluster", "prod", "--json")

    assert code == 1
    by_name = {f["resource"]: f for f in json.loads(out)["findings"]}
    assert (by_name["prod/good"]["status"], by_name["prod/good"]["actual"]) == ("ok", image)
    assert (by_name["prod/bad"]["status"], by_name["prod/bad"]["expected"], by_name["prod/bad"]["actual"]) == (
        "drift",
        image,
        other,
    )


def test_unknown_cluster_is_reported_not_crashed(moto: Moto, brctl: Run) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-ecs-2", "x86_64", V1)
    pin(brctl, "aws-ecs-2", "x86_64")
    code, out, _err = brctl("drift", "--stage", "pilot", "--cluster", "nope", "--json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    # (moto answers 500 for an unknown cluster where EKS says ResourceNotFoundException; either way: error, exit 1)
    assert finding["status"] == "error"
    assert "eks:ListNodegroups nope" in finding["detail"]


# --- a slot pinned to the lockfile's previous image: OK in drift, as in cutover -----------------------------------
def _two_pins(moto: Moto, brctl: Run, variant: str = "aws-k8s-1.33", arch: str = "x86_64") -> tuple[str, str]:
    """V1 published and pinned, then V2: V1 becomes the lockfile's previous pin. Returns (old, new) image IDs."""
    old = moto.seed_bottlerocket_release(WEST, variant, arch, V1)
    pin(brctl, variant, arch)
    new = moto.seed_bottlerocket_release(WEST, variant, arch, V2)
    pin(brctl, variant, arch)
    return old, new


def _slot_tags(name: str, version: str | None) -> dict[str, str]:
    out = {tags.FLEET: "general", tags.SLOT: name, tags.VARIANT: "aws-k8s-1.33", tags.STAGE: "pilot"}
    if version is not None:
        out[tags.IMAGE_VERSION] = version
    return out


def test_managed_nodegroup_pinned_to_previous_is_ok(moto: Moto, brctl: Run) -> None:
    _two_pins(moto, brctl)
    c = cluster(moto)
    nodegroup(c, "blue", amiType="BOTTLEROCKET_x86_64", version="1.33", releaseVersion=V1, tags=_slot_tags("blue", V1))
    nodegroup(
        c, "green", amiType="BOTTLEROCKET_x86_64", version="1.33", releaseVersion=V2, tags=_slot_tags("green", None)
    )
    # Untagged / floating, but still on the old release: drift against the current pin.
    nodegroup(
        c,
        "stale",
        amiType="BOTTLEROCKET_x86_64",
        version="1.33",
        releaseVersion=V1,
        tags=_slot_tags("blue", "floating"),
    )

    code, out, _ = brctl("drift", "--stage", "pilot", "--region", WEST, "--cluster", "prod", "--json")

    by_name = {f["resource"]: f for f in json.loads(out)["findings"]}
    assert (by_name["prod/blue"]["status"], by_name["prod/blue"]["expected"]) == ("ok", V1)
    assert "previous pin" in by_name["prod/blue"]["detail"]
    assert (by_name["prod/green"]["status"], by_name["prod/green"]["expected"]) == ("ok", V2)
    assert (by_name["prod/stale"]["status"], by_name["prod/stale"]["expected"]) == ("drift", V2)
    assert code == 1  # only because of "stale"


def test_custom_ami_nodegroup_pinned_to_previous_is_ok(moto: Moto, brctl: Run) -> None:
    old, new = _two_pins(moto, brctl)
    c = cluster(moto)
    for name, image, version in (("blue", old, V1), ("green", new, None)):
        lt = c["ec2"].create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": image})
        nodegroup(
            c,
            name,
            amiType="CUSTOM",
            launchTemplate={"id": lt["LaunchTemplate"]["LaunchTemplateId"], "version": "1"},
            tags=_slot_tags(name, version),
        )

    code, out, err = brctl("drift", "--stage", "pilot", "--region", WEST, "--cluster", "prod", "--json")

    assert code == 0, out + err
    by_name = {f["resource"]: f for f in json.loads(out)["findings"]}
    assert (by_name["prod/blue"]["status"], by_name["prod/blue"]["expected"]) == ("ok", old)
    assert (by_name["prod/green"]["status"], by_name["prod/green"]["expected"]) == ("ok", new)


def test_tagged_version_the_lockfile_no_longer_records_is_drift(moto: Moto, brctl: Run) -> None:
    _two_pins(moto, brctl)
    c = cluster(moto)
    gone = "1.49.0-11111111"
    nodegroup(
        c, "blue", amiType="BOTTLEROCKET_x86_64", version="1.33", releaseVersion=gone, tags=_slot_tags("blue", gone)
    )

    code, out, _ = brctl("drift", "--stage", "pilot", "--region", WEST, "--cluster", "prod", "--json")

    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding["status"] == "drift"
    assert f"image-version tag {gone} is neither the lockfile's current pin {V2} nor previous {V1}" in finding["detail"]


def test_instance_pinned_to_previous_is_ok(moto: Moto, brctl: Run) -> None:
    old, new = _two_pins(moto, brctl, "aws-ecs-2", "arm64")
    resp = moto.client("ec2").run_instances(
        ImageId=old,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [
                    {"Key": tags.FLEET, "Value": "general"},
                    {"Key": tags.VARIANT, "Value": "aws-ecs-2"},
                    {"Key": tags.IMAGE_VERSION, "Value": V1},
                ],
            }
        ],
    )
    launch(moto, new, "aws-ecs-2")  # no image-version tag: the current pin

    code, out, err = brctl("drift", "--stage", "pilot", "--json")

    assert code == 0, out + err
    by_id = {f["resource"]: f for f in json.loads(out)["findings"]}
    assert by_id[resp["Instances"][0]["InstanceId"]]["expected"] == old
    assert sorted(f["status"] for f in by_id.values()) == ["ok", "ok"]


def test_drift_and_cutover_agree_on_a_previous_pin(moto: Moto, brctl: Run) -> None:
    old, _ = _two_pins(moto, brctl)
    c = cluster(moto)
    nodegroup(c, "blue", amiType="BOTTLEROCKET_x86_64", version="1.33", releaseVersion=V1, tags=_slot_tags("blue", V1))
    ng = c["eks"].describe_nodegroup(clusterName="prod", nodegroupName="blue")["nodegroup"]
    autoscaling = moto.client("autoscaling")
    autoscaling.create_launch_configuration(LaunchConfigurationName="lc", ImageId=old, InstanceType="m7i.large")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=ng["resources"]["autoScalingGroups"][0]["name"],
        LaunchConfigurationName="lc",
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=ng["scalingConfig"]["desiredSize"],
        VPCZoneIdentifier=c["subnet"],
    )

    drift_code, drift_out, _ = brctl("drift", "--stage", "pilot", "--region", WEST, "--cluster", "prod", "--json")
    cut_code, cut_out, _ = brctl(
        "cutover", "status", "--stage", "pilot", "--cluster", "prod", "--pair", "general", "--region", WEST, "--json"
    )

    assert (drift_code, cut_code) == (0, 0), (drift_out, cut_out)
    (finding,) = [f for f in json.loads(drift_out)["findings"] if f["kind"] == "nodegroup"]
    (gate,) = json.loads(cut_out)["nodegroups"]
    assert finding["expected"] == gate["expected"] == V1


def test_ecs_asg_launch_template_image(moto: Moto, brctl: Run) -> None:
    old, new = _two_pins(moto, brctl, "aws-ecs-2", "x86_64")
    c = cluster(moto)
    autoscaling = moto.client("autoscaling")
    cases = {"blue": (old, V1), "green": (new, None), "stale": (old, None)}
    for name, (image, version) in cases.items():
        lt = c["ec2"].create_launch_template(LaunchTemplateName=f"lt-{name}", LaunchTemplateData={"ImageId": image})
        slot_tags = {**_slot_tags(name, version), tags.VARIANT: "aws-ecs-2"}
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=f"asg-{name}",
            LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Default"},
            MinSize=0,
            MaxSize=2,
            DesiredCapacity=0,
            VPCZoneIdentifier=c["subnet"],
            Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in slot_tags.items()],
        )

    code, out, _ = brctl("drift", "--stage", "pilot", "--region", WEST, "--json")

    assert code == 1
    by_name = {f["resource"]: f for f in json.loads(out)["findings"] if f["kind"] == "asg"}
    assert set(by_name) == {"asg-blue", "asg-green", "asg-stale"}
    assert (by_name["asg-blue"]["status"], by_name["asg-blue"]["expected"]) == ("ok", old)
    assert (by_name["asg-green"]["status"], by_name["asg-green"]["expected"]) == ("ok", new)
    assert (by_name["asg-stale"]["status"], by_name["asg-stale"]["actual"]) == ("drift", old)


# --- the node group's Kubernetes minor against its variant tag ---------------------------------------------------
def test_managed_nodegroup_minor_differs_from_its_variant_tag_is_drift(moto: Moto, brctl: Run) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33-nvidia", "x86_64", V1)
    pin(brctl, "aws-k8s-1.33", "x86_64")
    pin(brctl, "aws-k8s-1.33-nvidia", "x86_64")
    c = cluster(moto)
    same = {tags.FLEET: "general", tags.VARIANT: "aws-k8s-1.33"}
    nodegroup(c, "follows", amiType="BOTTLEROCKET_x86_64", version="1.33", releaseVersion=V1, tags=same)
    # The image is the pinned one; only the kubelet minor stayed behind (a cluster upgrade it did not follow).
    nodegroup(c, "behind", amiType="BOTTLEROCKET_x86_64", version="1.32", releaseVersion=V1, tags=same)
    gpu = {tags.FLEET: "gpu", tags.VARIANT: "aws-k8s-1.33-nvidia"}
    nodegroup(c, "gpu", amiType="BOTTLEROCKET_x86_64_NVIDIA", version="1.32", releaseVersion=V1, tags=gpu)
    # No variant tag: the variant is derived from the version itself, nothing to compare.
    nodegroup(c, "untagged", amiType="BOTTLEROCKET_x86_64", version="1.33", releaseVersion=V1)

    code, out, _ = brctl("drift", "--stage", "pilot", "--region", WEST, "--cluster", "prod", "--json")

    assert code == 1
    by_name = {f["resource"]: f for f in json.loads(out)["findings"]}
    assert by_name["prod/follows"]["status"] == "ok"
    assert "mismatch" not in by_name["prod/follows"]["detail"]
    assert by_name["prod/untagged"]["status"] == "ok"
    for name, variant in (("behind", "aws-k8s-1.33"), ("gpu", "aws-k8s-1.33-nvidia")):
        finding = by_name[f"prod/{name}"]
        assert (finding["status"], finding["expected"], finding["actual"]) == ("drift", V1, V1)
        assert (
            "Kubernetes minor mismatch: the node group's version is 1.32, "
            f"its constructs-br:variant tag {variant} is 1.33"
        ) in finding["detail"]

    code, out, _ = brctl("drift", "--stage", "pilot", "--region", WEST, "--cluster", "prod")
    assert code == 1
    assert "Kubernetes minor mismatch" in out


def test_minor_mismatch_is_named_alongside_a_missing_pin(moto: Moto, brctl: Run) -> None:
    moto.seed_bottlerocket_release(WEST, "aws-k8s-1.33", "x86_64", V1)
    pin(brctl, "aws-k8s-1.33", "x86_64")
    c = cluster(moto)
    tagged = {tags.FLEET: "general", tags.VARIANT: "aws-k8s-1.33"}
    nodegroup(c, "arm", amiType="BOTTLEROCKET_ARM_64", version="1.32", releaseVersion=V1, tags=tagged)

    code, out, _ = brctl("drift", "--stage", "pilot", "--region", WEST, "--cluster", "prod", "--json")

    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding["status"] == "drift"
    assert "brctl pins refresh --region us-west-2 --variant aws-k8s-1.33 --arch arm64" in finding["detail"]
    assert "Kubernetes minor mismatch" in finding["detail"]
