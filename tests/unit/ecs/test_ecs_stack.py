"""The stage ECS stacks as the app builds them: capacity wired, no custom resources, standalone with an imported VPC."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import synth_with
from tests.unit.ecs.helpers import of_type, user_data_text
from tests.unit.stacks.test_config import IMPORTED_VPC

ECS_STACKS = ("BrPilotEcs", "BrCanaryEcs", "BrProductionEcs")


@pytest.mark.parametrize("stack", ECS_STACKS)
def test_no_lambda_backed_custom_resource(stack: str, templates: Mapping[str, Any]) -> None:
    types = {r["Type"] for r in templates[stack]["Resources"].values()}
    assert not any(t.startswith("Custom::") or t.startswith("AWS::Lambda::") for t in types), types
    assert "AWS::CloudFormation::CustomResource" not in types


@pytest.mark.parametrize("stack", ECS_STACKS)
def test_default_strategy_is_the_live_slot(stack: str, templates: Mapping[str, Any]) -> None:
    template = templates[stack]
    (cp_id,) = of_type(template, "AWS::ECS::CapacityProvider")
    assert cp_id.startswith("GeneralBlueCapacityProvider")
    (assoc,) = of_type(template, "AWS::ECS::ClusterCapacityProviderAssociations").values()
    assert assoc["Properties"]["DefaultCapacityProviderStrategy"] == [{"CapacityProvider": {"Ref": cp_id}, "Weight": 1}]


def test_pilot_user_data_signals_its_own_asg(templates: Mapping[str, Any]) -> None:
    template = templates["BrPilotEcs"]
    (asg_id,) = of_type(template, "AWS::AutoScaling::AutoScalingGroup")
    (lt,) = of_type(template, "AWS::EC2::LaunchTemplate").values()
    doc = tomllib.loads(user_data_text(template, lt))
    assert doc["settings"]["cloudformation"]["logical-resource-id"] == asg_id
    assert doc["settings"]["cloudformation"]["stack-name"] == "BrPilotEcs"


def test_imported_vpc_makes_the_ecs_stack_standalone(tmp_path: Path) -> None:
    templates = synth_with(IMPORTED_VPC, tmp_path)
    text = str(templates["BrPilotEcs"])
    assert "Fn::ImportValue" not in text
    (asg,) = of_type(templates["BrPilotEcs"], "AWS::AutoScaling::AutoScalingGroup").values()
    assert asg["Properties"]["VPCZoneIdentifier"] == ["subnet-0a1b2c3d", "subnet-0e1f2a3b"]
