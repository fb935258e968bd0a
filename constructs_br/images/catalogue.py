"""The Bottlerocket variants and architectures this library deploys, as data.

A variant name is ``<base><flavour>``: the base is ``aws-k8s-<minor>`` or ``aws-ecs-<generation>``, the flavour one of
``""``, ``-nvidia``, ``-fips``, ``-nvidia-fips``. Every variant is published for both architectures.

>>> v = get_variant("aws-k8s-1.33-nvidia")
>>> (v.family, v.k8s_minor, v.nvidia, v.fips)
('k8s', '1.33', True, False)
>>> v.eks_ami_type(Arch.ARM64)
'BOTTLEROCKET_ARM_64_NVIDIA'
>>> get_variant("aws-k8s-1.33-nvidia-fips").eks_ami_type(parse_arch("x86_64"))
'BOTTLEROCKET_x86_64_NVIDIA_FIPS'
>>> get_variant("aws-ecs-1")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: variant: got 'aws-ecs-1'; allowed: ... (aws-ecs-1 is retired: ... 1.43.x; ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from constructs_br.errors import ConfigError

KUBERNETES_MINORS: tuple[str, ...] = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35")
"""Kubernetes minors with an ``aws-k8s-<minor>`` variant. Adding a minor is one entry here."""

ECS_GENERATIONS: tuple[str, ...] = ("2", "3")
"""``aws-ecs-<generation>`` variants.

