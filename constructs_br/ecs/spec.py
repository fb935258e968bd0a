"""What one ECS capacity (one Auto Scaling group behind one capacity provider) is made of. A blue/green pair is a
:class:`~constructs_br.bluegreen.PairSpec` of these (:data:`CapacityPair`).

Frozen, keyword-only dataclasses that validate in ``__post_init__`` and report every problem at once
(:class:`~constructs_br.errors.ConfigError`). No CDK objects are created here.

>>> spec = EcsCapacitySpec(image=ImageSpec(variant="aws-ecs-2", arch="arm64"), instance_types=("m6i.large",),
...                        min_size=3, max_size=2)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
constructs_br.errors.ConfigError: capacity.instance_types: got 'm6i.large'; allowed: arm64 instance types ...
capacity.min_size: got 3; allowed: <= max_size (2) (min_size 3 > max_size 2)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from constructs_br.bluegreen.pair import PairSpec
from constructs_br.errors import ConfigError, Problems
from constructs_br.images.catalogue import get_variant
from constructs_br.images.resolve import ImageSpec, ResolutionMode
from constructs_br.images.ssm import validate_image_version_full
from constructs_br.instance_types import has_nvidia_gpu, instance_arch
from constructs_br.nodes.options import MetadataOptions, VolumeOptions, size_problems, spot_warnings
from constructs_br.settings.model import Settings

ECS_LOG_LEVELS: tuple[str, ...] = ("debug", "info", "warn", "error", "crit")
IMAGE_PULL_BEHAVIORS: tuple[str, ...] = ("default", "always", "once", "prefer-cached")
ECS_LOGGING_DRIVERS: tuple[str, ...] = (
    "json-file",
    "awslogs",
    "none",
    "awsfirelens",
    "fluentd",
    "gelf",
    "journald",
    "logentries",
    "splunk",
    "syslog",
)
"""Docker logging drivers the ECS agent can offer (``ECS_AVAILABLE_LOGGING_DRIVERS``)."""
MAX_WARMUP_SECONDS = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class EcsCapacitySpec:
    """One Auto Scaling group of Bottlerocket container instances behind one ECS capacity provider.

    Defaults: ``min_size`` 1, ``max_size`` 4 (one spare for a rolling update), managed scaling to 100 % target
    capacity, 300 s instance warm-up, on-demand only, ECS agent log level ``info``, image pull ``default``;
    the image is pinned from the lockfile (``image.mode``). ``extra_settings`` is the escape hatch for other
    Bottlerocket settings (``settings.ecs.cluster`` may not be set there: it comes from the cluster).

    ``image_version``: ``None`` (default) = the lockfile's current pin for the region; a full version
    (``1.50.0-abcdef12``) = that image, which must be the lockfile's current or previous pin (checked when the
    capacity is built: :func:`~constructs_br.bluegreen.expected_pin`). Pinned mode only.
    """

    image: ImageSpec
    instance_types: tuple[str, ...]
    min_size: int = 1
    max_size: int = 4
    target_capacity_percent: int = 100
    instance_warmup_seconds: int = 300
    spot_percentage: int = 0
    on_demand_base_capacity: int = 0
    loglevel: str = "info"
    image_pull_behavior: str = "default"
    logging_drivers: tuple[str, ...] = ("json-file", "awslogs", "none", "awsfirelens")
    """The ECS agent's ``settings.ecs.logging-drivers``: Bottlerocket's default plus ``awsfirelens``, so tasks can
    route logs through a FireLens sidecar (:func:`constructs_br.logs.firelens.add_log_router`)."""
    volumes: VolumeOptions = field(default_factory=VolumeOptions)
    metadata: MetadataOptions = field(default_factory=MetadataOptions)
    signal_timeout_minutes: int = 15
    max_batch_size: int = 1
    extra_settings: Settings | Mapping[str, Any] | None = None
    image_version: str | None = None
    field_prefix: str = field(default="capacity", compare=False)
    """Where errors point (a pair sets ``<pairs>.<name>.<slot>``); not part of the spec's identity."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "instance_types", tuple(self.instance_types))
        self.problems(self.field_prefix).raise_if_any()

    def warnings(self) -> list[str]:
        """Legal but risky choices (surfaced as CDK warnings at synth)."""
        return spot_warnings(
            self.field_prefix,
            spot=self.spot_percentage > 0,
            instance_types=self.instance_types,
            field="spot_percentage",
        )

    def problems(self, prefix: str) -> Problems:
        """Every problem of this spec, with field paths under ``prefix``."""
        p = Problems()
        variant = get_variant(self.image.variant, field=f"{prefix}.image.variant")
        if variant.family != "ecs":
            p.add(
                f"{prefix}.image.variant", variant.name, "an aws-ecs-2 or aws-ecs-3 variant (optionally -nvidia/-fips)"
            )
        if not self.instance_types:
            p.add(f"{prefix}.instance_types", self.instance_types, "at least one EC2 instance type")
        if len(set(self.instance_types)) != len(self.instance_types):
            p.add(f"{prefix}.instance_types", self.instance_types, "each instance type once")
        for itype in self.instance_types:
            arch = instance_arch(itype)
            if arch is None:
                p.add(f"{prefix}.instance_types", itype, "an EC2 instance type such as m7g.large or m6i.large")
                continue
            if arch != self.image.arch:
                p.add(
                    f"{prefix}.instance_types",
                    itype,
                    f"{self.image.arch} instance types (image.arch is {self.image.arch})",
                    f"{itype} is {arch}: the image would not boot on it",
                )
            if variant.nvidia and not has_nvidia_gpu(itype):
                p.add(
                    f"{prefix}.instance_types",
                    itype,
                    f"NVIDIA GPU instance types (p*, g*) for {variant.name}",
                    "the -nvidia variant needs an NVIDIA GPU",
                )
            if not variant.nvidia and has_nvidia_gpu(itype):
                p.add(
                    f"{prefix}.instance_types",
                    itype,
                    f"non-GPU instance types for {variant.name}, or an -nvidia variant",
                    "without the NVIDIA variant the GPU is unusable and paid for",
                )
        p.extend(size_problems(prefix, min_size=self.min_size, max_size=self.max_size).items)
        if self.min_size == self.max_size and self.max_size >= 1:
            p.add(
                f"{prefix}.max_size",
                self.max_size,
                f"> min_size ({self.min_size})",
                "a rolling update keeps min_size in service and needs room for one more instance",
            )
        if not 1 <= self.max_batch_size <= max(self.max_size - self.min_size, 1):
            p.add(
                f"{prefix}.max_batch_size",
                self.max_batch_size,
                f"1..{max(self.max_size - self.min_size, 1)} (max_size - min_size: the surge room)",
            )
        if not 1 <= self.target_capacity_percent <= 100:
            p.add(f"{prefix}.target_capacity_percent", self.target_capacity_percent, "1..100")
        if not 0 <= self.instance_warmup_seconds <= MAX_WARMUP_SECONDS:
            p.add(f"{prefix}.instance_warmup_seconds", self.instance_warmup_seconds, f"0..{MAX_WARMUP_SECONDS}")
        if not 0 <= self.spot_percentage <= 100:
            p.add(f"{prefix}.spot_percentage", self.spot_percentage, "0..100")
        if self.on_demand_base_capacity < 0 or self.on_demand_base_capacity > self.max_size:
            p.add(f"{prefix}.on_demand_base_capacity", self.on_demand_base_capacity, f"0..max_size ({self.max_size})")
        if self.on_demand_base_capacity and self.spot_percentage == 0:
            p.add(
                f"{prefix}.on_demand_base_capacity",
                self.on_demand_base_capacity,
                "0 unless spot_percentage > 0",
                "with no spot, every instance is on-demand: the option would have no effect",
            )
        object.__setattr__(self, "logging_drivers", tuple(self.logging_drivers))
        unknown = sorted(set(self.logging_drivers) - set(ECS_LOGGING_DRIVERS))
        if unknown or not self.logging_drivers:
            p.add(f"{prefix}.logging_drivers", unknown or [], "one or more of " + " | ".join(ECS_LOGGING_DRIVERS))
        if self.loglevel not in ECS_LOG_LEVELS:
            p.add(f"{prefix}.loglevel", self.loglevel, " | ".join(ECS_LOG_LEVELS))
        if self.image_pull_behavior not in IMAGE_PULL_BEHAVIORS:
            p.add(f"{prefix}.image_pull_behavior", self.image_pull_behavior, " | ".join(IMAGE_PULL_BEHAVIORS))
        if not 1 <= self.signal_timeout_minutes <= 60:
            p.add(f"{prefix}.signal_timeout_minutes", self.signal_timeout_minutes, "1..60")
        if self.image_version is not None:
            try:
                validate_image_version_full(self.image_version, f"{prefix}.image_version")
            except ConfigError as exc:
                p.extend(exc.problems)
            if self.image.mode is not ResolutionMode.PINNED:
                p.add(
                    f"{prefix}.image_version",
                    self.image_version,
                    f"None unless image.mode is pinned (it is {self.image.mode})",
                    "an explicit version is looked up in the lockfile",
                )
        p.extend(self.volumes.problems(f"{prefix}.volumes").items)
        p.extend(self.metadata.problems(f"{prefix}.metadata").items)
        return p


CapacityPair: TypeAlias = PairSpec[EcsCapacitySpec]
"""A blue/green pair of ECS capacity specs."""
