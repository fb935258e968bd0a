"""Bottlerocket images: variant catalogue (data), SSM path grammar, the per-region lockfile, resolution modes.

Pure Python (no ``aws_cdk``): used by ``brctl`` and by the CDK layer alike.
"""

from constructs_br.images.catalogue import (
    ALL_VARIANTS,
    KUBERNETES_MINORS,
    Arch,
    Variant,
    get_variant,
    parse_arch,
)
from constructs_br.images.lockfile import (
    DEFAULT_LOCKFILE,
    LockDocument,
    Lockfile,
    MissingPinError,
    Pin,
    PreviousPin,
    Promotion,
)
from constructs_br.images.resolve import ImageSpec, ResolutionMode, ResolvedImage, resolve_image
from constructs_br.images.ssm import (
    parameter_path,
    parse_parameter_path,
    validate_ami_id,
    validate_image_version_full,
    validate_release,
)

__all__ = [
    "ALL_VARIANTS",
    "DEFAULT_LOCKFILE",
    "KUBERNETES_MINORS",
    "Arch",
    "ImageSpec",
    "LockDocument",
    "Lockfile",
    "MissingPinError",
    "Pin",
    "PreviousPin",
    "Promotion",
    "ResolutionMode",
    "ResolvedImage",
    "Variant",
    "get_variant",
    "parameter_path",
    "parse_arch",
    "parse_parameter_path",
    "resolve_image",
    "validate_ami_id",
    "validate_image_version_full",
    "validate_release",
]
