"""What settings need to know about a variant, as functions over the image catalogue's :class:`Variant`.

There is one variant catalogue (:mod:`constructs_br.images.catalogue`): the Kubernetes minors, ECS generations,
flavours and retired variants live there, and every variant name the settings layer accepts is one the catalogue
knows. On top of it, settings need only how a variant is matched against the schema's variant globs and whether
it supports kernel lockdown ``integrity``.

>>> v = parse_variant("aws-k8s-1.33-nvidia")
>>> (v.family, v.k8s_minor, v.nvidia, v.fips)
('k8s', '1.33', True, False)
>>> glob_name(parse_variant("aws-ecs-3"))
'aws-ecs-2'
>>> parse_variant("aws-ecs-1")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: variant: got 'aws-ecs-1'; allowed: ... (aws-ecs-1 is retired: ...)
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from constructs_br.images.catalogue import Variant, get_variant

__all__ = ["Variant", "glob_name", "matches", "parse_variant", "supports_lockdown_integrity"]


def parse_variant(name: str | Variant, field: str = "variant") -> Variant:
    """The catalogue's variant for ``name``; unknown and retired names raise :class:`~constructs_br.errors.ConfigError`
    naming ``field`` (this *is* :func:`constructs_br.images.get_variant`: there is one variant grammar)."""
    return get_variant(name, field)


def glob_name(variant: Variant) -> str:
    """The name matched against the schema's variant globs.

    ``-fips`` variants accept the same settings as their base variant, so the suffix is dropped. The reference
    schema's globs stop at ``aws-ecs-2*``: ``aws-ecs-3`` (Bottlerocket 1.51+) is **not** in them, so it is matched
    like ``aws-ecs-2`` (same settings plugin lineage) until Bottlerocket documents a difference.

    >>> glob_name(parse_variant("aws-k8s-1.31-nvidia-fips"))
    'aws-k8s-1.31-nvidia'
    """
    base = f"aws-k8s-{variant.k8s_minor}" if variant.family == "k8s" else "aws-ecs-2"
    return base + ("-nvidia" if variant.nvidia else "")


def matches(variant: Variant, globs: Sequence[str]) -> bool:
    """Whether any schema glob (``aws-k8s-*``, ``aws-ecs-2*``, ``aws-k8s-*-nvidia``) covers ``variant``.

    >>> matches(parse_variant("aws-ecs-3-fips"), ["aws-ecs-2*"])
    True
    """
    name = glob_name(variant)
    return any(fnmatchcase(name, g) for g in globs)


def supports_lockdown_integrity(variant: Variant) -> bool:
    """``-nvidia`` variants ship ``lockdown = "none"`` so the NVIDIA driver loads; we do not raise it there.

    >>> supports_lockdown_integrity(parse_variant("aws-k8s-1.33-nvidia"))
    False
    """
    return not variant.nvidia
