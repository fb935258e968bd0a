from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["", ".model", ".codec", ".validate", ".merge", ".presets", ".variants", ".builders", "._schema", ".labels"]


@pytest.mark.parametrize("suffix", MODULES)
def test_doctests(suffix: str) -> None:
    module = importlib.import_module("constructs_br.settings" + suffix)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
