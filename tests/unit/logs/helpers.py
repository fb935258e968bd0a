"""Small stacks for the logging tests: a BottlerocketCluster stack (platform) and a plain ECS cluster stack, both
in us-west-2 with the stage's FleetKey, optionally with the cdk-nag gates (synth fails on any finding)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ec2 as ecs_ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Template

from constructs_br.compliance.nag import add_nag_checks
from constructs_br.logs.fluentbit import Section, parse_classic
from constructs_br.platform import BottlerocketCluster, BottlerocketVpc, FleetKey, PinnedAzStack
from stacks.logging import LoggingConfig, StageLogging, add_ecs_logging, add_eks_logging, logging_config

REGION = "us-west-2"
ENV = Environment(account="123456789012", region=REGION)
AZS = ("us-west-2a", "us-west-2b")


def _app(nag_dir: Path | None) -> App:
    app = App(outdir=str(nag_dir)) if nag_dir else App()
    if nag_dir:
        add_nag_checks(app)
    return app


def _template(app: App, stack: Stack, nag_dir: Path | None) -> dict[str, Any]:
    if nag_dir:
        return dict(app.synth().get_stack_by_name(stack.stack_name).template)
    return dict(Template.from_stack(stack).to_json())


def eks_stack(
    stage: str = "pilot", *, config: LoggingConfig | None = None, nag_dir: Path | None = None
) -> tuple[dict[str, Any], StageLogging, BottlerocketCluster]:
    app = _app(nag_dir)
    stack = PinnedAzStack(app, "BrLogEks", availability_zones=AZS, env=ENV)
    key = FleetKey(stack, "Key", description="logging test key")
    vpc = BottlerocketVpc(stack, "Vpc", availability_zones=AZS, flow_log_key=key.key)
    cluster = BottlerocketCluster(stack, "Cluster", kubernetes_version="1.33", vpc=vpc, secrets_encryption_key=key.key)
    result = add_eks_logging(
        stack, stage_name=stage, cluster=cluster, key=key.key, config=config or logging_config(stage, {})
    )
    return _template(app, stack, nag_dir), result, cluster


def ecs_stack(
    stage: str = "pilot",
    *,
    config: LoggingConfig | None = None,
    nag_dir: Path | None = None,
    extra: Callable[[Stack, StageLogging], Any] | None = None,
) -> tuple[dict[str, Any], StageLogging, ecs.Cluster]:
    app = _app(nag_dir)
    stack = PinnedAzStack(app, "BrLogEcs", availability_zones=AZS, env=ENV)
    key = FleetKey(stack, "Key", description="logging test key")
    vpc = ecs_ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=list(AZS),
        private_subnet_ids=["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
    )
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENHANCED)
    result = add_ecs_logging(
        stack, stage_name=stage, cluster=cluster, key=key.key, config=config or logging_config(stage, {})
    )
    if extra is not None:
        extra(stack, result)
    return _template(app, stack, nag_dir), result, cluster


def of_type(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def addon_values(template: dict[str, Any]) -> dict[str, Any]:
    (addon,) = [
        a
        for a in of_type(template, "AWS::EKS::Addon").values()
        if a["Properties"]["AddonName"] == "amazon-cloudwatch-observability"
    ]
    value = addon["Properties"]["ConfigurationValues"]
    assert isinstance(value, str), "ConfigurationValues must be a plain JSON string (no tokens)"
    return dict(json.loads(value))


def addon_sections(template: dict[str, Any]) -> list[Section]:
    """Every section of the add-on's Fluent Bit configuration, as Fluent Bit would concatenate it."""
    fb = addon_values(template)["containerLogs"]["fluentBit"]["config"]
    text = fb["service"] + "".join(fb["extraFiles"][k] for k in sorted(fb["extraFiles"]))
    return parse_classic(text)


def ecs_sections(template: dict[str, Any]) -> list[Section]:
    """The daemon's configuration, decoded from its command."""
    import base64
    import re

    (task,) = of_type(template, "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    command = container["Command"][-1]
    encoded = re.match(r"echo (\S+) \| base64 -d", command)
    assert encoded, command
    return parse_classic(base64.b64decode(encoded.group(1)).decode())


def text(value: Any) -> str:
    """A template value as text, intrinsics written as ``<Ref:X>`` / ``<GetAtt:X.Y>`` (Fn::Join flattened)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::Join":
            return arg[0].join(text(v) for v in arg[1])
        if fn == "Ref":
            return f"<Ref:{arg}>"
        if fn == "Fn::GetAtt":
            return f"<GetAtt:{'.'.join(arg) if isinstance(arg, list) else arg}>"
    raise AssertionError(f"unexpected template value {value!r}")


def log_group_names(template: dict[str, Any]) -> set[str]:
    """Every log group the stack names (intrinsics as text)."""
    groups = of_type(template, "AWS::Logs::LogGroup").values()
    return {text(g["Properties"]["LogGroupName"]) for g in groups if "LogGroupName" in g["Properties"]}
