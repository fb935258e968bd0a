"""tests/conftest.py's run-wide cache and its paths: a build runs once per run and is reused; one that raised leaves
nothing behind, so the next caller builds again and sees the same error."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import once_per_run


def test_a_build_runs_once_and_its_directory_is_reused() -> None:
    key = f"t-{uuid.uuid4().hex[:8]}"
    calls: list[Path] = []

    def build(out: Path) -> None:
        calls.append(out)
        out.mkdir(parents=True)
        (out / "result.txt").write_text("built once")

    first = once_per_run(key, build)
    again = once_per_run(key, build)
    assert first == again == calls[0]
    assert (again / "result.txt").read_text() == "built once"
    assert len(calls) == 1


def test_a_build_that_raised_is_built_again_by_the_next_caller() -> None:
    key = f"t-{uuid.uuid4().hex[:8]}"
    calls: list[str] = []

    def broken(out: Path) -> None:
        calls.append("build")
        out.mkdir(parents=True)
        (out / "half.txt").write_text("half-built")
        raise RuntimeError("the scan broke")

    for _ in range(2):
        with pytest.raises(RuntimeError, match="the scan broke"):
            once_per_run(key, broken)
    assert calls == ["build", "build"]  # the half-built directory was not taken for a result

    def fixed(out: Path) -> None:
        assert not out.exists()  # what the broken build left was removed first
        out.mkdir(parents=True)

    assert once_per_run(key, fixed).is_dir()


def test_the_conftest_root_is_the_apps() -> None:
    from stacks.app import ROOT
    from tests.conftest import ROOT as TESTS_ROOT

    assert TESTS_ROOT == ROOT
