"""Issue 13: walk every synthesized IAM policy of the access constructs; trust; access entries; break-glass."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from constructs_br import tags
from constructs_br.access import AccessConfig, BreakGlass, BreakGlassError, RoleTrust
from constructs_br.access.spec import ACCESS_ROLE_TAG, BREAK_GLASS_TAG, METADATA_KEY
from stacks.access import access_config
from tests.unit.access.helpers import ACCOUNT, REGION, TODAY, as_list, build, render, statements

ADMINS = "arn:aws:iam::111122223333:role/Admins,arn:aws:iam::111122223333:role/SRE"
OPERATORS = "arn:aws:iam::111122223333:role/Ops"
VIEWERS = "arn:aws:iam::111122223333:role/Audit"
CONTEXT = {
    "br:canary:access:admins": ADMINS,
    "br:canary:access:operators": OPERATORS,
    "br:canary:access:viewers": VIEWERS,
    "br:canary:access:viewers:namespaces": "team-a,team-b",
}
BREAK_GLASS = {
    "br:canary:break-glass:reason": "kubelet on node group general wedged, need host journal",
    "br:canary:break-glass:expires": "2026-03-05",
}


@pytest.fixture(scope="module")
def synth() -> Any:
    """Default canary access, nag on (synth fails on any unacknowledged finding)."""
    return build("canary", {**CONTEXT, **BREAK_GLASS})


@pytest.fixture(scope="module")
def resources(synth: Any) -> dict[str, Any]:
    return dict(synth[2].to_json()["Resources"])


def _roles(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Metadata"][METADATA_KEY]["kind"]: r
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Role" and METADATA_KEY in r.get("Metadata", {})
    }


def _policy_of(resources: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    (logical_id,) = [k for k, r in resources.items() if r.get("Metadata", {}).get(METADATA_KEY, {}).get("kind") == kind]
    (policy,) = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::IAM::ManagedPolicy" and {"Ref": logical_id} in r["Properties"].get("Roles", [])
    ]
    return [render(s) for s in policy["Properties"]["PolicyDocument"]["Statement"]]


def test_no_wildcard_actions_and_scoped_resources(synth: Any) -> None:
    walked = 0
    for logical_id, st in statements(synth[2]):
        if not logical_id.startswith("Access"):
            continue
        walked += 1
        assert st["Effect"] == "Allow"
        for action in as_list(st["Action"]):
            service, _, name = action.partition(":")
            assert service, (logical_id, action)  # never a bare "*"
            assert "*" not in name, (logical_id, action)  # never "service:*" or "service:Get*"
        for resource in as_list(st["Resource"]):
            if resource == "*":
                assert all(a.split(":")[1].startswith(("Describe", "List", "Get")) for a in as_list(st["Action"]))
                continue
            text = str(resource)
            assert (
                text.startswith("${Key")
                or text.startswith("${Cluster")
                or text.startswith("${Access")
                or (f":{REGION}:{ACCOUNT}:" in text)
            ), (logical_id, text)
    assert walked >= 20


def test_start_session_needs_stage_tags_and_the_stage_document(resources: dict[str, Any]) -> None:
    for kind in ("control", "admin"):
        starts = [s for s in _policy_of(resources, kind) if "ssm:StartSession" in as_list(s["Action"])]
        assert starts, kind
        for st in starts:
            assert st["Condition"]["BoolIfExists"] == {"ssm:SessionDocumentAccessCheck": "true"}
            for resource in as_list(st["Resource"]):
                if ":instance/" in resource:
                    assert st["Condition"]["StringEquals"][f"ssm:resourceTag/{tags.STAGE}"] == "canary"
                    assert st["Condition"]["Null"] == {f"ssm:resourceTag/{tags.FLEET}": "false"}
                else:
                    assert resource.endswith(":document/BrTest-BottlerocketSession"), resource
        # Own sessions only.
        (own,) = [s for s in _policy_of(resources, kind) if "ssm:TerminateSession" in as_list(s["Action"])]
        assert own["Condition"] == {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}}


def test_admin_sends_only_the_break_glass_documents_to_stage_nodes(resources: dict[str, Any]) -> None:
    assert not [s for s in _policy_of(resources, "control") if "ssm:SendCommand" in as_list(s["Action"])]
    sends = [s for s in _policy_of(resources, "admin") if "ssm:SendCommand" in as_list(s["Action"])]
    targets = sorted(r.rsplit(":", 1)[-1] for s in sends for r in as_list(s["Resource"]))
    assert targets == ["document/BrTest-BreakGlassAdminOff", "document/BrTest-BreakGlassAdminOn", "instance/*"]
    for st in sends:
        if any(":instance/" in r for r in as_list(st["Resource"])):
            assert st["Condition"]["StringEquals"] == {f"ssm:resourceTag/{tags.STAGE}": "canary"}
        if any(r.endswith("AdminOn") for r in as_list(st["Resource"])):
            assert st["Condition"] == {"DateLessThan": {"aws:CurrentTime": "2026-03-06T00:00:00Z"}}


def test_break_glass_off_means_no_on_document_permission() -> None:
    _, _, template = build("canary", CONTEXT, nag=False)
    res = template.to_json()["Resources"]
    sends = [s for s in _policy_of(res, "admin") if "ssm:SendCommand" in as_list(s["Action"])]
    assert not [r for s in sends for r in as_list(s["Resource"]) if r.endswith("AdminOn")]
    assert "BreakGlass" not in template.to_json().get("Outputs", {})
    assert BREAK_GLASS_TAG not in json.dumps(res)


def test_trust_only_configured_principals(resources: dict[str, Any]) -> None:
    roles = _roles(resources)
    expected = {
        "admin": set(ADMINS.split(",")),
        "control": set(ADMINS.split(",")) | {OPERATORS},
    }
    for kind, role in roles.items():
        doc = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        principals = {p for st in doc for p in as_list(st["Principal"]["AWS"])}
        assert principals == expected[kind]
        assert all(st["Action"] == "sts:AssumeRole" and "Service" not in st["Principal"] for st in doc)
        assert role["Properties"]["RoleName"] == f"bottlerocket-{kind}-canary"
        assert {"Key": ACCESS_ROLE_TAG, "Value": kind} in role["Properties"]["Tags"]
    assert VIEWERS not in json.dumps([r["Properties"]["AssumeRolePolicyDocument"] for r in roles.values()])


def test_mfa_boundary_and_session_length() -> None:
    context = {
        **CONTEXT,
        "br:canary:access:require-mfa": "true",
        "br:canary:access:permissions-boundary": "arn:aws:iam::111122223333:policy/OperatorBoundary",
        "br:canary:access:max-session-hours": "2",
    }
    _, _, template = build("canary", context, nag=False)
    for role in _roles(template.to_json()["Resources"]).values():
        props = role["Properties"]
        assert props["MaxSessionDuration"] == 7200
        assert props["PermissionsBoundary"] == "arn:aws:iam::111122223333:policy/OperatorBoundary"
        for st in props["AssumeRolePolicyDocument"]["Statement"]:
            assert st["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_access_entries_exactly_the_configured_principals(resources: dict[str, Any]) -> None:
    entries = {
        json.dumps(render(r["Properties"]["PrincipalArn"])): r["Properties"]["AccessPolicies"]
        for r in resources.values()
        if r["Type"] == "AWS::EKS::AccessEntry"
    }
    roles = _roles(resources)
    role_ids = {k for k, r in resources.items() if r in roles.values()}
    expected_people = {*ADMINS.split(","), OPERATORS, VIEWERS}
    expected = {json.dumps(a) for a in expected_people} | {json.dumps(f"${{{r}.Arn}}") for r in role_ids}
    assert set(entries) == expected

    def policy(arn: str) -> tuple[str, dict[str, Any]]:
        (p,) = entries[json.dumps(arn)]
        return render(p["PolicyArn"]).rsplit("/", 1)[-1], p["AccessScope"]

    for admin in ADMINS.split(","):
        assert policy(admin) == ("AmazonEKSClusterAdminPolicy", {"Type": "cluster"})
    assert policy(OPERATORS) == ("AmazonEKSEditPolicy", {"Type": "cluster"})
    assert policy(VIEWERS) == ("AmazonEKSViewPolicy", {"Type": "namespace", "Namespaces": ["team-a", "team-b"]})
    for role_id in role_ids:
        assert policy(f"${{{role_id}.Arn}}") == ("AmazonEKSViewPolicy", {"Type": "cluster"})


def test_session_document_is_unique_encrypted_logged_and_has_no_run_as(resources: dict[str, Any]) -> None:
    (doc,) = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::SSM::Document" and r["Properties"]["DocumentType"] == "Session"
    ]
    props = doc["Properties"]
    assert props["Name"] == "BrTest-BottlerocketSession"  # not the account-level SSM-SessionManagerRunShell
    inputs = props["Content"]["inputs"]
    assert inputs["runAsEnabled"] is False
    assert inputs["runAsDefaultUser"] == ""
    assert inputs["cloudWatchEncryptionEnabled"] is True
    assert inputs["kmsKeyId"] == {"Ref": "Key961B73FD"}
    assert inputs["idleSessionTimeout"] == "20"
    log_group = resources[inputs["cloudWatchLogGroupName"]["Ref"]]
    assert log_group["Properties"]["KmsKeyId"]
    assert log_group["Properties"]["RetentionInDays"] == 365


def test_production_keeps_session_logs_two_years() -> None:
    _, access, _ = build("production", nag=False)
    assert access.config.session.log_retention_days == 731


def test_break_glass_on_shows_as_tag_output_and_warning(synth: Any) -> None:
    stack, _, template = synth
    output = template.to_json()["Outputs"]["BreakGlass"]["Value"]
    assert "until 2026-03-05" in output
    assert "host journal" in output
    assert "role/SRE" in output
    for kind, role in _roles(template.to_json()["Resources"]).items():
        assert {"Key": BREAK_GLASS_TAG, "Value": "until-2026-03-05"} in role["Properties"]["Tags"], kind
    template.has_resource_properties(
        "AWS::SSM::Document",
        {
            "Name": "BrTest-BreakGlassAdminOn",
            "Tags": Match.array_with([{"Key": BREAK_GLASS_TAG, "Value": "until-2026-03-05"}]),
        },
    )
    Annotations.from_stack(stack).has_warning("/BrTest/Access", Match.string_like_regexp("break-glass ON in canary"))


def test_break_glass_documents_run_apiclient_only(resources: dict[str, Any]) -> None:
    commands = {
        r["Properties"]["Name"]: r["Properties"]["Content"]["mainSteps"][0]["inputs"]["runCommand"]
        for r in resources.values()
        if r["Type"] == "AWS::SSM::Document" and r["Properties"]["DocumentType"] == "Command"
    }
    assert commands == {
        "BrTest-BreakGlassAdminOn": ["apiclient set host-containers.admin.enabled=true"],
        "BrTest-BreakGlassAdminOff": ["apiclient set host-containers.admin.enabled=false"],
    }


def test_no_ssh_anywhere(resources: dict[str, Any]) -> None:
    text = json.dumps(resources)
    assert "AWS::EC2::KeyPair" not in text
    assert "KeyName" not in text
    for r in resources.values():
        if r["Type"] in ("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"):
            for rule in r["Properties"].get("SecurityGroupIngress", [r["Properties"]]):
                assert not (rule.get("FromPort", -1) <= 22 <= rule.get("ToPort", -1)), rule


@pytest.mark.parametrize(
    ("context", "field"),
    [
        ({"br:production:break-glass:reason": "kubelet wedged on a node, need host logs"}, "break_glass.expires"),
        ({"br:production:break-glass:expires": "2026-03-03"}, "break_glass.reason"),
    ],
)
def test_production_break_glass_without_both_fails_synth_with_a_named_error(
    context: dict[str, str], field: str
) -> None:
    with pytest.raises(BreakGlassError) as exc:
        build("production", context, nag=False)
    assert field in exc.value.fields


@pytest.mark.parametrize(
    ("expires", "allowed"), [("2026-03-01", "or later"), ("2026-03-20", "at most 7 days"), ("03/05/2026", "YYYY-MM-DD")]
)
def test_production_break_glass_window(expires: str, allowed: str) -> None:
    context = {
        "br:production:break-glass:reason": "kubelet wedged on a node, need host logs",
        "br:production:break-glass:expires": expires,
    }
    with pytest.raises(BreakGlassError, match=allowed):
        access_config("production", context, today=TODAY)


def test_other_stages_allow_thirty_days() -> None:
    context = {
        "br:pilot:break-glass:reason": "kubelet wedged on a node, need host logs",
        "br:pilot:break-glass:expires": "2026-03-20",
    }
    assert access_config("pilot", context, today=TODAY).break_glass.expires == date(2026, 3, 20)


@pytest.mark.parametrize(
    ("context", "match"),
    [
        ({"br:pilot:access:admins": "arn:aws:iam::123456789012:root"}, "IAM role or user ARN"),
        ({"br:pilot:access:admins": "arn:aws:iam::123456789012:role/*"}, "IAM role or user ARN"),
        (
            {"br:pilot:access:viewers": "arn:aws:iam::123456789012:role/PlatformAdmins"},
            "one access entry per principal",
        ),
        ({"br:pilot:access:admin": "arn:aws:iam::123456789012:role/X"}, "br:pilot:access:admins"),
        ({"br:pilot:access:max-session-hours": "13"}, "1..12"),
        ({"br:pilot:access:admins:namespaces": "Team_A"}, "namespace"),
    ],
)
def test_bad_access_context_is_a_config_error(context: dict[str, str], match: str) -> None:
    from constructs_br.errors import ConfigError

    with pytest.raises(ConfigError, match=match):
        access_config("pilot", context, today=TODAY)


def test_ecs_only_stage_has_no_access_entries() -> None:
    _, access, template = build("canary", with_cluster=False)
    assert access.cluster_access is None
    template.resource_count_is("AWS::EKS::AccessEntry", 0)


def test_a_role_without_principals_is_not_created() -> None:
    config = AccessConfig(stage="pilot", control=RoleTrust(principals=("arn:aws:iam::123456789012:role/Ops",)))
    _, access, template = build("pilot", config=config, nag=False)
    assert access.admin_role is None
    assert set(_roles(template.to_json()["Resources"])) == {"control"}


def test_default_config_synthesizes_nag_clean_in_every_stage() -> None:
    for stage in ("pilot", "canary", "production"):
        build(stage)


def test_spec_break_glass_needs_reason_and_expiry() -> None:
    with pytest.raises(BreakGlassError, match=r"break_glass\.reason"):
        BreakGlass(enabled=True, expires=date(2026, 3, 3))
    assert BreakGlass().tag_value == "off"
