"""brctl userdata validate / render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_br import tags
from constructs_br.cli.main import main
from constructs_br.cli.userdata import decode_cfn_user_data, placeholder
from constructs_br.settings import validate_user_data

ROOT = Path(__file__).resolve().parents[3]
PYPROJECT = ROOT / "pyproject.toml"

GOOD = '[settings.kubernetes]\nmax-pods = 110\n[settings.kubernetes.node-taints]\ndedicated = "gpu:NoSchedule"\n'
BAD = '[settings.kubernetes]\nmax-pods = "110"\n[settings.kubernetes.node-taints]\ndedicated = "gpu=true:NoSchedule"\n'


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(GOOD)
    bad.write_text(BAD)
    return good, bad


def test_validate_all_valid(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(files[0])]) == 0
    assert "ok" in capsys.readouterr().out


def test_validate_invalid_prints_every_error(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(files[0]), str(files[1])]) == 1
    out = capsys.readouterr().out
    assert "settings.kubernetes.max-pods: got '110'" in out
    assert "settings.kubernetes.node-taints.dedicated: got 'gpu=true:NoSchedule'" in out


def test_validate_json(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", "--json", *map(str, files)]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["valid"] is False
    assert [f["valid"] for f in payload["files"]] == [True, False]
    assert [p["field"] for p in payload["files"][1]["problems"]] == [
        "settings.kubernetes.max-pods",
        "settings.kubernetes.node-taints.dedicated",
    ]


def test_validate_wrong_variant_family(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-ecs-2", str(files[0])]) == 1
    assert "settings.kubernetes: got" in capsys.readouterr().out


def test_validate_usage_errors(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-k8s", str(files[0])]) == 2
    assert "variant" in capsys.readouterr().err
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33"]) == 2


def test_validate_invalid_toml_is_a_failed_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "broken.toml"
    f.write_text("[settings.kubernetes\n")
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(f)]) == 1
    assert f"{f}: got '[settings.kubernetes'; allowed: a TOML document" in capsys.readouterr().out


def test_validate_retired_variant_is_a_usage_error(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["userdata", "validate", "--variant", "aws-ecs-1", str(files[0])]) == 2
    assert "aws-ecs-1 is retired" in capsys.readouterr().err


# --- render: from the synthesized cloud assembly -------------------------------------------------------------------
@pytest.fixture(scope="module")
def assembly() -> Path:
    """This repository's app as ``cdk synth`` builds it, synthesized once per run (tests may import ``stacks``;
    brctl may not); brctl only reads the directory."""
    from tests.conftest import synthesized

    return synthesized({})


def render(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--project", str(PYPROJECT), "userdata", "render", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_render_eks_node_group_from_the_assembly(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = render(capsys, "--stage", "production", "--nodegroup", "arm", "--assembly", str(assembly))
    assert code == 0, err
    assert err.startswith("# BrProductionNodes ")  # node groups live in Br<Stage>Nodes (was Br<Stage>)
    assert "slot blue" in err
    # cross-stack references (Fn::GetStackOutput) shown as the platform stack's resources they read
    assert 'cluster-name = "${Token[Ref BrProduction/' in out
    assert 'api-server = "${Token[GetAtt BrProduction/' in out
    assert 'lockdown = "integrity"' in out
    assert validate_user_data(out, variant="aws-k8s-1.33") == []


def test_render_ecs_capacity_and_explicit_stack(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = render(
        capsys, "--stage", "production", "--ecs", "--nodegroup", "general", "--assembly", str(assembly)
    )
    assert code == 0
    assert "[settings.ecs]" in out
    assert validate_user_data(out, variant="aws-ecs-2") == []
    code, same, _ = render(
        capsys,
        "--stage",
        "production",
        "--stack",
        "BrProductionEcs",
        "--nodegroup",
        "general",
        "--assembly",
        str(assembly),
    )
    assert (code, same) == (0, out)


def test_render_usage_errors(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = render(capsys, "--stage", "production", "--nodegroup", "nope", "--assembly", str(assembly))
    assert code == 2
    assert "--nodegroup: got 'nope'; allowed: " in err
    assert "arm" in err
    code, _, err = render(
        capsys, "--stage", "production", "--nodegroup", "arm", "--slot", "red", "--assembly", str(assembly)
    )
    assert code == 2
    assert "--slot: got 'red'" in err
    code, _, err = render(capsys, "--stage", "prod", "--nodegroup", "arm", "--assembly", str(assembly))
    assert code == 2
    assert "--stage: got 'prod'; allowed: pilot | canary | production" in err


def test_render_without_assembly_says_synth_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = render(capsys, "--stage", "pilot", "--nodegroup", "general", "--assembly", str(tmp_path / "none"))
    assert (code, out) == (2, "")
    assert "run `npx cdk synth` first" in err


def _template(*launch_templates: tuple[str, str, Any]) -> dict[str, Any]:
    resources: dict[str, Any] = {"Cluster": {"Type": "AWS::EKS::Cluster", "Properties": {}}}
    for i, (fleet, slot, user_data) in enumerate(launch_templates):
        lt_tags = [{"Key": tags.FLEET, "Value": fleet}, {"Key": tags.SLOT, "Value": slot}]
        resources[f"Lt{i}"] = {
            "Type": "AWS::EC2::LaunchTemplate",
            "Properties": {
                "LaunchTemplateData": {
                    "UserData": user_data,
                    "TagSpecifications": [{"ResourceType": "instance", "Tags": lt_tags}],
                }
            },
        }
    return {"Resources": resources}


def test_render_picks_blue_before_green_and_honours_slot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = _template(
        ("web", "green", {"Fn::Base64": "motd = 'green'\n"}),
        ("web", "blue", {"Fn::Base64": "motd = 'blue'\n"}),
    )
    (tmp_path / "App.template.json").write_text(json.dumps(template))
    base = ["--stage", "pilot", "--stack", "App", "--assembly", str(tmp_path)]
    assert render(capsys, *base)[:2] == (0, "motd = 'blue'\n")  # the only fleet: --nodegroup may be left out
    assert render(capsys, *base, "--nodegroup", "web", "--slot", "green")[:2] == (0, "motd = 'green'\n")


def test_render_default_stack_nodes_else_the_eks_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --stack: the nodes stack; an app that keeps its node groups in the EKS stack renders from that."""
    fleet = _template(("web", "blue", {"Fn::Base64": "motd = 'eks'\n"}))
    (tmp_path / "BrPilot.template.json").write_text(json.dumps(fleet))
    base = ["--stage", "pilot", "--assembly", str(tmp_path)]
    code, out, err = render(capsys, *base)
    assert (code, out) == (0, "motd = 'eks'\n")
    assert err.startswith("# BrPilot ")
    nodes = _template(("web", "blue", {"Fn::Base64": "motd = 'nodes'\n"}))
    (tmp_path / "BrPilotNodes.template.json").write_text(json.dumps(nodes))
    code, out, err = render(capsys, *base)
    assert (code, out) == (0, "motd = 'nodes'\n")
    assert err.startswith("# BrPilotNodes ")
    (tmp_path / "BrPilot.template.json").write_text(json.dumps({"Resources": {}}))
    (tmp_path / "BrPilotNodes.template.json").write_text(json.dumps({"Resources": {}}))
    code, _, err = render(capsys, *base)
    assert code == 2
    assert "--stack: got 'BrPilotNodes'; allowed: a stack with launch templates tagged constructs-br:fleet" in err


def test_decode_join_shows_references_as_placeholders() -> None:
    user_data = {"Fn::Base64": {"Fn::Join": ["", ['a = "', {"Fn::GetAtt": ["C", "Arn"]}, '"\nb = ', {"Ref": "P"}]]}}
    assert decode_cfn_user_data(user_data) == 'a = "${Token[GetAtt C.Arn]}"\nb = ${Token[Ref P]}'
    assert placeholder({"Fn::ImportValue": "x"}) == "${Token[Fn::ImportValue]}"
    ref = {"Fn::GetStackOutput": {"StackName": "BrPilot", "Region": "us-west-2", "OutputName": "Out"}}
    assert decode_cfn_user_data({"Fn::Base64": {"Fn::Join": ["", ["a = ", ref]]}}) == (
        "a = ${Token[GetStackOutput BrPilot.Out]}"  # no assembly to look the output up in
    )
    outputs = {("BrPilot", "Out"): {"Ref": "Cluster"}}
    assert placeholder(ref, lambda stack, name: outputs.get((stack, name))) == "${Token[Ref BrPilot/Cluster]}"
    assert placeholder(ref, lambda stack, name: None) == "${Token[GetStackOutput BrPilot.Out]}"
