"""The docstring examples of the ECS package run."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from constructs_br import instance_types
from constructs_br.ecs import spec


@pytest.mark.parametrize("module", [instance_types, spec])
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
