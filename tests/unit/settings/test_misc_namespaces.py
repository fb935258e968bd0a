"""updates, aws, metrics, pki, oci-defaults, cloudformation, autoscaling, motd, top level."""

from __future__ import annotations

import base64

from constructs_br.settings import validate_document
from tests.unit.settings.helpers import ECS, K8S, fields

PEM = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()


def test_updates() -> None:
    assert fields({"updates": {"version-lock": "v1.20.0", "ignore-waves": True, "seed": 42}}) == []
    assert fields({"updates": {"version-lock": False, "seed": -1, "require-each-update": True}}) == [
        "settings.updates.version-lock",
        "settings.updates.seed",
        "settings.updates.require-each-update",
    ]
    assert fields({"updates": {"version-lock": "v1.20"}}) == ["settings.updates.version-lock"]


def test_aws_and_metrics() -> None:
    assert (
        fields({"aws": {"region": "us-west-2", "config": "W2RlZmF1bHRdCg=="}, "metrics": {"send-metrics": False}}) == []
    )
    assert fields({"aws": {"config": "[default]"}, "metrics": {"metrics-url": "https://bad host"}}) == [
        "settings.aws.config",
        "settings.metrics.metrics-url",
    ]


def test_pki_bundle_must_be_pem() -> None:
    assert fields({"pki": {"corp-ca": {"data": PEM, "trusted": True}}}) == []
    not_pem = base64.b64encode(b"hello").decode()
    assert fields({"pki": {"corp-ca": {"data": not_pem}}}) == ["settings.pki.corp-ca.data"]


def test_oci_defaults() -> None:
    ok = {
        "oci-defaults": {
            "capabilities": {"sys-admin": False},
            "resource-limits": {"max-open-files": {"hard-limit": 1048576, "soft-limit": "unlimited"}},
        }
    }
    assert fields(ok, ECS) == []
    bad = {
        "oci-defaults": {
            "capabilities": {"cap-sys-admin": False},
            "resource-limits": {"max-open-files": {"hard-limit": -2}},
        }
    }
    assert fields(bad) == [
        "settings.oci-defaults.capabilities.cap-sys-admin",
        "settings.oci-defaults.resource-limits.max-open-files.hard-limit",
        "settings.oci-defaults.resource-limits.max-open-files.soft-limit",
    ]


def test_cloudformation_signal_needs_names() -> None:
    assert fields({"cloudformation": {"should-signal": True}}) == [
        "settings.cloudformation.stack-name",
        "settings.cloudformation.logical-resource-id",
    ]


def test_autoscaling_and_motd() -> None:
    assert fields({"autoscaling": {"should-wait": True}, "motd": "hi"}) == []
    assert fields({"autoscaling": {"should-wait": "yes"}}) == ["settings.autoscaling.should-wait"]


def test_unknown_top_level_namespace() -> None:
    assert fields({"kubelet-device-plugin": {"nvidia": {}}}) == ["settings.kubelet-device-plugin"]


def test_document_without_settings_table() -> None:
    problems = validate_document({"kubelet-device-plugin": {"nvidia": {"device-list-strategy": "envvar"}}}, variant=K8S)
    assert [p.field for p in problems] == ["kubelet-device-plugin", "settings"]
