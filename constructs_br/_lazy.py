"""Lazy package exports: construct-layer names load on first use, so importing a package's pure modules (specs,
renderers) never starts jsii. One helper for every package ``__init__`` that mixes pure and CDK names."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``name`` from ``table`` (name → module) on first access.

    >>> getattr_ = lazy_exports("pkg", {"dumps": "json"})
    >>> getattr_("dumps").__name__
    'dumps'
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook PEP 562 names
        if name in table:
            return getattr(importlib.import_module(table[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
