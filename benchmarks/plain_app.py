"""The same fleet written with plain aws-cdk-lib, the way a user would without constructs_br.

Per stage: a VPC (2 AZs, 1 NAT gateway), an ``aws_eks_v2.Cluster`` with node-group capacity (no default capacity),
one managed node group per node-group pair with the Bottlerocket AMI type (EKS picks the image), and an ECS cluster
with one Auto Scaling group + capacity provider per capacity pair on ``ecs.BottleRocketImage`` (the SSM-resolved
latest ``aws-ecs-2`` image). No cdk-nag, no pinning, no hardening beyond CDK's defaults. Same feature flags
(cdk.json's context) as the full app.

The default shape mirrors the whole app in ``stacks/`` (3 stages; 1 + 1 + 2 node-group pairs, 1 capacity pair
each; pilot in us-west-2, canary and production in us-east-1; a platform stack and an ECS stack per stage).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_eks_v2 as eks


@dataclass(frozen=True)
class PlainStage:
    name: str
    region: str
    node_groups: int
    capacity: int = 1


WHOLE_APP = (
    PlainStage("Pilot", "us-west-2", 1),
    PlainStage("Canary", "us-east-1", 1),
    PlainStage("Production", "us-east-1", 2),
)


def build_plain_app(
    outdir: str, stages: Sequence[PlainStage] = WHOLE_APP, context: dict[str, Any] | None = None
) -> App:
    app = App(outdir=outdir, context=context or {})
    for stage in stages:
        env = {"account": "123456789012", "region": stage.region}
        platform = Stack(app, f"Plain{stage.name}", env=env)
        vpc = ec2.Vpc(
            platform,
            "Vpc",
            availability_zones=[f"{stage.region}a", f"{stage.region}b"],
            nat_gateways=1,
        )
        cluster = eks.Cluster(
            platform,
            "Cluster",
            version=eks.KubernetesVersion.V1_33,
            vpc=vpc,
            default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
            default_capacity=0,
        )
        for n in range(stage.node_groups):
            cluster.add_nodegroup_capacity(
                f"Pool{n}",
                ami_type=eks.NodegroupAmiType.BOTTLEROCKET_X86_64,
                instance_types=[ec2.InstanceType("m7i.large"), ec2.InstanceType("m6i.large")],
                min_size=1,
                desired_size=2,
                max_size=3,
            )
        ecs_stack = Stack(app, f"Plain{stage.name}Ecs", env=env)
        ecs_cluster = ecs.Cluster(ecs_stack, "Cluster", vpc=vpc)
        for c in range(stage.capacity):
            asg = autoscaling.AutoScalingGroup(
                ecs_stack,
                f"Asg{c}",
                vpc=vpc,
                instance_type=ec2.InstanceType("m6i.large"),
                machine_image=ecs.BottleRocketImage(variant=ecs.BottlerocketEcsVariant.AWS_ECS_2),
                min_capacity=1,
                max_capacity=4,
            )
            provider = ecs.AsgCapacityProvider(
                ecs_stack, f"Capacity{c}", auto_scaling_group=asg, machine_image_type=ecs.MachineImageType.BOTTLEROCKET
            )
            ecs_cluster.add_asg_capacity_provider(provider, machine_image_type=ecs.MachineImageType.BOTTLEROCKET)
    return app
