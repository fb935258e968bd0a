"""Shared fixtures: the app built exactly as ``cdk synth`` builds it (cdk.json's context), synthesized once."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from stacks.app import ROOT, build_app, cdk_json_context


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_loader() -> Iterator[None]:
    """Every botocore session in this worker shares one data loader, so service models are parsed once per worker.

    ``brctl`` opens a fresh ``boto3.Session`` per client (right for a CLI run), and each fresh session re-reads and
    JSON-parses the service model files (``ec2`` alone is several MB): in the CLI tests that was a third of their
    time. The models are read-only data and botocore already shares one loader among all clients of a session; this
    only extends that to all sessions of the test process. Requests, credentials, regions and endpoints are
    unchanged."""
    import botocore.loaders
    import botocore.session

    loaders: dict[str | None, botocore.loaders.Loader] = {}
    original = botocore.loaders.create_loader

    def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = original(search_path_string)
        return loaders[search_path_string]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(botocore.session, "create_loader", create_loader)
        yield


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
