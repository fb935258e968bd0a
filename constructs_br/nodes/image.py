"""The one image API of the construct layer: resolve an :class:`~constructs_br.images.ImageSpec` for the stack a
construct is in, and turn the result into the AMI ID value a template carries.

- ``pinned``: the literal AMI ID from the lockfile (reproducible; rollback = revert the lockfile).
- ``context``: a CDK context lookup of the SSM parameter, cached in ``cdk.context.json`` (commit it).
- ``deploy-time``: an SSM-typed CloudFormation parameter, resolved by CloudFormation at every deploy.

Every construct resolves for ``Stack.of(scope).region``: a pin made for another region can never reach a template,
and a stack without a concrete region is one clear error (pins are per region).
"""

from __future__ import annotations

from aws_cdk import Stack, Token
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from constructs_br.bluegreen.pins import select_slot_image
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import Lockfile
from constructs_br.images.resolve import ImageSpec, ResolutionMode, ResolvedImage, resolve_image


def stack_region(scope: Construct, field: str = "stack.region") -> str:
    """The concrete region of ``scope``'s stack, or a :class:`ConfigError` saying how to give it one."""
    region = Stack.of(scope).region
    if Token.is_unresolved(region):
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
    return select_slot_image(image, image_version, f"{field}.image_version")


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
