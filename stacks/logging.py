"""This app's node logging per stage: the data (:func:`logging_config`) and the two functions the stage stacks call.

=====================================================  ===================================================
context key                                            effect
=====================================================  ===================================================
``br:logging:fluent-bit-image``                        ``repository:tag@sha256:<digest>`` of Fluent Bit (all stages)
``br:<stage>:logging:fluent-bit-image``                the same for one stage
``br:<stage>:logging:addon-version``                   ``amazon-cloudwatch-observability`` version (EKS)
=====================================================  ===================================================

Retention: production two years and retained when the stack is deleted (audit evidence); pilot and canary one year,
deleted with the stack. Log group names (API — dashboards and queries use them):

* platform stack ``Br<Stage>``: ``/constructs-br/<stage>/eks/host``, ``.../eks/containers``, and the stage's SSM
  sessions group ``/constructs-br/<stage>/sessions`` (:func:`sessions_log_group_name`); the add-on shipping to the
  EKS groups lives in the node-group stack ``Br<Stage>Nodes`` (its pods need nodes);
* ECS stack ``Br<Stage>Ecs``: ``/constructs-br/<stage>/ecs/host``, ``.../ecs/containers`` (FireLens).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, RemovalPolicy, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from constructs_br.errors import ConfigError, Problems
from constructs_br.logs.ecs import EcsNodeLogging
from constructs_br.logs.eks import AddonSettings, EksNodeLogging
from constructs_br.logs.fluentbit import PLACEHOLDER_DIGEST, FluentBitImage, ecs_node_config, eks_node_config
from constructs_br.logs.groups import NodeLogGroups
from constructs_br.logs.keys import LogRetention
from constructs_br.logs.shipping import PLACEHOLDER_DIGEST_WARNING
from constructs_br.platform import BottlerocketCluster
from stacks.stage_stack import stage_log_retention

STAGE_NAMES = ("pilot", "canary", "production")

DEFAULT_IMAGE = FluentBitImage(
    repository="public.ecr.aws/aws-observability/aws-for-fluent-bit",
    tag="2.32.5",
    # Placeholder of the right shape (synth warns): review the tag and paste its digest, e.g. from
    # `crane digest public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.5`, into br:logging:fluent-bit-image.
    digest=PLACEHOLDER_DIGEST,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggingConfig:
    """One stage's node logging."""

    stage_name: str
    retention: LogRetention
    retain_on_delete: bool
    image: FluentBitImage = DEFAULT_IMAGE
    addon_version: str | None = None

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.retain_on_delete else RemovalPolicy.DESTROY

    @property
    def eks_prefix(self) -> str:
        return f"/constructs-br/{self.stage_name}/eks"

    @property
    def ecs_prefix(self) -> str:
        return f"/constructs-br/{self.stage_name}/ecs"


def sessions_log_group_name(stage_name: str) -> str:
    """The stage's SSM sessions group (created by the platform stack's logging; the access work writes to it)."""
    return f"/constructs-br/{stage_name}/sessions"


def logging_config(stage_name: str, context: Mapping[str, Any]) -> LoggingConfig:
    """The stage's logging from the defaults plus CDK context (keys in the module docstring; unknown keys under
    ``br:<stage>:logging:`` are an error)."""
    if stage_name not in STAGE_NAMES:
        raise ConfigError("logging.stage_name", stage_name, " | ".join(STAGE_NAMES))
    p = Problems()
    prefix = f"br:{stage_name}:logging:"
    known = {prefix + "fluent-bit-image", prefix + "addon-version"}
    for key in sorted(k for k in context if k.startswith(prefix) and k not in known):
        p.add(key, context[key], " | ".join(sorted(known)))
    image = DEFAULT_IMAGE
    for key in ("br:logging:fluent-bit-image", prefix + "fluent-bit-image"):
        if key in context:
            try:
                image = FluentBitImage.parse(str(context[key]), field_name=key)
            except ConfigError as err:
                p.extend(err.problems)
    addon_version = context.get(prefix + "addon-version")
    if addon_version is not None and not str(addon_version).startswith("v"):
        p.add(prefix + "addon-version", addon_version, "an add-on version such as v4.1.0-eksbuild.1")
    p.raise_if_any()
    production = stage_name == "production"
    return LoggingConfig(
        stage_name=stage_name,
        retention=stage_log_retention(stage_name),
        retain_on_delete=production,
        image=image,
        addon_version=str(addon_version) if addon_version is not None else None,
    )


