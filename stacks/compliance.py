"""This app's compliance wiring: the per-stage Config-rule data and the one function the stage stacks call.

The lead wires :func:`add_compliance` into ``PlatformStack`` (one set of rules per stage and region; the rules cover
the ECS stack's resources too, since they are scoped by the ``constructs-br:stage`` tag, not by stack).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import Stack
from aws_cdk import aws_kms as kms

from constructs_br.compliance import kyverno
from constructs_br.compliance.config_rules import FleetConfigRules, RecorderMode
from constructs_br.compliance.controls import approved_ami_ids
from constructs_br.compliance.guard import operator_role_names
from constructs_br.errors import ConfigError, Problems
from constructs_br.images.lockfile import Lockfile
from constructs_br.settings.model import Settings
from constructs_br.settings.presets import cis_level1, cis_level2

OLDEST_SUPPORTED_KUBERNETES = "1.31"
"""``oldestVersionSupported`` of EKS_CLUSTER_SUPPORTED_VERSION: the oldest EKS minor in standard support we accept.
Raise it when EKS ends standard support of a minor (docs/compliance.md)."""

RECORDER: dict[str, RecorderMode] = {"pilot": "existing", "canary": "existing", "production": "existing"}
"""Every stage uses the account's existing Config recorder (one per account and region; canary and production share
us-east-1 in one account by default, so a created recorder would collide)."""


def stage_operator_roles(*stage_names: str) -> tuple[str, ...]:
    """The operator role names (``bottlerocket-control-<stage>``, ``bottlerocket-admin-<stage>``) of the stages."""
    return tuple(name for stage in stage_names for name in operator_role_names(stage))


def add_compliance(
    stack: Stack,
    *,
    stage_name: str,
    lockfile: Lockfile,
    region: str,
    production: bool,
    encryption_key: kms.IKey | None = None,
    operator_roles: Sequence[str] | None = None,
) -> FleetConfigRules:
    """Add the stage's AWS Config rules to ``stack`` (construct id ``ConfigRules``) and return them.

    ``production``: adds EKS_ENDPOINT_NO_PUBLIC_ACCESS. ``encryption_key``: only needed when the stage's
    :data:`RECORDER` mode is ``create``. ``operator_roles``: when given, adds the Guard custom policy rules
    (SSM access allowed only to these role names; launch templates with IMDSv2 and an approved AMI). Use
    :func:`stage_operator_roles`. Default ``None``: no Guard rules (the stage stacks' templates stay as they are
    until the call passes it). The SSM rule judges every IAM principal of the account, so where stages share an
    account pass the union of their roles.
    """
    return FleetConfigRules(
        stack,
        "ConfigRules",
        stage=stage_name,
        approved_ami_ids=approved_ami_ids(lockfile, region),
        oldest_kubernetes_version=OLDEST_SUPPORTED_KUBERNETES,
        require_private_endpoint=production,
        recorder=RECORDER.get(stage_name, "existing"),
        encryption_key=encryption_key,
        operator_roles=list(operator_roles) if operator_roles is not None else None,
    )


# --- CIS level per stage ---------------------------------------------------------------------------------------
CisLevel = Literal[1, 2]
CIS_STAGE_NAMES = ("pilot", "canary", "production")
_DIGEST = re.compile(r"^[^\s@]+@sha256:[0-9a-f]{64}$")


@dataclass(frozen=True, kw_only=True, slots=True)
class CisConfig:
    """A stage's CIS Bottlerocket level (:func:`cis_config`). ``bootstrap_image``: the iptables bootstrap container
    image, pinned by digest (``<repo>@sha256:<64 hex>``); set exactly when ``level`` is 2."""

    stage_name: str
    level: CisLevel = 1
    bootstrap_image: str | None = None

    def settings(self, variant: str) -> Settings:
        """The CIS preset for one variant: :func:`~constructs_br.settings.presets.cis_level1`, or
        :func:`~constructs_br.settings.presets.cis_level2` with :attr:`bootstrap_image`."""
        if self.level == 2 and self.bootstrap_image is not None:
            return cis_level2(variant, bootstrap_image=self.bootstrap_image)
        return cis_level1(variant)


def cis_config(stage_name: str, context: Mapping[str, Any]) -> CisConfig:
    """The stage's CIS level from CDK context: ``br:<stage>:cis-level`` = 1 (default) | 2 and, for 2,
    ``br:<stage>:cis-bootstrap-image`` pinned by digest. Anything else under ``br:<stage>:cis-`` is an error.
    Every problem is named in one :class:`~constructs_br.errors.ConfigError`."""
    if stage_name not in CIS_STAGE_NAMES:
        raise ConfigError("cis.stage_name", stage_name, " | ".join(CIS_STAGE_NAMES))
    prefix = f"br:{stage_name}:"
    level_key, image_key = prefix + "cis-level", prefix + "cis-bootstrap-image"
    p = Problems()
    for key in sorted(k for k in context if k.startswith(prefix + "cis-") and k not in (level_key, image_key)):
        p.add(key, context[key], f"{level_key} | {image_key}")
    raw = context.get(level_key, 1)
    level: CisLevel = 1
    if isinstance(raw, bool) or str(raw).strip() not in ("1", "2"):
        p.add(level_key, raw, "1 | 2 (CIS Bottlerocket Level 1 or Level 2)")
    else:
        level = 2 if str(raw).strip() == "2" else 1
    image = context.get(image_key)
    if level == 2 and image is None:
        p.add(
            image_key, None, "the CIS bootstrap container image pinned by digest (<repo>@sha256:<64 hex>) for Level 2"
        )
    elif image is not None and (not isinstance(image, str) or not _DIGEST.match(image)):
        p.add(image_key, image, "an image pinned by digest: <repo>@sha256:<64 hex>")
    elif level == 1 and image is not None:
        p.add(image_key, image, f"unset at Level 1 (set {level_key} = 2 to use the bootstrap container)")
    p.raise_if_any()
    return CisConfig(stage_name=stage_name, level=level, bootstrap_image=image if level == 2 else None)


def cis_level(stage_name: str, context: Mapping[str, Any]) -> CisLevel:
    """The stage's CIS level (``br:<stage>:cis-level``; see :func:`cis_config`)."""
    return cis_config(stage_name, context).level


# --- the Kyverno node policy (not shipped in a stack: the per-stage operator stack belongs to the rollout issue) ----
FLEET_NODE_LABELS: tuple[str, ...] = ("constructs-br/pool",)
"""Label keys every fleet node carries in this app (``stacks/fleet.py`` pairs set ``constructs-br/pool``)."""


def kyverno_node_policy(stage_name: str, lockfile: Lockfile, *, region: str) -> dict[str, Any]:
    """The stage's Kyverno ClusterPolicy (Audit, background only) as a manifest dict: nodes must report a pinned
    Bottlerocket release of ``region`` (current or previous) and carry :data:`FLEET_NODE_LABELS`. YAML:
    :func:`constructs_br.compliance.kyverno.node_policy_yaml`."""
    return kyverno.node_policy(
        stage=stage_name,
        os_images=kyverno.pinned_os_images(lockfile, regions=[region]),
        required_labels=FLEET_NODE_LABELS,
    )
