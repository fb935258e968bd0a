"""``brctl preflight --stage S``: what the target account lacks before the first ``cdk deploy`` (read-only).

The stage's stacks and their environment come from the synthesized cloud assembly (``npx cdk synth`` first): the
``aws:cloudformation:stack`` artifacts of ``manifest.json`` named by the ``[tool.brctl]`` stack templates, each with
its ``environment`` ``aws://ACCOUNT/REGION`` (``--account`` / ``--region`` override it, e.g. for an environment-
agnostic stack). For each environment it checks, with read-only calls, and prints one finding per check with the
command that fixes it:

* ``credentials``          the credentials belong to the stacks' account (``sts:GetCallerIdentity``); on a mismatch
                           the account checks below are skipped (they would read the wrong account).
* ``service-linked-role``  ``AWSServiceRoleForAutoScaling`` exists (``iam:GetRole``). The fleet key's policy grants
                           it through an ``aws:PrincipalArn`` condition, so the key deploys without it, but Auto
                           Scaling launches of nodes with encrypted volumes need the role; made in advance, the deploy
                           does not depend on the deploying role being allowed to create it.
* ``bootstrap``            the CDK bootstrap version parameter (``/cdk-bootstrap/hnb659fds/version``, or the one the
                           manifest names) exists and is at least what the templates require (the manifest's
                           ``requiresBootstrapStackVersion``, else the versions the template's ``CheckBootstrapVersion``
                           rule refuses).
* ``pins``                 every lockfile pin of the stacks' regions passes ``brctl pins verify`` (the same code) and
                           none is an example pin (``"example": true``: stacks using one refuse to deploy).
* ``assembly``             a template still carries the ``ExamplePinsRefused`` rule although the lockfile has no
                           example pins left there: the assembly predates the refresh (synthesize again).

Exit 0 when nothing is lacking, 1 when something is (or an AWS call failed), 2 on usage errors (no cloud assembly,
unknown stage, no such stacks, no concrete environment).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from constructs_br.cli import _aws, _output
from constructs_br.cli._project import ProjectConfig, load_project, stage_lockfile
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from constructs_br.cli.pins import _verify_region
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import DEFAULT_LOCKFILE, Lockfile, Pin, refresh_command, validate_region

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
SERVICE_LINKED_ROLE = "AWSServiceRoleForAutoScaling"
SERVICE_LINKED_ROLE_FIX = "aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com"
DEFAULT_BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
EXAMPLE_PINS_RULE = "ExamplePinsRefused"
"""= :data:`constructs_br.nodes.image.EXAMPLE_PINS_RULE` (not imported: that module loads the CDK; a test checks)."""

OK = "ok"
LACKING = "lacking"
ERROR = "error"
SKIPPED = "skipped"

CHECKS = ("credentials", "service-linked-role", "bootstrap", "pins", "assembly")
"""Every check, in the order findings (and fixes) are listed."""

_ACCOUNT_RE = re.compile(r"^\d{12}$")


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict for one target. ``status``: ok | lacking | error (could not check) | skipped."""

    check: str
    target: str
    status: str
    detail: str
    fix: str | None = None


@dataclass(frozen=True, slots=True)
class StackArtifact:
    """One stack of the cloud assembly, as ``cdk deploy`` will deploy it."""

    name: str
    account: str | None
    region: str | None
    """``None``: the assembly leaves it to deploy time (``unknown-account`` / ``unknown-region``)."""
    required_bootstrap: int | None
    bootstrap_parameter: str
    template: Mapping[str, Any]


# --- the cloud assembly ---------------------------------------------------------------------------------------------
def parse_environment(value: str) -> tuple[str | None, str | None]:
    """``aws://ACCOUNT/REGION`` -> (account, region), ``None`` for the ``unknown-*`` placeholders.

    >>> parse_environment("aws://123456789012/us-west-2")
    ('123456789012', 'us-west-2')
    >>> parse_environment("aws://unknown-account/unknown-region")
    (None, None)
    """
    rest = value.removeprefix("aws://")
    account, _, region = rest.partition("/")
    return (
        None if account in ("", "unknown-account") else account,
        None if region in ("", "unknown-region") else region,
    )


