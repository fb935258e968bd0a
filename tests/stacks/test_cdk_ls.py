"""The real ``cdk ls --long`` (the CDK CLI from node_modules, no AWS credentials) lists every stack set of every stage
and region with its environment; each stack's description names its stage and region."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.cli_e2e  # the real CDK CLI: `make test` runs these in their own step

CONTEXT = ("-c", "br:production:regions=us-east-1,eu-west-1")
EXPECTED = {
    **{f"BrPilot{k}": ("pilot", "us-west-2") for k in ("", "Nodes", "Ecs", "Operators")},
    **{f"BrCanary{k}": ("canary", "us-east-1") for k in ("", "Nodes", "Ecs", "Operators")},
    **{f"BrProduction{k}": ("production", "us-east-1") for k in ("", "Nodes", "Ecs", "Operators")},
    **{f"BrProduction{k}-eu-west-1": ("production", "eu-west-1") for k in ("", "Nodes", "Ecs", "Operators")},
}


def _cdk(args: list[str], repo_root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(CDK_DISABLE_VERSION_CHECK="1", AWS_EC2_METADATA_DISABLED="true", CDK_DISABLE_CLI_TELEMETRY="true")
    return subprocess.run(
        ["npx", "--no-install", "cdk", *args, *CONTEXT, "--output", str(out)],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def listed(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], Path]:
    out = tmp_path_factory.mktemp("ls.out")
    result = _cdk(["ls", "--long", "--json"], repo_root, out)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout), out


def test_cdk_ls_shows_every_stack_with_its_environment(listed: tuple[list[dict[str, Any]], Path]) -> None:
    stacks, _ = listed
    got = {s["name"]: s["environment"] for s in stacks}
    assert set(got) == set(EXPECTED)
    for name, (_, region) in EXPECTED.items():
        assert got[name] == {"account": "123456789012", "region": region, "name": f"aws://123456789012/{region}"}


def test_every_stack_description_names_its_stage_and_region(listed: tuple[list[dict[str, Any]], Path]) -> None:
    _, out = listed
    for name, (stage, region) in EXPECTED.items():
        template = json.loads((out / f"{name}.template.json").read_text())
        assert template["Description"].startswith(f"constructs_br {stage} in {region}: "), name


def test_br_stages_narrows_what_cdk_ls_shows(repo_root: Path, tmp_path: Path) -> None:
    result = _cdk(["ls", "-c", "br:stages=pilot"], repo_root, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["BrPilot", "BrPilotNodes", "BrPilotEcs", "BrPilotOperators"]
    bad = _cdk(["ls", "-c", "br:stages=staging"], repo_root, tmp_path / "bad")
    assert bad.returncode != 0
    assert "error: br:stages: got 'staging'; allowed: comma-separated stages of: pilot | canary | production" in (
        bad.stderr
    )
