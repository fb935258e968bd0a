"""Time ``make test`` and its parts -> benchmarks/test_suite.json (``make bench`` renders it into RESULTS.md).

Not part of ``make bench``: the suite is not a benchmark, and it should be timed on an otherwise idle machine.
Run it from the repository root, with nothing else running: ``.venv/bin/python benchmarks/time_make_test.py``
(``--runs 2``: the second run is the warm figure; ``make test`` leaves nothing behind that makes a rerun cheaper
except the installed venvs and node_modules, which every "warm" run has). The total is the wall time of the whole
``make test``; lint + typecheck is everything before the pytest command line, pytest is the rest (start-up and
collection included), read from ``make``'s own output as it streams.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "test_suite.json"
STEPS = (
    (
        "pytest, every test (-n 2: the real CDK CLI and deploy tests included)",
        re.compile(r"bin/pytest -n 2 --dist worksteal$"),
    ),
)
SUMMARY = re.compile(r"=+ (.*(?:passed|failed).*) in [\d.]+s")


def calibrate() -> float:
    """Seconds this machine takes, now, for a fixed single-core Python workload (best of three): recorded beside each
    run, because this shared VM's speed drifts by 20 % or more over a day, and a suite figure means little without
    the speed of the machine it was taken on."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        sum(i * i for i in range(3_000_000))
        best = min(best, time.perf_counter() - t0)
    return round(best, 3)


def time_once() -> dict[str, object]:
    """One ``make test``: total wall, per-step wall (lint + typecheck = everything before the first pytest step),
    each step's pytest summary line, and the exit code."""
    calibration = calibrate()
    t0 = time.perf_counter()
    marks: list[tuple[str, float]] = [("lint + typecheck (ruff, mypy)", 0.0)]
    summaries: list[str] = []
    proc = subprocess.Popen(
        ["make", "test"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        for name, pattern in STEPS:
            if pattern.search(line.rstrip()) and not line.startswith("="):
                marks.append((name, time.perf_counter() - t0))
        if m := SUMMARY.search(line):
            summaries.append(m.group(1))
    code = proc.wait()
    total = time.perf_counter() - t0
    ends = [t for _, t in marks[1:]] + [total]
    steps = {name: round(end - start, 1) for (name, start), end in zip(marks, ends, strict=True)}
    return {
        "total_s": round(total, 1),
        "steps_s": steps,
        "pytest_summaries": summaries,
        "exit_code": code,
        "calibration_s": calibration,
    }


def main() -> int:
    """Run ``make test`` ``--runs`` times in a row and write the figures with the date and commit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=True)
    runs = [time_once() for _ in range(args.runs)]
    doc = {
        "command": "make test (timed by .venv/bin/python benchmarks/time_make_test.py)",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit.stdout.strip(),
        "runs": runs,
    }
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")
    return max(int(str(r["exit_code"])) for r in runs)


if __name__ == "__main__":
    sys.exit(main())