def refused_bootstrap_versions(template: Mapping[str, Any]) -> list[int]:
    """The bootstrap versions the template's ``CheckBootstrapVersion`` rule refuses (``Fn::Contains`` list).

    >>> check = {"Fn::Contains": [["1", "2", "3"], {"Ref": "BootstrapVersion"}]}
    >>> rule = {"Assertions": [{"Assert": {"Fn::Not": [check]}}]}
    >>> refused_bootstrap_versions({"Rules": {"CheckBootstrapVersion": rule}})
    [1, 2, 3]
    """
    rule = (template.get("Rules") or {}).get("CheckBootstrapVersion") or {}

    def walk(node: Any) -> Iterator[int]:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "Fn::Contains" and isinstance(value, list) and value and isinstance(value[0], list):
                    yield from (int(v) for v in value[0] if isinstance(v, str) and v.isdigit())
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return sorted(set(walk(rule)))


def _stack_artifacts(directory: Path) -> Iterator[tuple[str, Mapping[str, Any], Path]]:
    """(artifact id, artifact, its assembly directory) of every stack, nested assemblies (CDK stages) included."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        if kind == STACK_ARTIFACT:
            yield artifact_id, artifact, directory
        elif kind == NESTED_ASSEMBLY_ARTIFACT:
            nested = directory / str((artifact.get("properties") or {}).get("directoryName", ""))
            if (nested / "manifest.json").is_file():
                yield from _stack_artifacts(nested)


def _stack(artifact_id: str, artifact: Mapping[str, Any], directory: Path) -> StackArtifact:
    props = artifact.get("properties") or {}
    account, region = parse_environment(str(artifact.get("environment", "")))
    template_file = directory / str(props.get("templateFile", f"{artifact_id}.template.json"))
    template: Mapping[str, Any] = (
        json.loads(template_file.read_text(encoding="utf-8")) if template_file.is_file() else {}
    )
    required = props.get("requiresBootstrapStackVersion")
    if not isinstance(required, int):
        refused = refused_bootstrap_versions(template)
        required = max(refused) + 1 if refused else None
    parameter = props.get("bootstrapStackVersionSsmParameter") or (
        ((template.get("Parameters") or {}).get("BootstrapVersion") or {}).get("Default")
    )
    return StackArtifact(
        name=str(props.get("stackName") or artifact_id),
        account=account,
        region=region,
        required_bootstrap=required,
        bootstrap_parameter=str(parameter or DEFAULT_BOOTSTRAP_PARAMETER),
        template=template,
    )


def stage_stacks(assembly: Path, names: Sequence[str]) -> list[StackArtifact]:
    """The stacks named ``names`` (artifact id or stack name) in the assembly at ``assembly``, in ``names`` order."""
    found: dict[str, StackArtifact] = {}
    for artifact_id, artifact, directory in _stack_artifacts(assembly):
        stack_name = (artifact.get("properties") or {}).get("stackName")
        for name in names:
            if name in (artifact_id, stack_name) and name not in found:
                found[name] = _stack(artifact_id, artifact, directory)
    return [found[n] for n in names if n in found]


# --- checks ---------------------------------------------------------------------------------------------------------
def _env(account: str, region: str) -> str:
    return f"aws://{account}/{region}"


def check_credentials(account: str, region: str) -> Finding:
    try:
        caller = _aws.caller_account(region)
    except _aws.AwsError as exc:
        return Finding("credentials", _env(account, region), ERROR, str(exc), "check AWS_PROFILE / credentials")
    if caller == account:
        return Finding("credentials", _env(account, region), OK, f"credentials are for account {caller}")
    return Finding(
        "credentials",
        _env(account, region),
        LACKING,
        f"the credentials are for account {caller}, the stacks deploy to {account}",
        f"use credentials of account {account} (AWS_PROFILE), or synthesize the stacks for account {caller}",
    )


def check_service_linked_role(account: str, region: str) -> Finding:
    target = f"{account}: {SERVICE_LINKED_ROLE}"
    try:
        exists = _aws.role_exists(region, SERVICE_LINKED_ROLE)
    except _aws.AwsError as exc:
        return Finding("service-linked-role", target, ERROR, str(exc), SERVICE_LINKED_ROLE_FIX)
    if exists:
        return Finding("service-linked-role", target, OK, "the Auto Scaling service-linked role exists")
    return Finding(
        "service-linked-role",
        target,
        LACKING,
        "no Auto Scaling service-linked role: node volumes are encrypted with the fleet key, whose policy grants "
        "this role (by aws:PrincipalArn), and the first Auto Scaling group creates it only if the deploying role "
        "may call iam:CreateServiceLinkedRole; create it once before the deploy",
        SERVICE_LINKED_ROLE_FIX,
    )


def check_bootstrap(account: str, region: str, stacks: Sequence[StackArtifact]) -> list[Finding]:
    target = _env(account, region)
    fix = f"npx cdk bootstrap {target}"
    by_parameter: dict[str, list[StackArtifact]] = {}
    for stack in stacks:
        by_parameter.setdefault(stack.bootstrap_parameter, []).append(stack)
    try:
        values = _aws.get_parameters(region, list(by_parameter))
    except _aws.AwsError as exc:
        return [Finding("bootstrap", target, ERROR, str(exc), fix)]
    findings: list[Finding] = []
    for parameter, users in sorted(by_parameter.items()):
        required = max((s.required_bootstrap for s in users if s.required_bootstrap is not None), default=None)
        need = f"version {required}+" if required is not None else "any version"
        value = values.get(parameter)
        if value is None:
            findings.append(
                Finding("bootstrap", target, LACKING, f"not bootstrapped: no SSM parameter {parameter} ({need})", fix)
            )
        elif not value.strip().isdigit():
            findings.append(Finding("bootstrap", target, LACKING, f"{parameter} is {value!r}, not a version", fix))
        elif required is not None and int(value) < required:
            findings.append(
                Finding(
                    "bootstrap",
                    target,
                    LACKING,
                    f"bootstrap version {value} is older than the {required} the templates require ({parameter})",
                    fix,
                )
            )
        else:
            findings.append(Finding("bootstrap", target, OK, f"bootstrap version {value} ({need}; {parameter})"))
    return findings


def _pin_target(pin: Pin) -> str:
    return f"{pin.region} {pin.variant}/{pin.arch}"


def check_pins(region: str, lock: Lockfile, lockfile: str) -> list[Finding]:
    pins = [p for p in lock.pins() if p.region == region]
    if not pins:
        return [Finding("pins", region, OK, f"{lockfile} pins nothing in {region}")]
    findings: list[Finding] = []
    for pin in pins:
        if pin.example:
            findings.append(
                Finding(
                    "pins",
                    _pin_target(pin),
                    LACKING,
                    f"example pin {pin.image_version} ({pin.image_id}), not a real image: stacks using it refuse to "
                    f"deploy ({EXAMPLE_PINS_RULE})",
                    refresh_command(*pin.key),
                )
            )
    real = [p for p in pins if not p.example]
    results = _verify_region(region, real) if real else []
    for pin, result in zip(real, results, strict=True):
        if result["ok"]:
            newer = f"; newer {result['latest_version']} available" if result["newer_available"] else ""
            findings.append(Finding("pins", _pin_target(pin), OK, f"verified {pin.image_version}{newer}"))
        else:
            findings.append(
                Finding("pins", _pin_target(pin), LACKING, "; ".join(result["reasons"]), refresh_command(*pin.key))
            )
    return sorted(findings, key=lambda f: f.target)


def check_assembly(stacks: Sequence[StackArtifact], lock: Lockfile) -> list[Finding]:
    findings: list[Finding] = []
    for stack in stacks:
        if EXAMPLE_PINS_RULE not in (stack.template.get("Rules") or {}):
            continue
        if any(p.region == stack.region for p in lock.example_pins()):
            continue  # the pins check names them (and their fix) already
        findings.append(
            Finding(
                "assembly",
                stack.name,
                LACKING,
                f"the template carries {EXAMPLE_PINS_RULE} but the lockfile has no example pins left in "
                f"{stack.region}: the assembly predates the refresh",
                "npx cdk synth",
            )
        )
    return findings


# --- the command ----------------------------------------------------------------------------------------------------
def _resolve_env(stacks: list[StackArtifact], account: str | None, region: str | None) -> list[StackArtifact]:
    out: list[StackArtifact] = []
    for stack in stacks:
        acct = account or stack.account
        reg = region or stack.region
        if acct is None:
            raise ConfigError("--account", None, "a 12-digit account ID", f"stack {stack.name} names no account")
        if reg is None:
            raise ConfigError("--region", None, "an AWS region", f"stack {stack.name} names no region")
        out.append(
            StackArtifact(
                name=stack.name,
                account=acct,
                region=reg,
                required_bootstrap=stack.required_bootstrap,
                bootstrap_parameter=stack.bootstrap_parameter,
                template=stack.template,
            )
        )
    return out


def _stacks_or_usage(project: ProjectConfig, stage: str, assembly: Path) -> list[StackArtifact] | str:
    """The stage's stacks, or the usage message saying why there are none."""
    if not (assembly / "manifest.json").is_file():
        where = "no cloud assembly at " + str(assembly) if not assembly.is_dir() else f"no manifest.json in {assembly}"
        return f"{where}; run `npx cdk synth` first (or pass --assembly DIR)"
    names = [project.eks_stack_name(stage), project.ecs_stack_name(stage)]
    try:
        stacks = stage_stacks(assembly, names)
    except (json.JSONDecodeError, OSError, AttributeError) as exc:
        return f"unreadable cloud assembly at {assembly}: {exc}; run `npx cdk synth` again"
    if not stacks:
        return f"no stack {' or '.join(names)} in the cloud assembly at {assembly}; run `npx cdk synth` (all stacks)"
    return stacks


