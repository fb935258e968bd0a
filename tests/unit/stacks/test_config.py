"""Stage configuration: defaults, context overrides, and a named error for every bad input."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import MissingPinError
from stacks.config import STAGES, ImportedVpc, load_config
from tests.conftest import synth_with


def test_defaults_build_three_stages_with_stage_in_every_stack_name() -> None:
    config = load_config({})
    assert [s.name for s in config.stages] == list(STAGES)
    assert [s.stack_name for s in config.stages] == ["BrPilot", "BrCanary", "BrProduction"]
    assert [s.ecs_stack_name for s in config.stages] == ["BrPilotEcs", "BrCanaryEcs", "BrProductionEcs"]
    assert config.stage("production").eks.endpoint_access == "private"


def test_context_overrides_account_region_and_azs() -> None:
    config = load_config({"br:account": "210987654321", "br:canary:region": "eu-west-1"})
    canary = config.stage("canary")
    assert canary.account == "210987654321"
    assert canary.region == "eu-west-1"
    assert canary.network.availability_zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    assert config.stage("pilot").account == "210987654321"


def test_imported_vpc_from_context() -> None:
    config = load_config(
        {
            "br:pilot:vpc-id": "vpc-0123456789abcdef0",
            "br:pilot:private-subnet-ids": "subnet-01234567,subnet-89abcdef",
        }
    )
    assert config.stage("pilot").network.imported == ImportedVpc(
        vpc_id="vpc-0123456789abcdef0", private_subnet_ids=("subnet-01234567", "subnet-89abcdef")
    )


@pytest.mark.parametrize(
    ("context", "field", "value"),
    [
        ({"br:account": "12345"}, "stages.pilot.account", "12345"),
        ({"br:pilot:region": "mars-1"}, "stages.pilot.region", "mars-1"),
        ({"br:pilot:availability-zones": "us-west-2a"}, "stages.pilot.network.availability_zones", "['us-west-2a']"),
        (
            {"br:pilot:availability-zones": "us-west-2a,eu-west-1b"},
            "stages.pilot.network.availability_zones",
            "eu-west-1b",
        ),
        (
            {"br:pilot:vpc-id": "vpc-xyz", "br:pilot:private-subnet-ids": "subnet-01234567,subnet-89abcdef"},
            "stages.pilot.network.imported.vpc_id",
            "vpc-xyz",
        ),
        (
            {"br:pilot:vpc-id": "vpc-01234567", "br:pilot:private-subnet-ids": "subnet-01234567"},
            "stages.pilot.network.imported.private_subnet_ids",
            "subnet-01234567",
        ),
    ],
)
def test_bad_context_is_a_named_error(context: dict[str, str], field: str, value: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(field)) as exc:
        load_config(context)
    assert value in str(exc.value)
    assert "allowed:" in str(exc.value)


def test_production_endpoint_must_be_private() -> None:
    production = load_config({}).stage("production")
    with pytest.raises(ConfigError, match=r"stages\.production\.eks\.endpoint_access: got 'public-and-private'"):
        dataclasses.replace(production, eks=dataclasses.replace(production.eks, endpoint_access="public-and-private"))


def test_all_errors_of_a_stage_are_reported_at_once() -> None:
    pilot = load_config({}).stage("pilot")
    with pytest.raises(ConfigError) as exc:
        dataclasses.replace(pilot, account="x", region="nowhere")
    assert exc.value.fields[:2] == ("stages.pilot.account", "stages.pilot.region")


def test_unknown_stage_is_a_named_error() -> None:
    with pytest.raises(ConfigError, match=r"stage: got 'staging'; allowed: pilot \| canary \| production"):
        load_config({}).stage("staging")


IMPORTED_VPC = {
    "br:pilot:vpc-id": "vpc-0123456789abcdef0",
    "br:pilot:private-subnet-ids": "subnet-0a1b2c3d,subnet-0e1f2a3b",
    "br:stages": "pilot",  # the keys are pilot's: synthesize pilot only
}
"""Pilot on an existing VPC (shared with tests/unit/ecs/test_ecs_stack.py: one synth for both)."""


def test_region_override_reaches_the_template(tmp_path: Path) -> None:
    templates = synth_with({"br:pilot:region": "eu-west-1", "br:stages": "pilot"}, tmp_path)
    subnets = [
        r["Properties"]["AvailabilityZone"]
        for r in templates["BrPilot"]["Resources"].values()
        if r["Type"] == "AWS::EC2::Subnet"
    ]
    assert subnets
    assert all(az.startswith("eu-west-1") for az in subnets)


def test_imported_vpc_creates_no_network_and_no_custom_resource(tmp_path: Path) -> None:
    templates = synth_with(IMPORTED_VPC, tmp_path)
    types = {r["Type"] for r in templates["BrPilot"]["Resources"].values()}
    assert "AWS::EC2::VPC" not in types
    assert not any(t.startswith("Custom::") or t == "AWS::Lambda::Function" for t in types)
    ecs_types = {r["Type"] for r in templates["BrPilotEcs"]["Resources"].values()}
    assert "AWS::ECS::Cluster" in ecs_types
    assert "Fn::ImportValue" not in str(templates["BrPilotEcs"])


def test_a_region_without_pins_fails_synth_with_the_refresh_command(tmp_path: Path) -> None:
    with pytest.raises(MissingPinError) as exc:
        synth_with({"br:pilot:region": "eu-central-1", "br:stages": "pilot"}, tmp_path)
    message = str(exc.value)
    assert "eu-central-1" in message
    assert "brctl pins refresh --region eu-central-1 --variant" in message


@pytest.mark.parametrize("version", ["1.28", "1.99", "v1.33"])
def test_unknown_kubernetes_version_is_a_named_error(version: str) -> None:
    pilot = load_config({}).stage("pilot")
    with pytest.raises(ConfigError, match=rf"stages\.pilot\.eks\.kubernetes_version: got '{re.escape(version)}'"):
        dataclasses.replace(pilot, eks=dataclasses.replace(pilot.eks, kubernetes_version=version))


def test_every_catalogue_minor_synthesizes_a_cluster() -> None:
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from stacks.app import load_lockfile
    from stacks.platform_stack import PlatformStack

    pilot = load_config({}).stage("pilot")
    stage = dataclasses.replace(pilot, eks=dataclasses.replace(pilot.eks, kubernetes_version="1.29"), pairs=())
    stack = PlatformStack(App(), "BrPilot", stage=stage, lockfile=load_lockfile({}))
    Template.from_stack(stack).has_resource_properties("AWS::EKS::Cluster", {"Version": "1.29"})


def test_pair_names_whose_construct_ids_collide_are_a_named_error() -> None:
    """``a-1b`` and ``a1b`` both become construct ID ``A1bNodeGroups``: refused before any construct (no jsii error)."""
    import dataclasses as dc

    pilot = load_config({}).stage("pilot")
    (general,) = pilot.pairs
    twins = (dc.replace(general, name="a-1b"), dc.replace(general, name="a1b"))
    with pytest.raises(ConfigError) as exc:
        dc.replace(pilot, pairs=twins)
    (problem,) = exc.value.problems
    assert (problem.field, problem.value) == ("stages.pilot.pairs", "a1b")
    assert "A1bNodeGroups" in problem.hint


def test_a_zone_listed_twice_is_refused_for_production() -> None:
    with pytest.raises(ConfigError, match=r"stages\.production\.network\.availability_zones: .*each zone once"):
        load_config({"br:production:availability-zones": "us-east-1a,us-east-1a,us-east-1b"})


def test_a_short_image_version_in_an_eks_context_key_names_the_key() -> None:
    with pytest.raises(ConfigError) as exc:
        load_config({"br:pilot:pair:general:green:image-version": "1.50.0"})
    assert exc.value.fields == ("br:pilot:pair:general:green:image-version",)
