"""examples/consumer: a platform team's own app (own cdk.json, own lockfile) on the public API only, synthesized
by the real CDK CLI with cdk-nag on, then cfn-lint and checkov clean (in the test run's one cfn-lint and one checkov
run: tests/stacks/cfn_lint_scan.py, checkov_scan.py)."""

from __future__ import annotations

import ast
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cdk_cli, once_per_run
from tests.stacks.cfn_lint_scan import described, lint, linted
from tests.stacks.checkov_scan import scan, unexplained

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "consumer"
PUBLIC_MODULES = {
    "constructs_br",
    "constructs_br.bluegreen",
    "constructs_br.compliance.limits",
    "constructs_br.compliance.nag",
    "constructs_br.ecs",
    "constructs_br.eks",
    "constructs_br.images",
    "constructs_br.platform",
}


def _synth(out: Path) -> None:
    result = cdk_cli(["synth", "--app", f"{sys.executable} app.py", "-o", str(out), "--quiet"], cwd=APP)
    assert result.returncode == 0, result.stderr[-3000:]


def consumer_template() -> Path:
    """The example's template file as the real CDK CLI synthesized it (once per test run, shared by the workers)."""
    return once_per_run("consumer", _synth) / "Fleet.template.json"


@pytest.fixture
def template() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(consumer_template().read_text())
    return data


def test_the_example_uses_only_the_public_api() -> None:
    tree = ast.parse((APP / "app.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    ours = {m for m in imported if m.split(".")[0] in {"constructs_br", "stacks"}}
    assert ours <= PUBLIC_MODULES, ours - PUBLIC_MODULES
    assert (APP / "cdk.json").is_file()
    assert (APP / "fleet.lock.json").is_file()


@pytest.mark.cli_e2e  # `template` is the real CDK CLI's synth
def test_the_example_synthesizes_cluster_node_groups_and_ecs_capacity(template: dict[str, Any]) -> None:
    types = Counter(r["Type"] for r in template["Resources"].values())
    for kind in (
        "AWS::EKS::Cluster",
        "AWS::EKS::Nodegroup",
        "AWS::ECS::Cluster",
        "AWS::ECS::CapacityProvider",
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::ECS::ClusterCapacityProviderAssociations",
    ):
        assert types[kind] >= 1, kind
    addons = sorted(
        r["Properties"]["AddonName"] for r in template["Resources"].values() if r["Type"] == "AWS::EKS::Addon"
    )
    assert addons == ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    lock = json.loads((APP / "fleet.lock.json").read_text())
    pinned = {e["image_id"] for e in lock["regions"]["us-west-2"].values()}
    lts = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::LaunchTemplate"]
    assert {lt["Properties"]["LaunchTemplateData"].get("ImageId") for lt in lts} - {None} <= pinned


@pytest.mark.scans
def test_the_example_is_cfn_lint_clean() -> None:
    assert [f.name for f in linted("consumer")] == ["Fleet.template.json"]
    matches = lint("consumer")
    assert matches == [], described(matches)


@pytest.mark.scans
def test_the_example_is_checkov_clean() -> None:
    report = scan("consumer")
    assert {c["file_path"] for c in report["results"]["passed_checks"]} == {"/Fleet.template.json"}
    assert unexplained(report) == []  # no failed check, and every skip the library wrote has a real reason
