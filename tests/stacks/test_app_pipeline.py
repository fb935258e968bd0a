"""The REAL app with the pipeline on (``br:pipeline:*`` keys set, as a deployment's cdk.json would): ``BrPipeline``
deploys the app's own stage stacks wave by wave, under their real names, and its post-deploy checks name the real
clusters. tests/stacks/test_pipeline.py covers the pipeline construct itself with toy stages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from stacks.app import cdk_json_context
from stacks.config import load_config
from tests.conftest import copy_assembly, load_assembly, synthesized
from tests.stacks.cfn_lint_scan import described, lint, linted
from tests.stacks.checkov_scan import scan, skip_reason
from tests.stacks.test_pipeline import ARN, _buildspec, _stage, _stages

PIPELINE_KEYS = {"br:pipeline:connection-arn": ARN, "br:pipeline:repository": "example/constructs-br"}
FRAMEWORK_STAGES = ["Source", "Build", "UpdatePipeline", "Assets"]


def _synth(overrides: Mapping[str, Any], outdir: Path) -> tuple[dict[str, Any], list[str]]:
    """The app with the pipeline keys plus ``overrides``, synthesized once per run and copied to ``outdir``."""
    assembly = load_assembly(copy_assembly(synthesized({**PIPELINE_KEYS, **overrides}), outdir))
    template = json.loads((outdir / "BrPipeline.template.json").read_text())
    return dict(template), [s.stack_name for s in assembly.stacks]


@pytest.fixture(scope="module")
def full_outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app-pipeline")


@pytest.fixture(scope="module")
def full(full_outdir: Path) -> tuple[dict[str, Any], list[str]]:
    return _synth({}, full_outdir)


def pipeline_templates(outdir: Path) -> list[Path]:
    """The pipeline's own templates (the stage stacks are checked by tests/stacks/test_gates.py)."""
    files = sorted([*outdir.glob("BrPipeline*.template.json"), *outdir.glob("cross-region-stack-*.template.json")])
    assert "BrPipeline.template.json" in [f.name for f in files]
    return files


def _deploys(actions: list[dict[str, Any]]) -> dict[str, int]:
    """Stack name → RunOrder of its Deploy action."""
    return {
        a["Configuration"]["StackName"]: a["RunOrder"]
        for a in actions
        if a["ActionTypeId"]["Provider"] == "CloudFormation" and a["Name"].endswith(".Deploy")
    }


def _check_commands(template: Mapping[str, Any], actions: list[dict[str, Any]]) -> list[str]:
    (check,) = [a for a in actions if a["Name"] == "Checks"]
    spec = _buildspec(template, {"Ref": check["Configuration"]["ProjectName"]["Ref"]})
    return list(spec["phases"]["build"]["commands"])


def test_waves_deploy_pilot_then_canary_then_production_after_an_approval(
    full: tuple[dict[str, Any], list[str]],
) -> None:
    template, stacks = full
    assert "BrPipeline" in stacks
    names = [s["Name"] for s in _stages(template)]
    assert names == [*FRAMEWORK_STAGES, "pilot-us-west-2", "canary-us-east-1", "production-us-east-1"]
    for name in ("pilot-us-west-2", "canary-us-east-1"):
        assert all(a["ActionTypeId"]["Category"] != "Approval" for a in _stage(template, name)), name
    production = _stage(template, "production-us-east-1")
    (approval,) = [a for a in production if a["ActionTypeId"]["Category"] == "Approval"]
    assert approval["RunOrder"] < min(_deploys(production).values())


@pytest.mark.parametrize(
    ("wave", "stage"),
    [("pilot-us-west-2", "Pilot"), ("canary-us-east-1", "Canary"), ("production-us-east-1", "Production")],
)
def test_each_wave_deploys_the_real_stacks_by_their_names_platform_first(
    full: tuple[dict[str, Any], list[str]], wave: str, stage: str
) -> None:
    template, _ = full
    deploys = _deploys(_stage(template, wave))
    platform = f"Br{stage}"
    assert set(deploys) >= {platform, f"Br{stage}Nodes", f"Br{stage}Ecs"}
    assert all(order > deploys[platform] for name, order in deploys.items() if name != platform)


