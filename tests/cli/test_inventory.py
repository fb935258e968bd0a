"""``brctl inventory``: a mixed fleet (AL2, AL2023, Ubuntu, Bottlerocket, Windows, a custom image) on the moto
server, classified bottlerocket / ready / check-by-hand / blocked, with exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from constructs_br.cli import _aws, inventory
from tests.cli.conftest import REGIONS, Moto
from tests.cli.conftest_fleet import CANONICAL, Fleet, bottlerocket_name, publish_latest, register_image

WEST, EU = REGIONS
Inventory = Callable[..., tuple[int, Any, str]]


@pytest.fixture
def brctl_inventory(capsys: pytest.CaptureFixture[str]) -> Inventory:
    """``brctl inventory --json …`` in-process: (exit code, parsed JSON or raw text, stderr)."""
    from constructs_br.cli.main import main

    def run(*argv: str, as_json: bool = True) -> tuple[int, Any, str]:
        code = main(["inventory", *argv, *(["--json"] if as_json else [])])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if as_json and out else out), err

    return run


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["name"]: g for g in doc["groups"]}


@pytest.fixture
def mixed_fleet(moto: Moto) -> Fleet:
    """EKS cluster ``prod`` (1.33) with AL2, AL2023 arm64, GPU, Bottlerocket, Windows and custom-image node groups, a
    self-managed Ubuntu ASG in ``prod``, and ECS cluster ``web`` on an AL2023 ECS-optimized capacity provider."""
    fleet = Fleet(moto, WEST)
    fleet.eks_cluster("prod", "1.33")
    fleet.nodegroup("prod", "al2", ami_type="AL2_x86_64", instance_types=("m6i.large", "c6i.large"))
    fleet.nodegroup("prod", "al2023-arm", ami_type="AL2023_ARM_64_STANDARD", instance_types=("m7g.large",))
    fleet.nodegroup("prod", "gpu", ami_type="AL2_x86_64_GPU", instance_types=("g5.xlarge",))
    fleet.nodegroup("prod", "br", ami_type="BOTTLEROCKET_ARM_64", instance_types=("m7g.large",))
    fleet.nodegroup("prod", "win", ami_type="WINDOWS_CORE_2022_x86_64", instance_types=("m6i.large",))
    golden = register_image(
        moto,
        WEST,
        "acme-golden-node-2024-06",
        description="ACME hardened node",
        owner_alias=None,
        owner_id="123456789012",
    )
    fleet.nodegroup("prod", "golden", ami_type="CUSTOM", image_id=golden)
    ubuntu = register_image(
        moto,
        WEST,
        "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240701",
        description="Canonical, Ubuntu, 24.04, amd64 noble image",
        owner_alias=None,
        owner_id=CANONICAL,
    )
    fleet.asg("ubuntu-nodes", ubuntu, tags={"kubernetes.io/cluster/prod": "owned"})
    ecs_image = register_image(moto, WEST, "al2023-ami-ecs-hvm-2023.0.20240712-kernel-6.1-x86_64")
    fleet.ecs_capacity("web", "web-al2023", ecs_image)
    for variant, arch in [
        ("aws-k8s-1.33", "x86_64"),
        ("aws-k8s-1.33", "arm64"),
        ("aws-k8s-1.33-nvidia", "x86_64"),
        ("aws-ecs-2", "x86_64"),
    ]:
        publish_latest(moto, WEST, variant, arch)
    return fleet


def test_mixed_fleet_is_classified_group_by_group(mixed_fleet: Fleet, brctl_inventory: Inventory) -> None:
    code, doc, err = brctl_inventory("--region", WEST)

    assert code == 1, err  # Windows is blocked, the custom image needs checking
    groups = by_name(doc)
    assert set(groups) == {"al2", "al2023-arm", "gpu", "br", "win", "golden", "ubuntu-nodes", "web-al2023"}
    status = {name: g["status"] for name, g in groups.items()}
    assert status == {
        "al2": "ready",
        "al2023-arm": "ready",
        "gpu": "ready",
        "br": "bottlerocket",
        "win": "blocked",
        "golden": "check-by-hand",
        "ubuntu-nodes": "ready",
        "web-al2023": "ready",
    }
    assert doc["ok"] is False
    assert doc["summary"] == {"bottlerocket": 1, "ready": 5, "check-by-hand": 1, "blocked": 1}

    al2 = groups["al2"]
    assert (al2["kind"], al2["cluster"], al2["os"], al2["arch"], al2["kubernetes_minor"]) == (
        "nodegroup",
        "prod",
        "al2",
        "x86_64",
        "1.33",
    )
    assert al2["instance_types"] == ["m6i.large", "c6i.large"]
    assert (al2["variant"], al2["published"]) == ("aws-k8s-1.33", True)
    assert al2["ssm_path"] == "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id"
    assert (groups["al2023-arm"]["os"], groups["al2023-arm"]["arch"]) == ("al2023", "arm64")
    assert groups["gpu"]["variant"] == "aws-k8s-1.33-nvidia"
    assert groups["br"]["os"] == "bottlerocket"

    win = groups["win"]
    assert win["os"] == "windows"
    assert any("Linux only" in r for r in win["reasons"])

    golden = groups["golden"]
    assert (golden["os"], golden["custom_image"]) == ("unknown", True)
    checks = " ".join(golden["checks"])
    for what in ("node agents", "kernel modules", "host mounts"):
        assert what in checks

    ubuntu = groups["ubuntu-nodes"]
    assert (ubuntu["kind"], ubuntu["cluster"], ubuntu["os"], ubuntu["kubernetes_minor"]) == (
        "asg",
        "prod",
        "ubuntu",
        "1.33",
    )
    assert ubuntu["custom_image"] is False  # published by Canonical

    web = groups["web-al2023"]
    assert (web["kind"], web["cluster"], web["asg"], web["os"], web["variant"]) == (
        "capacity-provider",
        "web",
        "web-al2023-asg",
        "al2023",
        "aws-ecs-2",
    )


def test_table_names_every_group_and_status(mixed_fleet: Fleet, brctl_inventory: Inventory) -> None:
    code, out, err = brctl_inventory("--region", WEST, as_json=False)

    assert code == 1
    for text in ("al2023-arm", "ubuntu-nodes", "web-al2023", "check-by-hand", "blocked", "bottlerocket", "Linux only"):
        assert text in out
    assert "5 ready" in err


def test_all_movable_exits_0(moto: Moto, brctl_inventory: Inventory) -> None:
    fleet = Fleet(moto, WEST)
    fleet.eks_cluster("prod", "1.32")
    fleet.nodegroup("prod", "al2", ami_type="AL2_x86_64", version="1.32")
    fleet.nodegroup("prod", "br", ami_type="BOTTLEROCKET_x86_64", version="1.32")
    publish_latest(moto, WEST, "aws-k8s-1.32", "x86_64")

    code, doc, err = brctl_inventory("--region", WEST)

    assert code == 0, err
    assert doc["ok"] is True
    assert {g["name"]: g["variant"] for g in doc["groups"]} == {"al2": "aws-k8s-1.32", "br": "aws-k8s-1.32"}


def test_variant_not_published_in_the_region_is_blocked(moto: Moto, brctl_inventory: Inventory) -> None:
    fleet = Fleet(moto, EU)
    fleet.eks_cluster("eu", "1.33")
    fleet.nodegroup("eu", "arm", ami_type="AL2023_ARM_64_STANDARD", instance_types=("c7g.large",))
    publish_latest(moto, EU, "aws-k8s-1.33", "x86_64")  # x86_64 only: arm64 missing

    code, doc, _ = brctl_inventory("--region", EU)

    assert code == 1
    (group,) = doc["groups"]
    assert (group["status"], group["published"]) == ("blocked", False)
    assert "aws-k8s-1.33/arm64 is not published in eu-west-1" in group["reasons"][0]


def test_kubernetes_minor_without_variant_and_unsupported_family_are_blocked(
    moto: Moto, brctl_inventory: Inventory
) -> None:
    fleet = Fleet(moto, WEST)
    fleet.eks_cluster("old", "1.28")
    fleet.nodegroup("old", "al2", ami_type="AL2_x86_64", version="1.28")
    fleet.eks_cluster("prod", "1.33")
    stock = register_image(moto, WEST, "amazon-eks-node-1.33-v20240703", description="EKS Kubernetes Worker AMI")
    fleet.asg("macs", stock, instance_types=("mac2.metal",), tags={"kubernetes.io/cluster/prod": "owned"})
    publish_latest(moto, WEST, "aws-k8s-1.33", "x86_64")

    code, doc, _ = brctl_inventory("--region", WEST)

    assert code == 1
    groups = by_name(doc)
    assert groups["al2"]["status"] == "blocked"
    assert "Kubernetes 1.28 has no Bottlerocket variant" in groups["al2"]["reasons"][0]
    assert groups["macs"]["status"] == "blocked"
    assert groups["macs"]["os"] == "al2"
    assert any("mac2.metal: EC2 Mac instances run macOS only" in r for r in groups["macs"]["reasons"])


def test_windows_asg_by_image_name_and_unknown_workload(moto: Moto, brctl_inventory: Inventory) -> None:
    fleet = Fleet(moto, WEST)
    win = register_image(moto, WEST, "Windows_Server-2022-English-Full-Base-2024.07.10", platform="windows")
    fleet.asg("win-web", win)
    al2 = register_image(moto, WEST, "amzn2-ami-hvm-2.0.20240709.1-x86_64-gp2", description="Amazon Linux 2 AMI")
    fleet.asg("plain-web", al2)  # no cluster tag, not an ECS provider: what does it run?

    code, doc, _ = brctl_inventory("--region", WEST)

    assert code == 1
    groups = by_name(doc)
    assert (groups["win-web"]["os"], groups["win-web"]["status"]) == ("windows", "blocked")
    plain = groups["plain-web"]
    assert (plain["os"], plain["status"], plain["workload"]) == ("al2", "check-by-hand", None)
    assert "workload unknown" in plain["checks"][0]


def test_bottlerocket_custom_nodegroup_and_ecs_provider(moto: Moto, brctl_inventory: Inventory) -> None:
    fleet = Fleet(moto, WEST)
    fleet.eks_cluster("prod", "1.33")
    br_k8s = register_image(moto, WEST, bottlerocket_name("aws-k8s-1.33", "x86_64"))
    fleet.nodegroup("prod", "br-custom", ami_type="CUSTOM", image_id=br_k8s)
    br_ecs = register_image(moto, WEST, bottlerocket_name("aws-ecs-2", "arm64"), "arm64")
    fleet.ecs_capacity("svc", "svc-br", br_ecs, "m7g.large")

    code, doc, err = brctl_inventory("--region", WEST)

    assert code == 0, err
    groups = by_name(doc)
    assert groups["br-custom"]["status"] == groups["svc-br"]["status"] == "bottlerocket"
    assert groups["svc-br"]["arch"] == "arm64"


def test_cluster_filter_and_unknown_cluster(mixed_fleet: Fleet, brctl_inventory: Inventory) -> None:
    code, doc, _ = brctl_inventory("--region", WEST, "--cluster", "web")

    assert code == 0  # only ECS cluster web: its capacity provider is ready
    assert [g["name"] for g in doc["groups"]] == ["web-al2023"]

    code, doc, err = brctl_inventory("--region", WEST, "--cluster", "prod", "--cluster", "nope")
    assert code == 1
    assert "web-al2023" not in by_name(doc)
    assert "ubuntu-nodes" in by_name(doc)
    assert "cluster nope: no EKS or ECS cluster of that name in us-west-2" in err
    assert doc["errors"] == ["cluster nope: no EKS or ECS cluster of that name in us-west-2"]


def test_several_regions(mixed_fleet: Fleet, moto: Moto, brctl_inventory: Inventory) -> None:
    eu = Fleet(moto, EU)
    eu.eks_cluster("eu", "1.33")
    eu.nodegroup("eu", "al2", ami_type="AL2_x86_64")
    publish_latest(moto, EU, "aws-k8s-1.33", "x86_64")

    code, doc, _ = brctl_inventory("--region", WEST, "--region", EU)

    assert code == 1
    assert doc["regions"] == [WEST, EU]
    eu_groups = [g for g in doc["groups"] if g["region"] == EU]
    assert [(g["name"], g["status"]) for g in eu_groups] == [("al2", "ready")]


def test_aws_failure_is_exit_1_and_keeps_what_was_read(
    mixed_fleet: Fleet, brctl_inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(region: str) -> list[str]:
        raise _aws.AwsError(f"{region}: eks:ListClusters: AccessDeniedException: not allowed")

    monkeypatch.setattr(_aws, "list_eks_clusters", denied)

    code, doc, err = brctl_inventory("--region", WEST)

    assert code == 1
    assert "AccessDeniedException" in err
    assert "web-al2023" in by_name(doc)  # ECS and ASGs still read


@pytest.mark.parametrize(
    "argv",
    [("--region", "nowhere"), ("--region", "us-west-2", "--bogus")],
    ids=["bad-region", "unknown-flag"],
)
def test_usage_errors_exit_2(moto: Moto, brctl_inventory: Inventory, argv: tuple[str, ...]) -> None:
    code, _, err = brctl_inventory(*argv, as_json=False)
    assert code == 2
    assert "brctl" in err


@pytest.mark.parametrize(
    ("name", "description", "platform", "expected"),
    [
        ("amzn2-ami-hvm-2.0.20240709.1-x86_64-gp2", "", "", "al2"),
        ("amzn2-ami-ecs-hvm-2.0.20240709-x86_64-ebs", "", "", "al2"),
        ("al2023-ami-2023.5.20240708.0-kernel-6.1-arm64", "", "", "al2023"),
        ("amazon-eks-node-al2023-x86_64-standard-1.30-v20240703", "", "", "al2023"),
        ("amazon-eks-gpu-node-1.29-v20240703", "", "", "al2"),
        ("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240701", "", "", "ubuntu"),
        ("ubuntu-eks/k8s_1.29/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240701", "", "", "ubuntu"),
        ("bottlerocket-aws-k8s-1.33-x86_64-v1.50.0-abcdef12", "", "", "bottlerocket"),
        ("Windows_Server-2022-English-Full-Base-2024.07.10", "", "", "windows"),
        ("EC2LaunchV2-Windows_Server-2019", "", "windows", "windows"),
        ("golden-2024", "Built from Amazon Linux 2023", "", "al2023"),
        ("golden-2024", "hardened", "", "unknown"),
    ],
)
def test_os_from_image(name: str, description: str, platform: str, expected: str) -> None:
    assert inventory.os_from_image(name, description, platform) == expected
