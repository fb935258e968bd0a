"""``brctl report``: the control report read from a synthesized assembly (no AWS, no CDK import in the command)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, main
from constructs_br.compliance.limits import add_limit_checks
from constructs_br.compliance.nag import add_nag_checks
from stacks.app import build_stacks, cdk_json_context, load_lockfile
from stacks.compliance import add_compliance
from stacks.config import load_config
from stacks.platform_stack import PlatformStack

PYPROJECT = (
    '[tool.brctl]\nstages = ["pilot", "canary", "production"]\nassembly = "cdk.out"\n'
    'eks-stack = "Br{Stage}"\necs-stack = "Br{Stage}Ecs"\nnodes-stack = "Br{Stage}Nodes"\n'
    'operators-stack = "Br{Stage}Operators"\n'
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's app with the compliance rules added to every platform stack, nag on."""
    root = tmp_path_factory.mktemp("app")
    (root / "pyproject.toml").write_text(PYPROJECT)
    app = App(context=cdk_json_context(), outdir=str(root / "cdk.out"))
    add_nag_checks(app)
    add_limit_checks(app)
    ctx = app.node.get_all_context()
    lock = load_lockfile(ctx)
    build_stacks(app, load_config(ctx), lock)
    for child in app.node.children:
        if isinstance(child, PlatformStack) and child.node.try_find_child("ConfigRules") is None:
            add_compliance(child, stage_name=child.stage.name, lockfile=lock, region=child.stage.region,
                           production=child.stage.name == "production")  # fmt: skip
    app.synth()
    return root / "pyproject.toml"


def _report(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["--project", str(project), "report", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)["reports"][0]


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in report["controls"]}


def test_synthesized_production_has_no_gaps(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, r = _report(project, capsys, "--stage", "production")
    assert r["gaps"] == []
    assert code == EXIT_OK
    # the node groups' launch templates are read from the nodes stack, the platform's rules from Br<Stage>
    assert {"BrProduction", "BrProductionNodes", "BrProductionEcs"} <= set(r["stacks"])
    c = _by_id(r)
    assert len([e for e in r["controls"] if e["framework"].startswith("CIS")]) == 28
    for nist in ("CM-2", "CM-6", "CM-7", "AC-2", "AC-6", "AU-2", "AU-9", "SC-8", "SC-28", "SI-2", "SI-7"):
        assert c[nist]["status"] == "satisfied", nist
        assert c[nist]["iso27001"], nist
    assert "Config rule constructs-br-production-approved-amis-1 (APPROVED_AMIS_BY_ID)" in c["CM-2"]["evidence"]
    assert any("settings.host-containers.admin.enabled = false" in e for e in c["admin-access"]["evidence"])
    assert any(e.startswith("BrProductionNodes/") for e in c["admin-access"]["evidence"])
    assert not any(e.startswith("BrProduction/") for e in c["admin-access"]["evidence"])
    assert any("settings.ntp.time-servers" in e for e in c["time-sync"]["evidence"])
    assert c["3.4.1.1"]["status"] == "not-possible"  # honest: kubelet resets FORWARD on k8s variants
    assert "CIS Bottlerocket v1.0.0 3.4.1.1" in r["known_limits"]
    assert r["cis_level"] == 1
    assert c["3.1.1"]["status"] == "not-selected"


def test_markdown_has_the_sections(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(project), "report", "--stage", "pilot"]) == EXIT_OK
    out = capsys.readouterr().out
    for heading in ("# Control report: pilot", "## Gaps", "## CIS Bottlerocket v1.0.0", "## NIST 800-53",
                    "## checkpoint", "| CM-2 | Baseline configuration (ISO 27001 A.8.9) | satisfied |"):  # fmt: skip
        assert heading in out


