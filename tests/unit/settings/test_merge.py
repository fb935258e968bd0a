from __future__ import annotations

from constructs_br.settings import KubernetesSettings, NtpSettings, Settings, merge, to_dict


def test_precedence_and_map_merge() -> None:
    defaults = Settings(kubernetes=KubernetesSettings(node_labels={"a": "1"}, max_pods=58))
    stage = {"kubernetes": {"node-labels": {"b": "2"}}}
    nodegroup = Settings(kubernetes=KubernetesSettings(node_labels={"a": "override"}))
    extras = {"settings": {"kubernetes": {"max-pods": 110}}}
    k = merge(defaults, stage, nodegroup, None, extras).kubernetes
    assert k is not None
    assert k.node_labels == {"a": "override", "b": "2"}
    assert k.max_pods == 110


def test_lists_replace() -> None:
    a = Settings(ntp=NtpSettings(time_servers=("a", "b")))
    b = Settings(ntp=NtpSettings(time_servers=("c",)))
    assert merge(a, b).ntp == NtpSettings(time_servers=("c",))


def test_none_in_mapping_layer_deletes_but_not_in_settings_layer() -> None:
    a = Settings(kubernetes=KubernetesSettings(max_pods=58, cluster_domain="cluster.local"))
    assert to_dict(merge(a, Settings(kubernetes=KubernetesSettings()))) == to_dict(a)
    merged = merge(a, {"kubernetes": {"max-pods": None}})
    assert merged.kubernetes == KubernetesSettings(cluster_domain="cluster.local")


def test_merge_of_nothing() -> None:
    assert merge() == Settings()
