"""Turn a :class:`~constructs_br.images.ResolvedImage` into the AMI ID value a template carries.

- ``pinned``: the literal AMI ID from the lockfile (reproducible; rollback = revert the lockfile).
- ``context``: a CDK context lookup of the SSM parameter, cached in ``cdk.context.json`` (commit it).
- ``deploy-time``: an SSM-typed CloudFormation parameter, resolved by CloudFormation at every deploy.
"""

from __future__ import annotations

from aws_cdk import aws_ssm as ssm
from constructs import Construct

from constructs_br.images.resolve import ResolutionMode, ResolvedImage


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
