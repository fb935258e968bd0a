"""The gates in ``make test`` — and proof that each one can fail (a planted violation is caught)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs_br.compliance.checkov import skip_checkov
from constructs_br.compliance.nag import acknowledge, acknowledge_all, add_nag_checks
from constructs_br.errors import ConfigError
from tests.stacks.cfn_lint_scan import described, lint, linted
from tests.stacks.checkov_scan import SKIP_REASON, scan, scanned_file, unexplained
from tests.stacks.test_snapshots import STACKS

VENV_BIN = Path(sys.executable).parent
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_snapshots"


# --- cdk-nag -------------------------------------------------------------------------------------------------


def test_nag_runs_on_the_app_and_finds_nothing_unacknowledged(assembly: Any) -> None:
    # The assembly fixture synthesized with AwsSolutions + NIST 800-53 R5 registered; synth raises on any
    # unacknowledged finding. The report proves both packs ran.
    report = json.loads((Path(assembly.directory) / "validation-report.json").read_text())
    plugins = {r["pluginName"] for r in report["pluginReports"]}
    assert {"AwsSolutions", "NIST.800.53.R5"} <= plugins
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin["violations"]
        assert plugin["violations"] == []
        for ack in plugin.get("suppressedViolations", []):
            assert len(ack["reason"].split()) >= 6, ack


PLANTED_RULES = (
    "AwsSolutions-S1",
    "AwsSolutions-S10",
    "NIST.800.53.R5-S3BucketLoggingEnabled",
    "NIST.800.53.R5-S3BucketPublicReadProhibited",
    "NIST.800.53.R5-S3BucketPublicWriteProhibited",
    "NIST.800.53.R5-S3BucketReplicationEnabled",
    "NIST.800.53.R5-S3BucketSSLRequestsOnly",
    "NIST.800.53.R5-S3BucketVersioningEnabled",
    "NIST.800.53.R5-S3DefaultEncryptionKMS",
)
PLANTED_REASON = "planted in a test to prove acknowledgements suppress exactly this finding"


def _planted_app(tmp_path: Path, *, acknowledged: bool, together: bool = False) -> App:
    """An app whose one bucket breaks many rules; ``acknowledged``: each finding acknowledged with
    :func:`acknowledge`, or all in one :func:`acknowledge_all` call when ``together``."""
    app = App(outdir=str(tmp_path))
    add_nag_checks(app)
    stack = Stack(app, "Planted")
    bucket = s3.CfnBucket(stack, "Bucket")  # unencrypted, unlogged, no TLS policy: many findings
    if acknowledged and together:
        acknowledge_all(bucket, dict.fromkeys(PLANTED_RULES, PLANTED_REASON))
    elif acknowledged:
        for rule in PLANTED_RULES:
            acknowledge(bucket, rule, PLANTED_REASON)
    return app


def test_nag_fails_synth_on_a_planted_violation(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        _planted_app(tmp_path, acknowledged=False).synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for r in report["pluginReports"] for v in r["violations"]}
    assert "AwsSolutions-S10" in rules
    assert "NIST.800.53.R5-S3DefaultEncryptionKMS" in rules


def test_acknowledgement_suppresses_exactly_the_named_findings(tmp_path: Path) -> None:
    _planted_app(tmp_path, acknowledged=True).synth()  # does not raise


def test_acknowledge_all_suppresses_every_named_finding_in_one_call(tmp_path: Path) -> None:
    _planted_app(tmp_path, acknowledged=True, together=True).synth()  # does not raise
    report = json.loads((tmp_path / "validation-report.json").read_text())
    suppressed = {v["ruleName"] for r in report["pluginReports"] for v in r.get("suppressedViolations", [])}
    assert set(PLANTED_RULES) <= suppressed
    for plugin in report["pluginReports"]:
        assert plugin["violations"] == [], plugin["violations"]


def test_acknowledge_all_checks_every_entry_before_acknowledging_any(tmp_path: Path) -> None:
    app = _planted_app(tmp_path, acknowledged=False)
    bucket = app.node.find_child("Planted").node.find_child("Bucket")
    findings = {**dict.fromkeys(PLANTED_RULES, PLANTED_REASON), "AwsSolutions-S1": "TODO"}
    with pytest.raises(ConfigError, match=re.escape("acknowledge.reason")):
        acknowledge_all(bucket, findings)
    with pytest.raises(RuntimeError, match="ValidationFailed"):  # the good entries were not acknowledged either
        app.synth()


@pytest.mark.parametrize(
    ("finding", "reason", "field"),
    [
        ("IAM4", "a perfectly fine reason with enough words", "acknowledge.finding_id"),
        ("AwsSolutions::NIST.800.53.R5-IAMNoInlinePolicy", "a perfectly fine reason with enough words", "finding_id"),
        ("AwsSolutions-IAM4", "TODO", "acknowledge.reason"),
        ("AwsSolutions-IAM4", "ok for now", "acknowledge.reason"),
    ],
)
def test_acknowledge_requires_a_rule_id_and_a_real_reason(finding: str, reason: str, field: str) -> None:
    stack = Stack(App(), "S")
    with pytest.raises(ConfigError, match=re.escape(field)):
        acknowledge(stack, finding, reason)


def test_acknowledgements_only_go_through_the_helper(repo_root: Path) -> None:
    offenders = [
        str(path.relative_to(repo_root))
        for folder in ("constructs_br", "stacks")
        for path in (repo_root / folder).rglob("*.py")
        if ".acknowledge(" in path.read_text() and path.name != "nag.py"
    ]
    assert offenders == []


# --- checkov (its own venv, .venv-checkov: `make test` builds it from tools/checkov-requirements.txt) ---------


@pytest.mark.scans
def test_checkov_passes_every_synthesized_template(assembly: Any) -> None:
    report = scan("app")
    assert report["summary"]["parsing_errors"] == 0, report["summary"]
    assert unexplained(report) == []
    scanned = {c["file_path"].lstrip("/") for c in report["results"]["passed_checks"]}
    assert scanned == {p.name for p in Path(assembly.directory).glob("*.template.json")}
    assert len(scanned) == len(STACKS)
    assert report["results"]["skipped_checks"], "the known findings are skipped with reasons, not gone"


@pytest.mark.scans
def test_checkov_gate_fails_on_a_planted_finding() -> None:
    failed = {c["check_id"] for c in scan("planted")["results"]["failed_checks"]}
    assert {"CKV_AWS_18", "CKV_AWS_21"} <= failed  # access logging, versioning
    # A skip without a real reason is still unexplained; one with a reason through the helper's metadata passes.
    assert any(u.startswith("CKV_AWS_18 ") for u in unexplained(scan("planted-skip-without-reason")))


@pytest.mark.scans
def test_skip_checkov_writes_metadata_that_checkov_honours() -> None:
    template = json.loads(scanned_file("skip-helper", "Planted.template.json").read_text())
    assert template["Resources"]["Bucket"]["Metadata"]["checkov"] == {
        "skip": [{"id": "CKV_AWS_18", "comment": SKIP_REASON}, {"id": "CKV_AWS_21", "comment": SKIP_REASON}]
    }
    report = scan("skip-helper")
    skipped = {c["check_id"] for c in report["results"]["skipped_checks"]}
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    assert skipped == {"CKV_AWS_18", "CKV_AWS_21"}
    assert not skipped & failed


@pytest.mark.parametrize(
    ("check_id", "reason", "field"),
    [
        ("AwsSolutions-IAM4", "a perfectly fine reason with enough words", "skip_checkov.check_id"),
        ("CKV_AWS", "a perfectly fine reason with enough words", "skip_checkov.check_id"),
        ("CKV_AWS_111", "TODO", "skip_checkov.reason"),
        ("CKV_AWS_111", "fine for now really", "skip_checkov.reason"),
    ],
)
def test_skip_checkov_requires_a_check_id_and_a_real_reason(check_id: str, reason: str, field: str) -> None:
    bucket = s3.CfnBucket(Stack(App(), "S"), "Bucket")
    with pytest.raises(ConfigError, match=re.escape(field)):
        skip_checkov(bucket, check_id, reason)


def test_skip_checkov_on_an_l2_keeps_every_skip() -> None:
    # jsii returns a new Python object for the L2's default child on each call: the skips already written must
    # still be found (they are kept by jsii reference, not by Python object).
    stack = Stack(App(), "S")
    bucket = s3.Bucket(stack, "Bucket")
    skip_checkov(bucket, "CKV_AWS_18", SKIP_REASON)
    skip_checkov(bucket, "CKV_AWS_21", SKIP_REASON)
    skip_checkov(bucket, "CKV_AWS_18", SKIP_REASON + " again")  # the same check again: one entry, latest reason
    resources = Template.from_stack(stack).find_resources("AWS::S3::Bucket")
    (only,) = resources.values()
    assert only["Metadata"]["checkov"] == {
        "skip": [{"id": "CKV_AWS_21", "comment": SKIP_REASON}, {"id": "CKV_AWS_18", "comment": SKIP_REASON + " again"}]
    }


def test_skip_checkov_refuses_a_construct_without_a_cfn_resource() -> None:
    with pytest.raises(ConfigError, match=re.escape("skip_checkov.resource")):
        skip_checkov(Stack(App(), "S"), "CKV_AWS_18", "a perfectly fine reason with enough words")


def test_checkov_metadata_only_goes_through_the_helper(repo_root: Path) -> None:
    offenders = [
        str(path.relative_to(repo_root))
        for folder in ("constructs_br", "stacks")
        for path in (repo_root / folder).rglob("*.py")
        if re.search(r"""["']checkov["']""", path.read_text()) and path.name != "checkov.py"
    ]
    assert offenders == []


