"""The synthesized cloud assembly as ``brctl`` reads it: stack artifacts, their environments, a stage's stack set.

A stage has up to four stacks per region, each named by a ``[tool.brctl]`` template (:class:`ProjectConfig`):

========== ===================== ==========================================================================
role       key                   what it holds (this repository)
========== ===================== ==========================================================================
eks        ``eks-stack``         VPC, key, EKS control plane, access, Config rules (``Br<Stage>``)
nodes      ``nodes-stack``       EKS node groups and their launch templates, CoreDNS, the log add-on
ecs        ``ecs-stack``         ECS cluster and capacity (launch templates)
operators  ``operators-stack``   in-cluster operators (optional: many apps have none)
========== ===================== ==========================================================================

The stage's primary region keeps those names; every other region's stacks carry ``-<region>``
(``BrProduction-eu-west-1``). Which stack is in which region is read from ``manifest.json`` (each artifact's
``environment``), not guessed: :func:`stage_stack_set` with ``region=R`` picks, per role, the stack named
``<name>`` or ``<name>-<any region>`` whose environment is ``R``. Only an assembly without a manifest (templates
copied by hand) falls back to the names: ``<name>-R`` when that template exists, else ``<name>``.

>>> _region_suffix("BrProduction", "BrProduction-eu-west-1"), _region_suffix("BrProduction", "BrProductionNodes")
('eu-west-1', None)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_br.cli._project import ProjectConfig
from constructs_br.errors import ConfigError

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
DEFAULT_BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"

EKS, NODES, ECS, OPERATORS = "eks", "nodes", "ecs", "operators"
ROLES = (EKS, NODES, ECS, OPERATORS)
"""Every stack role, in deploy order."""
ROLE_KEYS = {EKS: "eks-stack", NODES: "nodes-stack", ECS: "ecs-stack", OPERATORS: "operators-stack"}
"""The ``[tool.brctl]`` key naming each role's stack."""

_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")


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


def stack_artifacts(directory: Path) -> Iterator[tuple[str, Mapping[str, Any], Path]]:
    """(artifact id, artifact, its assembly directory) of every stack, nested assemblies (CDK stages) included."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        if kind == STACK_ARTIFACT:
            yield artifact_id, artifact, directory
        elif kind == NESTED_ASSEMBLY_ARTIFACT:
            nested = directory / str((artifact.get("properties") or {}).get("directoryName", ""))
            if (nested / "manifest.json").is_file():
                yield from stack_artifacts(nested)


def load_stack(artifact_id: str, artifact: Mapping[str, Any], directory: Path) -> StackArtifact:
    """One stack artifact with its template read (an absent template file reads as ``{}``)."""
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
    for artifact_id, artifact, directory in stack_artifacts(assembly):
        stack_name = (artifact.get("properties") or {}).get("stackName")
        for name in names:
            if name in (artifact_id, stack_name) and name not in found:
                found[name] = load_stack(artifact_id, artifact, directory)
    return [found[n] for n in names if n in found]


# --- a stage's stack set ----------------------------------------------------------------------------------------
def base_names(project: ProjectConfig, stage: str) -> dict[str, str]:
    """Each role's stack name in the stage's primary region (the ``[tool.brctl]`` templates filled in)."""
    return {
        EKS: project.eks_stack_name(stage),
        NODES: project.nodes_stack_name(stage),
        ECS: project.ecs_stack_name(stage),
        OPERATORS: project.operators_stack_name(stage),
    }


def _region_suffix(base: str, name: str) -> str | None:
    """The region ``name`` = ``<base>-<region>`` names, else ``None``."""
    if not name.startswith(base + "-"):
        return None
    rest = name[len(base) + 1 :]
    return rest if _REGION_RE.match(rest) else None


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    region: str | None
    artifact_id: str
    artifact: Mapping[str, Any]
    directory: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class StageStackSet:
    """One stage's stacks in one region, as found in the assembly.

    ``names``: every role's stack name there (present or not: for messages and deploy commands); ``present``: the
    roles whose stack the assembly has; ``region``: the region they deploy to (``None`` when unknown);
    ``regions``: every region the assembly has stacks of this stage in (primary first)."""

    stage: str
    region: str | None
    names: Mapping[str, str]
    present: Mapping[str, StackArtifact] = field(default_factory=dict)
    regions: tuple[str, ...] = ()

    def name(self, role: str) -> str:
        """The stack name of ``role`` (eks | nodes | ecs | operators) in this set's region."""
        return self.names[role]

    def present_names(self, roles: Sequence[str] = ROLES) -> list[str]:
        """Names of the present stacks of ``roles``, in ``roles`` order."""
        return [self.present[r].name for r in roles if r in self.present]


def _entries(assembly: Path) -> list[_Entry]:
    out: list[_Entry] = []
    for artifact_id, artifact, directory in stack_artifacts(assembly):
        name = str((artifact.get("properties") or {}).get("stackName") or artifact_id)
        _, region = parse_environment(str(artifact.get("environment", "")))
        out.append(_Entry(name, region, artifact_id, artifact, directory))
    return out


def read_template(file: Path) -> Mapping[str, Any]:
    """A synthesized template, or :class:`ConfigError` naming the file when it is not a JSON object."""
    try:
        data = json.loads(file.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ConfigError(str(file), f"<{type(exc).__name__}>", "a CloudFormation template (JSON)", str(exc)) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("Resources", {}), Mapping):
        raise ConfigError(str(file), type(data).__name__, "a CloudFormation template: a JSON object with Resources")
    return data


_EMPTY = StackArtifact(name="", account=None, region=None, required_bootstrap=None, bootstrap_parameter="", template={})


