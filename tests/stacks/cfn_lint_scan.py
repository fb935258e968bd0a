"""One cfn-lint run over every template the tests lint, once per test run (shared by the xdist workers through
:func:`tests.conftest.once_per_run`; each start costs about a second), side by side with checkov's
(tests/stacks/scans.py).

:func:`lint` returns one label's matches (``--format json``: ``Rule.Id``, ``Level``, ``Message``, ``Filename``).
cfn-lint runs from the repository root, so ``.cfnlintrc`` applies (each ignore has its reason there).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stacks.app import ROOT
from tests.stacks.gated_templates import TEMPLATE_SETS, copy_templates
from tests.stacks.scans import scanned

CFN_LINT = Path(sys.executable).parent / "cfn-lint"

PLANTED: dict[str, Any] = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "not-a-number"}},
        "Unused": {"Type": "AWS::SNS::Topic", "DependsOn": "Queue", "Properties": {"Bogus": 1}},
    },
    "Parameters": {"NeverUsed": {"Type": "String"}},
}
"""An error (a string where a number belongs, an unknown property) and a warning (an unused parameter)."""


def start(out: Path) -> tuple[subprocess.Popen[bytes], Callable[[], None]]:
    """Lays the templates out under ``out`` and starts cfn-lint on them. Returns the process and the check to call
    once it has exited, which writes ``out/matches.json``."""
    files = [f for label, templates in TEMPLATE_SETS.items() for f in copy_templates(templates(), out / label)]
    (out / "planted").mkdir()
    (out / "planted" / "Bad.template.json").write_text(json.dumps(PLANTED))
    files.append(out / "planted" / "Bad.template.json")
    with (out / "stdout").open("w") as stdout, (out / "stderr").open("w") as stderr:
        process = subprocess.Popen(
            [str(CFN_LINT), "--format", "json", *map(str, files)], cwd=ROOT, stdout=stdout, stderr=stderr
        )

    def finish() -> None:
        output, errors = (out / "stdout").read_text(), (out / "stderr").read_text()
        assert output.strip().startswith("["), output[-2000:] + errors[-2000:]  # it ran
        (out / "matches.json").write_text(output)

    return process, finish


def linted(label: str) -> list[Path]:
    """The files linted under ``label`` (``planted``: the planted template)."""
    assert label in (*TEMPLATE_SETS, "planted"), label
    return sorted((scanned() / "cfnlint" / label).glob("*.template.json"))


def lint(label: str) -> list[dict[str, Any]]:
    """cfn-lint's matches in ``label``'s files."""
    directory = str(scanned() / "cfnlint" / label) + "/"
    return [m for m in _matches() if str(m["Filename"]).startswith(directory)]


@functools.cache
def _matches() -> list[dict[str, Any]]:
    """The run's matches, parsed once per process (every label's :func:`lint` reads them)."""
    matches: list[dict[str, Any]] = json.loads((scanned() / "cfnlint" / "matches.json").read_text())
    return matches


def described(matches: list[dict[str, Any]]) -> str:
    return "\n".join(f"{m['Rule']['Id']} {m['Filename']}: {m['Message']}" for m in matches)
