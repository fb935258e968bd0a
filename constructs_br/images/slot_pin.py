"""Each blue/green slot's own pin: the lockfile's current image, or its previous one, named by version.

The lockfile holds one pin per region/variant/arch plus ``previous`` (what the last refresh replaced). A slot says
``image_version=None`` (follow the lockfile's current pin) or an explicit full version that must equal the
current or the previous pin's. So after ``brctl pins refresh`` the live slot keeps running the old image
(pinned by version, found as ``previous``) while the incoming slot takes the new current one.

>>> from constructs_br.images import Lockfile, Pin, ImageSpec, resolve_image
>>> p = lambda v, a: Pin(region="us-west-2", variant="aws-k8s-1.33", arch="x86_64", image_id=a, image_version=v,
...     ssm_path="/aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id", resolved_at="2026-01-01T00:00:00Z")
>>> lock = Lockfile.empty().with_pin(p("1.49.0-11111111", "ami-00000000000000001"))
>>> lock = lock.with_pin(p("1.50.0-22222222", "ami-00000000000000002"))
>>> image = resolve_image(ImageSpec(variant="aws-k8s-1.33", arch="x86_64"), region="us-west-2", stage="pilot",
...                       lockfile=lock)
>>> select_slot_image(image, "1.49.0-11111111").image_id
'ami-00000000000000001'
>>> select_slot_image(image, "1.48.0-00000000")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: image_version: got '1.48.0-00000000'; allowed: the lockfile's current ...

In a two-slot phase both slots on the same image make the cutover pointless (it only doubles capacity); the pair
constructs warn (:data:`SAME_IMAGE_WARNING`) when :func:`shared_image_version` finds one:

>>> shared_image_version(select_slot_image(image, "1.49.0-11111111"), image) is None
True
>>> shared_image_version(image, select_slot_image(image, None))
'1.50.0-22222222'
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from constructs_br.errors import ConfigError
from constructs_br.images.resolve import ResolutionMode, ResolvedImage

SAME_IMAGE_WARNING: Final = "constructs-br:same-image-both-slots"
"""Warning ID (``Annotations.add_warning_v2``) when both slots of a two-slot phase run the same image."""


def select_slot_image(image: ResolvedImage, image_version: str | None, field: str = "image_version") -> ResolvedImage:
    """``image`` pinned to ``image_version`` (``None``: the current pin), validated against current/previous."""
    if image_version is None:
        return image
    if image.mode is not ResolutionMode.PINNED or image.pin is None:
        raise ConfigError(
            field, image_version, "None unless the image mode is pinned", "an explicit slot version needs the lockfile"
        )
    current = image.pin
    if image_version == current.image_version:
        return image
    prev = current.previous
    if prev is not None and image_version == prev.image_version:
        return replace(image, pin=current.previous_pin())
    allowed = [current.image_version] + ([prev.image_version] if prev else [])
    raise ConfigError(
        field,
        image_version,
        f"the lockfile's current or previous pin for {current.region} {current.variant}/{current.arch}: "
        + " | ".join(allowed),
        "a slot can only run an image the lockfile records; refresh or roll back the lockfile first",
    )


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
        f"pair {pair!r} is in phase {phase} but both slots run image {version}: the cutover changes nothing and "
        f"only doubles capacity. Pin the incoming slot ({incoming}) to the new version: keep {outgoing} pinned to "
        f"{version}, run `brctl pins refresh`, and let {incoming} follow the lockfile's new current pin (or set its "
        "image-version to it)."
    )
