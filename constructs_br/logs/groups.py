"""The log groups node logs land in: host (journal: kubelet/containerd/ECS agent/host containers), containers, and
optionally SSM sessions — each with a fixed name, the customer KMS key and a retention.

The names are API: dashboards, Logs Insights queries and the Fluent Bit configuration use them. They derive from the
prefix only (``<prefix>/host``, ``<prefix>/containers``) and the sessions name you give, never from a value that
changes.
Ids are ``Host``, ``Containers``, ``Sessions`` (each an ``AWS::Logs::LogGroup``); never rename them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_br._scope import stack_env
from constructs_br.errors import Problems
from constructs_br.logs.keys import LogRetention, _retention

_PREFIX = re.compile(r"^/[A-Za-z0-9_\-/.#]{1,480}[A-Za-z0-9_\-.#]$")


@dataclass(frozen=True, slots=True, kw_only=True)
class LogGroupNames:
    """The names under ``prefix`` (pure: the CLI and queries can compute them without synth).

    >>> LogGroupNames(prefix="/constructs-br/pilot/eks").host
    '/constructs-br/pilot/eks/host'
    """

    prefix: str
    sessions: str | None = None
    """The SSM sessions group (one per stage, shared with the access work), if this set has it."""

    @property
    def host(self) -> str:
        return f"{self.prefix}/host"

    @property
    def containers(self) -> str:
        return f"{self.prefix}/containers"


class NodeLogGroups(Construct):
    """``Host`` and ``Containers`` log groups (and ``Sessions`` with ``sessions=True``) under ``prefix``.

    :param prefix: the name prefix, e.g. ``/constructs-br/production/eks`` (must be unique per account and region:
        two stacks with the same prefix would fight over the names).
    :param key: customer-managed KMS key (its policy must let CloudWatch Logs use it: :class:`FleetKey` does).
    :param retention: retention of every group (default one year).
    :param removal_policy: what deleting the stack does to the groups (default: retain them, audit evidence).
    :param sessions_log_group_name: also create the SSM sessions group with this name (one per stage: only one
        stack of a stage should).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        key: kms.IKey,
        retention: LogRetention = LogRetention.ONE_YEAR,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        sessions_log_group_name: str | None = None,
    ) -> None:
        p = Problems()
        if not _PREFIX.match(prefix) or "//" in prefix:
            p.add("log_groups.prefix", prefix, "an absolute name such as /constructs-br/pilot/eks (no trailing '/')")
        if sessions_log_group_name is not None and not _PREFIX.match(sessions_log_group_name):
            p.add("log_groups.sessions_log_group_name", sessions_log_group_name, "an absolute log group name")
        if retention not in tuple(LogRetention):
            p.add("log_groups.retention", retention, " | ".join(str(int(r)) for r in LogRetention))
        p.raise_if_any()
        super().__init__(scope, construct_id)
        self.names = LogGroupNames(prefix=prefix, sessions=sessions_log_group_name)
        self.retention = retention
        self.removal_policy = removal_policy
        self.key = key

        def group(cid: str, name: str) -> logs.LogGroup:
            return logs.LogGroup(
                self,
                cid,
                log_group_name=name,
                encryption_key=key,
                retention=_retention(retention),
                removal_policy=removal_policy,
            )

        self.host = group("Host", self.names.host)
        self.containers = group("Containers", self.names.containers)
        self.sessions: logs.LogGroup | None = (
            group("Sessions", sessions_log_group_name) if sessions_log_group_name is not None else None
        )

    @property
    def groups(self) -> tuple[logs.LogGroup, ...]:
        """Every group created here."""
        return tuple(g for g in (self.host, self.containers, self.sessions) if g is not None)

    def shipping_groups(self) -> tuple[logs.LogGroup, ...]:
        """The groups Fluent Bit writes to (host and containers; sessions are written by SSM)."""
        return (self.host, self.containers)


def log_group_arn(scope: Construct, name: str) -> str:
    """``arn:…:logs:<region>:<account>:log-group:<name>`` — the group itself (``DescribeLogStreams``)."""
    env = stack_env(scope)  # what Arn.format(..., COLON_RESOURCE_NAME) writes, without its two jsii round trips
    return f"arn:{env.partition}:logs:{env.region}:{env.account}:log-group:{name}"


def log_stream_arn(scope: Construct, name: str) -> str:
    """``…:log-group:<name>:log-stream:*`` — its streams (``CreateLogStream``, ``PutLogEvents``)."""
    return f"{log_group_arn(scope, name)}:log-stream:*"
