"""The bench harness's pure parts (benchmarks/harness.py) on fake timings: no synth, no subprocess, no timing."""

from __future__ import annotations

import itertools

import pytest

from benchmarks.harness import (
    Sample,
    limit_row,
    median,
    ms_per_resource,
    paired_rounds,
    per_unit,
    render_report,
)


def stacks(resources: int, bytes_: int = 1000, lambdas: int = 0, outputs: int = 1, parameters: int = 1) -> dict:
    return {
        "resources": resources,
        "bytes": bytes_,
        "lambda_backed": lambdas,
        "outputs": outputs,
        "parameters": parameters,
    }


def test_median_odd_even_and_empty() -> None:
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError, match="no values"):
        median([])


def test_ms_per_resource() -> None:
    assert ms_per_resource(app_s=10.1, floor_s=4.7, resources=175) == pytest.approx(30.857, rel=1e-3)
    with pytest.raises(ValueError, match="resources must be > 0"):
        ms_per_resource(app_s=1.0, floor_s=0.5, resources=0)


def test_paired_rounds_alternate_order_and_drop_warmup() -> None:
    calls: list[str] = []
    clock = itertools.count()

    def variant(name: str):
        def run() -> Sample:
            calls.append(name)
            return Sample(wall_s=float(next(clock)))

        return run

    out = paired_rounds({"a": variant("a"), "b": variant("b"), "c": variant("c")}, rounds=3, warmup=1)
    # Round r starts at variant r mod 3; every variant runs once per round.
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"]
    assert {k: len(v) for k, v in out.items()} == {"a": 3, "b": 3, "c": 3}
    # The warm-up round's samples (clock 0..2) are discarded.
    assert [s.wall_s for s in out["a"]] == [5.0, 7.0, 9.0]


def test_sample_totals_largest_and_limits() -> None:
    s = Sample(wall_s=1.0, stacks={"A": stacks(400, 900_000, 2), "B": stacks(100, 10_000, 0, outputs=3)})
    assert s.resources == 500
    assert s.largest("resources") == ("A", 400)
    row = limit_row(s)
    assert row["resources"] == ("A", 400, 80.0)
    assert row["bytes"] == ("A", 900_000, 90.0)
    assert row["outputs"] == ("B", 3, 1.5)
    assert Sample(wall_s=0.0).largest("resources") == ("-", 0)


def test_per_unit() -> None:
    small = Sample(1.0, stacks={"S": stacks(44, 28_000, 2)})
    large = Sample(1.0, stacks={"S": stacks(89, 64_000, 2)})
    assert per_unit(small, large, 9) == {"resources": 5.0, "bytes": 4000.0, "lambda_backed": 0.0}


def fake_results() -> dict:
    def samples(walls: list[float], resources: int, peak: int = 400 * 1024) -> list[Sample]:
        return [Sample(wall_s=w, peak_kib=peak, stacks={"S": stacks(resources)}) for w in walls]

    return {
        "date": "2026-01-01 00:00 UTC",
        "machine": {"nproc": "2"},
        "method": ["paired"],
        "synth_labels": {"floor": "floor", "full": "full", "plain": "plain"},
        "synth_cost": {
            "floor": samples([4.0, 5.0, 6.0], 0),
            "full": samples([9.0, 10.0, 11.0], 100),
            "plain": samples([7.0, 8.0, 9.0], 50),
        },
        "per_resource": {"full": "ours", "plain": "plain"},
        "ratios": [("full", "plain")],
        "units": {"node-group pair": {"resources": 5.0, "bytes": 8000.0, "lambda_backed": 0.0}},
        "scale": [
            {"app": "ours", "node_groups": 1, "regions": 1, "samples": samples([7.0], 53)},
            {
                "app": "ours",
                "node_groups": 100,
                "regions": 1,
                "samples": [Sample(4.0, error="TooManyResourcesInStack")],
            },
        ],
        "chart": "chart.png",
        "cli": {"brctl --help": [Sample(0.1), Sample(0.2), Sample(0.3)]},
        "targets": ["- 100 node groups x 10 regions <= 60 s: 40.5 s -> met"],
        "not_measured": ["- warm make test"],
    }


def test_render_report_has_every_figure() -> None:
    text = render_report(fake_results())
    # (10 - 5) * 1000 / 100 = 50 ms; plain (8 - 5) * 1000 / 50 = 60 ms; ratio 0.83.
    assert "ours: ms per resource: 50.0" in text
    assert "plain: ms per resource: 60.0" in text
    assert "ratio full / plain: 0.83" in text
    assert "| floor | 3 | 5.00 | 4.00-6.00 | 0 | 400 |" in text
    assert "synth failed: TooManyResourcesInStack" in text
    assert "resources 53 (11 %)" in text
    assert "![synth time vs node groups](chart.png)" in text
    assert "| `brctl --help` | 3 | 0.20 | 0.10-0.30 |" in text
    assert "## Issue 16 targets" in text
    assert "- 100 node groups x 10 regions <= 60 s: 40.5 s -> met" in text
    assert "- warm make test" in text


