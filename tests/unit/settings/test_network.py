"""ntp, network, dns."""

from __future__ import annotations

from tests.unit.settings.helpers import fields


def test_valid() -> None:
    doc = {
        "ntp": {"time-servers": ["169.254.169.123", "time.aws.com"], "options": ["iburst"]},
        "network": {
            "hostname": "node-1.example.internal",
            "https-proxy": "proxy.corp:3128",
            "no-proxy": ["localhost", ".internal"],
            "hosts": [["10.0.0.5", ["registry.corp"]]],
        },
        "dns": {"name-servers": ["10.0.0.2"], "search-list": ["corp.internal"]},
    }
    assert fields(doc) == []


def test_errors() -> None:
    doc = {
        "ntp": {"time-servers": "169.254.169.123"},
        "network": {"hostname": "Node_1", "https-proxy": "http://proxy corp", "hosts": [["10.0.0.5", "x"]]},
        "dns": {"name-servers": ["dns.google"]},
    }
    assert fields(doc) == [
        "settings.ntp.time-servers",
        "settings.network.hostname",
        "settings.network.https-proxy",
        "settings.network.hosts[0]",
        "settings.dns.name-servers[0]",
    ]
