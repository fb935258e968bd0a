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
    pair-key = "br:{stage}:pair:{pair}:{key}"
    capacity-key = "br:{stage}:capacity:{pair}:{key}"

Every key is optional; the defaults are shown above except ``stages`` (default: any stage name is accepted) and
the stack templates (default ``{Stage}`` and ``{Stage}Ecs``).

>>> cfg = ProjectConfig(eks_stack="Br{Stage}")
>>> cfg.eks_stack_name("pilot"), cfg.pair_context_key("pilot", "general", "phase")
('BrPilot', 'br:pilot:pair:general:phase')
>>> ProjectConfig(stages=("pilot",)).check_stage("prod")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: --stage: got 'prod'; allowed: pilot ...
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_br.errors import ConfigError, Problems

_KEYS = {
    "stages": "stages",
    "lockfile": "lockfile",
    "assembly": "assembly",
    "eks-stack": "eks_stack",
    "ecs-stack": "ecs_stack",
    "pair-key": "pair_key",
    "capacity-key": "capacity_key",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectConfig:
    """The ``[tool.brctl]`` table, parsed. ``source`` is the file it came from (``None``: defaults)."""

    stages: tuple[str, ...] = ()
    lockfile: str = "bottlerocket.lock.json"
    assembly: str = "cdk.out"
    eks_stack: str = "{Stage}"
    ecs_stack: str = "{Stage}Ecs"
    pair_key: str = "br:{stage}:pair:{pair}:{key}"
    capacity_key: str = "br:{stage}:capacity:{pair}:{key}"
    source: str | None = None

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
        if key == "stages":
            if not isinstance(value, list) or not all(isinstance(s, str) and s for s in value):
                p.add("[tool.brctl] stages", value, "a list of stage names")
                continue
            kwargs["stages"] = tuple(value)
        elif not isinstance(value, str) or not value:
            p.add(f"[tool.brctl] {key}", value, "a non-empty string")
        else:
            kwargs[_KEYS[key]] = value
    p.raise_if_any()
    return ProjectConfig(**kwargs, source=source)


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
