"""One cfn-lint run over every template the tests lint, once per test run (shared by the xdist workers through
:func:`tests.conftest.once_per_run`): each start costs about a second.

:func:`lint` returns one label's matches (``--format json``: ``Rule.Id``, ``Level``, ``Message``, ``Filename``).
cfn-lint runs from the repository root, so ``.cfnlintrc`` applies (each ignore has its reason there).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from stacks.app import ROOT
from tests.conftest import once_per_run
from tests.stacks.gated_templates import TEMPLATE_SETS, copy_templates

CFN_LINT = Path(sys.executable).parent / "cfn-lint"

PLANTED: dict[str, Any] = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "not-a-number"}},
        "Unused": {"Type": "AWS::SNS::Topic", "DependsOn": "Queue", "Properties": {"Bogus": 1}},
    },
    "Parameters": {"NeverUsed": {"Type": "String"}},
}
"""An error (a string where a number belongs, an unknown property) and a warning (an unused parameter)."""


def _run(out: Path) -> None:
    files = [f for label, templates in TEMPLATE_SETS.items() for f in copy_templates(templates(), out / label)]
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
    assert label in (*TEMPLATE_SETS, "planted"), label
    return sorted((once_per_run("cfnlint", _run) / label).glob("*.template.json"))


def lint(label: str) -> list[dict[str, Any]]:
    """cfn-lint's matches in ``label``'s files."""
    directory = str(once_per_run("cfnlint", _run) / label) + "/"
    return [m for m in _matches() if str(m["Filename"]).startswith(directory)]


@functools.cache
def _matches() -> list[dict[str, Any]]:
    """The run's matches, parsed once per process (every label's :func:`lint` reads them)."""
    matches: list[dict[str, Any]] = json.loads((once_per_run("cfnlint", _run) / "matches.json").read_text())
    return matches


def described(matches: list[dict[str, Any]]) -> str:
    return "\n".join(f"{m['Rule']['Id']} {m['Filename']}: {m['Message']}" for m in matches)
