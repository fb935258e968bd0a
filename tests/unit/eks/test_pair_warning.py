"""A two-slot phase whose slots run the same image with the same spec is a synth-time warning (the cutover would
change nothing); a different image or a different spec on the incoming slot is a real cutover and does not warn."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Annotations, Match

from constructs_br.bluegreen import SAME_IMAGE_WARNING, PairSpec, Phase
from constructs_br.eks import BlueGreenNodeGroupPair, NodeGroupSpec
from tests.unit.eks.helpers import PREVIOUS, VERSION, br_cluster_stack, lockfile

BASE = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), min_size=2, max_size=4)
WARNING = Match.string_like_regexp(SAME_IMAGE_WARNING)


def pair_stack(phase: Phase, blue: dict[str, Any], green: dict[str, Any]) -> Stack:
    stack, cluster, key = br_cluster_stack()
    BlueGreenNodeGroupPair(
        stack,
        "General",
        cluster=cluster,
        pair=PairSpec(name="general", base=BASE, phase=phase, blue=blue, green=green),
        lockfile=lockfile(),
        stage="production",
        volume_key=key,
    )
    return stack


def test_warning_id() -> None:
    assert SAME_IMAGE_WARNING == "constructs-br:same-image-both-slots"


@pytest.mark.parametrize(
    ("phase", "outgoing", "incoming"), [(Phase.BLUE_GREEN, "blue", "green"), (Phase.GREEN_BLUE, "green", "blue")]
)
def test_same_image_and_spec_warns(phase: Phase, outgoing: str, incoming: str) -> None:
    # One slot pinned explicitly to the current version, the other following the current pin: the same image,
    # and the specs differ only in image_version.
    versions = {outgoing: {"image_version": VERSION}, incoming: {}}
    annotations = Annotations.from_stack(pair_stack(phase, versions["blue"], versions["green"]))
    annotations.has_warning("/S/General", WARNING)
    (message,) = annotations.find_warning("*", WARNING)
    text = str(message.entry.data)
    assert "'general'" in text
    assert f"phase {phase.value}" in text
    assert f"image {VERSION}" in text
    assert f"incoming slot ({incoming})" in text
    assert "brctl pins refresh" in text


def test_both_following_the_current_pin_warns() -> None:
    Annotations.from_stack(pair_stack(Phase.BLUE_GREEN, {}, {})).has_warning("/S/General", WARNING)


@pytest.mark.parametrize(
    ("phase", "blue", "green"),
    [
        (Phase.BLUE_GREEN, {"image_version": PREVIOUS}, {}),  # the refresh cutover: a new image on green
        (Phase.GREEN_BLUE, {}, {"image_version": PREVIOUS}),
        (Phase.BLUE_GREEN, {}, {"instance_types": ("m8i.large",)}),  # same image, new instance types
        (Phase.GREEN_BLUE, {"min_size": 1, "desired_size": 1}, {}),  # same image, other sizes
        (Phase.BLUE_GREEN, {}, {"data_volume_gib": 50}),
        (Phase.BLUE_GREEN, {}, {"settings": {"kubernetes": {"max-pods": 58}}}),
        (Phase.BLUE, {}, {}),
        (Phase.GREEN, {}, {}),
    ],
    ids=str,
)
def test_no_warning_for_a_real_cutover_or_one_slot(phase: Phase, blue: dict[str, Any], green: dict[str, Any]) -> None:
    Annotations.from_stack(pair_stack(phase, blue, green)).has_no_warning("*", WARNING)
