"""Every public name is documented: each class and function in ``__all__`` of ``constructs_br`` and of its
subpackages has its own docstring (what ``make docs`` renders). Constants are skipped: they are documented by the
string literal that follows them, which the interpreter does not keep."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import constructs_br

PACKAGES = [
    "constructs_br",
    *sorted(f"constructs_br.{info.name}" for info in pkgutil.iter_modules(constructs_br.__path__) if info.ispkg),
]


def _own_doc(obj: object) -> str:
    """The docstring written for ``obj`` itself: not inherited, not the signature dataclasses generate."""
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__") or ""
        if dataclasses.is_dataclass(obj) and doc.startswith(obj.__name__ + "("):
            return ""
        return doc.strip()
    return (getattr(obj, "__doc__", None) or "").strip()


def undocumented(module: ModuleType) -> list[str]:
    missing = []
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and not _own_doc(obj):
            missing.append(name)
    return missing


def test_packages_are_found() -> None:
    assert {"constructs_br.settings", "constructs_br.images", "constructs_br.cli"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_has_a_docstring(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__doc__, f"{package} has no module docstring"
    assert undocumented(module) == [], f"undocumented public names in {package}"