def test_planted_admin_container_shows_the_gap(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "planted"
    (root / "cdk.out").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    src = project.parent / "cdk.out"
    for name in ("BrCanary", "BrCanaryEcs"):
        text = (src / f"{name}.template.json").read_text()
        if name == "BrCanaryEcs":  # the ECS launch template's user data turns the admin container on
            t = json.loads(text)
            for res in t["Resources"].values():
                if res["Type"] == "AWS::EC2::LaunchTemplate":
                    ud = res["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
                    parts = ud["Fn::Join"][1] if isinstance(ud, dict) else [ud]
                    joined = json.dumps(parts)
                    assert "[settings.host-containers.admin]" in joined
                    parts = [p.replace("[settings.host-containers.admin]\\nenabled = false",
                                       "[settings.host-containers.admin]\\nenabled = true") if isinstance(p, str)
                             else p for p in parts]  # fmt: skip
                    parts = [p.replace("[settings.host-containers.admin]\nenabled = false",
                                       "[settings.host-containers.admin]\nenabled = true") if isinstance(p, str)
                             else p for p in parts]  # fmt: skip
                    res["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"] = (
                        {"Fn::Join": ["", parts]} if isinstance(ud, dict) else parts[0]
                    )
            text = json.dumps(t)
        (root / "cdk.out" / f"{name}.template.json").write_text(text)
    code, r = _report(root / "pyproject.toml", capsys, "--stage", "canary")
    c = _by_id(r)
    assert code == EXIT_CHECK_FAILED
    assert c["admin-access"]["status"] == "gap"
    assert any("BrCanaryEcs/" in m and "admin.enabled = false" in m for m in c["admin-access"]["missing"])
    assert "checkpoint admin-access" in r["gaps"]
    assert "NIST 800-53 AC-6" in r["gaps"]


def test_missing_config_rule_is_a_gap(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "norules"
    (root / "cdk.out").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    for name in ("BrPilot", "BrPilotEcs"):
        t = json.loads((project.parent / "cdk.out" / f"{name}.template.json").read_text())
        t["Resources"] = {k: v for k, v in t["Resources"].items() if v["Type"] != "AWS::Config::ConfigRule"}
        (root / "cdk.out" / f"{name}.template.json").write_text(json.dumps(t))
    code, r = _report(root / "pyproject.toml", capsys, "--stage", "pilot")
    assert code == EXIT_CHECK_FAILED
    assert "no APPROVED_AMIS_BY_ID rule" in _by_id(r)["CM-2"]["missing"]


def test_no_assembly_is_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert main(["--project", str(tmp_path / "pyproject.toml"), "report", "--stage", "pilot"]) == EXIT_USAGE
    assert "npx cdk synth" in capsys.readouterr().err


def _lt_template(variant: str, settings_toml: str) -> dict[str, Any]:
    from constructs_br import tags

    lt = {
        "Type": "AWS::EC2::LaunchTemplate",
        "Properties": {"LaunchTemplateData": {
            "UserData": {"Fn::Base64": settings_toml},
            "MetadataOptions": {"HttpTokens": "required"},
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [
                {"Key": tags.FLEET, "Value": "f"}, {"Key": tags.VARIANT, "Value": variant}]}],
        }},
    }  # fmt: skip
    return {"Resources": {"NodesLt": lt}}


@pytest.mark.parametrize("variant", ["aws-k8s-1.33", "aws-ecs-2"])
def test_level2_stage_shows_items_satisfied_by_the_bootstrap_container(variant: str) -> None:
    from constructs_br.cli.report import build_report, to_markdown
    from constructs_br.settings.codec import render
    from constructs_br.settings.presets import CIS_CHECKS
    from stacks.compliance import cis_config

    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/cis-bootstrap@sha256:" + "ab" * 32
    cis = cis_config("canary", {"br:canary:cis-level": 2, "br:canary:cis-bootstrap-image": image})
    assert cis.level == 2
    r = build_report("canary", {"BrCanary": _lt_template(variant, render(cis.settings(variant)))})
    assert r["cis_level"] == 2
    bootstrap = [c.id for c in CIS_CHECKS if c.how == "bootstrap" and c.how_for(variant) == "bootstrap"]
    assert r["cis_satisfied_by"]["bootstrap"] == bootstrap
    assert ("3.4.1.1" in bootstrap) is variant.startswith("aws-ecs-")  # k8s: kubelet resets FORWARD, not-possible
    assert "3.4.1.2" in bootstrap
    c = _by_id(r)
    assert any(f"source {image}" in e for e in c["3.4.2.1"]["evidence"])
    assert "3.1.1" in r["cis_satisfied_by"]["setting"]
    assert "1.3.1" in r["cis_satisfied_by"]["default"]
    cis_gaps = [g for g in r["gaps"] if g.startswith("CIS")]
    assert cis_gaps == []
    md = to_markdown([r])
    assert "## CIS items satisfied (Level 2)" in md
    assert f"- by the bootstrap container (settings.bootstrap-containers.cis-bootstrap): {', '.join(bootstrap)}" in md


def test_level1_stage_has_no_bootstrap_items(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, r = _report(project, capsys, "--stage", "pilot")
    assert r["cis_level"] == 1
    assert r["cis_satisfied_by"]["bootstrap"] == []
    assert "1.3.1" in r["cis_satisfied_by"]["default"]


@pytest.mark.parametrize(
    ("context", "fields"),
    [
        ({"br:pilot:cis-level": 3}, ["br:pilot:cis-level"]),
        ({"br:pilot:cis-level": True}, ["br:pilot:cis-level"]),
        ({"br:pilot:cis-level": 2}, ["br:pilot:cis-bootstrap-image"]),
        ({"br:pilot:cis-level": "2", "br:pilot:cis-bootstrap-image": "repo:latest"}, ["br:pilot:cis-bootstrap-image"]),
        ({"br:pilot:cis-bootstrap-image": "r@sha256:" + "0" * 64}, ["br:pilot:cis-bootstrap-image"]),
        ({"br:pilot:cis-levle": 2, "br:pilot:cis-level": "x"}, ["br:pilot:cis-level", "br:pilot:cis-levle"]),
    ],
)
def test_cis_config_errors_name_the_field(context: dict[str, Any], fields: list[str]) -> None:
    from constructs_br.errors import ConfigError
    from stacks.compliance import cis_config, cis_level

    with pytest.raises(ConfigError) as err:
        cis_config("pilot", context)
    assert sorted(p.field for p in err.value.problems) == sorted(fields)
    assert cis_level("pilot", {}) == 1
    assert cis_level("pilot", {"br:pilot:cis-level": "1"}) == 1
