"""render / parse / model conversion."""

from __future__ import annotations

import base64
import gzip
import tomllib

import pytest

from constructs_br.errors import ConfigError
from constructs_br.settings import (
    ContainerRegistrySettings,
    HostContainer,
    KernelSettings,
    KubernetesSettings,
    RegistryMirror,
    Settings,
    parse,
    render,
    to_dict,
)

S = Settings(
    kubernetes=KubernetesSettings(
        api_server="${Token[TOKEN.123]}",
        node_labels={"node.kubernetes.io/role": "web", "team": "a"},
        node_taints={"dedicated": ("gpu:NoSchedule", "gpu:NoExecute")},
        max_pods=58,
    ),
    kernel=KernelSettings(sysctl={"net.ipv4.ip_forward": "1"}),
    host_containers={"admin": HostContainer(enabled=False)},
    container_registry=ContainerRegistrySettings(
        mirrors=(RegistryMirror(registry="docker.io", endpoint=("https://m",)),)
    ),
)


def test_render_quotes_dotted_keys_and_keeps_tokens() -> None:
    text = render(S)
    assert '"node.kubernetes.io/role" = "web"' in text
    assert '"net.ipv4.ip_forward" = "1"' in text
    assert 'api-server = "${Token[TOKEN.123]}"' in text
    assert "[[settings.container-registry.mirrors]]" in text
    assert tomllib.loads(text)["settings"]["kubernetes"]["node-labels"]["node.kubernetes.io/role"] == "web"


def test_render_is_sorted_and_deterministic() -> None:
    shuffled = {"settings": {"ntp": {"time-servers": ["b", "a"]}, "kernel": {"lockdown": "none"}}}
    text = render(shuffled)
    assert text.index("[settings.kernel]") < text.index("[settings.ntp]")
    assert '"b",\n    "a"' in text  # lists keep their order
    assert render(S) == render(parse(render(S)))


def test_render_accepts_bare_settings_table() -> None:
    assert render({"motd": "hi"}) == render({"settings": {"motd": "hi"}}) == '[settings]\nmotd = "hi"\n'


@pytest.mark.parametrize(
    "encode", [lambda b: b, base64.b64encode, gzip.compress, lambda b: base64.b64encode(gzip.compress(b))]
)
def test_parse_plain_base64_gzip(encode) -> None:  # type: ignore[no-untyped-def]
    assert parse(encode(render(S).encode())) == S


def test_parse_str_base64() -> None:
    assert parse(base64.b64encode(render(S).encode()).decode()) == S


def test_parse_keeps_unknown_keys_in_extra() -> None:
    s = parse('[settings.kubernetes]\ncluster-token = "x"\n[settings.bogus]\na = 1\n')
    assert s.kubernetes is not None
    assert s.kubernetes.extra == {"cluster-token": "x"}
    assert s.extra == {"bogus": {"a": 1}}
    assert "cluster-token" in render(s)


def test_parse_keeps_wrong_types_for_validation() -> None:
    s = parse('[settings.kubernetes]\nmax-pods = "110"\n')
    assert s.kubernetes is not None
    assert s.kubernetes.max_pods == "110"  # type: ignore[comparison-overlap]


def test_parse_whitespace_is_empty() -> None:
    assert parse("  \n") == Settings()


def test_parse_errors() -> None:
    with pytest.raises(ConfigError, match="user-data"):
        parse("[settings.kubernetes\n")
    with pytest.raises(ConfigError, match="UserDataMissingSettings"):
        parse("[kubelet-device-plugin.nvidia]\ndevice-list-strategy = 'envvar'\n")


def test_extra_may_not_collide_with_typed_fields() -> None:
    with pytest.raises(ConfigError, match=r"settings\.kubernetes\.extra\.max-pods"):
        KubernetesSettings(extra={"max-pods": 3})
    with pytest.raises(ConfigError, match=r"settings\.extra\.kubernetes"):
        Settings(extra={"kubernetes": {}})


def test_to_dict_omits_unset() -> None:
    assert to_dict(Settings(kernel=KernelSettings(lockdown="integrity"))) == {
        "settings": {"kernel": {"lockdown": "integrity"}}
    }
