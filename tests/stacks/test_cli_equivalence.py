"""The app pytest builds in-process (``build_app`` with cdk.json's context, what every test with context overrides
synthesizes) equals what the real CDK CLI synthesizes from cdk.json (``npx cdk synth``, what ``make synth`` runs and
what the default app's tests read, see tests/conftest.py ``synthesized``).

Compared stage by stage on pilot, built alone in-process (``br:stages=pilot``): the same templates, byte for byte as
JSON, as the CLI's full synth — which also shows that narrowing synthesis to a stage leaves its templates unchanged.
"""

from __future__ import annotations

import pytest

from tests.conftest import cli_synthesized, read_templates, synthesized

STAGE_STACKS = ("", "Nodes", "Ecs", "Operators")


@pytest.mark.cli_e2e  # the real CDK CLI
def test_the_cli_synthesizes_every_stage() -> None:
    cli = read_templates(cli_synthesized())
    assert sorted(cli) == sorted(
        f"Br{stage}{kind}" for stage in ("Pilot", "Canary", "Production") for kind in STAGE_STACKS
    )


@pytest.mark.cli_e2e  # the real CDK CLI
def test_pytest_templates_equal_cdk_cli_synth() -> None:
    cli = read_templates(cli_synthesized())
    ours = read_templates(synthesized({"br:stages": "pilot"}))
    assert sorted(ours) == sorted(f"BrPilot{kind}" for kind in STAGE_STACKS)
    for name, template in ours.items():
        assert template == cli[name], name
