"""EKS node-group pairs per stage (data), their context overrides, and ``userdata_for`` (``brctl userdata render``).

Pure Python: no ``aws_cdk`` import, so ``brctl`` reads it without starting jsii.

Context overrides (commit them in ``cdk.json``'s ``context`` so every deploy sees the same phase):

=============================================  ================================================================
``br:<stage>:pair:<pair>:phase``               ``blue`` | ``blue+green`` | ``green`` | ``green+blue``
``br:<stage>:pair:<pair>:<slot>:image-version``  full image version of a slot (lockfile current or previous)
=============================================  ================================================================
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_br.eks.phases import Phase, parse_phase, slots_present
from constructs_br.eks.spec import NodeGroupSpec, cluster_dns_ip
from constructs_br.errors import ConfigError, Problems

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True, kw_only=True)
class PairConfig:
    """One blue/green node-group pair of a stage: its spec, phase, and each slot's pin.

    ``blue_image_version`` / ``green_image_version``: ``None`` = the lockfile's current pin for the stage's region;
    a full version = that image, which must be the lockfile's current or previous pin (see docs/blue-green.md).
    """

    name: str
    spec: NodeGroupSpec
    phase: Phase = Phase.BLUE
    blue_image_version: str | None = None
    green_image_version: str | None = None
    stage_settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "phase", parse_phase(str(self.phase), f"pairs.{self.name}.phase"))
        if not self.name.replace("-", "").isalnum() or not self.name[:1].isalpha() or self.name != self.name.lower():
            raise ConfigError("pairs.name", self.name, "lower-case letters, digits and '-', starting with a letter")

    def image_version(self, slot: str) -> str | None:
        return self.blue_image_version if slot == "blue" else self.green_image_version

    @property
    def construct_id(self) -> str:
        """``general`` → ``GeneralNodeGroups``; ``arm-batch`` → ``ArmBatchNodeGroups`` (the name is API)."""
        return "".join(part.capitalize() for part in self.name.split("-")) + "NodeGroups"


def default_pairs(stage: str) -> tuple[PairConfig, ...]:
    """pilot and canary: one x86_64 pair on the EKS-managed AMI path; production adds an arm64 pair on the
    custom-AMI path, so both paths are in a synthesized stack."""
    general = PairConfig(
        name="general",
        spec=NodeGroupSpec(
            variant="aws-k8s-1.33",
            arch="x86_64",
            instance_types=("m7i.large", "m6i.large"),
            min_size=2 if stage == "production" else 1,
            desired_size=3 if stage == "production" else 2,
            max_size=6 if stage == "production" else 3,
            data_volume_gib=50 if stage == "production" else 20,
            labels={"constructs-br/pool": "general"},
            field_prefix=f"stages.{stage}.pairs.general",
        ),
    )
    if stage != "production":
        return (general,)
    arm = PairConfig(
        name="arm",
        spec=NodeGroupSpec(
            variant="aws-k8s-1.33",
            arch="arm64",
            image_path="custom-ami",
            instance_types=("m7g.large", "m6g.large"),
            min_size=1,
            desired_size=2,
            max_size=4,
            data_volume_gib=50,
            labels={"constructs-br/pool": "arm"},
            field_prefix=f"stages.{stage}.pairs.arm",
        ),
    )
    return (general, arm)


def apply_pair_overrides(
    stage: str, pairs: tuple[PairConfig, ...], context: Mapping[str, Any]
) -> tuple[PairConfig, ...]:
    """Apply ``br:<stage>:pair:<pair>:...`` context keys; unknown pair names in keys are errors."""
    p = Problems()
    names = {pair.name for pair in pairs}
    prefix = f"br:{stage}:pair:"
    for key in context:
        if key.startswith(prefix) and key[len(prefix) :].split(":", 1)[0] not in names:
            p.add(key, context[key], f"a key for one of this stage's pairs: {', '.join(sorted(names))}")
    out = []
    for pair in pairs:
        base = f"{prefix}{pair.name}:"
        changes: dict[str, Any] = {}
        if base + "phase" in context:
            try:
                changes["phase"] = parse_phase(str(context[base + "phase"]), base + "phase")
            except ConfigError as exc:
                p.extend(exc.problems)
        for slot in ("blue", "green"):
            if base + f"{slot}:image-version" in context:
                changes[f"{slot}_image_version"] = str(context[base + f"{slot}:image-version"]) or None
        out.append(dataclasses.replace(pair, **changes))
    p.raise_if_any()
    return tuple(out)


def _cdk_context(root: Path = ROOT) -> dict[str, Any]:
    path = root / "cdk.json"
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text()).get("context", {}))


def userdata_for(stage: str, nodegroup: str | None) -> str:
    """The TOML user data the stage's node-group pair ``nodegroup`` gets (default: the stage's first pair).

    EKS-managed path: exactly the launch template's user data. Custom-AMI path: the join keys the template fills
    from the cluster at deploy time are shown as ``${Token[...]}`` placeholders (cluster-dns-ip is literal).
    """
    from constructs_br.settings import custom_ami_user_data, eks_managed_user_data
    from stacks.config import load_config

    config = load_config(_cdk_context()).stage(stage)
    pairs = config.pairs
    if not pairs:
        raise ConfigError("nodegroup", nodegroup, "a stage with EKS node groups", f"stage {stage} has none")
    names = [p.name for p in pairs]
    if nodegroup is None:
        pair = pairs[0]
    else:
        found = [p for p in pairs if p.name == nodegroup]
        if not found:
            raise ConfigError("nodegroup", nodegroup, " | ".join(names), f"the node-group pairs of stage {stage}")
        pair = found[0]
    spec = pair.spec
    layer = {"settings": dict(spec.settings)} if spec.settings else None
    stage_layer = {"settings": dict(pair.stage_settings)} if pair.stage_settings else None
    if spec.image_path == "eks-managed":
        return eks_managed_user_data(variant=spec.variant, stage=stage_layer, nodegroup=layer)
    return custom_ami_user_data(
        variant=spec.variant,
        cluster_name="${Token[cluster.name]}",
        api_server="${Token[cluster.endpoint]}",
        cluster_certificate="${Token[cluster.certificate-authority-data]}",
        cluster_dns_ip=cluster_dns_ip(config.eks.service_ipv4_cidr),
        stage=stage_layer,
        nodegroup=layer,
    )


__all__ = ["PairConfig", "apply_pair_overrides", "default_pairs", "slots_present", "userdata_for"]
