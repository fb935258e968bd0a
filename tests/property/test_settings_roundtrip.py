"""Property tests: render -> parse -> render identity; label and taint grammar."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_br.settings import (
    HostContainer,
    KernelModule,
    KernelSettings,
    KubernetesSettings,
    NtpSettings,
    Settings,
    parse,
    render,
    validate,
)

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
label_name = st.builds(
    lambda a, mid, b: a + mid + b if mid or b else a,
    st.sampled_from(ALNUM),
    st.text(ALNUM + "._-", max_size=20),
    st.sampled_from(ALNUM),
)
label_prefix = st.lists(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8), min_size=1, max_size=3)
label_key = st.one_of(label_name, st.builds(lambda p, n: ".".join(p) + "/" + n, label_prefix, label_name))
label_value = st.one_of(st.just(""), label_name)
effect = st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"])
taint_value = st.builds(lambda v, e: f"{v}:{e}", label_value, effect)
any_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
sysctl_key = st.from_regex(r"\A[a-z][a-z0-9_]{0,10}(\.[a-z0-9_]{1,10}){0,3}\Z")

settings_strategy = st.builds(
    Settings,
    motd=st.one_of(st.none(), any_text),
    kubernetes=st.one_of(
        st.none(),
        st.builds(
            KubernetesSettings,
            node_labels=st.one_of(st.none(), st.dictionaries(label_key, label_value, max_size=4)),
            node_taints=st.one_of(
                st.none(),
                st.dictionaries(
                    label_key,
                    st.one_of(taint_value, st.lists(taint_value, min_size=1, max_size=3).map(tuple)),
                    max_size=3,
                ),
            ),
            max_pods=st.one_of(st.none(), st.integers(0, 2**32 - 1)),
            api_server=st.one_of(st.none(), st.just("${Token[TOKEN.123]}")),
        ),
    ),
    kernel=st.one_of(
        st.none(),
        st.builds(
            KernelSettings,
            lockdown=st.sampled_from([None, "none", "integrity", "confidentiality"]),
            sysctl=st.one_of(st.none(), st.dictionaries(sysctl_key, st.text("0123456789", min_size=1), max_size=4)),
            modules=st.one_of(
                st.none(),
                st.dictionaries(
                    st.from_regex(r"\A[a-z0-9_]{1,12}\Z"),
                    st.builds(KernelModule, allowed=st.booleans(), autoload=st.none() | st.booleans()),
                    max_size=3,
                ),
            ),
        ),
    ),
    host_containers=st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(["admin", "control", "x-1"]), st.builds(HostContainer, enabled=st.booleans())),
    ),
    ntp=st.one_of(
        st.none(),
        st.builds(
            NtpSettings, time_servers=st.lists(st.sampled_from(["a.b", "169.254.169.123"]), max_size=3).map(tuple)
        ),
    ),
)


@settings(max_examples=100, deadline=None)
@given(settings_strategy)
def test_render_parse_render_identity(s: Settings) -> None:
    text = render(s)
    parsed = parse(text)
    assert render(parsed) == text


@settings(max_examples=100, deadline=None)
@given(settings_strategy)
def test_generated_k8s_documents_are_valid(s: Settings) -> None:
    assert validate(s, variant="aws-k8s-1.33") == []


@settings(max_examples=100, deadline=None)
@given(label_key, label_value, taint_value)
def test_grammar_accepts_generated_labels_and_taints(key: str, value: str, taint: str) -> None:
    doc = {"settings": {"kubernetes": {"node-labels": {key: value}, "node-taints": {key: taint}}}}
    assert validate(doc, variant="aws-k8s-1.33") == []


@settings(max_examples=100, deadline=None)
@given(label_name, label_value, effect)
def test_kubectl_taint_form_is_rejected(key: str, value: str, eff: str) -> None:
    doc = {"settings": {"kubernetes": {"node-taints": {key: f"{key}={value}:{eff}"}}}}
    problems = validate(doc, variant="aws-k8s-1.33")
    assert [p.field for p in problems] == [
        f"settings.kubernetes.node-taints.{key}"
        if re.fullmatch(r"[A-Za-z0-9_-]+", key)
        else f'settings.kubernetes.node-taints."{key}"'
    ]


@settings(max_examples=100, deadline=None)
@given(label_value, st.text("!@#$%^&*()+= ,;", min_size=1, max_size=3))
def test_label_values_with_forbidden_characters_are_rejected(value: str, bad: str) -> None:
    doc = {"settings": {"kubernetes": {"node-labels": {"k": value + bad}}}}
    assert [p.field for p in validate(doc, variant="aws-k8s-1.33")] == ["settings.kubernetes.node-labels.k"]


@settings(max_examples=100, deadline=None)
@given(st.text(ALNUM + "._-", min_size=64, max_size=80))
def test_label_values_longer_than_63_are_rejected(value: str) -> None:
    doc = {"settings": {"kubernetes": {"node-labels": {"k": value}}}}
    assert validate(doc, variant="aws-k8s-1.33") != []
