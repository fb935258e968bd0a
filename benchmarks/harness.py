"""The bench's pure parts: samples, medians, paired (alternating) rounds, per-resource cost, the RESULTS.md text.

Nothing here starts a process or imports aws_cdk: ``benchmarks/run.py`` runs the children and feeds this module,
and ``tests/unit/test_bench_harness.py`` feeds it fake timings.

>>> median([3.0, 1.0, 2.0])
2.0
>>> ms_per_resource(app_s=10.0, floor_s=4.0, resources=200)
30.0
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LIMITS = {"resources": 500, "bytes": 1_000_000, "outputs": 200, "parameters": 200}
"""CloudFormation's per-template quotas the report compares the largest template with."""


@dataclass(frozen=True)
class Sample:
    """One child process: wall time (start-up included), peak RSS of its largest process (KiB), what it built."""

    wall_s: float
    peak_kib: int = 0
    stacks: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    error: str | None = None
    phases: Mapping[str, float] = field(default_factory=dict)
    """Seconds inside the child: ``import_cdk_s``, ``construct_s`` (the app's imports and constructors), ``synth_s``."""
    requests: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """jsii requests the child sent, per phase (``import``, ``construct``, ``synth``) and request type."""

    @property
    def resources(self) -> int:
        return sum(s["resources"] for s in self.stacks.values())

    def total(self, key: str) -> int:
        return sum(s[key] for s in self.stacks.values())

    def request_count(self, phase: str) -> int:
        """How many jsii requests the child sent during ``phase`` (0 when it did not count)."""
        return sum(self.requests.get(phase, {}).values())

    def largest(self, key: str) -> tuple[str, int]:
        """The stack with the most ``key`` and its value (``("-", 0)`` for no stacks)."""
        if not self.stacks:
            return ("-", 0)
        name = max(self.stacks, key=lambda n: self.stacks[n][key])
        return (name, self.stacks[name][key])


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


def ms_per_resource(*, app_s: float, floor_s: float, resources: int) -> float:
    """(app - floor) / resources, in milliseconds."""
    if resources <= 0:
        raise ValueError(f"resources must be > 0, got {resources}")
    return (app_s - floor_s) * 1000.0 / resources


def paired_rounds(
    variants: Mapping[str, Callable[[], Sample]], *, rounds: int, warmup: int = 1
) -> dict[str, list[Sample]]:
    """Run every variant once per round, alternating: round ``r`` starts at variant ``r mod n`` (so no variant is
    always first or last while the machine's load drifts). ``warmup`` rounds run first and are discarded."""
    names = list(variants)
    out: dict[str, list[Sample]] = {name: [] for name in names}
    for r in range(warmup + rounds):
        k = r % len(names) if names else 0
        for name in names[k:] + names[:k]:
            sample = variants[name]()
            if r >= warmup:
                out[name].append(sample)
    return out


def median_wall(samples: Sequence[Sample]) -> float:
    return median([s.wall_s for s in samples])


def floor_of(r: Mapping[str, Any], name: str) -> Sequence[Sample]:
    """The samples of ``name``'s own floor in the results ``r`` (``r["floors"]``, default ``floor``)."""
    cost: Mapping[str, Sequence[Sample]] = r["synth_cost"]
    return cost[r.get("floors", {}).get(name, "floor")]


def variant_ms_per_resource(r: Mapping[str, Any], name: str) -> float:
    """``name``'s ms per resource in the results ``r``, above its own floor (:func:`floor_of`)."""
    samples: Sequence[Sample] = r["synth_cost"][name]
    return ms_per_resource(
        app_s=median_wall(samples), floor_s=median_wall(floor_of(r, name)), resources=samples[0].resources
    )


def median_peak_mib(samples: Sequence[Sample]) -> float:
    return median([s.peak_kib for s in samples]) / 1024.0


def spread(samples: Sequence[Sample]) -> str:
    """``min-max`` of the wall times, for the reader to judge the noise."""
    walls = [s.wall_s for s in samples]
    return f"{min(walls):.2f}-{max(walls):.2f}"


