"""``brctl userdata``: print the TOML a node group boots with; validate user-data files against a variant.

``render`` reads the synthesized cloud assembly (``npx cdk synth`` first), never the app's Python: the stack is named
by the ``[tool.brctl]`` table (``nodes-stack``, the EKS node groups — or ``eks-stack`` for an app that keeps them
there —, or ``ecs-stack`` with ``--ecs``; ``--region R`` takes the stage's stack in ``R``, found by the
environments in ``manifest.json``) or by ``--stack``; the launch
template is the one tagged ``constructs-br:fleet`` = ``--nodegroup`` (and ``constructs-br:slot`` = ``--slot``,
default: the first slot present, blue before green). CloudFormation references in the user data are shown as
``${Token[Ref X]}`` / ``${Token[GetAtt X.Attr]}`` placeholders.

Exit codes: 0 ok / all valid, 1 any file invalid (every problem printed with its dotted path), 2 usage (unknown
variant, unreadable file, no cloud assembly, no such node group).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from constructs_br import tags
from constructs_br.cli._assembly import ECS, EKS, NODES, assembly_outputs, read_template, stage_stack_set
from constructs_br.cli._project import ProjectConfig, load_project
from constructs_br.errors import ConfigError, Problem
from constructs_br.images.lockfile import validate_region
from constructs_br.settings import parse_variant, validate_user_data

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
SLOT_ORDER = ("blue", "green")
"""Default slot preference when ``--slot`` is not given."""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    group = subparsers.add_parser("userdata", help="render and validate Bottlerocket user data")
    sub = group.add_subparsers(dest="userdata_command", required=True, metavar="SUBCOMMAND")

    render = sub.add_parser(
        "render", help="print the TOML user data a stage's node group gets (from the synthesized cloud assembly)"
    )
    render.add_argument("--stage", required=True, help="stage name, e.g. pilot, canary, production")
    render.add_argument(
        "--nodegroup",
        default=None,
        metavar="NAME",
        help="node group / capacity name (the constructs-br:fleet tag; default: the only one in the stack)",
    )
    render.add_argument("--slot", default=None, help="blue | green (default: the first present, blue before green)")
    render.add_argument(
        "--stack", default=None, help="stack name (default: [tool.brctl] nodes-stack, or ecs-stack with --ecs)"
    )
    render.add_argument("--ecs", action="store_true", help="the stage's ECS stack ([tool.brctl] ecs-stack)")
    render.add_argument(
        "--region",
        default=None,
        metavar="R",
        help="the stage's stack in region R (its -R stack when R is not the primary; default: the primary region; "
        "--stack names one stack outright)",
    )
    render.add_argument("--assembly", default=None, metavar="DIR", help="cloud assembly (default: [tool.brctl])")
    render.set_defaults(handler=run_render)

    validate = sub.add_parser("validate", help="validate user-data files (TOML, gzip or base64) for a variant")
    validate.add_argument("--variant", required=True, help="Bottlerocket variant, e.g. aws-k8s-1.33, aws-ecs-2")
    validate.add_argument("files", nargs="+", metavar="FILE", help="user-data file(s); '-' reads stdin")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.set_defaults(handler=run_validate)


# --- render ---------------------------------------------------------------------------------------------------------
OutputLookup = Callable[[str, str], Any]
"""``(stack name, output name)`` -> that output's ``Value`` in the assembly, or ``None`` when it is not there."""


