"""``brctl userdata``: render the TOML a node group gets; validate user-data files against a variant.

Exit codes: 0 all valid, 1 any file invalid (every problem printed with its dotted path), 2 usage (unknown variant,
unreadable file, stage config missing).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from constructs_br.errors import ConfigError, Problem
from constructs_br.settings import parse_variant, validate_user_data

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    group = subparsers.add_parser("userdata", help="render and validate Bottlerocket user data")
    sub = group.add_subparsers(dest="userdata_command", required=True, metavar="SUBCOMMAND")

    render = sub.add_parser("render", help="print the TOML user data a stage's node group gets")
    render.add_argument("--stage", required=True, help="stage name, e.g. pilot, canary, production")
    render.add_argument("--nodegroup", default=None, help="node group name (default: the stage's defaults)")
    render.set_defaults(handler=run_render)

    validate = sub.add_parser("validate", help="validate user-data files (TOML, gzip or base64) for a variant")
    validate.add_argument("--variant", required=True, help="Bottlerocket variant, e.g. aws-k8s-1.33, aws-ecs-2")
    validate.add_argument("files", nargs="+", metavar="FILE", help="user-data file(s); '-' reads stdin")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.set_defaults(handler=run_validate)


def run_render(args: argparse.Namespace) -> int:
    try:
        config = importlib.import_module("stacks.config")
        userdata_for = config.userdata_for
    except (ImportError, AttributeError) as exc:
        print(
            f"brctl userdata render: stage configuration is not available (stacks.config.userdata_for): {exc}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    text: str = userdata_for(args.stage, args.nodegroup)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def _problem_json(p: Problem) -> dict[str, Any]:
    value = p.value if isinstance(p.value, (str, int, float, bool, type(None), list)) else repr(p.value)
    return {"field": p.field, "value": value, "allowed": p.allowed, "hint": p.hint}


def run_validate(args: argparse.Namespace) -> int:
    try:
        parse_variant(args.variant)
    except ConfigError as exc:
        print(f"brctl userdata validate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    contents: list[tuple[str, bytes]] = []
    for name in args.files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            print(f"brctl userdata validate: cannot read {name}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        contents.append((name, data))
    results = [(name, validate_user_data(data, variant=args.variant)) for name, data in contents]
    if args.json:
        payload = {
            "variant": args.variant,
            "valid": all(not problems for _, problems in results),
            "files": [
                {"file": name, "valid": not problems, "problems": [_problem_json(p) for p in problems]}
                for name, problems in results
            ],
        }
        print(json.dumps(payload, indent=2, sort_keys=True))
    else:
        for name, problems in results:
            if not problems:
                print(f"{name}: ok ({args.variant})")
                continue
            print(f"{name}: {len(problems)} problem(s) for {args.variant}")
            for p in problems:
                print(f"  {p}")
    return EXIT_INVALID if any(problems for _, problems in results) else EXIT_OK
