"""Pure packages are a tested property: importing them (in a fresh interpreter) loads neither the CDK nor jsii,
and ``brctl --help`` starts no Node process (no end-of-life banner)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FORBIDDEN = ("aws_cdk", "jsii", "constructs", "stacks")
"""Top-level modules a pure import must not load (``constructs`` is the jsii-backed construct base)."""

PURE = (
    "constructs_br.images",
    "constructs_br.settings",
    "constructs_br.bluegreen",
    "constructs_br.eks.spec",
    "constructs_br.ecs.spec",
    "constructs_br.cli.main",
)

_PROBE = """
import importlib, json, sys
module = importlib.import_module(sys.argv[1])
if sys.argv[1] == "constructs_br.cli.main":
    module.build_parser()
    module.build_parser(["userdata"])
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))
print(json.dumps(loaded))
"""


@pytest.mark.parametrize("module", PURE)
def test_import_loads_no_cdk_and_no_jsii(module: str, tmp_path: Path) -> None:
    # Run outside the repository, so `stacks` could only come in through the library itself.
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, module, json.dumps(FORBIDDEN)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [], f"importing {module} loaded {result.stdout.strip()}"


def _brctl() -> str:
    exe = Path(sys.executable).with_name("brctl")
    if not exe.exists():  # pragma: no cover - the venv always has the console script
        pytest.skip("brctl console script not installed (pip install -e '.[cli]')")
    return str(exe)


@pytest.mark.parametrize("argv", [("--help",), ("userdata", "--help"), ("userdata", "render", "--help")])
def test_brctl_help_prints_no_node_banner(argv: tuple[str, ...], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_")}  # the banner would show if jsii started
    result = subprocess.run(
        [_brctl(), *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "b'!!" not in output
    assert "end-of-life" not in output
    assert "usage: brctl" in result.stdout
