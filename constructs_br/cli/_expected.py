"""Which image a live slot must run, judged the one way (:func:`constructs_br.bluegreen.expected_pin`) for
``brctl drift`` and ``brctl cutover`` alike.

A slot's resources carry the ``constructs-br:image-version`` tag the stack pinned: absent / ``floating`` means "the
lockfile's current pin"; a full version must be the lockfile's current or previous pin. So a slot pinned to the
previous image (the runbook's first step) is OK in both commands, and a version the lockfile no longer records is a
finding in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from constructs_br import tags
from constructs_br.bluegreen import expected_pin
from constructs_br.cli import _aws
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import Lockfile, MissingPinError, Pin


@dataclass(frozen=True, slots=True)
class Expectation:
    """``pin``: what the slot must run (``None``: no verdict possible, ``problem`` says why). ``current``: the
    lockfile's current pin for the region/variant/arch, for reference. ``version``: the tagged version (``None``:
    follows the current pin)."""

    pin: Pin | None
    current: Pin | None
    version: str | None
    problem: str | None = None


def expect(lock: Lockfile, region: str, variant: str, arch: str, resource_tags: dict[str, str]) -> Expectation:
    """The pin a resource tagged ``resource_tags`` must run in ``region`` for ``variant``/``arch``."""
    tagged = resource_tags.get(tags.IMAGE_VERSION) or None
    current = lock.find(region, variant, arch)
    try:
        pin = expected_pin(lock, region, variant, arch, tagged, field=f"tag {tags.IMAGE_VERSION}")
    except MissingPinError as exc:
        return Expectation(None, None, tagged, f"no pin for {region}/{variant}/{arch}; run: {exc.command}")
    except ConfigError:
        assert current is not None
        if current.previous is None:
            why = f"is not the lockfile's current pin {current.image_version} (no previous pin)"
        else:
            why = f"is neither the lockfile's current pin {current.image_version} nor previous "
            why += current.previous.image_version
        return Expectation(None, current, tagged, f"image-version tag {tagged} {why}")
    return Expectation(pin, current, pin.image_version)


@dataclass(frozen=True, slots=True)
class LaunchTemplateImage:
    """What a slot launching from a launch template runs, against what it must run. ``image_id``: the launch
    template's ``ImageId``; ``arch``: that image's architecture; ``expectation``: the pin it must be (``None`` while
    the image cannot be read); ``problem``: why the image or the expectation could not be established."""

    image_id: str | None
    arch: str | None
    expectation: Expectation | None
    problem: str | None


def launch_template_image(  # noqa: PLR0917 - the launch template's three handles, as EC2 names them
    region: str,
    lock: Lockfile,
    variant: str,
    template_id: str | None,
    template_name: str | None,
    version: str | None,
    resource_tags: dict[str, str],
) -> LaunchTemplateImage:
    """Read the launch template's image and judge it with :func:`expect` (EKS custom-AMI slots and ECS slots)."""
    image_id = _aws.launch_template_image(region, template_id, template_name, version or "$Default")
    if image_id is None:
        return LaunchTemplateImage(None, None, None, "launch template sets no ImageId")
    image = _aws.describe_images(region, [image_id]).get(image_id)
    if image is None:
        return LaunchTemplateImage(image_id, None, None, f"launch template image {image_id} not found (deregistered?)")
    exp = expect(lock, region, variant, image.architecture, resource_tags)
    return LaunchTemplateImage(image_id, image.architecture, exp, exp.problem if exp.pin is None else None)


class ImageGate(Protocol):
    """The image fields a slot gate records (:class:`~constructs_br.cli._eks_gate.SlotGate`,
    :class:`~constructs_br.cli._ecs_gate.EcsSlotGate`)."""

    arch: str | None
    actual: str | None
    expected: str | None
    lockfile_pin: str | None
    expected_version: str | None
    reasons: list[str]


def record_expectation(g: ImageGate, exp: Expectation) -> None:
    """The lockfile's current pin and the tagged version, for the gate's report."""
    g.lockfile_pin = exp.current.image_version if exp.current else None
    g.expected_version = exp.version


def judge_launch_template_image(g: ImageGate, found: LaunchTemplateImage, what: str) -> Pin | None:
    """Record ``found`` on the gate: its image and architecture, the expectation, a reason when the launch
    template's image (named ``what`` in the reason) is not the pin. Returns the pin the slot must run (``None``: no
    verdict possible, the reason is recorded)."""
    g.actual, g.arch, exp = found.image_id, found.arch, found.expectation
    if exp is not None:
        record_expectation(g, exp)
    if found.problem is not None or exp is None or exp.pin is None:
        g.reasons.append(str(found.problem))
        return None
    g.expected = exp.pin.image_id
    if found.image_id != g.expected:
        g.reasons.append(f"{what} {found.image_id}, expected {g.expected} ({exp.pin.image_version})")
    return exp.pin