def per_unit(small: Sample, large: Sample, units: int) -> dict[str, float]:
    """What ``units`` more of something added between two synthesized apps, per unit."""
    keys = ("resources", "bytes", "lambda_backed")
    return {k: (large.total(k) - small.total(k)) / units for k in keys}


def limit_row(sample: Sample) -> dict[str, tuple[str, int, float]]:
    """Per quota: the largest template's stack, its value, and the share of the limit (%)."""
    out = {}
    for key, limit in LIMITS.items():
        name, value = sample.largest(key)
        out[key] = (name, value, 100.0 * value / limit)
    return out


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def render_report(r: Mapping[str, Any]) -> str:
    """RESULTS.md from the measured results (see ``run.py`` for the shape of ``r``)."""
    cost: dict[str, list[Sample]] = r["synth_cost"]
    lines: list[str] = ["# Benchmarks", ""]
    lines += [
        f"Written by `make bench` (`benchmarks/run.py`) on {r['date']}. Do not edit by hand: re-run the bench.",
        "",
        "## Machine and method",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in r["machine"].items()]
    lines += [""] + [f"- {line}" for line in r["method"]] + [""]
    lines += ["## 1. Synth cost", ""]
    rows = []
    for name, label in r["synth_labels"].items():
        s = cost[name]
        rows.append([label, len(s), f"{median_wall(s):.2f}", spread(s), s[0].resources, f"{median_peak_mib(s):.0f}"])
    lines += [*_table(["app", "n", "median s", "min-max s", "resources", "peak MiB"], rows), ""]
    mpr = {name: variant_ms_per_resource(r, name) for name in r["per_resource"]}
    lines += ["```"]
    for name, label in r["per_resource"].items():
        lines.append(f"{label}: ms per resource: {mpr[name]:.1f}")
    for a, b in r["ratios"]:
        lines.append(f"ratio {a} / {b}: {mpr[a] / mpr[b]:.2f}")
    lines += ["```", ""]
    if any(s[0].phases for s in cost.values()):
        lines += _phases(r)
    lines += ["## 2. Per unit (from the synthesized templates)", ""]
    rows = [
        [u, f"{v['resources']:.1f}", f"{v['bytes']:.0f}", f"{v['lambda_backed']:.1f}"] for u, v in r["units"].items()
    ]
    lines += [*_table(["unit", "resources", "template bytes", "Lambda-backed"], rows), ""]
    lines += r.get("unit_notes", [])
    lines += ["", "## 3. Scale", ""]
    rows = []
    for p in r["scale"]:
        s = p["samples"]
        if s[0].error:
            rows.append(
                [
                    p["app"],
                    p["node_groups"],
                    p["regions"],
                    len(s),
                    f"{median_wall(s):.2f}",
                    "-",
                    "-",
                    "-",
                    "synth failed: " + s[0].error[:160],
                ]
            )
            continue
        lim = limit_row(s[0])
        rows.append(
            [
                p["app"],
                p["node_groups"],
                p["regions"],
                len(s),
                f"{median_wall(s):.2f}",
                f"{median_peak_mib(s):.0f}",
                len(s[0].stacks),
                s[0].resources,
                "; ".join(f"{k} {v[1]} ({v[2]:.0f} %)" for k, v in lim.items()),
            ]
        )
    lines += _table(
        [
            "app",
            "node-group pairs / region",
            "regions",
            "n",
            "median s",
            "peak MiB",
            "stacks",
            "resources",
            "largest template vs limit",
        ],
        rows,
    )
    lines += ["", *r.get("scale_notes", []), ""]
    if r.get("chart"):
        lines += [f"![synth time vs node groups]({r['chart']})", ""]
    lines += ["## 4. CLI latency", ""]
    rows = [[f"`{c}`", len(s), f"{median_wall(s):.2f}", spread(s)] for c, s in r["cli"].items()]
    lines += [*_table(["command", "n", "median s", "min-max s"], rows), ""]
    if r.get("targets"):
        lines += ["## Issue 16 targets (on the compass, not in tests)", "", *r["targets"], ""]
    if r.get("test_suite"):
        lines += _test_suite(r["test_suite"])
    lines += ["## Not measured here", "", *r.get("not_measured", []), ""]
    return "\n".join(lines)


