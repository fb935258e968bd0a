"""The Bottlerocket update operator: the spec (cron grammar, concurrency), the cap at the node groups' budgets, the
three charts in order with their values, and cdk-nag on an operator stack with the operator and the Kyverno audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Annotations, Match, Template

from constructs_br.compliance import kyverno
from constructs_br.compliance.kyverno_install import KyvernoNodeAudit
from constructs_br.compliance.nag import add_nag_checks
from constructs_br.eks import NodeGroupSpec, UpdateOperatorSpec, capped_concurrency, node_group_budget
from constructs_br.eks.update_operator import (
    BRUPOP_NAMESPACE,
    CERT_MANAGER_CHART,
    CONCURRENCY_CAPPED_WARNING,
    OPERATOR_CHART,
    SHADOW_CHART,
    BottlerocketUpdateOperator,
    concurrency_warning,
    cron_problems,
)
from constructs_br.errors import ConfigError
from tests.unit.eks.test_kubectl import kubectl, ops_stack

WINDOW = "* * 2-4 * * Sat *"


# --- the spec -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "* * * * * * *",  # BRUPOP's default
        "* * * * * *",  # the year is optional
        WINDOW,
        "0 0 3 * * Mon-Fri *",
        "0 30 1 1,15 Jan-Mar ? 2026-2030",
        "*/10 0/5 1-5/2 * * SUN,sat",
        "0 0 10 ? * 2",
        "@weekly",
        "  0 0 3 * * * *  ",
    ],
)
def test_cron_expressions_brupop_accepts(expression: str) -> None:
    assert cron_problems(expression, "cron") == []
    assert UpdateOperatorSpec(scheduler_cron_expression=expression).scheduler_cron_expression == expression


@pytest.mark.parametrize(
    ("expression", "hint"),
    [
        ("0 3 * * *", "5 fields"),  # Unix cron: no seconds
        ("* * * * * * * *", "8 fields"),
        ("60 * * * * *", "seconds must be 0..59"),
        ("* 60 * * * *", "minutes must be 0..59"),
        ("* * 24 * * *", "hours must be 0..23"),
        ("* * * 0 * *", "day of month must be 1..31"),
        ("* * * * 13 *", "month must be 1..12"),
        ("* * * * * 0", "day of week must be 1..7"),
        ("* * * * * 8", "day of week must be 1..7"),
        ("* * * * * * 1969", "year must be 1970..2100"),
        ("* * * * Foo *", "month must be 1..12 or a name"),
        ("* * 5-2 * * *", "must not run backwards"),
        ("* * * * * Fri-Mon", "must not run backwards"),
        ("*/0 * * * * *", "step must be 1..59"),
        ("* * */25 * * *", "step must be 1..23"),
        ("* * * * * Wed/2", "a /step needs"),
        ("? * * * * *", "'?' only in day of month or day of week"),
        ("* * * L * *", "day of month must be 1..31"),
        ("* * * * * 5#3", "is not *, ?, N"),
        ('* * * * * "', "is not *, ?, N"),
        ("* * * 1,,2 * *", "is not *, ?, N"),
    ],
)
def test_cron_expressions_brupop_refuses(expression: str, hint: str) -> None:
    with pytest.raises(ConfigError) as exc:
        UpdateOperatorSpec(scheduler_cron_expression=expression)
    assert exc.value.fields[0] == "update_operator.scheduler_cron_expression"
    assert hint in str(exc.value)


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"max_concurrent_updates": 0}, "update_operator.max_concurrent_updates", ">= 1"),
        ({"max_concurrent_updates": "unlimited"}, "update_operator.max_concurrent_updates", "unlimited"),
        ({"max_concurrent_updates": True}, "update_operator.max_concurrent_updates", "integer"),
        ({"exclude_from_lb_wait_time_in_sec": -1}, "update_operator.exclude_from_lb_wait_time_in_sec", ">= 0"),
        ({"exclude_from_lb_wait_time_in_sec": 1.5}, "update_operator.exclude_from_lb_wait_time_in_sec", "integer"),
        ({"scheduler_cron_expression": 5}, "update_operator.scheduler_cron_expression", "cron"),
        (
            {"field_prefix": "stages.canary.update_operator", "max_concurrent_updates": 0},
            "stages.canary.update_operator.max_concurrent_updates",
            ">= 1",
        ),
    ],
)
def test_spec_errors_name_the_field(kwargs: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as exc:
        UpdateOperatorSpec(**{"scheduler_cron_expression": WINDOW, **kwargs})
    assert field in exc.value.fields, str(exc.value)
    assert fragment in str(exc.value)


def test_spec_collects_every_error() -> None:
    with pytest.raises(ConfigError) as exc:
        UpdateOperatorSpec(scheduler_cron_expression="0 3 * * *", max_concurrent_updates=0,
                           exclude_from_lb_wait_time_in_sec=-5)  # fmt: skip
    assert set(exc.value.fields) == {
        "update_operator.scheduler_cron_expression",
        "update_operator.max_concurrent_updates",
        "update_operator.exclude_from_lb_wait_time_in_sec",
    }


# --- the cap ------------------------------------------------------------------------------------------------------

BASE: dict[str, Any] = {"arch": "x86_64", "instance_types": ("m7i.large",), "update_operator": True}


def test_node_group_budget_from_count_or_percentage() -> None:
    assert node_group_budget(NodeGroupSpec(**BASE, max_unavailable=2)) == 2
    pct = {"max_unavailable": None, "max_size": 10}
    assert node_group_budget(NodeGroupSpec(**BASE, **pct, max_unavailable_percentage=33)) == 3  # floor(3.3)
    assert node_group_budget(NodeGroupSpec(**BASE, **pct, max_unavailable_percentage=5)) == 1  # at least one


def test_capped_at_the_smallest_budget_with_a_warning() -> None:
    spec = UpdateOperatorSpec(scheduler_cron_expression=WINDOW, max_concurrent_updates=3)
    assert capped_concurrency(spec, [5, 2, 4]) == 2
    warning = concurrency_warning(spec, [5, 2, 4])
    assert warning is not None
    assert "max_concurrent_updates 3 is capped at 2" in warning
    assert capped_concurrency(spec, [3, 5]) == 3
    assert concurrency_warning(spec, [3, 5]) is None


@pytest.mark.parametrize(
    ("budgets", "field"),
    [
        ([], "update_operator.node_group_budgets"),
        ([1, 0], "update_operator.node_group_budgets[1]"),
        ([True], "update_operator.node_group_budgets[0]"),
    ],
)
def test_bad_budgets_name_the_field(budgets: list[Any], field: str) -> None:
    spec = UpdateOperatorSpec(scheduler_cron_expression=WINDOW)
    with pytest.raises(ConfigError) as exc:
        capped_concurrency(spec, budgets)
    assert exc.value.fields == (field,)


# --- the charts ---------------------------------------------------------------------------------------------------


def _operator_stack(app: App | None = None, *, budgets: tuple[int, ...] = (1,), concurrency: int = 1) -> Any:
    stack, vpc, key = ops_stack(app)
    k = kubectl(stack, vpc, key)
    spec = UpdateOperatorSpec(
        scheduler_cron_expression=WINDOW, max_concurrent_updates=concurrency, exclude_from_lb_wait_time_in_sec=30
    )
    op = BottlerocketUpdateOperator(stack, "UpdateOperator", cluster=k.cluster, spec=spec, node_group_budgets=budgets)
    return stack, k, op


def _charts(template: Template) -> dict[str, tuple[str, dict[str, Any]]]:
    """chart name -> (logical id, resource)."""
    out = {}
    for logical_id, r in template.find_resources("Custom::AWSCDK-EKS-HelmChart").items():
        out[r["Properties"]["Chart"]] = (logical_id, r)
    return out


@pytest.fixture(scope="module")
def operator_template() -> Template:
    stack, _, _ = _operator_stack(budgets=(2, 3), concurrency=2)
    return Template.from_stack(stack)


def test_three_charts_in_order(operator_template: Template) -> None:
    charts = _charts(operator_template)
    assert set(charts) == {"cert-manager", "bottlerocket-shadow", "bottlerocket-update-operator"}
    cm_id, _ = charts["cert-manager"]
    shadow_id, shadow = charts["bottlerocket-shadow"]
    _, operator = charts["bottlerocket-update-operator"]
    assert cm_id in shadow["DependsOn"]
    assert shadow_id in operator["DependsOn"]


@pytest.mark.parametrize("pin", [CERT_MANAGER_CHART, SHADOW_CHART, OPERATOR_CHART], ids=lambda p: p.chart)
def test_charts_are_pinned_and_create_their_namespace(operator_template: Template, pin: Any) -> None:
    _, chart = _charts(operator_template)[pin.chart]
    props = chart["Properties"]
    assert props["Repository"] == pin.repository
    assert props["Version"] == pin.version
    assert props["Release"] == pin.release
    assert props["Namespace"] == pin.namespace
    assert props["CreateNamespace"] is True
    assert props["Wait"] is True
    assert props["ServiceToken"]["Fn::GetAtt"][0].startswith("KubectlKubectlProviderframework")


def test_values_rendered_from_the_spec(operator_template: Template) -> None:
    charts = _charts(operator_template)
    values = {name: json.loads(r["Properties"]["Values"]) for name, (_, r) in charts.items()}
    assert values["cert-manager"] == {"crds": {"enabled": True, "keep": True}}
    assert values["bottlerocket-shadow"] == {"namespace": BRUPOP_NAMESPACE}
    assert values["bottlerocket-update-operator"] == {
        "namespace": BRUPOP_NAMESPACE,
        "scheduler_cron_expression": WINDOW,
        "max_concurrent_updates": "2",
        "exclude_from_lb_wait_time_in_sec": "30",
    }


def test_cap_lowers_the_rendered_concurrency_and_warns() -> None:
    stack, _, op = _operator_stack(budgets=(1, 4), concurrency=3)
    assert op.max_concurrent_updates == 1
    _, operator = _charts(Template.from_stack(stack))["bottlerocket-update-operator"]
    assert json.loads(operator["Properties"]["Values"])["max_concurrent_updates"] == "1"
    Annotations.from_stack(stack).has_warning(
        "/Ops/UpdateOperator", Match.string_like_regexp(f"capped at 1.*\\[ack: {CONCURRENCY_CAPPED_WARNING}\\]")
    )


def test_no_warning_without_a_cap() -> None:
    stack, _, _ = _operator_stack(budgets=(2,), concurrency=1)
    Annotations.from_stack(stack).has_no_warning("/Ops/UpdateOperator", Match.any_value())


def test_operator_errors_before_any_child() -> None:
    stack, vpc, key = ops_stack()
    k = kubectl(stack, vpc, key)
    spec = UpdateOperatorSpec(scheduler_cron_expression=WINDOW)
    with pytest.raises(ConfigError) as exc:
        BottlerocketUpdateOperator(stack, "UpdateOperator", cluster=k.cluster, spec=spec, node_group_budgets=[])
    assert exc.value.fields == ("update_operator.node_group_budgets",)
    with pytest.raises(ConfigError) as exc:
        BottlerocketUpdateOperator(stack, "Op2", cluster=k.cluster, spec={"x": 1}, node_group_budgets=[1])  # type: ignore[arg-type]
    assert exc.value.fields == ("update_operator.spec",)
    assert stack.node.try_find_child("UpdateOperator") is None


def _policy() -> dict[str, Any]:
    return kyverno.node_policy(
        stage="canary", os_images=["Bottlerocket OS 1.50.0 (aws-k8s-1.33)"], required_labels=["constructs-br/pool"]
    )


def test_cdk_nag_clean_on_an_operator_stack_with_kyverno(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    add_nag_checks(app)
    stack, k, _ = _operator_stack(app)
    KyvernoNodeAudit(stack, "NodeAudit", cluster=k.cluster, policy=_policy())
    app.synth()  # raises on any unacknowledged finding
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert {r["pluginName"] for r in report["pluginReports"]} >= {"AwsSolutions", "NIST.800.53.R5"}
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin["violations"]
        for ack in plugin.get("suppressedViolations", []):
            assert len(ack["reason"].split()) >= 6, ack
    charts = _charts(Template.from_stack(stack))
    assert "kyverno" in charts  # one provider serves the operator and the audit
    assert len(Template.from_stack(stack).find_resources("AWS::Lambda::Function")) == 2
