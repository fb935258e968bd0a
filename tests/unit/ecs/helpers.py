"""A small test stack (imported VPC, ECS cluster), a lockfile with ECS pins (and the same after a refresh), and
template lookups by type and by slot: fast unit synth, no app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Template

from constructs_br.compliance.nag import add_nag_checks
from constructs_br.images.lockfile import Lockfile, Pin

REGION = "us-west-2"
ACCOUNT = "123456789012"
VERSION = "1.50.0-abcdef12"
AMIS = {
    ("aws-ecs-2", "x86_64"): "ami-0ec5000000000a001",
    ("aws-ecs-2", "arm64"): "ami-0ec5000000000a002",
    ("aws-ecs-3", "x86_64"): "ami-0ec5000000000a003",
    ("aws-ecs-2-nvidia", "x86_64"): "ami-0ec5000000000a004",
    ("aws-ecs-3-fips", "arm64"): "ami-0ec5000000000a005",
}
NEW_VERSION = "1.51.0-fedcba98"
NEW_AMI = "ami-0ec5000000000b001"
"""aws-ecs-2/x86_64 after a refresh (:func:`refreshed`): the new current pin; ``VERSION`` becomes ``previous``."""


def lockfile() -> Lockfile:
    lock = Lockfile.empty()
    for (variant, arch), ami in AMIS.items():
        lock = lock.with_pin(
            Pin(
                region=REGION,
                variant=variant,
                arch=arch,
                image_id=ami,
                image_version=VERSION,
                ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/1.50.0/image_id",
                resolved_at="2026-01-01T00:00:00Z",
            )
        )
    return lock


def refreshed() -> Lockfile:
    """:func:`lockfile` after ``brctl pins refresh`` of aws-ecs-2/x86_64: current NEW_VERSION, previous VERSION."""
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


def base_stack(app: App | None = None, name: str = "BrTestEcs") -> tuple[Stack, ec2.IVpc, ecs.Cluster]:
    app = app or App()
    stack = Stack(app, name, env=Environment(account=ACCOUNT, region=REGION))
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=[f"{REGION}a", f"{REGION}b"],
        private_subnet_ids=["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
    )
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENHANCED)
    return stack, vpc, cluster


def synth(build: Callable[[Stack, ec2.IVpc, ecs.Cluster], Any], *, nag_dir: Path | None = None) -> dict[str, Any]:
    """Build into a fresh test stack and return the template dict (with nag gates when ``nag_dir`` is given)."""
    app = App(outdir=str(nag_dir)) if nag_dir else App()
    if nag_dir:
        add_nag_checks(app)
    stack, vpc, cluster = base_stack(app)
    build(stack, vpc, cluster)
    if nag_dir:
        assembly = app.synth()
        return dict(assembly.get_stack_by_name(stack.stack_name).template)
    return dict(Template.from_stack(stack).to_json())


def of_type(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def user_data_text(template: dict[str, Any], launch_template: dict[str, Any]) -> str:
    """The launch template's user data with intrinsics written as ``<Ref:Id>`` / ``<Fn::GetAtt:Id.Attr>``."""
    body = launch_template["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    if isinstance(body, str):
        return body
    parts = body["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else _intrinsic(p) for p in parts)


def _intrinsic(value: dict[str, Any]) -> str:
    ((fn, arg),) = value.items()
    return f"<{fn}:{'.'.join(arg) if isinstance(arg, list) else arg}>"


def slot_resources(template: dict[str, Any], slot: str, pair: str = "General") -> dict[str, dict[str, Any]]:
    """Every resource of one slot (``blue`` / ``green``), by its logical-ID prefix ``<Pair><Slot>``."""
    prefix = pair + slot.capitalize()
    return {k: v for k, v in template["Resources"].items() if k.startswith(prefix)}


def slots_in(template: dict[str, Any], pair: str = "General") -> set[str]:
    """The slots that have a capacity provider in ``template``."""
    return {
        slot
        for slot in ("blue", "green")
        if of_type({"Resources": slot_resources(template, slot, pair)}, "AWS::ECS::CapacityProvider")
    }


def one(resources: dict[str, Any], cfn_type: str) -> tuple[str, dict[str, Any]]:
    """The only resource of ``cfn_type`` among ``resources`` (a template or :func:`slot_resources`)."""
    found = of_type(resources if "Resources" in resources else {"Resources": resources}, cfn_type)
    assert len(found) == 1, (cfn_type, sorted(found))
    ((logical_id, resource),) = found.items()
    return logical_id, resource


def strategy(template: dict[str, Any]) -> tuple[list[str], dict[str, int]]:
    """The cluster association: (associated provider logical IDs, default strategy provider → weight)."""
    _, assoc = one(template, "AWS::ECS::ClusterCapacityProviderAssociations")
    props = assoc["Properties"]
    associated = [p["Ref"] for p in props["CapacityProviders"]]
    return associated, {s["CapacityProvider"]["Ref"]: s["Weight"] for s in props["DefaultCapacityProviderStrategy"]}
