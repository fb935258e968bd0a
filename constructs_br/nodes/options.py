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
