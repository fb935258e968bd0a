"""The apps the bench synthesizes, each built in a fresh child process (``benchmarks/child.py``).

- :func:`empty_app`: one empty Stack — the floor (jsii start-up, App, synth machinery).
- :func:`full_app`: this repository's app (``stacks.app``), with or without the cdk-nag plugins.
- :func:`scaled_app`: N node-group pairs x R regions built from the library's public constructs only
  (``constructs_br.platform``, ``constructs_br.eks``, ``constructs_br.ecs``, ``PairSpec``, an in-memory Lockfile).
- the plain aws-cdk-lib app is in ``benchmarks/plain_app.py``.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Stack

REGIONS = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "us-east-2",
    "eu-north-1",
    "ap-south-1",
    "ca-central-1",
)
ACCOUNT = "123456789012"
K8S_MINOR = "1.33"
MAX_PAIRS_PER_STACK = 50
"""Node-group pairs per cluster stack before the scaled app (``split``) starts another cluster stack
(``Fleet<i>Cluster<k>``, same VPC): 50 pairs keep a stack near 300 resources, under 80 % of the 500 quota."""


def feature_flags() -> dict[str, Any]:
    """cdk.json's context without this app's ``br:`` keys: the feature flags a ``cdk init`` app has too."""
    from stacks.app import cdk_json_context

    return {k: v for k, v in cdk_json_context().items() if not k.startswith("br:")}


def empty_app(outdir: str) -> App:
    app = App(outdir=outdir)
    Stack(app, "Empty", env={"account": ACCOUNT, "region": "us-east-1"})
    return app


def full_app(outdir: str, *, nag: bool) -> App:
    from stacks.app import build_app, build_stacks, cdk_json_context, load_lockfile

    if nag:
        return build_app(cdk_json_context(), outdir=outdir)
    # build_app without add_nag_checks (the template-limits plugin stays: it is not cdk-nag).
    from constructs_br.compliance.limits import add_limit_checks
    from stacks.config import load_config

    app = App(context=cdk_json_context(), outdir=outdir)
    add_limit_checks(app)
    ctx = app.node.get_all_context()
    build_stacks(app, load_config(ctx), load_lockfile(ctx))
    return app


def bench_lockfile(regions: tuple[str, ...]) -> Any:
    """Pins for aws-k8s-<minor> and aws-ecs-2 (x86_64) in each region (made-up image IDs, like the unit tests')."""
    from constructs_br.images import Lockfile, Pin

    lock = Lockfile.empty()
    for region in regions:
        for variant in (f"aws-k8s-{K8S_MINOR}", "aws-ecs-2"):
            lock = lock.with_pin(
                Pin(
                    region=region,
                    variant=variant,
                    arch="x86_64",
                    image_id="ami-0123456789abcdef0",
                    image_version="1.50.0-abcdef12",
                    ssm_path=f"/aws/service/bottlerocket/{variant}/x86_64/latest/image_id",
                    resolved_at="2026-01-01T00:00:00Z",
                )
            )
    return lock


def scaled_app(outdir: str, *, node_groups: int, regions: int, capacity: int = 1, split: bool = True) -> App:
    """Per region: ``Fleet<i>`` (VPC, key, cluster, node-group pairs), ``Fleet<i>Ecs`` (ECS cluster + ``capacity``
    pairs). With ``split``, every :data:`MAX_PAIRS_PER_STACK` pairs start a ``Fleet<i>Cluster<k>`` stack (its own
    key and cluster, the region's VPC); without, all pairs stay in ``Fleet<i>`` (the limits plugin may fail synth)."""
    from aws_cdk import aws_ecs as ecs

    from constructs_br.bluegreen import PairSpec
    from constructs_br.compliance.limits import add_limit_checks
    from constructs_br.ecs import BlueGreenEcsCapacity, ClusterCapacityProviders, EcsCapacitySpec
    from constructs_br.eks import BlueGreenNodeGroupPair, NodeGroupSpec
    from constructs_br.images import ImageSpec
    from constructs_br.platform import BottlerocketCluster, BottlerocketVpc, FleetKey, PinnedAzStack

    used = REGIONS[:regions]
    lock = bench_lockfile(used)
    app = App(context=feature_flags(), outdir=outdir)
    add_limit_checks(app)
    for i, region in enumerate(used):
        env = {"account": ACCOUNT, "region": region}
        azs = (f"{region}a", f"{region}b")
        stack = PinnedAzStack(app, f"Fleet{i}", availability_zones=azs, env=env)
        key = FleetKey(stack, "Key", description="bench")
        vpc = BottlerocketVpc(stack, "Vpc", availability_zones=azs, flow_log_key=key.key)
        cluster = BottlerocketCluster(
            stack, "Cluster", kubernetes_version=K8S_MINOR, vpc=vpc, secrets_encryption_key=key.key
        )
        for n in range(node_groups):
            k = n // MAX_PAIRS_PER_STACK
            if split and k > 0 and n % MAX_PAIRS_PER_STACK == 0:
                # Another cluster over the region's VPC: node-group pairs cannot leave their cluster's stack
                # (BottlerocketCluster orders CoreDNS after the node groups: a cross-stack pair is a cycle).
                stack = PinnedAzStack(app, f"Fleet{i}Cluster{k}", availability_zones=azs, env=env)
                key = FleetKey(stack, "Key", description="bench")
                cluster = BottlerocketCluster(
                    stack, "Cluster", kubernetes_version=K8S_MINOR, vpc=vpc, secrets_encryption_key=key.key
                )
            pair = PairSpec(
                name=f"pool{n}",
                base=NodeGroupSpec(arch="x86_64", instance_types=("m7i.large", "m6i.large")),
            )
            BlueGreenNodeGroupPair(stack, pair.construct_id + "NodeGroups", cluster=cluster, pair=pair, lockfile=lock)
        ecs_stack = PinnedAzStack(app, f"Fleet{i}Ecs", availability_zones=azs, env=env)
        ecs_cluster = ecs.Cluster(ecs_stack, "Cluster", vpc=vpc)
        pairs = [
            BlueGreenEcsCapacity(
                ecs_stack,
                f"Cap{c}",
                cluster=ecs_cluster,
                vpc=vpc,
                lockfile=lock,
                pair=PairSpec(
                    name=f"cap{c}",
                    field_prefix="capacity",
                    base=EcsCapacitySpec(
                        image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m6i.large",)
                    ),
                ),
            )
            for c in range(capacity)
        ]
        ClusterCapacityProviders(
            ecs_stack, "CapacityProviders", cluster=ecs_cluster, items=[it for p in pairs for it in p.strategy]
        )
    return app