def _template_only(assembly: Path, name: str) -> StackArtifact | None:
    file = assembly / f"{name}.template.json"
    if not file.is_file():
        return None
    return StackArtifact(
        name=name,
        account=None,
        region=None,
        required_bootstrap=None,
        bootstrap_parameter=DEFAULT_BOOTSTRAP_PARAMETER,
        template=read_template(file),
    )


def stage_stack_set(
    project: ProjectConfig,
    stage: str,
    assembly: Path,
    *,
    region: str | None = None,
    roles: Sequence[str] = ROLES,
    field_name: str = "--region",
    loose: bool = True,
) -> StageStackSet:
    """The stacks of ``stage`` in ``region`` (default: its primary region, the unsuffixed names).

    With a ``manifest.json``, ``region`` selects by each stack's environment; a region the stage has no stack in is a
    :class:`ConfigError` naming ``field_name`` and the stage's regions in the assembly. Without one, templates are
    looked up by name (``<name>-<region>`` first). ``loose``: also take a primary-region template file the manifest
    does not list (offline readers; ``preflight`` needs the manifest's environment and passes ``False``)."""
    bases = base_names(project, stage)
    wanted = {r: bases[r] for r in roles}
    if not (assembly / "manifest.json").is_file():
        present: dict[str, StackArtifact] = {}
        names: dict[str, str] = {}
        for role, base in wanted.items():
            candidates = [f"{base}-{region}", base] if region else [base]
            names[role] = candidates[0]
            for candidate in candidates:
                found = _template_only(assembly, candidate)
                if found is not None:
                    names[role], present[role] = candidate, found
                    break
        return StageStackSet(stage=stage, region=region, names=names, present=present)

    try:
        entries = _entries(assembly)
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, AttributeError, TypeError) as exc:
        raise ConfigError(
            str(assembly / "manifest.json"),
            f"<{type(exc).__name__}>",
            "the manifest.json `npx cdk synth` writes",
            f"{exc}; run `npx cdk synth` again",
        ) from None
    mine: dict[str, list[_Entry]] = {role: [] for role in wanted}
    for entry in entries:
        for role, base in wanted.items():
            if entry.name == base or _region_suffix(base, entry.name) is not None:
                mine[role].append(entry)
    primary_region = next((e.region for es in mine.values() for e in es if e.name in wanted.values()), None)
    known = sorted({e.region for es in mine.values() for e in es if e.region})
    regions = tuple(dict.fromkeys([*([primary_region] if primary_region else []), *known]))
    if region is not None and region not in regions and any(mine.values()):
        # environment-agnostic stacks: a name carrying the region still tells
        by_name = {role: [e for e in es if _region_suffix(wanted[role], e.name) == region] for role, es in mine.items()}
        if not any(by_name.values()):
            raise ConfigError(
                field_name,
                region,
                f"a region stage {stage} has stacks in: " + (", ".join(regions) or "none with a known region"),
                f"from the environments in {assembly / 'manifest.json'}",
            )
        chosen = {role: es[0] for role, es in by_name.items() if es}
    elif region is None:
        chosen = {role: e for role, es in mine.items() for e in es if e.name == wanted[role]}
    else:
        chosen = {}
        for role, es in mine.items():
            here = sorted((e for e in es if e.region == region), key=lambda e: e.name != wanted[role])
            if here:
                chosen[role] = here[0]
    names = {}
    for role, base in wanted.items():
        if role in chosen:
            names[role] = chosen[role].name
        elif region is None or region == primary_region:
            names[role] = base
        else:
            names[role] = f"{base}-{region}"
    try:
        present = {role: load_stack(e.artifact_id, e.artifact, e.directory) for role, e in chosen.items()}
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(
            str(assembly),
            f"<{type(exc).__name__}>",
            "templates `npx cdk synth` writes",
            f"{exc}; run `npx cdk synth` again",
        ) from None
    for role in wanted:
        if loose and role not in present and (region is None or region == primary_region):
            # a template beside a manifest that does not list it (another app synthesized into the same directory)
            unlisted = _template_only(assembly, names[role])
            if unlisted is not None:
                present[role] = unlisted
    return StageStackSet(
        stage=stage,
        region=region if region is not None else primary_region,
        names=names,
        present=present,
        regions=regions,
    )


def assembly_outputs(assembly: Path) -> Callable[[str, str], Any]:
    """A lookup ``(stack name, output name) -> the output's Value`` over the assembly's templates (``None`` when the
    stack or output is not there), for showing ``Fn::GetStackOutput`` references as what they refer to."""
    cache: dict[str, Mapping[str, Any]] = {}

    def lookup(stack: str, output: str) -> Any:
        if stack not in cache:
            try:
                found = stage_stacks(assembly, [stack]) if (assembly / "manifest.json").is_file() else []
                template = found[0].template if found else (_template_only(assembly, stack) or _EMPTY).template
            except (ConfigError, ValueError, OSError, AttributeError):
                template = {}
            cache[stack] = template
        value = ((cache[stack].get("Outputs") or {}).get(output) or {}).get("Value")
        return value

    return lookup


def deploy_stack_name(project: ProjectConfig, stage: str, role: str, assembly: Path, region: str | None) -> str:
    """The name ``npx cdk deploy`` takes for ``role``'s stack of ``stage`` in ``region``: read from the assembly when
    it has the stage's stacks (so a secondary region gets its ``-<region>`` name), else the primary name."""
    base = base_names(project, stage)[role]
    try:
        found = stage_stack_set(project, stage, assembly, region=region, roles=(role,))
    except (ConfigError, OSError, ValueError, AttributeError):
        return base
    return found.names[role] if found.regions else base
