"""The package as a consumer gets it: ranges (no exact pins), brctl's dependencies behind the ``cli`` extra, and a
wheel that holds ``constructs_br`` only plus the data files it loads through importlib.resources."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.message import Message
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CLI_ONLY = {"boto3", "rich", "kubernetes"}


def _requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines.extend(extra)
    return [Requirement(line) for line in lines]


def test_declared_requirements_are_ranges() -> None:
    for req in _requirements():
        assert req.specifier, f"{req.name} has no version range"
        assert all(spec.operator not in ("==", "===") for spec in req.specifier), f"{req} is an exact pin"


def test_cli_dependencies_are_an_extra() -> None:
    core = {Requirement(line).name for line in PYPROJECT["project"]["dependencies"]}
    cli = {Requirement(line).name for line in PYPROJECT["project"]["optional-dependencies"]["cli"]}
    assert not core & CLI_ONLY
    assert cli >= CLI_ONLY
    assert "pdoc" in {Requirement(line).name for line in PYPROJECT["project"]["optional-dependencies"]["dev"]}


def test_constraints_pin_every_declared_requirement_exactly() -> None:
    lines = [ln for ln in (ROOT / "constraints.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    pinned = {Requirement(ln).name.lower().replace("_", "-"): Requirement(ln) for ln in lines}
    assert all(str(r.specifier).startswith("==") for r in pinned.values())
    for req in _requirements():
        name = req.name.lower().replace("_", "-")
        assert name in pinned, f"{name} missing from constraints.txt"
        version = str(pinned[name].specifier).removeprefix("==")
        assert req.specifier.contains(version, prereleases=True), f"constraints.txt {name}=={version} not in {req}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel offline from a copy of the sources (the working tree gets no build/ or egg-info)."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("constructs_br", "stacks"):  # stacks/ is copied so the test sees it left out
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "app.py"):
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("constructs_br-*.whl")
    return built


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(zf.read(name))


def test_wheel_holds_constructs_br_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    outside = [n for n in names if not n.startswith(("constructs_br/", "constructs_br-"))]
    assert outside == []
    assert not any(n.startswith("stacks/") for n in names)
    assert "constructs_br/py.typed" in names
    assert "constructs_br/settings/schema.json" in names
    assert "constructs_br/settings/_schema.py" in names


def test_wheel_metadata_has_ranges_and_the_cli_extra(wheel: Path) -> None:
    meta = _metadata(wheel)
    requires = meta.get_all("Requires-Dist") or []
    assert requires
    pins = [r for r in requires if any(s.operator in ("==", "===") for s in Requirement(r).specifier)]
    assert pins == []
    assert "cli" in (meta.get_all("Provides-Extra") or [])
    extras = {Requirement(r).name: str(Requirement(r).marker or "") for r in requires}
    for name in CLI_ONLY:
        assert 'extra == "cli"' in extras[name], f"{name} must only come with the cli extra"
    assert extras["aws-cdk-lib"] == ""
    assert meta["Name"] == "constructs_br"
    with zipfile.ZipFile(wheel) as zf:
        entry = zf.read(next(n for n in zf.namelist() if n.endswith("entry_points.txt")))
    assert b"brctl = constructs_br.cli.main:main" in entry


def test_makefile_installs_with_constraints_and_rebuilds_on_change() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "$(PY_STAMP): pyproject.toml $(CONSTRAINTS)" in makefile
    assert "pip install --quiet -c $(CONSTRAINTS) -e '.[dev,cli]'" in makefile
    assert "CONSTRAINTS := constraints.txt" in makefile
