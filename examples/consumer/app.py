#!/usr/bin/env python3
"""A platform team's own CDK app using constructs_br's public API only: a hardened VPC, an EKS cluster with one
blue/green Bottlerocket node-group pair, and an ECS cluster with one blue/green Bottlerocket capacity pair.

Run from this folder: ``npx cdk synth`` (cdk.json runs ``python3 app.py``; use the interpreter constructs_br is
installed in). The lockfile is this app's own (``fleet.lock.json``, see cdk.json's ``fleet:lockfile``); refresh it
for your account with ``brctl pins refresh --lockfile fleet.lock.json --region us-west-2 ...``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aws_cdk import App, CfnOutput, Environment
from aws_cdk import aws_ecs as ecs

from constructs_br import ConfigError
from constructs_br.bluegreen import PairSpec
from constructs_br.compliance.limits import add_limit_checks
from constructs_br.compliance.nag import add_nag_checks
from constructs_br.ecs import BlueGreenEcsCapacity, ClusterCapacityProviders, EcsCapacitySpec
from constructs_br.eks import BlueGreenNodeGroupPair, NodeGroupSpec
from constructs_br.images import ImageSpec, Lockfile
from constructs_br.platform import BottlerocketCluster, BottlerocketVpc, FleetKey, PinnedAzStack

HERE = Path(__file__).resolve().parent


def build(app: App) -> None:
    lockfile = Lockfile.load(HERE / str(app.node.try_get_context("fleet:lockfile") or "fleet.lock.json"))
    env = Environment(account=str(app.node.try_get_context("fleet:account") or "111122223333"), region="us-west-2")
    stack = PinnedAzStack(app, "Fleet", env=env, availability_zones=["us-west-2a", "us-west-2b"])

    key = FleetKey(stack, "Key", description="fleet: EKS secrets, logs, node volumes")
    vpc = BottlerocketVpc(stack, "Vpc", availability_zones=["us-west-2a", "us-west-2b"], flow_log_key=key.key)
    cluster = BottlerocketCluster(stack, "Cluster", kubernetes_version="1.33", vpc=vpc, secrets_encryption_key=key.key)
    BlueGreenNodeGroupPair(
        stack,
        "Web",
        cluster=cluster,
        lockfile=lockfile,
        pair=PairSpec(
            name="web",
            base=NodeGroupSpec(arch="x86_64", instance_types=("m7i.large", "m6i.large"), min_size=2, max_size=4),
            phase=str(app.node.try_get_context("fleet:web:phase") or "blue"),
        ),
        volume_key=key.key,
    )

    ecs_cluster = ecs.Cluster(stack, "EcsCluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENHANCED)
    workers = BlueGreenEcsCapacity(
        stack,
        "Workers",
        cluster=ecs_cluster,
        vpc=vpc,
        lockfile=lockfile,
        pair=PairSpec(
            name="workers",
            base=EcsCapacitySpec(
                image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m6i.large",), max_size=3
            ),
        ),
        volume_key=key.key,
    )
    ClusterCapacityProviders(stack, "CapacityProviders", cluster=ecs_cluster, items=workers.strategy)
    CfnOutput(stack, "ClusterName", value=cluster.cluster_name)


def main() -> int:
    app = App()
    add_nag_checks(app)
    add_limit_checks(app)
    try:
        build(app)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
