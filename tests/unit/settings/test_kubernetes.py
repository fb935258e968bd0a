from __future__ import annotations

import pytest

from constructs_br.errors import ConfigError
from constructs_br.settings import KubernetesSettings, Settings, check, validate
from tests.unit.settings.helpers import ECS, K8S, fields

CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="


def k8s(**kw: object) -> dict[str, object]:
    return {"kubernetes": kw}


def test_join_keys_valid() -> None:
    doc = k8s(
        **{
            "cluster-name": "prod-1",
            "api-server": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
            "cluster-certificate": CA,
            "cluster-dns-ip": "10.100.0.10",
        }
    )
    assert fields(doc) == []


def test_cluster_dns_ip_list_and_bad_ip() -> None:
    assert fields(k8s(**{"cluster-dns-ip": ["10.0.0.10", "fd00::a"]})) == []
    assert fields(k8s(**{"cluster-dns-ip": "10.0.0.300"})) == ["settings.kubernetes.cluster-dns-ip"]
    assert fields(k8s(**{"cluster-dns-ip": ["10.0.0.10", "nope"]})) == ["settings.kubernetes.cluster-dns-ip[1]"]


@pytest.mark.parametrize("bad", ["ca-bundle", "W3N...", "example_base64_encoded_auth_string"])
def test_cluster_certificate_must_be_base64(bad: str) -> None:
    assert fields(k8s(**{"cluster-certificate": bad})) == ["settings.kubernetes.cluster-certificate"]


@pytest.mark.parametrize("name", ["-leading", "a" * 101, "has.dot"])
def test_cluster_name_eks_rule(name: str) -> None:
    assert fields(k8s(**{"cluster-name": name})) == ["settings.kubernetes.cluster-name"]


def test_api_server_url() -> None:
    assert fields(k8s(**{"api-server": "https://<example>"})) == ["settings.kubernetes.api-server"]
    assert fields(k8s(**{"api-server": "10.0.0.1:6443"})) == []


def test_tokens_skip_pattern_checks() -> None:
    doc = k8s(
        **{
            "cluster-name": "${Token[TOKEN.1]}",
            "api-server": "${Token[TOKEN.2]}",
            "cluster-certificate": "${Token[TOKEN.3]}",
            "node-labels": {"team": "${Token[TOKEN.4]}"},
        }
    )
    assert fields(doc) == []


def test_tokens_still_type_checked() -> None:
    assert fields(k8s(**{"max-pods": "${Token[TOKEN.9]}"})) == ["settings.kubernetes.max-pods"]


def test_node_labels_grammar() -> None:
    doc = k8s(**{"node-labels": {"node.kubernetes.io/role": "web", "bad key!": "x", "ok": "-bad-value"}})
    assert fields(doc) == ['settings.kubernetes.node-labels."bad key!"', "settings.kubernetes.node-labels.ok"]


def test_node_taints_value_effect_form() -> None:
    doc = k8s(
        **{
            "node-taints": {
                "dedicated": "gpu:NoSchedule",
                "empty-value": ":NoExecute",
                "many": ["a:NoSchedule", "b:PreferNoSchedule"],
            }
        }
    )
    assert fields(doc) == []


def test_node_taints_kubectl_form_rejected_with_hint() -> None:
    problems = validate({"settings": k8s(**{"node-taints": {"dedicated": "gpu=true:NoSchedule"}})}, variant=K8S)
    assert [p.field for p in problems] == ["settings.kubernetes.node-taints.dedicated"]
    assert "key=value:Effect" in problems[0].hint


def test_node_taints_errors_all_at_once() -> None:
    doc = k8s(**{"node-taints": {"empty": [], "effect": "x:Sometimes", "list": ["ok:NoSchedule", "no-colon"]}})
    assert fields(doc) == [
        "settings.kubernetes.node-taints.empty",
        "settings.kubernetes.node-taints.effect",
        "settings.kubernetes.node-taints.list[1]",
    ]


def test_check_raises_with_dotted_path() -> None:
    with pytest.raises(ConfigError, match=r"settings\.kubernetes\.node-taints\.dedicated: got 'gpu=true:NoSchedule'"):
        check(Settings(kubernetes=KubernetesSettings(node_taints={"dedicated": "gpu=true:NoSchedule"})), variant=K8S)


@pytest.mark.parametrize(
    ("value", "ok"), [(110, True), (0, True), (-1, False), (2**32, False), ("110", False), (True, False)]
)
def test_max_pods_u32(value: object, ok: bool) -> None:
    assert fields(k8s(**{"max-pods": value})) == ([] if ok else ["settings.kubernetes.max-pods"])


