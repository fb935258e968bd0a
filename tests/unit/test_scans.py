"""tests/stacks/scans.py runs cfn-lint and checkov side by side: both are started before either is waited for, and a
scanner that could not start leaves no other scanner running behind the failed build. Fake scanners: small Python
processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.stacks import cfn_lint_scan, checkov_scan, scans

Started = tuple[subprocess.Popen[bytes], Callable[[], None]]


def _python(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code])


def test_both_scanners_run_at_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    go = tmp_path / "go"
    processes: dict[str, subprocess.Popen[bytes]] = {}
    checked: list[tuple[str, int | None]] = []

    def lint_start(out: Path) -> Started:
        # Exits 0 once checkov has started (its start makes ``go``); 1 after 30 s if checkov waited for it instead.
        code = (
            f"import pathlib, sys, time\nfor _ in range(3000):\n"
            f"    if pathlib.Path({str(go)!r}).exists(): sys.exit(0)\n    time.sleep(0.01)\nsys.exit(1)"
        )
        processes["cfn-lint"] = _python(code)
        return processes["cfn-lint"], lambda: checked.append(("cfn-lint", processes["cfn-lint"].returncode))

    def checkov_start(out: Path) -> Started:
        go.touch()
        processes["checkov"] = _python("pass")
        return processes["checkov"], lambda: checked.append(("checkov", processes["checkov"].returncode))

    monkeypatch.setattr(cfn_lint_scan, "start", lint_start)
    monkeypatch.setattr(checkov_scan, "start", checkov_start)
    scans._run(tmp_path)
    assert checked == [("cfn-lint", 0), ("checkov", 0)]  # each checked after its process had exited


def test_a_scanner_that_cannot_start_leaves_none_running(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    running: list[subprocess.Popen[bytes]] = []

    def lint_start(out: Path) -> Started:
        running.append(_python("import time; time.sleep(0.5)"))
        return running[0], lambda: None

    def checkov_start(out: Path) -> Started:
        raise AssertionError(".venv-checkov missing")

    monkeypatch.setattr(cfn_lint_scan, "start", lint_start)
    monkeypatch.setattr(checkov_scan, "start", checkov_start)
    with pytest.raises(AssertionError, match="venv-checkov missing"):
        scans._run(tmp_path)
    assert running[0].returncode == 0  # waited for before the error left the build
