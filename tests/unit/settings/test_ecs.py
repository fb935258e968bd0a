from __future__ import annotations

import pytest

from constructs_br.errors import ConfigError
from tests.unit.settings.helpers import ECS, K8S, fields


def ecs(**kw: object) -> dict[str, object]:
    return {"ecs": kw}


def test_ecs_valid() -> None:
    doc = ecs(
        cluster="arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        **{
            "enable-spot-instance-draining": True,
            "allow-privileged-containers": False,
            "loglevel": "warn",
            "image-pull-behavior": "prefer-cached",
            "container-stop-timeout": "1m1s",
            "reserved-memory": 512,
            "logging-drivers": ["json-file", "awslogs"],
            "instance-attributes": {"team": "payments"},
        },
    )
    assert fields(doc, ECS) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [("loglevel", "warning"), ("image-pull-behavior", "never"), ("enable-spot-instance-draining", "true")],
)
def test_ecs_enums_and_types(key: str, value: object) -> None:
    assert fields(ecs(**{key: value}), ECS) == [f"settings.ecs.{key}"]


@pytest.mark.parametrize(("value", "ok"), [("30s", True), ("500us", True), ("10ns", True), ("30", False)])
def test_ecs_durations(value: str, ok: bool) -> None:
    assert fields(ecs(**{"task-cleanup-wait": value}), ECS) == ([] if ok else ["settings.ecs.task-cleanup-wait"])


def test_reserved_memory_is_u16() -> None:
    assert fields(ecs(**{"reserved-memory": 70000}), ECS) == ["settings.ecs.reserved-memory"]


def test_instance_attribute_grammar() -> None:
    assert fields(ecs(**{"instance-attributes": {"bad key": "v", "k": " leading"}}), ECS) == [
        'settings.ecs.instance-attributes."bad key"',
        "settings.ecs.instance-attributes.k",
    ]


def test_ecs_on_k8s_is_an_error() -> None:
    assert fields(ecs(cluster="x"), K8S) == ["settings.ecs"]


def test_unknown_ecs_key() -> None:
    assert fields(ecs(**{"enable-task-iam-role": True}), ECS) == ["settings.ecs.enable-task-iam-role"]


def test_aws_ecs_3_is_treated_like_aws_ecs_2() -> None:
    doc = {**ecs(cluster="c"), "boot": {"reboot-to-reconcile": True}}
    assert fields(doc, "aws-ecs-3") == []
    assert fields(doc, "aws-ecs-3-nvidia") == []


def test_aws_ecs_1_is_retired() -> None:
    with pytest.raises(ConfigError, match="aws-ecs-1 is retired"):
        fields({"boot": {"reboot-to-reconcile": True}}, "aws-ecs-1")


def test_container_runtime_not_on_ecs() -> None:
    assert fields({"container-runtime": {"enable-unprivileged-ports": True}}, ECS) == ["settings.container-runtime"]