@pytest.mark.parametrize(
    ("value", "ok"), [("100m", True), ("1Gi", True), ("1.5", True), ("1e3", True), ("1GB", False), ("lots", False)]
)
def test_reserved_quantities(value: str, ok: bool) -> None:
    assert fields(k8s(**{"kube-reserved": {"memory": value}})) == (
        [] if ok else ["settings.kubernetes.kube-reserved.memory"]
    )


def test_reserved_unknown_resource() -> None:
    assert fields(k8s(**{"system-reserved": {"gpu": "1"}})) == ["settings.kubernetes.system-reserved.gpu"]


def test_eviction_thresholds() -> None:
    assert fields(k8s(**{"eviction-hard": {"memory.available": "5%", "nodefs.available": "1Gi"}})) == []
    assert fields(k8s(**{"eviction-hard": {"memory.available": "100%"}})) == [
        'settings.kubernetes.eviction-hard."memory.available"'
    ]


def test_eviction_bare_dotted_key_is_reported_with_hint() -> None:
    problems = validate({"settings": k8s(**{"eviction-hard": {"memory": {"available": "5%"}}})}, variant=K8S)
    assert [p.field for p in problems] == ["settings.kubernetes.eviction-hard.memory"]
    assert "quote" in problems[0].hint


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("30s", True),
        ("1m30s", True),
        ("1.5h", True),
        ("90ms", True),
        ("100", False),
        ("9ns", False),
        ("30s1m", False),
        ("", False),
    ],
)
def test_k8s_durations(value: str, ok: bool) -> None:
    assert fields(k8s(**{"shutdown-grace-period": value})) == (
        [] if ok else ["settings.kubernetes.shutdown-grace-period"]
    )


def test_enums() -> None:
    doc = k8s(
        **{
            "cpu-manager-policy": "dynamic",
            "topology-manager-policy": "best-effort",
            "topology-manager-scope": "node",
            "authentication-mode": "tls",
            "cloud-provider": "",
        }
    )
    assert fields(doc) == ["settings.kubernetes.cpu-manager-policy", "settings.kubernetes.topology-manager-scope"]


def test_image_gc_percent_integer_or_numeric_string() -> None:
    assert fields(k8s(**{"image-gc-high-threshold-percent": 85, "image-gc-low-threshold-percent": "80"})) == []
    assert fields(k8s(**{"image-gc-high-threshold-percent": "85%"})) == [
        "settings.kubernetes.image-gc-high-threshold-percent"
    ]


def test_credential_providers_required_fields_and_open_struct() -> None:
    ok = {
        "ecr-credential-provider": {
            "enabled": True,
            "image-patterns": ["*.dkr.ecr.*.amazonaws.com"],
            "cache-duration": "30m",
            "future-field": 1,
        }
    }
    assert fields(k8s(**{"credential-providers": ok})) == []
    bad = {"ecr-credential-provider": {"enabled": True}}
    assert fields(k8s(**{"credential-providers": bad})) == [
        "settings.kubernetes.credential-providers.ecr-credential-provider.image-patterns"
    ]


def test_static_pods_manifest_base64() -> None:
    assert fields(k8s(**{"static-pods": {"my-pod": {"enabled": True, "manifest": "not base64!"}}})) == [
        "settings.kubernetes.static-pods.my-pod.manifest"
    ]


def test_cluster_domain() -> None:
    assert fields(k8s(**{"cluster-domain": "cluster.local"})) == []
    assert fields(k8s(**{"cluster-domain": ".cluster.local"})) == ["settings.kubernetes.cluster-domain"]
    assert fields(k8s(**{"cluster-domain": "10.0.0.1"})) == ["settings.kubernetes.cluster-domain"]


def test_unknown_key_rejected() -> None:
    assert fields(k8s(**{"cluster-token": "abc"})) == ["settings.kubernetes.cluster-token"]


def test_bootstrap_token_and_reserved_cpus() -> None:
    assert fields(k8s(**{"bootstrap-token": "abcdef.0123456789abcdef", "reserved-cpus": "0-1,4"})) == []
    assert fields(k8s(**{"bootstrap-token": "ABCDEF.0123456789abcdef"})) == ["settings.kubernetes.bootstrap-token"]


def test_kubernetes_on_ecs_is_an_error() -> None:
    assert fields(k8s(**{"max-pods": 10}), variant=ECS) == ["settings.kubernetes"]


def test_hostname_override_and_node_ip() -> None:
    assert fields(k8s(**{"hostname-override": "ip-10-0-0-1.ec2.internal", "node-ip": "10.0.0.1"})) == []
    assert fields(k8s(**{"hostname-override": "Upper", "node-ip": "$${KUBELET_NODE_IP}"})) == [
        "settings.kubernetes.hostname-override",
        "settings.kubernetes.node-ip",
    ]
