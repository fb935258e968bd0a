"""docs/library.md stays true: its minimal app synthesizes, outside this repository, with this repository's lockfile
standing in for the app's own."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")


def test_minimal_app_synthesizes(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL)
    (app,) = [b for b in blocks if "app.synth()" in b]
    (tmp_path / "app.py").write_text(app)
    shutil.copy2(ROOT / "bottlerocket.lock.json", tmp_path / "bottlerocket.lock.json")
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path / "cdk.out"), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "cdk.out" / "Fleet.template.json").read_text())
    types = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::EKS::Cluster", "AWS::EKS::Nodegroup", "AWS::AutoScaling::AutoScalingGroup"} <= types


def test_brctl_table_in_the_doc_is_this_repositorys() -> None:
    (table,) = re.findall(r"```toml\n(\[tool\.brctl\].*?)```", DOC, flags=re.DOTALL)
    pyproject = (ROOT / "pyproject.toml").read_text()
    for line in table.splitlines()[1:]:
        assert line.split("#")[0].strip() in pyproject, line
