"""``brctl preflight``: what a fresh account lacks before ``cdk deploy``, against a moto server and a small cloud
assembly written per test (plus one run over the repository's real, synthesized assembly)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from constructs_br.cli import _aws
from constructs_br.cli.main import main
from constructs_br.cli.preflight import (
    DEFAULT_BOOTSTRAP_PARAMETER,
    EXAMPLE_PINS_RULE,
    SERVICE_LINKED_ROLE_FIX,
)
from constructs_br.images.lockfile import LockDocument, Lockfile, Pin
from tests.cli.conftest import REGIONS, Moto, Run

WEST, EU = REGIONS
ACCOUNT = "123456789012"  # moto's default account: the credentials' account
V1 = "1.50.0-abcdef12"
PINNED = (("aws-k8s-1.33", "x86_64"), ("aws-ecs-2", "arm64"))


def _template(*, refused: int | None = 5, example_rule: bool = False) -> dict[str, Any]:
    template: dict[str, Any] = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Rules": {}}
    if refused is not None:
        template["Parameters"] = {
            "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": DEFAULT_BOOTSTRAP_PARAMETER}
        }
        template["Rules"]["CheckBootstrapVersion"] = {
            "Assertions": [
                {
                    "Assert": {
                        "Fn::Not": [
                            {"Fn::Contains": [[str(v) for v in range(1, refused + 1)], {"Ref": "BootstrapVersion"}]}
                        ]
                    },
                    "AssertDescription": f"CDK bootstrap stack version {refused + 1} required.",
                }
            ]
        }
    if example_rule:
        template["Rules"][EXAMPLE_PINS_RULE] = {"Assertions": [{"Assert": False, "AssertDescription": "example"}]}
    return template


def write_assembly(
    project: Path,
    environment: str = f"aws://{ACCOUNT}/{WEST}",
    *,
    stacks: tuple[str, ...] = ("BrPilot", "BrPilotEcs"),
    requires: int | None = 6,
    refused: int | None = 5,
    example_rule: bool = False,
) -> Path:
    """A minimal ``cdk.out`` beside ``project`` (the pyproject.toml), shaped like CDK's: one stack artifact per name,
    its template, plus the tree artifact every assembly has."""
    out = project.parent / "cdk.out"
    out.mkdir(exist_ok=True)
    artifacts: dict[str, Any] = {"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}
    for name in stacks:
        (out / f"{name}.template.json").write_text(
            json.dumps(_template(refused=refused, example_rule=example_rule)), encoding="utf-8"
        )
        props: dict[str, Any] = {"templateFile": f"{name}.template.json", "validateOnSynth": False}
        if requires is not None:
            props["requiresBootstrapStackVersion"] = requires
            props["bootstrapStackVersionSsmParameter"] = DEFAULT_BOOTSTRAP_PARAMETER
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": environment,
            "properties": props,
            "displayName": name,
        }
    (out / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}), encoding="utf-8")
    return out


def real_pins(moto: Moto, brctl: Run, region: str = WEST) -> None:
    """Publish a release per pinned variant/arch in moto and pin it with ``brctl pins refresh`` (real-looking pins)."""
    for variant, arch in PINNED:
        moto.seed_bottlerocket_release(region, variant, arch, V1)
        code, _, err = brctl("pins", "refresh", "--region", region, "--variant", variant, "--arch", arch)
        assert code == 0, err


def service_linked_role(moto: Moto) -> None:
    moto.client("iam").create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")


def bootstrap(moto: Moto, version: str = "30", region: str = WEST) -> None:
    moto.client("ssm", region).put_parameter(Name=DEFAULT_BOOTSTRAP_PARAMETER, Value=version, Type="String")


def ready_account(moto: Moto, brctl: Run, project: Path) -> None:
    write_assembly(project)
    real_pins(moto, brctl)
    service_linked_role(moto)
    bootstrap(moto)


def preflight(brctl: Run, project: Path, *argv: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = brctl("preflight", "--project", str(project), "--stage", "pilot", "--json", *argv)
    return code, (json.loads(out) if out else {}), err


def by_check(doc: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["check"] == check]


# --- the account is ready -----------------------------------------------------------------------------------------
def test_ready_account_exit_0(moto: Moto, brctl: Run, project: Path) -> None:
    ready_account(moto, brctl, project)

    code, doc, err = preflight(brctl, project)

    assert code == 0, (doc, err)
    assert doc["ok"] is True
    assert doc["fixes"] == []
    assert [(s["name"], s["account"], s["region"], s["required_bootstrap_version"]) for s in doc["stacks"]] == [
        ("BrPilot", ACCOUNT, WEST, 6),
        ("BrPilotEcs", ACCOUNT, WEST, 6),
    ]
    assert {f["check"] for f in doc["findings"]} == {"credentials", "service-linked-role", "bootstrap", "pins"}
    assert all(f["status"] == "ok" for f in doc["findings"])
    assert sorted(f["target"] for f in by_check(doc, "pins")) == [
        f"{WEST} aws-ecs-2/arm64",
        f"{WEST} aws-k8s-1.33/x86_64",
    ]
    (boot,) = by_check(doc, "bootstrap")
    assert "bootstrap version 30 (version 6+" in boot["detail"]


def test_ready_account_table(moto: Moto, brctl: Run, project: Path) -> None:
    ready_account(moto, brctl, project)

    code, out, err = brctl("preflight", "--project", str(project), "--stage", "pilot")

    assert code == 0, out + err
    assert f"BrPilot (aws://{ACCOUNT}/{WEST})" in out
    assert "nothing lacking" in out
    assert "LACKING" not in out


# --- what a fresh account lacks -------------------------------------------------------------------------------------
def test_account_without_the_service_linked_role_exit_1(moto: Moto, brctl: Run, project: Path) -> None:
    write_assembly(project)
    real_pins(moto, brctl)
    bootstrap(moto)

    code, doc, _ = preflight(brctl, project)

    assert code == 1
    assert doc["ok"] is False
    (role,) = by_check(doc, "service-linked-role")
    assert role["status"] == "lacking"
    assert role["target"] == f"{ACCOUNT}: AWSServiceRoleForAutoScaling"
    assert "aws:PrincipalArn" in role["detail"]
    assert role["fix"] == SERVICE_LINKED_ROLE_FIX
    assert doc["fixes"] == [SERVICE_LINKED_ROLE_FIX]
    assert all(f["status"] == "ok" for f in doc["findings"] if f["check"] != "service-linked-role")


def test_fresh_account_lists_every_fix_in_order(moto: Moto, brctl: Run, project: Path, lockfile: Path) -> None:
    write_assembly(project)
    Lockfile.empty().with_pin(_example_pin(WEST, "aws-k8s-1.33", "x86_64")).save(lockfile)

    code, out, _ = brctl("preflight", "--project", str(project), "--stage", "pilot")

    assert code == 1
    assert "LACKING" in out
    fixes = out.split("fix in this order", 1)[1]
    expected = [
        SERVICE_LINKED_ROLE_FIX,
        f"npx cdk bootstrap aws://{ACCOUNT}/{WEST}",
        f"brctl pins refresh --region {WEST} --variant aws-k8s-1.33 --arch x86_64",
    ]
    positions = [fixes.index(f) for f in expected]
    assert positions == sorted(positions)


def test_missing_bootstrap_reported(moto: Moto, brctl: Run, project: Path) -> None:
    write_assembly(project)
    real_pins(moto, brctl)
    service_linked_role(moto)

    code, doc, _ = preflight(brctl, project)

    assert code == 1
    (boot,) = by_check(doc, "bootstrap")
    assert boot["status"] == "lacking"
    assert f"not bootstrapped: no SSM parameter {DEFAULT_BOOTSTRAP_PARAMETER} (version 6+)" in boot["detail"]
    assert boot["fix"] == f"npx cdk bootstrap aws://{ACCOUNT}/{WEST}"


@pytest.mark.parametrize(
    ("requires", "refused"),
    [(6, 5), (None, 5)],
    ids=["manifest-requires", "template-rule-only"],
)
def test_old_bootstrap_reported(moto: Moto, brctl: Run, project: Path, requires: int | None, refused: int) -> None:
    write_assembly(project, requires=requires, refused=refused)
    real_pins(moto, brctl)
    service_linked_role(moto)
    bootstrap(moto, "5")

    code, doc, _ = preflight(brctl, project)

    assert code == 1
    (boot,) = by_check(doc, "bootstrap")
    assert (boot["status"], boot["fix"]) == ("lacking", f"npx cdk bootstrap aws://{ACCOUNT}/{WEST}")
    assert "bootstrap version 5 is older than the 6 the templates require" in boot["detail"]

    bootstrap_again = moto.client("ssm")
    bootstrap_again.put_parameter(Name=DEFAULT_BOOTSTRAP_PARAMETER, Value="6", Type="String", Overwrite=True)
    assert preflight(brctl, project)[0] == 0


# --- pins -----------------------------------------------------------------------------------------------------------
def _example_pin(region: str, variant: str, arch: str) -> Pin:
    return Pin(
        region=region,
        variant=variant,
        arch=arch,
        image_id="ami-0123456789abcdef0",
        image_version="1.50.0-00000000",
        ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id",
        resolved_at="2026-01-01T00:00:00Z",
        pinned_at="2026-01-01T00:00:00Z",  # a version 2 channel's pins carry it (a v1 file may)
        example=True,
    )


def test_example_pins_reported(moto: Moto, brctl: Run, project: Path, lockfile: Path) -> None:
    ready_account(moto, brctl, project)
    document = LockDocument.load(lockfile)  # `pins refresh` writes version 2; preflight --stage pilot reads "pilot"
    lock = document.channel("pilot").with_pin(_example_pin(WEST, "aws-k8s-1.33", "arm64"))
    lock = lock.with_pin(_example_pin(EU, "aws-k8s-1.33", "arm64"))  # another region: not this stage's
    document.with_channel("pilot", lock).save(lockfile)

    code, doc, err = preflight(brctl, project)

    assert code == 1, err
    pins = {f["target"]: f for f in by_check(doc, "pins")}
    assert set(pins) == {f"{WEST} aws-k8s-1.33/arm64", f"{WEST} aws-k8s-1.33/x86_64", f"{WEST} aws-ecs-2/arm64"}
    example = pins[f"{WEST} aws-k8s-1.33/arm64"]
    assert example["status"] == "lacking"
    assert "example pin 1.50.0-00000000" in example["detail"]
    assert EXAMPLE_PINS_RULE in example["detail"]
    assert example["fix"] == f"brctl pins refresh --region {WEST} --variant aws-k8s-1.33 --arch arm64"
    assert doc["fixes"] == [example["fix"]]


def test_pins_verify_rejects_are_reported(moto: Moto, brctl: Run, project: Path, lockfile: Path) -> None:
    ready_account(moto, brctl, project)
    pinned = LockDocument.load(lockfile).channel("pilot").get(WEST, "aws-k8s-1.33", "x86_64")
    moto.deregister_image(WEST, pinned.image_id)

    code, doc, _ = preflight(brctl, project)

    assert code == 1
    pins = {f["target"]: f for f in by_check(doc, "pins")}
    bad = pins[f"{WEST} aws-k8s-1.33/x86_64"]
    assert bad["status"] == "lacking"
    assert f"image {pinned.image_id} does not exist in this region" in bad["detail"]  # pins verify's own reason
    assert bad["fix"] == f"brctl pins refresh --region {WEST} --variant aws-k8s-1.33 --arch x86_64"
    assert pins[f"{WEST} aws-ecs-2/arm64"]["status"] == "ok"


def test_stale_assembly_with_the_example_rule_reported(moto: Moto, brctl: Run, project: Path) -> None:
    ready_account(moto, brctl, project)
    write_assembly(project, example_rule=True)  # synthesized before the refresh

    code, doc, _ = preflight(brctl, project)

    assert code == 1
    assert [(f["target"], f["fix"]) for f in by_check(doc, "assembly")] == [
        ("BrPilot", "npx cdk synth"),
        ("BrPilotEcs", "npx cdk synth"),
    ]


def test_rule_name_matches_the_construct_layer() -> None:
    from constructs_br.nodes.image import EXAMPLE_PINS_RULE as CONSTRUCT_RULE

    assert EXAMPLE_PINS_RULE == CONSTRUCT_RULE


# --- environment and credentials ------------------------------------------------------------------------------------
def test_credentials_of_another_account(moto: Moto, brctl: Run, project: Path) -> None:
    ready_account(moto, brctl, project)
    write_assembly(project, f"aws://111122223333/{WEST}")

    code, doc, _ = preflight(brctl, project)

    assert code == 1
    (cred,) = by_check(doc, "credentials")
    assert cred["status"] == "lacking"
    assert f"the credentials are for account {ACCOUNT}, the stacks deploy to 111122223333" in cred["detail"]
    assert {f["status"] for f in doc["findings"] if f["check"] in ("service-linked-role", "bootstrap")} == {"skipped"}

    code, doc, err = preflight(brctl, project, "--account", ACCOUNT)
    assert code == 0, (doc, err)


def test_environment_agnostic_stacks_need_region(moto: Moto, brctl: Run, project: Path) -> None:
    ready_account(moto, brctl, project)
    write_assembly(project, "aws://unknown-account/unknown-region")

    code, _, err = preflight(brctl, project)
    assert code == 2
    assert "--account" in err

    code, _, err = preflight(brctl, project, "--account", ACCOUNT)
    assert code == 2
    assert "--region" in err

    code, doc, err = preflight(brctl, project, "--account", ACCOUNT, "--region", WEST)
    assert code == 0, (doc, err)


def test_region_override_checks_that_region(moto: Moto, brctl: Run, project: Path) -> None:
    ready_account(moto, brctl, project)

    code, doc, _ = preflight(brctl, project, "--region", EU)

    assert code == 1  # nothing bootstrapped or pinned in EU
    assert {s["region"] for s in doc["stacks"]} == {EU}
    assert by_check(doc, "bootstrap")[0]["status"] == "lacking"
    (pins,) = by_check(doc, "pins")
    assert (pins["target"], pins["status"]) == (EU, "ok")
    assert f"pins nothing in {EU}" in pins["detail"]


def test_aws_failure_is_an_error_finding_exit_1(
    moto: Moto, brctl: Run, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready_account(moto, brctl, project)

    def denied(region: str, role_name: str) -> bool:
        raise _aws.AwsError(f"{region}: iam:GetRole {role_name}: AccessDenied: not allowed")

    monkeypatch.setattr(_aws, "role_exists", denied)

    code, doc, _ = preflight(brctl, project)

    assert code == 1
    (role,) = by_check(doc, "service-linked-role")
    assert role["status"] == "error"
    assert "AccessDenied" in role["detail"]


# --- usage ----------------------------------------------------------------------------------------------------------
def test_no_assembly_is_a_usage_error(moto: Moto, brctl: Run, project: Path) -> None:
    code, out, err = brctl("preflight", "--project", str(project), "--stage", "pilot")
    assert (code, out) == (2, "")
    assert "run `npx cdk synth` first" in err


def test_unknown_stage_is_a_usage_error(moto: Moto, brctl: Run, project: Path) -> None:
    write_assembly(project)
    code, _, err = brctl("preflight", "--project", str(project), "--stage", "prod")
    assert code == 2
    assert "--stage: got 'prod'" in err


def test_stage_without_stacks_in_the_assembly_is_a_usage_error(moto: Moto, brctl: Run, project: Path) -> None:
    write_assembly(project, stacks=("BrCanary",))
    code, _, err = brctl("preflight", "--project", str(project), "--stage", "pilot")
    assert code == 2
    assert "no stack BrPilot, BrPilotNodes, BrPilotEcs or BrPilotOperators in the cloud assembly" in err


def test_only_the_stacks_the_app_has(moto: Moto, brctl: Run, project: Path) -> None:
    ready_account(moto, brctl, project)
    write_assembly(project, stacks=("BrPilot",))  # an app without an ECS stack: checked all the same
    (project.parent / "cdk.out" / "BrPilotEcs.template.json").unlink()
    code, doc, _ = preflight(brctl, project)
    assert code == 0
    assert [s["name"] for s in doc["stacks"]] == ["BrPilot"]


# --- the repository's own assembly --------------------------------------------------------------------------------
def test_real_assembly_with_the_committed_example_pins(
    moto: Moto, assembly: Any, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The app's synthesized assembly parses as CDK writes it, and its committed example pins are reported."""
    moto.client("iam").create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    moto.client("ssm").put_parameter(Name=DEFAULT_BOOTSTRAP_PARAMETER, Value="30", Type="String")
    argv = ["preflight", "--project", str(repo_root / "pyproject.toml"), "--stage", "pilot", "--json"]

    code = main([*argv, "--assembly", str(assembly.directory), "--lockfile", str(repo_root / "bottlerocket.lock.json")])

    out, err = capsys.readouterr()
    assert code == 1, err
    doc = json.loads(out)
    templates = {s.stack_name: s.template for s in assembly.stacks}
    # deploy order; the operator stack (being added) is checked once the app has it
    operators = [("BrPilotOperators", WEST)] if "BrPilotOperators" in templates else []
    assert [(s["name"], s["region"]) for s in doc["stacks"]] == [
        ("BrPilot", WEST),
        ("BrPilotNodes", WEST),
        ("BrPilotEcs", WEST),
        *operators,
    ]
    assert all(s["required_bootstrap_version"] is not None for s in doc["stacks"])
    assert {f["status"] for f in doc["findings"] if f["check"] != "pins"} == {"ok"}
    pins = by_check(doc, "pins")
    assert pins
    assert all(f["status"] == "lacking" and "example pin" in f["detail"] for f in pins)
    assert all(f["target"].startswith(WEST) for f in pins)
    # what refuses the deploy the findings predict: the stacks that launch instances, not the platform stack
    assert EXAMPLE_PINS_RULE not in templates["BrPilot"].get("Rules", {})
    for name in ("BrPilotNodes", "BrPilotEcs"):
        assert EXAMPLE_PINS_RULE in templates[name]["Rules"], name
    by_target = {f["target"]: f["detail"] for f in pins}
    assert "BrPilotNodes refuses to deploy" in by_target[f"{WEST} aws-k8s-1.33/x86_64"]
    assert "BrPilotEcs refuses to deploy" in by_target[f"{WEST} aws-ecs-2/x86_64"]
