"""brctl on a stage with two regions: ``--region R`` picks the stage's stacks deployed to ``R`` (``-R`` names in a
secondary region) from the assembly's stack environments; the operator stack is used when the app has one.

The assembly is this repository's app synthesized with ``br:production:regions = us-east-1,eu-west-1`` (narrowed to
that stage), so names and environments are what CDK writes, not hand-made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_br.cli._assembly import ECS, EKS, NODES, OPERATORS, deploy_stack_name, stage_stack_set
from constructs_br.cli._project import ProjectConfig, load_project
from constructs_br.cli.main import EXIT_USAGE, main
from constructs_br.cli.preflight import (
    DEFAULT_BOOTSTRAP_PARAMETER,
    EXAMPLE_PINS_RULE,
    StackArtifact,
    check_assembly,
    check_pins,
    refused_pins,
)
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import Lockfile, Pin, refresh_command
from tests.cli.conftest import Moto

PRIMARY, SECOND = "us-east-1", "eu-west-1"


@pytest.fixture(scope="module")
def two_regions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's production stage in two regions, synthesized once per run, copied for the module."""
    from tests.conftest import copy_assembly, synthesized

    context = {"br:stages": "production", "br:production:regions": f"{PRIMARY},{SECOND}"}
    return copy_assembly(synthesized(context), tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="module")
def repo_project(repo_root: Path) -> ProjectConfig:
    return load_project(repo_root / "pyproject.toml")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the stack set ------------------------------------------------------------------------------------------------
def test_stack_set_by_environment(two_regions: Path, repo_project: ProjectConfig) -> None:
    primary = stage_stack_set(repo_project, "production", two_regions)
    assert primary.regions == (PRIMARY, SECOND)
    assert primary.region == PRIMARY
    assert [primary.name(r) for r in (EKS, NODES, ECS)] == ["BrProduction", "BrProductionNodes", "BrProductionEcs"]
    assert {s.region for s in primary.present.values()} == {PRIMARY}

    second = stage_stack_set(repo_project, "production", two_regions, region=SECOND)
    assert second.region == SECOND
    assert [second.name(r) for r in (EKS, NODES, ECS)] == [
        "BrProduction-eu-west-1",
        "BrProductionNodes-eu-west-1",
        "BrProductionEcs-eu-west-1",
    ]
    assert {s.region for s in second.present.values()} == {SECOND}
    assert second.name(OPERATORS) == "BrProductionOperators-eu-west-1"  # named even when the app has none

    same = stage_stack_set(repo_project, "production", two_regions, region=PRIMARY)
    assert same.names == primary.names


def test_unknown_region_names_the_stage_regions(two_regions: Path, repo_project: ProjectConfig) -> None:
    with pytest.raises(ConfigError) as err:
        stage_stack_set(repo_project, "production", two_regions, region="ap-south-1")
    (problem,) = err.value.problems
    assert (problem.field, problem.value) == ("--region", "ap-south-1")
    assert problem.allowed == f"a region stage production has stacks in: {PRIMARY}, {SECOND}"


def test_without_a_manifest_names_are_looked_up(tmp_path: Path) -> None:
    project = ProjectConfig(eks_stack="App{Stage}", nodes_stack="App{Stage}Nodes")
    (tmp_path / "AppPilot.template.json").write_text('{"Resources": {}}')
    (tmp_path / "AppPilotNodes-eu-west-1.template.json").write_text('{"Resources": {}}')
    found = stage_stack_set(project, "pilot", tmp_path, region=SECOND)
    assert set(found.present) == {EKS, NODES}
    # no environments to read: the -<region> template when there is one, else the primary name
    assert (found.name(EKS), found.name(NODES)) == ("AppPilot", "AppPilotNodes-eu-west-1")
    (tmp_path / "AppPilot.template.json").write_text("[1]")
    with pytest.raises(ConfigError) as err:
        stage_stack_set(project, "pilot", tmp_path)
    assert "a CloudFormation template: a JSON object with Resources" in str(err.value)


def test_unreadable_manifest_is_a_named_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ConfigError) as err:
        stage_stack_set(ProjectConfig(), "pilot", tmp_path)
    assert f"{tmp_path / 'manifest.json'}: got '<JSONDecodeError>'" in str(err.value)


