"""cfn-lint and checkov over every gated template, both at once, once per test run
(:func:`tests.conftest.once_per_run`).

Each scanner is a single-threaded process of about 7 s here. The xdist worker that asks first builds the scans while
the other worker's scan tests wait on the run's lock: run one after the other, they left a core idle for both; side
by side on 2 cores the pair costs about the longer one. :func:`scanned` returns the run's directory: ``cfnlint/``
(tests/stacks/cfn_lint_scan.py) and ``checkov/`` (tests/stacks/checkov_scan.py).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import once_per_run


def _run(out: Path) -> None:
    from tests.stacks import cfn_lint_scan, checkov_scan

    started: list[tuple[subprocess.Popen[bytes], Callable[[], None]]] = []
    try:
        started.append(cfn_lint_scan.start(out / "cfnlint"))
        started.append(checkov_scan.start(out / "checkov"))
    finally:  # whatever failed, no scanner outlives the build (once_per_run removes a failed build's directory)
        for process, _ in started:
            process.wait()
    for _, check in started:
        check()


def scanned() -> Path:
    return once_per_run("scans", _run)
