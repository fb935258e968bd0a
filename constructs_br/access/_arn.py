"""ARNs built twice: once for the template, once as cdk-nag prints them (so acknowledgements name the exact finding)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Token
from constructs import IConstruct

from constructs_br._scope import partition, stack_env, stack_of


@dataclass(frozen=True, slots=True)
class Arn:
    """``value`` goes into the policy; ``nag`` is how cdk-nag shows it (``<AWS::Partition>`` for the token)."""

    value: str
    nag: str

    @property
    def finding(self) -> str:
        return f"AwsSolutions-IAM5[Resource::{self.nag}]"


def nag_text(scope: IConstruct, value: str) -> str:
    """How cdk-nag prints a string that may be a token: a ``Ref`` as ``<LogicalId>``, a literal as itself.

    Anything else (a join of several tokens) is refused: build that ARN from parts.
    """
    if not Token.is_unresolved(value):
        return value
    resolved = stack_of(scope).resolve(value)
    if isinstance(resolved, dict) and set(resolved) == {"Ref"}:
        return f"<{resolved['Ref']}>"
    raise ValueError(f"cannot tell how cdk-nag prints {resolved!r}")


def arn(
    scope: IConstruct,
    service: str,
    resource: str,
    *,
    region: bool = True,
    account: bool = True,
    nag_resource: str | None = None,
) -> Arn:
    """``arn:<partition>:<service>:<region>:<account>:<resource>`` of the scope's stack (literal region/account
    when the stack has a concrete environment). ``nag_resource``: how cdk-nag prints ``resource`` when it holds a
    token (see :func:`nag_text`)."""
    env = stack_env(scope)
    reg = env.region if region else ""
    acc = env.account if account else ""
    nag_reg = ("<AWS::Region>" if env.region_is_token else reg) if region else ""
    nag_acc = ("<AWS::AccountId>" if env.account_is_token else acc) if account else ""
    return Arn(
        value=f"arn:{partition()}:{service}:{reg}:{acc}:{resource}",
        nag=f"arn:<AWS::Partition>:{service}:{nag_reg}:{nag_acc}:{nag_resource or resource}",
    )
