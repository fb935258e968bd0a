"""tests/conftest.py's run-wide cache: a build started in the background is waited for, not repeated; one that
failed is built again in the foreground, where its error reaches the test."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest

from tests.conftest import once_per_run, once_per_run_in_background


def test_a_background_build_is_waited_for_and_reused() -> None:
    key = f"bg-{uuid.uuid4().hex[:8]}"
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(out: Path) -> None:
        calls.append("background")
        started.set()  # it holds the lock now
        release.wait(timeout=30)
        out.mkdir(parents=True)
        (out / "result.txt").write_text("built once")

    once_per_run_in_background(key, slow)
    once_per_run_in_background(key, slow)  # already started: not a second thread
    assert started.wait(timeout=30)
    threading.Timer(0.2, release.set).start()
    out = once_per_run(key, lambda _: calls.append("foreground"))  # blocks on the lock until the thread is done
    assert (out / "result.txt").read_text() == "built once"
    assert calls == ["background"]


def test_a_failed_background_build_is_built_again_and_raises_in_the_foreground() -> None:
    key = f"bg-{uuid.uuid4().hex[:8]}"
    calls: list[str] = []
    failed = threading.Event()

    def broken(out: Path) -> None:
        calls.append("build")
        out.mkdir(parents=True)
        failed.set()
        raise RuntimeError("the scan broke")

    once_per_run_in_background(key, broken)
    assert failed.wait(timeout=30)
    with pytest.raises(RuntimeError, match="the scan broke"):
        once_per_run(key, broken)
    assert calls == ["build", "build"]  # the foreground did not take the half-built directory for a result


def test_the_conftest_root_is_the_apps() -> None:
    from stacks.app import ROOT
    from tests.conftest import ROOT as TESTS_ROOT

    assert TESTS_ROOT == ROOT
