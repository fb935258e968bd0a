"""The Bottlerocket settings schema, loaded from the package data file ``schema.json`` beside this module.

The file is data, keyed by dotted TOML path (``*`` = map key, ``[]`` = array item); it was generated from the
team's settings reference (``settings-schema.json``, compiled from bottlerocket-os/bottlerocket-settings-sdk models,
bottlerocket settings-plugins and bottlerocket.dev docs; see ``SOURCES``). Each regular expression is written once
under ``patterns`` and referred to by name (``{"$pattern": "label_value"}``); loading resolves the references, so
``SCHEMA`` holds plain pattern strings. It is read through :mod:`importlib.resources`, so it works from a wheel, a
zip or a source tree alike.

>>> SCHEMA["settings.kubernetes.node-labels.*"]["pattern"] == PATTERNS["label_value"]
True
>>> TOP_LEVEL_KEYS["aws-k8s-*-nvidia"]
('kubelet-device-plugins', 'nvidia-container-runtime')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from constructs_br.errors import ConfigError

SCHEMA_FILE = "schema.json"
"""The package data file (in ``constructs_br.settings``)."""

PATTERN_REF = "$pattern"
"""Key of a reference to a named pattern: ``{"$pattern": "<name>"}``."""


def _resolve(value: Any, patterns: Mapping[str, str], where: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {PATTERN_REF}:
            name = value[PATTERN_REF]
            if name not in patterns:
                raise ConfigError(f"{SCHEMA_FILE} {where}", name, "a name under 'patterns': " + ", ".join(patterns))
            return patterns[name]
        return {k: _resolve(v, patterns, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, patterns, where) for v in value]
    return value


def load(text: str | None = None) -> dict[str, Any]:
    """The parsed schema document with pattern references resolved (``text``: the file's content, default: read
    the package data file)."""
    if text is None:
        text = files("constructs_br.settings").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    patterns: dict[str, str] = dict(raw["patterns"])
    return {**raw, "settings": {path: _resolve(spec, patterns, path) for path, spec in raw["settings"].items()}}


_DOC = load()

SOURCES: tuple[str, ...] = tuple(_DOC["sources"])
"""Where the schema's facts come from (repository, path, revision)."""

TOP_LEVEL_KEYS: dict[str, tuple[str, ...]] = {glob: tuple(keys) for glob, keys in _DOC["top_level_keys"].items()}
"""Top-level keys under ``settings`` per variant glob (``-nvidia`` adds to ``aws-k8s-*``)."""

NEWER_TOP_LEVEL_KEYS: tuple[str, ...] = tuple(_DOC["newer_top_level_keys"])
"""Added by 2025-26 model releases; which variants accept them is not verified (see docs/settings.md)."""

PATTERNS: dict[str, str] = dict(_DOC["patterns"])
"""Named regular expressions the schema refers to."""

SCHEMA: dict[str, dict[str, Any]] = _DOC["settings"]
"""Dotted TOML path -> spec (``type``, ``variant_globs``, ``pattern``, ``min``/``max``, ``enum``, ...)."""
