"""``brctl preflight --stage S``: what the target account lacks before the first ``cdk deploy`` (read-only).

The stage's stacks and their environment come from the synthesized cloud assembly (``npx cdk synth`` first): the
``aws:cloudformation:stack`` artifacts of ``manifest.json`` named by the ``[tool.brctl]`` stack templates — the
platform (``eks-stack``), node-group (``nodes-stack``) and ECS (``ecs-stack``) stacks and, when the app has one, the
operator stack (``operators-stack``), in deploy order, those the assembly has — each with its ``environment``
``aws://ACCOUNT/REGION``. ``--region R`` checks the stage's stacks deployed to ``R`` (``-R`` names in a secondary
region, found by environment); a region the stage has no stacks in overrides the primary stacks' region, as
``--account`` overrides the account (e.g. for an environment-agnostic stack). For each environment it checks, with
read-only calls, and prints one finding per check with the command that fixes it:

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
                           none is an example pin (``"example": true``: the stacks using one — node groups and ECS
                           capacity, ``Br<Stage>Nodes`` / ``Br<Stage>Ecs`` — refuse to deploy; the finding names
                           them from their ``ExamplePinsRefused`` rule).
* ``assembly``             a template's ``ExamplePinsRefused`` rule names a pin the lockfile no longer has as an
                           example (or, a rule naming none, the lockfile has no example pins left in its region): the
                           assembly predates the refresh (synthesize again).

Exit 0 when nothing is lacking, 1 when something is (or an AWS call failed), 2 on usage errors (no cloud assembly,
unknown stage, no such stacks, no concrete environment).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from constructs_br.cli import _aws, _output
from constructs_br.cli._assembly import (
    DEFAULT_BOOTSTRAP_PARAMETER,
    NESTED_ASSEMBLY_ARTIFACT,
    ROLES,
    STACK_ARTIFACT,
    StackArtifact,
    StageStackSet,
    parse_environment,
    refused_bootstrap_versions,
    stage_stack_set,
    stage_stacks,
)
from constructs_br.cli._project import ProjectConfig, load_project, stage_lockfile
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from constructs_br.cli.pins import _verify_region
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import DEFAULT_LOCKFILE, Lockfile, Pin, refresh_command, validate_region

SERVICE_LINKED_ROLE = "AWSServiceRoleForAutoScaling"
SERVICE_LINKED_ROLE_FIX = "aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com"
EXAMPLE_PINS_RULE = "ExamplePinsRefused"
"""= :data:`constructs_br.nodes.image.EXAMPLE_PINS_RULE` (not imported: that module loads the CDK; a test checks)."""

OK = "ok"
LACKING = "lacking"
ERROR = "error"
SKIPPED = "skipped"

CHECKS = ("credentials", "service-linked-role", "bootstrap", "pins", "assembly")
"""Every check, in the order findings (and fixes) are listed."""

_ACCOUNT_RE = re.compile(r"^\d{12}$")

__all__ = [  # the assembly readers moved to constructs_br.cli._assembly; importable from here as before
    "CHECKS",
    "DEFAULT_BOOTSTRAP_PARAMETER",
    "EXAMPLE_PINS_RULE",
    "NESTED_ASSEMBLY_ARTIFACT",
    "SERVICE_LINKED_ROLE",
    "SERVICE_LINKED_ROLE_FIX",
    "STACK_ARTIFACT",
    "Finding",
    "StackArtifact",
    "check_assembly",
    "check_bootstrap",
    "check_credentials",
    "check_pins",
    "check_service_linked_role",
    "parse_environment",
    "refused_bootstrap_versions",
    "refused_pins",
    "register",
    "run",
    "stage_stacks",
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict for one target. ``status``: ok | lacking | error (could not check) | skipped."""

    check: str
    target: str
    status: str
    detail: str
    fix: str | None = None


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


_REFRESH_RE = re.compile(r"brctl pins refresh --region (\S+) --variant (\S+) --arch ([^\s;.]+)")


