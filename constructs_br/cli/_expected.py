"""Which image a live slot must run, judged the one way (:func:`constructs_br.bluegreen.expected_pin`) for
``brctl drift`` and ``brctl cutover`` alike.

A slot's resources carry the ``constructs-br:image-version`` tag the stack pinned: absent / ``floating`` means "the
lockfile's current pin"; a full version must be the lockfile's current or previous pin. So a slot pinned to the
previous image (the runbook's first step) is OK in both commands, and a version the lockfile no longer records is a
finding in both.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs_br import tags
from constructs_br.bluegreen import expected_pin
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
