"""Pure resolution: pinned per region, context, deploy-time only where allowed."""

from __future__ import annotations

import pytest

from constructs_br.errors import ConfigError
from constructs_br.images.catalogue import Arch
from constructs_br.images.lockfile import Lockfile, MissingPinError, Pin
from constructs_br.images.resolve import ImageSpec, ResolutionMode, resolve_image


def pin(region: str, n: int, variant: str = "aws-k8s-1.33", arch: str = "arm64") -> Pin:
    return Pin(
        region=region,
        variant=variant,
        arch=arch,
        image_id=f"ami-0{n:016x}",
        image_version=f"1.50.0-abcdef{n:02x}",
        ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id",
        resolved_at="2026-01-01T00:00:00Z",
    )


LOCK = Lockfile([pin("us-west-2", 1), pin("us-east-1", 2), pin("eu-west-1", 3), pin("eu-west-1", 4, "aws-ecs-2")])


def test_pinned_reads_each_regions_own_pin() -> None:
    spec = ImageSpec(variant="aws-k8s-1.33", arch="arm64")
    assert spec.mode is ResolutionMode.PINNED
    ids = {r: resolve_image(spec, region=r, lockfile=LOCK).image_id for r in LOCK.regions()}
    assert ids == {"us-west-2": pin("us-west-2", 1).image_id, "us-east-1": pin("us-east-1", 2).image_id,
                   "eu-west-1": pin("eu-west-1", 3).image_id}  # fmt: skip
    resolved = resolve_image(spec, region="eu-west-1", lockfile=LOCK)
    assert resolved.release_version == "1.50.0-abcdef03"
    assert resolved.eks_ami_type == "BOTTLEROCKET_ARM_64"
    assert resolved.arch is Arch.ARM64
    assert resolved.ssm_path == "/aws/service/bottlerocket/aws-k8s-1.33/arm64/1.50.0/image_id"
    assert resolved.pin == pin("eu-west-1", 3)


def test_pinned_without_pin_names_the_command() -> None:
    spec = ImageSpec(variant="aws-ecs-2", arch="arm64")
    with pytest.raises(MissingPinError, match="brctl pins refresh --region us-east-1 --variant aws-ecs-2 --arch arm64"):
        resolve_image(spec, region="us-east-1", lockfile=LOCK)


def test_ecs_pinned_has_no_eks_ami_type() -> None:
    r = resolve_image(ImageSpec(variant="aws-ecs-2", arch="arm64"), region="eu-west-1", lockfile=LOCK)
    assert r.image_id == pin("eu-west-1", 4, "aws-ecs-2").image_id
    with pytest.raises(ConfigError):
        _ = r.eks_ami_type


def test_deploy_time_with_a_reason_is_the_latest_parameter() -> None:
    spec = ImageSpec(
        variant="aws-k8s-1.33-nvidia",
        arch="x86_64",
        mode=ResolutionMode.DEPLOY_TIME,
        allow_deploy_time_reason="pilot follows every release to catch regressions first",
    )
    r = resolve_image(spec, region="us-west-2", lockfile=Lockfile.empty())
    assert r.mode is ResolutionMode.DEPLOY_TIME
    assert r.ssm_path == "/aws/service/bottlerocket/aws-k8s-1.33-nvidia/x86_64/latest/image_id"
    assert (r.pin, r.image_id, r.release_version) == (None, None, None)


def test_deploy_time_without_a_reason_is_refused_in_the_spec() -> None:
    """The library holds no stage names: floating images need a written reason wherever they are used."""
    with pytest.raises(ConfigError, match="deploy-time only with allow_deploy_time_reason") as err:
        ImageSpec(variant="aws-k8s-1.33", arch="x86_64", mode="deploy-time")  # type: ignore[arg-type]
    assert err.value.fields == ("image.mode",)


def test_deploy_time_outside_pilot_with_written_reason() -> None:
    spec = ImageSpec(
        variant="aws-k8s-1.33",
        arch="x86_64",
        mode=ResolutionMode.DEPLOY_TIME,
        allow_deploy_time_reason="soak fleet tracks latest on purpose (OPS-123)",
    )
    r = resolve_image(spec, region="us-east-1", lockfile=LOCK)
    assert r.mode is ResolutionMode.DEPLOY_TIME


def test_context_returns_the_latest_path() -> None:
    spec = ImageSpec(variant="aws-ecs-3", arch="x86_64", mode=ResolutionMode.CONTEXT)
    r = resolve_image(spec, region="us-east-1", lockfile=LOCK)
    assert r.ssm_path == "/aws/service/bottlerocket/aws-ecs-3/x86_64/latest/image_id"
    assert r.image_id is None


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"variant": "aws-ecs-1", "arch": "x86_64"}, ("image.variant",)),
        ({"variant": "aws-k8s-1.33", "arch": "aarch64"}, ("image.arch",)),
        ({"variant": "nope", "arch": "amd64"}, ("image.variant", "image.arch")),
        ({"variant": "aws-k8s-1.33", "arch": "x86_64", "mode": "latest"}, ("image.mode",)),
        (
            {"variant": "aws-k8s-1.33", "arch": "x86_64", "mode": "deploy-time", "allow_deploy_time_reason": "  "},
            ("image.allow_deploy_time_reason",),
        ),
        (
            {"variant": "aws-k8s-1.33", "arch": "x86_64", "allow_deploy_time_reason": "because"},
            ("image.allow_deploy_time_reason",),
        ),
    ],
)
def test_spec_validation_collects_problems(kwargs: dict[str, str], fields: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as err:
        ImageSpec(**kwargs)  # type: ignore[arg-type]
    assert err.value.fields == fields


def test_spec_normalises_mode_and_arch() -> None:
    spec = ImageSpec(variant="aws-k8s-1.33", arch=Arch.ARM64, mode="context")  # type: ignore[arg-type]
    assert spec.mode is ResolutionMode.CONTEXT
    assert spec.arch == "arm64"
