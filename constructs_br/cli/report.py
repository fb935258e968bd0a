"""``brctl report [--stage S] [--format md|json] [--assembly DIR] [--region R]``: a stage's control report.

Reads the stage's templates from the assembly (run ``npx cdk synth`` first): the platform stack (``eks-stack``),
the node-group stack (``nodes-stack``), the ECS stack (``ecs-stack``) and, when the app has one, the operator stack
(``operators-stack``), names from ``[tool.brctl]``. ``--region R`` reads the stage's stacks deployed to ``R``
(``Br<Stage>-R``, ... in a secondary region, found by the environments in ``manifest.json``). For every control —
the 28 CIS Bottlerocket items (:data:`constructs_br.settings.presets.CIS_CHECKS`), NIST 800-53 with the ISO 27001
Annex A equivalents, and the checkpoints (:mod:`constructs_br.compliance.controls`) — it says how it is satisfied
and the evidence found in the templates: logical IDs, settings paths decoded from launch-template user data,
Config rule names. Evidence is looked up, never assumed: a control whose evidence is missing is a ``gap``.

Statuses: ``satisfied``; ``gap`` (evidence missing for a control the stage should meet); ``not-possible`` (cannot
pass on this variant whatever we configure, e.g. CIS 3.4.1.1 on aws-k8s-*: listed, not failed); ``manual`` (the CIS
report always SKIPs it); ``not-selected`` (a CIS Level 2 item on a Level 1 stage).

Exit 0 report written and no ``gap``; 1 report written with at least one ``gap``; 2 usage (no assembly, bad stage).
Offline: no AWS call, no CDK import.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_br import tags
from constructs_br.cli._assembly import NODES, ROLES, stage_stack_set
from constructs_br.cli._project import ProjectConfig, load_project
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from constructs_br.cli.userdata import decode_cfn_user_data
from constructs_br.compliance.controls import ALL_CONTROLS, Control
from constructs_br.settings.presets import CIS_BOOTSTRAP_CONTAINER, CIS_CHECKS, CIS_LEVEL2_SYSCTLS, CisCheck

HELP = "control report of a stage (CIS, NIST 800-53, ISO 27001) from the synthesized assembly"


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("report", help=HELP, description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", action="append", default=None, help="stage to report (repeatable; default all)")
    parser.add_argument("--format", choices=("md", "json"), default="md", help="Markdown (default) or JSON")
    parser.add_argument("--assembly", default=None, metavar="DIR", help="cloud assembly (default: [tool.brctl])")
    parser.add_argument(
        "--region",
        default=None,
        metavar="R",
        help="the stage's stacks in region R (its -R stacks when R is not the primary; default: the primary region)",
    )
    parser.set_defaults(handler=run)


# --- facts read from the templates ------------------------------------------------------------------------------
@dataclass(slots=True)
class LaunchTemplate:
    stack: str
    logical_id: str
    variant: str
    data: Mapping[str, Any]
    settings: Mapping[str, Any]


@dataclass(slots=True)
class Facts:
    stage: str
    stacks: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    launch_templates: list[LaunchTemplate] = field(default_factory=list)

    def resources(self, type_: str) -> list[tuple[str, str, Mapping[str, Any]]]:
        return [
            (stack, lid, res)
            for stack, t in self.stacks.items()
            for lid, res in t.get("Resources", {}).items()
            if res.get("Type") == type_
        ]

    def rules(self, identifier: str) -> list[str]:
        return [
            str(res.get("Properties", {}).get("ConfigRuleName", lid))
            for _, lid, res in self.resources("AWS::Config::ConfigRule")
            if res.get("Properties", {}).get("Source", {}).get("SourceIdentifier") == identifier
        ]


def _lt_tags(data: Mapping[str, Any]) -> dict[str, str]:
    return {
        t["Key"]: t["Value"]
        for spec in data.get("TagSpecifications", ())
        for t in spec.get("Tags", ())
        if isinstance(t.get("Key"), str) and isinstance(t.get("Value"), str)
    }


def read_facts(stage: str, templates: Mapping[str, Mapping[str, Any]]) -> Facts:
    facts = Facts(stage=stage, stacks=dict(templates))
    for stack, lid, res in facts.resources("AWS::EC2::LaunchTemplate"):
        data = res.get("Properties", {}).get("LaunchTemplateData", {})
        t = _lt_tags(data)
        if tags.FLEET not in t:
            continue
        settings: Mapping[str, Any] = {}
        if "UserData" in data:
            try:
                settings = tomllib.loads(decode_cfn_user_data(data["UserData"])).get("settings", {})
            except tomllib.TOMLDecodeError:
                settings = {}
        facts.launch_templates.append(LaunchTemplate(stack, lid, t.get(tags.VARIANT, "?"), data, settings))
    return facts


def _get(settings: Mapping[str, Any], dotted: str) -> Any:
    node: Any = settings
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


# --- evidence checks: (ok, evidence lines, what is missing) -----------------------------------------------------
Result = tuple[bool, list[str], list[str]]


def _each_lt(facts: Facts, what: str, ok: Callable[[LaunchTemplate], bool], k8s_only: bool = False) -> Result:
    lts = [lt for lt in facts.launch_templates if not k8s_only or lt.variant.startswith("aws-k8s-")]
    if not lts:
        return (k8s_only, [], [] if k8s_only else ["no fleet launch templates found"])
    good = [f"{lt.stack}/{lt.logical_id}: {what}" for lt in lts if ok(lt)]
    bad = [f"{lt.stack}/{lt.logical_id}: not {what}" for lt in lts if not ok(lt)]
    return (not bad, good, bad)


def _resources_ok(facts: Facts, type_: str, what: str, ok: Callable[[Mapping[str, Any]], bool]) -> Result:
    found = facts.resources(type_)
    if not found:
        return (False, [], [f"no {type_} found"])
    good = [f"{s}/{lid}: {what}" for s, lid, r in found if ok(r.get("Properties", {}))]
    bad = [f"{s}/{lid}: not {what}" for s, lid, r in found if not ok(r.get("Properties", {}))]
    return (not bad, good, bad)


def _check(facts: Facts, name: str) -> Result:
    if name.startswith("rule:"):
        ident = name.split(":", 1)[1]
        names = facts.rules(ident)
        return (bool(names), [f"Config rule {n} ({ident})" for n in names], [] if names else [f"no {ident} rule"])
    if name == "pinned-images":
        return _each_lt(facts, f"image pinned ({tags.IMAGE_VERSION} tag)",
                        lambda lt: tags.IMAGE_VERSION in _lt_tags(lt.data))  # fmt: skip
    if name == "user-data":
        return _each_lt(facts, "settings rendered in UserData", lambda lt: bool(lt.settings))
    if name == "imdsv2":
        return _each_lt(facts, "MetadataOptions.HttpTokens = required",
                        lambda lt: lt.data.get("MetadataOptions", {}).get("HttpTokens") == "required")  # fmt: skip
    if name == "admin-off":
        return _each_lt(facts, "settings.host-containers.admin.enabled = false",
                        lambda lt: _get(lt.settings, "host-containers.admin.enabled") is False)  # fmt: skip
    if name == "ntp":
        return _each_lt(facts, "settings.ntp.time-servers set", lambda lt: bool(_get(lt.settings, "ntp.time-servers")))
    if name == "lockdown":
        return _each_lt(facts, 'settings.kernel.lockdown = "integrity"',
                        lambda lt: _get(lt.settings, "kernel.lockdown") == "integrity")  # fmt: skip
    if name == "tls":
        return _each_lt(
            facts,
            "settings.kubernetes.server-tls-bootstrap not disabled",
            lambda lt: _get(lt.settings, "kubernetes.server-tls-bootstrap") is not False,
            k8s_only=True,
        )
    if name == "ebs-encrypted":
        return _each_lt(
            facts,
            "every BlockDeviceMappings[].Ebs.Encrypted = true",
            lambda lt: (
                bool(lt.data.get("BlockDeviceMappings"))
                and all(m.get("Ebs", {}).get("Encrypted") is True for m in lt.data.get("BlockDeviceMappings", ()))
            ),
        )
    if name == "no-ssh":

        def no_22(p: Mapping[str, Any]) -> bool:
            return not any(_covers_22(r) for r in p.get("SecurityGroupIngress", ()))

        ok, good, bad = _resources_ok(facts, "AWS::EC2::SecurityGroup", "no ingress on port 22", no_22)
        ing = [
            f"{s}/{lid}: ingress on port 22"
            for s, lid, r in facts.resources("AWS::EC2::SecurityGroupIngress")
            if _covers_22(r.get("Properties", {}))
        ]
        keys = [f"{lt.stack}/{lt.logical_id}: KeyName set" for lt in facts.launch_templates if "KeyName" in lt.data]
        return (ok and not ing and not keys, good, bad + ing + keys)
    if name == "operator-roles":
        entries = [f"{s}/{lid}: EKS access entry" for s, lid, _ in facts.resources("AWS::EKS::AccessEntry")]
        roles = [
            f"{s}/{lid}: operator role {r['Properties'].get('RoleName')}"
            for s, lid, r in facts.resources("AWS::IAM::Role")
            if "constructs-br:access" in r.get("Metadata", {})
        ]
        ok = bool(entries) and bool(roles)
        return (ok, roles + entries, [] if ok else ["no operator roles / EKS access entries"])
    if name == "session-documents":
        docs = [
            f"{s}/{lid}: SSM document {r['Properties'].get('Name', lid)}"
            for s, lid, r in facts.resources("AWS::SSM::Document")
            if r.get("Properties", {}).get("DocumentType") == "Session"
        ]
        return (bool(docs), docs, [] if docs else ["no SSM session document"])
    if name == "eks-logging":
        want = {"api", "audit", "authenticator", "controllerManager", "scheduler"}
        return _resources_ok(
            facts,
            "AWS::EKS::Cluster",
            "all five control-plane log types on",
            lambda p: (
                want <= {t.get("Type") for t in p.get("Logging", {}).get("ClusterLogging", {}).get("EnabledTypes", ())}
            ),
        )
    if name == "log-groups":
        groups = [f"{s}/{lid}: log group" for s, lid, _ in facts.resources("AWS::Logs::LogGroup")]
        return (bool(groups), groups, [] if groups else ["no log groups"])
    if name == "log-groups-encrypted":
        return _resources_ok(facts, "AWS::Logs::LogGroup", "KmsKeyId set", lambda p: "KmsKeyId" in p)
    if name == "eks-secrets":
        return _resources_ok(
            facts,
            "AWS::EKS::Cluster",
            "EncryptionConfig covers secrets",
            lambda p: any("secrets" in c.get("Resources", ()) for c in p.get("EncryptionConfig", ())),
        )
    if name == "key-rotation":
        return _resources_ok(
            facts, "AWS::KMS::Key", "EnableKeyRotation = true", lambda p: p.get("EnableKeyRotation") is True
        )
    raise KeyError(name)


def _covers_22(rule: Mapping[str, Any]) -> bool:
    if rule.get("IpProtocol") not in ("tcp", "6", "-1", -1):
        return False
    lo, hi = rule.get("FromPort", 0), rule.get("ToPort", 65535)
    return isinstance(lo, int) and isinstance(hi, int) and (lo <= 22 <= hi or lo == -1)


# --- the report -------------------------------------------------------------------------------------------------
def _control_entry(facts: Facts, control: Control) -> dict[str, Any]:
    evidence: list[str] = []
    missing: list[str] = []
    for name in control.checks:
        ok, good, bad = _check(facts, name)
        evidence += good
        missing += bad if not ok else []
    return {
        "framework": control.framework,
        "id": control.id,
        "title": control.title,
        "iso27001": list(control.iso),
        "how": control.how,
        "status": "gap" if missing else "satisfied",
        "evidence": evidence,
        "missing": missing,
    }


_DEFAULT_SYSCTLS = {"1.4.1": ("fs.suid_dumpable", "0"), "1.4.2": ("kernel.randomize_va_space", "2"),
                    "1.4.3": ("kernel.unprivileged_bpf_disabled", "1"),
                    "3.2.5": ("net.ipv4.icmp_echo_ignore_broadcasts", "1"),
                    "3.2.6": ("net.ipv4.icmp_ignore_bogus_error_responses", "1"),
                    "3.2.7": ("net.ipv4.tcp_syncookies", "1")}  # fmt: skip
_SETTING_PATHS: dict[str, list[tuple[str, Any]]] = {
    "1.1.1.1": [("kernel.modules.udf.allowed", False)],
    "3.3.1": [("kernel.modules.sctp.allowed", False)],
    "1.5.2": [("kernel.lockdown", "integrity")],
}
for _cid, _prefix in (("3.1.1", "send_redirects"), ("3.2.1", "accept_source_route"), ("3.2.2", "accept_redirects"),
                      ("3.2.3", "secure_redirects"), ("3.2.4", "log_martians")):  # fmt: skip
    _SETTING_PATHS[_cid] = [(f'kernel.sysctl."{k}"', v) for k, v in CIS_LEVEL2_SYSCTLS.items() if _prefix in k]


def _setting(settings: Mapping[str, Any], path: str) -> Any:
    if '."' in path:
        head, key = path.split('."', 1)
        table = _get(settings, head)
        return table.get(key.rstrip('"')) if isinstance(table, Mapping) else None
    return _get(settings, path)


def _cis_for_lt(check: CisCheck, lt: LaunchTemplate, level: int) -> tuple[str, str]:
    where = f"{lt.stack}/{lt.logical_id} ({lt.variant})"
    how = check.how_for(lt.variant)
    if how == "not-possible":
        return "not-possible", f"{where}: {check.detail}"
    if how == "manual":
        return "manual", f"{where}: {check.detail}"
    if how == "default":
        if check.id in _DEFAULT_SYSCTLS:
            key, good = _DEFAULT_SYSCTLS[check.id]
            value = _setting(lt.settings, f'kernel.sysctl."{key}"')
            if value is not None and str(value) != good:
                return "gap", f"{where}: settings.kernel.sysctl.{key} = {value!r} overrides the compliant default"
        if check.id == "2.1.1.1":
            if not _get(lt.settings, "ntp.time-servers"):
                return "gap", f"{where}: settings.ntp.time-servers empty"
            return "satisfied", f"{where}: settings.ntp.time-servers = {_get(lt.settings, 'ntp.time-servers')}"
        return "satisfied", f"{where}: Bottlerocket default, not overridden"
    if how == "bootstrap":
        path = f"bootstrap-containers.{CIS_BOOTSTRAP_CONTAINER}.mode"
        if _get(lt.settings, path) == "always":
            source = _get(lt.settings, f"bootstrap-containers.{CIS_BOOTSTRAP_CONTAINER}.source")
            return "satisfied", f"{where}: settings.{path} = always (bootstrap container, source {source})"
        if check.id in _MANUAL_BOOTSTRAP and level < 2:
            return "manual", f"{where}: the CIS report SKIPs it; no settings.{path} (Level 1)"
        return ("gap" if check.level <= level else "not-selected"), f"{where}: no settings.{path}"
    paths = _SETTING_PATHS.get(check.id, [])
    missing = [p for p, v in paths if _setting(lt.settings, p) != v]
    if paths and not missing:
        return "satisfied", f"{where}: " + ", ".join(f"settings.{p} = {json.dumps(v)}" for p, v in paths)
    return ("gap" if check.level <= level else "not-selected"), f"{where}: not set: " + ", ".join(
        f"settings.{p}" for p in missing or ["(no setting path known)"]
    )


_MANUAL_BOOTSTRAP = {"3.4.1.3", "3.4.2.3"}  # manual (SKIP) items delivered by the Level 2 bootstrap container

_RANK = {"gap": 0, "not-possible": 1, "not-selected": 2, "manual": 3, "satisfied": 4}


def _cis_entries(facts: Facts) -> tuple[int, list[dict[str, Any]]]:
    level = 2 if any(_get(lt.settings, f"bootstrap-containers.{CIS_BOOTSTRAP_CONTAINER}") for lt in
                     facts.launch_templates) else 1  # fmt: skip
    out = []
    for check in CIS_CHECKS:
        results = [_cis_for_lt(check, lt, level) for lt in facts.launch_templates]
        status = min((s for s, _ in results), key=_RANK.__getitem__) if results else "gap"
        out.append({
            "framework": "CIS Bottlerocket v1.0.0", "id": check.id, "level": check.level, "title": check.title,
            "how": check.how, "status": status,
            "evidence": [e for s, e in results if s == "satisfied"],
            "missing": [e for s, e in results if s != "satisfied"] or ([] if results else ["no launch templates"]),
        })  # fmt: skip
    return level, out


def build_report(stage: str, templates: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The report of one stage as plain data (what ``--format json`` prints for it)."""
    facts = read_facts(stage, templates)
    level, cis = _cis_entries(facts)
    controls = [_control_entry(facts, c) for c in ALL_CONTROLS]
    entries = cis + controls
    by_how: dict[str, list[str]] = {"default": [], "setting": [], "bootstrap": []}
    for e in cis:
        if e["status"] == "satisfied" and e["how"] in by_how:
            by_how[e["how"]].append(e["id"])
    return {
        "stage": stage,
        "stacks": sorted(templates),
        "cis_level": level,
        "cis_satisfied_by": by_how,
        "controls": entries,
        "gaps": [f"{e['framework']} {e['id']}" for e in entries if e["status"] == "gap"],
        "known_limits": [f"{e['framework']} {e['id']}" for e in entries if e["status"] == "not-possible"],
    }