def test_render_report_phases_requests_and_per_variant_floors() -> None:
    r = fake_results()

    def samples(walls: list[float], resources: int, construct: float, requests: int) -> list[Sample]:
        return [
            Sample(
                wall_s=w,
                stacks={"S": stacks(resources)} if resources else {},
                phases={"import_cdk_s": 0.5, "construct_s": construct, "synth_s": w - 0.5 - construct},
                requests={"import": {"LoadRequest": 5}, "construct": {"CreateRequest": requests}, "synth": {}},
            )
            for w in walls
        ]

    r["synth_labels"] = {**r["synth_labels"], "floor-off": "floor off", "full-off": "full off"}
    r["synth_cost"] = {
        **r["synth_cost"],
        "floor-off": samples([1.0, 1.0, 1.0], 0, 0.1, 2),
        "full-off": samples([4.0, 5.0, 6.0], 100, 3.0, 700),
    }
    r["floors"] = {"full-off": "floor-off"}
    r["per_resource"] = {**r["per_resource"], "full-off": "ours off"}
    r["phase_notes"] = ["- phases note"]
    text = render_report(r)
    # full-off is measured against its own floor: (5 - 1) * 1000 / 100 = 40 ms, not (5 - 5) against "floor".
    assert "ours off: ms per resource: 40.0" in text
    assert "ours: ms per resource: 50.0" in text  # the others keep the default floor
    assert "### 1b. Where the time goes" in text
    # construct (3.0 - 0.1) and synth() (1.5 - 0.4) above full-off's own floor, per 100 resources, in ms
    assert "| full off | 0.50 | 3.00 | 1.50 | 700 | 0 | 7.0 | 29.0 | 11.0 |" in text
    assert "| floor off | 0.50 | 0.10 | 0.40 | 2 | 0 | - | - | - |" in text
    assert "- phases note" in text
    assert "| full | " in text
    assert "| full | 0.50" not in text
    assert Sample(1.0).request_count("construct") == 0


def _suite(totals: list[float], calibrations: list[float] | None = None) -> dict:
    runs = [
        {
            "total_s": t,
            "steps_s": {"lint": 1.0, "pytest": t - 1.0},
            "pytest_summaries": ["10 passed"],
            "exit_code": 0,
            **({"calibration_s": calibrations[i]} if calibrations else {}),
        }
        for i, t in enumerate(totals)
    ]
    return {"command": "make test", "date": "2026-12-01 15:00 UTC", "commit": "abc1234", "runs": runs}


def test_the_suite_section_judges_the_median_of_the_warm_runs() -> None:
    met = render_report({**fake_results(), "test_suite": _suite([120.0, 85.0, 95.0, 88.0])})
    # warm = runs 2..4 (85, 88, 95): median 88 <= 90, although the cold first run took 120 s
    assert "median of the warm runs (2..4) 88.0 s (range 85.0-95.0 s) -> met" in met
    missed = render_report({**fake_results(), "test_suite": _suite([80.0, 89.0, 93.0])})
    assert "median of the warm runs (2..3) 91.0 s (range 89.0-93.0 s) -> NOT met" in missed


def test_the_suite_section_shows_the_machine_calibration_when_recorded() -> None:
    text = render_report({**fake_results(), "test_suite": _suite([90.0, 80.0], [0.25, 0.312])})
    assert "| run | total s | lint s | pytest s | exit | machine calibration s |" in text
    assert "| 2 | 80.0 | 1.0 | 79.0 | 0 | 0.312 |" in text
    assert "- machine calibration: a fixed single-core Python workload" in text
    older = render_report({**fake_results(), "test_suite": _suite([90.0, 80.0])})  # written before calibration
    assert "| run | total s | lint s | pytest s | exit |" in older
    assert "calibration" not in older


def test_targets_judge_the_ratio_and_the_validate_latency() -> None:
    from benchmarks.run import targets

    r = fake_results()
    r["synth_cost"] = {**r["synth_cost"], "full-nonag": r["synth_cost"]["full"]}
    r["cli"] = {**r["cli"], "brctl userdata validate (1 file)": [Sample(0.1), Sample(0.2), Sample(0.4)]}
    got = targets(r)
    # (10 - 5) * 1000 / 100 = 50 ms against plain's (8 - 5) * 1000 / 50 = 60 ms
    assert got[0] == "- ms per resource <= half the plain app's (with cdk-nag): ratio 0.83 -> NOT met"
    assert got[-1] == "- `brctl userdata validate` of one file <= 0.3 s: 0.20 s -> met"