def placeholder(value: Any, outputs: OutputLookup | None = None, *, stack: str | None = None) -> str:
    """A CloudFormation intrinsic as a ``${Token[...]}`` placeholder naming what it refers to. A cross-stack
    reference (``Fn::GetStackOutput``) names the producing stack's resource when ``outputs`` finds the output
    (``Ref BrProduction/Cluster``), else the output.

    >>> placeholder({"Ref": "Cluster"}), placeholder({"Fn::GetAtt": ["Cluster", "Endpoint"]})
    ('${Token[Ref Cluster]}', '${Token[GetAtt Cluster.Endpoint]}')
    >>> ref = {"Fn::GetStackOutput": {"StackName": "BrPilot", "Region": "us-west-2", "OutputName": "Out"}}
    >>> placeholder(ref), placeholder(ref, lambda stack, name: {"Fn::GetAtt": ["Cluster", "Endpoint"]})
    ('${Token[GetStackOutput BrPilot.Out]}', '${Token[GetAtt BrPilot/Cluster.Endpoint]}')
    """
    where = f"{stack}/" if stack else ""
    if isinstance(value, Mapping) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return f"${{Token[Ref {where}{arg}]}}"
        if fn == "Fn::GetAtt":
            target = ".".join(str(a) for a in arg) if isinstance(arg, list) else str(arg)
            return f"${{Token[GetAtt {where}{target}]}}"
        if fn == "Fn::GetStackOutput" and isinstance(arg, Mapping):
            name, output = arg.get("StackName"), arg.get("OutputName")
            resolved = outputs(name, output) if outputs and isinstance(name, str) and isinstance(output, str) else None
            if resolved is not None and stack is None:
                return placeholder(resolved, stack=str(name))
            return f"${{Token[GetStackOutput {name}.{output}]}}"
        return f"${{Token[{fn}]}}"
    return f"${{Token[{json.dumps(value, sort_keys=True)}]}}"


def decode_cfn_user_data(user_data: Any, outputs: OutputLookup | None = None) -> str:
    """The text of a launch template's ``UserData``: ``Fn::Base64`` of a string, of ``Fn::Join`` (non-string parts
    become placeholders, cross-stack ones resolved through ``outputs``) or of ``Fn::Sub`` (shown as written).

    >>> decode_cfn_user_data({"Fn::Base64": {"Fn::Join": ["", ['name = "', {"Ref": "Cluster"}, '"']]}})
    'name = "${Token[Ref Cluster]}"'
    """
    if not (isinstance(user_data, Mapping) and set(user_data) == {"Fn::Base64"}):
        raise ConfigError("UserData", user_data, "{'Fn::Base64': ...} as the CDK synthesizes it")
    body = user_data["Fn::Base64"]
    if isinstance(body, str):
        return body
    if isinstance(body, Mapping) and set(body) == {"Fn::Join"}:
        sep, parts = body["Fn::Join"]
        return str(sep).join(p if isinstance(p, str) else placeholder(p, outputs) for p in parts)
    if isinstance(body, Mapping) and set(body) == {"Fn::Sub"}:
        sub = body["Fn::Sub"]
        return sub if isinstance(sub, str) else str(sub[0])
    return placeholder(body, outputs)


def _tags(resource: Mapping[str, Any]) -> dict[str, str]:
    data = resource.get("Properties", {}).get("LaunchTemplateData", {})
    out: dict[str, str] = {}
    for spec in data.get("TagSpecifications", ()):
        for tag in spec.get("Tags", ()):
            if isinstance(tag.get("Key"), str) and isinstance(tag.get("Value"), str):
                out[tag["Key"]] = tag["Value"]
    return out


def _slot_rank(slot: str) -> tuple[int, str]:
    return (SLOT_ORDER.index(slot) if slot in SLOT_ORDER else len(SLOT_ORDER), slot)