def to_markdown(reports: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for r in reports:
        lines += [f"# Control report: {r['stage']}", "", f"Stacks: {', '.join(r['stacks'])}. CIS level applied: "
                  f"{r['cis_level']}.", ""]  # fmt: skip
        lines += ["## Gaps", ""] + ([f"- {g}" for g in r["gaps"]] or ["- none"]) + [""]
        by = r.get("cis_satisfied_by", {})
        lines += [f"## CIS items satisfied (Level {r['cis_level']})", ""]
        for how, label in (("default", "by Bottlerocket's defaults"), ("setting", "by settings (user data)"),
                           ("bootstrap", f"by the bootstrap container (settings.bootstrap-containers."
                                         f"{CIS_BOOTSTRAP_CONTAINER})")):  # fmt: skip
            lines.append(f"- {label}: {', '.join(by.get(how, [])) or 'none'}")
        lines += [""]
        lines += ["## Known limits (cannot pass on this variant)", ""]
        lines += ([f"- {g}" for g in r["known_limits"]] or ["- none"]) + [""]
        for framework in dict.fromkeys(e["framework"] for e in r["controls"]):
            lines += [f"## {framework}", "", "| id | title | status | how | evidence |", "|---|---|---|---|---|"]
            for e in (e for e in r["controls"] if e["framework"] == framework):
                iso = f" (ISO 27001 {', '.join(e['iso27001'])})" if e.get("iso27001") else ""
                ev = "<br>".join(e["evidence"] + [f"**missing:** {m}" for m in e["missing"]])
                lines.append(f"| {e['id']} | {e['title']}{iso} | {e['status']} | {e['how']} | {ev} |")
            lines.append("")
    return "\n".join(lines)


def _templates_for(
    project: ProjectConfig, assembly: Path, stage: str, region: str | None = None
) -> dict[str, Mapping[str, Any]] | None:
    """The templates of the stage's stacks in ``region`` (default: primary) that the assembly has: platform
    (``eks-stack``), node groups (``nodes-stack``), ECS (``ecs-stack``) and operators (``operators-stack``, when
    present). A stage without its nodes stack is reported as it is (its node-group controls show as gaps), with a
    note on stderr naming the key."""
    found = stage_stack_set(project, stage, assembly, region=region)
    out = {stack.name: stack.template for role, stack in found.present.items() if role in ROLES}
    if out and NODES not in found.present:
        print(
            f"brctl report: no {found.name(NODES)} in {assembly} ([tool.brctl] nodes-stack): its node groups are not "
            "in the report",
            file=sys.stderr,
        )
    return out or None


def run(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    assembly = Path(args.assembly) if args.assembly else project.path(project.assembly)
    if not assembly.is_dir():
        print(f"brctl report: no cloud assembly at {assembly}; run `npx cdk synth` first (or pass --assembly DIR)",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    stages = [project.check_stage(s) for s in args.stage] if args.stage else list(project.stages)
    if not stages:
        print("brctl report: name a --stage (no [tool.brctl] stages)", file=sys.stderr)
        return EXIT_USAGE
    reports = []
    for stage in stages:
        templates = _templates_for(project, assembly, stage, args.region)
        if templates is None:
            where = f" in {args.region}" if args.region else ""
            print(f"brctl report: no templates of stage {stage}{where} in {assembly}; run `npx cdk synth`",
                  file=sys.stderr)  # fmt: skip
            return EXIT_USAGE
        reports.append(build_report(stage, templates))
    if args.format == "json":
        sys.stdout.write(json.dumps({"reports": reports}, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(to_markdown(reports) + "\n")
    return EXIT_CHECK_FAILED if any(r["gaps"] for r in reports) else EXIT_OK
