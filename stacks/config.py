"""Stage configuration: the embedded defaults every stage synthesizes from, offline.

Data flows one way: ``load_config(context)`` → frozen :class:`StageConfig` → stacks → template.
Everything here is plain data; overrides come from CDK context (``cdk.json`` or ``-c key=value``):

=====================================  ==========================================================
context key                            effect
=====================================  ==========================================================
``br:account``                         AWS account of every stage (default ``123456789012``)
``br:<stage>:account``                 account of one stage (``pilot``, ``canary``, ``production``)
``br:<stage>:regions``                 comma-separated regions of one stage, the first primary (one stack set each)
``br:<stage>:region``                  region of one stage (a one-region ``regions``)
``br:<stage>:<region>:availability-zones``     AZ names of one region of the stage (default ``<region>a,b,c``, cut
                                       to the stage's count); ``…:availability-zone-ids``: AZ IDs
``br:stages``                          comma-separated stages to synthesize (default: all)
``br:<stage>:channel``                 the lockfile channel the stage's pins come from (default: the stage name)
``br:<stage>:availability-zones``      comma-separated AZ names of the primary region (no lookup: synth stays offline)
``br:<stage>:availability-zone-ids``   comma-separated AZ IDs of the primary region (``use1-az1``: the same zone in
                                       every account)
``br:<stage>:public-access-cidrs``     comma-separated CIDRs allowed to reach a public EKS endpoint (pilot)
``br:<stage>:vpc-id``                  import an existing VPC instead of creating one ...
``br:<stage>:private-subnet-ids``      ... with these private subnets (comma-separated, one per AZ)
``br:<stage>:cis-level``               CIS Bottlerocket level of the stage's nodes, 1 (default) or 2 ...
``br:<stage>:cis-bootstrap-image``     ... with, at 2, the iptables bootstrap container image pinned by digest
``br:<stage>:update-operator``         ``true``: the stage runs the Bottlerocket update operator (default: canary only)
``br:<stage>:update-operator:window``  its maintenance window, BRUPOP cron (default ``* * 14-17 * * Tue-Thu *``)
``br:<stage>:update-operator:max-concurrent-updates``  nodes updated at once (default 1; capped by node budgets)
``br:lockfile``                        path of the image lockfile (read by ``app.py``)
=====================================  ==========================================================
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from constructs_br.bluegreen import PairSpec, apply_pair_context, csv, pair_problems
from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.eks.spec import NodeGroupSpec
from constructs_br.eks.update_operator_spec import UpdateOperatorSpec, cron_problems
from constructs_br.errors import ConfigError, Problems
from constructs_br.images.catalogue import KUBERNETES_MINORS
from constructs_br.images.lockfile import CHANNEL_RULE
from constructs_br.platform.network import az_problems
from stacks.compliance import CisConfig, cis_config
from stacks.fleet import default_capacity, default_pairs

StageName = Literal["pilot", "canary", "production"]
STAGES: tuple[StageName, ...] = ("pilot", "canary", "production")
EndpointAccess = Literal["private", "public-and-private"]

DEFAULT_ACCOUNT = "123456789012"
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$")
_CHANNEL = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
"""Lockfile channel names (constructs_br.images.lockfile's rule, checked here so every problem comes at once)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedVpc:
    """An existing VPC, imported by attributes (no lookup, so synth stays offline)."""

    vpc_id: str
    private_subnet_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkConfig:
    """The stage's VPC. ``imported`` set → nothing is created, the VPC is referenced."""

    cidr: str = "10.0.0.0/16"
    availability_zones: tuple[str, ...]
    nat_gateways: int = 1
    imported: ImportedVpc | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EksConfig:
    """The stage's EKS control plane (``aws_eks_v2``: native ``AWS::EKS::Cluster``, no kubectl Lambda)."""

    kubernetes_version: str = "1.33"
    endpoint_access: EndpointAccess = "private"
    public_access_cidrs: tuple[str, ...] = ()
    """Who may reach a public endpoint (``br:<stage>:public-access-cidrs``); required with one."""
    service_ipv4_cidr: str = "172.20.0.0/16"


@dataclass(frozen=True, slots=True, kw_only=True)
class EcsConfig:
    """The stage's ECS cluster."""

    container_insights: bool = True


DEFAULT_UPDATE_WINDOW = "* * 14-17 * * Tue-Thu *"
"""The update operator's default maintenance window (UTC, BRUPOP's seconds-first cron): any time 14:00..17:59 on
Tuesday, Wednesday and Thursday — staffed hours in the US regions (09:00..12:59 US Eastern in winter), midweek, so
nobody is paged for an update started before a weekend or right after one."""
UPDATE_OPERATOR_STAGES: tuple[str, ...] = ("canary",)
"""Stages that run the update operator unless ``br:<stage>:update-operator`` says otherwise."""
UPDATE_OPERATOR_KEYS = ("window", "max-concurrent-updates")
"""The keys under ``br:<stage>:update-operator:``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StageConfig:
    """Everything one stage (pilot / canary / production) is built from."""

    name: StageName
    account: str
    region: str
    network: NetworkConfig
    pairs: tuple[PairSpec[NodeGroupSpec], ...] = ()
    """EKS node-group pairs: see stacks/fleet.py."""
    eks: EksConfig = field(default_factory=EksConfig)
    ecs: EcsConfig = field(default_factory=EcsConfig)
    capacity: tuple[PairSpec[EcsCapacitySpec], ...] = ()
    """ECS capacity pairs: see stacks/fleet.py."""
    channel: str = ""
    """The lockfile channel (``br:<stage>:channel``) the stage reads its pins from; empty = the stage's name."""
    regions: tuple[str, ...] = ()
    """Every region of the stage, the primary first (``br:<stage>:regions``); empty = ``(region,)``. This config
    is the stack set of ``region``, one of them."""
    cis: CisConfig | None = None
    """The stage's CIS Bottlerocket level (``br:<stage>:cis-level``; :func:`stacks.compliance.cis_config`), merged
    into every node's settings (EKS: the stage layer; ECS: under the capacity's own ``extra_settings``). ``None``:
    Level 1."""
    update_operator: UpdateOperatorSpec | None = None
    """The Bottlerocket update operator of the stage (``br:<stage>:update-operator``), or ``None``: then the
    operators stack has no BRUPOP and every node is version-locked to its pin. :func:`load_config` sets every EKS
    node group's ``update_operator`` to match."""

    @property
    def title(self) -> str:
        return self.name.capitalize()

    @property
    def primary(self) -> bool:
        """This is the stage's first region (its stacks keep the names without a region)."""
        return not self.regions or self.region == self.regions[0]

    @property
    def region_suffix(self) -> str:
        """``""`` in the primary region, ``-<region>`` in the others (stable: it names the region, not an index)."""
        return "" if self.primary else f"-{self.region}"

    @property
    def stack_name(self) -> str:
        """The stage's platform stack (VPC, KMS, EKS). Stack names are forever: never change this."""
        return f"Br{self.title}{self.region_suffix}"

    @property
    def nodes_stack_name(self) -> str:
        """The stage's EKS node-group stack, separate so a cutover deploys without the network stack."""
        return f"Br{self.title}Nodes{self.region_suffix}"

    @property
    def ecs_stack_name(self) -> str:
        """The stage's ECS stack (cluster + capacity), separate so it deploys without the network stack."""
        return f"Br{self.title}Ecs{self.region_suffix}"

    @property
    def cluster_name(self) -> str:
        """The stage's EKS cluster name: :class:`~constructs_br.eks.BottlerocketCluster` derives it from the platform
        stack's name and its construct id (``Br<Stage>-Cluster``, ``BrProduction-eu-west-1-Cluster``)."""
        return f"{self.stack_name}-Cluster"

    @property
    def cis_config(self) -> CisConfig:
        """:attr:`cis`, or Level 1 (what Bottlerocket's secure defaults already render)."""
        return self.cis if self.cis is not None else CisConfig(stage_name=self.name)

    @property
    def operators_stack_name(self) -> str:
        """The stage's in-cluster operators stack (kubectl provider, Kyverno, the update operator), deployed after
        the node groups: it is the only stage stack with a kubectl Lambda."""
        return f"Br{self.title}Operators{self.region_suffix}"

    @property
    def role_name_prefix(self) -> str:
        """Operator role names' prefix: IAM is global, so a second region's roles carry the region."""
        return "bottlerocket" if self.primary else f"bottlerocket-{self.region}"

    def __post_init__(self) -> None:
        if not self.channel:
            object.__setattr__(self, "channel", self.name)
        if not self.regions:
            object.__setattr__(self, "regions", (self.region,))
        p = Problems()
        prefix = f"stages.{self.name}"
        if self.name not in STAGES:
            p.add(f"{prefix}.name", self.name, " | ".join(STAGES))
        if not _ACCOUNT.match(self.account):
            p.add(f"{prefix}.account", self.account, "a 12-digit AWS account id")
        if not _REGION.match(self.region):
            p.add(f"{prefix}.region", self.region, "an AWS region name such as us-east-1")
        net = self.network
        try:
            ipaddress.ip_network(net.cidr)
        except ValueError:
            p.add(f"{prefix}.network.cidr", net.cidr, "an IPv4 CIDR such as 10.0.0.0/16")
        p.extend(az_problems(net.availability_zones, self.region, f"{prefix}.network.availability_zones").items)
        if net.nat_gateways < 0 or net.nat_gateways > len(net.availability_zones):
            p.add(f"{prefix}.network.nat_gateways", net.nat_gateways, f"0..{len(net.availability_zones)}")
        if net.imported is not None:
            if not _VPC_ID.match(net.imported.vpc_id):
                p.add(f"{prefix}.network.imported.vpc_id", net.imported.vpc_id, "vpc-<8 or 17 hex>")
            bad = [s for s in net.imported.private_subnet_ids if not _SUBNET_ID.match(s)]
            if bad:
                p.add(f"{prefix}.network.imported.private_subnet_ids", bad, "subnet-<8 or 17 hex> ids")
            if len(net.imported.private_subnet_ids) != len(net.availability_zones):
                p.add(
                    f"{prefix}.network.imported.private_subnet_ids",
                    net.imported.private_subnet_ids,
                    f"one subnet per availability zone ({len(net.availability_zones)})",
                )
        if self.eks.kubernetes_version not in KUBERNETES_MINORS:
            p.add(f"{prefix}.eks.kubernetes_version", self.eks.kubernetes_version, " | ".join(KUBERNETES_MINORS))
        if self.eks.endpoint_access not in ("private", "public-and-private"):
            p.add(f"{prefix}.eks.endpoint_access", self.eks.endpoint_access, "private | public-and-private")
        p.extend(pair_problems(self.pairs, f"{prefix}.pairs", "NodeGroups"))
        p.extend(pair_problems(self.capacity, f"{prefix}.capacity"))
        if not self.capacity:
            p.add(f"{prefix}.capacity", (), "at least one capacity pair (an ECS cluster without capacity runs nothing)")
        if self.eks.endpoint_access != "private" and not self.eks.public_access_cidrs:
            p.add(
                f"{prefix}.eks.public_access_cidrs",
                self.eks.public_access_cidrs,
                f"one or more IPv4 CIDRs (br:{self.name}:public-access-cidrs) with a public endpoint",
                "an empty list would open the API server to 0.0.0.0/0",
            )
        if self.name == "production" and self.eks.endpoint_access != "private":
            p.add(
                f"{prefix}.eks.endpoint_access", self.eks.endpoint_access, "private (production endpoints are private)"
            )
        if not _CHANNEL.match(self.channel):
            p.add(f"br:{self.name}:channel", self.channel, CHANNEL_RULE)
        if self.region not in self.regions:
            p.add(f"{prefix}.regions", self.regions, f"a list holding the stack set's region {self.region}")
        p.raise_if_any()


@dataclass(frozen=True, slots=True, kw_only=True)
class AppConfig:
    """Every stack set to synthesize: one :class:`StageConfig` per stage and region (primary region first)."""

    stages: tuple[StageConfig, ...]
    configured: tuple[StageConfig, ...] = ()
    """Every stage and region the context configures, synthesized or not (``br:stages`` narrows ``stages`` only):
    what account-wide facts, such as the operator roles a Guard rule allows, are computed from, so that narrowing
    synthesis to a stage leaves its templates unchanged."""

    def stage(self, name: str, region: str | None = None) -> StageConfig:
        """The stage's stack set in ``region`` (default: its primary region)."""
        for s in self.stages:
            if s.name == name and (s.region == region if region is not None else s.primary):
                return s
        if region is not None and any(s.name == name for s in self.stages):
            regions = next(s.regions for s in self.stages if s.name == name)
            raise ConfigError("region", region, f"a region of stage {name}: {', '.join(regions)}")
        raise ConfigError("stage", name, " | ".join(dict.fromkeys(s.name for s in self.stages)))


def _azs(region: str) -> tuple[str, ...]:
    return (f"{region}a", f"{region}b", f"{region}c")


def default_stages(account: str = DEFAULT_ACCOUNT) -> tuple[StageConfig, ...]:
    """The embedded defaults: synthesize offline, no ``from_lookup`` anywhere."""
    return (
        StageConfig(
            name="pilot",
            account=account,
            region="us-west-2",
            network=NetworkConfig(cidr="10.10.0.0/16", availability_zones=_azs("us-west-2")[:2], nat_gateways=1),
            # TEST-NET-1 (RFC 5737) reaches nobody: set br:pilot:public-access-cidrs to your operators' egress CIDRs.
            eks=EksConfig(endpoint_access="public-and-private", public_access_cidrs=("192.0.2.0/24",)),
            pairs=default_pairs("pilot"),
            capacity=default_capacity("pilot"),
        ),
        StageConfig(
            name="canary",
            account=account,
            region="us-east-1",
            network=NetworkConfig(cidr="10.20.0.0/16", availability_zones=_azs("us-east-1"), nat_gateways=1),
            eks=EksConfig(endpoint_access="private"),
            pairs=default_pairs("canary"),
            capacity=default_capacity("canary"),
        ),
        StageConfig(
            name="production",
            account=account,
            region="us-east-1",
            network=NetworkConfig(cidr="10.30.0.0/16", availability_zones=_azs("us-east-1"), nat_gateways=3),
            eks=EksConfig(endpoint_access="private"),
            pairs=default_pairs("production"),
            capacity=default_capacity("production"),
        ),
    )


def _regions(base: StageConfig, context: Mapping[str, Any], p: Problems) -> tuple[str, ...]:
    """``br:<stage>:regions`` (first = primary), or ``br:<stage>:region`` as a one-region list; not both."""
    key = f"br:{base.name}:"
    if key + "regions" in context and key + "region" in context:
        p.add(key + "regions", context[key + "regions"], f"unset when {key}region is set (one of the two)")
    if key + "regions" in context:
        regions = csv(context[key + "regions"])
        if not regions:
            p.add(key + "regions", context[key + "regions"], "one or more comma-separated regions, the primary first")
        duplicates = sorted({r for r in regions if regions.count(r) > 1})
        if duplicates:
            p.add(key + "regions", context[key + "regions"], "each region once", f"repeated: {', '.join(duplicates)}")
        bad = [r for r in regions if not _REGION.match(r)]
        if bad:
            p.add(key + "regions", bad, "AWS region names such as us-east-1")
        if regions and not duplicates and not bad:
            return regions
        return (base.region,)
    return (str(context.get(key + "region", base.region)),)


def _zones(base: StageConfig, region: str, primary: bool, context: Mapping[str, Any]) -> tuple[str, ...]:
    """The region's AZs: ``br:<stage>:<region>:availability-zone(-id)s``, the primary also by the older
    ``br:<stage>:availability-zone(-id)s``; default ``<region>a,b,c`` cut to the stage's count."""
    key = f"br:{base.name}:"
    count = len(base.network.availability_zones)
    azs = base.network.availability_zones if region == base.region else _azs(region)[:count]
    keys = [f"{key}{region}:"] + ([key] if primary else [])
    for prefix in reversed(keys):  # the region-scoped keys win
        for name in ("availability-zones", "availability-zone-ids"):
            if prefix + name in context:
                azs = csv(context[prefix + name])
    return azs


def _flag(value: object) -> bool | None:
    """A context boolean: ``true``/``false`` (JSON) or the strings ``-c key=true`` passes; ``None`` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def update_operator_config(stage_name: str, context: Mapping[str, Any]) -> UpdateOperatorSpec | None:
    """The stage's update operator from ``br:<stage>:update-operator`` (default on in :data:`UPDATE_OPERATOR_STAGES`),
    ``…:window`` (default :data:`DEFAULT_UPDATE_WINDOW`) and ``…:max-concurrent-updates`` (default 1), or ``None``
    when the stage does not run it. Every problem at once: a bad value, an unknown ``…:update-operator:`` key, and
    window or concurrency set for a stage without the operator (they would do nothing)."""
    key = f"br:{stage_name}:update-operator"
    p = Problems()
    for extra in sorted(
        k for k in context if k.startswith(key + ":") and k[len(key) + 1 :] not in UPDATE_OPERATOR_KEYS
    ):
        p.add(extra, context[extra], " | ".join(f"{key}:{k}" for k in UPDATE_OPERATOR_KEYS))
    enabled = stage_name in UPDATE_OPERATOR_STAGES
    if key in context:
        flag = _flag(context[key])
        if flag is None:
            p.add(key, context[key], "true | false")
        else:
            enabled = flag
    window = context.get(f"{key}:window", DEFAULT_UPDATE_WINDOW)
    p.extend(cron_problems(window, f"{key}:window"))
    raw = context.get(f"{key}:max-concurrent-updates", 1)
    concurrency = 1
    if isinstance(raw, bool) or not str(raw).strip().isdigit() or int(str(raw).strip()) < 1:
        p.add(f"{key}:max-concurrent-updates", raw, "an integer >= 1 (capped at the node groups' max_unavailable)")
    else:
        concurrency = int(str(raw).strip())
    if not enabled:
        for name in UPDATE_OPERATOR_KEYS:
            if f"{key}:{name}" in context:
                p.add(
                    f"{key}:{name}",
                    context[f"{key}:{name}"],
                    f"unset while {key} is false (set {key}=true to run the operator)",
                )
    p.raise_if_any()
    if not enabled:
        return None
    return UpdateOperatorSpec(
        scheduler_cron_expression=str(window), max_concurrent_updates=concurrency, field_prefix=key
    )


def _operator_pairs(
    pairs: tuple[PairSpec[NodeGroupSpec], ...], operator: UpdateOperatorSpec | None
) -> tuple[PairSpec[NodeGroupSpec], ...]:
    """Every node group of the stage updated by the operator exactly when the stage runs it."""
    on = operator is not None
    return tuple(dataclasses.replace(p, base=dataclasses.replace(p.base, update_operator=on)) for p in pairs)


def _stage_region(
    base: StageConfig,
    context: Mapping[str, Any],
    account: str,
    regions: tuple[str, ...],
    region: str,
    *,
    operator: UpdateOperatorSpec | None,
    cis: CisConfig | None,
) -> StageConfig:
    key = f"br:{base.name}:"
    azs = _zones(base, region, region == regions[0], context)
    imported = None
    if key + "vpc-id" in context and region == regions[0]:
        imported = ImportedVpc(
            vpc_id=str(context[key + "vpc-id"]),
            private_subnet_ids=csv(context.get(key + "private-subnet-ids", "")),
        )
    network = dataclasses.replace(
        base.network,
        availability_zones=azs,
        imported=imported,
        nat_gateways=min(base.network.nat_gateways, len(azs)),
    )
    eks = base.eks
    if key + "public-access-cidrs" in context:
        eks = dataclasses.replace(eks, public_access_cidrs=csv(context[key + "public-access-cidrs"]))
    return dataclasses.replace(
        base,
        channel=str(context.get(key + "channel", base.channel)),
        eks=eks,
        account=str(context.get(key + "account", account)),
        region=region,
        regions=regions,
        network=network,
        pairs=_operator_pairs(apply_pair_context(base.pairs, context, prefix=f"br:{base.name}:pair:"), operator),
        update_operator=operator,
        cis=cis,
        capacity=apply_pair_context(base.capacity, context, prefix=f"br:{base.name}:capacity:", allow_retire=True),
    )


def selected_stages(context: Mapping[str, Any]) -> tuple[StageName, ...]:
    """``br:stages`` (comma-separated) narrows synthesis to those stages; default every stage."""
    if "br:stages" not in context:
        return STAGES
    wanted = csv(context["br:stages"])
    unknown = [w for w in wanted if w not in STAGES]
    if unknown or not wanted:
        raise ConfigError("br:stages", context["br:stages"], "comma-separated stages of: " + " | ".join(STAGES))
    return tuple(s for s in STAGES if s in wanted)


def load_config(context: Mapping[str, Any]) -> AppConfig:
    """Build the app configuration from the embedded defaults plus CDK context overrides: one stack set per stage
    (of ``br:stages``) and region. Every stage is configured and checked, selected or not (a narrowed synth still
    refuses a bad key of another stage, and account-wide facts cover every stage); every problem of every stage and
    region comes in one :class:`ConfigError`."""
    account = str(context.get("br:account", DEFAULT_ACCOUNT))
    selected = selected_stages(context)
    stages = []
    p = Problems()
    for base in default_stages(DEFAULT_ACCOUNT):
        regions = _regions(base, context, p)
        try:
            operator = update_operator_config(base.name, context)
        except ConfigError as err:
            p.extend(err.problems)
            operator = None
        try:
            cis: CisConfig | None = cis_config(base.name, context)
        except ConfigError as err:
            p.extend(err.problems)
            cis = None
        for region in regions:
            try:
                stages.append(_stage_region(base, context, account, regions, region, operator=operator, cis=cis))
            except ConfigError as err:
                p.extend(err.problems)
    p.raise_if_any()
    return AppConfig(stages=tuple(s for s in stages if s.name in selected), configured=tuple(stages))
