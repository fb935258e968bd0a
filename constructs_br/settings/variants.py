"""Just enough Bottlerocket variant-name parsing for settings validation.

``images/`` owns the variant catalogue; this is a deliberately tiny duplicate so ``settings/`` stays independent.

>>> v = parse_variant("aws-k8s-1.33-nvidia")
>>> (v.family, v.version, v.nvidia, v.fips)
('k8s', '1.33', True, False)
>>> parse_variant("aws-ecs-3").glob_name
'aws-ecs-2'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from constructs_br.errors import ConfigError

_VARIANT = re.compile(
    r"^aws-(?:k8s-(?P<k8s>[0-9]+\.[0-9]+)|ecs-(?P<ecs>[0-9]+))(?P<nvidia>-nvidia)?(?P<fips>-fips)?$",
)
VARIANT_GRAMMAR = "aws-k8s-<major.minor>[-nvidia][-fips] or aws-ecs-<n>[-nvidia][-fips], e.g. aws-k8s-1.33, aws-ecs-2"


@dataclass(frozen=True, kw_only=True, slots=True)
class Variant:
    """A parsed variant name. ``glob_name`` is the name matched against the schema's variant globs."""

    name: str
    family: Literal["k8s", "ecs"]
    version: str
    nvidia: bool
    fips: bool

    @property
    def glob_name(self) -> str:
        """Name used for schema glob matching.

        ``-fips`` variants accept the same settings as their base variant, so the suffix is dropped. The reference
        schema's globs stop at ``aws-ecs-2*``: ``aws-ecs-3`` (Bottlerocket 1.51+) is **not** in them, so we treat it
        like ``aws-ecs-2`` (same settings plugin lineage) until Bottlerocket documents a difference.
        """
        if self.family == "k8s":
            base = f"aws-k8s-{self.version}"
        else:
            generation = "2" if int(self.version) >= 2 else self.version
            base = f"aws-ecs-{generation}"
        return base + ("-nvidia" if self.nvidia else "")

    def matches(self, globs: tuple[str, ...] | list[str]) -> bool:
        """Whether any schema glob (``aws-k8s-*``, ``aws-ecs-2*``, ``aws-k8s-*-nvidia``) covers this variant."""
        return any(fnmatchcase(self.glob_name, g) for g in globs)

    @property
    def supports_lockdown_integrity(self) -> bool:
        """``-nvidia`` variants ship ``lockdown = "none"`` so the NVIDIA driver loads; we do not raise it there."""
        return not self.nvidia


def parse_variant(name: str) -> Variant:
    """Parse a Bottlerocket variant name or raise :class:`ConfigError` naming field ``variant``."""
    m = _VARIANT.match(name)
    if m is None:
        raise ConfigError("variant", name, VARIANT_GRAMMAR)
    k8s = m.group("k8s")
    return Variant(
        name=name,
        family="k8s" if k8s else "ecs",
        version=k8s or m.group("ecs"),
        nvidia=bool(m.group("nvidia")),
        fips=bool(m.group("fips")),
    )
