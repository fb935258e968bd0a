"""What ``brctl`` knows about *your* CDK app: stack names, context-key templates, lockfile and assembly paths.

The library holds no stage names. Commands that need an app's stages read them from a ``[tool.brctl]`` table in
the app's ``pyproject.toml`` (found from the working directory upwards, or named with ``--project``), or from
explicit options. This repository's own table is the example::

    [tool.brctl]
    stages = ["pilot", "canary", "production"]
    lockfile = "bottlerocket.lock.json"
    assembly = "cdk.out"
    eks-stack = "Br{Stage}"              # {stage} = pilot, {Stage} = Pilot
    ecs-stack = "Br{Stage}Ecs"
    nodes-stack = "Br{Stage}Nodes"
    operators-stack = "Br{Stage}Operators"   # optional: used when the assembly has it
    pair-key = "br:{stage}:pair:{pair}:{key}"
    capacity-key = "br:{stage}:capacity:{pair}:{key}"
    channels = ["pilot", "canary", "production"]   # promotion order; refresh writes the first
    channel = "{stage}"                  # the lockfile channel a stage reads
    soak = { pilot = "24h", canary = "72h" }      # time a pin stays in a channel before promotion

Every key is optional; the defaults are shown above except ``stages`` (default: any stage name is accepted), the
stack templates (default ``{Stage}``, ``{Stage}Ecs``, ``{Stage}Nodes`` and ``{Stage}Operators``), ``channels``
(default: ``stages``, else pilot, canary, production) and ``soak`` (default: none, i.e. 0). Soak times are a whole
number and a unit: ``30m``, ``24h``, ``7d``. A stage's stacks in a secondary region carry ``-<region>``
(``BrProduction-eu-west-1``); commands find them from the assembly's stack environments
(:mod:`constructs_br.cli._assembly`).

>>> cfg = ProjectConfig(eks_stack="Br{Stage}")
>>> cfg.eks_stack_name("pilot"), cfg.pair_context_key("pilot", "general", "phase")
('BrPilot', 'br:pilot:pair:general:phase')
>>> cfg = ProjectConfig(stages=("pilot", "prod"), channels=("pilot", "prod"), soak=(("pilot", "24h"),))
>>> cfg.channel_name("prod"), cfg.stage_of_channel("pilot"), cfg.soak_time("pilot"), cfg.soak_time("prod")
('prod', 'pilot', datetime.timedelta(days=1), datetime.timedelta(0))
>>> ProjectConfig(stages=("pilot",)).check_stage("prod")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: --stage: got 'prod'; allowed: pilot
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from constructs_br.errors import ConfigError, Problems
from constructs_br.images.lockfile import LockDocument, Lockfile, validate_channel

DEFAULT_CHANNELS = ("pilot", "canary", "production")
"""Promotion channels when ``[tool.brctl]`` names neither ``channels`` nor ``stages``."""
SOAK_RULE = "a whole number and a unit: 30m, 24h, 7d"
_SOAK_RE = re.compile(r"^([0-9]{1,6})([mhd])$")
_SOAK_UNITS = {"m": "minutes", "h": "hours", "d": "days"}

_KEYS = {
    "stages": "stages",
    "lockfile": "lockfile",
    "assembly": "assembly",
    "eks-stack": "eks_stack",
    "ecs-stack": "ecs_stack",
    "nodes-stack": "nodes_stack",
    "operators-stack": "operators_stack",
    "pair-key": "pair_key",
    "capacity-key": "capacity_key",
    "channels": "channels",
    "channel": "channel",
    "soak": "soak",
}


def parse_soak(value: object, field: str = "soak") -> timedelta:
    """A soak time (``30m``, ``24h``, ``7d``) as a ``timedelta``."""
    match = _SOAK_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(field, value, SOAK_RULE)
    return timedelta(**{_SOAK_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectConfig:
    """The ``[tool.brctl]`` table, parsed. ``source`` is the file it came from (``None``: defaults)."""

    stages: tuple[str, ...] = ()
    lockfile: str = "bottlerocket.lock.json"
    assembly: str = "cdk.out"
    eks_stack: str = "{Stage}"
    ecs_stack: str = "{Stage}Ecs"
    nodes_stack: str = "{Stage}Nodes"
    operators_stack: str = "{Stage}Operators"
    """Template of a stage's in-cluster operator stack; commands use it when the assembly has it."""
    pair_key: str = "br:{stage}:pair:{pair}:{key}"
    capacity_key: str = "br:{stage}:capacity:{pair}:{key}"
    channels: tuple[str, ...] = ()
    """Promotion channels in promotion order: ``brctl pins refresh`` writes the first, ``promote`` moves forward.
    Empty (the default) means ``stages``, else :data:`DEFAULT_CHANNELS`."""
    channel: str = "{stage}"
    """Template of the lockfile channel a stage reads."""
    soak: tuple[tuple[str, str], ...] = ()
    """``(channel, "24h")`` pairs: how long a pin stays in that channel before ``promote`` copies it onward."""
    source: str | None = None

    def __post_init__(self) -> None:
        p = Problems()
        if not self.channels:
            object.__setattr__(self, "channels", tuple(self.stages) or DEFAULT_CHANNELS)
        if len(set(self.channels)) != len(self.channels):
            p.add("[tool.brctl] channels", list(self.channels), "each channel once")
        for name in self.channels:
            try:
                validate_channel(name, "[tool.brctl] channels")
            except ConfigError as exc:
                p.extend(exc.problems)
        for name, value in self.soak:
            if name not in self.channels:
                p.add(
                    f"[tool.brctl] soak.{name}", value, "a soak time for one of channels: " + " | ".join(self.channels)
                )
            try:
                parse_soak(value, f"[tool.brctl] soak.{name}")
            except ConfigError as exc:
                p.extend(exc.problems)
        for stage in self.stages:
            try:
                name = self.channel_name(stage)
            except ConfigError as exc:
                p.extend(exc.problems)
                continue
            if name not in self.channels:
                p.add(
                    "[tool.brctl] channel",
                    self.channel,
                    "a template naming one of channels (" + " | ".join(self.channels) + ") for every stage",
                    f"stage {stage} -> {name!r}",
                )
        p.raise_if_any()

    @property
    def root(self) -> Path:
        """The app's directory (where relative paths in the table start): the table's folder, else the cwd."""
        return Path(self.source).parent if self.source else Path.cwd()

    def check_stage(self, stage: str, field: str = "--stage") -> str:
        if self.stages and stage not in self.stages:
            where = f" ([tool.brctl] stages in {self.source})" if self.source else ""
            raise ConfigError(field, stage, " | ".join(self.stages) + where)
        return stage

    def eks_stack_name(self, stage: str) -> str:
        return _fill(self.eks_stack, "eks-stack", stage=stage)

    def ecs_stack_name(self, stage: str) -> str:
        return _fill(self.ecs_stack, "ecs-stack", stage=stage)

    def nodes_stack_name(self, stage: str) -> str:
        """The stack of a stage's EKS node groups (``Br{Stage}Nodes`` in this repository)."""
        return _fill(self.nodes_stack, "nodes-stack", stage=stage)

    def operators_stack_name(self, stage: str) -> str:
        """The stack of a stage's in-cluster operators (``Br{Stage}Operators`` in this repository; may not exist)."""
        return _fill(self.operators_stack, "operators-stack", stage=stage)

    def channel_name(self, stage: str) -> str:
        """The lockfile channel ``stage`` reads (the ``channel`` template filled in)."""
        return validate_channel(_fill(self.channel, "channel", stage=stage), f"[tool.brctl] channel ({stage})")

    def stage_of_channel(self, channel: str) -> str | None:
        """The stage that reads ``channel`` (the first in ``stages`` order; with no ``stages``, the stage named like
        the channel if the template maps it there); ``None`` when no stage does."""
        candidates = self.stages or (channel,)
        for stage in candidates:
            try:
                if self.channel_name(stage) == channel:
                    return stage
            except ConfigError:
                continue
        return None

    def soak_time(self, channel: str) -> timedelta:
        """How long a pin must stay in ``channel`` before promotion (0 when ``soak`` does not name it)."""
        for name, value in self.soak:
            if name == channel:
                return parse_soak(value, f"[tool.brctl] soak.{name}")
        return timedelta(0)

    def check_channel(self, channel: str, field: str = "--channel") -> str:
        """``channel`` if it is one of ``channels``, else a :class:`ConfigError` naming ``field`` and the list."""
        validate_channel(channel, field)
        if channel not in self.channels:
            where = f" ([tool.brctl] channels in {self.source})" if self.source else " ([tool.brctl] channels)"
            raise ConfigError(field, channel, " | ".join(self.channels) + where)
        return channel

    def pair_context_key(self, stage: str, pair: str, key: str) -> str:
        return _fill(self.pair_key, "pair-key", stage=stage, pair=pair, key=key)

    def capacity_context_key(self, stage: str, pair: str, key: str) -> str:
        return _fill(self.capacity_key, "capacity-key", stage=stage, pair=pair, key=key)

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.root / p


