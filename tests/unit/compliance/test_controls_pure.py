"""compliance/controls.py and brctl report stay pure: importing them loads neither aws_cdk nor jsii."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["constructs_br.compliance.controls", "constructs_br.cli.report"])
def test_import_loads_no_cdk(module: str) -> None:
    code = f"import sys, {module}; print([m for m in ('aws_cdk', 'jsii', 'stacks') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
