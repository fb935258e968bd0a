"""Shared builders for EKS unit tests: small stacks in us-west-2 and a lockfile with pins for every flavour used.

Two clusters: :func:`cluster_stack` is a plain ``aws_eks_v2.Cluster`` (node groups must be told its minor with
``cluster_kubernetes_version``), :func:`br_cluster_stack` a :class:`~constructs_br.eks.BottlerocketCluster` in a
:class:`~constructs_br.platform.PinnedAzStack` (no AZ lookup, managed core add-ons, node-group ordering).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms

from constructs_br.eks import BottlerocketCluster
from constructs_br.images import Lockfile, Pin
from constructs_br.platform import PinnedAzStack

REGION = "us-west-2"
ACCOUNT = "123456789012"
ENV = {"account": ACCOUNT, "region": REGION}
AZS = ("us-west-2a", "us-west-2b")
VERSION = "1.50.0-abcdef12"
PREVIOUS = "1.49.0-12345678"
AMI = {"x86_64": "ami-0123456789abcdef0", "arm64": "ami-0fedcba9876543210"}
OLD_AMI = {"x86_64": "ami-00000000000000001", "arm64": "ami-00000000000000002"}
FLAVOURS = ("", "-nvidia", "-fips", "-nvidia-fips")
ARCHES = ("x86_64", "arm64")


def pin(variant: str, arch: str, version: str = VERSION, image_id: str | None = None, region: str = REGION) -> Pin:
    return Pin(
        region=region,
        variant=variant,
        arch=arch,
        image_id=image_id or AMI[arch],
        image_version=version,
        ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id",
        resolved_at="2026-01-01T00:00:00Z",
    )


def lockfile(minors: Iterable[str] = ("1.33",), region: str = REGION) -> Lockfile:
    """Current = VERSION, previous = PREVIOUS for every aws-k8s-<minor> flavour and arch (test-only pins)."""
    lock = Lockfile.empty()
    for minor in minors:
        for flavour in FLAVOURS:
            for arch in ARCHES:
                variant = f"aws-k8s-{minor}{flavour}"
                lock = lock.with_pin(pin(variant, arch, PREVIOUS, OLD_AMI[arch], region))
                lock = lock.with_pin(pin(variant, arch, region=region))
    return lock


def cluster_stack(stack_id: str = "S", env: Any = ENV) -> tuple[Stack, eks.Cluster, kms.Key]:
    """A plain ``aws_eks_v2.Cluster`` (1.33, node-group capacity) in a Stack with ``env``."""
    app = App()
    stack = Stack(app, stack_id, env=env)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    cluster = eks.Cluster(
        stack,
        "Cluster",
        version=eks.KubernetesVersion.V1_33,
        vpc=vpc,
        default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
        default_capacity=0,
        service_ipv4_cidr="172.20.0.0/16",
    )
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    return stack, cluster, key


def br_cluster_stack(
    stack_id: str = "S", *, kubernetes_version: str = "1.33", **cluster_kwargs: Any
) -> tuple[Stack, BottlerocketCluster, kms.Key]:
    """A :class:`BottlerocketCluster` in a :class:`PinnedAzStack` in us-west-2 (private endpoint by default)."""
    app = App()
    stack = PinnedAzStack(app, stack_id, availability_zones=AZS, env=ENV)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    cluster = BottlerocketCluster(
        stack,
        "Cluster",
        kubernetes_version=kubernetes_version,
        vpc=vpc,
        secrets_encryption_key=key,
        **cluster_kwargs,
    )
    return stack, cluster, key