def find_launch_template(
    template: Mapping[str, Any], fleet: str | None, slot: str | None, *, stack: str
) -> tuple[str, Mapping[str, Any], str]:
    """``(logical_id, resource, slot)`` of the fleet's launch template; :class:`ConfigError` naming the flag and
    what the stack has when there is no such fleet or slot."""
    found: list[tuple[str, str, str, Mapping[str, Any]]] = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::EC2::LaunchTemplate":
            continue
        t = _tags(resource)
        if tags.FLEET in t:
            found.append((t[tags.FLEET], t.get(tags.SLOT, ""), logical_id, resource))
    fleets = sorted({f for f, *_ in found})
    if not fleets:
        raise ConfigError("--stack", stack, f"a stack with launch templates tagged {tags.FLEET}")
    if fleet is None:
        if len(fleets) > 1:
            raise ConfigError("--nodegroup", None, " | ".join(fleets), f"{stack} has {len(fleets)} fleets; name one")
        fleet = fleets[0]
    mine = sorted((x for x in found if x[0] == fleet), key=lambda x: _slot_rank(x[1]))
    if not mine:
        raise ConfigError("--nodegroup", fleet, " | ".join(fleets), f"fleets of {stack} ({tags.FLEET} tags)")
    if slot is not None:
        mine = [x for x in mine if x[1] == slot]
        if not mine:
            slots = ", ".join(sorted({x[1] for x in found if x[0] == fleet}, key=_slot_rank))
            raise ConfigError("--slot", slot, slots, f"slots of {fleet} in {stack}")
    _, chosen_slot, logical_id, resource = mine[0]
    return logical_id, resource, chosen_slot


def _has_fleets(template: Mapping[str, Any]) -> bool:
    return any(
        r.get("Type") == "AWS::EC2::LaunchTemplate" and tags.FLEET in _tags(r)
        for r in (template.get("Resources") or {}).values()
    )


def _default_stack(project: ProjectConfig, stage: str, assembly: Path, *, ecs: bool, region: str | None) -> str:
    """The stack whose launch templates ``render`` reads: the ECS stack with ``--ecs``, else the node-group stack
    (``nodes-stack``) — or, for an app whose node groups are still in its EKS stack (no nodes stack, or one without
    tagged launch templates), the EKS stack. ``region``: that region's stacks (``-<region>`` in a secondary one)."""
    roles = (ECS,) if ecs else (NODES, EKS)
    found = stage_stack_set(project, stage, assembly, region=region, roles=roles)
    for role in roles:
        if role in found.present and _has_fleets(found.present[role].template):
            return found.name(role)
    return next((found.name(r) for r in roles if r in found.present), found.name(roles[0]))


def run_render(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    stage = project.check_stage(args.stage)
    assembly = Path(args.assembly) if args.assembly else project.path(project.assembly)
    if args.region is not None:
        validate_region(args.region, field="--region")
    stack = args.stack or _default_stack(project, stage, assembly, ecs=args.ecs, region=args.region)
    file = assembly / f"{stack}.template.json"
    if not file.is_file():
        what = "no cloud assembly at " + str(assembly) if not assembly.is_dir() else f"no {file.name} in {assembly}"
        print(
            f"brctl userdata render: {what}; run `npx cdk synth` first (or pass --assembly DIR / --stack NAME)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    template = read_template(file)
    logical_id, resource, slot = find_launch_template(template, args.nodegroup, args.slot, stack=stack)
    user_data = resource.get("Properties", {}).get("LaunchTemplateData", {}).get("UserData")
    if user_data is None:
        raise ConfigError("--nodegroup", args.nodegroup, "a launch template with user data", f"{logical_id} has none")
    text = decode_cfn_user_data(user_data, assembly_outputs(assembly))
    print(f"# {stack} {logical_id} (slot {slot or '-'})", file=sys.stderr)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


# --- validate -------------------------------------------------------------------------------------------------------
def _problem_json(p: Problem) -> dict[str, Any]:
    value = p.value if isinstance(p.value, (str, int, float, bool, type(None), list)) else repr(p.value)
    return {"field": p.field, "value": value, "allowed": p.allowed, "hint": p.hint}


def run_validate(args: argparse.Namespace) -> int:
    parse_variant(args.variant, field="--variant")  # ConfigError -> main: one line, exit 2
    contents: list[tuple[str, bytes]] = []
    for name in args.files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise ConfigError(
                "FILE", name, "a readable user-data file, or '-' for stdin", f"cannot read it: {exc.strerror or exc}"
            ) from None
        contents.append(("<stdin>" if name == "-" else name, data))
    results = [(name, validate_user_data(data, variant=args.variant, source=name)) for name, data in contents]
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
