"""kernel and boot."""

from __future__ import annotations

from tests.unit.settings.helpers import ECS, fields


def test_kernel_valid() -> None:
    doc = {
        "kernel": {
            "lockdown": "integrity",
            "sysctl": {"net.ipv4.ip_forward": "1"},
            "modules": {"udf": {"allowed": False}, "nf_conntrack": {"allowed": True, "autoload": True}},
        }
    }
    assert fields(doc) == []
    assert fields(doc, ECS) == []


def test_lockdown_enum() -> None:
    assert fields({"kernel": {"lockdown": "strict"}}) == ["settings.kernel.lockdown"]


def test_sysctl_values_are_strings() -> None:
    assert fields({"kernel": {"sysctl": {"vm.max_map_count": 262144}}}) == ['settings.kernel.sysctl."vm.max_map_count"']


def test_sysctl_key_grammar() -> None:
    assert fields({"kernel": {"sysctl": {"../etc": "1", ".net": "1"}}}) == [
        'settings.kernel.sysctl."../etc"',
        'settings.kernel.sysctl.".net"',
    ]


def test_modules_must_be_a_table() -> None:
    assert fields({"kernel": {"modules": ["br_netfilter"]}}) == ["settings.kernel.modules"]


def test_module_unknown_key() -> None:
    assert fields({"kernel": {"modules": {"udf": {"blocked": True}}}}) == ["settings.kernel.modules.udf.blocked"]


def test_boot_parameters_and_alias() -> None:
    assert fields({"boot": {"reboot-to-reconcile": True, "kernel-parameters": {"console": ["tty0", "ttyS0"]}}}) == []
    assert fields({"boot": {"kernel": {"console": ["tty0"]}}}) == []
    assert fields({"boot": {"kernel": {"a": ["x"]}, "kernel-parameters": {"a": ["y"]}}}) == ["settings.boot.kernel"]


def test_boot_parameter_value_grammar() -> None:
    assert fields({"boot": {"init-parameters": {"log_level": ['it\'s "both"']}}}) == [
        "settings.boot.init-parameters.log_level[0]"
    ]
