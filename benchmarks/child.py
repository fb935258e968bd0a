"""One measurement: build one app in this (fresh) process, synthesize it, print one JSON line of statistics.

``python -m benchmarks.child KIND [--node-groups N] [--regions R] [--capacity K] [--no-split]``, KIND one of
``empty``, ``full``, ``full-nonag``, ``plain``, ``scale``; ``full-novalidation`` and ``plain-novalidation`` are
``full`` and ``plain`` with CDK's built-in CloudFormation validation off (``CDK_VALIDATION=false``, the documented
switch, set before jsii starts). The parent times the whole process (jsii start-up included) and reads the peak
memory from ``wait4``; this process adds the jsii node process's peak (VmHWM), what the synthesized templates hold,
its own phases (importing aws_cdk, construction with the app's imports, ``synth()``) and the jsii requests each
phase sent to the node kernel. A synth that fails (e.g. the template-limits plugin) prints ``{"error": "..."}`` and
exits 3.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LAMBDA_TYPES = ("AWS::Lambda::Function", "AWS::CloudFormation::CustomResource")
NO_VALIDATION = "-novalidation"


class RequestCounter:
    """Counts the requests this process sends to the jsii kernel, per phase and request type (``CreateRequest``,
    ``InvokeRequest``, ``GetRequest``, ...): each is one round trip to node. Wraps the process provider's ``send``
    (jsii's internals; jsii is pinned in constraints.txt)."""

    def __init__(self) -> None:
        self.phase = "import"
        self.counts: dict[str, dict[str, int]] = {}

    def install(self) -> None:
        from jsii._kernel.providers import process

        original = process._NodeProcess.send
        counter = self

        def send(self: Any, request: Any, response_type: Any) -> Any:
            per = counter.counts.setdefault(counter.phase, {})
            name = type(request).__name__.removeprefix("_")
            per[name] = per.get(name, 0) + 1
            return original(self, request, response_type)

        process._NodeProcess.send = send  # type: ignore[method-assign]


def template_stats(outdir: Path) -> dict[str, dict[str, int]]:
    """Per stack: resources, bytes, outputs, parameters, Lambda-backed resources (functions and custom resources)."""
    out = {}
    for path in sorted(outdir.glob("*.template.json")):
        text = path.read_text()
        data = json.loads(text)
        res = data.get("Resources", {})
        types = [r.get("Type", "") for r in res.values()]
        out[path.name.removesuffix(".template.json")] = {
            "resources": len(res),
            "bytes": len(text.encode()),
            "outputs": len(data.get("Outputs", {})),
            "parameters": len(data.get("Parameters", {})),
            "lambda_backed": sum(1 for t in types if t in LAMBDA_TYPES or t.startswith("Custom::")),
        }
    return out


def node_peak_kib() -> int:
    """Peak RSS (VmHWM) of this process's child processes (the jsii kernel's node), in KiB; 0 if unreadable."""
    total = 0
    try:
        for task in os.listdir("/proc/self/task"):
            for pid in Path(f"/proc/self/task/{task}/children").read_text().split():
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
    except OSError:
        return total
    return total


def build(kind: str, outdir: str, args: argparse.Namespace) -> Any:
    from benchmarks import apps

    kind = kind.removesuffix(NO_VALIDATION)  # the same app; main() has switched CDK's validation off
    if kind == "empty":
        return apps.empty_app(outdir)
    if kind == "full":
        return apps.full_app(outdir, nag=True)
    if kind == "full-nonag":
        return apps.full_app(outdir, nag=False)
    if kind == "scale":
        return apps.scaled_app(
            outdir, node_groups=args.node_groups, regions=args.regions, capacity=args.capacity, split=args.split
        )
    if kind == "plain":
        from benchmarks.plain_app import WHOLE_APP, PlainStage, build_plain_app

        if args.node_groups is None:
            return build_plain_app(outdir, WHOLE_APP, apps.feature_flags())
        stages = [
            PlainStage(f"Fleet{i}", region, args.node_groups, args.capacity)
            for i, region in enumerate(apps.REGIONS[: args.regions])
        ]
        return build_plain_app(outdir, stages, apps.feature_flags())
    raise SystemExit(f"unknown kind {kind!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind")
    parser.add_argument("--node-groups", type=int, default=None)
    parser.add_argument("--regions", type=int, default=1)
    parser.add_argument("--capacity", type=int, default=1)
    parser.add_argument("--no-split", dest="split", action="store_false")
    args = parser.parse_args(argv)
    if args.kind == "scale" and args.node_groups is None:
        args.node_groups = 1
    if args.kind.endswith(NO_VALIDATION):
        os.environ["CDK_VALIDATION"] = "false"  # read by aws-cdk-lib in the node kernel, which inherits it
    counter = RequestCounter()
    counter.install()
    phases: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="br-bench-") as outdir:
        t0 = time.perf_counter()
        try:
            import aws_cdk  # noqa: F401  (core: what every kind, the floor included, imports first)

            phases["import_cdk_s"] = time.perf_counter() - t0
            counter.phase = "construct"  # from here on: the app's own imports and its constructors
            t1 = time.perf_counter()
            app = build(args.kind, outdir, args)
            phases["construct_s"] = time.perf_counter() - t1
            counter.phase = "synth"
            t2 = time.perf_counter()
            app.synth()
            phases["synth_s"] = time.perf_counter() - t2
        except Exception as exc:  # a failed synth is a finding, reported by the parent
            print(json.dumps({"error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"}))
            sys.stdout.flush()
            os._exit(3)
        synth_s = time.perf_counter() - t0
        stacks = template_stats(Path(outdir))
    print(
        json.dumps(
            {
                "stacks": stacks,
                "build_synth_s": synth_s,
                "phases": phases,
                "jsii_requests": counter.counts,
                "python_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "node_peak_kib": node_peak_kib(),
            }
        )
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
