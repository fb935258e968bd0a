"""The template sets the scans in tests/stacks gate (checkov_scan.py, cfn_lint_scan.py), one definition for both:
the app's stacks, the toy pipeline's own templates, the real app's pipeline templates (not the stage assemblies
nested in the pipelines: test_gates.py scans the stage stacks as the app's) and examples/consumer's template as the
real CDK CLI wrote it (tests/examples/test_consumer.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import synthesized


def _app() -> list[Path]:
    return sorted(synthesized({}).glob("*.template.json"))


def _toy_pipeline() -> list[Path]:
    from tests.stacks.test_pipeline import pipeline_templates, toy_pipeline

    return pipeline_templates(toy_pipeline())


def _app_pipeline() -> list[Path]:
    from tests.stacks.test_app_pipeline import PIPELINE_KEYS, pipeline_templates

    return pipeline_templates(synthesized(PIPELINE_KEYS))


def _consumer() -> list[Path]:
    from tests.examples.test_consumer import consumer_template

    return [consumer_template()]


TEMPLATE_SETS: dict[str, Callable[[], list[Path]]] = {
    "app": _app,
    "toy-pipeline": _toy_pipeline,
    "app-pipeline": _app_pipeline,
    "consumer": _consumer,
}
"""Label → the template files of that set (synthesized on first use, once per test run)."""


def copy_templates(files: list[Path], directory: Path) -> list[Path]:
    """``files`` copied into ``directory`` (created): templates only, not assets. Returns the copies."""
    directory.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(f, directory / f.name)) for f in files]
