"""What people may do with a stage's fleet, as data: operator-role trust, cluster access, session preferences,
break-glass. Pure Python (no ``aws_cdk``): the constructs in :mod:`constructs_br.access` and ``brctl access`` read it.

Frozen, keyword-only dataclasses that validate in ``__post_init__`` and report every problem at once.

>>> trust = RoleTrust(principals=("arn:aws:iam::123456789012:role/PlatformOperators",))
>>> trust.max_session_hours
1
>>> BreakGlass(enabled=True, reason="node 3 kubelet wedged, need host logs")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.access.spec.BreakGlassError: break_glass.expires: got None; allowed: a date (YYYY-MM-DD) ...
>>> ClusterPrincipal(arn="arn:aws:iam::123456789012:role/Dev", access=KubernetesAccess.EDIT,
...                  namespaces=("team-a",)).policy_name
'AmazonEKSEditPolicy'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from constructs_br.errors import ConfigError, Problems

BREAK_GLASS_TAG = "constructs-br:break-glass"
"""Tag on every access resource of a stage while break-glass is configured (value ``until-YYYY-MM-DD``)."""
ACCESS_ROLE_TAG = "constructs-br:access-role"
"""Tag on the operator roles: ``control`` or ``admin`` (``brctl access show`` finds them by it)."""
METADATA_KEY = "constructs-br:access"
"""Template ``Metadata`` key on each operator role: kind, stage, trust and break-glass (read by ``brctl``)."""

CONTROL = "control"
ADMIN = "admin"
ROLE_KINDS = (CONTROL, ADMIN)

MAX_BREAK_GLASS_DAYS = {"production": 7}
"""Longest break-glass window (expiry minus today) per stage; other stages: :data:`DEFAULT_MAX_BREAK_GLASS_DAYS`."""
DEFAULT_MAX_BREAK_GLASS_DAYS = 30
_MIN_REASON_WORDS = 6

_PRINCIPAL = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$")
_POLICY_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy/[\w+=,.@/-]{1,512}$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_FLEET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,127}$")


class BreakGlassError(ConfigError):
    """Break-glass configured without what it needs (a reason and an expiry date), or with an expired or too
    long window. A :class:`~constructs_br.errors.ConfigError`, so ``cdk synth`` and ``brctl`` report it in one line."""


class KubernetesAccess(StrEnum):
    """What an access entry lets a person do in the cluster (EKS access policies)."""

    ADMIN = "admin"
    EDIT = "edit"
    VIEW = "view"


_CLUSTER_POLICY = {
    KubernetesAccess.ADMIN: "AmazonEKSClusterAdminPolicy",
    KubernetesAccess.EDIT: "AmazonEKSEditPolicy",
    KubernetesAccess.VIEW: "AmazonEKSViewPolicy",
}
_NAMESPACED_POLICY = {**_CLUSTER_POLICY, KubernetesAccess.ADMIN: "AmazonEKSAdminPolicy"}


def principal_problems(arns: tuple[str, ...], field_name: str) -> Problems:
    """Each ARN must name one IAM role or user (no account root, no wildcard), once."""
    p = Problems()
    for arn in arns:
        if not isinstance(arn, str) or not _PRINCIPAL.match(arn) or "*" in arn:
            p.add(field_name, arn, "an IAM role or user ARN such as arn:aws:iam::123456789012:role/PlatformOperators")
    dupes = sorted({a for a in arns if arns.count(a) > 1})
    if dupes:
        p.add(field_name, dupes, "each principal once")
    return p


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterPrincipal:
    """One person-facing EKS access entry: ``arn`` gets ``access`` cluster-wide, or only in ``namespaces``.

    ``admin`` cluster-wide is ``AmazonEKSClusterAdminPolicy``; namespaced it is ``AmazonEKSAdminPolicy``.
    """

    arn: str
    access: KubernetesAccess
    namespaces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        p = principal_problems((self.arn,), "access.cluster.arn")
        try:
            KubernetesAccess(self.access)
        except ValueError:
            p.add("access.cluster.access", self.access, " | ".join(a.value for a in KubernetesAccess))
        bad = [n for n in self.namespaces if not _NAMESPACE.match(n)]
        if bad:
            p.add("access.cluster.namespaces", bad, "Kubernetes namespace names (RFC 1123 labels)")
        p.raise_if_any()

    @property
    def policy_name(self) -> str:
        table = _NAMESPACED_POLICY if self.namespaces else _CLUSTER_POLICY
        return table[KubernetesAccess(self.access)]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleTrust:
    """Who may assume one operator role, and on what terms.

    :param principals: IAM role/user ARNs (e.g. SSO permission-set roles); nothing else is trusted. Empty: the role
        is still created (its policy is reviewable) but nobody can assume it.
    :param require_mfa: add ``aws:MultiFactorAuthPresent`` to the trust. Off by default: SSO permission-set role
        sessions do not carry the MFA flag into ``AssumeRole`` (MFA is enforced at the identity provider); turn it on
        for IAM users.
    :param permissions_boundary_arn: a managed policy to bound the role with (optional).
    :param max_session_hours: 1..12 (default 1: operator sessions are short).
    """

    principals: tuple[str, ...] = ()
    require_mfa: bool = False
    permissions_boundary_arn: str | None = None
    max_session_hours: int = 1

    def __post_init__(self) -> None:
        p = principal_problems(self.principals, "access.trust.principals")
        if self.permissions_boundary_arn is not None and not _POLICY_ARN.match(self.permissions_boundary_arn):
            p.add("access.trust.permissions_boundary_arn", self.permissions_boundary_arn, "a managed policy ARN")
        if not 1 <= self.max_session_hours <= 12:
            p.add("access.trust.max_session_hours", self.max_session_hours, "1..12 (IAM's limit)")
        p.raise_if_any()


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakGlass:
    """The admin host container, reachable for a while. Off by default.

    On (``enabled=True``) needs a ``reason`` (at least six words) and an ``expires`` date: the admin role may send
    the break-glass document (``apiclient set host-containers.admin.enabled=true``) only until the end of that day
    (UTC, an ``aws:CurrentTime`` condition), and the stack shows it (tag, output, warning). User data never changes.
    """

    enabled: bool = False
    reason: str = ""
    expires: date | None = None

    def __post_init__(self) -> None:
        if not self.enabled:
            return
        p = Problems()
        if len(self.reason.split()) < _MIN_REASON_WORDS:
            p.add(
                "break_glass.reason",
                self.reason or None,
                f"a reason of at least {_MIN_REASON_WORDS} words",
                "break-glass opens the admin container: say why",
            )
        if self.expires is None:
            p.add("break_glass.expires", None, "a date (YYYY-MM-DD) after which the admin role may not send it")
        if p:
            raise BreakGlassError(problems=p.items)

    def check_window(self, stage: str, today: date) -> None:
        """Refuse an expired window, or one longer than the stage allows (:data:`MAX_BREAK_GLASS_DAYS`)."""
        if not self.enabled or self.expires is None:
            return
        longest = MAX_BREAK_GLASS_DAYS.get(stage, DEFAULT_MAX_BREAK_GLASS_DAYS)
        if self.expires < today:
            raise BreakGlassError(
                "break_glass.expires",
                self.expires.isoformat(),
                f"today ({today.isoformat()}) or later",
                "the window has passed: turn break-glass off",
            )
        if self.expires > today + timedelta(days=longest):
            raise BreakGlassError(
                "break_glass.expires",
                self.expires.isoformat(),
                f"at most {longest} days from today ({(today + timedelta(days=longest)).isoformat()}) in {stage}",
            )

    @property
    def tag_value(self) -> str:
        """``until-YYYY-MM-DD`` (IAM/EC2 tag values allow no free text; the reason is in the output)."""
        return f"until-{self.expires.isoformat()}" if self.expires else "off"


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPreferences:
    """The stage's Session Manager preferences: idle timeout, longest session, log retention (days)."""

    idle_timeout_minutes: int = 20
    max_session_minutes: int = 60
    log_retention_days: int = 365

    def __post_init__(self) -> None:
        p = Problems()
        if not 1 <= self.idle_timeout_minutes <= 60:
            p.add("access.session.idle_timeout_minutes", self.idle_timeout_minutes, "1..60 (Session Manager's range)")
        if not 1 <= self.max_session_minutes <= 1440:
            p.add("access.session.max_session_minutes", self.max_session_minutes, "1..1440")
        if self.log_retention_days not in (365, 731):
            p.add("access.session.log_retention_days", self.log_retention_days, "365 | 731")
        p.raise_if_any()


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessConfig:
    """Everything :class:`constructs_br.access.FleetAccess` builds for one stage.

    :param stage: the stage name the nodes carry in their ``constructs-br:stage`` tag.
    :param control: trust of the ``bottlerocket-control`` role (sessions into the control container).
    :param admin: trust of the ``bottlerocket-admin`` role (control + the break-glass documents).
    :param cluster: people's EKS access entries (one per principal).
    :param fleets: limit sessions to nodes of these fleets (``constructs-br:fleet``); empty: any fleet of the stage.
    """

    stage: str
    control: RoleTrust = field(default_factory=RoleTrust)
    admin: RoleTrust = field(default_factory=RoleTrust)
    cluster: tuple[ClusterPrincipal, ...] = ()
    fleets: tuple[str, ...] = ()
    session: SessionPreferences = field(default_factory=SessionPreferences)
    break_glass: BreakGlass = field(default_factory=BreakGlass)

    def __post_init__(self) -> None:
        p = Problems()
        if not re.match(r"^[a-z][a-z0-9-]{0,30}$", self.stage):
            p.add("access.stage", self.stage, "a lower-case stage name such as pilot")
        arns = tuple(c.arn for c in self.cluster)
        dupes = sorted({a for a in arns if arns.count(a) > 1})
        if dupes:
            p.add("access.cluster", dupes, "one access entry per principal (EKS allows one)")
        bad = [f for f in self.fleets if not _FLEET.match(f)]
        if bad:
            p.add("access.fleets", bad, "fleet names as in the constructs-br:fleet tag")
        p.raise_if_any()

    def principals(self, access: KubernetesAccess) -> tuple[str, ...]:
        return tuple(c.arn for c in self.cluster if c.access == access)


def parse_date(value: str, field_name: str) -> date:
    """``YYYY-MM-DD`` → date, or a :class:`BreakGlassError` naming the field.

    >>> parse_date("2026-03-01", "x")
    datetime.date(2026, 3, 1)
    """
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise BreakGlassError(field_name, value, "a date as YYYY-MM-DD") from None


__all__ = [
    "ACCESS_ROLE_TAG",
    "ADMIN",
    "BREAK_GLASS_TAG",
    "CONTROL",
    "METADATA_KEY",
    "AccessConfig",
    "BreakGlass",
    "BreakGlassError",
    "ClusterPrincipal",
    "KubernetesAccess",
    "RoleTrust",
    "SessionPreferences",
    "parse_date",
    "principal_problems",
]
