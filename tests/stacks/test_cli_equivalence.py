"""The templates pytest builds equal what the real CDK CLI synthesizes (both read cdk.json's context): every stack of
``npx cdk synth`` (what ``make synth`` runs), byte for byte as JSON, and the same stacks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from tests.conftest import cli_synthesized, load_assembly


@pytest.mark.cli_e2e  # the real CDK CLI
def test_pytest_templates_equal_cdk_cli_synth(templates: Mapping[str, Any]) -> None:
    out = cli_synthesized()
    cli = {stack.stack_name: stack for stack in load_assembly(out).stacks}
    assert sorted(cli) == sorted(templates)
    for name, stack in cli.items():
        cli_template = json.loads((out / stack.template_file).read_text())
        assert cli_template == templates[name], name