def run(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    stage = project.check_stage(args.stage)
    if args.account is not None and not _ACCOUNT_RE.match(args.account):
        raise ConfigError("--account", args.account, "a 12-digit AWS account ID")
    if args.region is not None:
        validate_region(args.region, field="--region")
    assembly = Path(args.assembly) if args.assembly else project.path(project.assembly)
    stacks = _stacks_or_usage(project, stage, assembly)
    if isinstance(stacks, str):
        print(f"brctl preflight: {stacks}", file=sys.stderr)
        return EXIT_USAGE
    stacks = _resolve_env(stacks, args.account, args.region)
    lock = stage_lockfile(project, args.lockfile, stage)

    envs: dict[tuple[str, str], list[StackArtifact]] = {}
    for stack in stacks:
        assert stack.account is not None
        assert stack.region is not None
        envs.setdefault((stack.account, stack.region), []).append(stack)
    findings: list[Finding] = []
    checked_roles: set[str] = set()
    for (account, region), env_stacks in sorted(envs.items()):
        if not args.json:
            _output.info(f"{_env(account, region)}: checking {', '.join(s.name for s in env_stacks)}")
        credentials = check_credentials(account, region)
        findings.append(credentials)
        if credentials.status == OK:
            if account not in checked_roles:  # IAM is global: once per account
                checked_roles.add(account)
                findings.append(check_service_linked_role(account, region))
            findings.extend(check_bootstrap(account, region, env_stacks))
        else:
            why = "skipped: the credentials are not for this account"
            findings.append(Finding("service-linked-role", f"{account}: {SERVICE_LINKED_ROLE}", SKIPPED, why))
            findings.append(Finding("bootstrap", _env(account, region), SKIPPED, why))
    for region in sorted({r for _, r in envs}):
        findings.extend(check_pins(region, lock, str(args.lockfile)))
    findings.extend(check_assembly(stacks, lock))
    findings.sort(key=lambda f: CHECKS.index(f.check))  # stable: per-check order kept

    ok = all(f.status == OK for f in findings)
    fixes = list(dict.fromkeys(f.fix for f in findings if f.status in (LACKING, ERROR) and f.fix))
    if args.json:
        _output.emit_json(
            {
                "ok": ok,
                "stage": stage,
                "assembly": str(assembly),
                "lockfile": str(args.lockfile),
                "stacks": [
                    {
                        "name": s.name,
                        "account": s.account,
                        "region": s.region,
                        "required_bootstrap_version": s.required_bootstrap,
                    }
                    for s in stacks
                ],
                "findings": [asdict(f) for f in findings],
                "fixes": fixes,
            }
        )
        return EXIT_OK if ok else EXIT_CHECK_FAILED
    _output.table(
        f"Preflight for stage {stage}: "
        + ", ".join(f"{s.name} ({_env(str(s.account), str(s.region))})" for s in stacks),
        ["check", "target", "status", "detail", "fix"],
        [
            (f.check, f.target, f.status if f.status in (OK, SKIPPED) else f.status.upper(), f.detail, f.fix)
            for f in findings
        ],
    )
    if ok:
        print(f"nothing lacking: ready for `npx cdk diff` / `npx cdk deploy` of {', '.join(s.name for s in stacks)}")
    else:
        print("lacking; fix in this order, then run brctl preflight again:")
        for fix in fixes:
            print(f"  {fix}")
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("preflight", help="what the account lacks before the first cdk deploy (read-only)")
    p.add_argument("--stage", required=True, metavar="S", help="the stage whose stacks to check (from [tool.brctl])")
    p.add_argument("--region", default=None, metavar="R", help="override the stacks' region from the assembly")
    p.add_argument("--account", default=None, metavar="ID", help="override the stacks' account from the assembly")
    p.add_argument("--assembly", default=None, metavar="DIR", help="cloud assembly (default: [tool.brctl] assembly)")
    p.add_argument(
        "--lockfile",
        default=None,  # brctl main fills it in: the [tool.brctl] lockfile, else ./bottlerocket.lock.json
        metavar="PATH",
        help=f"lockfile to check (default: the [tool.brctl] lockfile, else ./{DEFAULT_LOCKFILE})",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(handler=run)
