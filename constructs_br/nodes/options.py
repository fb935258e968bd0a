"""Launch-template options as pure data (no ``aws_cdk``): what EKS and ECS specs carry and validate."""

from __future__ import annotations

from dataclasses import dataclass

from constructs_br.errors import Problems


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeOptions:
    """Bottlerocket's two volumes. The OS volume is small (the root is read-only dm-verity)."""

    os_size_gib: int = 4
    data_size_gib: int = 20
    data_iops: int | None = None
    data_throughput_mibps: int | None = None

    def problems(self, prefix: str) -> Problems:
        p = Problems()
        if not 2 <= self.os_size_gib <= 64:
            p.add(f"{prefix}.os_size_gib", self.os_size_gib, "2..64 GiB (Bottlerocket's OS volume is small)")
        if not 8 <= self.data_size_gib <= 16384:
            p.add(f"{prefix}.data_size_gib", self.data_size_gib, "8..16384 GiB (gp3)")
        if self.data_iops is not None and not 3000 <= self.data_iops <= 16000:
            p.add(f"{prefix}.data_iops", self.data_iops, "3000..16000 (gp3)")
        if self.data_throughput_mibps is not None and not 125 <= self.data_throughput_mibps <= 1000:
            p.add(f"{prefix}.data_throughput_mibps", self.data_throughput_mibps, "125..1000 MiB/s (gp3)")
        return p


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataOptions:
    """IMDS: v2 only. A hop limit of 2 (pods reaching IMDS through a bridge) needs a stated reason."""

    hop_limit: int = 1
    hop_limit_reason: str | None = None

    def problems(self, prefix: str) -> Problems:
        p = Problems()
        if self.hop_limit not in (1, 2):
            p.add(f"{prefix}.hop_limit", self.hop_limit, "1, or 2 with hop_limit_reason")
        elif self.hop_limit == 2 and not (self.hop_limit_reason or "").strip():
            p.add(
                f"{prefix}.hop_limit",
                self.hop_limit,
                "1, or 2 with hop_limit_reason",
                "hop limit 2 lets containers reach instance credentials; say why it is needed",
            )
        return p


def size_problems(prefix: str, *, min_size: int, max_size: int, desired_size: int | None = None) -> Problems:
    """The one sizes rule for node groups and Auto Scaling groups: ``0 <= min <= desired <= max``, ``max >= 1``.
    A comparison names both fields and both values (``min_size 3 > max_size 2``), never an impossible range.

    >>> print(*size_problems("nodegroup", min_size=3, max_size=2, desired_size=2).items, sep="\\n")
    nodegroup.min_size: got 3; allowed: <= max_size (2) (min_size 3 > max_size 2)
    """
    p = Problems()
    if min_size < 0:
        p.add(f"{prefix}.min_size", min_size, ">= 0")
    if max_size < 1:
        p.add(f"{prefix}.max_size", max_size, ">= 1")
    if min_size > max_size:
        p.add(f"{prefix}.min_size", min_size, f"<= max_size ({max_size})", f"min_size {min_size} > max_size {max_size}")
        return p  # a desired size between them cannot exist: saying so would name an impossible range
    if desired_size is not None:
        if desired_size < min_size:
            p.add(
                f"{prefix}.desired_size",
                desired_size,
                f">= min_size ({min_size})",
                f"desired_size {desired_size} < min_size {min_size}",
            )
        elif desired_size > max_size:
            p.add(
                f"{prefix}.desired_size",
                desired_size,
                f"<= max_size ({max_size})",
                f"desired_size {desired_size} > max_size {max_size}",
            )
    return p


USER_DATA_LIMIT = 16 * 1024
"""EC2's user-data limit: 16 KB of raw data (before the base64 encoding the API carries)."""


def user_data_problems(text: str, field: str) -> Problems:
    """Rendered user data within EC2's limit, measured on its UTF-8 bytes (CDK tokens count by their placeholder
    text, a little more than the values CloudFormation substitutes, so the check errs on the safe side).

    >>> user_data_problems("[settings]\\n", "launch_template.user_data").items
    []
    """
    p = Problems()
    size = len(text.encode("utf-8"))
    if size > USER_DATA_LIMIT:
        p.add(
            field,
            f"{size} bytes",
            f"at most {USER_DATA_LIMIT} bytes (EC2's 16 KB user-data limit)",
            "move large settings (bootstrap scripts, PKI bundles) out of user data",
        )
    return p


SPOT_SINGLE_TYPE_WARNING = "constructs-br:spot-single-instance-type"
"""Warning ID (EKS node groups and ECS capacity) for Spot capacity with a single instance type."""


def spot_warnings(prefix: str, *, spot: bool, instance_types: tuple[str, ...], field: str) -> list[str]:
    """Spot with one instance type is legal but fragile: one pool's interruption empties the group.

    >>> spot_warnings("capacity", spot=True, instance_types=("m7i.large",), field="spot_percentage")[0][:45]
    'capacity.spot_percentage: Spot with one insta'
    """
    if spot and len(instance_types) < 2:
        return [
            f"{prefix}.{field}: Spot with one instance type ({', '.join(instance_types)}); give several types of "
            "the same size so a Spot interruption in one pool does not empty the group"
        ]
    return []