def test_deploy_stack_name_per_region(two_regions: Path, repo_project: ProjectConfig, tmp_path: Path) -> None:
    assert deploy_stack_name(repo_project, "production", NODES, two_regions, SECOND) == "BrProductionNodes-eu-west-1"
    assert deploy_stack_name(repo_project, "production", ECS, two_regions, SECOND) == "BrProductionEcs-eu-west-1"
    assert deploy_stack_name(repo_project, "production", NODES, two_regions, PRIMARY) == "BrProductionNodes"
    assert deploy_stack_name(repo_project, "production", NODES, two_regions, None) == "BrProductionNodes"
    # no assembly, or one without that region: the primary name (nothing better is known)
    assert deploy_stack_name(repo_project, "production", NODES, tmp_path, SECOND) == "BrProductionNodes"
    assert deploy_stack_name(repo_project, "production", NODES, two_regions, "ap-south-1") == "BrProductionNodes"


# --- the commands -------------------------------------------------------------------------------------------------
def test_userdata_render_per_region(two_regions: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--project", str(repo_root / "pyproject.toml"), "userdata", "render", "--stage", "production"]
    code, out, err = _run(capsys, *base, "--nodegroup", "arm", "--assembly", str(two_regions), "--region", SECOND)
    assert code == 0, err
    assert err.startswith("# BrProductionNodes-eu-west-1 ")
    assert 'cluster-name = "${Token[Ref BrProduction-eu-west-1/' in out  # the cluster of that region's stack
    code, primary, err = _run(capsys, *base, "--nodegroup", "arm", "--assembly", str(two_regions))
    assert code == 0, err
    assert err.startswith("# BrProductionNodes ")
    assert 'cluster-name = "${Token[Ref BrProduction/' in primary
    code, _, err = _run(capsys, *base, "--ecs", "--nodegroup", "general", "--assembly", str(two_regions),
                        "--region", SECOND)  # fmt: skip
    assert code == 0, err
    assert err.startswith("# BrProductionEcs-eu-west-1 ")
    code, _, err = _run(capsys, *base, "--nodegroup", "arm", "--assembly", str(two_regions), "--region", "mars-1")
    assert code == EXIT_USAGE
    assert "--region: got 'mars-1'" in err


def test_report_per_region(two_regions: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--project", str(repo_root / "pyproject.toml"), "report", "--format", "json", "--stage", "production",
            "--assembly", str(two_regions)]  # fmt: skip
    _, out, _ = _run(capsys, *argv, "--region", SECOND)
    (report,) = json.loads(out)["reports"]
    assert {"BrProduction-eu-west-1", "BrProductionNodes-eu-west-1", "BrProductionEcs-eu-west-1"} <= set(
        report["stacks"]
    )
    assert all(name.endswith("-eu-west-1") for name in report["stacks"])
    admin = next(c for c in report["controls"] if c["id"] == "admin-access")
    assert any(e.startswith("BrProductionNodes-eu-west-1/") for e in admin["evidence"])
    _, out, _ = _run(capsys, *argv)
    (primary,) = json.loads(out)["reports"]
    assert not any(name.endswith("-eu-west-1") for name in primary["stacks"])
    code, _, err = _run(capsys, *argv, "--region", "ap-south-1")
    assert code == EXIT_USAGE
    assert "--region: got 'ap-south-1'; allowed: a region stage production has stacks in" in err


def test_access_show_per_region(two_regions: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--project", str(repo_root / "pyproject.toml"), "access", "show", "--stage", "production", "--json",
            "--assembly", str(two_regions)]  # fmt: skip
    code, out, err = _run(capsys, *argv, "--region", SECOND)
    assert code == 0, err
    facts = json.loads(out)
    assert facts["stack"] == "BrProduction-eu-west-1"
    assert facts["stacks"][0] == "BrProduction-eu-west-1"
    assert facts["roles"]
    assert all(str(r["role_name"]).startswith("bottlerocket-eu-west-1-") for r in facts["roles"])  # IAM is global
    code, out, _ = _run(capsys, *argv)
    assert (code, json.loads(out)["stack"]) == (0, "BrProduction")


def test_preflight_per_region(
    moto: Moto, two_regions: Path, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moto.client("iam").create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    for region in (PRIMARY, SECOND):
        moto.client("ssm", region).put_parameter(Name=DEFAULT_BOOTSTRAP_PARAMETER, Value="30", Type="String")
    argv = ["preflight", "--project", str(repo_root / "pyproject.toml"), "--stage", "production", "--json",
            "--assembly", str(two_regions), "--lockfile", str(repo_root / "bottlerocket.lock.json")]  # fmt: skip
    code, out, err = _run(capsys, *argv, "--region", SECOND)
    assert code == 1, err  # the committed pins are examples
    doc = json.loads(out)
    names = [(s["name"], s["region"]) for s in doc["stacks"]]
    assert names[:3] == [
        ("BrProduction-eu-west-1", SECOND),
        ("BrProductionNodes-eu-west-1", SECOND),
        ("BrProductionEcs-eu-west-1", SECOND),
    ]
    assert all(region == SECOND for _, region in names)
    pins = [f for f in doc["findings"] if f["check"] == "pins"]
    assert pins
    assert all(f["target"].startswith(SECOND) for f in pins)
    assert any("BrProductionNodes-eu-west-1 refuses to deploy" in f["detail"] for f in pins)
    assert {f["status"] for f in doc["findings"] if f["check"] not in ("pins",)} == {"ok"}


# --- the operator stack, when the app has one ---------------------------------------------------------------------
def _manifest(out: Path, stacks: dict[str, dict[str, Any]], region: str = "us-west-2") -> None:
    artifacts: dict[str, Any] = {}
    for name, template in stacks.items():
        (out / f"{name}.template.json").write_text(json.dumps(template))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://123456789012/{region}",
            "properties": {"templateFile": f"{name}.template.json", "requiresBootstrapStackVersion": 6},
        }
    (out / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))