def _phases(r: Mapping[str, Any]) -> list[str]:
    """Section 1b: inside each synth child, the median seconds per phase and the jsii requests it sent."""
    cost: dict[str, list[Sample]] = r["synth_cost"]
    lines = ["### 1b. Where the time goes (inside each child)", ""]
    rows = []
    keys = ("import_cdk_s", "construct_s", "synth_s")

    def medians(samples: Sequence[Sample]) -> dict[str, float]:
        return {k: median([x.phases[k] for x in samples]) for k in keys}

    for name, label in r["synth_labels"].items():
        s = cost[name]
        if not s[0].phases:
            continue
        phase = medians(s)
        made, synth = s[0].request_count("construct"), s[0].request_count("synth")
        per = f"{made / s[0].resources:.1f}" if s[0].resources else "-"
        floor = floor_of(r, name)
        if s[0].resources and floor[0].phases:  # each phase's share of the ms per resource above the floor
            under = medians(floor)
            above = [
                f"{ms_per_resource(app_s=phase[k], floor_s=under[k], resources=s[0].resources):.1f}"
                for k in ("construct_s", "synth_s")
            ]
        else:
            above = ["-", "-"]
        rows.append([label, *(f"{phase[k]:.2f}" for k in phase), made, synth, per, *above])
    header = [
        "app",
        "import aws_cdk s",
        "construct s",
        "synth() s",
        "jsii requests: construct",
        "jsii requests: synth()",
        "construct requests per resource",
        "construct ms per resource above the floor",
        "synth() ms per resource above the floor",
    ]
    lines += [*_table(header, rows), ""]
    lines += r.get("phase_notes", [])
    return [*lines, ""]


TEST_SUITE_TARGET_S = 90.0
"""Issue 16: warm ``make test`` <= 90 s on this 2-core machine."""


def _test_suite(t: Mapping[str, Any]) -> list[str]:
    """The ``make test`` figures of ``benchmarks/test_suite.json`` (measured by ``benchmarks/time_make_test.py``,
    not by the bench)."""
    runs: list[Mapping[str, Any]] = t["runs"]
    names = list(runs[0]["steps_s"])
    lines = [
        "## 5. Test suite (`make test`)",
        "",
        f"Measured separately, not by this bench: `{t['command']}`, {t['date']}, commit {t['commit']}, "
        f"{len(runs)} runs in a row (every run after the first is warm).",
        "",
    ]
    calibrated = all("calibration_s" in r for r in runs)  # files written before it was recorded have none
    rows = [
        [
            i + 1,
            f"{r['total_s']:.1f}",
            *(f"{r['steps_s'][n]:.1f}" for n in names),
            r["exit_code"],
            *([f"{r['calibration_s']:.3f}"] if calibrated else []),
        ]
        for i, r in enumerate(runs)
    ]
    calibration_header = ["machine calibration s"] if calibrated else []
    lines += [*_table(["run", "total s", *(f"{n} s" for n in names), "exit", *calibration_header], rows), ""]
    if calibrated:
        lines += [
            "- machine calibration: a fixed single-core Python workload timed just before each run (best of three; "
            "higher = slower machine then). This VM's speed drifts by 20 % or more over a day: compare suite "
            "figures taken at similar calibrations.",
        ]
    lines += [f"- pytest, run {i + 1}: " + "; ".join(r["pytest_summaries"]) for i, r in enumerate(runs)]
    # Warm = every run after the first; their median, since this shared machine varies by 10 % or more run to run.
    warm_runs = runs[1:] or runs
    totals = sorted(float(r["total_s"]) for r in warm_runs)
    warm = median(totals)
    green = all(r["exit_code"] == 0 for r in warm_runs)
    verdict = "met" if warm <= TEST_SUITE_TARGET_S and green else "NOT met"
    lines += [
        f"- warm `make test` <= {TEST_SUITE_TARGET_S:.0f} s: median of the warm runs (2..{len(runs)}) {warm:.1f} s "
        f"(range {totals[0]:.1f}-{totals[-1]:.1f} s) -> {verdict}",
        "",
    ]
    return lines
