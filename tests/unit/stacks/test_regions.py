"""Multi-region stages: one stack set per region (the primary keeps the stage's names), per-region AZs and pins,
``br:stages`` narrowing, and a named error for every bad value of the new keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import MissingPinError
from stacks.app import account_roles, cdk_json_context
from stacks.config import load_config
from tests.conftest import synth_with

TWO = {"br:production:regions": "us-east-1,eu-west-1"}


def test_a_stage_lists_regions_and_the_primary_keeps_its_names() -> None:
    config = load_config(TWO)
    prod = [s for s in config.stages if s.name == "production"]
    assert [s.region for s in prod] == ["us-east-1", "eu-west-1"]
    assert [s.stack_name for s in prod] == ["BrProduction", "BrProduction-eu-west-1"]
    assert [s.nodes_stack_name for s in prod] == ["BrProductionNodes", "BrProductionNodes-eu-west-1"]
    assert [s.ecs_stack_name for s in prod] == ["BrProductionEcs", "BrProductionEcs-eu-west-1"]
    assert [s.primary for s in prod] == [True, False]
    assert all(s.regions == ("us-east-1", "eu-west-1") for s in prod)
    assert config.stage("production").region == "us-east-1"
    assert config.stage("production", "eu-west-1").network.availability_zones == (
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    )
    assert [s.role_name_prefix for s in prod] == ["bottlerocket", "bottlerocket-eu-west-1"]


def test_region_is_a_one_region_list() -> None:
    pilot = load_config({"br:pilot:region": "eu-central-1"}).stage("pilot")
    assert pilot.regions == ("eu-central-1",)
    assert pilot.stack_name == "BrPilot"
    assert pilot.network.availability_zones == ("eu-central-1a", "eu-central-1b")  # cut to the stage's count


def test_each_region_gets_its_own_zones() -> None:
    config = load_config(
        {
            **TWO,
            "br:production:eu-west-1:availability-zone-ids": "euw1-az1,euw1-az2,euw1-az3",
            "br:production:availability-zones": "us-east-1a,us-east-1b,us-east-1d",  # primary, as before
        }
    )
    assert config.stage("production").network.availability_zones == ("us-east-1a", "us-east-1b", "us-east-1d")
    assert config.stage("production", "eu-west-1").network.availability_zones == ("euw1-az1", "euw1-az2", "euw1-az3")


@pytest.mark.parametrize(
    ("context", "field", "allowed"),
    [
        ({"br:production:regions": "us-east-1,us-east-1"}, "br:production:regions", "each region once"),
        ({"br:production:regions": "us-east-1,Europe"}, "br:production:regions", "AWS region names"),
        ({"br:production:regions": " , "}, "br:production:regions", "one or more"),
        ({"br:production:regions": "us-east-1", "br:production:region": "us-east-1"}, "br:production:regions", "unset"),
        (
            {**TWO, "br:production:eu-west-1:availability-zones": "us-east-1a,us-east-1b"},
            "stages.production.network.availability_zones",
            "eu-west-1",
        ),
        ({"br:stages": "pilot,staging"}, "br:stages", "pilot | canary | production"),
        ({"br:stages": ""}, "br:stages", "pilot | canary | production"),
    ],
)
def test_bad_region_keys_are_named(context: dict[str, str], field: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(context)
    assert any(p.field == field and allowed in p.allowed for p in exc.value.problems), exc.value.problems


def test_unknown_stage_region_is_named() -> None:
    with pytest.raises(ConfigError, match="region: got 'eu-west-1'; allowed: a region of stage pilot: us-west-2"):
        load_config({}).stage("pilot", "eu-west-1")


def test_br_stages_narrows_synthesis(tmp_path: Path) -> None:
    templates = synth_with({"br:stages": "pilot"}, tmp_path)
    assert sorted(templates) == ["BrPilot", "BrPilotEcs", "BrPilotNodes", "BrPilotOperators"]


def test_narrowing_keeps_account_wide_facts_of_every_stage() -> None:
    """br:stages narrows what is synthesized, not what is configured: the Guard rule's operator roles still name
    every stage in the account (a narrowed pilot deploy must not flag canary's and production's roles), and a bad
    key of a stage left out is still refused."""
    context = {**cdk_json_context(), **TWO}
    full, narrowed = load_config(context), load_config({**context, "br:stages": "pilot"})
    assert [s.name for s in narrowed.stages] == ["pilot"]
    account = narrowed.stages[0].account
    assert account_roles(narrowed, account) == account_roles(full, account)
    assert len(account_roles(full, account)) == 8  # control + admin for pilot, canary, production and eu-west-1
    with pytest.raises(ConfigError, match=r"stages\.production\.region: got 'mars-1'"):
        load_config({**cdk_json_context(), "br:stages": "pilot", "br:production:region": "mars-1"})


def test_every_region_synthesizes_its_own_stack_set_from_its_own_pins(tmp_path: Path) -> None:
    templates = synth_with({**TWO, "br:stages": "production"}, tmp_path)
    assert sorted(templates) == sorted(
        f"BrProduction{kind}{suffix}" for kind in ("", "Nodes", "Ecs", "Operators") for suffix in ("", "-eu-west-1")
    )
    west = templates["BrProduction-eu-west-1"]
    assert "eu-west-1" in west["Description"]
    (cluster,) = [r for r in west["Resources"].values() if r["Type"] == "AWS::EKS::Cluster"]
    assert cluster["Properties"]["Name"] == "BrProduction-eu-west-1-Cluster"
    roles = {
        r["Properties"].get("RoleName")
        for r in west["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and "RoleName" in r["Properties"]
    }
    assert roles == {"bottlerocket-eu-west-1-control-production", "bottlerocket-eu-west-1-admin-production"}

    def images(name: str) -> set[str]:
        return {
            r["Properties"]["LaunchTemplateData"].get("ImageId")
            for r in templates[name]["Resources"].values()
            if r["Type"] == "AWS::EC2::LaunchTemplate"
        } - {None}

    assert images("BrProductionEcs-eu-west-1")
    assert not images("BrProductionEcs-eu-west-1") & images("BrProductionEcs")  # each region its own AMI


def test_a_region_without_pins_names_the_refresh_command(tmp_path: Path) -> None:
    with pytest.raises(MissingPinError) as exc:
        synth_with({"br:production:regions": "us-east-1,ap-south-1", "br:stages": "production"}, tmp_path)
    assert "brctl pins refresh --region ap-south-1 --variant" in str(exc.value)
