"""The Bottlerocket update operator's configuration, pure (no ``aws_cdk``): stage config and tests use it without
jsii; :mod:`constructs_br.eks.update_operator` builds the charts from it.

:class:`UpdateOperatorSpec`: the maintenance window (``scheduler_cron_expression``, the cron
syntax of the ``cron`` crate BRUPOP parses it with), ``max_concurrent_updates`` and
``exclude_from_lb_wait_time_in_sec``. :func:`capped_concurrency` caps the concurrency at the smallest disruption
budget of the node groups the operator manages (``max_unavailable``, or ``max_unavailable_percentage`` of
``max_size``), so the operator never takes down more nodes of a group at once than an EKS update would.

Only nodes labelled ``bottlerocket.aws/updater-interface-version=2.0.0`` run the agent; node groups opt in with
``NodeGroupSpec(update_operator=True)``, which sets that label and leaves ``settings.updates.version-lock`` to the
operator. Every other node is locked to its pinned image (see :mod:`constructs_br.eks.nodegroup`).

The chart versions and repositories are pinned here; the repositories are fetched by the kubectl provider at deploy
time (its Lambda needs egress to them).

>>> spec = UpdateOperatorSpec(scheduler_cron_expression="0 0 3 * * Sat,Sun *", max_concurrent_updates=3)
>>> capped_concurrency(spec, [1, 2])
1
>>> UpdateOperatorSpec(scheduler_cron_expression="0 3 * * *")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: update_operator.scheduler_cron_expression: got '0 3 * * *'; allowed: ...
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from constructs_br.errors import ConfigError, Problem, Problems

if TYPE_CHECKING:
    from constructs_br.eks.spec import NodeGroupSpec

UPDATER_INTERFACE_LABEL: Final = "bottlerocket.aws/updater-interface-version"
"""The node label BRUPOP's agent DaemonSet selects on (its node affinity requires it)."""
UPDATER_INTERFACE_VERSION: Final = "2.0.0"
"""The updater interface BRUPOP 1.x speaks."""

BRUPOP_NAMESPACE: Final = "brupop-bottlerocket-aws"
"""The namespace of both BRUPOP charts (their ``namespace`` value; the shadow CRD's webhook points into it)."""
CONCURRENCY_CAPPED_WARNING: Final = "constructs-br:update-concurrency-capped"
"""Warning ID when the node groups' disruption budget lowers ``max_concurrent_updates``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChartPin:
    """One Helm chart, pinned: ``repository`` (fetched by the kubectl provider at deploy time), ``chart``, exact
    ``version``, the Helm ``release`` name and its ``namespace`` (created by the chart's install)."""

    repository: str
    chart: str
    version: str
    release: str
    namespace: str


CERT_MANAGER_CHART: Final = ChartPin(
    repository="https://charts.jetstack.io",
    chart="cert-manager",
    version="v1.17.2",
    release="cert-manager",
    namespace="cert-manager",
)
"""cert-manager (BRUPOP's API server and agents talk TLS with certificates it issues); its CRDs with the chart."""
BRUPOP_REPOSITORY: Final = "https://bottlerocket-os.github.io/bottlerocket-update-operator"
SHADOW_CHART: Final = ChartPin(
    repository=BRUPOP_REPOSITORY,
    chart="bottlerocket-shadow",
    version="1.0.0",
    release="brupop-crd",
    namespace=BRUPOP_NAMESPACE,
)
"""The ``BottlerocketShadow`` CRD (``brupop.bottlerocket.aws``), one object per managed node."""
OPERATOR_CHART: Final = ChartPin(
    repository=BRUPOP_REPOSITORY,
    chart="bottlerocket-update-operator",
    version="1.3.0",
    release="brupop-operator",
    namespace=BRUPOP_NAMESPACE,
)
"""The controller, API server and agent DaemonSet (image ``bottlerocket-update-operator:v1.3.0``, the chart's)."""

# --- the cron grammar of the `cron` crate (BRUPOP's controller: cron::Schedule::from_str) -------------------------
# sec min hour day-of-month month day-of-week [year]; items: * ? N N-M NAME NAME-NAME, with /step; lists with ','.
# L, W and # (newer cron releases only) are refused: the crate version in a BRUPOP release may predate them.
_SHORTHANDS = ("@yearly", "@monthly", "@weekly", "@daily", "@hourly")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), start=1)}  # fmt: skip
_MONTH_NAMES = {"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8,
                "september": 9, "october": 10, "november": 11, "december": 12}  # fmt: skip
