"""Each ECS slot's own pin (current or previous lockfile image) and the same-image warning of a two-slot phase."""

from __future__ import annotations

import dataclasses

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Annotations, Match, Template

from constructs_br.ecs import BlueGreenEcsCapacity, BlueGreenSpec, EcsCapacitySpec, Phase
from constructs_br.errors import ConfigError
from constructs_br.images import ImageSpec, Lockfile, Pin, ResolutionMode
from tests.unit.ecs.helpers import AMIS, REGION, VERSION, base_stack, lockfile, of_type

NEW_VERSION = "1.51.0-fedcba98"
NEW_AMI = "ami-0ec5000000000b001"
WARNING = Match.string_like_regexp("constructs-br:same-image-both-slots")
BLUE = EcsCapacitySpec(image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m6i.large",))


def refreshed() -> Lockfile:
    """The helpers' lockfile after a refresh of aws-ecs-2/x86_64: current NEW_VERSION, previous VERSION."""
    return lockfile().with_pin(
        Pin(
            region=REGION,
            variant="aws-ecs-2",
            arch="x86_64",
            image_id=NEW_AMI,
            image_version=NEW_VERSION,
            ssm_path="/aws/service/bottlerocket/aws-ecs-2/x86_64/1.51.0/image_id",
            resolved_at="2026-02-01T00:00:00Z",
        )
    )


def pair_stack(spec: BlueGreenSpec, lock: Lockfile) -> tuple[Stack, BlueGreenEcsCapacity]:
    stack, vpc, cluster = base_stack()
    pair = BlueGreenEcsCapacity(stack, "General", cluster=cluster, vpc=vpc, spec=spec, lockfile=lock, stage="pilot")
    return stack, pair


def image_ids(stack: Stack) -> dict[str, str]:
    """Slot (``Blue`` / ``Green``) → the launch template's ImageId."""
    template = Template.from_stack(stack).to_json()
    return {
        "Blue" if lid.startswith("GeneralBlue") else "Green": lt["Properties"]["LaunchTemplateData"]["ImageId"]
        for lid, lt in of_type(template, "AWS::EC2::LaunchTemplate").items()
    }


def test_each_slot_runs_its_own_pin() -> None:
    spec = BlueGreenSpec(
        name="general",
        phase=Phase.BLUE_GREEN,
        blue=dataclasses.replace(BLUE, image_version=VERSION),
        green=BLUE,
    )
    stack, pair = pair_stack(spec, refreshed())
    assert image_ids(stack) == {"Blue": AMIS[("aws-ecs-2", "x86_64")], "Green": NEW_AMI}
    assert pair.slots["blue"].image.release_version == VERSION
    assert pair.slots["green"].image.release_version == NEW_VERSION
    Annotations.from_stack(stack).has_no_warning("*", WARNING)


def test_a_version_the_lockfile_does_not_record_lists_current_and_previous() -> None:
    spec = BlueGreenSpec(name="general", blue=dataclasses.replace(BLUE, image_version="1.40.0-00000000"))
    with pytest.raises(ConfigError, match=r"capacity\.general\.blue\.image_version") as exc:
        pair_stack(spec, refreshed())
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
def test_both_slots_on_the_same_image_warn(phase: Phase, outgoing: str, incoming: str) -> None:
    # Same spec, one slot pinned explicitly to the current version, the other following it: the same image.
    spec = BlueGreenSpec(name="general", phase=phase, blue=dataclasses.replace(BLUE, image_version=VERSION), green=BLUE)
    stack, _ = pair_stack(spec, lockfile())
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
    ("phase", "blue", "green", "refresh"),
    [
        # different versions of the same variant (previous / current): a real cutover
        (Phase.BLUE_GREEN, dataclasses.replace(BLUE, image_version=VERSION), BLUE, True),
        # the same version string (VERSION) but another variant: a real cutover
        (Phase.BLUE_GREEN, BLUE, dataclasses.replace(BLUE, image=ImageSpec(variant="aws-ecs-3", arch="x86_64")), False),
        # the same image, other instance types: a real cutover
        (Phase.BLUE_GREEN, BLUE, dataclasses.replace(BLUE, instance_types=("m7i.large",)), False),
        # the same image and spec, but a single-slot phase (the other slot is a standby at weight 0)
        (Phase.GREEN, BLUE, BLUE, False),
    ],
    ids=["versions-differ", "variants-differ", "instance-types-differ", "single-slot-phase"],
)
def test_no_warning_when_the_cutover_changes_something(
    phase: Phase, blue: EcsCapacitySpec, green: EcsCapacitySpec, refresh: bool
) -> None:
    spec = BlueGreenSpec(name="general", phase=phase, blue=blue, green=green)
    stack, _ = pair_stack(spec, refreshed() if refresh else lockfile())
    Annotations.from_stack(stack).has_no_warning("*", WARNING)
