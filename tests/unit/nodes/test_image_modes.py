"""Synth-level image resolution: a pinned AMI literal per region; deploy-time only where allowed."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from constructs_br.errors import ConfigError
from constructs_br.images.resolve import ImageSpec, ResolutionMode, resolve_image
from constructs_br.nodes import BottlerocketLaunchTemplate, image_id_value
from stacks.app import ROOT, load_lockfile

LOCKFILE = load_lockfile({}, ROOT)


def _launch_template(region: str, stage: str, mode: ResolutionMode, reason: str | None = None) -> dict[str, Any]:
    stack = Stack(App(), f"T{region.replace('-', '')}", env=Environment(account="123456789012", region=region))
    spec = ImageSpec(variant="aws-ecs-2", arch="x86_64", mode=mode, allow_deploy_time_reason=reason)
    image = resolve_image(spec, region=region, stage=stage, lockfile=LOCKFILE)
    BottlerocketLaunchTemplate(stack, "LaunchTemplate", user_data="[settings]\n", image_id=image_id_value(stack, image))
    return Template.from_stack(stack).to_json()


def _image_params(template: dict[str, Any]) -> dict[str, Any]:
    """SSM-typed image parameters (the synthesizer's BootstrapVersion parameter is not one)."""
    params = template.get("Parameters", {})
    return {k: v for k, v in params.items() if v["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"}


def _image_id(template: dict[str, Any]) -> Any:
    (lt,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::LaunchTemplate"]
    return lt["Properties"]["LaunchTemplateData"]["ImageId"]


@pytest.mark.parametrize("region", ["us-west-2", "us-east-1", "eu-west-1"])
def test_pinned_mode_puts_each_regions_literal_ami_in_the_template(region: str) -> None:
    template = _launch_template(region, "production", ResolutionMode.PINNED)
    assert _image_id(template) == LOCKFILE.get(region, "aws-ecs-2", "x86_64").image_id
    assert _image_params(template) == {}


def test_pins_differ_per_region() -> None:
    ids = {_image_id(_launch_template(r, "canary", ResolutionMode.PINNED)) for r in ("us-west-2", "eu-west-1")}
    assert len(ids) == 2


def test_deploy_time_mode_in_pilot_is_an_ssm_parameter_resolved_by_cloudformation() -> None:
    template = _launch_template("us-west-2", "pilot", ResolutionMode.DEPLOY_TIME)
    ((name, param),) = _image_params(template).items()
    assert param["Default"] == "/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_id"
    assert _image_id(template) == {"Ref": name}


@pytest.mark.parametrize("stage", ["canary", "production"])
def test_deploy_time_mode_outside_pilot_is_refused_at_synth(stage: str) -> None:
    with pytest.raises(ConfigError, match=r"image\.mode: got 'deploy-time'"):
        _launch_template("us-east-1", stage, ResolutionMode.DEPLOY_TIME)


def test_deploy_time_mode_outside_pilot_with_a_stated_reason() -> None:
    template = _launch_template(
        "us-east-1", "canary", ResolutionMode.DEPLOY_TIME, reason="soak-testing every new Bottlerocket release"
    )
    assert _image_id(template) == {"Ref": next(iter(_image_params(template)))}
