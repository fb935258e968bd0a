"""The settings schema is package data: loaded through importlib.resources, patterns by name, and it covers every
path of the typed model."""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections.abc import Iterator, Mapping
from importlib.resources import files
from typing import Any, Union

import pytest

from constructs_br.errors import ConfigError
from constructs_br.settings import Settings, _schema
from constructs_br.settings._schema import PATTERN_REF, PATTERNS, SCHEMA

RAW = json.loads(files("constructs_br.settings").joinpath("schema.json").read_text(encoding="utf-8"))


def _arms(tp: Any) -> list[Any]:
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [a for a in typing.get_args(tp) if a is not type(None)]
    return [tp]


def _model_paths(cls: type, path: str) -> Iterator[str]:
    """Dotted schema paths of every typed field below ``cls`` (``*`` for map keys, ``[]`` for array items)."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.name == "extra":
            continue
        child = f"{path}.{field.name.replace('_', '-')}"
        yield child
        for arm in _arms(hints[field.name]):
            origin = typing.get_origin(arm)
            args = typing.get_args(arm)
            if dataclasses.is_dataclass(arm):
                yield from _model_paths(arm, child)  # type: ignore[arg-type]
            elif origin is Mapping and dataclasses.is_dataclass(args[1]):
                yield from _model_paths(args[1], child + ".*")
            elif origin is tuple and args and dataclasses.is_dataclass(args[0]):
                yield from _model_paths(args[0], child + "[]")


MODEL_PATHS = sorted(set(_model_paths(Settings, "settings")))


def _in_schema(path: str) -> bool:
    return path in SCHEMA or any(key.startswith(path + ".") or key.startswith(path + "[]") for key in SCHEMA)


def test_model_walk_finds_nested_paths() -> None:
    assert len(MODEL_PATHS) > 150
    assert "settings.kubernetes.credential-providers.*.image-patterns" in MODEL_PATHS
    assert "settings.host-containers.*.source" in MODEL_PATHS


@pytest.mark.parametrize("path", MODEL_PATHS)
def test_every_model_path_is_in_the_schema(path: str) -> None:
    assert _in_schema(path), f"{path} is typed in settings/model.py but missing from settings/schema.json"


def test_schema_is_package_data_not_python() -> None:
    assert files("constructs_br.settings").joinpath("schema.json").is_file()
    assert RAW["settings"].keys() == SCHEMA.keys()
    assert _schema.SOURCES


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if set(value) == {PATTERN_REF}:
            yield value[PATTERN_REF]
        else:
            for v in value.values():
                yield from _refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _refs(v)


def _inline_patterns(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if "pattern" in k and k != PATTERN_REF and isinstance(v, str):
                yield v
            else:
                yield from _inline_patterns(v)


def test_patterns_are_referenced_by_name_and_all_compile() -> None:
    used = set(_refs(RAW["settings"]))
    assert used <= PATTERNS.keys()
    assert len(used) >= 15
    inline = list(_inline_patterns(RAW["settings"]))
    assert not [p for p in inline if p in PATTERNS.values()], "a named pattern is repeated inline"
    assert len(inline) == len(set(inline)), "a pattern used twice should be named under 'patterns'"
    for pattern in PATTERNS.values():
        re.compile(pattern)


def test_unknown_pattern_reference_is_a_named_error() -> None:
    bad = dict(RAW, settings={"settings.motd": {"type": "string", "pattern": {PATTERN_REF: "nope"}}})
    with pytest.raises(ConfigError, match=r"schema.json settings.motd.*nope"):
        _schema.load(json.dumps(bad))
