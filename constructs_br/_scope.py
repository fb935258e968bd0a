"""Facts about a construct's stack, asked of jsii once and then answered in Python.

Every ``Stack.of(x)``, ``stack.region``, ``Token.is_unresolved(...)``, ``Aws.PARTITION`` or ``Tags.of(x)`` is a round
trip to the jsii node kernel (about half a millisecond each here); constructors that build ARNs or tag resources
asked the same questions of the same stack dozens of times per synth. These helpers ask once per object and keep
the answer for the life of the process (a construct's stack, and a stack's region, account and partition, never
change once made; jsii itself never frees its objects). The values are the ones jsii returns, so templates are
unchanged.

The caches are keyed by the object's jsii reference (``__jsii_ref__.ref``, unique in the kernel's life), not by the
Python object: jsii hands out a fresh Python proxy each time it returns an object node created (a subnet, an L2's
default child), so identity would miss — or, for a registry of what was written, forget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_cdk import Aws, Stack, Tags, Token
from constructs import IConstruct

_STACKS: dict[str, Stack] = {}
_ENVS: dict[str, StackEnv] = {}
_PARTITION: list[str] = []
_T = TypeVar("_T")


def jsii_ref(obj: object) -> str | None:
    """The jsii kernel's reference of ``obj`` (``"aws-cdk-lib.Stack@10042"``), or None for a non-jsii object."""
    ref = getattr(obj, "__jsii_ref__", None)
    return getattr(ref, "ref", None)


def per_jsii_object(cache: dict[str, _T], obj: object, compute: Callable[[], _T]) -> _T:
    """``cache``'s value for ``obj`` (by :func:`jsii_ref`), ``compute()``-d and kept on the first ask; computed
    every time for an object jsii has no reference for."""
    key = jsii_ref(obj)
    if key is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


@dataclass(frozen=True, slots=True)
class StackEnv:
    """A stack's region, account and partition as jsii gives them (a literal, or a token for an environment-agnostic
    stack)."""

    region: str
    account: str
    partition: str
    """``stack.partition``: a literal (``aws``) when the region is a known literal, else the pseudo-parameter."""
    region_is_token: bool
    account_is_token: bool


def stack_of(scope: IConstruct) -> Stack:
    """``Stack.of(scope)``, asked of jsii once per construct."""
    return per_jsii_object(_STACKS, scope, lambda: Stack.of(scope))


def stack_env(scope: IConstruct) -> StackEnv:
    """Region, account and partition of ``scope``'s stack, and whether region and account are tokens, asked of jsii
    once per stack."""
    stack = stack_of(scope)

    def ask() -> StackEnv:
        region, account = stack.region, stack.account
        return StackEnv(region, account, stack.partition, Token.is_unresolved(region), Token.is_unresolved(account))

    return per_jsii_object(_ENVS, stack, ask)


def partition() -> str:
    """``Aws.PARTITION`` (the ``AWS::Partition`` pseudo-parameter's token; the same string all process long)."""
    if not _PARTITION:
        _PARTITION.append(Aws.PARTITION)
    return _PARTITION[0]


def add_tags(scope: IConstruct, tags: Mapping[str, str], **options: Any) -> None:
    """``Tags.of(scope).add(key, value, **options)`` for each tag in key order, with one ``Tags.of``."""
    if not tags:
        return
    tagger = Tags.of(scope)
    for key, value in sorted(tags.items()):
        tagger.add(key, value, **options)
