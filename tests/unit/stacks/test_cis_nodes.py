"""``br:<stage>:cis-level`` reaches the nodes: a Level 2 stage's EKS node groups and ECS capacity carry the Level 2
settings and the digest-pinned bootstrap container in their user data, and ``brctl report --stage`` for it lists
the CIS items satisfied by settings and by the bootstrap container. Level 1 is Bottlerocket's secure defaults."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from constructs_br.cli.main import main
from constructs_br.errors import ConfigError
from constructs_br.settings.presets import (
    CIS_BLOCKED_MODULES,
    CIS_BOOTSTRAP_CONTAINER,
    CIS_CHECKS,
    CIS_LEVEL2_SYSCTLS,
    cis_level1,
    secure_defaults,
)
from stacks.config import load_config
from tests.conftest import synth_with
from tests.stacks.invariants import _user_data_text as user_data_text

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/cis-bootstrap@sha256:" + "ab" * 32
LEVEL2 = {"br:stages": "production", "br:production:cis-level": 2, "br:production:cis-bootstrap-image": IMAGE}
PYPROJECT = (
    '[tool.brctl]\nstages = ["pilot", "canary", "production"]\nassembly = "{assembly}"\n'
    'eks-stack = "Br{{Stage}}"\necs-stack = "Br{{Stage}}Ecs"\nnodes-stack = "Br{{Stage}}Nodes"\n'
    'operators-stack = "Br{{Stage}}Operators"\n'
)


@pytest.fixture(scope="module")
def level2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Mapping[str, dict[str, Any]]]:
    outdir = tmp_path_factory.mktemp("cis2")
    return outdir, synth_with(LEVEL2, outdir)


def _user_data(template: Mapping[str, Any]) -> list[str]:
    return [user_data_text(r) for r in template["Resources"].values() if r["Type"] == "AWS::EC2::LaunchTemplate"]


def test_level1_is_what_the_secure_defaults_render() -> None:
    """Why default stages' templates did not change when the preset was merged in."""
    for variant in ("aws-k8s-1.33", "aws-ecs-2"):
        assert cis_level1(variant) == secure_defaults(variant)
    assert {s.cis_config.level for s in load_config({}).stages} == {1}


@pytest.mark.parametrize("stack", ["BrProductionNodes", "BrProductionEcs"])
def test_level2_stage_user_data_carries_the_level2_settings(
    level2: tuple[Path, Mapping[str, dict[str, Any]]], stack: str
) -> None:
    _, templates = level2
    user_data = _user_data(templates[stack])
    assert user_data
    for text in user_data:
        assert f"[settings.bootstrap-containers.{CIS_BOOTSTRAP_CONTAINER}]" in text
        assert f'source = "{IMAGE}"' in text
        assert 'mode = "always"' in text
        for key in CIS_LEVEL2_SYSCTLS:
            assert f'"{key}"' in text, key
        for module in CIS_BLOCKED_MODULES:
            assert f"[settings.kernel.modules.{module}]" in text, module


def test_level2_leaves_the_other_stages_alone(tmp_path: Path) -> None:
    templates = synth_with({**LEVEL2, "br:stages": "pilot,production"}, tmp_path)
    for stack in ("BrPilotNodes", "BrPilotEcs"):
        assert all(CIS_BOOTSTRAP_CONTAINER not in ud for ud in _user_data(templates[stack]))


def test_brctl_report_shows_level2_items_satisfied_by_setting_and_bootstrap(
    level2: tuple[Path, Mapping[str, dict[str, Any]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outdir, _ = level2
    project = tmp_path / "pyproject.toml"
    project.write_text(PYPROJECT.format(assembly=outdir))
    main(["--project", str(project), "report", "--stage", "production", "--format", "json"])
    (report,) = json.loads(capsys.readouterr().out)["reports"]
    assert report["cis_level"] == 2
    by = report["cis_satisfied_by"]
    bootstrap = {c.id for c in CIS_CHECKS if c.how == "bootstrap" and c.how_for("aws-k8s-1.33") == "bootstrap"}
    assert bootstrap
    assert bootstrap <= set(by["bootstrap"])
    setting = {c.id for c in CIS_CHECKS if c.how == "setting" and c.level == 2}
    assert setting
    assert setting <= set(by["setting"])
    assert [g for g in report["gaps"] if g.startswith("CIS")] == []


@pytest.mark.parametrize(
    ("context", "field", "value"),
    [
        ({"br:canary:cis-level": 3}, "br:canary:cis-level", 3),
        ({"br:canary:cis-level": 2}, "br:canary:cis-bootstrap-image", None),
        (
            {"br:canary:cis-level": 2, "br:canary:cis-bootstrap-image": "repo:latest"},
            "br:canary:cis-bootstrap-image",
            "repo:latest",
        ),
        ({"br:canary:cis-levels": 2}, "br:canary:cis-levels", 2),
    ],
)
def test_load_config_names_every_bad_cis_value(context: dict[str, Any], field: str, value: object) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({**context, "br:production:regions": "us-east-1,eu-west-1", "br:production:cis-level": "x"})
    fields = [p.field for p in exc.value.problems]
    assert field in fields
    assert next(p.value for p in exc.value.problems if p.field == field) == value
    assert fields.count("br:production:cis-level") == 1  # once, though production has two regions