@dataclass(frozen=True, slots=True)
class StageLogging:
    """What :func:`add_eks_logging` / :func:`add_ecs_logging` created."""

    groups: NodeLogGroups
    shipper: EksNodeLogging | EcsNodeLogging

    @property
    def sessions(self) -> logs.LogGroup | None:
        return self.groups.sessions


def add_eks_logging(
    stack: Stack,
    *,
    stage_name: str,
    cluster: BottlerocketCluster | eks.ICluster,
    key: kms.IKey,
    config: LoggingConfig,
    shipper_stack: Stack | None = None,
) -> StageLogging:
    """The EKS groups (id ``NodeLogs``, in ``stack``: the platform stack, rarely changed, keeps the logs) and
    Fluent Bit through the add-on (id ``NodeLogShipping``, in ``shipper_stack``, default ``stack``). The add-on's
    operator needs a node, so it waits for CoreDNS (which waits for the node groups of its stack): with node groups
    in ``Br<Stage>Nodes`` pass that stack, after ``cluster.add_node_addons`` placed CoreDNS there."""
    _same_stage(stage_name, config)
    ship_in = shipper_stack or stack
    groups = NodeLogGroups(
        stack,
        "NodeLogs",
        prefix=config.eks_prefix,
        key=key,
        retention=config.retention,
        removal_policy=config.removal_policy,
        # SSM session logs: the access work's session document owns its group (constructs_br.access).
    )
    fluent_bit = eks_node_config(
        region=stack.region, host_log_group=groups.names.host, containers_log_group=groups.names.containers
    )
    shipper = EksNodeLogging(
        ship_in,
        "NodeLogShipping",
        cluster=cluster,
        groups=groups,
        fluent_bit=fluent_bit,
        settings=AddonSettings(image=config.image),
        addon_version=config.addon_version,
    )
    return _acknowledged(StageLogging(groups=groups, shipper=shipper))


def add_ecs_logging(
    stack: Stack, *, stage_name: str, cluster: ecs.ICluster, key: kms.IKey, config: LoggingConfig
) -> StageLogging:
    """In the ECS stack: the ECS groups (id ``NodeLogs``) and the Fluent Bit daemon service (id
    ``NodeLogShipping``). Application task definitions get FireLens with
    :func:`constructs_br.logs.firelens.add_log_router` (log group: ``result.groups.containers``)."""
    _same_stage(stage_name, config)
    groups = NodeLogGroups(
        stack,
        "NodeLogs",
        prefix=config.ecs_prefix,
        key=key,
        retention=config.retention,
        removal_policy=config.removal_policy,
    )
    shipper = EcsNodeLogging(
        stack,
        "NodeLogShipping",
        cluster=cluster,
        groups=groups,
        fluent_bit=ecs_node_config(region=stack.region, host_log_group=groups.names.host),
        image=config.image,
    )
    return _acknowledged(StageLogging(groups=groups, shipper=shipper))


def _same_stage(stage_name: str, config: LoggingConfig) -> None:
    if stage_name != config.stage_name:
        raise ConfigError("logging.stage_name", stage_name, f"{config.stage_name} (the config's stage)")


def _acknowledged(result: StageLogging) -> StageLogging:
    """This app's default digest is a placeholder: its deploy-refusal rule (PlaceholderImageRefused) is the guard,
    so the synth warning is acknowledged here, with that reason."""
    Annotations.of(result.shipper).acknowledge_warning(
        PLACEHOLDER_DIGEST_WARNING,
        "this app's default digest is a placeholder whose deploy-refusal rule stops any deploy until it is set",
    )
    return result