@pytest.mark.parametrize(
    ("wave", "stage", "region"),
    [("pilot-us-west-2", "pilot", "us-west-2"), ("production-us-east-1", "production", "us-east-1")],
)
def test_checks_gate_every_pair_of_the_real_clusters(
    full: tuple[dict[str, Any], list[str]], wave: str, stage: str, region: str
) -> None:
    template, _ = full
    config = load_config(cdk_json_context()).stage(stage)
    commands = _check_commands(template, _stage(template, wave))
    where = f"--stage {stage} --region {region}"
    cluster = f"Br{stage.capitalize()}-Cluster"
    assert commands[0] == f".venv/bin/brctl drift {where}" + f" --cluster {cluster}" * len(config.pairs)
    for pair in config.pairs:
        assert f".venv/bin/brctl cutover status --cluster {cluster} --pair {pair.name} {where}" in commands
    ecs = [c for c in commands if c.endswith(" --ecs")]
    assert ecs == [
        f'.venv/bin/brctl cutover status --cluster "$BR_CLUSTER_{i}" --pair {p.name} {where} --ecs'
        for i, p in enumerate(config.capacity, start=len(config.pairs))
    ]
    (check,) = [a for a in _stage(template, wave) if a["Name"] == "Checks"]
    env = json.loads(check["Configuration"]["EnvironmentVariables"])
    # the ECS cluster's name: the real ECS stack's ClusterName output, read after it deployed
    assert {e["name"] for e in env} >= {f"BR_CLUSTER_{len(config.pairs)}"}
    assert all(e["type"] == "PLAINTEXT" for e in env)
    assert any(f"Br{stage.capitalize()}Ecs" in json.dumps(e["value"]) for e in env)


def test_check_cluster_names_are_the_clusters_the_platform_stacks_create(templates: Mapping[str, Any]) -> None:
    config = load_config(cdk_json_context())
    for stage in config.stages:
        clusters = [
            r["Properties"]["Name"]
            for r in templates[stage.stack_name]["Resources"].values()
            if r["Type"] == "AWS::EKS::Cluster"
        ]
        assert clusters == [stage.cluster_name]
        outputs = templates[stage.ecs_stack_name]["Outputs"]
        assert "ClusterName" in outputs


def test_secondary_regions_get_their_own_parallel_targets(tmp_path: Path) -> None:
    overrides = {"br:production:regions": "us-east-1,eu-west-1", "br:stages": "production"}
    template, stacks = _synth(overrides, tmp_path)
    assert [s["Name"] for s in _stages(template)] == [*FRAMEWORK_STAGES, "production"]
    deploys = _deploys(_stage(template, "production"))
    assert deploys["BrProduction"] == deploys["BrProduction-eu-west-1"]  # both regions at once
    commands = " ".join(
        " ".join(_buildspec(template, {"Ref": a["Configuration"]["ProjectName"]["Ref"]})["phases"]["build"]["commands"])
        for a in _stage(template, "production")
        if a["Name"].endswith("Checks")
    )
    assert "--cluster BrProduction-eu-west-1-Cluster" in commands
    assert "BrProduction-eu-west-1" in stacks


def test_stages_narrows_the_pipeline_to_the_pilot_wave(tmp_path: Path) -> None:
    template, stacks = _synth({"br:stages": "pilot"}, tmp_path)
    assert [s["Name"] for s in _stages(template)] == [*FRAMEWORK_STAGES, "pilot-us-west-2"]
    assert set(_deploys(_stage(template, "pilot-us-west-2"))) == {
        "BrPilot",
        "BrPilotNodes",
        "BrPilotEcs",
        "BrPilotOperators",
    }
    assert not any(s.startswith(("BrCanary", "BrProduction")) for s in stacks)


def test_no_connection_no_pipeline_stack(templates: Mapping[str, Any]) -> None:
    assert "br:pipeline:connection-arn" not in cdk_json_context()
    assert "BrPipeline" not in templates


@pytest.mark.scans
def test_the_real_pipeline_is_cfn_lint_and_checkov_clean(
    full: tuple[dict[str, Any], list[str]], full_outdir: Path
) -> None:
    files = pipeline_templates(full_outdir)
    assert [f.name for f in linted("app-pipeline")] == [f.name for f in files]
    matches = lint("app-pipeline")
    assert matches == [], described(matches)
    results = scan("app-pipeline")["results"]
    assert {c["file_path"].lstrip("/") for c in results["passed_checks"]} == {f.name for f in files}
    assert [f"{c['check_id']} {c['resource']}" for c in results["failed_checks"]] == []
    assert all(len(skip_reason(c).split()) >= 6 for c in results["skipped_checks"])
