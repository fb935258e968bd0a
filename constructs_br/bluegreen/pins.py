"""Which image each slot runs: the lockfile's current pin, or its previous one named by version.

The lockfile holds one pin per region/variant/arch plus ``previous`` (what the last refresh replaced). A slot says
``image_version=None`` (follow the current pin) or a full version that must be the current or the previous pin's.
After ``brctl pins refresh`` the live slot keeps its image (pinned by version, found as ``previous``) while the
incoming slot takes the new current one. :func:`expected_pin` is the one rule: the constructs build slots with it,
and ``brctl drift`` and ``brctl cutover`` judge live resources with it, so they always agree.

>>> from constructs_br.images import Lockfile, Pin
>>> p = lambda v, a: Pin(region="us-west-2", variant="aws-k8s-1.33", arch="x86_64", image_id=a, image_version=v,
...     ssm_path="/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id", resolved_at="2026-01-01T00:00:00Z")
>>> lock = Lockfile.empty().with_pin(p("1.49.0-11111111", "ami-00000000000000001"))
>>> lock = lock.with_pin(p("1.50.0-22222222", "ami-00000000000000002"))
>>> expected_pin(lock, "us-west-2", "aws-k8s-1.33", "x86_64", "1.49.0-11111111").image_id
'ami-00000000000000001'
>>> expected_pin(lock, "us-west-2", "aws-k8s-1.33", "x86_64", None).image_version
'1.50.0-22222222'
>>> expected_pin(lock, "us-west-2", "aws-k8s-1.33", "x86_64", "1.48.0-00000000")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: image_version: got '1.48.0-00000000'; allowed: the lockfile's current or ...
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import Lockfile, Pin
from constructs_br.images.resolve import ResolutionMode, ResolvedImage
from constructs_br.images.ssm import validate_image_version_full

SAME_IMAGE_WARNING: Final = "constructs-br:same-image-both-slots"
"""Warning ID (``Annotations.add_warning_v2``) when both slots of a two-slot phase run the same image."""

FLOATING: Final = "floating"
"""The ``constructs-br:image-version`` tag value of a slot whose image is not pinned (context / deploy-time)."""


def slot_pin(current: Pin, image_version: str | None, field: str = "image_version") -> Pin:
    """``current`` itself, or its previous image as a pin, chosen by ``image_version``; anything else is an error."""
    if image_version is None or image_version == current.image_version:
        return current
    validate_image_version_full(image_version, field)
    prev = current.previous
    if prev is not None and image_version == prev.image_version:
        restored = current.previous_pin()
        assert restored is not None
        return restored
    allowed = [current.image_version] + ([prev.image_version] if prev else [])
    raise ConfigError(
        field,
        image_version,
        f"the lockfile's current or previous pin for {current.region} {current.variant}/{current.arch}: "
        + " | ".join(allowed),
        "a slot can only run an image the lockfile records; refresh or roll back the lockfile first",
    )


def expected_pin(  # noqa: PLR0917 - (lockfile, region, variant, arch, version) reads as the lookup it is
    lockfile: Lockfile, region: str, variant: str, arch: str, image_version: str | None, field: str = "image_version"
) -> Pin:
    """The pin a slot pinned to ``image_version`` (``None``/``floating``: the current pin) must run.

    Raises :class:`~constructs_br.images.lockfile.MissingPinError` without a pin, :class:`ConfigError` for a
    version that is neither the current nor the previous pin.
    """
    current = lockfile.get(region, variant, arch)
    return slot_pin(current, None if image_version in (None, "", FLOATING) else image_version, field)


def select_slot_image(image: ResolvedImage, image_version: str | None, field: str = "image_version") -> ResolvedImage:
    """``image`` pinned to ``image_version`` (``None``: the current pin), validated against current/previous."""
    if image_version is None:
        return image
    if image.mode is not ResolutionMode.PINNED or image.pin is None:
        raise ConfigError(
            field, image_version, "None unless the image mode is pinned", "an explicit slot version needs the lockfile"
        )
    pin = slot_pin(image.pin, image_version, field)
    return image if pin is image.pin else replace(image, pin=pin)


def shared_image_version(outgoing: ResolvedImage, incoming: ResolvedImage) -> str | None:
    """The image version both slots run if they resolve to the same pinned image, else ``None``.

    ``None`` also when either slot is not pinned (``context`` / ``deploy-time``): its version is unknown at synth.
    """
    if outgoing.pin is None or incoming.pin is None:
        return None
    key = (outgoing.variant.name, outgoing.arch, outgoing.region, outgoing.image_id, outgoing.release_version)
    other = (incoming.variant.name, incoming.arch, incoming.region, incoming.image_id, incoming.release_version)
    return outgoing.release_version if key == other else None


def same_image_message(*, pair: str, phase: str, version: str, outgoing: str, incoming: str) -> str:
    """The text of the :data:`SAME_IMAGE_WARNING` warning: names the pair, the phase and the version, and the fix."""
    return (
        f"pair {pair!r} is in phase {phase} but both slots run image {version} with the same spec: the cutover "
        f"changes nothing and only doubles capacity. Put the change on the incoming slot ({incoming}): keep "
        f"{outgoing} pinned to {version}, run `brctl pins refresh`, and let {incoming} follow the lockfile's new "
        "current pin (or override its instance types or image-version)."
    )
