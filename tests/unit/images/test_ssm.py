"""SSM parameter path grammar and the value validators."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constructs_br.errors import ConfigError
from constructs_br.images.catalogue import ALL_VARIANTS, Arch
from constructs_br.images.ssm import (
    parameter_path,
    parse_parameter_path,
    validate_ami_id,
    validate_image_version_full,
    validate_release,
)


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("aws-k8s-1.33", "x86_64"), "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id"),
        (
            ("aws-k8s-1.33-nvidia", "arm64", "1.50.0"),
            "/aws/service/bottlerocket/aws-k8s-1.33-nvidia/arm64/1.50.0/image_id",
        ),
        (
            ("aws-ecs-2-fips", "x86_64", "1.50.0-abcdef12", "image_version"),
            "/aws/service/bottlerocket/aws-ecs-2-fips/x86_64/1.50.0-abcdef12/image_version",
        ),
    ],
)
def test_parameter_path(args: tuple[str, ...], path: str) -> None:
    assert parameter_path(*args) == path  # type: ignore[arg-type]


@given(
    st.sampled_from(ALL_VARIANTS),
    st.sampled_from(list(Arch)),
    st.one_of(
        st.just("latest"),
        st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]}.{t[2]}"),
        st.from_regex(r"\A(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]?)\.(0|[1-9])-[0-9a-f]{8}\Z"),
    ),
    st.sampled_from(["image_id", "image_version"]),
)
def test_path_round_trip(variant: object, arch: Arch, release: str, leaf: str) -> None:
    path = parameter_path(variant, arch, release, leaf)  # type: ignore[arg-type]
    assert parse_parameter_path(path) == (variant, arch, release, leaf)


@pytest.mark.parametrize(
    "path",
    [
        "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest",
        "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/ami",
        "/aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/image_id",
        "/aws/service/bottlerocket/aws-k8s-1.33/aarch64/latest/image_id",
        "/aws/service/bottlerocket/aws-ecs-1/x86_64/latest/image_id",
        "/aws/service/bottlerocket/aws-k8s-1.33/x86_64/v1.50.0/image_id",
    ],
)
def test_malformed_paths(path: str) -> None:
    with pytest.raises(ConfigError, match="ssm_path"):
        parse_parameter_path(path)


@pytest.mark.parametrize("value", ["latest", "1.50.0", "1.50.0-abcdef12", "0.0.1"])
def test_valid_release(value: str) -> None:
    assert validate_release(value) == value


@pytest.mark.parametrize("value", ["", "1.50", "v1.50.0", "1.50.0-ABCDEF12", "1.50.0-abc", "01.2.3", "Latest"])
def test_invalid_release(value: str) -> None:
    with pytest.raises(ConfigError, match="release: got"):
        validate_release(value)


def test_short_image_version_is_rejected_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="EKS rejects the short form") as err:
        validate_image_version_full("1.50.0", field="pin.image_version")
    assert err.value.fields == ("pin.image_version",)
    assert validate_image_version_full("1.50.0-abcdef12") == "1.50.0-abcdef12"


@pytest.mark.parametrize("value", ["latest", "v1.50.0-abcdef12", "1.50.0-abcdef1", "1.50.0-abcdef123"])
def test_invalid_full_version(value: str) -> None:
    with pytest.raises(ConfigError, match="image_version: got"):
        validate_image_version_full(value)


@pytest.mark.parametrize("value", ["ami-12345678", "ami-0123456789abcdef0"])
def test_valid_ami(value: str) -> None:
    assert validate_ami_id(value) == value


@pytest.mark.parametrize(
    "value", ["ami-1234567", "ami-0123456789ABCDEF0", "ami-0123456789abcdef", "i-0123456789abcdef0", "", "ami-"]
)
def test_malformed_ami(value: str) -> None:
    with pytest.raises(ConfigError, match="image_id: got"):
        validate_ami_id(value)
