"""container-registry and container-runtime."""

from __future__ import annotations

import base64

from tests.unit.settings.helpers import ECS, fields

AUTH = base64.b64encode(b"user:pass").decode()


def test_mirrors_array_and_legacy_forms() -> None:
    assert (
        fields({"container-registry": {"mirrors": [{"registry": "docker.io", "endpoint": ["https://m.corp"]}]}}) == []
    )
    assert fields({"container-registry": {"mirrors": {"docker.io": ["https://m.corp"]}}}) == []


def test_mirror_errors() -> None:
    doc = {
        "container-registry": {
            "mirrors": [{"registry": "docker.io", "endpoint": ["https://<example-mirror>"], "priority": 1}]
        }
    }
    assert fields(doc) == [
        "settings.container-registry.mirrors[0].endpoint[0]",
        "settings.container-registry.mirrors[0].priority",
    ]


def test_credentials_auth_base64_and_alias() -> None:
    assert fields({"container-registry": {"credentials": [{"registry": "docker.io", "auth": AUTH}]}}) == []
    assert (
        fields({"container-registry": {"creds": [{"registry": "docker.io", "username": "u", "password": "p"}]}}) == []
    )
    assert fields({"container-registry": {"credentials": [{"registry": "docker.io", "auth": "user:pass"}]}}) == [
        "settings.container-registry.credentials[0].auth"
    ]


def test_credentials_table_of_tables_rejected() -> None:
    assert fields({"container-registry": {"credentials": {"docker.io": {"auth": AUTH}}}}) == [
        "settings.container-registry.credentials"
    ]


def test_container_runtime() -> None:
    assert fields({"container-runtime": {"max-container-log-line-size": -1, "snapshotter": "soci"}}) == []
    assert fields({"container-runtime": {"max-container-log-line-size": "20Mi", "snapshotter": "zfs"}}) == [
        "settings.container-runtime.max-container-log-line-size",
        "settings.container-runtime.snapshotter",
    ]
    assert fields({"container-runtime": {"snapshotter": "soci"}}, ECS) == ["settings.container-runtime"]
