"""A configuration error in the app is one clean message per problem on stderr (field, value, allowed), exit 1,
no traceback — what a user sees from ``cdk synth``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _context(**overrides: Any) -> str:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return json.dumps({**context, **overrides})


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"br:production:region": "mars-1"}, "error: stages.production.region: got 'mars-1'; allowed: "),
        ({"br:pilot:pair:general:phase": "purple"}, "error: br:pilot:pair:general:phase: got 'purple'; allowed: "),
    ],
    ids=["region", "phase"],
)
def test_config_error_is_one_line_without_traceback(override: dict[str, str], expected: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": _context(**override),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors
    assert all(": got " in line and "; allowed: " in line for line in errors)
    assert not (tmp_path / "cdk.out" / "manifest.json").exists()