def _fill(template: str, name: str, **values: str) -> str:
    stage = values.get("stage", "")
    try:
        return template.format(**values, Stage=stage[:1].upper() + stage[1:])
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"[tool.brctl] {name}", template, "a template using only {stage}, {Stage}, {pair}, {key}", str(exc)
        ) from None


def from_table(table: Mapping[str, Any], source: str | None = None) -> ProjectConfig:
    """Parse a ``[tool.brctl]`` table (every problem at once, named ``[tool.brctl] <key>``)."""
    p = Problems()
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _KEYS:
            p.add(f"[tool.brctl] {key}", value, ", ".join(sorted(_KEYS)))
            continue
        if key in {"stages", "channels"}:
            if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
                p.add(f"[tool.brctl] {key}", value, f"a list of {key[:-1]} names")
                continue
            kwargs[key] = tuple(value)
        elif key == "soak":
            if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
                p.add("[tool.brctl] soak", value, 'a table {channel = "24h", ...} (' + SOAK_RULE + ")")
                continue
            kwargs["soak"] = tuple(sorted(value.items()))
        elif not isinstance(value, str) or not value:
            p.add(f"[tool.brctl] {key}", value, "a non-empty string")
        else:
            kwargs[_KEYS[key]] = value
    if kwargs.get("channels") == ():
        p.add("[tool.brctl] channels", [], "one or more channel names")
    p.raise_if_any()
    try:
        return ProjectConfig(**kwargs, source=source)
    except ConfigError as exc:  # cross-key checks (channels, channel, soak), each named [tool.brctl] <key>
        raise ConfigError(problems=exc.problems) from None


