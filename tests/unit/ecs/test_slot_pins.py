"""Each ECS slot's own pin (current or previous lockfile image) and the same-image warning of a two-slot phase."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Annotations, Match, Template

from constructs_br.bluegreen import SAME_IMAGE_WARNING, PairSpec, Phase
from constructs_br.ecs import BlueGreenEcsCapacity, CapacityPair, EcsCapacitySpec
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec, Lockfile, ResolutionMode
from tests.unit.ecs.helpers import AMIS, NEW_AMI, NEW_VERSION, VERSION, base_stack, lockfile, of_type, refreshed

WARNING = Match.string_like_regexp(SAME_IMAGE_WARNING)
BLUE = EcsCapacitySpec(image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m6i.large",))


def capacity_pair(phase: Phase = Phase.BLUE, **overrides: Any) -> CapacityPair:
    return PairSpec(name="general", base=BLUE, phase=phase, field_prefix="capacity", **overrides)


def pair_stack(pair: CapacityPair, lock: Lockfile) -> tuple[Stack, BlueGreenEcsCapacity]:
    stack, vpc, cluster = base_stack()
    capacity = BlueGreenEcsCapacity(stack, "General", cluster=cluster, vpc=vpc, pair=pair, lockfile=lock, stage="pilot")
    return stack, capacity


def image_ids(stack: Stack) -> dict[str, str]:
    """Slot (``Blue`` / ``Green``) → the launch template's ImageId."""
    template = dict(Template.from_stack(stack).to_json())
    return {
        "Blue" if lid.startswith("GeneralBlue") else "Green": lt["Properties"]["LaunchTemplateData"]["ImageId"]
        for lid, lt in of_type(template, "AWS::EC2::LaunchTemplate").items()
    }


def test_each_slot_runs_its_own_pin() -> None:
    stack, pair = pair_stack(capacity_pair(Phase.BLUE_GREEN, blue={"image_version": VERSION}), refreshed())
    assert image_ids(stack) == {"Blue": AMIS[("aws-ecs-2", "x86_64")], "Green": NEW_AMI}
    assert pair.slots["blue"].image.release_version == VERSION
    assert pair.slots["green"].image.release_version == NEW_VERSION
    Annotations.from_stack(stack).has_no_warning("*", WARNING)


def test_a_version_the_lockfile_does_not_record_lists_current_and_previous() -> None:
    pair = capacity_pair(blue={"image_version": "1.40.0-00000000"})
    with pytest.raises(ConfigError, match=r"capacity\.general\.blue\.image_version") as exc:
        pair_stack(pair, refreshed())
    assert f"{NEW_VERSION} | {VERSION}" in str(exc.value)


@pytest.mark.parametrize(
    ("changes", "allowed"),
    [
        ({"image_version": "1.50.0"}, "X.Y.Z-<8 hex commit>"),
        (
            {
                "image": ImageSpec(variant="aws-ecs-2", arch="x86_64", mode=ResolutionMode.CONTEXT),
                "image_version": VERSION,
            },
            "None unless image.mode is pinned",
        ),
    ],
)
def test_bad_slot_version_is_a_named_error(changes: dict[str, object], allowed: str) -> None:
    with pytest.raises(ConfigError, match=r"capacity\.image_version") as exc:
        dataclasses.replace(BLUE, **changes)  # type: ignore[arg-type]
    assert allowed in str(exc.value)


@pytest.mark.parametrize(
    ("phase", "outgoing", "incoming"), [(Phase.BLUE_GREEN, "blue", "green"), (Phase.GREEN_BLUE, "green", "blue")]
)
@pytest.mark.parametrize("pinned", ["outgoing", "neither"])
def test_both_slots_on_the_same_image_and_spec_warn(phase: Phase, outgoing: str, incoming: str, pinned: str) -> None:
    # Same spec; the outgoing slot pinned explicitly to the current version (or neither pinned): the same image.
    overrides = {outgoing: {"image_version": VERSION}} if pinned == "outgoing" else {}
    stack, _ = pair_stack(capacity_pair(phase, **overrides), lockfile())
    annotations = Annotations.from_stack(stack)
    annotations.has_warning("/BrTestEcs/General", WARNING)
    (message,) = annotations.find_warning("/BrTestEcs/General", WARNING)
    text = str(message.entry.data)
    assert "'general'" in text
    assert f"phase {phase.value}" in text
    assert f"image {VERSION}" in text
    assert f"incoming slot ({incoming})" in text
    assert f"keep {outgoing} pinned to {VERSION}" in text
    assert "brctl pins refresh" in text


@pytest.mark.parametrize(
    ("phase", "overrides", "refresh"),
    [
        # different versions of the same variant (previous / current): a real cutover
        (Phase.BLUE_GREEN, {"blue": {"image_version": VERSION}}, True),
        # the same version string (VERSION) but another variant: a real cutover
        (Phase.BLUE_GREEN, {"green": {"image": ImageSpec(variant="aws-ecs-3", arch="x86_64")}}, False),
        # a single-slot phase: nothing to compare
        (Phase.GREEN, {}, False),
    ],
    ids=["versions-differ", "variants-differ", "single-slot-phase"],
)
def test_no_warning_when_the_image_changes(phase: Phase, overrides: dict[str, Any], refresh: bool) -> None:
    stack, _ = pair_stack(capacity_pair(phase, **overrides), refreshed() if refresh else lockfile())
    Annotations.from_stack(stack).has_no_warning("*", WARNING)


@pytest.mark.parametrize(
    ("phase", "overrides"),
    [
        (Phase.BLUE_GREEN, {"green": {"instance_types": ("m7i.large",)}}),
        (Phase.GREEN_BLUE, {"blue": {"instance_types": ("m7i.large",)}}),
        (Phase.BLUE_GREEN, {"green": {"min_size": 2, "max_size": 6}}),
    ],
    ids=["instance-types-blue-green", "instance-types-green-blue", "sizes-blue-green"],
)
def test_no_warning_when_only_the_spec_changes(phase: Phase, overrides: dict[str, Any]) -> None:
    """Both slots run the same image, but the incoming slot's own spec differs: a real cutover, no warning."""
    stack, capacity = pair_stack(capacity_pair(phase, **overrides), lockfile())
    images = {cap.image.image_id for cap in capacity.slots.values()}
    assert images == {AMIS[("aws-ecs-2", "x86_64")]}  # one image on both slots ...
    Annotations.from_stack(stack).has_no_warning("*", WARNING)  # ... and still no warning
