"""Compliance data, pure Python (no ``aws_cdk``): the AWS Config rule set, the approved-AMI list and its split, and
the control catalogue ``brctl report`` evaluates (NIST 800-53, ISO 27001 Annex A, the fleet checkpoints; the CIS
Bottlerocket items come from :data:`constructs_br.settings.presets.CIS_CHECKS`).

>>> chunk_ami_ids([f"ami-{i:017x}" for i in range(30)])[1][0]
'ami-00000000000000015'
>>> [len(c) for c in chunk_ami_ids([f"ami-{i:017x}" for i in range(30)])]
[21, 9]
>>> config_rule_name("pilot", "approved-amis", 2)
'constructs-br-pilot-approved-amis-2'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import Lockfile

MAX_AMI_IDS_PER_RULE = 21
"""Most AMI IDs one ``APPROVED_AMIS_BY_ID`` rule gets (issue 17's limit; 21 IDs of 21 characters joined by commas
are 461 characters, well inside :data:`MAX_PARAMETER_CHARS`)."""
MAX_PARAMETER_CHARS = 1024
"""Longest value of one managed-rule input parameter (``amiIds`` is a comma-separated string)."""

Trigger = Literal["change", "periodic"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ManagedRuleSpec:
    """One AWS managed Config rule of the fleet's set.

    ``key``: the stable short name (construct id and rule-name suffix); ``identifier``: the managed-rule
    identifier (the raw string; CDK's ``ManagedRuleIdentifiers`` constants equal it). ``trigger``: per the AWS Config
    managed-rule page; only change-triggered rules take a tag scope, so periodic rules evaluate every resource of
    their type in the region. ``production_only``: created only where the stage asks for it.
    """

    key: str
    identifier: str
    resource_types: tuple[str, ...]
    trigger: Trigger
    description: str
    production_only: bool = False
    parameters: tuple[tuple[str, str], ...] = ()

    @property
    def tag_scoped(self) -> bool:
        return self.trigger == "change"


APPROVED_AMIS = ManagedRuleSpec(
    key="approved-amis",
    identifier="APPROVED_AMIS_BY_ID",
    resource_types=("AWS::EC2::Instance",),
    trigger="change",
    description="instances run an AMI pinned in the lockfile for this region (current or previous)",
)

RULES: tuple[ManagedRuleSpec, ...] = (
    ManagedRuleSpec(key="imdsv2", identifier="EC2_IMDSV2_CHECK", resource_types=("AWS::EC2::Instance",),
                    trigger="change", description="instance metadata requires IMDSv2 tokens"),
    ManagedRuleSpec(key="managed-by-ssm", identifier="EC2_INSTANCE_MANAGED_BY_SSM",
                    resource_types=("AWS::EC2::Instance",), trigger="change",
                    description="instances are SSM managed instances (Session Manager is the only way in)"),
    ManagedRuleSpec(key="encrypted-volumes", identifier="ENCRYPTED_VOLUMES", resource_types=("AWS::EC2::Volume",),
                    trigger="change", description="attached EBS volumes are encrypted"),
    ManagedRuleSpec(key="no-public-ip", identifier="EC2_INSTANCE_NO_PUBLIC_IP", resource_types=("AWS::EC2::Instance",),
                    trigger="change", description="instances have no public IP address"),
    ManagedRuleSpec(key="incoming-ssh-disabled", identifier="INCOMING_SSH_DISABLED",
                    resource_types=("AWS::EC2::SecurityGroup",), trigger="change",
                    description="security groups allow no unrestricted incoming SSH"),
    ManagedRuleSpec(key="log-groups-encrypted", identifier="CLOUDWATCH_LOG_GROUP_ENCRYPTED",
                    resource_types=("AWS::Logs::LogGroup",), trigger="periodic",
                    description="CloudWatch log groups are KMS-encrypted (every log group of the region: periodic)"),
    ManagedRuleSpec(key="eks-endpoint-private", identifier="EKS_ENDPOINT_NO_PUBLIC_ACCESS",
                    resource_types=("AWS::EKS::Cluster",), trigger="periodic", production_only=True,
                    description="EKS API endpoints are not public"),
    ManagedRuleSpec(key="eks-secrets-encrypted", identifier="EKS_SECRETS_ENCRYPTED",
                    resource_types=("AWS::EKS::Cluster",), trigger="periodic",
                    description="EKS clusters encrypt Kubernetes secrets with KMS"),
    ManagedRuleSpec(key="eks-logging", identifier="EKS_CLUSTER_LOG_ENABLED", resource_types=("AWS::EKS::Cluster",),
                    trigger="change", description="EKS control-plane logging is on for every log type",
                    parameters=(("logTypes", "api,audit,authenticator,controllerManager,scheduler"),)),
    ManagedRuleSpec(key="eks-supported-version", identifier="EKS_CLUSTER_SUPPORTED_VERSION",
                    resource_types=("AWS::EKS::Cluster",), trigger="change",
                    description="EKS clusters run a supported Kubernetes version (parameter oldestVersionSupported)"),
    ManagedRuleSpec(key="ecs-container-insights", identifier="ECS_CONTAINER_INSIGHTS_ENABLED",
                    resource_types=("AWS::ECS::Cluster",), trigger="change",
                    description="ECS clusters have Container Insights on"),
)  # fmt: skip
"""The fleet's managed rules besides the approved-AMI rules, in report order."""


def rules_for(*, production: bool) -> tuple[ManagedRuleSpec, ...]:
    """The rules one stage gets (``production_only`` rules only when ``production``)."""
    return tuple(r for r in RULES if production or not r.production_only)


def config_rule_name(stage: str, key: str, index: int | None = None) -> str:
    """The Config rule's name: unique per account and region, so it carries the stage (two stages may share both)."""
    return f"constructs-br-{stage}-{key}" + (f"-{index}" if index is not None else "")


def approved_ami_ids(lockfile: Lockfile, region: str) -> tuple[str, ...]:
    """Every AMI the lockfile pins in ``region``: each pin's current image and its previous one (a slot pinned to
    the previous image is approved), sorted, without duplicates."""
    ids = {p.image_id for p in lockfile.pins() if p.region == region}
    ids |= {p.previous.image_id for p in lockfile.pins() if p.region == region and p.previous is not None}
    return tuple(sorted(ids))


def chunk_ami_ids(
    ids: Sequence[str], *, max_ids: int = MAX_AMI_IDS_PER_RULE, max_chars: int = MAX_PARAMETER_CHARS
) -> tuple[tuple[str, ...], ...]:
    """Split ``ids`` (in order) into groups of at most ``max_ids`` whose comma-joined text fits ``max_chars``."""
    chunks: list[list[str]] = []
    for ami in ids:
        if len(ami) > max_chars:
            raise ConfigError("amiIds", ami, f"an AMI ID of at most {max_chars} characters")
        last = chunks[-1] if chunks else None
        if last is None or len(last) >= max_ids or len(",".join([*last, ami])) > max_chars:
            chunks.append([ami])
        else:
            last.append(ami)
    return tuple(tuple(c) for c in chunks)


# --- the control catalogue --------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, slots=True)
class Control:
    """One control of the report: its framework id, what it asks, how the fleet satisfies it, and the evidence
    checks (names evaluated by ``brctl report`` against the synthesized templates) that must all hold."""

    framework: Literal["NIST 800-53", "ISO 27001", "checkpoint"]
    id: str
    title: str
    how: str
    checks: tuple[str, ...]
    iso: tuple[str, ...] = ()


# ISO/IEC 27001:2022 Annex A equivalents follow NIST's published 800-53 ↔ 27001 mapping, coarsely.
NIST_CONTROLS: tuple[Control, ...] = (
    Control(framework="NIST 800-53", id="CM-2", title="Baseline configuration",
            how="every node runs an image pinned per region in the committed lockfile; Config flags any other AMI",
            checks=("pinned-images", "rule:APPROVED_AMIS_BY_ID"), iso=("A.8.9",)),
    Control(framework="NIST 800-53", id="CM-6", title="Configuration settings",
            how="node settings rendered from typed, validated Python into launch-template user data; IMDSv2 required",
            checks=("user-data", "imdsv2", "rule:EC2_IMDSV2_CHECK"), iso=("A.8.9",)),
    Control(framework="NIST 800-53", id="CM-7", title="Least functionality",
            how="admin host container off, no SSH, no public IPs on nodes",
            checks=("admin-off", "no-ssh", "rule:INCOMING_SSH_DISABLED", "rule:EC2_INSTANCE_NO_PUBLIC_IP"),
            iso=("A.8.19", "A.8.20")),
    Control(framework="NIST 800-53", id="AC-2", title="Account management",
            how="people are EKS access entries and operator roles declared in stage config",
            checks=("operator-roles",), iso=("A.5.16", "A.5.18")),
    Control(framework="NIST 800-53", id="AC-6", title="Least privilege",
            how="no admin container unless break-glass; sessions through SSM only on the stage's instances",
            checks=("admin-off", "session-documents", "rule:EC2_INSTANCE_MANAGED_BY_SSM"), iso=("A.8.2", "A.5.15")),
    Control(framework="NIST 800-53", id="AU-2", title="Event logging",
            how="all EKS control-plane log types, VPC flow logs and node logs to CloudWatch; Container Insights",
            checks=("eks-logging", "log-groups", "rule:EKS_CLUSTER_LOG_ENABLED", "rule:ECS_CONTAINER_INSIGHTS_ENABLED"),
            iso=("A.8.15",)),
    Control(framework="NIST 800-53", id="AU-9", title="Protection of audit information",
            how="every log group encrypted with the stage's customer-managed KMS key",
            checks=("log-groups-encrypted", "rule:CLOUDWATCH_LOG_GROUP_ENCRYPTED"), iso=("A.8.15",)),
    Control(framework="NIST 800-53", id="SC-8", title="Transmission confidentiality and integrity",
            how="kubelet serves TLS (server TLS bootstrap kept); AWS APIs and SSM sessions are TLS",
            checks=("tls",), iso=("A.8.24", "A.5.14")),
    Control(framework="NIST 800-53", id="SC-28", title="Protection of information at rest",
            how="EBS volumes, EKS secrets and log groups encrypted with a rotating KMS key",
            checks=("ebs-encrypted", "eks-secrets", "key-rotation", "rule:ENCRYPTED_VOLUMES",
                    "rule:EKS_SECRETS_ENCRYPTED"), iso=("A.8.24",)),
    Control(framework="NIST 800-53", id="SI-2", title="Flaw remediation",
            how="images refreshed by `brctl pins refresh` and rolled blue/green; Config flags unsupported EKS versions",
            checks=("pinned-images", "rule:EKS_CLUSTER_SUPPORTED_VERSION"), iso=("A.8.8",)),
    Control(framework="NIST 800-53", id="SI-7", title="Software, firmware, and information integrity",
            how="dm-verity root (Bottlerocket), kernel lockdown integrity, approved AMIs only",
            checks=("lockdown", "rule:APPROVED_AMIS_BY_ID"), iso=("A.8.7", "A.8.32")),
)  # fmt: skip

CHECKPOINTS: tuple[Control, ...] = (
    Control(framework="checkpoint", id="logging-destinations", title="Logs go to encrypted CloudWatch log groups",
            how="control-plane, flow and node logs in KMS-encrypted log groups",
            checks=("eks-logging", "log-groups", "log-groups-encrypted")),
    Control(framework="checkpoint", id="time-sync", title="Nodes synchronise time",
            how="settings.ntp.time-servers set on every launch template (Amazon Time Sync first)",
            checks=("ntp",)),
    Control(framework="checkpoint", id="admin-access", title="No admin shell on nodes by default",
            how="settings.host-containers.admin.enabled = false; break-glass document only with a reason and expiry",
            checks=("admin-off",)),
    Control(framework="checkpoint", id="tls", title="Encrypted transport",
            how="kubelet TLS bootstrap kept; IMDSv2 tokens", checks=("tls", "imdsv2")),
)  # fmt: skip

ALL_CONTROLS: tuple[Control, ...] = NIST_CONTROLS + CHECKPOINTS


def rule_identifiers(checks: Iterable[str]) -> tuple[str, ...]:
    """The Config rule identifiers a control's checks name (``rule:<IDENTIFIER>``)."""
    return tuple(c.split(":", 1)[1] for c in checks if c.startswith("rule:"))
