"""One cfn-lint run over every template the tests lint, once per test run (shared by the xdist workers through
:func:`tests.conftest.once_per_run`): each start costs about a second.

:func:`lint` returns one label's matches (``--format json``: ``Rule.Id``, ``Level``, ``Message``, ``Filename``).
cfn-lint runs from the repository root, so ``.cfnlintrc`` applies (each ignore has its reason there).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stacks.app import ROOT
from tests.conftest import once_per_run, synthesized

CFN_LINT = Path(sys.executable).parent / "cfn-lint"

PLANTED: dict[str, Any] = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "not-a-number"}},
        "Unused": {"Type": "AWS::SNS::Topic", "DependsOn": "Queue", "Properties": {"Bogus": 1}},
    },
    "Parameters": {"NeverUsed": {"Type": "String"}},
}
"""An error (a string where a number belongs, an unknown property) and a warning (an unused parameter)."""


def _app() -> list[Path]:
    return sorted(synthesized({}).glob("*.template.json"))


def _toy_pipeline() -> list[Path]:
    from tests.stacks.test_pipeline import pipeline_templates, toy_pipeline

    return pipeline_templates(toy_pipeline())


def _app_pipeline() -> list[Path]:
    from tests.stacks.test_app_pipeline import PIPELINE_KEYS, pipeline_templates

    return pipeline_templates(synthesized(PIPELINE_KEYS))


INPUTS: dict[str, Callable[[], list[Path]]] = {
    "app": _app,
    "toy-pipeline": _toy_pipeline,
    "app-pipeline": _app_pipeline,
}


def _run(out: Path) -> None:
    files: list[Path] = []
    for label, templates in INPUTS.items():
        (out / label).mkdir(parents=True)
        for f in templates():
            files.append(Path(shutil.copy2(f, out / label / f.name)))
    (out / "planted").mkdir()
    (out / "planted" / "Bad.template.json").write_text(json.dumps(PLANTED))
    files.append(out / "planted" / "Bad.template.json")
    result = subprocess.run(
        [str(CFN_LINT), "--format", "json", *map(str, files)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip().startswith("["), result.stdout[-2000:] + result.stderr[-2000:]  # it ran
    (out / "matches.json").write_text(result.stdout)


def linted(label: str) -> list[Path]:
    """The files linted under ``label`` (``planted``: the planted template)."""
    assert label in (*INPUTS, "planted"), label
    return sorted((once_per_run("cfnlint", _run) / label).glob("*.template.json"))


def lint(label: str) -> list[dict[str, Any]]:
    """cfn-lint's matches in ``label``'s files."""
    out = once_per_run("cfnlint", _run)
    directory = str(out / label) + "/"
    matches: list[dict[str, Any]] = json.loads((out / "matches.json").read_text())
    return [m for m in matches if str(m["Filename"]).startswith(directory)]


def described(matches: list[dict[str, Any]]) -> str:
    return "\n".join(f"{m['Rule']['Id']} {m['Filename']}: {m['Message']}" for m in matches)