_DAYS = {"sun": 1, "sunday": 1, "mon": 2, "monday": 2, "tue": 3, "tues": 3, "tuesday": 3, "wed": 4, "wednesday": 4,
         "thu": 5, "thurs": 5, "thursday": 5, "fri": 6, "friday": 6, "sat": 7, "saturday": 7}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Unit:
    name: str
    low: int
    high: int
    names: dict[str, int]
    any_ok: bool = False


_UNITS = (
    _Unit("seconds", 0, 59, {}),
    _Unit("minutes", 0, 59, {}),
    _Unit("hours", 0, 23, {}),
    _Unit("day of month", 1, 31, {}, any_ok=True),
    _Unit("month", 1, 12, {**_MONTHS, **_MONTH_NAMES}),
    _Unit("day of week", 1, 7, _DAYS, any_ok=True),
    _Unit("year", 1970, 2100, {}),
)
_ITEM = re.compile(r"^(?P<base>\*|\?|[0-9]+|[A-Za-z]+|[0-9]+-[0-9]+|[A-Za-z]+-[A-Za-z]+)(?:/(?P<step>[0-9]+))?$")
CRON_ALLOWED = (
    "a cron expression of BRUPOP's cron crate: 'sec min hour day-of-month month day-of-week [year]' (6 or 7 fields; "
    "*, ?, N, N-M, names, /step, lists), or @yearly | @monthly | @weekly | @daily | @hourly"
)


def _value(token: str, unit: _Unit) -> int | None:
    if token.isdigit():
        n = int(token)
        return n if unit.low <= n <= unit.high else None
    return unit.names.get(token.lower())


def _item_error(item: str, unit: _Unit) -> str | None:
    m = _ITEM.match(item)
    if m is None:
        return f"{item!r} is not *, ?, N, N-M or a name (with an optional /step)"
    base, step = m["base"], m["step"]
    if base == "?" and not unit.any_ok:
        return f"'?' only in day of month or day of week, not {unit.name}"
    if step is not None:
        if base.isalpha():
            return f"{item!r}: a /step needs *, a number or a range before it"
        if not 1 <= int(step) <= unit.high:
            return f"{item!r}: the step must be 1..{unit.high}"
    if base in ("*", "?"):
        return None
    ends = base.split("-")
    values = [_value(e, unit) for e in ends]
    if any(v is None for v in values):
        names = "" if not unit.names else " or a name"
        return f"{item!r}: {unit.name} must be {unit.low}..{unit.high}{names}"
    if len(values) == 2 and values[0] is not None and values[1] is not None and values[0] > values[1]:
        return f"{item!r}: a range must not run backwards"
    return None


def cron_problems(expression: str, field_name: str) -> list[Problem]:
    """Problems of ``expression`` as BRUPOP's controller would parse it (``[]`` when it is valid).

    >>> cron_problems("* * 10-12 * * Mon-Fri *", "cron")
    []
    >>> [p.hint for p in cron_problems("0 0 25 * * *", "cron")]
    ["'25': hours must be 0..23"]
    """
    if not isinstance(expression, str):
        return [Problem(field_name, expression, CRON_ALLOWED)]
    text = expression.strip()
    if text in _SHORTHANDS:
        return []
    fields = text.split()
    if len(fields) not in (6, 7):
        return [Problem(field_name, expression, CRON_ALLOWED, f"{len(fields)} fields; BRUPOP's cron has seconds first")]
    errors = []
    for value, unit in zip(fields, _UNITS, strict=False):
        for item in value.split(","):
            error = _item_error(item, unit)
            if error is not None:
                errors.append(error)
    return [Problem(field_name, expression, CRON_ALLOWED, e) for e in errors]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateOperatorSpec:
    """BRUPOP's settings for one stage: validated on construction (every problem at once).

    ``scheduler_cron_expression`` is the maintenance window in UTC (``* * 2-4 * * Sat *``: any second of 02:00..04:59
    on Saturdays; a single instant such as ``0 0 3 * * Sat *`` triggers all waiting updates at that time).
    ``max_concurrent_updates``: nodes updated at once (capped by :func:`capped_concurrency`).
    ``exclude_from_lb_wait_time_in_sec``: seconds between excluding a node from load balancers and draining it.
    """

    scheduler_cron_expression: str
    max_concurrent_updates: int = 1
    exclude_from_lb_wait_time_in_sec: int = 0
    field_prefix: str = field(default="update_operator", compare=False)

    def __post_init__(self) -> None:
        p = Problems()
        p.extend(self.problems())
        p.raise_if_any()

    def problems(self) -> list[Problem]:
        """Every problem of the spec (the constructor raises them)."""
        f = self.field_prefix
        p = Problems()
        p.extend(cron_problems(self.scheduler_cron_expression, f"{f}.scheduler_cron_expression"))
        n = self.max_concurrent_updates
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            p.add(f"{f}.max_concurrent_updates", n, "an integer >= 1 ('unlimited' is not offered: it is capped)")
        wait = self.exclude_from_lb_wait_time_in_sec
        if isinstance(wait, bool) or not isinstance(wait, int) or wait < 0:
            p.add(f"{f}.exclude_from_lb_wait_time_in_sec", wait, "an integer >= 0 (0: do not exclude from LBs)")
        return p.items


