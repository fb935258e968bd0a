"""What every stage stack shares: its environment, the stage tag, termination protection in production,
and AZs from config (a :class:`~constructs_br.platform.PinnedAzStack`: synth needs no AZ lookup)."""

from __future__ import annotations

from aws_cdk import Environment, Tags
from constructs import Construct

from constructs_br import tags
from constructs_br.images.lockfile import Lockfile
from constructs_br.logs.keys import LogRetention
from constructs_br.platform import PinnedAzStack
from stacks.config import StageConfig


def stage_log_retention(stage_name: str) -> LogRetention:
    """How long a stage keeps its logs (control plane, nodes, kubectl provider, sessions): two years in production
    (audit evidence), one year elsewhere."""
    return LogRetention.TWO_YEARS if stage_name == "production" else LogRetention.ONE_YEAR


class StageStack(PinnedAzStack):
    """Base of the platform and ECS stacks of one stage."""

    def __init__(
        self, scope: Construct, construct_id: str, *, stage: StageConfig, lockfile: Lockfile, description: str
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            # Explicit, so the stack keeps its name inside a pipeline's cdk.Stage (CDK would prefix the stage's id);
            # at the top level the name was already the construct id: nothing changes there.
            stack_name=construct_id,
            availability_zones=stage.network.availability_zones,
            env=Environment(account=stage.account, region=stage.region),
            description=f"constructs_br {stage.name} in {stage.region}: {description}",
            termination_protection=stage.name == "production",
        )
        self.stage = stage
        self.lockfile = lockfile
        Tags.of(self).add(tags.STAGE, stage.name)
