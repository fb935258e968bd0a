"""Layered settings: library defaults <- stage <- node group <- user extras (left to right, later wins).

Semantics, on the kebab-case document form:

* tables merge key by key, recursively (``node-labels`` from the stage and from the node group combine);
* arrays replace (a node group's ``time-servers`` replaces the stage's whole list; so do taint lists);
* scalars replace;
* in a *mapping* layer, ``None`` deletes the key (unset a default); in a :class:`Settings` layer ``None`` means
  "not set here" and changes nothing.

>>> from constructs_br.settings.model import KubernetesSettings, Settings
>>> a = Settings(kubernetes=KubernetesSettings(node_labels={"tier": "web"}, max_pods=58))
>>> b = {"kubernetes": {"node-labels": {"team": "a"}, "max-pods": None}}
>>> merge(a, b).kubernetes
KubernetesSettings(... node_labels={'tier': 'web', 'team': 'a'}, ... max_pods=None, ...)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from constructs_br.settings.codec import as_document
from constructs_br.settings.model import Settings, from_dict


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any], *, none_deletes: bool) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if value is None:
            if none_deletes:
                out.pop(key, None)
            continue
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value, none_deletes=none_deletes)
        elif isinstance(value, Mapping):
            out[key] = _deep_merge({}, value, none_deletes=none_deletes)
        else:
            out[key] = value
    return out


def merge_documents(*layers: Settings | Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge layers into one plain document ``{"settings": {...}}`` (see the module docstring)."""
    merged: dict[str, Any] = {"settings": {}}
    for layer in layers:
        if layer is None:
            continue
        doc = as_document(layer)
        merged = _deep_merge(merged, doc, none_deletes=not isinstance(layer, Settings))
    return merged


def merge(*layers: Settings | Mapping[str, Any] | None) -> Settings:
    """Deep-merge layers left to right into :class:`Settings` (``None`` layers are skipped)."""
    return from_dict(merge_documents(*layers))
