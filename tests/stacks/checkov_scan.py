"""One checkov run over every template the tests scan, once per test run (checkov takes ~2 s to start; six runs
were ~12 s of the suite).

:func:`scan` lays each input out under a directory of its own (``<root>/<label>/``), runs the pinned checkov
(``.venv-checkov``, offline) over the root once, shared by the xdist workers (:func:`tests.conftest.once_per_run`) and
side by side with cfn-lint's run (tests/stacks/scans.py), and returns each label's report with paths relative to its
directory, exactly as a run over that directory alone would report them.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from stacks.app import ROOT
from tests.stacks.gated_templates import TEMPLATE_SETS, copy_templates
from tests.stacks.scans import scanned

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
FLAGS = ("--framework", "cloudformation", "--compact", "--skip-download", "-o", "json")
"""Not --quiet: that drops passed and skipped checks from the JSON, and skips are checked for reasons."""

PLANTED_BUCKET: dict[str, Any] = {"Type": "AWS::S3::Bucket", "Properties": {}}
"""Unlogged, unversioned: checkov fails CKV_AWS_18 (access logging) and CKV_AWS_21 (versioning)."""
SKIP_REASON = "planted in a test to prove a skip suppresses exactly this check"


def _write(directory: Path, name: str, template: Mapping[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(json.dumps(template))


def _planted(directory: Path) -> None:
    _write(
        directory,
        "Planted.template.json",
        {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Bucket": PLANTED_BUCKET}},
    )


def _planted_skip_without_reason(directory: Path) -> None:
    bucket = {**PLANTED_BUCKET, "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_18"}]}}}
    _write(directory, "Planted.template.json", {"Resources": {"Bucket": bucket}})


def _skip_helper(directory: Path) -> None:
    """A bucket given skips through :func:`constructs_br.compliance.checkov.skip_checkov`, synthesized."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    from constructs_br.compliance.checkov import skip_checkov

    app = App(outdir=str(directory))
    bucket = s3.CfnBucket(Stack(app, "Planted"), "Bucket")
    skip_checkov(bucket, "CKV_AWS_18", SKIP_REASON)
    skip_checkov(bucket, "CKV_AWS_21", "replaced below so the helper keeps one entry per check")
    skip_checkov(bucket, "CKV_AWS_21", SKIP_REASON)
    app.synth()
    for extra in directory.iterdir():  # the manifest and tree are not templates
        if not extra.name.endswith(".template.json"):
            shutil.rmtree(extra) if extra.is_dir() else extra.unlink()


def _copied(templates: Callable[[], list[Path]]) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        copy_templates(templates(), directory)

    return write


INPUTS: dict[str, Callable[[Path], None]] = {
    **{label: _copied(templates) for label, templates in TEMPLATE_SETS.items()},
    "planted": _planted,
    "planted-skip-without-reason": _planted_skip_without_reason,
    "skip-helper": _skip_helper,
}


def start(out: Path) -> tuple[subprocess.Popen[bytes], Callable[[], None]]:
    """Writes every input under ``out/in`` and starts checkov on it. Returns the process and the check to call once
    it has exited, which writes ``out/report.json``."""
    assert CHECKOV.exists(), f"{CHECKOV} missing: run `make test` (it builds .venv-checkov)"
    root = out / "in"
    for label, write in INPUTS.items():
        write(root / label)
    with (out / "stdout").open("w") as stdout, (out / "stderr").open("w") as stderr:
        process = subprocess.Popen([str(CHECKOV), "-d", str(root), *FLAGS], cwd=root, stdout=stdout, stderr=stderr)

    def finish() -> None:
        output = (out / "stdout").read_text()
        # 1 = failed checks; anything else broke
        assert process.returncode in (0, 1), output[-3000:] + (out / "stderr").read_text()[-3000:]
        (out / "report.json").write_text(output)

    return process, finish


def scan(label: str) -> dict[str, Any]:
    """``label``'s checkov report: ``summary`` (the whole run's) and ``results`` (``passed_checks``,
    ``failed_checks``, ``skipped_checks``) with ``file_path`` relative to the label's directory
    (``/X.template.json``)."""
    assert label in INPUTS, label
    report = _report()
    prefix = f"/{label}/"
    results: dict[str, list[dict[str, Any]]] = {}
    for kind in ("passed_checks", "failed_checks", "skipped_checks"):
        results[kind] = [
            {**c, "file_path": c["file_path"][len(prefix) - 1 :]}
            for c in report["results"][kind]
            if c["file_path"].startswith(prefix)
        ]
    return {"summary": report["summary"], "results": results}


@functools.cache
def _report() -> dict[str, Any]:
    """The run's report, parsed once per process (every label's :func:`scan` reads it)."""
    report = json.loads((scanned() / "checkov" / "report.json").read_text())
    reports = report if isinstance(report, list) else [report]
    assert [r["check_type"] for r in reports] == ["cloudformation"], str(report)[:2000]
    return dict(reports[0])


def scanned_file(label: str, name: str) -> Path:
    """The file checkov scanned as ``/<name>`` of ``label``."""
    return scanned() / "checkov" / "in" / label / name


def skip_reason(check: Mapping[str, Any]) -> str:
    return str(check["check_result"].get("suppress_comment") or "")


def unexplained(report: Mapping[str, Any]) -> list[str]:
    """Failed checks, and skips whose comment is not a real reason (checkov accepts a skip without one)."""
    results = report["results"]
    failed = [f"{c['check_id']} {c['file_path']} {c['resource']}" for c in results["failed_checks"]]
    weak = [
        f"{c['check_id']} {c['file_path']} {c['resource']} (skip reason: {skip_reason(c)!r})"
        for c in results["skipped_checks"]
        if len(skip_reason(c).split()) < 6
    ]
    return failed + weak
