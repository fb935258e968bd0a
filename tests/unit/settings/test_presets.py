from __future__ import annotations

import pytest

from constructs_br.errors import ConfigError
from constructs_br.settings import (
    CIS_CHECKS,
    cis_checks_for,
    cis_level1,
    cis_level2,
    render,
    secure_defaults,
    to_dict,
    validate,
)

VARIANTS = [
    "aws-k8s-1.33",
    "aws-k8s-1.33-nvidia",
    "aws-k8s-1.31-fips",
    "aws-ecs-2",
    "aws-ecs-3-nvidia",
    "aws-ecs-3-fips",
]
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/bottlerocket-cis-bootstrap-image:v1"


@pytest.mark.parametrize("variant", VARIANTS)
def test_presets_validate_on_every_variant(variant: str) -> None:
    assert validate(secure_defaults(variant), variant=variant) == []
    assert validate(cis_level1(variant), variant=variant) == []
    assert validate(cis_level2(variant, bootstrap_image=IMAGE), variant=variant) == []


def test_secure_defaults() -> None:
    s = to_dict(secure_defaults("aws-k8s-1.33"))["settings"]
    assert s["host-containers"] == {"admin": {"enabled": False}, "control": {"enabled": True}}
    assert s["kernel"] == {"lockdown": "integrity"}
    assert s["ntp"]["time-servers"]
    assert "kernel" not in to_dict(secure_defaults("aws-k8s-1.33-nvidia"))["settings"]


def test_level2_contents() -> None:
    s = to_dict(cis_level2("aws-ecs-2", bootstrap_image=IMAGE))["settings"]
    assert s["kernel"]["modules"] == {"udf": {"allowed": False}, "sctp": {"allowed": False}}
    assert s["kernel"]["sysctl"]["net.ipv4.conf.all.send_redirects"] == "0"
    assert s["kernel"]["sysctl"]["net.ipv4.conf.default.log_martians"] == "1"
    assert s["bootstrap-containers"]["cis-bootstrap"] == {"source": IMAGE, "mode": "always", "essential": False}
    assert '"net.ipv4.conf.all.send_redirects" = "0"' in render(cis_level2("aws-ecs-2", bootstrap_image=IMAGE))


def test_level2_needs_an_image() -> None:
    with pytest.raises(ConfigError, match="bootstrap_image"):
        cis_level2("aws-k8s-1.33", bootstrap_image="")


def test_cis_checks_data() -> None:
    assert len(CIS_CHECKS) == 28
    assert len({c.id for c in CIS_CHECKS}) == 28
    assert sum(c.level == 1 for c in CIS_CHECKS) == 15
    assert {c.how for c in CIS_CHECKS} <= {"default", "setting", "bootstrap", "manual", "not-possible"}
    fw = next(c for c in CIS_CHECKS if c.id == "3.4.1.1")
    assert fw.how_for("aws-k8s-1.33") == "not-possible"
    assert fw.how_for("aws-ecs-2") == "bootstrap"
    assert "kubelet" in fw.detail
    assert next(c for c in CIS_CHECKS if c.id == "1.5.2").how_for("aws-k8s-1.33-nvidia") == "not-possible"


def test_cis_checks_for_levels() -> None:
    assert len(cis_checks_for("aws-ecs-2", 1)) == 15
    assert len(cis_checks_for("aws-ecs-2", 2)) == 28