def test_operator_stack_is_used_when_present(tmp_path: Path) -> None:
    project = ProjectConfig(eks_stack="Br{Stage}", nodes_stack="Br{Stage}Nodes", ecs_stack="Br{Stage}Ecs",
                            operators_stack="Br{Stage}Operators")  # fmt: skip
    empty: dict[str, Any] = {"Resources": {}}
    _manifest(tmp_path, {"BrPilot": empty, "BrPilotNodes": empty, "BrPilotEcs": empty})
    without = stage_stack_set(project, "pilot", tmp_path)
    assert without.present_names() == ["BrPilot", "BrPilotNodes", "BrPilotEcs"]
    _manifest(tmp_path, {"BrPilot": empty, "BrPilotNodes": empty, "BrPilotEcs": empty, "BrPilotOperators": empty})
    with_ops = stage_stack_set(project, "pilot", tmp_path)
    assert with_ops.present_names() == ["BrPilot", "BrPilotNodes", "BrPilotEcs", "BrPilotOperators"]


def test_access_show_adds_the_operator_stack_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.brctl]\nstages = ["pilot"]\neks-stack = "Br{Stage}"\noperators-stack = "Br{Stage}Operators"\n'
    )
    out = tmp_path / "cdk.out"
    out.mkdir()
    entry = {
        "Type": "AWS::EKS::AccessEntry",
        "Properties": {
            "PrincipalArn": "arn:aws:iam::123456789012:role/kubectl",
            "AccessPolicies": [
                {
                    "PolicyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                    "AccessScope": {"Type": "cluster"},
                }
            ],
        },
    }
    own = json.loads(json.dumps(entry))
    own["Properties"]["PrincipalArn"] = {"Fn::GetAtt": ["KubectlRole", "Arn"]}  # the stack's own role, unnamed
    resources = {"KubectlEntry": entry, "OwnEntry": own, "KubectlRole": {"Type": "AWS::IAM::Role"}}
    _manifest(out, {"BrPilot": {"Resources": {}}, "BrPilotOperators": {"Resources": resources}})
    code, stdout, err = _run(capsys, "--project", str(tmp_path / "pyproject.toml"), "access", "show", "--stage",
                             "pilot", "--json")  # fmt: skip
    assert code == 0, err
    facts = json.loads(stdout)
    assert (facts["stack"], facts["stacks"]) == ("BrPilot", ["BrPilot", "BrPilotOperators"])
    assert facts["access_entries"] == [
        {
            "principal": "<BrPilotOperators/KubectlRole>",
            "policy": "AmazonEKSClusterAdminPolicy",
            "scope": "cluster",
            "namespaces": [],
        },
        {
            "principal": "arn:aws:iam::123456789012:role/kubectl",
            "policy": "AmazonEKSClusterAdminPolicy",
            "scope": "cluster",
            "namespaces": [],
        },
    ]


