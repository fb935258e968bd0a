"""The stages' fleets, as data: EKS node-group pairs and ECS capacity pairs (``constructs_br.bluegreen.PairSpec``).

Cutovers are reviewed context changes in ``cdk.json`` (one parser, :func:`constructs_br.bluegreen.apply_pair_context`):

=====================================================  ===========================================================
``br:<stage>:pair:<pair>:phase``                       ``blue`` | ``blue+green`` | ``green`` | ``green+blue``
``br:<stage>:pair:<pair>:<slot>:instance-types``       comma-separated instance types of one slot
``br:<stage>:pair:<pair>:<slot>:image-version``        full image version of one slot (lockfile current/previous)
``br:<stage>:capacity:<pair>:...``                     the same keys for ECS capacity pairs, plus
``br:<stage>:capacity:<pair>:retire-outgoing``         ``true``: make the outgoing ECS slot deletable
=====================================================  ===========================================================
"""

from __future__ import annotations

from constructs_br.bluegreen import PairSpec
from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.eks.spec import NodeGroupSpec
from constructs_br.images.resolve import ImageSpec


def default_pairs(stage: str) -> tuple[PairSpec[NodeGroupSpec], ...]:
    """pilot and canary: one x86_64 pair on the EKS-managed AMI path; production adds an arm64 pair on the
    custom-AMI path, so both paths are in a synthesized stack."""
    prod = stage == "production"
    general = PairSpec(
        name="general",
        field_prefix=f"stages.{stage}.pairs",
        base=NodeGroupSpec(
            arch="x86_64",
            instance_types=("m7i.large", "m6i.large"),
            min_size=2 if prod else 1,
            desired_size=3 if prod else 2,
            max_size=6 if prod else 3,
            data_volume_gib=50 if prod else 20,
            labels={"constructs-br/pool": "general"},
            field_prefix=f"stages.{stage}.pairs.general",
        ),
    )
    if not prod:
        return (general,)
    arm = PairSpec(
        name="arm",
        field_prefix=f"stages.{stage}.pairs",
        base=NodeGroupSpec(
            arch="arm64",
            image_path="custom-ami",
            instance_types=("m7g.large", "m6g.large"),
            min_size=1,
            desired_size=2,
            max_size=4,
            data_volume_gib=50,
            labels={"constructs-br/pool": "arm"},
            field_prefix=f"stages.{stage}.pairs.arm",
        ),
    )
    return (general, arm)


def default_capacity(stage: str) -> tuple[PairSpec[EcsCapacitySpec], ...]:
    """Every stage: one ECS pair, ``general``, on ``aws-ecs-2`` x86_64 (pinned from the lockfile)."""
    return (
        PairSpec(
            name="general",
            field_prefix=f"stages.{stage}.capacity",
            base=EcsCapacitySpec(
                image=ImageSpec(variant="aws-ecs-2", arch="x86_64"),
                instance_types=("m6i.large", "m7i.large"),
                min_size=1,
                max_size=4,
            ),
        ),
    )
