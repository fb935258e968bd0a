"""This app's access data per stage (who may reach the nodes and the cluster) and the one call the stage stacks make.

Context keys (``cdk.json`` or ``-c``); ARNs comma-separated:

==========================================  ==========================================================================
``br:<stage>:access:admins``                 EKS cluster admins; they may assume ``bottlerocket-admin-<stage>``
``br:<stage>:access:operators``              EKS edit; they may assume ``bottlerocket-control-<stage>`` (admins too)
``br:<stage>:access:viewers``                EKS view (no operator role)
``br:<stage>:access:<group>:namespaces``     limit that group's EKS access to these namespaces (admins: namespace admin)
``br:<stage>:access:require-mfa``            ``true``: role trust requires ``aws:MultiFactorAuthPresent``
``br:<stage>:access:permissions-boundary``   managed-policy ARN bounding both operator roles
``br:<stage>:access:max-session-hours``      1..12 (default 1)
``br:<stage>:break-glass:reason``            break-glass ON: why (at least six words) ...
``br:<stage>:break-glass:expires``           ... and until when (YYYY-MM-DD, end of day UTC); both or neither
==========================================  ==========================================================================

The defaults are **example principals** in account ``123456789012`` (``br:<stage>:account`` / ``br:account`` when
set): ``role/PlatformAdmins``, ``role/PlatformOperators``, ``role/PlatformViewers``. They synthesize; replace them
with your SSO permission-set role ARNs (without the ``aws-reserved/sso.amazonaws.com/`` path, as EKS access entries
require) before the first deploy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs_br.access import (
    AccessConfig,
    BreakGlass,
    ClusterPrincipal,
    KubernetesAccess,
    RoleTrust,
    SessionPreferences,
)
from constructs_br.access.fleet import FleetAccess
from constructs_br.access.spec import parse_date
from constructs_br.bluegreen import csv
from constructs_br.errors import ConfigError
from constructs_br.platform import BottlerocketCluster
from stacks.stage_stack import stage_log_retention

DEFAULT_ACCOUNT = "123456789012"
_GROUPS = {
    "admins": (KubernetesAccess.ADMIN, "PlatformAdmins"),
    "operators": (KubernetesAccess.EDIT, "PlatformOperators"),
    "viewers": (KubernetesAccess.VIEW, "PlatformViewers"),
}
_KEYS = {
    *(f"access:{g}" for g in _GROUPS),
    *(f"access:{g}:namespaces" for g in _GROUPS),
    "access:require-mfa",
    "access:permissions-boundary",
    "access:max-session-hours",
    "break-glass:reason",
    "break-glass:expires",
}


def _bool(value: Any, key: str) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise ConfigError(key, value, "true | false")


def access_config(stage_name: str, context: Mapping[str, Any], *, today: date | None = None) -> AccessConfig:
    """The stage's :class:`AccessConfig` from the defaults plus ``br:<stage>:access:*`` / ``break-glass:*`` context.

    ``today`` (default: the date synth runs) bounds the break-glass window: expired, or longer than the stage allows
    (production 7 days, others 30), is a :class:`~constructs_br.access.spec.BreakGlassError`.
    """
    prefix = f"br:{stage_name}:"
    unknown = sorted(
        k
        for k in context
        if k.startswith((prefix + "access:", prefix + "break-glass:")) and k[len(prefix) :] not in _KEYS
    )
    if unknown:
        raise ConfigError(unknown[0], context[unknown[0]], ", ".join(sorted(prefix + k for k in _KEYS)))
    account = str(context.get(prefix + "account", context.get("br:account", DEFAULT_ACCOUNT)))
    members: dict[str, tuple[str, ...]] = {}
    cluster: list[ClusterPrincipal] = []
    for group, (access, example) in _GROUPS.items():
        key = f"{prefix}access:{group}"
        arns = csv(context[key]) if key in context else (f"arn:aws:iam::{account}:role/{example}",)
        members[group] = arns
        namespaces = csv(context.get(f"{key}:namespaces", ""))
        cluster += [ClusterPrincipal(arn=a, access=access, namespaces=namespaces) for a in arns]
    boundary = context.get(prefix + "access:permissions-boundary")
    hours = context.get(prefix + "access:max-session-hours", 1)
    if not str(hours).strip().isdigit():
        raise ConfigError(prefix + "access:max-session-hours", hours, "a whole number of hours 1..12")
    trust = RoleTrust(
        require_mfa=_bool(context.get(prefix + "access:require-mfa", False), prefix + "access:require-mfa"),
        permissions_boundary_arn=str(boundary) if boundary else None,
        max_session_hours=int(str(hours)),
    )
    reason = context.get(prefix + "break-glass:reason")
    expires = context.get(prefix + "break-glass:expires")
    break_glass = BreakGlass(
        enabled=reason is not None or expires is not None,
        reason=str(reason or ""),
        expires=parse_date(expires, prefix + "break-glass:expires") if expires is not None else None,
    )
    break_glass.check_window(stage_name, today or date.today())
    control_principals = tuple(dict.fromkeys((*members["operators"], *members["admins"])))
    return AccessConfig(
        stage=stage_name,
        control=dataclasses.replace(trust, principals=control_principals),
        admin=dataclasses.replace(trust, principals=members["admins"]),
        cluster=tuple(cluster),
        session=SessionPreferences(log_retention_days=int(stage_log_retention(stage_name))),
        break_glass=break_glass,
    )


def add_access(
    stack: Stack,
    *,
    stage_name: str,
    cluster: BottlerocketCluster | None,
    key: kms.IKey,
    config: AccessConfig,
    node_roles: tuple[iam.IRole, ...] = (),
    role_name_prefix: str = "bottlerocket",
) -> FleetAccess:
    """Add the stage's access (child ``Access`` of ``stack``): operator roles, session preferences, break-glass
    documents, EKS access entries for ``config``'s people (with a cluster), and the node session policy attached to
    ``node_roles`` (nodes in other stacks attach it by ``access.node_session_policy.managed_policy_arn``).
    ``role_name_prefix``: the operator roles' names start with it (IAM is global: a stage's second region needs its
    own, see :attr:`stacks.config.StageConfig.role_name_prefix`)."""
    if config.stage != stage_name:
        raise ConfigError("access.stage", config.stage, f"{stage_name} (the stage being built)")
    return FleetAccess(
        stack,
        "Access",
        config=config,
        key=key,
        cluster=cluster,
        node_roles=node_roles,
        role_name_prefix=role_name_prefix,
    )
