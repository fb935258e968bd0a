"""brctl userdata validate / render."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from constructs_br.cli.main import main

GOOD = '[settings.kubernetes]\nmax-pods = 110\n[settings.kubernetes.node-taints]\ndedicated = "gpu:NoSchedule"\n'
BAD = '[settings.kubernetes]\nmax-pods = "110"\n[settings.kubernetes.node-taints]\ndedicated = "gpu=true:NoSchedule"\n'


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(GOOD)
    bad.write_text(BAD)
    return good, bad


def test_validate_all_valid(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(files[0])]) == 0
    assert "ok" in capsys.readouterr().out


def test_validate_invalid_prints_every_error(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(files[0]), str(files[1])]) == 1
    out = capsys.readouterr().out
    assert "settings.kubernetes.max-pods: got '110'" in out
    assert "settings.kubernetes.node-taints.dedicated: got 'gpu=true:NoSchedule'" in out


def test_validate_json(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", "--json", *map(str, files)]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["valid"] is False
    assert [f["valid"] for f in payload["files"]] == [True, False]
    assert [p["field"] for p in payload["files"][1]["problems"]] == [
        "settings.kubernetes.max-pods",
        "settings.kubernetes.node-taints.dedicated",
    ]


def test_validate_wrong_variant_family(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-ecs-2", str(files[0])]) == 1
    assert "settings.kubernetes: got" in capsys.readouterr().out


def test_validate_usage_errors(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-k8s", str(files[0])]) == 2
    assert "variant" in capsys.readouterr().err
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33"]) == 2


def test_validate_invalid_toml_is_a_failed_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "broken.toml"
    f.write_text("[settings.kubernetes\n")
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(f)]) == 1
    assert "user-data" in capsys.readouterr().out


def test_render_uses_stage_config(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[tuple[str, str | None]] = []

    def userdata_for(stage: str, nodegroup: str | None) -> str:
        calls.append((stage, nodegroup))
        return "[settings.kubernetes]\nmax-pods = 110\n"

    fake = types.ModuleType("stacks.config")
    fake.userdata_for = userdata_for  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "stacks.config", fake)
    assert main(["userdata", "render", "--stage", "pilot", "--nodegroup", "web"]) == 0
    assert calls == [("pilot", "web")]
    assert capsys.readouterr().out == "[settings.kubernetes]\nmax-pods = 110\n"


def test_render_without_stage_config(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "stacks.config", types.ModuleType("stacks.config"))
    assert main(["userdata", "render", "--stage", "pilot"]) == 2
    assert "stage configuration is not available" in capsys.readouterr().err
