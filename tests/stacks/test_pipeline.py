"""The rollout pipeline (stacks/pipeline.py), read from its synthesized template: waves, order, approval, the synth
step, the post-deploy checks and their IAM, cross-account keys, cdk-nag / cfn-lint / checkov, and every config error.

The targets are toy builders (one small stack per stage, ``stack_name`` given explicitly as the real ones are), so
this runs in seconds and does not depend on how the app composes the real stage stacks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnOutput, Stack, Stage
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_ssm as ssm

from constructs_br.compliance.nag import add_nag_checks
from constructs_br.errors import ConfigError
from stacks.app import cdk_json_context
from stacks.pipeline import (
    PipelineConfig,
    PipelineStack,
    PipelineTarget,
    PipelineWave,
    pinned_cdk_cli_version,
    stage_waves,
)
from tests.conftest import once_per_run
from tests.stacks.cfn_lint_scan import described, lint, linted
from tests.stacks.checkov_scan import scan, skip_reason

PIPELINE = "123456789012"
OTHER = "210987654321"
ARN = "arn:aws:codeconnections:us-east-1:123456789012:connection/0123abcd-0123-4567-89ab-0123456789ab"
CONTEXT = {"br:pipeline:connection-arn": ARN, "br:pipeline:repository": "example/constructs-br"}


def _builder(stack_name: str, *, planted: bool = False) -> Callable[[Stage], None]:
    def build(stage: Stage) -> None:
        stack = Stack(stage, "Platform", stack_name=stack_name)
        ssm.StringParameter(stack, "Marker", string_value=stack_name)
        CfnOutput(stack, "ClusterName", value=f"{stack_name}-ecs")
        if stack_name == "BrPilot":  # a file asset (the real stacks have some): the pipeline gets an Assets stage
            s3_assets.Asset(stack, "Asset", path=__file__)
        if planted:
            s3.CfnBucket(stack, "Planted")  # unencrypted, unlogged: cdk-nag findings

    return build


def _targets(production_account: str = OTHER, *, planted: bool = False) -> list[PipelineTarget]:
    return [
        PipelineTarget(
            stage="pilot",
            region="us-west-2",
            account=PIPELINE,
            build=_builder("BrPilot", planted=planted),
            checks=["eks:BrPilot-Cluster:general", "ecs:@BrPilot.ClusterName:general"],
        ),
        PipelineTarget(
            stage="canary",
            region="us-east-1",
            account=PIPELINE,
            build=_builder("BrCanary"),
            checks=["eks:BrCanary-Cluster:general"],
        ),
        *(
            PipelineTarget(
                stage="production",
                region=region,
                account=production_account,
                build=_builder("BrProduction"),
                checks=["eks:BrProduction-Cluster:general"],
            )
            for region in ("us-east-1", "eu-west-1")
        ),
    ]


def _synth(outdir: Path, waves: Sequence[PipelineWave]) -> Path:
    app = App(context=cdk_json_context(), outdir=str(outdir))
    add_nag_checks(app)
    config = PipelineConfig.from_context(CONTEXT, default_account=PIPELINE)
    assert config is not None
    PipelineStack(app, "BrPipeline", config=config, waves=waves)
    app.synth()
    return outdir


def _template(outdir: Path) -> dict[str, Any]:
    return dict(json.loads((outdir / "BrPipeline.template.json").read_text()))


def _of_type(template: Mapping[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def _stages(template: Mapping[str, Any]) -> list[dict[str, Any]]:
    (pipeline,) = _of_type(template, "AWS::CodePipeline::Pipeline").values()
    return list(pipeline["Properties"]["Stages"])


def _stage(template: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    return next(list(s["Actions"]) for s in _stages(template) if s["Name"] == name)


def _buildspec(template: Mapping[str, Any], project_ref: Mapping[str, Any]) -> dict[str, Any]:
    """A CodeBuild project's buildspec, with any Fn::Join (the partition token) flattened to text."""
    spec = template["Resources"][project_ref["Ref"]]["Properties"]["Source"]["BuildSpec"]
    if isinstance(spec, dict):
        spec = "".join(p if isinstance(p, str) else "${" + p["Ref"] + "}" for p in spec["Fn::Join"][1])
    return dict(json.loads(spec))


