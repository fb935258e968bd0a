from __future__ import annotations

import tomllib

import pytest

from constructs_br.errors import ConfigError
from constructs_br.settings import (
    KubernetesSettings,
    Settings,
    custom_ami_user_data,
    ecs_user_data,
    eks_managed_user_data,
)

K8S = "aws-k8s-1.33"


def test_eks_managed_renders_defaults_and_layers() -> None:
    text = eks_managed_user_data(
        variant=K8S,
        stage={"kubernetes": {"node-labels": {"stage": "pilot"}}},
        nodegroup=Settings(kubernetes=KubernetesSettings(max_pods=110)),
    )
    doc = tomllib.loads(text)["settings"]
    assert doc["kubernetes"] == {"max-pods": 110, "node-labels": {"stage": "pilot"}}
    assert doc["host-containers"]["admin"]["enabled"] is False


def test_eks_managed_rejects_injected_keys_all_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        eks_managed_user_data(
            variant=K8S,
            extras={
                "kubernetes": {
                    "cluster-name": "x",
                    "api-server": "https://x",
                    "node-labels": {"eks.amazonaws.com/nodegroup": "a"},
                    "max-pods": "110",
                }
            },
        )
    assert err.value.fields == (
        "settings.kubernetes.cluster-name",
        "settings.kubernetes.api-server",
        'settings.kubernetes.node-labels."eks.amazonaws.com/nodegroup"',
        "settings.kubernetes.max-pods",
    )
    assert "EKS injects" in str(err.value)


def test_eks_managed_rejects_ecs_variant() -> None:
    with pytest.raises(ConfigError, match="variant"):
        eks_managed_user_data(variant="aws-ecs-2")


def test_custom_ami_requires_join_keys_and_accepts_tokens() -> None:
    text = custom_ami_user_data(
        variant=K8S,
        cluster_name="${Token[TOKEN.1]}",
        api_server="${Token[TOKEN.2]}",
        cluster_certificate="${Token[TOKEN.3]}",
        cluster_dns_ip=["10.100.0.10"],
    )
    k = tomllib.loads(text)["settings"]["kubernetes"]
    assert k["api-server"] == "${Token[TOKEN.2]}"
    assert k["cluster-dns-ip"] == ["10.100.0.10"]
    with pytest.raises(ConfigError) as err:
        custom_ami_user_data(
            variant=K8S,
            cluster_name="",
            api_server="https://x",
            cluster_certificate="Zm9v",
            cluster_dns_ip="10.0.0.10",
            extras={"kubernetes": {"cluster-name": "other"}},
        )
    assert err.value.fields[:2] == ("settings.kubernetes.cluster-name", "settings.kubernetes.cluster-name")


def test_ecs_user_data() -> None:
    text = ecs_user_data(variant="aws-ecs-2", cluster="prod", stack_name="Stack", logical_resource_id="Asg")
    s = tomllib.loads(text)["settings"]
    assert s["ecs"] == {"cluster": "prod", "enable-spot-instance-draining": True, "allow-privileged-containers": False}
    assert s["cloudformation"] == {"should-signal": True, "stack-name": "Stack", "logical-resource-id": "Asg"}
    assert "kernel" in s


def test_ecs_user_data_errors() -> None:
    with pytest.raises(ConfigError) as err:
        ecs_user_data(
            variant="aws-ecs-2",
            cluster="c",
            stack_name="only-one",
            extras={"ecs": {"cluster": "other", "loglevel": "warning"}},
        )
    assert err.value.fields == ("settings.ecs.cluster", "settings.cloudformation", "settings.ecs.loglevel")
    with pytest.raises(ConfigError, match="variant"):
        ecs_user_data(variant=K8S, cluster="c")


def test_deterministic_output() -> None:
    a = eks_managed_user_data(variant=K8S, extras={"kubernetes": {"node-labels": {"b": "1", "a": "2"}}})
    b = eks_managed_user_data(variant=K8S, extras={"kubernetes": {"node-labels": {"a": "2", "b": "1"}}})
    assert a == b
