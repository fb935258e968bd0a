"""How one node group / capacity provider gets its image in one region. Pure Python: the CDK layer turns a
:class:`ResolvedImage` into a literal AMI ID, a context lookup, or an SSM-parameter reference.

Modes:

* ``pinned`` (default; the only sane choice for canary and production): the literal image ID (and, for EKS managed AMI
  types, the full release version) from the committed lockfile. Changing it is a reviewed commit.
* ``context``: a CDK context lookup of the SSM parameter, cached in ``cdk.context.json`` (pinned per checkout, but
  the cache is not reviewed like the lockfile).
* ``deploy-time``: the SSM parameter resolved by CloudFormation at deploy time: the image floats with every release.
  Only with a written ``allow_deploy_time_reason`` (the app decides where that is acceptable, e.g. a pilot stage).

>>> from constructs_br.images.lockfile import Lockfile
>>> spec = ImageSpec(variant="aws-k8s-1.33", arch="arm64", mode=ResolutionMode.DEPLOY_TIME,
...                  allow_deploy_time_reason="pilot tracks every release to catch regressions early")
>>> resolve_image(spec, region="us-west-2", lockfile=Lockfile.empty()).ssm_path
'/aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id'
>>> ImageSpec(variant="aws-k8s-1.33", arch="arm64", mode="deploy-time")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: image.mode: got 'deploy-time'; allowed: pinned | context (deploy-time only with...
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from constructs_br.errors import ConfigError, Problems
from constructs_br.images.catalogue import Arch, Variant, get_variant, parse_arch
from constructs_br.images.lockfile import Lockfile, Pin
from constructs_br.images.ssm import LATEST, parameter_path, short_version

ALLOWED_MODES = "pinned | context (deploy-time only with allow_deploy_time_reason)"


class ResolutionMode(StrEnum):
    """How an image reaches the template: ``pinned`` (lockfile literal), ``context`` (cached lookup), ``deploy-time``
    (SSM parameter resolved by CloudFormation)."""

    PINNED = "pinned"
    CONTEXT = "context"
    DEPLOY_TIME = "deploy-time"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageSpec:
    """What image a node group / capacity provider wants. Validated on construction."""

    variant: str
    arch: str
    mode: ResolutionMode = ResolutionMode.PINNED
    allow_deploy_time_reason: str | None = None

    def __post_init__(self) -> None:
        p = Problems()
        try:
            get_variant(self.variant, field="image.variant")
        except ConfigError as exc:
            p.extend(exc.problems)
        try:
            object.__setattr__(self, "arch", str(parse_arch(self.arch, field="image.arch").value))
        except ConfigError as exc:
            p.extend(exc.problems)
        try:
            object.__setattr__(self, "mode", ResolutionMode(self.mode))
        except ValueError:
            p.add("image.mode", self.mode, " | ".join(m.value for m in ResolutionMode))
        reason = self.allow_deploy_time_reason
        if self.mode == ResolutionMode.DEPLOY_TIME and reason is None:
            p.add(
                "image.mode",
                self.mode.value,
                ALLOWED_MODES,
                "the image would float to every new Bottlerocket release at deploy time; pin it (brctl pins "
                "refresh) or say why in allow_deploy_time_reason",
            )
        if reason is not None:
            if not isinstance(reason, str) or not reason.strip():
                p.add("image.allow_deploy_time_reason", reason, "a non-empty written reason, or None")
            elif self.mode != ResolutionMode.DEPLOY_TIME:
                p.add(
                    "image.allow_deploy_time_reason",
                    reason,
                    "None unless mode is deploy-time",
                    "the reason would have no effect",
                )
        p.raise_if_any()


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedImage:
    """The image for one spec in one region. ``pin`` is set exactly when ``mode`` is ``pinned``."""

    mode: ResolutionMode
    variant: Variant
    arch: Arch
    region: str
    ssm_path: str
    pin: Pin | None = None

    @property
    def image_id(self) -> str | None:
        """The literal AMI ID (pinned mode), else ``None`` (the CDK layer looks it up or references the parameter)."""
        return self.pin.image_id if self.pin else None

    @property
    def release_version(self) -> str | None:
        """Full image version (``1.50.0-abcdef12``) for an EKS managed AMI type's ``releaseVersion`` (pinned only)."""
        return self.pin.image_version if self.pin else None

    @property
    def eks_ami_type(self) -> str:
        """``BOTTLEROCKET_*`` AMI type (k8s variants only; ECS raises :class:`ConfigError`)."""
        return self.variant.eks_ami_type(self.arch)


def resolve_image(spec: ImageSpec, *, region: str, lockfile: Lockfile) -> ResolvedImage:
    """Resolve ``spec`` for one region. Each region gets its own region's pin.

    Raises :class:`~constructs_br.images.lockfile.MissingPinError` (pinned, no pin for that region).
    """
    variant = get_variant(spec.variant, field="image.variant")
    arch = parse_arch(spec.arch, field="image.arch")
    mode = ResolutionMode(spec.mode)
    if mode is ResolutionMode.PINNED:
        pin = lockfile.get(region, variant.name, arch.value)
        path = parameter_path(variant, arch, short_version(pin.image_version))
        return ResolvedImage(mode=mode, variant=variant, arch=arch, region=region, ssm_path=path, pin=pin)
    return ResolvedImage(
        mode=mode,
        variant=variant,
        arch=arch,
        region=region,
        ssm_path=parameter_path(variant, arch, LATEST),
    )
