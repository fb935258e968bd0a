"""host-containers, bootstrap-containers, bootstrap-commands."""

from __future__ import annotations

import base64

from tests.unit.settings.helpers import ECS, K8S, fields

B64 = base64.b64encode(b'{"ssh":{"authorized-keys":[]}}').decode()


def test_host_containers_valid() -> None:
    doc = {
        "host-containers": {
            "admin": {"enabled": False, "user-data": B64},
            "my-agent": {
                "source": "public.ecr.aws/acme/agent:1.2",
                "enabled": True,
                "superpowered": False,
                "command": ["/agent", "--x"],
            },
        }
    }
    assert fields(doc) == []
    assert fields(doc, ECS) == []


def test_host_container_user_data_must_be_base64() -> None:
    assert fields({"host-containers": {"admin": {"user-data": '{"ssh": {}}'}}}) == [
        "settings.host-containers.admin.user-data"
    ]


def test_host_container_unknown_key_and_bad_name() -> None:
    doc = {"host-containers": {"admin": {"enable": True}, "bad_name": {"enabled": True}}}
    assert fields(doc) == ["settings.host-containers.admin.enable", "settings.host-containers.bad_name"]


def test_bootstrap_container_mode_enum_and_args() -> None:
    doc = {"bootstrap-containers": {"setup": {"source": "x/y:1", "mode": "sometimes", "args": ["a"]}}}
    assert fields(doc) == ["settings.bootstrap-containers.setup.mode", "settings.bootstrap-containers.setup.args"]


def test_bootstrap_commands_must_run_apiclient() -> None:
    ok = {
        "bootstrap-commands": {
            "cis": {"commands": [["apiclient", "report", "cis", "-l", "2"]], "essential": True, "mode": "always"}
        }
    }
    assert fields(ok, K8S) == []
    bad = {"bootstrap-commands": {"x": {"commands": [["iptables", "-F"], "apiclient"]}}}
    assert fields(bad) == ["settings.bootstrap-commands.x.commands[0]", "settings.bootstrap-commands.x.commands[1]"]
