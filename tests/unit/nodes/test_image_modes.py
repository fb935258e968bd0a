"""Synth-level image resolution through the construct layer's one image API (``resolve_for_stack``): a pinned AMI
literal per region (the stack's own), deploy-time only with a stated reason, no concrete region a named error."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from constructs_br.errors import ConfigError
from constructs_br.images.resolve import ImageSpec, ResolutionMode
from constructs_br.nodes import BottlerocketLaunchTemplate, image_id_value, resolve_for_stack
from stacks.app import ROOT, load_lockfile

LOCKFILE = load_lockfile({}, ROOT)


def _launch_template(region: str, mode: ResolutionMode, reason: str | None = None) -> dict[str, Any]:
    stack = Stack(App(), f"T{region.replace('-', '')}", env=Environment(account="123456789012", region=region))
    spec = ImageSpec(variant="aws-ecs-2", arch="x86_64", mode=mode, allow_deploy_time_reason=reason)
    image = resolve_for_stack(stack, spec, LOCKFILE)
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
    template = _launch_template(region, ResolutionMode.PINNED)
    assert _image_id(template) == LOCKFILE.get(region, "aws-ecs-2", "x86_64").image_id
    assert _image_params(template) == {}


def test_pins_differ_per_region() -> None:
    ids = {_image_id(_launch_template(r, ResolutionMode.PINNED)) for r in ("us-west-2", "eu-west-1")}
    assert len(ids) == 2


def test_deploy_time_mode_with_a_reason_is_an_ssm_parameter_resolved_by_cloudformation() -> None:
    template = _launch_template("us-west-2", ResolutionMode.DEPLOY_TIME, reason="soak-testing every new release")
    ((name, param),) = _image_params(template).items()
    assert param["Default"] == "/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_id"
    assert _image_id(template) == {"Ref": name}


def test_deploy_time_mode_without_a_reason_is_refused_at_synth() -> None:
    with pytest.raises(ConfigError, match=r"image\.mode: got 'deploy-time'"):
        _launch_template("us-east-1", ResolutionMode.DEPLOY_TIME)


def test_a_stack_without_a_concrete_region_is_one_clear_error() -> None:
    """What ``cdk init`` makes (no env): not ``no pin for region ${Token[AWS.Region.5]}`` but how to fix it."""
    stack = Stack(App(), "NoEnv")
    with pytest.raises(ConfigError, match=r"stack\.region: got 'NoEnv: no concrete region'") as err:
        resolve_for_stack(stack, ImageSpec(variant="aws-ecs-2", arch="x86_64"), LOCKFILE)
    assert "env" in err.value.problems[0].allowed
    assert "Token" not in str(err.value)


def test_a_slot_version_must_be_a_pin_of_the_stacks_own_region() -> None:
    """A version pinned only in us-east-1 is refused on a us-west-2 stack: resolution is always per stack region."""
    from constructs_br.images import Lockfile, Pin

    def pin(region: str, version: str, ami: str) -> Pin:
        return Pin(
            region=region,
            variant="aws-ecs-2",
            arch="x86_64",
            image_id=ami,
            image_version=version,
            ssm_path="/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_id",
            resolved_at="2026-01-01T00:00:00Z",
        )

    lock = Lockfile(
        [
            pin("us-east-1", "1.51.0-aaaaaaaa", "ami-0aaaaaaaaaaaaaaaa"),
            pin("us-west-2", "1.50.0-bbbbbbbb", "ami-0bbbbbbbbbbbbbbbb"),
        ]
    )
    stack = Stack(App(), "West", env=Environment(account="123456789012", region="us-west-2"))
    spec = ImageSpec(variant="aws-ecs-2", arch="x86_64")
    assert resolve_for_stack(stack, spec, lock).image_id == "ami-0bbbbbbbbbbbbbbbb"
    with pytest.raises(ConfigError, match=r"image\.image_version: got '1\.51\.0-aaaaaaaa'.*us-west-2"):
        resolve_for_stack(stack, spec, lock, image_version="1.51.0-aaaaaaaa")
