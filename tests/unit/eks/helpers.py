"""Shared builders for EKS unit tests: one small stack per module, a lockfile with pins for every variant used."""

from __future__ import annotations

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms

from constructs_br.images import ImageSpec, Lockfile, Pin, ResolvedImage, resolve_image

REGION = "us-west-2"
VERSION = "1.50.0-abcdef12"
PREVIOUS = "1.49.0-12345678"
AMI = {"x86_64": "ami-0123456789abcdef0", "arm64": "ami-0fedcba9876543210"}
OLD_AMI = {"x86_64": "ami-00000000000000001", "arm64": "ami-00000000000000002"}
FLAVOURS = ("", "-nvidia", "-fips", "-nvidia-fips")


def pin(variant: str, arch: str, version: str = VERSION, image_id: str | None = None) -> Pin:
    return Pin(
        region=REGION,
        variant=variant,
        arch=arch,
        image_id=image_id or AMI[arch],
        image_version=version,
        ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id",
        resolved_at="2026-01-01T00:00:00Z",
    )


def lockfile() -> Lockfile:
    """Current = VERSION, previous = PREVIOUS for every aws-k8s-1.33 flavour and arch (test-only pins)."""
    lock = Lockfile.empty()
    for flavour in FLAVOURS:
        for arch in ("x86_64", "arm64"):
            variant = f"aws-k8s-1.33{flavour}"
            lock = lock.with_pin(pin(variant, arch, PREVIOUS, OLD_AMI[arch]))
            lock = lock.with_pin(pin(variant, arch))
    return lock


def resolved(variant: str = "aws-k8s-1.33", arch: str = "x86_64", lock: Lockfile | None = None) -> ResolvedImage:
    return resolve_image(
        ImageSpec(variant=variant, arch=arch), region=REGION, stage="production", lockfile=lock or lockfile()
    )


def cluster_stack(stack_id: str = "S") -> tuple[Stack, eks.Cluster, kms.Key]:
    app = App()
    stack = Stack(app, stack_id, env={"account": "123456789012", "region": REGION})
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
