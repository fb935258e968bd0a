"""Small stacks for access tests: a BottlerocketCluster in a PinnedAzStack with cdk-nag on, plus ``add_access``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from aws_cdk import App, Environment
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from constructs_br.access import AccessConfig
from constructs_br.access.fleet import FleetAccess
from constructs_br.compliance.nag import add_nag_checks
from constructs_br.platform import BottlerocketCluster, BottlerocketVpc, PinnedAzStack
from stacks.access import access_config, add_access

ACCOUNT = "123456789012"
REGION = "us-west-2"
AZS = ("us-west-2a", "us-west-2b")
TODAY = date(2026, 3, 2)


def build(
    stage: str = "canary",
    context: Mapping[str, Any] | None = None,
    *,
    config: AccessConfig | None = None,
    with_cluster: bool = True,
    nag: bool = True,
    stack_id: str = "BrTest",
    outdir: str | None = None,
) -> tuple[PinnedAzStack, FleetAccess, Template]:
    """Synthesize a stack with the stage's access (nag plugins run at synth when ``nag``)."""
    app = App(outdir=outdir) if outdir else App()
    if nag:
        add_nag_checks(app)
    stack = PinnedAzStack(app, stack_id, availability_zones=AZS, env=Environment(account=ACCOUNT, region=REGION))
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    cluster = None
    if with_cluster:
        vpc = BottlerocketVpc(stack, "Vpc", availability_zones=AZS, flow_log_key=key)
        cluster = BottlerocketCluster(stack, "Cluster", kubernetes_version="1.33", vpc=vpc, secrets_encryption_key=key)
    cfg = config or access_config(stage, dict(context or {}), today=TODAY)
    access = add_access(stack, stage_name=stage, cluster=cluster, key=key, config=cfg)
    app.synth()  # runs the nag validation plugins: any unacknowledged finding raises
    return stack, access, Template.from_stack(stack)


def render(value: Any) -> Any:
    """Flatten ``Fn::Join`` / ``Ref`` / ``Fn::GetAtt`` so policies can be checked as text (``${AWS::Partition}``)."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Join"}:
            sep, parts = value["Fn::Join"]
            return sep.join(str(render(p)) for p in parts)
        if set(value) == {"Ref"}:
            return "${" + value["Ref"] + "}"
        if set(value) == {"Fn::GetAtt"}:
            return "${" + ".".join(value["Fn::GetAtt"]) + "}"
        return {k: render(v) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v) for v in value]
    return value


def statements(template: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, statement) for every IAM policy statement in the template (managed, inline, trust excluded)."""
    resources = template.to_json()["Resources"]
    for logical_id, res in resources.items():
        props = res.get("Properties", {})
        docs = []
        if res["Type"] == "AWS::IAM::ManagedPolicy" or res["Type"] == "AWS::IAM::Policy":
            docs.append(props["PolicyDocument"])
        if res["Type"] == "AWS::IAM::Role":
            docs += [p["PolicyDocument"] for p in props.get("Policies", [])]
        for doc in docs:
            for st in doc["Statement"]:
                yield logical_id, render(st)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