def stage_lockfile(project: ProjectConfig, path: str | Path, stage: str) -> Lockfile:
    """The pins ``stage`` deploys: its channel (``channel`` template) of the lockfile at ``path``; a version 1 file's
    one set of pins (every stage read the same pins then). Errors name the stage and the channels that exist."""
    project.check_stage(stage)
    doc = LockDocument.load(path)
    if doc.legacy:
        return doc.channel(stage)
    return doc.channel(project.channel_name(stage), field=f"channel of stage {stage}")


def load_project(path: str | Path | None = None, start: Path | None = None) -> ProjectConfig:
    """The ``[tool.brctl]`` table of ``path`` (a pyproject.toml), or of the nearest pyproject.toml from ``start``
    (default: the cwd) upwards that has one; defaults when none does."""
    if path is not None:
        file = Path(path)
        table = _read_table(file)
        if table is None:
            raise ConfigError("--project", str(file), "a pyproject.toml with a [tool.brctl] table")
        return from_table(table, str(file.resolve()))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            table = _read_table(candidate)
            if table is not None:
                return from_table(table, str(candidate))
    return ProjectConfig()


def _read_table(file: Path) -> Mapping[str, Any] | None:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("--project", str(file), "an existing pyproject.toml") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(file), "unreadable TOML", "a valid pyproject.toml", str(exc)) from None
    table = data.get("tool", {}).get("brctl")
    return table if isinstance(table, Mapping) else None
