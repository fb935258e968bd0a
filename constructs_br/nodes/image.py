"""The one image API of the construct layer: resolve an :class:`~constructs_br.images.ImageSpec` for the stack a
construct is in, and turn the result into the AMI ID value a template carries.

- ``pinned``: the literal AMI ID from the lockfile (reproducible; rollback = revert the lockfile).
- ``context``: a CDK context lookup of the SSM parameter, cached in ``cdk.context.json`` (commit it).
- ``deploy-time``: an SSM-typed CloudFormation parameter, resolved by CloudFormation at every deploy.

Every construct resolves for ``Stack.of(scope).region``: a pin made for another region can never reach a template,
and a stack without a concrete region is one clear error (pins are per region).
"""

from __future__ import annotations

import jsii
from aws_cdk import (
    CfnParameter,
    CfnRule,
    CfnRuleAssertion,
    Fn,
    IResolveContext,
    IStableStringProducer,
    Lazy,
    Stack,
)
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from constructs_br._scope import stack_env
from constructs_br.bluegreen.pins import select_slot_image
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import Lockfile, Pin, refresh_command
from constructs_br.images.resolve import ImageSpec, ResolutionMode, ResolvedImage, resolve_image


def stack_region(scope: Construct, field: str = "stack.region") -> str:
    """The concrete region of ``scope``'s stack, or a :class:`ConfigError` saying how to give it one."""
    env = stack_env(scope)
    region = env.region
    if env.region_is_token:
        raise ConfigError(
            field,
            f"{Stack.of(scope).stack_name}: no concrete region",
            "a Stack with an env that names its region, e.g. Stack(app, 'Fleet', env=Environment(account=..., "
            "region='us-west-2'))",
            "images are pinned per region, so the region must be known at synth",
        )
    return region


def resolve_for_stack(
    scope: Construct, spec: ImageSpec, lockfile: Lockfile, *, image_version: str | None = None, field: str = "image"
) -> ResolvedImage:
    """``spec`` resolved for ``scope``'s stack region, pinned to ``image_version`` (lockfile current or previous)."""
    image = resolve_image(spec, region=stack_region(scope), lockfile=lockfile)
    image = select_slot_image(image, image_version, f"{field}.image_version")
    if image.pin is not None and image.pin.example:
        refuse_example_pins(scope, image.pin)
    return image


EXAMPLE_PINS_RULE = "ExamplePinsRefused"
"""Id of the CloudFormation rule a stack using example pins carries (see :func:`refuse_example_pins`)."""
EXAMPLE_PINS_PARAMETER = "ExampleValues"
"""The parameter refusal rules read; only ``--parameters ExampleValues=deploy-anyway`` (a local moto server) passes."""
EXAMPLE_PINS_OVERRIDE = "deploy-anyway"


def _refusal_parameter(stack: Stack) -> CfnParameter:
    found = stack.node.try_find_child(EXAMPLE_PINS_PARAMETER)
    if isinstance(found, CfnParameter):
        return found
    return CfnParameter(
        stack,
        EXAMPLE_PINS_PARAMETER,
        type="String",
        default="refuse",
        description="This stack uses example values (image pins, image digests) and refuses to deploy.",
    )


def refuse_deploy(scope: Construct, rule_id: str, description: str) -> None:
    """Make ``scope``'s stack refuse every create or update with ``description`` (a template ``Rules`` entry that is
    false unless the ``ExampleValues`` parameter is explicitly overridden): for values that synthesize but must
    never reach an account, such as a placeholder image digest. Idempotent per ``rule_id``."""
    stack = Stack.of(scope)
    if stack.node.try_find_child(rule_id) is not None:
        return
    parameter = _refusal_parameter(stack)
    CfnRule(
        stack,
        rule_id,
        assertions=[
            CfnRuleAssertion(
                assert_=Fn.condition_equals(parameter.value_as_string, EXAMPLE_PINS_OVERRIDE),
                assert_description=description[:1000],
            )
        ],
    )


@jsii.implements(IStableStringProducer)
class _Description:
    def __init__(self, pins: dict[tuple[str, str, str], Pin]) -> None:
        self._pins = pins

    def produce(self, context: IResolveContext | None = None) -> str:
        commands = "; ".join(refresh_command(*key) for key in sorted(self._pins))
        text = (
            "This stack uses example image pins, not real images: refresh them against your account, commit the "
            f"lockfile, and synthesize again: {commands}"
        )
        return text if len(text) <= 1000 else text[:997] + "..."


class _ExamplePinsRule(CfnRule):
    """The refusal rule; ``pins`` collects the example pins the stack uses (named in its description)."""

    def __init__(self, stack: Stack) -> None:
        self.pins: dict[tuple[str, str, str], Pin] = {}
        parameter = _refusal_parameter(stack)
        super().__init__(
            stack,
            EXAMPLE_PINS_RULE,
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_equals(parameter.value_as_string, EXAMPLE_PINS_OVERRIDE),
                    assert_description=Lazy.string(_Description(self.pins)),
                )
            ],
        )


def refuse_example_pins(scope: Construct, pin: Pin) -> None:
    """Make the stack refuse to deploy while it uses ``pin`` (an example): a template ``Rules`` entry whose assertion
    is false unless the ``ExampleValues`` parameter is explicitly overridden, so CloudFormation rejects every create or
    update before touching a resource — for a plain ``npx cdk deploy`` too — while ``cdk synth``, tests and diffs
    work. Its description names the refresh commands."""
    stack = Stack.of(scope)
    rule = stack.node.try_find_child(EXAMPLE_PINS_RULE)
    if not isinstance(rule, _ExamplePinsRule):
        rule = _ExamplePinsRule(stack)
    rule.pins[pin.key] = pin


def image_id_value(scope: Construct, image: ResolvedImage) -> str:
    """The AMI ID (literal, looked-up, or a deploy-time parameter reference) for ``image`` in ``scope``'s stack."""
    if image.mode is ResolutionMode.PINNED:
        assert image.image_id is not None  # resolve_image guarantees a pin in pinned mode
        return image.image_id
    if image.mode is ResolutionMode.CONTEXT:
        return ssm.StringParameter.value_from_lookup(scope, image.ssm_path)
    return ssm.StringParameter.value_for_typed_string_parameter_v2(
        scope, image.ssm_path, ssm.ParameterValueType.AWS_EC2_IMAGE_ID
    )