``aws-ecs-3`` (published since Bottlerocket 1.51) is treated exactly like ``aws-ecs-2``: same flavours, same SSM path
grammar. The settings reference's ``variant_globs`` do not list ``aws-ecs-3*``; the settings layer treats it as
``aws-ecs-2`` too (see /work/shared/reference/NOTES.md).
"""

FLAVOURS: tuple[tuple[str, bool, bool], ...] = (
    ("", False, False),
    ("-nvidia", True, False),
    ("-fips", False, True),
    ("-nvidia-fips", True, True),
)
"""``(suffix, nvidia, fips)``. The k8s ``-nvidia-fips`` and all ECS ``-fips`` paths follow the documented grammar but
were not seen queried by any tool: ``brctl pins refresh`` against a real account is the check."""

RETIRED: dict[str, str] = {
    "aws-ecs-1": "aws-ecs-1 is retired: its last release was 1.43.x; use aws-ecs-2 or aws-ecs-3",
}
"""Base variants that no longer receive releases, with the message a user sees when asking for one."""

ALLOWED_VARIANTS = (
    f"aws-k8s-<{KUBERNETES_MINORS[0]}..{KUBERNETES_MINORS[-1]}> or aws-ecs-<{'|'.join(ECS_GENERATIONS)}>, "
    "each optionally suffixed -nvidia, -fips or -nvidia-fips"
)


class Arch(StrEnum):
    """CPU architecture as Bottlerocket's SSM paths and EC2's ``Architecture`` field spell it."""

    X86_64 = "x86_64"
    ARM64 = "arm64"

    @property
    def eks_token(self) -> str:
        """The architecture part of an EKS AMI type (``x86_64`` / ``ARM_64``)."""
        return "x86_64" if self is Arch.X86_64 else "ARM_64"


_ARCH_HINTS = {
    "amd64": "Bottlerocket paths and EC2 call it x86_64",
    "x86-64": "Bottlerocket paths and EC2 call it x86_64",
    "aarch64": "Bottlerocket SSM paths and EC2 call it arm64 (aarch64 only appears in image names)",
    "arm": "use arm64",
}


def parse_arch(value: str, field: str = "arch") -> Arch:
    """Parse an architecture; ``aarch64`` / ``amd64`` are rejected with a hint, not silently mapped.

    >>> parse_arch("arm64")
    <Arch.ARM64: 'arm64'>
    """
    if isinstance(value, Arch):
        return value
    try:
        return Arch(value)
    except ValueError:
        hint = _ARCH_HINTS.get(str(value).lower(), "")
        raise ConfigError(field, value, " | ".join(a.value for a in Arch), hint) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """One Bottlerocket variant, e.g. ``aws-k8s-1.33-nvidia``."""

    name: str
    family: Literal["k8s", "ecs"]
    k8s_minor: str | None
    nvidia: bool
    fips: bool

    @property
    def base(self) -> str:
        """The variant without its flavour, e.g. ``aws-k8s-1.33``."""
        return self.name.removesuffix(self.flavour)

    @property
    def flavour(self) -> str:
        """``""``, ``-nvidia``, ``-fips`` or ``-nvidia-fips``."""
        return "-nvidia" * self.nvidia + "-fips" * self.fips

    def eks_ami_type(self, arch: Arch | str) -> str:
        """The EKS managed node group AMI type, ``BOTTLEROCKET_{x86_64,ARM_64}{,_NVIDIA}{,_FIPS}``."""
        if self.family != "k8s":
            raise ConfigError(
                "variant",
                self.name,
                "an aws-k8s-* variant",
                "EKS AMI types exist only for Kubernetes variants; ECS capacity uses the AMI ID",
            )
        a = parse_arch(arch)
        return "BOTTLEROCKET_" + a.eks_token + "_NVIDIA" * self.nvidia + "_FIPS" * self.fips


def _build() -> tuple[Variant, ...]:
    out: list[Variant] = []
    for minor in KUBERNETES_MINORS:
        for suffix, nvidia, fips in FLAVOURS:
            name = f"aws-k8s-{minor}{suffix}"
            out.append(Variant(name=name, family="k8s", k8s_minor=minor, nvidia=nvidia, fips=fips))
    for gen in ECS_GENERATIONS:
        for suffix, nvidia, fips in FLAVOURS:
            out.append(Variant(name=f"aws-ecs-{gen}{suffix}", family="ecs", k8s_minor=None, nvidia=nvidia, fips=fips))
    return tuple(out)


ALL_VARIANTS: tuple[Variant, ...] = _build()
"""Every variant the library knows, k8s minors ascending, then ECS generations."""

_BY_NAME: dict[str, Variant] = {v.name: v for v in ALL_VARIANTS}


def get_variant(name: str | Variant, field: str = "variant") -> Variant:
    """Look a variant up by name; unknown and retired names raise :class:`ConfigError`."""
    if isinstance(name, Variant):
        return name
    found = _BY_NAME.get(name)
    if found is not None:
        return found
    for retired, message in RETIRED.items():
        if name == retired or (isinstance(name, str) and name.startswith(retired + "-")):
            raise ConfigError(field, name, ALLOWED_VARIANTS, message)
    hint = ""
    if isinstance(name, str) and name.startswith("aws-k8s-"):
        hint = f"known Kubernetes minors: {', '.join(KUBERNETES_MINORS)} (add a new one to KUBERNETES_MINORS)"
    raise ConfigError(field, name, ALLOWED_VARIANTS, hint)


_EKS_ARCH = {a.eks_token: a for a in Arch}


def parse_eks_ami_type(ami_type: str) -> tuple[Arch, bool, bool] | None:
    """``(arch, nvidia, fips)`` for a Bottlerocket EKS AMI type, ``None`` for any other AMI type (AL2, CUSTOM, ...).

    >>> parse_eks_ami_type("BOTTLEROCKET_ARM_64_FIPS")
    (<Arch.ARM64: 'arm64'>, False, True)
    >>> parse_eks_ami_type("CUSTOM") is None
    True
    """
    if not ami_type.startswith("BOTTLEROCKET_"):
        return None
    rest = ami_type.removeprefix("BOTTLEROCKET_")
    for token, arch in _EKS_ARCH.items():
        if rest == token or rest.startswith(token + "_"):
            suffix = rest.removeprefix(token)
            if suffix in ("", "_NVIDIA", "_FIPS", "_NVIDIA_FIPS"):
                return arch, "_NVIDIA" in suffix, "_FIPS" in suffix
    return None