def node_group_budget(spec: NodeGroupSpec) -> int:
    """How many nodes of a node group may be down at once: ``max_unavailable``, or ``max_unavailable_percentage``
    of ``max_size`` rounded down (at least 1).

    >>> from constructs_br.eks.spec import NodeGroupSpec
    >>> node_group_budget(NodeGroupSpec(arch="arm64", instance_types=("m7g.large",), max_size=10,
    ...                                 max_unavailable=None, max_unavailable_percentage=25))
    2
    """
    if spec.max_unavailable is not None:
        return spec.max_unavailable
    assert spec.max_unavailable_percentage is not None
    return max(1, math.floor(spec.max_size * spec.max_unavailable_percentage / 100))


def _budget_problems(budgets: Sequence[int], field_name: str) -> list[Problem]:
    p = Problems()
    if not budgets:
        p.add(field_name, list(budgets), "one budget per node group the operator manages (node_group_budget(spec))")
    for i, b in enumerate(budgets):
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            p.add(f"{field_name}[{i}]", b, "an integer >= 1 (a node group's max_unavailable)")
    return p.items


def capped_concurrency(spec: UpdateOperatorSpec, node_group_budgets: Sequence[int]) -> int:
    """``max_concurrent_updates``, capped at the smallest node-group budget (BRUPOP picks nodes cluster-wide, so all
    concurrent updates may land in one group)."""
    problems = _budget_problems(node_group_budgets, f"{spec.field_prefix}.node_group_budgets")
    if problems:
        raise ConfigError(problems=problems)
    return min(spec.max_concurrent_updates, *node_group_budgets)


def concurrency_warning(spec: UpdateOperatorSpec, node_group_budgets: Sequence[int]) -> str | None:
    """The synth warning when the cap lowers the configured concurrency, else ``None``."""
    capped = capped_concurrency(spec, node_group_budgets)
    if capped == spec.max_concurrent_updates:
        return None
    return (
        f"{spec.field_prefix}.max_concurrent_updates {spec.max_concurrent_updates} is capped at {capped}: the "
        f"smallest disruption budget (max_unavailable) of the node groups the operator manages"
    )


def cert_manager_values() -> dict[str, Any]:
    """cert-manager with its CRDs (``crds.enabled``), kept on uninstall (``crds.keep``: deleting the CRDs would delete
    every certificate in the cluster)."""
    return {"crds": {"enabled": True, "keep": True}}


def shadow_values() -> dict[str, Any]:
    """The CRD chart: its conversion webhook points at the operator's API server in :data:`BRUPOP_NAMESPACE`."""
    return {"namespace": BRUPOP_NAMESPACE}


def operator_values(spec: UpdateOperatorSpec, concurrency: int) -> dict[str, Any]:
    """The operator chart's values (strings, as the chart's own defaults: they become container environment)."""
    return {
        "namespace": BRUPOP_NAMESPACE,
        "scheduler_cron_expression": spec.scheduler_cron_expression.strip(),
        "max_concurrent_updates": str(concurrency),
        "exclude_from_lb_wait_time_in_sec": str(spec.exclude_from_lb_wait_time_in_sec),
    }
