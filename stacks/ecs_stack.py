"""The stage's ECS stack (``BrPilotEcs`` / ``BrCanaryEcs`` / ``BrProductionEcs``): ECS cluster and its capacity.

It takes the VPC as input (from the platform stack, or imported by attributes) and holds no Lambda-backed
custom resource, so it deploys on its own — node capacity changes far more often than networks.
"""

from __future__ import annotations

import dataclasses

from aws_cdk import CfnOutput
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_br.bluegreen import PairSpec
from constructs_br.ecs import BlueGreenEcsCapacity, ClusterCapacityProviders
from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.images.lockfile import Lockfile
from constructs_br.logs.keys import FleetKey
from constructs_br.settings.merge import merge
from stacks.compliance import CisConfig
from stacks.config import StageConfig
from stacks.logging import add_ecs_logging, logging_config
from stacks.stage_stack import StageStack


def with_cis(pair: PairSpec[EcsCapacitySpec], cis: CisConfig) -> PairSpec[EcsCapacitySpec]:
    """``pair`` with the stage's CIS preset merged under the capacity's own ``extra_settings`` (which win). The ECS
    capacity takes no stage layer, so the preset rides in that escape hatch; Level 1 is Bottlerocket's secure
    defaults, which the builder already starts from (the user data does not change)."""
    base = pair.base
    preset = cis.settings(base.image.variant)
    return dataclasses.replace(pair, base=dataclasses.replace(base, extra_settings=merge(preset, base.extra_settings)))


class EcsStack(StageStack):
    """ECS cluster (Container Insights on) for one stage; Bottlerocket capacity providers join it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        vpc: ec2.IVpc,
        lockfile: Lockfile,
        session_policy_arn: str | None = None,
    ) -> None:
        super().__init__(
            scope, construct_id, stage=stage, lockfile=lockfile, description="ECS cluster and Bottlerocket capacity"
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENHANCED
            if stage.ecs.container_insights
            else ecs.ContainerInsights.DISABLED,
        )
        # One construct per capacity pair, id = the pair's name in PascalCase (a stable, user-chosen fleet name:
        # never an instance type, image version, index or stage). Inside: Blue / Green → AutoScalingGroup, ...
        self.capacity: dict[str, BlueGreenEcsCapacity] = {
            pair.name: BlueGreenEcsCapacity(
                self,
                pair.construct_id,
                cluster=self.cluster,
                vpc=vpc,
                pair=with_cis(pair, stage.cis_config),
                lockfile=lockfile,
                stage=stage.name,
            )
            for pair in stage.capacity
        }
        if session_policy_arn is not None:
            # The platform stack's node session policy (decrypt and log Session Manager sessions).
            session_policy = iam.ManagedPolicy.from_managed_policy_arn(self, "NodeSessionPolicy", session_policy_arn)
            for pair in self.capacity.values():
                for cap in pair.slots.values():
                    cap.instance_role.role.add_managed_policy(session_policy)
        # The cluster's providers and default strategy (live slots weight 1) in one association resource.
        self.capacity_providers = ClusterCapacityProviders(
            self,
            "CapacityProviders",
            cluster=self.cluster,
            items=[item for pair in self.capacity.values() for item in pair.strategy],
        )
        # Its own key (the ECS stack deploys without the platform stack when the VPC is imported) for the node logs:
        # the host journal through a Fluent Bit daemon service, containers through FireLens (docs/logging.md).
        self.key = FleetKey(self, "Key", description=f"constructs_br {stage.name}: ECS node logs")
        self.logging = add_ecs_logging(
            self,
            stage_name=stage.name,
            cluster=self.cluster,
            key=self.key.key,
            config=logging_config(stage.name, self.node.get_all_context()),
        )
        CfnOutput(self, "ClusterName", value=self.cluster.cluster_name)
