"""``brctl access show --stage S``: who may reach a stage's nodes and cluster, read from the synthesized assembly.

Reads the platform stack's template (``eks-stack``) and, when the app has one, the operator stack's
(``operators-stack``; its kubectl provider has an access entry) from the assembly (names from ``[tool.brctl]``; run
``npx cdk synth`` first; ``--region R``: the stage's stacks deployed to ``R``, ``-R`` names in a secondary region)
and lists:

* the operator roles (``constructs-br:access`` metadata on each ``AWS::IAM::Role``): kind, name, who may assume
  them, MFA, longest session, and the session document to start sessions with;
* **break-glass**: off, or on until a date with its reason — and who may use it (the admin role's principals);
* the EKS access entries: principal, access policy, scope.

Offline: no AWS call, no CDK import. Exit 0, or 2 when the stage or the assembly is missing.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from constructs_br.access.spec import ADMIN, METADATA_KEY
from constructs_br.cli._assembly import EKS, OPERATORS, stage_stack_set
from constructs_br.cli._project import load_project
from constructs_br.cli.main import EXIT_OK
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import validate_region

HELP = "who may reach a stage's nodes and cluster (operator roles, break-glass, access entries)"


def _text(value: Any, resources: Mapping[str, Any]) -> str:
    """A template value as people read it: literals as is, a role's ``GetAtt Arn`` as ``role/<RoleName>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if "Fn::GetAtt" in value:
            logical_id = value["Fn::GetAtt"][0]
            name = resources.get(logical_id, {}).get("Properties", {}).get("RoleName")
            return f"role/{name}" if isinstance(name, str) else f"<{logical_id}>"
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return str(sep).join(_text(p, resources) for p in parts)
    return json.dumps(value, sort_keys=True)


def read_access(template: Mapping[str, Any]) -> dict[str, Any]:
    """The access facts of one template (see the module docstring), as plain data."""
    resources: Mapping[str, Any] = template.get("Resources", {})
    roles = []
    break_glass: dict[str, Any] = {"enabled": False}
    for res in resources.values():
        meta = res.get("Metadata", {}).get(METADATA_KEY)
        if res.get("Type") != "AWS::IAM::Role" or not isinstance(meta, Mapping):
            continue
        roles.append(
            {
                "kind": meta.get("kind"),
                "role_name": res.get("Properties", {}).get("RoleName"),
                "trusted": list(meta.get("trusted", [])),
                "require_mfa": bool(meta.get("require_mfa")),
                "max_session_hours": meta.get("max_session_hours"),
                "session_document": meta.get("session_document"),
            }
        )
        if meta.get("kind") == ADMIN:
            break_glass = {**dict(meta.get("break_glass", {})), "may_use": list(meta.get("trusted", []))}
    entries = []
    for res in resources.values():
        if res.get("Type") != "AWS::EKS::AccessEntry":
            continue
        props = res.get("Properties", {})
        for policy in props.get("AccessPolicies", []):
            scope = policy.get("AccessScope", {})
            entries.append(
                {
                    "principal": _text(props.get("PrincipalArn"), resources),
                    "policy": _text(policy.get("PolicyArn"), resources).rsplit("/", 1)[-1],
                    "scope": scope.get("Type"),
                    "namespaces": list(scope.get("Namespaces", [])),
                }
            )
    if not break_glass.get("enabled"):
        break_glass = {"enabled": False, "may_use": []}
    return {
        "roles": sorted(roles, key=lambda r: str(r["kind"])),
        "break_glass": break_glass,
        "access_entries": sorted(entries, key=lambda e: (e["policy"], e["principal"])),
    }


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The access facts of several templates as one (roles and entries of each; break-glass from the admin role's)."""
    roles = [r for part in parts for r in part["roles"]]
    entries = [e for part in parts for e in part["access_entries"]]
    break_glass = next((p["break_glass"] for p in parts if p["break_glass"].get("enabled")), parts[0]["break_glass"])
    return {
        "roles": sorted(roles, key=lambda r: str(r["kind"])),
        "break_glass": break_glass,
        "access_entries": sorted(entries, key=lambda e: (e["policy"], e["principal"])),
    }


def run_show(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    stage = project.check_stage(args.stage)
    assembly = Path(args.assembly) if args.assembly else project.path(project.assembly)
    if args.region is not None:
        validate_region(args.region, field="--region")
    found = stage_stack_set(project, stage, assembly, region=args.region, roles=(EKS, OPERATORS))
    stack = found.name(EKS)
    if EKS not in found.present:
        raise ConfigError(
            "--stage", stage, f"a stage synthesized into {assembly}", f"no {stack}.template.json: run npx cdk synth"
        )
    present = found.present_names((EKS, OPERATORS))
    parts = []
    for role in (EKS, OPERATORS):
        if role in found.present:
            part = read_access(found.present[role].template)
            if role != EKS:  # a principal of that stack's own (unnamed) role: say which stack it is in
                name = found.present[role].name
                for entry in part["access_entries"]:
                    if entry["principal"].startswith("<"):
                        entry["principal"] = f"<{name}/{entry['principal'][1:]}"
            parts.append(part)
    facts = {"stage": stage, "stack": stack, "stacks": present, **_merge(parts)}
    if args.json:
        from constructs_br.cli import _output

        _output.emit_json(facts)
        return EXIT_OK
    _print(facts)
    return EXIT_OK


def _print(facts: Mapping[str, Any]) -> None:
    from constructs_br.cli import _output

    bg = facts["break_glass"]
    if bg.get("enabled"):
        who = ", ".join(bg.get("may_use", [])) or "nobody (no admin principals)"
        print(f"break-glass: ON in {facts['stage']} until {bg.get('expires')} (end of day UTC): {bg.get('reason')}")
        print(f"  may use it (send {bg.get('on_document')}): {who}")
    else:
        print(f"break-glass: off in {facts['stage']} (nobody may turn the admin container on)")
    _output.table(
        f"operator roles ({', '.join(facts.get('stacks') or [facts['stack']])})",
        ("kind", "role", "may assume", "mfa", "max hours", "session document"),
        [
            (
                r["kind"],
                r["role_name"],
                ", ".join(r["trusted"]),
                r["require_mfa"],
                r["max_session_hours"],
                r["session_document"],
            )
            for r in facts["roles"]
        ],
    )
    _output.table(
        "EKS access entries",
        ("principal", "policy", "scope"),
        [
            (e["principal"], e["policy"], e["scope"] + (f": {', '.join(e['namespaces'])}" if e["namespaces"] else ""))
            for e in facts["access_entries"]
        ],
    )


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("access", help=HELP)
    sub = parser.add_subparsers(dest="access_command", required=True, metavar="ACTION")
    show = sub.add_parser("show", help="list operator roles, break-glass and who may use it, EKS access entries")
    show.add_argument("--stage", required=True, help="the stage (its stack name comes from [tool.brctl] eks-stack)")
    show.add_argument(
        "--region",
        default=None,
        metavar="R",
        help="the stage's stacks in region R (its -R stacks when R is not the primary; default: the primary region)",
    )
    show.add_argument("--assembly", metavar="DIR", help="the cloud assembly (default: [tool.brctl] assembly, cdk.out)")
    show.add_argument("--json", action="store_true", help="one JSON document on stdout")
    show.set_defaults(handler=run_show)
