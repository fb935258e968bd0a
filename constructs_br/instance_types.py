"""EC2 instance-type facts node validation needs (EKS node groups and ECS capacity alike): CPU architecture and
NVIDIA GPUs. Pure Python, one place for this knowledge.

Rules (from EC2's naming scheme ``<family><generation><attributes>.<size>``): Graviton (arm64) types carry a ``g`` in
their attributes (``m7g``, ``c7gn``, ``r8gd``, ``t4g``, ``im4gn``, ``g5g``) or are the ``a1`` family; everything else is
x86_64. NVIDIA GPUs are the ``p`` and ``g``/``gr`` families except ``g4ad`` (AMD Radeon).

>>> [str(instance_arch(t)) for t in ("m7g.large", "m6i.large", "g5g.xlarge", "a1.medium")]
['arm64', 'x86_64', 'arm64', 'arm64']
>>> has_nvidia_gpu("g5.xlarge"), has_nvidia_gpu("g4ad.xlarge"), has_nvidia_gpu("c7g.large")
(True, False, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from constructs_br.images.catalogue import Arch

_INSTANCE_TYPE = re.compile(r"^(?P<family>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z-]*)\.(?P<size>[0-9a-z-]+)$")
_NVIDIA_FAMILIES = ("p", "g", "gr")
_NOT_NVIDIA = ("g4ad",)


@dataclass(frozen=True, slots=True)
class InstanceType:
    family: str
    generation: int
    attributes: str
    size: str

    @property
    def prefix(self) -> str:
        """``<family><generation><attributes>``, e.g. ``c7gn``."""
        return f"{self.family}{self.generation}{self.attributes}"


def parse_instance_type(value: str) -> InstanceType | None:
    """The parts of an instance type, or ``None`` if ``value`` does not look like one."""
    match = _INSTANCE_TYPE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    return InstanceType(match["family"], int(match["generation"]), match["attributes"], match["size"])


def instance_arch(value: str) -> Arch | None:
    """:attr:`Arch.ARM64` or :attr:`Arch.X86_64` for an instance type (``None`` if it is not one)."""
    parsed = parse_instance_type(value)
    if parsed is None:
        return None
    graviton = "g" in parsed.attributes.split("-")[0] or parsed.family == "a"
    return Arch.ARM64 if graviton else Arch.X86_64


def has_nvidia_gpu(value: str) -> bool:
    """Whether the instance type carries NVIDIA GPUs (what ``-nvidia`` variants need)."""
    parsed = parse_instance_type(value)
    if parsed is None:
        return False
    return parsed.family in _NVIDIA_FAMILIES and parsed.prefix not in _NOT_NVIDIA
