"""``brctl access show``: reads the synthesized template (no AWS, no CDK import in the command)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from constructs_br.cli.main import EXIT_OK, EXIT_USAGE, main
from tests.unit.access.helpers import build

CONTEXT = {
    "br:canary:access:admins": "arn:aws:iam::111122223333:role/Admins",
    "br:canary:access:operators": "arn:aws:iam::111122223333:role/Ops",
    "br:canary:access:viewers": "arn:aws:iam::111122223333:role/Audit",
    "br:canary:access:viewers:namespaces": "team-a",
    "br:canary:break-glass:reason": "kubelet on node group general wedged, need host journal",
    "br:canary:break-glass:expires": "2026-03-05",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("app")
    (root / "pyproject.toml").write_text(
        '[tool.brctl]\nstages = ["pilot", "canary"]\nassembly = "cdk.out"\neks-stack = "Br{Stage}"\n'
    )
    build("canary", CONTEXT, nag=False, stack_id="BrCanary", outdir=str(root / "cdk.out"))
    build("pilot", {}, nag=False, stack_id="BrPilot", outdir=str(root / "cdk.out"))
    return root / "pyproject.toml"


def test_show_json_lists_roles_break_glass_users_and_entries(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(project), "access", "show", "--stage", "canary", "--json"]) == EXIT_OK
    facts = json.loads(capsys.readouterr().out)
    assert facts["stack"] == "BrCanary"
    roles = {r["kind"]: r for r in facts["roles"]}
    assert roles["admin"]["role_name"] == "bottlerocket-admin-canary"
    assert roles["admin"]["trusted"] == ["arn:aws:iam::111122223333:role/Admins"]
    assert roles["control"]["session_document"] == "BrCanary-BottlerocketSession"
    bg = facts["break_glass"]
    assert bg["enabled"] is True
    assert bg["expires"] == "2026-03-05"
    assert bg["may_use"] == ["arn:aws:iam::111122223333:role/Admins"]
    entries = {(e["principal"], e["policy"], e["scope"]) for e in facts["access_entries"]}
    assert entries == {
        ("arn:aws:iam::111122223333:role/Admins", "AmazonEKSClusterAdminPolicy", "cluster"),
        ("arn:aws:iam::111122223333:role/Ops", "AmazonEKSEditPolicy", "cluster"),
        ("arn:aws:iam::111122223333:role/Audit", "AmazonEKSViewPolicy", "namespace"),
        ("role/bottlerocket-control-canary", "AmazonEKSViewPolicy", "cluster"),
        ("role/bottlerocket-admin-canary", "AmazonEKSViewPolicy", "cluster"),
    }


def test_show_text_says_who_may_use_break_glass(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(project), "access", "show", "--stage", "canary"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "break-glass: ON in canary until 2026-03-05" in out
    assert "may use it (send BrCanary-BreakGlassAdminOn): arn:aws:iam::111122223333:role/Admins" in out


def test_show_break_glass_off(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(project), "access", "show", "--stage", "pilot", "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["break_glass"] == {"enabled": False, "may_use": []}


def test_unknown_or_unsynthesized_stage_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(project), "access", "show", "--stage", "production"]) == EXIT_USAGE
    assert (
        main(["--project", str(project), "access", "show", "--stage", "pilot", "--assembly", "/nonexistent"])
        == EXIT_USAGE
    )
    assert "run npx cdk synth" in capsys.readouterr().err


def test_access_command_loads_no_cdk(tmp_path: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys, constructs_br.cli.access as m, constructs_br.access.spec;"
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'aws_cdk', 'jsii', 'constructs', 'stacks'}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