# --- the example-pin rule lives in the stacks that launch instances ------------------------------------------------
def _pin(arch: str, *, example: bool) -> Pin:
    return Pin(
        region="us-west-2",
        variant="aws-k8s-1.33",
        arch=arch,
        image_id="ami-0123456789abcdef0",
        image_version="1.50.0-00000000",
        ssm_path=f"/aws/service/bottlerocket/aws-k8s-1.33/{arch}/latest/image_id",
        resolved_at="2026-01-01T00:00:00Z",
        example=example,
    )


def _rule_stack(name: str, *keys: tuple[str, str, str]) -> StackArtifact:
    text = "This stack uses example image pins: " + "; ".join(refresh_command(*k) for k in keys)
    rule = {"Assertions": [{"Assert": False, "AssertDescription": text}]}
    return StackArtifact(name, "123456789012", "us-west-2", 6, DEFAULT_BOOTSTRAP_PARAMETER,
                         {"Resources": {}, "Rules": {EXAMPLE_PINS_RULE: rule}})  # fmt: skip


def test_assembly_check_compares_the_pins_a_rule_names() -> None:
    x86, arm = ("us-west-2", "aws-k8s-1.33", "x86_64"), ("us-west-2", "aws-k8s-1.33", "arm64")
    nodes = _rule_stack("BrPilotNodes", x86)
    assert refused_pins(nodes.template) == {x86}
    platform = StackArtifact("BrPilot", "123456789012", "us-west-2", 6, DEFAULT_BOOTSTRAP_PARAMETER, {"Resources": {}})
    still_example = Lockfile([_pin("x86_64", example=True)])
    assert check_assembly([platform, nodes], still_example) == []
    # x86_64 refreshed, another example (arm64) left in the region: the old region test would have stayed silent
    refreshed = Lockfile([_pin("x86_64", example=False), _pin("arm64", example=True)])
    (finding,) = check_assembly([platform, nodes], refreshed)
    assert (finding.check, finding.target, finding.status, finding.fix) == (
        "assembly",
        "BrPilotNodes",
        "lacking",
        "npx cdk synth",
    )
    assert "us-west-2/aws-k8s-1.33/x86_64, no longer an example pin" in finding.detail
    assert check_assembly([_rule_stack("BrPilotEcs", arm)], refreshed) == []


def test_example_pin_finding_names_the_refusing_stacks() -> None:
    lock = Lockfile([_pin("arm64", example=True)])
    arm = ("us-west-2", "aws-k8s-1.33", "arm64")
    stacks = [_rule_stack("BrPilotNodes", arm), _rule_stack("BrPilotEcs", arm)]
    (finding,) = check_pins("us-west-2", lock, "l.json", stacks)
    assert "BrPilotNodes, BrPilotEcs refuse to deploy (ExamplePinsRefused)" in finding.detail
    (alone,) = check_pins("us-west-2", lock, "l.json")
    assert "stacks using it refuse to deploy (ExamplePinsRefused)" in alone.detail


def test_preflight_checks_a_stack_named_for_two_roles_once(tmp_path: Path) -> None:
    from constructs_br.cli.preflight import _stacks_or_usage

    project = ProjectConfig(eks_stack="Fleet", nodes_stack="Fleet", ecs_stack="FleetEcs")  # node groups in Fleet
    _manifest(tmp_path, {"Fleet": {"Resources": {}}, "FleetEcs": {"Resources": {}}})
    chosen = _stacks_or_usage(project, "pilot", tmp_path)
    assert not isinstance(chosen, str)
    stacks, by_region = chosen
    assert ([s.name for s in stacks], by_region) == (["Fleet", "FleetEcs"], False)
