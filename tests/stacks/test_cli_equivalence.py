"""The templates pytest builds equal what the real CDK CLI synthesizes (both read cdk.json's context)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.cli_e2e  # the real CDK CLI: `make test` runs it in its own step
def test_pytest_template_equals_cdk_cli_synth(tmp_path: Path, repo_root: Path, templates: Mapping[str, Any]) -> None:
    env = {**os.environ, "CDK_DISABLE_VERSION_CHECK": "1", "AWS_EC2_METADATA_DISABLED": "true"}
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(var, None)
    result = subprocess.run(
        ["npx", "--no-install", "cdk", "synth", "BrPilot", "--quiet", "--exclusively", "--output", str(tmp_path)],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cli_template = json.loads((tmp_path / "BrPilot.template.json").read_text())
    assert cli_template == templates["BrPilot"]
