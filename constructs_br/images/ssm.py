"""Bottlerocket's public SSM parameter grammar, and validators for the values found there.

``/aws/service/bottlerocket/<variant>/<arch>/<latest|X.Y.Z|X.Y.Z-commit8>/<image_id|image_version>``

>>> parameter_path("aws-k8s-1.33", "arm64")
'/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id'
>>> parameter_path("aws-ecs-2", Arch.X86_64, "1.50.0", "image_version")
'/aws/service/bottlerocket/aws-ecs-2/x86_64/1.50.0/image_version'
>>> v, a, release, leaf = parse_parameter_path("/aws/service/bottlerocket/aws-k8s-1.33-fips/x86_64/latest/image_id")
>>> (v.name, a.value, release, leaf)
('aws-k8s-1.33-fips', 'x86_64', 'latest', 'image_id')
>>> validate_image_version_full("1.50.0")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: image_version: got '1.50.0'; allowed: X.Y.Z-<8 hex commit>, e.g. 1.50.0-abcdef12 (...)
"""

from __future__ import annotations

import re
from typing import Literal

from constructs_br.errors import ConfigError
from constructs_br.images.catalogue import Arch, Variant, get_variant, parse_arch

PREFIX = "/aws/service/bottlerocket"
LATEST = "latest"

Leaf = Literal["image_id", "image_version"]
LEAVES: tuple[Leaf, ...] = ("image_id", "image_version")

_SEMVER = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
_VERSION_RE = re.compile(rf"{_SEMVER}(-[0-9a-f]{{8}})?")
_AMI_RE = re.compile(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_NAME_VERSION_RE = re.compile(rf"-v({_SEMVER}-[0-9a-f]{{8}})$")

ALLOWED_RELEASE = "latest | X.Y.Z | X.Y.Z-<8 hex commit>, e.g. 1.50.0 or 1.50.0-abcdef12"
ALLOWED_FULL = "X.Y.Z-<8 hex commit>, e.g. 1.50.0-abcdef12"
ALLOWED_AMI = "ami- followed by 8 or 17 lowercase hex digits"
SHORT_FORM_HINT = (
    "EKS rejects the short form as a node group release version "
    "('Requested release version X.Y.Z is not valid'); use the image_version parameter's full value"
)


def _version_parts(value: object) -> tuple[str, str | None] | None:
    """``("X.Y.Z", "<commit8>" | None)`` for a Bottlerocket version, ``None`` if ``value`` is not one: the one
    version grammar, behind both :func:`validate_image_version_full` and :func:`validate_release`."""
    if not isinstance(value, str):
        return None
    m = _VERSION_RE.fullmatch(value)
    if m is None:
        return None
    short, _, commit = value.partition("-")
    return short, commit or None


def _version_hint(value: object) -> str:
    if isinstance(value, str) and value.startswith(("v", "V")) and _version_parts(value[1:]) is not None:
        return "drop the leading 'v'"
    return ""


def validate_image_version_full(value: str, field: str = "image_version") -> str:
    """A full Bottlerocket image version, ``X.Y.Z-<8 hex>``; the short ``X.Y.Z`` is rejected.

    The validator of the image-version concept: the lockfile, node-group and capacity specs, the blue/green
    context keys and ``brctl`` flags all call it, with ``field`` naming what the user wrote.

    >>> validate_image_version_full("v1.50.0-abcdef12", "--image-version")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    constructs_br.errors.ConfigError: --image-version: got 'v1.50.0-abcdef12'; allowed: ... (drop the leading 'v')
    """
    parts = _version_parts(value)
    if parts is not None and parts[1] is not None:
        return value
    if parts is not None:
        raise ConfigError(field, value, ALLOWED_FULL, SHORT_FORM_HINT)
    raise ConfigError(field, value, ALLOWED_FULL, _version_hint(value))


def validate_release(value: str, field: str = "release") -> str:
    """A release segment of an SSM path: ``latest``, or an image version in its short ``X.Y.Z`` or full
    ``X.Y.Z-<commit8>`` form (same grammar as :func:`validate_image_version_full`; the path also takes the short one).

    >>> validate_release("1.50.0"), validate_release("latest")
    ('1.50.0', 'latest')
    """
    if value == LATEST or _version_parts(value) is not None:
        return value
    raise ConfigError(field, value, ALLOWED_RELEASE, _version_hint(value))


def validate_ami_id(value: str, field: str = "image_id") -> str:
    """An EC2 image ID, ``ami-`` plus 8 or 17 lowercase hex digits."""
    if isinstance(value, str) and _AMI_RE.fullmatch(value):
        return value
    raise ConfigError(field, value, ALLOWED_AMI)


def short_version(image_version: str) -> str:
    """``1.50.0-abcdef12`` -> ``1.50.0`` (the documented "version number" form of an SSM path).

    >>> short_version("1.50.0-abcdef12")
    '1.50.0'
    """
    return image_version.split("-", 1)[0]


def version_from_image_name(name: str) -> str | None:
    """The full version embedded in a Bottlerocket image name, if any.

    >>> version_from_image_name("bottlerocket-aws-k8s-1.33-x86_64-v1.50.0-abcdef12")
    '1.50.0-abcdef12'
    >>> version_from_image_name("my-image") is None
    True
    """
    m = _NAME_VERSION_RE.search(name)
    return m.group(1) if m else None


def parameter_path(
    variant: Variant | str,
    arch: Arch | str,
    release: str = LATEST,
    leaf: Leaf = "image_id",
) -> str:
    """The public SSM parameter name for one variant, architecture, release and leaf."""
    v = get_variant(variant)
    a = parse_arch(arch)
    r = validate_release(release)
    if leaf not in LEAVES:
        raise ConfigError("leaf", leaf, " | ".join(LEAVES))
    return f"{PREFIX}/{v.name}/{a.value}/{r}/{leaf}"


def parse_parameter_path(path: str, field: str = "ssm_path") -> tuple[Variant, Arch, str, Leaf]:
    """Split a Bottlerocket parameter name into ``(variant, arch, release, leaf)``; malformed names raise."""
    allowed = f"{PREFIX}/<variant>/<arch>/<latest|X.Y.Z|X.Y.Z-commit8>/<image_id|image_version>"
    if not isinstance(path, str) or not path.startswith(PREFIX + "/"):
        raise ConfigError(field, path, allowed)
    parts = path.removeprefix(PREFIX + "/").split("/")
    if len(parts) != 4:
        raise ConfigError(field, path, allowed)
    variant_s, arch_s, release, leaf = parts
    if leaf not in LEAVES:
        raise ConfigError(field, path, allowed, f"unknown leaf {leaf!r}")
    v = get_variant(variant_s, field=f"{field} (variant)")
    a = parse_arch(arch_s, field=f"{field} (arch)")
    validate_release(release, field=f"{field} (release)")
    return v, a, release, leaf
