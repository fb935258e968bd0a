"""The real ``cdk ls --long`` (the CDK CLI from node_modules, no AWS credentials) lists every stack set of every stage
and region with its environment; each stack's description names its stage and region; a bad ``-c br:stages=`` fails
the CLI with the named error.

The listings read assemblies already synthesized for the run (``--app <directory>`` makes the CLI read a cloud
assembly instead of running the app): the default app as ``npx cdk synth`` wrote it, and production in two regions
as pytest synthesized it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cdk_cli, cli_synthesized, synthesized

pytestmark = pytest.mark.cli_e2e  # the real CDK CLI

TWO_REGIONS = {"br:production:regions": "us-east-1,eu-west-1", "br:stages": "production"}
DEFAULT = {
    **{f"BrPilot{k}": ("pilot", "us-west-2") for k in ("", "Nodes", "Ecs", "Operators")},
    **{f"BrCanary{k}": ("canary", "us-east-1") for k in ("", "Nodes", "Ecs", "Operators")},
    **{f"BrProduction{k}": ("production", "us-east-1") for k in ("", "Nodes", "Ecs", "Operators")},
}
PRODUCTION_TWO_REGIONS = {
    **{f"BrProduction{k}": ("production", "us-east-1") for k in ("", "Nodes", "Ecs", "Operators")},
    **{f"BrProduction{k}-eu-west-1": ("production", "eu-west-1") for k in ("", "Nodes", "Ecs", "Operators")},
}


def _ls_long(assembly: Path) -> dict[str, Any]:
    result = cdk_cli(["ls", "--long", "--json", "--app", str(assembly)])
    assert result.returncode == 0, result.stderr[-3000:]
    return {s["name"]: s["environment"] for s in json.loads(result.stdout)}


@pytest.mark.parametrize(
    ("assembly", "expected"),
    [(cli_synthesized, DEFAULT), (lambda: synthesized(TWO_REGIONS), PRODUCTION_TWO_REGIONS)],
    ids=["default-app", "production-two-regions"],
)
def test_cdk_ls_shows_every_stack_with_its_environment(assembly: Any, expected: dict[str, Any]) -> None:
    out = assembly()
    got = _ls_long(out)
    assert set(got) == set(expected)
    for name, (stage, region) in expected.items():
        assert got[name] == {"account": "123456789012", "region": region, "name": f"aws://123456789012/{region}"}
        template = json.loads((out / f"{name}.template.json").read_text())
        assert template["Description"].startswith(f"constructs_br {stage} in {region}: "), name


def test_a_bad_br_stages_fails_the_cli_with_the_named_error(tmp_path: Path) -> None:
    """The CLI hands ``-c`` to the app, which refuses a stage it does not know before building anything. What a good
    value narrows synthesis to is tests/unit/stacks/test_regions.py's (the app's logic, not the CLI's)."""
    bad = cdk_cli(["ls", "-c", "br:stages=staging", "--output", str(tmp_path / "bad")])
    assert bad.returncode != 0
    assert "error: br:stages: got 'staging'; allowed: comma-separated stages of: pilot | canary | production" in (
        bad.stderr
    )
