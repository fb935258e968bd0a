"""tests/conftest.py's collection order: the real-CLI and deploy tests first, then the tests that read the cfn-lint and
checkov scans, then everything else, each group in its own order; and every test that reads the scans is marked so."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, cast

import pytest

from tests.conftest import ROOT, SLOW_FIRST, pytest_collection_modifyitems

SCAN_READERS = ("lint", "linted", "scan", "scanned_file")
"""tests/stacks/cfn_lint_scan.py's and checkov_scan.py's readers: the first call builds the run's scans."""


class _Item:
    def __init__(self, name: str, *markers: str) -> None:
        self.name, self.markers = name, markers

    def get_closest_marker(self, name: str) -> Any:
        return name if name in self.markers else None


def test_groups_in_order_and_each_group_keeps_its_order() -> None:
    items = [
        _Item("unit-a"),
        _Item("scan-a", "scans"),
        _Item("cli-a", "cli_e2e"),
        _Item("unit-b"),
        _Item("deploy", "deploy"),
        _Item("scan-b", "scans"),
        _Item("cli-b", "cli_e2e"),
    ]
    pytest_collection_modifyitems(cast(list[pytest.Item], items))
    assert [i.name for i in items] == ["deploy", "cli-a", "cli-b", "scan-a", "scan-b", "unit-a", "unit-b"]
    assert SLOW_FIRST == ("deploy", "cli_e2e", "scans")


def _marks(function: ast.FunctionDef) -> set[str]:
    return {ast.unparse(d).removeprefix("pytest.mark.") for d in function.decorator_list}


def _calls(function: ast.FunctionDef) -> set[str]:
    return {n.func.id for n in ast.walk(function) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def test_every_test_that_reads_the_scans_is_marked_scans() -> None:
    readers, unmarked = [], []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and _calls(node) & set(SCAN_READERS):
                readers.append(node.name)
                if "scans" not in _marks(node):
                    unmarked.append(f"{Path(path).relative_to(ROOT)}::{node.name}")
    assert len(readers) >= 10  # the gates over the app, both pipelines and the consumer
    assert unmarked == []
