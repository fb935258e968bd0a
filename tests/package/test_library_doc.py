"""docs/library.md stays true: its minimal app synthesizes, outside this repository, with this repository's lockfile
standing in for the app's own."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")


def test_minimal_app_synthesizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as its own script would be (``__main__``, in an empty directory holding only the lockfile), in this
    process: a fresh interpreter would spend most of the time starting jsii. ``App()`` gets an ``outdir`` (the doc's
    app relies on the CLI's ``CDK_OUTDIR``, which the jsii kernel of this process cannot see any more)."""
    import aws_cdk

    blocks = re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL)
    (app,) = [b for b in blocks if "app.synth()" in b]
    shutil.copy2(ROOT / "bottlerocket.lock.json", tmp_path / "bottlerocket.lock.json")
    monkeypatch.chdir(tmp_path)
    outdir = tmp_path / "cdk.out"
    real_app = aws_cdk.App
    monkeypatch.setattr(aws_cdk, "App", lambda **kwargs: real_app(outdir=str(outdir), **kwargs))
    exec(compile(app, str(ROOT / "docs" / "library.md"), "exec"), {"__name__": "__main__"})
    template = json.loads((outdir / "Fleet.template.json").read_text())
    types = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::EKS::Cluster", "AWS::EKS::Nodegroup", "AWS::AutoScaling::AutoScalingGroup"} <= types


def test_brctl_table_in_the_doc_is_this_repositorys() -> None:
    (table,) = re.findall(r"```toml\n(\[tool\.brctl\].*?)```", DOC, flags=re.DOTALL)
    pyproject = (ROOT / "pyproject.toml").read_text()
    for line in table.splitlines()[1:]:
        assert line.split("#")[0].strip() in pyproject, line
