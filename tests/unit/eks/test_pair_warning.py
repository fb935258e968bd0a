"""A two-slot phase with both slots on the same image is a synth-time warning (the cutover would be pointless)."""

from __future__ import annotations

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Annotations, Match

from constructs_br.eks import BlueGreenNodeGroupPair, NodeGroupSpec, Phase, select_slot_image, slots_present
from tests.unit.eks.helpers import PREVIOUS, VERSION, cluster_stack, resolved

SPEC = NodeGroupSpec(variant="aws-k8s-1.33", arch="x86_64", instance_types=("m7i.large",), min_size=2, max_size=4)
WARNING = Match.string_like_regexp("constructs-br:same-image-both-slots")


def pair_stack(phase: Phase, versions: dict[str, str | None]) -> Stack:
    stack, cluster, key = cluster_stack()
    image = resolved()
    BlueGreenNodeGroupPair(
        stack,
        "General",
        cluster=cluster,
        spec=SPEC,
        phase=phase,
        images={slot: select_slot_image(image, versions[slot]) for slot in slots_present(phase)},
        cluster_version="1.33",
        fleet="general",
        stage="production",
        volume_key=key,
    )
    return stack


@pytest.mark.parametrize(
    ("phase", "outgoing", "incoming"), [(Phase.BLUE_GREEN, "blue", "green"), (Phase.GREEN_BLUE, "green", "blue")]
)
def test_both_slots_on_the_same_image_warn(phase: Phase, outgoing: str, incoming: str) -> None:
    # One slot pinned explicitly to the current version, the other following the current pin: the same image.
    annotations = Annotations.from_stack(pair_stack(phase, {outgoing: VERSION, incoming: None}))
    annotations.has_warning("/S/General", WARNING)
    (message,) = annotations.find_warning("*", WARNING)
    text = str(message.entry.data)
    assert "'general'" in text
    assert f"phase {phase.value}" in text
    assert f"image {VERSION}" in text
    assert f"incoming slot ({incoming})" in text
    assert "brctl pins refresh" in text


@pytest.mark.parametrize(
    ("phase", "versions"),
    [
        (Phase.BLUE_GREEN, {"blue": PREVIOUS, "green": None}),
        (Phase.GREEN_BLUE, {"green": None, "blue": PREVIOUS}),
        (Phase.BLUE, {"blue": None, "green": None}),
        (Phase.GREEN, {"blue": None, "green": None}),
    ],
    ids=str,
)
def test_no_warning_when_versions_differ_or_one_slot(phase: Phase, versions: dict[str, str | None]) -> None:
    Annotations.from_stack(pair_stack(phase, versions)).has_no_warning("*", WARNING)
