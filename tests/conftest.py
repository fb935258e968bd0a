"""Shared fixtures: the app built exactly as ``cdk synth`` builds it (cdk.json's context), synthesized once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from stacks.app import ROOT, build_app, cdk_json_context


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    return cdk_json_context()


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory, cdk_context: dict[str, Any]) -> Any:
    """The default app, synthesized once per session (nag plugins run: synth fails on any finding)."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    return build_app(cdk_context, outdir=str(outdir)).synth()


@pytest.fixture(scope="session")
def templates(assembly: Any) -> Mapping[str, dict[str, Any]]:
    """Stack name → template dict."""
    return {stack.stack_name: stack.template for stack in assembly.stacks}


def synth_with(context_overrides: Mapping[str, Any], tmp_path: Path) -> Mapping[str, dict[str, Any]]:
    """Synthesize the app with cdk.json's context plus overrides (what ``-c key=value`` does)."""
    context = {**cdk_json_context(), **context_overrides}
    assembly = build_app(context, outdir=str(tmp_path)).synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}
