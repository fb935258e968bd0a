"""FleetConfigRules: approved AMIs from the lockfile (current + previous, per region), splitting, the rule set per
stage, the optional recorder — each test app synthesized with cdk-nag (AwsSolutions + NIST 800-53 R5) on."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from constructs_br.compliance import controls
from constructs_br.compliance.config_rules import FleetConfigRules
from constructs_br.compliance.nag import add_nag_checks
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import Lockfile, Pin, PreviousPin
from stacks.app import ROOT, load_lockfile
from stacks.compliance import add_compliance

ACCOUNT = "123456789012"


def _pin(region: str, variant: str, arch: str, n: int, previous: int | None = None) -> Pin:
    prev = None
    if previous is not None:
        prev = PreviousPin(
            image_id=f"ami-{previous:017x}",
            image_version="1.49.0-00000000",
            ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id",
            resolved_at="2026-01-01T00:00:00Z",
        )
    return Pin(
        region=region,
        variant=variant,
        arch=arch,
        image_id=f"ami-{n:017x}",
        image_version="1.50.0-00000000",
        ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id",
        resolved_at="2026-02-01T00:00:00Z",
        previous=prev,
    )


def _synth(stack_fn: Any, region: str = "us-east-1") -> Template:
    app = App()
    add_nag_checks(app)
    stack = Stack(app, "BrTest", env=Environment(account=ACCOUNT, region=region))
    stack_fn(stack)
    app.synth()  # nag plugins: any unacknowledged finding raises
    return Template.from_stack(stack)


def _ami_params(t: Template) -> list[str]:
    rules = t.find_resources(
        "AWS::Config::ConfigRule", {"Properties": {"Source": {"SourceIdentifier": "APPROVED_AMIS_BY_ID"}}}
    )
    return [r["Properties"]["InputParameters"]["amiIds"] for r in rules.values()]


def _identifiers(t: Template) -> set[str]:
    return {r["Properties"]["Source"]["SourceIdentifier"] for r in t.find_resources("AWS::Config::ConfigRule").values()}


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2", "eu-west-1"])
def test_approved_amis_are_exactly_the_region_pins_current_and_previous(region: str) -> None:
    lock = Lockfile(
        [
            _pin("us-east-1", "aws-k8s-1.33", "x86_64", 1, previous=2),
            _pin("us-east-1", "aws-ecs-2", "arm64", 3),
            _pin("us-west-2", "aws-k8s-1.33", "x86_64", 4, previous=5),
            _pin("eu-west-1", "aws-k8s-1.33", "arm64", 6, previous=7),
        ]
    )
    t = _synth(lambda s: add_compliance(s, stage_name="pilot", lockfile=lock, region=region, production=False), region)
    expected = {p.image_id for p in lock.pins() if p.region == region} | {
        p.previous.image_id for p in lock.pins() if p.region == region and p.previous
    }
    found = [ami for text in _ami_params(t) for ami in text.split(",")]
    assert sorted(found) == sorted(expected)
    assert len(found) == len(set(found))


def test_committed_lockfile_rules_match_its_pins() -> None:
    lock = load_lockfile({}, ROOT)
    region = "us-east-1"
    t = _synth(lambda s: add_compliance(s, stage_name="canary", lockfile=lock, region=region, production=False))
    found = {ami for text in _ami_params(t) for ami in text.split(",")}
    assert found == set(controls.approved_ami_ids(lock, region))
    assert found


def test_above_21_ids_splits_into_several_rules() -> None:
    variants = [f"aws-k8s-1.{m}" for m in range(29, 36)]
    pins = [
        _pin("us-east-1", v, arch, n := n0 * 2 + a, previous=100 + n)
        for n0, v in enumerate(variants)
        for a, arch in enumerate(("x86_64", "arm64"))
    ]  # 14 pins, 28 AMIs
    lock = Lockfile(pins)
    t = _synth(lambda s: add_compliance(s, stage_name="pilot", lockfile=lock, region="us-east-1", production=False))
    params = _ami_params(t)
    assert len(params) == 2
    assert all(len(p.split(",")) <= 21 and len(p) <= 1024 for p in params)
    assert sorted(a for p in params for a in p.split(",")) == sorted(controls.approved_ami_ids(lock, "us-east-1"))
    names = {r["Properties"]["ConfigRuleName"] for r in t.find_resources("AWS::Config::ConfigRule").values()}
    assert {"constructs-br-pilot-approved-amis-1", "constructs-br-pilot-approved-amis-2"} <= names


def test_chunks_respect_the_character_limit() -> None:
    ids = [f"ami-{i:017x}" for i in range(10)]
    chunks = controls.chunk_ami_ids(ids, max_chars=70)  # 3 IDs (21 chars) + 2 commas = 65
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert all(len(",".join(c)) <= 70 for c in chunks)


@pytest.mark.parametrize(("stage", "production"), [("pilot", False), ("canary", False), ("production", True)])
def test_every_rule_present_per_stage(stage: str, production: bool) -> None:
    lock = load_lockfile({}, ROOT)
    t = _synth(lambda s: add_compliance(s, stage_name=stage, lockfile=lock, region="us-east-1", production=production))
    expected = {r.identifier for r in controls.RULES if production or not r.production_only} | {"APPROVED_AMIS_BY_ID"}
    assert _identifiers(t) == expected
    assert ("EKS_ENDPOINT_NO_PUBLIC_ACCESS" in _identifiers(t)) is production
    for rule in t.find_resources("AWS::Config::ConfigRule").values():
        props = rule["Properties"]
        assert props["ConfigRuleName"].startswith(f"constructs-br-{stage}-")
        spec = next((r for r in controls.RULES if r.identifier == props["Source"]["SourceIdentifier"]), None)
        if spec is None or spec.tag_scoped:
            assert props["Scope"] == {"TagKey": "constructs-br:stage", "TagValue": stage}
        else:
            assert "Scope" not in props


def test_supported_version_and_logging_parameters() -> None:
    lock = load_lockfile({}, ROOT)
    t = _synth(lambda s: add_compliance(s, stage_name="pilot", lockfile=lock, region="us-east-1", production=False))
    t.has_resource_properties(
        "AWS::Config::ConfigRule",
        {
            "Source": {"SourceIdentifier": "EKS_CLUSTER_SUPPORTED_VERSION"},
            "InputParameters": {"oldestVersionSupported": "1.31"},
        },
    )
    t.has_resource_properties(
        "AWS::Config::ConfigRule",
        {"Source": {"SourceIdentifier": "EKS_CLUSTER_LOG_ENABLED"},
         "InputParameters": {"logTypes": "api,audit,authenticator,controllerManager,scheduler"}},
    )  # fmt: skip


def test_created_recorder_has_encrypted_tls_only_bucket_and_rules_wait_for_it() -> None:
    def build(s: Stack) -> None:
        key = kms.Key(s, "Key", enable_key_rotation=True)
        FleetConfigRules(
            s, "ConfigRules", stage="pilot", approved_ami_ids=["ami-00000000000000001"],
            oldest_kubernetes_version="1.31", recorder="create", encryption_key=key,
        )  # fmt: skip

    t = _synth(build)
    t.resource_count_is("AWS::Config::ConfigurationRecorder", 1)
    t.resource_count_is("AWS::Config::DeliveryChannel", 1)
    bucket = next(iter(t.find_resources("AWS::S3::Bucket").values()))["Properties"]
    assert (
        bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "aws:kms"
    )
    policy = next(iter(t.find_resources("AWS::S3::BucketPolicy").values()))["Properties"]["PolicyDocument"]
    assert any(
        st["Effect"] == "Deny" and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for st in policy["Statement"]
    )
    recorder_id = next(iter(t.find_resources("AWS::Config::ConfigurationRecorder")))
    for rule in t.find_resources("AWS::Config::ConfigRule").values():
        assert recorder_id in rule.get("DependsOn", [])


def test_existing_recorder_is_the_default_and_creates_none() -> None:
    lock = load_lockfile({}, ROOT)
    t = _synth(lambda s: add_compliance(s, stage_name="pilot", lockfile=lock, region="us-east-1", production=False))
    t.resource_count_is("AWS::Config::ConfigurationRecorder", 0)
    t.resource_count_is("AWS::S3::Bucket", 0)


def test_bad_input_names_every_field() -> None:
    app = App()
    stack = Stack(app, "S", env=Environment(account=ACCOUNT, region="us-east-1"))
    with pytest.raises(ConfigError) as err:
        FleetConfigRules(stack, "R", stage="", approved_ami_ids=[], oldest_kubernetes_version="v1", recorder="create")
    text = str(err.value)
    for field in ("stage", "approved_ami_ids", "oldest_kubernetes_version", "encryption_key"):
        assert field in text
