"""``make bench``: synth cost, per-unit figures, scale and CLI latency, written to benchmarks/RESULTS.md + a chart.

Every measurement is a fresh child process (``python -m benchmarks.child ...``) timed from outside, so jsii's
start-up counts the same way each time; variants compared with each other are run alternately in the same rounds
(:func:`benchmarks.harness.paired_rounds`). ``--quick`` (or ``BENCH_QUICK=1``): fewer rounds, for trying the bench.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    Sample,
    limit_row,
    median_wall,
    paired_rounds,
    per_unit,
    render_report,
    variant_ms_per_resource,
)

HERE = Path(__file__).resolve().parent
PY = sys.executable
BRCTL = str(Path(PY).parent / "brctl")
ENV = {
    **os.environ,
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "CDK_DISABLE_VERSION_CHECK": "1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def run_child(argv: Sequence[str]) -> Sample:
    """Run ``argv`` (cwd = repo root), time it, read its peak RSS from ``wait4`` and its last JSON stdout line."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=ROOT, env=ENV, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = [ln for ln in out.read().decode(errors="replace").splitlines() if ln.startswith("{")]
    data = json.loads(lines[-1]) if lines else {}
    error = data.get("error")
    if proc.returncode != 0 and error is None and lines:
        error = f"exit {proc.returncode}"
    return Sample(
        wall_s=wall,
        peak_kib=usage.ru_maxrss,
        stacks=data.get("stacks", {}),
        error=error,
        phases=data.get("phases", {}),
        requests=data.get("jsii_requests", {}),
    )


def synth(kind: str, *args: str) -> Callable[[], Sample]:
    return lambda: run_child([PY, "-m", "benchmarks.child", kind, *args])


def cli(*args: str) -> Callable[[], Sample]:
    def go() -> Sample:
        t0 = time.perf_counter()
        rc = subprocess.run([BRCTL, *args], check=False, cwd=ROOT, env=ENV, capture_output=True).returncode
        return Sample(wall_s=time.perf_counter() - t0, error=None if rc == 0 else f"exit {rc}")

    return go


def sh(cmd: str) -> str:
    try:
        return subprocess.run(cmd, check=False, shell=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    mem = next(
        (ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), "0"
    )
    from importlib.metadata import version

    return {
        "nproc": sh("nproc"),
        "memory": f"{int(mem) / 1024 / 1024:.1f} GiB",
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip() or platform.processor(),
        "python": platform.python_version(),
        "node": sh("node --version"),
        "aws-cdk-lib / cdk-nag / jsii": f"{version('aws-cdk-lib')} / {version('cdk-nag')} / {version('jsii')}",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "git commit": sh("git rev-parse --short HEAD"),
    }


def write_userdata(folder: Path, count: int) -> list[str]:
    from constructs_br.settings.builders import eks_managed_user_data

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        p = folder / f"node{i:03d}.toml"
        p.write_text(eks_managed_user_data(variant="aws-k8s-1.33", nodegroup={"kubernetes": {"max-pods": 20 + i}}))
        paths.append(str(p))
    return paths


def chart(scale: list[dict[str, Any]], path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no chart", file=sys.stderr)
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    colours = {"constructs_br": "tab:blue", "plain aws-cdk-lib": "tab:orange"}
    for regions, marker in ((1, "o"), (3, "s"), (10, "^")):
        for app, line in (("constructs_br", "-"), ("plain aws-cdk-lib", "--")):
            pts = sorted(
                (p["node_groups"], median_wall(p["samples"]))
                for p in scale
                if p["app"] == app and p["regions"] == regions and p.get("chart", True) and not p["samples"][0].error
            )
            if pts:
                ax.plot(
                    [x for x, _ in pts],
                    [y for _, y in pts],
                    marker + line,
                    color=colours[app],
                    label=f"{app}, {regions} region{'s' if regions > 1 else ''}",
                )
    ax.set_xscale("log")
    ax.set_xticks([1, 10, 100], ["1", "10", "100"])
    ax.set_xlabel("node-group pairs per region (constructs_br) / node groups per region (plain)")
    ax.set_ylabel("synth wall time, s (median, fresh process)")
    ax.set_title("Synth time vs node groups (paired runs, noisy 2-core machine)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def targets(r: dict[str, Any]) -> list[str]:
    """Issue 16's targets, each with this run's figure and met / not met."""
    out = []
    for name, label in (("full", "with cdk-nag"), ("full-nonag", "without cdk-nag")):
        ratio = variant_ms_per_resource(r, name) / variant_ms_per_resource(r, "plain")
        out.append(
            f"- ms per resource <= half the plain app's ({label}): ratio {ratio:.2f} -> "
            f"{'met' if ratio <= 0.5 else 'NOT met'}"
        )
    big = [p for p in r["scale"] if p["app"] == "constructs_br" and p["node_groups"] == 100 and p["regions"] == 10]
    if big:
        t = median_wall(big[0]["samples"])
        out.append(f"- 100 node groups x 10 regions <= 60 s: {t:.1f} s -> {'met' if t <= 60 else 'NOT met'}")
    worst = 0.0
    where = ""
    for p in r["scale"]:
        s = p["samples"][0]
        if p["app"] != "constructs_br" or s.error:
            continue
        for key, (stack, _, share) in limit_row(s).items():
            if share > worst:
                worst, where = share, f"{key} of {stack} at {p['node_groups']} pairs x {p['regions']} regions"
    out.append(
        f"- no template above 80 % of a CloudFormation limit (split apps): worst {worst:.0f} % ({where}) -> "
        f"{'met' if worst <= 80 else 'NOT met'}"
    )
    one = next(v for k, v in r["cli"].items() if "(1 file)" in k)
    t = median_wall(one)
    out.append(f"- `brctl userdata validate` of one file <= 0.3 s: {t:.2f} s -> {'met' if t <= 0.3 else 'NOT met'}")
    return out


def _test_suite_figures() -> dict[str, Any] | None:
    """``benchmarks/test_suite.json`` as ``benchmarks/time_make_test.py`` wrote it, or None before it has run."""
    path = HERE / "test_suite.json"
    return dict(json.loads(path.read_text())) if path.is_file() else None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    rounds, scale_rounds = (2, 1) if args.quick else (5, 3)
    started = time.perf_counter()
    info = machine()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {msg}", flush=True)

    # 1. Synth cost: floor, ours with and without cdk-nag, plain — alternated in the same rounds.
    log(f"synth cost: 1 warm-up + {rounds} rounds of floor / full / full-nonag / plain, with and without validation")
    synth_cost = paired_rounds(
        {
            "floor": synth("empty"),
            "full": synth("full"),
            "full-nonag": synth("full-nonag"),
            "plain": synth("plain"),
            "floor-novalidation": synth("empty-novalidation"),
            "full-novalidation": synth("full-novalidation"),
            "plain-novalidation": synth("plain-novalidation"),
        },
        rounds=rounds,
        warmup=1,
    )
    for name, s in synth_cost.items():
        if s[0].error:
            raise SystemExit(f"{name}: {s[0].error}")

    # 3. Scale: at 1 region ours and plain alternated at each point (scale_rounds each); 3 and 10 regions once each.
    scale: list[dict[str, Any]] = []
    for regions in (1, 3, 10):
        point_rounds = scale_rounds if regions == 1 else 1
        for n in (1, 10, 100):
            log(f"scale: {n} node groups x {regions} region(s), {point_rounds} round(s), ours / plain alternated")
            got = paired_rounds(
                {
                    "ours": synth("scale", "--node-groups", str(n), "--regions", str(regions)),
                    "plain": synth("plain", "--node-groups", str(n), "--regions", str(regions)),
                },
                rounds=point_rounds,
                warmup=0,
            )
            scale.append({"app": "constructs_br", "node_groups": n, "regions": regions, "samples": got["ours"]})
            scale.append({"app": "plain aws-cdk-lib", "node_groups": n, "regions": regions, "samples": got["plain"]})
    log("scale: 100 node groups in one stack (no split), once: does the limits plugin stop it?")
    scale.append(
        {
            "app": "constructs_br (no split)",
            "node_groups": 100,
            "regions": 1,
            "chart": False,
            "samples": [synth("scale", "--node-groups", "100", "--no-split")()],
        }
    )

    # 2. Per unit, from the templates already synthesized (+ one run with 2 capacity pairs).
    log("per unit: 2 ECS capacity pairs (ours) and 2 capacity groups (plain), once each")
    by = {(p["app"], p["node_groups"], p["regions"]): p["samples"][0] for p in scale}
    ours_cap2 = synth("scale", "--node-groups", "1", "--capacity", "2")()
    plain_cap2 = synth("plain", "--node-groups", "1", "--capacity", "2")()
    full = synth_cost["full"][0]
    plain_full = synth_cost["plain"][0]
    units = {
        "node-group pair (constructs_br; blue phase: 1 node group)": per_unit(
            by[("constructs_br", 1, 1)], by[("constructs_br", 10, 1)], 9
        ),
        "node group (plain)": per_unit(by[("plain aws-cdk-lib", 1, 1)], by[("plain aws-cdk-lib", 10, 1)], 9),
        "ECS capacity pair (constructs_br; blue phase: 1 ASG)": per_unit(by[("constructs_br", 1, 1)], ours_cap2, 1),
        "ECS capacity provider (plain)": per_unit(by[("plain aws-cdk-lib", 1, 1)], plain_cap2, 1),
    }
    for stage in ("Pilot", "Canary", "Production"):
        names = tuple(f"Br{stage}{suffix}" for suffix in ("", "Nodes", "Ecs", "Operators"))
        sub = Sample(0.0, stacks={k: v for k, v in full.stacks.items() if k in names})
        units[f"stage {stage.lower()} (full app: {' + '.join(names)})"] = {
            k: float(sub.total(k)) for k in ("resources", "bytes", "lambda_backed")
        }
        sub = Sample(0.0, stacks={k: v for k, v in plain_full.stacks.items() if k.startswith(f"Plain{stage}")})
        units[f"stage {stage.lower()} (plain)"] = {
            k: float(sub.total(k)) for k in ("resources", "bytes", "lambda_backed")
        }

    # 4. CLI latency.
    log(f"CLI: {rounds} rounds of --help / validate 1 / validate 100 / pins show")
    with tempfile.TemporaryDirectory(prefix="br-bench-ud-") as tmp:
        files = write_userdata(Path(tmp), 100)
        cli_runs = paired_rounds(
            {
                "brctl --help": cli("--help"),
                "brctl userdata validate --variant aws-k8s-1.33 FILE (1 file)": cli(
                    "userdata", "validate", "--variant", "aws-k8s-1.33", files[0]
                ),
                "brctl userdata validate --variant aws-k8s-1.33 FILE... (100 files)": cli(
                    "userdata", "validate", "--variant", "aws-k8s-1.33", *files
                ),
                "brctl pins show": cli("pins", "show"),
            },
            rounds=rounds,
            warmup=1,
        )
    for name, s in cli_runs.items():
        if any(x.error for x in s):
            raise SystemExit(f"{name}: {s[0].error}")

    chart_name = chart(scale, HERE / "synth_vs_nodegroups.png")
    info["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    info["bench wall time"] = f"{time.perf_counter() - started:.0f} s"
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": info,
        "method": [
            "command: `make bench` (= `.venv/bin/python benchmarks/run.py`; `--quick` for fewer rounds)",
            f"mode: {'QUICK (fewer rounds — not for comparison)' if args.quick else 'full'}",
            "every synth is a fresh `python -m benchmarks.child KIND` process, timed from outside (jsii start-up "
            "and the app's imports included), temporary outdir; peak MiB = `wait4` ru_maxrss of the child = the "
            "largest single process of its tree (in practice the jsii node kernel), not the sum",
            f"synth cost: 1 warm-up round then {rounds} rounds; in each round floor, full, full-nonag and plain run "
            "once each, the order rotated every round (paired, alternating): the machine is shared with other "
            "engineers' test runs, so absolute figures are noisy — compare figures within this run only",
            "floor = `App` + one empty `Stack`; full = `build_app(cdk_json_context(), outdir=tmp).synth()` "
            "(cdk-nag AwsSolutions + NIST 800-53 R5 and the template-limits plugin); full without cdk-nag = "
            "`build_stacks` on an App with only the template-limits plugin",
            "plain = `benchmarks/plain_app.py`, the WHOLE app's shape (3 stages: 1 + 1 + 2 node groups, 1 ECS "
            "capacity provider each; 6 stacks) written with aws-cdk-lib only (aws_eks_v2 + managed node groups "
            "with the Bottlerocket AMI type, ECS + ASG capacity provider on BottleRocketImage), same feature flags",
            "ms per resource = (median app - median floor) x 1000 / resources synthesized by that app. The two apps "
            f"differ in size (ours {synth_cost['full'][0].resources} resources with hardening, access, logging; plain "
            f"{synth_cost['plain'][0].resources}), so fixed per-stack "
            "costs weigh more per resource in the smaller plain app: read the ratio with that in mind",
            f"scale: constructs_br apps built from the library's constructs only (no cdk-nag, no stacks/ access or "
            f"logging; the template-limits plugin on): per region a platform stack (VPC, key, BottlerocketCluster, "
            f"pairs; a new cluster stack every 50 pairs) and an ECS stack with 1 capacity pair. 1 region: "
            f"{scale_rounds} rounds per point, ours and plain alternated (fewer than 5 to keep the bench near 10 "
            "min); 3 and 10 regions: 1 run per point, ours then plain",
            f"CLI: 1 warm-up round then {rounds} rounds, the four commands alternated; wall time of the subprocess; "
            "100 user-data files made with `constructs_br.settings.builders.eks_managed_user_data`",
        ],
        "synth_labels": {
            "floor": "floor (App + one empty Stack)",
            "full": "full app, with cdk-nag",
            "full-nonag": "full app, without cdk-nag",
            "plain": "plain aws-cdk-lib app (whole-app shape)",
            "floor-novalidation": "floor, CDK's built-in validation off",
            "full-novalidation": "full app with cdk-nag, CDK's built-in validation off",
            "plain-novalidation": "plain aws-cdk-lib app, CDK's built-in validation off",
        },
        "synth_cost": synth_cost,
        "floors": {"full-novalidation": "floor-novalidation", "plain-novalidation": "floor-novalidation"},
        "per_resource": {
            "full": "ours (with cdk-nag)",
            "full-nonag": "ours (without cdk-nag)",
            "plain": "plain",
            "full-novalidation": "ours (with cdk-nag), CDK's built-in validation off (floor off too)",
            "plain-novalidation": "plain, CDK's built-in validation off (floor off too)",
        },
        "ratios": [("full", "plain"), ("full-nonag", "plain"), ("full-novalidation", "plain-novalidation")],
        "phase_notes": [
            "- Phases are timed inside the child (`benchmarks/child.py`): importing aws_cdk (jsii start-up and "
            "aws-cdk-lib's load), construction (the app's own imports and constructors: every jsii request from "
            "Python), `synth()` (node-side synthesis, CDK's built-in CloudFormation validation, the validation "
            "plugins). The wall times of section 1 also hold the interpreter's start-up.",
            "- jsii requests are counted (not timed) by wrapping the kernel provider's `send`; they are the same "
            "on every run of the same code. Each is a round trip Python -> node -> Python; aws-cdk-lib's L2s do "
            "their work inside node in one request, so a plain app sends few, and a library that composes and "
            "hardens in Python sends more per resource.",
            "- CDK's built-in CloudFormation validation (the `CloudFormation Validate` plugin: a WASM engine, "
            "started once per process) runs in every `synth()` unless `CDK_VALIDATION=false`; cdk.json turns its "
            "findings into errors (`@aws-cdk/core:validateAgainstDefaultRules`), so the project keeps it on. The "
            "`-novalidation` rows run the same apps with it off, to show its share.",
            "- The last two columns split section 1's ms per resource by phase: (the app's median phase - its "
            "floor's) x 1000 / resources. Where ours and plain cost about the same per resource in both phases, "
            "the time is aws-cdk-lib's own (L2 construction inside node, its synthesis and validation per "
            "resource): a library that composes those L2s cannot halve it without emitting hand-written L1s "
            "instead (and losing the L2s' grants, defaults and checks).",
        ],
        "units": units,
        "unit_notes": [
            "Per pair / provider = (app with 10 - app with 1) / 9 at 1 region (ECS: 2 - 1 capacity pairs). "
            "Lambda-backed = AWS::Lambda::Function, AWS::CloudFormation::CustomResource and Custom::* resources.",
        ],
        "scale": scale,
        "scale_notes": [
            "Largest template vs limit: per quota, the largest value over the app's stacks and its share of the limit "
            "(500 resources, 1,000,000 bytes, 200 outputs, 200 parameters).",
            "The plain rows count node groups (one per pair: plain apps have no blue/green slots).",
            "Node-group pairs cannot move to a stack other than their cluster's: BottlerocketCluster orders CoreDNS "
            "after the node groups, so a cross-stack pair is a DependencyCycle at synth. The scaled app therefore "
            "splits by cluster (a second BottlerocketCluster stack over the same VPC after 50 pairs).",
        ],
        "chart": chart_name,
        "cli": cli_runs,
        "test_suite": _test_suite_figures(),
        "not_measured": [
            "- Warm `make test` by this bench: the suite is not a benchmark; section 5 shows the figures "
            "`benchmarks/time_make_test.py` measured (benchmarks/test_suite.json), when that file exists.",
            "- Avoidable cost removed earlier, not re-measured here: the lockfile and the settings schema are each "
            "read once per synth, `brctl` loads no aws_cdk and reuses one boto3 session and client per service "
            "and region. Section 1b counts the jsii requests construction sends (the library asks each stack's "
            "region, account and partition once, finds a scope's `Validations` once, tags with one `Tags.of`, "
            "keeps the checkov skips it wrote instead of reading them back).",
        ],
    }
    results["targets"] = targets(results)
    Path(args.out).write_text(render_report(results))
    log(f"wrote {args.out}" + (f" and {HERE / chart_name}" if chart_name else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