def refused_pins(template: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    """The pins (region, variant, arch) a template's ``ExamplePinsRefused`` rule refuses to deploy with, read from
    the refresh commands its description names (empty: no rule, or a rule naming none).

    >>> rule = {"Assertions": [{"AssertDescription": "...: brctl pins refresh --region us-west-2 --variant "
    ...         "aws-ecs-2 --arch x86_64"}]}
    >>> refused_pins({"Rules": {"ExamplePinsRefused": rule}})
    {('us-west-2', 'aws-ecs-2', 'x86_64')}
    """
    rule = (template.get("Rules") or {}).get(EXAMPLE_PINS_RULE) or {}
    keys: set[tuple[str, str, str]] = set()
    for assertion in rule.get("Assertions") or ():
        text = assertion.get("AssertDescription")
        if isinstance(text, str):
            keys |= {(m.group(1), m.group(2), m.group(3)) for m in _REFRESH_RE.finditer(text)}
    return keys


def _refusing_stacks(stacks: Sequence[StackArtifact]) -> dict[tuple[str, str, str], list[str]]:
    """Pin key -> the stacks whose ``ExamplePinsRefused`` rule names it (the stacks that launch instances)."""
    out: dict[tuple[str, str, str], list[str]] = {}
    for stack in stacks:
        for key in sorted(refused_pins(stack.template)):
            out.setdefault(key, []).append(stack.name)
    return out


def check_pins(
    region: str,
    lock: Lockfile,
    lockfile: str,
    stacks: Sequence[StackArtifact] = (),
) -> list[Finding]:
    """The ``pins`` findings of ``region``; an example pin's detail names the ``stacks`` refusing to deploy with it
    (their ``ExamplePinsRefused`` rule names it), else says that stacks using it refuse."""
    pins = [p for p in lock.pins() if p.region == region]
    if not pins:
        return [Finding("pins", region, OK, f"{lockfile} pins nothing in {region}")]
    refusing = _refusing_stacks(stacks)
    findings: list[Finding] = []
    for pin in pins:
        if pin.example:
            who = refusing.get(pin.key)
            refuse = f"{', '.join(who)} refuse{'s' if len(who) == 1 else ''}" if who else "stacks using it refuse"
            findings.append(
                Finding(
                    "pins",
                    _pin_target(pin),
                    LACKING,
                    f"example pin {pin.image_version} ({pin.image_id}), not a real image: {refuse} to deploy "
                    f"({EXAMPLE_PINS_RULE})",
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
    """A stack whose ``ExamplePinsRefused`` rule names a pin the lockfile no longer has as an example (refreshed
    since the synth) is stale. The rule lives in the stacks that launch instances (``Br<Stage>Nodes``,
    ``Br<Stage>Ecs``), whichever stacks are given; a rule naming no pins falls back to the region: stale when the
    lockfile has no example pin left in the stack's region."""
    examples = {p.key for p in lock.example_pins()}
    findings: list[Finding] = []
    for stack in stacks:
        if EXAMPLE_PINS_RULE not in (stack.template.get("Rules") or {}):
            continue
        named = refused_pins(stack.template)
        if named:
            stale = sorted(key for key in named if key not in examples)
            if not stale:
                continue  # every pin it refuses is still an example: the pins check names them (and their fix)
            detail = (
                f"the template carries {EXAMPLE_PINS_RULE} for {', '.join('/'.join(k) for k in stale)}, no longer "
                "an example pin in the lockfile: the assembly predates the refresh"
            )
        elif any(region == stack.region for region, _, _ in examples):
            continue  # the pins check names them (and their fix) already
        else:
            detail = (
                f"the template carries {EXAMPLE_PINS_RULE} but the lockfile has no example pins left in "
                f"{stack.region}: the assembly predates the refresh"
            )
        findings.append(Finding("assembly", stack.name, LACKING, detail, "npx cdk synth"))
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


def _stacks_or_usage(
    project: ProjectConfig, stage: str, assembly: Path, region: str | None = None
) -> tuple[list[StackArtifact], bool] | str:
    """The stage's stacks (platform, nodes, ECS, operators: those the assembly has, in deploy order) and whether they
    were chosen by ``region`` — the stage's stacks deployed there, e.g. ``BrProduction-eu-west-1`` — rather than
    the primary region's (whose region ``--region`` then overrides); or the usage message saying why there are
    none."""
    if not (assembly / "manifest.json").is_file():
        where = "no cloud assembly at " + str(assembly) if not assembly.is_dir() else f"no manifest.json in {assembly}"
        return f"{where}; run `npx cdk synth` first (or pass --assembly DIR)"
    try:
        found: StageStackSet = stage_stack_set(project, stage, assembly, loose=False)
        by_region = region is not None and region in found.regions and region != found.region
        if by_region:
            found = stage_stack_set(project, stage, assembly, region=region, loose=False)
    except (json.JSONDecodeError, OSError, AttributeError) as exc:
        return f"unreadable cloud assembly at {assembly}: {exc}; run `npx cdk synth` again"
    # by name: an app may name one stack for two roles (node groups still in its EKS stack)
    stacks = list({s.name: s for s in (found.present[role] for role in ROLES if role in found.present)}.values())
    if not stacks:
        names = [found.name(role) for role in ROLES]
        listed = ", ".join(names[:-1]) + " or " + names[-1]
        return f"no stack {listed} in the cloud assembly at {assembly}; run `npx cdk synth` (all stacks)"
    return stacks, by_region


def run(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    stage = project.check_stage(args.stage)
    if args.account is not None and not _ACCOUNT_RE.match(args.account):
        raise ConfigError("--account", args.account, "a 12-digit AWS account ID")
    if args.region is not None:
        validate_region(args.region, field="--region")
    assembly = Path(args.assembly) if args.assembly else project.path(project.assembly)
    chosen = _stacks_or_usage(project, stage, assembly, args.region)
    if isinstance(chosen, str):
        print(f"brctl preflight: {chosen}", file=sys.stderr)
        return EXIT_USAGE
    stacks, by_region = chosen
    stacks = _resolve_env(stacks, args.account, None if by_region else args.region)
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
        findings.extend(check_pins(region, lock, str(args.lockfile), [s for s in stacks if s.region == region]))
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
    p.add_argument(
        "--region",
        default=None,
        metavar="R",
        help="the stage's stacks in region R (its -R stacks when R is not the primary region); a region the "
        "assembly has no stack of the stage in overrides the primary stacks' region",
    )
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
