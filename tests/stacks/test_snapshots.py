"""Snapshot of every stack's template, plus a small {logical_id: type} map that shows replacements in review.

A changed snapshot must be read, not regenerated blindly: a changed logical ID replaces live resources,
a changed user data or AMI rolls nodes. Update serially (no ``-n``):
``.venv/bin/pytest tests/stacks --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

STACKS = (
    "BrPilot",
    "BrPilotNodes",
    "BrPilotEcs",
    "BrPilotOperators",
    "BrCanary",
    "BrCanaryNodes",
    "BrCanaryEcs",
    "BrCanaryOperators",
    "BrProduction",
    "BrProductionNodes",
    "BrProductionEcs",
    "BrProductionOperators",
)


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def logical_ids(template: Mapping[str, Any]) -> dict[str, str]:
    return {logical_id: res["Type"] for logical_id, res in sorted(template["Resources"].items())}


def test_app_builds_exactly_these_stacks(templates: Mapping[str, Any]) -> None:
    assert sorted(templates) == sorted(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_template(stack: str, templates: Mapping[str, Any], snapshot_json: SnapshotAssertion) -> None:
    assert templates[stack] == snapshot_json


@pytest.mark.parametrize("stack", STACKS)
def test_logical_ids(stack: str, templates: Mapping[str, Any], snapshot_json: SnapshotAssertion) -> None:
    assert logical_ids(templates[stack]) == snapshot_json