# --- cfn-lint ------------------------------------------------------------------------------------------------


@pytest.mark.scans
def test_cfn_lint_clean_on_every_template(assembly: Any) -> None:
    files = linted("app")
    assert [f.name for f in files] == sorted(p.name for p in Path(assembly.directory).glob("*.template.json"))
    assert len(files) == len(STACKS)
    matches = lint("app")
    assert matches == [], described(matches)


@pytest.mark.scans
def test_cfn_lint_catches_a_planted_error_and_warning() -> None:
    levels = {m["Level"]: m["Rule"]["Id"] for m in lint("planted")}
    assert re.fullmatch(r"E\d{4}", levels.get("Error", "")), levels  # an error ...
    assert re.fullmatch(r"W\d{4}", levels.get("Warning", "")), levels  # ... and a warning (unused parameter)


# --- syrupy snapshots ----------------------------------------------------------------------------------------


def _stored_snapshot(stack: str) -> Any:
    return json.loads((SNAPSHOTS / f"test_template[{stack}].json").read_text())


def test_snapshot_detects_a_changed_template(templates: Mapping[str, Any]) -> None:
    stored = _stored_snapshot("BrPilot")
    assert stored == templates["BrPilot"]  # what the snapshot test compares ...
    planted = copy.deepcopy(templates["BrPilot"])
    key = next(k for k, v in planted["Resources"].items() if v["Type"] == "AWS::EKS::Cluster")
    planted["Resources"][key]["Properties"]["Version"] = "1.29"
    assert stored != planted  # ... so a changed property fails it


# --- ruff and mypy -------------------------------------------------------------------------------------------

_PLANTED_PY = "import os\n\n\ndef f(x: int) -> str:\n    return x\n"


@pytest.mark.parametrize(
    ("tool", "args"),
    [("ruff", ["check", "--no-cache"]), ("mypy", ["--strict", "--no-incremental"])],
)
def test_lint_and_typecheck_catch_planted_violations(tool: str, args: list[str], tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(_PLANTED_PY)  # unused import (ruff F401), returns int as str (mypy)
    result = subprocess.run(
        [str(VENV_BIN / tool), *args, str(planted)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0, result.stdout
    assert ("F401" in result.stdout) if tool == "ruff" else ("Incompatible return value" in result.stdout)