def _role_statements(template: Mapping[str, Any], project_ref: Mapping[str, Any]) -> list[dict[str, Any]]:
    project = template["Resources"][project_ref["Ref"]]
    role = project["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    return [
        stmt
        for policy in _of_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for stmt in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def toy_pipeline() -> Path:
    """Pilot and canary in the pipeline's account, production in another account and two regions: synthesized once
    per test run (shared by the workers; read it, do not write to it)."""

    def build(outdir: Path) -> None:
        _synth(outdir, stage_waves(_targets()))

    return once_per_run("toypipeline", build)


@pytest.fixture(scope="module")
def synthesized() -> Path:
    return toy_pipeline()


@pytest.fixture(scope="module")
def template(synthesized: Path) -> dict[str, Any]:
    return _template(synthesized)


# --- waves, order, approval ----------------------------------------------------------------------------------


def test_stages_run_source_build_update_then_pilot_canary_production(template: dict[str, Any]) -> None:
    # A one-target wave is named after its target (CDK Pipelines flattens it); production has two regions.
    assert [s["Name"] for s in _stages(template)] == [
        "Source",
        "Build",
        "UpdatePipeline",
        "Assets",
        "pilot-us-west-2",
        "canary-us-east-1",
        "production",
    ]
    (source,) = _stage(template, "Source")
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["ConnectionArn"] == ARN
    assert source["Configuration"]["FullRepositoryId"] == "example/constructs-br"
    assert source["Configuration"]["BranchName"] == "main"


def test_production_regions_deploy_in_parallel_after_the_manual_approval(template: dict[str, Any]) -> None:
    actions = _stage(template, "production")
    approvals = [a for a in actions if a["ActionTypeId"]["Category"] == "Approval"]
    assert [a["ActionTypeId"]["Provider"] for a in approvals] == ["Manual"]
    deploys = [a for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert approvals[0]["RunOrder"] < min(a["RunOrder"] for a in deploys)
    by_step: dict[str, set[int]] = {}
    regions: dict[str, set[str]] = {}
    for a in deploys:
        step = a["Name"].rsplit(".", 1)[1]  # Prepare | Deploy
        by_step.setdefault(step, set()).add(a["RunOrder"])
        regions.setdefault(step, set()).add(a.get("Region", "us-east-1"))  # no Region: the pipeline's own
    assert by_step.keys() == {"Prepare", "Deploy"}
    assert all(len(orders) == 1 for orders in by_step.values()), by_step  # both regions at once
    assert max(by_step["Prepare"]) < min(by_step["Deploy"])
    assert regions == {"Prepare": {"us-east-1", "eu-west-1"}, "Deploy": {"us-east-1", "eu-west-1"}}
    assert all(a["Configuration"]["StackName"] == "BrProduction" for a in deploys)


def test_only_production_waits_for_an_approval(template: dict[str, Any]) -> None:
    for name in ("pilot-us-west-2", "canary-us-east-1"):
        assert all(a["ActionTypeId"]["Category"] != "Approval" for a in _stage(template, name)), name


def test_stage_waves_orders_stages_and_sets_the_approval() -> None:
    targets = _targets()
    waves = stage_waves(reversed(targets))
    assert [(w.name, w.approval, len(w.targets)) for w in waves] == [
        ("pilot", False, 1),
        ("canary", False, 1),
        ("production", True, 2),
    ]
    assert [w.approval for w in stage_waves(targets, approval_stages=("canary", "production"))] == [
        False,
        True,
        True,
    ]


# --- the synth step and the post-deploy checks ---------------------------------------------------------------


def test_synth_runs_make_test_then_make_synth_and_installs_nothing_by_hand(template: dict[str, Any]) -> None:
    (synth,) = _stage(template, "Build")
    spec = _buildspec(template, synth["Configuration"]["ProjectName"])
    assert spec["phases"] == {"build": {"commands": ["make test", "make synth"]}}
    assert spec["artifacts"]["base-directory"] == "cdk.out"


def test_self_mutation_installs_the_pinned_cdk_cli(template: dict[str, Any]) -> None:
    (mutate,) = _stage(template, "UpdatePipeline")
    spec = _buildspec(template, mutate["Configuration"]["ProjectName"])
    version = pinned_cdk_cli_version()
    assert version is not None
    assert spec["phases"]["install"]["commands"] == [f"npm install -g aws-cdk@{version}"]


def _checks(template: dict[str, Any], stage: str, prefix: str = "") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    actions = _stage(template, stage)
    (check,) = [a for a in actions if a["Name"] == prefix + "Checks"]
    deploys = [a for a in actions if a["Name"].startswith(prefix) and a["Name"].endswith(".Deploy")]
    assert deploys
    assert check["RunOrder"] > max(a["RunOrder"] for a in deploys)  # after the target's stacks deployed
    return check, _role_statements(template, check["Configuration"]["ProjectName"])


_READ_ONLY = {
    "autoscaling:DescribeAutoScalingGroups",
    "ec2:DescribeImages",
    "ec2:DescribeInstances",
    "ec2:DescribeLaunchTemplateVersions",
}
_EKS = {"eks:ListNodegroups", "eks:DescribeNodegroup"}
_ECS = {
    "ecs:DescribeClusters",
    "ecs:ListContainerInstances",
    "ecs:DescribeContainerInstances",
    "ecs:DescribeServices",
    "ecs:ListServices",
    "ecs:DescribeCapacityProviders",
}


def _own(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The step's own statements (not the framework's grants on the artifact bucket, its key and CodeBuild logs)."""

    def actions(s: dict[str, Any]) -> list[str]:
        return [s["Action"]] if isinstance(s["Action"], str) else list(s["Action"])

    framework = ("s3:", "kms:", "logs:", "codebuild:")
    return [s for s in statements if not all(a.startswith(framework) for a in actions(s))]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_pilot_check_runs_drift_and_cutover_status_with_exactly_the_read_only_calls(template: dict[str, Any]) -> None:
    check, statements = _checks(template, "pilot-us-west-2")
    spec = _buildspec(template, check["Configuration"]["ProjectName"])
    assert spec["phases"]["install"]["commands"] == ["make setup"]
    assert spec["phases"]["build"]["commands"] == [
        ".venv/bin/brctl drift --stage pilot --region us-west-2 --cluster BrPilot-Cluster",
        ".venv/bin/brctl cutover status --cluster BrPilot-Cluster --pair general --stage pilot --region us-west-2",
        '.venv/bin/brctl cutover status --cluster "$BR_CLUSTER_1" --pair general --stage pilot --region us-west-2'
        " --ecs",
    ]
    # The ECS cluster's generated name comes from the stack output, read after the stack deployed.
    env = json.loads(check["Configuration"]["EnvironmentVariables"])
    assert {
        "name": "BR_CLUSTER_1",
        "type": "PLAINTEXT",
        "value": "#{BrPipelinepilotuswest2PlatformFC666CFC.ClusterName}",
    } in env
    own = _own(statements)
    assert _actions(own) == _READ_ONLY | _EKS | _ECS
    assert all(s["Effect"] == "Allow" for s in own)
    star = {
        a for s in own if s["Resource"] == "*" for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert star == _READ_ONLY | {"ecs:ListServices", "ecs:DescribeCapacityProviders"}
    (list_services,) = [s for s in own if s["Action"] == "ecs:ListServices"]
    assert "ecs:cluster" in list_services["Condition"]["ArnLike"]
    resources = json.dumps([s["Resource"] for s in own if s["Resource"] != "*"])
    assert ":eks:us-west-2:123456789012:cluster/BrPilot-Cluster" in resources
    assert ":ecs:us-west-2:123456789012:cluster/BrPilot-*" in resources


def test_canary_check_has_no_ecs_grants_when_it_checks_no_ecs_pair(template: dict[str, Any]) -> None:
    check, statements = _checks(template, "canary-us-east-1")
    commands = _buildspec(template, check["Configuration"]["ProjectName"])["phases"]["build"]["commands"]
    assert commands == [
        ".venv/bin/brctl drift --stage canary --region us-east-1 --cluster BrCanary-Cluster",
        ".venv/bin/brctl cutover status --cluster BrCanary-Cluster --pair general --stage canary --region us-east-1",
    ]
    assert _actions(_own(statements)) == _READ_ONLY | _EKS


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_cross_account_check_assumes_the_target_lookup_role_only(template: dict[str, Any], region: str) -> None:
    check, statements = _checks(template, "production", prefix=f"production-{region}.")
    spec = _buildspec(template, check["Configuration"]["ProjectName"])
    role = f"arn:${{AWS::Partition}}:iam::{OTHER}:role/cdk-hnb659fds-lookup-role-{OTHER}-{region}"
    assert spec["phases"]["install"]["commands"] == [
        "make setup",
        f"aws configure set profile.br-target.role_arn {role}",
        "aws configure set profile.br-target.credential_source EcsContainer",
    ]
    assert spec["phases"]["build"]["commands"] == [
        f"AWS_PROFILE=br-target .venv/bin/brctl drift --stage production --region {region}"
        " --cluster BrProduction-Cluster",
        "AWS_PROFILE=br-target .venv/bin/brctl cutover status --cluster BrProduction-Cluster --pair general "
        f"--stage production --region {region}",
    ]
    (assume,) = _own(statements)
    assert assume["Action"] == "sts:AssumeRole"
    assert "".join(p if isinstance(p, str) else "${AWS::Partition}" for p in assume["Resource"]["Fn::Join"][1]) == role


def test_cross_account_targets_get_a_rotating_artifact_key(template: dict[str, Any]) -> None:
    keys = _of_type(template, "AWS::KMS::Key")
    assert len(keys) == 1
    assert next(iter(keys.values()))["Properties"]["EnableKeyRotation"] is True


def test_single_account_pipeline_has_no_artifact_key(tmp_path: Path) -> None:
    template = _template(_synth(tmp_path, stage_waves(_targets(PIPELINE))))
    assert _of_type(template, "AWS::KMS::Key") == {}
    _, statements = _checks(template, "production", prefix="production-us-east-1.")
    assert _actions(_own(statements)) == _READ_ONLY | _EKS  # same account: the calls themselves, no assume


# --- gates: cdk-nag, cfn-lint, checkov -----------------------------------------------------------------------


def test_nag_finds_nothing_unacknowledged(synthesized: Path) -> None:
    report = json.loads((synthesized / "validation-report.json").read_text())
    assert {r["pluginName"] for r in report["pluginReports"]} == {"AwsSolutions", "NIST.800.53.R5"}
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success"
        assert plugin["violations"] == []
        assert plugin["suppressedViolations"], "the framework's findings are acknowledged, not gone"
        for ack in plugin["suppressedViolations"]:
            assert len(ack["reason"].split()) >= 6, ack


def test_nag_covers_the_stage_copies_inside_the_pipeline(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        _synth(tmp_path, stage_waves(_targets(planted=True)))
    report = json.loads((tmp_path / "validation-report.json").read_text())
    paths = {
        c.get("constructPath")
        for r in report["pluginReports"]
        for v in r["violations"]
        for c in v.get("violatingConstructs", [])
    }
    assert "BrPipeline/pilot-us-west-2/Platform/Planted" in paths


def pipeline_templates(outdir: Path) -> list[Path]:
    files = sorted(outdir.glob("*.template.json"))
    assert [f.name for f in files] == [
        "BrPipeline.template.json",
        "cross-region-stack-123456789012_eu-west-1.template.json",
        "cross-region-stack-123456789012_us-west-2.template.json",
    ]
    return files


@pytest.mark.scans
def test_cfn_lint_clean_on_the_pipeline_templates() -> None:
    assert [f.name for f in linted("toy-pipeline")] == [f.name for f in pipeline_templates(toy_pipeline())]
    matches = lint("toy-pipeline")
    assert matches == [], described(matches)


@pytest.mark.scans
def test_checkov_finds_nothing_unexplained() -> None:
    results = scan("toy-pipeline")["results"]  # only the pipeline's templates, not the stage assemblies
    assert {c["file_path"].lstrip("/") for c in results["passed_checks"]} == {
        f.name for f in pipeline_templates(toy_pipeline())
    }
    assert [f"{c['check_id']} {c['resource']}" for c in results["failed_checks"]] == []
    skipped = results["skipped_checks"]
    assert {c["check_id"] for c in skipped} == {"CKV_AWS_18", "CKV_AWS_21", "CKV_AWS_111"}
    assert all(len(skip_reason(c).split()) >= 6 for c in skipped)


# --- configuration errors ------------------------------------------------------------------------------------


def test_no_connection_no_pipeline() -> None:
    assert PipelineConfig.from_context({"br:account": PIPELINE}, default_account=PIPELINE) is None


def test_defaults() -> None:
    config = PipelineConfig.from_context(CONTEXT, default_account="111111111111")
    assert config == PipelineConfig(
        connection_arn=ARN,
        repository="example/constructs-br",
        branch="main",
        account="111111111111",
        region="us-east-1",
    )


def test_codestar_connection_arns_are_accepted_too() -> None:
    arn = ARN.replace("codeconnections", "codestar-connections")
    config = PipelineConfig.from_context({**CONTEXT, "br:pipeline:connection-arn": arn}, default_account=PIPELINE)
    assert config is not None
    assert config.connection_arn == arn


@pytest.mark.parametrize(
    ("overrides", "field", "value"),
    [
        ({"br:pipeline:connection-arn": "arn:aws:s3:::bucket"}, "br:pipeline:connection-arn", "arn:aws:s3:::bucket"),
        (
            {"br:pipeline:connection-arn": ARN.replace("0123abcd-", "nope-")},
            "br:pipeline:connection-arn",
            ARN.replace("0123abcd-", "nope-"),
        ),
        ({"br:pipeline:repository": "constructs-br"}, "br:pipeline:repository", "constructs-br"),
        ({"br:pipeline:repository": "a/b/c"}, "br:pipeline:repository", "a/b/c"),
        ({"br:pipeline:branch": "-rf"}, "br:pipeline:branch", "-rf"),
        ({"br:pipeline:branch": "a..b"}, "br:pipeline:branch", "a..b"),
        ({"br:pipeline:account": "12345"}, "br:pipeline:account", "12345"),
        ({"br:pipeline:region": "mars-1"}, "br:pipeline:region", "mars-1"),
        ({"br:pipeline:brnch": "main"}, "br:pipeline:brnch", "main"),
    ],
)
def test_each_bad_key_is_named_with_its_value(overrides: dict[str, str], field: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        PipelineConfig.from_context({**CONTEXT, **overrides}, default_account=PIPELINE)
    assert err.value.fields == (field,)
    assert f"{field}: got {value!r}; allowed: " in str(err.value)


def test_missing_repository_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        PipelineConfig.from_context({"br:pipeline:connection-arn": ARN}, default_account=PIPELINE)
    assert err.value.fields == ("br:pipeline:repository",)
    assert "required with a connection" in str(err.value)


def test_pipeline_keys_without_a_connection_are_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        PipelineConfig.from_context({"br:pipeline:repository": "o/r"}, default_account=PIPELINE)
    assert err.value.fields == ("br:pipeline:connection-arn",)
    assert "br:pipeline:repository set without it" in str(err.value)


def test_every_problem_is_collected_at_once() -> None:
    bad = {
        "br:pipeline:connection-arn": "x",
        "br:pipeline:repository": "x",
        "br:pipeline:region": "x",
        "br:pipeline:z": 1,
    }
    with pytest.raises(ConfigError) as err:
        PipelineConfig.from_context(bad, default_account="x")
    assert set(err.value.fields) == {
        "br:pipeline:z",
        "br:pipeline:connection-arn",
        "br:pipeline:repository",
        "br:pipeline:account",
        "br:pipeline:region",
    }


def _config() -> PipelineConfig:
    config = PipelineConfig.from_context(CONTEXT, default_account=PIPELINE)
    assert config is not None
    return config


def _target(**kwargs: Any) -> PipelineTarget:
    values: dict[str, Any] = {
        "stage": "pilot",
        "region": "us-west-2",
        "account": PIPELINE,
        "build": _builder("BrPilot"),
    }
    return PipelineTarget(**{**values, **kwargs})


@pytest.mark.parametrize(
    ("waves", "field", "value"),
    [
        ([], "pipeline.waves", ()),
        ([PipelineWave(name="pilot", targets=[])], "pipeline.waves[0].targets", ()),
        ([PipelineWave(name="1st", targets=[_target()])], "pipeline.waves[0].name", "1st"),
        (
            [
                PipelineWave(name="pilot", targets=[_target()]),
                PipelineWave(name="pilot", targets=[_target(region="us-east-1")]),
            ],
            "pipeline.waves[1].name",
            "pilot",
        ),
        (
            [PipelineWave(name="pilot", targets=[_target(), _target()])],
            "pipeline.waves[0].targets[1]",
            "pilot-us-west-2",
        ),
        ([PipelineWave(name="pilot", targets=[_target(account="42")])], "pipeline.waves[0].targets[0].account", "42"),
        ([PipelineWave(name="pilot", targets=[_target(region="west")])], "pipeline.waves[0].targets[0].region", "west"),
        (
            [PipelineWave(name="pilot", targets=[_target(checks=["k8s:c:general"])])],
            "pipeline.waves[0].targets[0].checks[0]",
            "k8s:c:general",
        ),
        (
            [PipelineWave(name="pilot", targets=[_target(checks=["eks:c:General"])])],
            "pipeline.waves[0].targets[0].checks[0].pair",
            "General",
        ),
        (
            [PipelineWave(name="pilot", targets=[_target(checks=["ecs:@BrPilot.NoSuchOutput:general"])])],
            "pipeline.pilot-us-west-2.checks[0]",
            "@BrPilot.NoSuchOutput",
        ),
    ],
)
def test_bad_waves_and_targets_are_named(waves: list[PipelineWave], field: str, value: object) -> None:
    with pytest.raises(ConfigError) as err:
        PipelineStack(App(), "BrPipeline", config=_config(), waves=waves)
    assert err.value.fields == (field,)
    assert f"{field}: got {value!r}; allowed: " in str(err.value)


def test_stacks_without_an_explicit_name_are_refused() -> None:
    def unnamed(stage: Stage) -> None:
        Stack(stage, "BrPilot")  # CDK would name it pilot-us-west-2-BrPilot: a second copy of BrPilot

    wave = PipelineWave(name="pilot", targets=[_target(build=unnamed)])
    with pytest.raises(ConfigError) as err:
        PipelineStack(App(), "BrPipeline", config=_config(), waves=[wave])
    assert err.value.fields == ("pipeline.pilot-us-west-2.stacks",)
    assert "got 'pilot-us-west-2-BrPilot'; allowed: an explicit stack_name" in str(err.value)


def test_a_builder_that_builds_nothing_is_refused() -> None:
    wave = PipelineWave(name="pilot", targets=[_target(build=lambda stage: None)])
    with pytest.raises(ConfigError) as err:
        PipelineStack(App(), "BrPipeline", config=_config(), waves=[wave])
    assert err.value.fields == ("pipeline.pilot-us-west-2.build",)


def test_stage_waves_refuses_unknown_stages() -> None:
    with pytest.raises(ConfigError) as err:
        stage_waves([_target(stage="staging")], approval_stages=("prod",))
    assert err.value.fields == ("pipeline.targets[0].stage", "pipeline.approval_stages")
    assert re.search(r"got 'staging'; allowed: pilot \| canary \| production", str(err.value))
