"""Node logs on ECS: a Fluent Bit daemon service (``DAEMON`` scheduling: one task on every container instance of the
cluster, placed before other tasks on a new instance) reading the host's journal through a read-only bind mount.

Bottlerocket ``aws-ecs-*`` nodes keep the ECS agent's, Docker's, containerd's and the host containers' logs in the
journal at ``/var/log/journal``. The configuration is rendered by :mod:`~constructs_br.logs.fluentbit` and handed to
the container in its command (base64, decoded into an ephemeral volume), so no environment variable or S3 object
carries it and the root file system stays read-only.

Children: ``TaskDefinition`` (``TaskRole`` gets the scoped :mod:`~constructs_br.logs.shipping` policy ``Policy``),
``Service`` (``AWS::ECS::Service`` with ``SchedulingStrategy: DAEMON``). The daemon's own stdout goes to the host
group through ``awslogs`` (stream prefix ``fluent-bit``).
"""

from __future__ import annotations

import base64

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br.compliance.nag import acknowledge
from constructs_br.errors import Problems
from constructs_br.logs.fluentbit import (
    JOURNAL_PATH,
    STATE_DIR,
    FluentBitConfig,
    FluentBitImage,
)
from constructs_br.logs.groups import NodeLogGroups
from constructs_br.logs.shipping import guard_placeholder_image, log_shipping_policy

CONFIG_DIR = "/fluent-bit/etc/constructs-br"
HOST_STATE_DIR = "/var/lib/fluent-bit/state"
"""On the host: read positions and the filesystem buffer survive a task restart (``/var/lib`` is writable on
Bottlerocket; the root file system is not)."""


def daemon_command(fluent_bit: FluentBitConfig) -> list[str]:
    """``sh -c``: decode the rendered configuration into the ephemeral config volume, then exec Fluent Bit."""
    encoded = base64.b64encode(fluent_bit.render().encode()).decode()
    return [
        "/bin/sh",
        "-c",
        f"echo {encoded} | base64 -d > {CONFIG_DIR}/fluent-bit.conf && "
        f"exec /fluent-bit/bin/fluent-bit -c {CONFIG_DIR}/fluent-bit.conf",
    ]


class EcsNodeLogging(Construct):
    """Fluent Bit on every container instance of ``cluster``, shipping the journal to ``groups.host``.

    :param cluster: the ECS cluster whose instances (the Bottlerocket capacity) run the daemon.
    :param groups: the stage's groups; every CloudWatch output of ``fluent_bit`` must write to one of them.
    :param fluent_bit: the pipeline (:func:`~constructs_br.logs.fluentbit.ecs_node_config`).
    :param image: the Fluent Bit image, by digest.
    :param cpu: CPU units reserved per task (default 128 = 1/8 vCPU).
    :param memory_reservation_mib: soft memory reservation (default 64).
    :param memory_limit_mib: hard limit; the task is restarted above it (default 256).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        groups: NodeLogGroups,
        fluent_bit: FluentBitConfig,
        image: FluentBitImage,
        cpu: int = 128,
        memory_reservation_mib: int = 64,
        memory_limit_mib: int = 256,
    ) -> None:
        p = Problems()
        known = {groups.names.host, groups.names.containers}
        for name in fluent_bit.log_group_names():
            if name not in known:
                p.add(
                    "ecs_logging.fluent_bit.outputs.log_group_name",
                    name,
                    " | ".join(sorted(known)),
                    "every output's log group must exist in the stack (the role cannot create one)",
                )
        if not 0 < memory_reservation_mib <= memory_limit_mib:
            p.add("ecs_logging.memory_reservation_mib", memory_reservation_mib, f"1..{memory_limit_mib} (the limit)")
        if not 0 < cpu <= 10240:
            p.add("ecs_logging.cpu", cpu, "1..10240 CPU units")
        p.extend(fluent_bit.problems())
        p.raise_if_any()
        super().__init__(scope, construct_id)
        self.task_definition = ecs.Ec2TaskDefinition(self, "TaskDefinition", network_mode=ecs.NetworkMode.BRIDGE)
        self.task_definition.add_volume(name="journal", host=ecs.Host(source_path=JOURNAL_PATH))
        self.task_definition.add_volume(name="state", host=ecs.Host(source_path=HOST_STATE_DIR))
        self.task_definition.add_volume(name="config")  # no source path: an ephemeral volume for this task
        self.container = self.task_definition.add_container(
            "FluentBit",
            container_name="fluent-bit",
            image=ecs.ContainerImage.from_registry(image.reference),
            command=daemon_command(fluent_bit),
            entry_point=[],
            essential=True,
            cpu=cpu,
            memory_reservation_mib=memory_reservation_mib,
            memory_limit_mib=memory_limit_mib,
            readonly_root_filesystem=True,
            docker_labels={"constructs-br.fluent-bit.tag": image.tag},
            logging=ecs.LogDrivers.aws_logs(stream_prefix="fluent-bit", log_group=groups.host),
        )
        self.container.add_mount_points(
            ecs.MountPoint(container_path=JOURNAL_PATH, source_volume="journal", read_only=True),
            ecs.MountPoint(container_path=STATE_DIR, source_volume="state", read_only=False),
            ecs.MountPoint(container_path=CONFIG_DIR, source_volume="config", read_only=False),
        )
        task_role = self.task_definition.task_role
        assert isinstance(task_role, iam.Role)
        self.policy = log_shipping_policy(
            self, "Policy", log_group_names=sorted(fluent_bit.log_group_names()), roles=[task_role], what="Fluent Bit"
        )
        self.service = ecs.Ec2Service(
            self,
            "Service",
            cluster=cluster,
            task_definition=self.task_definition,
            daemon=True,
            # A daemon replaces its task in place on each instance: 0..100 is the only valid range.
            min_healthy_percent=0,
            max_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            enable_execute_command=False,
        )
        # The task role's policy must exist before a task starts shipping.
        self.service.node.add_dependency(self.policy)
        guard_placeholder_image(self, image)
        execution_role = self.task_definition.execution_role
        if execution_role is not None:
            acknowledge(
                execution_role,
                "NIST.800.53.R5-IAMNoInlinePolicy",
                "CDK's awslogs driver grants the execution role CreateLogStream and PutLogEvents on the host "
                "log group only, as an inline default policy of that role; nothing else is in it.",
            )
