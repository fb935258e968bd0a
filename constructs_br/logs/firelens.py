"""FireLens: a Fluent Bit log-router sidecar for an application task definition, shipping its containers' stdout to
the stage's containers log group (the same scoped permissions as the node daemons).

:func:`add_log_router` adds the router (``awsfirelens`` type, Fluent Bit image by digest) and returns it;
:func:`firelens_logging` is the ``logging=`` of each application container. The router's own output goes to the same
group through ``awslogs`` (stream prefix ``firelens``).

Bottlerocket ECS nodes must offer the ``awsfirelens`` log driver: ``settings.ecs.logging-drivers`` must include it
(docs/logging.md).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_br.compliance.nag import acknowledge
from constructs_br.logs.fluentbit import FluentBitImage
from constructs_br.logs.shipping import log_shipping_policy

ROUTER_NAME = "log-router"


def add_log_router(
    task_definition: ecs.TaskDefinition,
    *,
    log_group: logs.ILogGroup,
    image: FluentBitImage,
    memory_reservation_mib: int = 50,
) -> ecs.FirelensLogRouter:
    """Add the FireLens router to ``task_definition`` and grant its task role the scoped log permissions.

    The policy (``<task definition>/LogRouterPolicy``) names ``log_group`` only; its streams are per task.
    """
    router = task_definition.add_firelens_log_router(
        "LogRouter",
        container_name=ROUTER_NAME,
        image=ecs.ContainerImage.from_registry(image.reference),
        firelens_config=ecs.FirelensConfig(type=ecs.FirelensLogRouterType.FLUENTBIT),
        essential=True,
        memory_reservation_mib=memory_reservation_mib,
        readonly_root_filesystem=False,  # FireLens writes its generated configuration into the router container
        logging=ecs.LogDrivers.aws_logs(stream_prefix="firelens", log_group=log_group),
    )
    role = task_definition.task_role
    assert isinstance(role, iam.Role)
    log_shipping_policy(
        task_definition,
        "LogRouterPolicy",
        log_group_names=[log_group.log_group_name],
        roles=[role],
        what="FireLens log router",
    )
    if task_definition.execution_role is not None:
        acknowledge(
            task_definition.execution_role,
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "CDK's awslogs driver grants the execution role CreateLogStream and PutLogEvents on the containers "
            "log group only, as an inline default policy; it holds nothing else.",
        )
    return router


def firelens_logging(scope: Construct, *, log_group_name: str, stream_prefix: str) -> ecs.LogDriver:
    """``logging=`` for an application container: FireLens → ``cloudwatch_logs`` into ``log_group_name`` (which must
    exist: ``auto_create_group`` is off)."""
    return ecs.LogDrivers.firelens(
        options={
            "Name": "cloudwatch_logs",
            "region": Stack.of(scope).region,
            "log_group_name": log_group_name,
            "log_stream_prefix": f"{stream_prefix}/",
            "auto_create_group": "false",
        }
    )
