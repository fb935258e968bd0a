"""Variant catalogue: names, flavours, EKS AMI types, retired and unknown variants, architectures."""

from __future__ import annotations

import pytest

from constructs_br.errors import ConfigError
from constructs_br.images.catalogue import (
    ALL_VARIANTS,
    KUBERNETES_MINORS,
    Arch,
    get_variant,
    parse_arch,
    parse_eks_ami_type,
)


def test_catalogue_covers_every_minor_generation_and_flavour() -> None:
    names = {v.name for v in ALL_VARIANTS}
    assert len(ALL_VARIANTS) == (len(KUBERNETES_MINORS) + 2) * 4
    assert KUBERNETES_MINORS == ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35")
    for base in [f"aws-k8s-{m}" for m in KUBERNETES_MINORS] + ["aws-ecs-2", "aws-ecs-3"]:
        for suffix in ("", "-nvidia", "-fips", "-nvidia-fips"):
            assert base + suffix in names
    assert not any(n.startswith("aws-ecs-1") for n in names)


@pytest.mark.parametrize(
    ("variant", "arch", "ami_type"),
    [
        ("aws-k8s-1.33", "x86_64", "BOTTLEROCKET_x86_64"),
        ("aws-k8s-1.33", "arm64", "BOTTLEROCKET_ARM_64"),
        ("aws-k8s-1.29-nvidia", "x86_64", "BOTTLEROCKET_x86_64_NVIDIA"),
        ("aws-k8s-1.29-nvidia", "arm64", "BOTTLEROCKET_ARM_64_NVIDIA"),
        ("aws-k8s-1.35-fips", "x86_64", "BOTTLEROCKET_x86_64_FIPS"),
        ("aws-k8s-1.35-fips", "arm64", "BOTTLEROCKET_ARM_64_FIPS"),
        ("aws-k8s-1.31-nvidia-fips", "x86_64", "BOTTLEROCKET_x86_64_NVIDIA_FIPS"),
        ("aws-k8s-1.31-nvidia-fips", "arm64", "BOTTLEROCKET_ARM_64_NVIDIA_FIPS"),
    ],
)
def test_eks_ami_types(variant: str, arch: str, ami_type: str) -> None:
    v = get_variant(variant)
    assert v.eks_ami_type(arch) == ami_type
    assert v.eks_ami_type(parse_arch(arch)) == ami_type
    parsed = parse_eks_ami_type(ami_type)
    assert parsed == (Arch(arch), v.nvidia, v.fips)


def test_eks_ami_types_are_the_ones_eks_knows() -> None:
    import botocore.session

    known = set(botocore.session.get_session().get_service_model("eks").shape_for("AMITypes").enum)
    ours = {v.eks_ami_type(a) for v in ALL_VARIANTS if v.family == "k8s" for a in Arch}
    assert ours == {t for t in known if t.startswith("BOTTLEROCKET_")}


def test_variant_fields() -> None:
    v = get_variant("aws-ecs-3-nvidia-fips")
    assert (v.family, v.k8s_minor, v.nvidia, v.fips, v.base, v.flavour) == (
        "ecs",
        None,
        True,
        True,
        "aws-ecs-3",
        "-nvidia-fips",
    )
    assert get_variant("aws-k8s-1.30").k8s_minor == "1.30"


def test_ecs_variant_has_no_eks_ami_type() -> None:
    with pytest.raises(ConfigError, match="aws-ecs-2") as err:
        get_variant("aws-ecs-2").eks_ami_type(Arch.X86_64)
    assert err.value.fields == ("variant",)


@pytest.mark.parametrize("name", ["aws-ecs-1", "aws-ecs-1-nvidia"])
def test_retired_ecs_1_says_so(name: str) -> None:
    with pytest.raises(ConfigError, match=r"retired.*1\.43\.x.*aws-ecs-2 or aws-ecs-3"):
        get_variant(name)


@pytest.mark.parametrize(
    ("name", "hint"),
    [("aws-k8s-1.28", "KUBERNETES_MINORS"), ("aws-k8s-1.33-gpu", "1.33"), ("aws-dev", ""), ("", "")],
)
def test_unknown_variant(name: str, hint: str) -> None:
    with pytest.raises(ConfigError, match=r"allowed: aws-k8s-<1\.29\.\.1\.35>") as err:
        get_variant(name, field="image.variant")
    assert err.value.fields == ("image.variant",)
    assert hint in str(err.value)


@pytest.mark.parametrize(("value", "hint"), [("aarch64", "arm64"), ("amd64", "x86_64"), ("ARM64", ""), ("", "")])
def test_bad_arch(value: str, hint: str) -> None:
    with pytest.raises(ConfigError, match=r"allowed: x86_64 \| arm64") as err:
        parse_arch(value)
    assert hint in str(err.value)


def test_non_bottlerocket_ami_types() -> None:
    for t in ("AL2_x86_64", "CUSTOM", "BOTTLEROCKET_RISCV", "BOTTLEROCKET_x86_64_GPU"):
        assert parse_eks_ami_type(t) is None
