"""The cutover gate for one EKS node group of a blue/green pair (``brctl cutover``, ``docs/blue-green.md``).

A pair's node groups are found by tag (``constructs-br:fleet`` = the pair, slot from ``constructs-br:slot``). Each must
be ``ACTIVE``, have no health issues, have at least ``desiredSize`` instances ``InService`` and ``Healthy`` in its
Auto Scaling group, and run the image :func:`constructs_br.cli._expected.expect` names for its
``constructs-br:image-version`` tag: ``releaseVersion`` for EKS-managed AMI types, the launch template's ``ImageId``
for custom AMIs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from constructs_br import tags
from constructs_br.bluegreen import SLOTS
from constructs_br.cli import _adopted, _aws
from constructs_br.cli._expected import expect, judge_launch_template_image, launch_template_image, record_expectation
from constructs_br.images.catalogue import parse_eks_ami_type
from constructs_br.images.lockfile import Lockfile


@dataclass(slots=True)
class SlotGate:
    """The gate for one node group of the pair."""

    slot: str
    nodegroup: str
    status: str
    health_issues: list[str]
    desired: int
    ready: int | None  # None: ASG not found
    asg: str | None
    ami_type: str
    variant: str | None
    arch: str | None
    actual: str | None  # releaseVersion (managed) or launch template ImageId (custom)
    expected: str | None
    lockfile_pin: str | None  # the lockfile's current image version for variant/arch, for reference
    expected_version: str | None = None  # the image version the slot is pinned to
    reasons: list[str] = field(default_factory=list)
    adopted: bool = False
    """An adopted group (``--adopt``): found by name, no image gate (it is not Bottlerocket)."""
    tainted: bool | None = None
    """Adopted node group: the outgoing taint is on it (EKS API)."""
    standby: str | None = None
    """Adopted group in standby: its recorded sizes (``constructs-br/standby-sizes``)."""

    @property
    def ok(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def pair_nodegroups(region: str, cluster: str, pair: str) -> list[_aws.NodegroupInfo]:
    """The node groups of ``cluster`` tagged ``constructs-br:fleet`` = ``pair``, by name."""
    return [ng for ng in _aws.list_nodegroups(region, cluster) if ng.tags.get(tags.FLEET) == pair]


def adopted_gate(slot: _adopted.AdoptedSlot) -> SlotGate:
    """The gate of an adopted node group or ASG, as a slot: status, health and ready capacity, no image gate."""
    return SlotGate(
        slot="blue",
        nodegroup=slot.ref,
        status=slot.status or ("present" if slot.exists else "missing"),
        health_issues=list(slot.health_issues),
        desired=slot.desired,
        ready=slot.ready,
        asg=slot.asg,
        ami_type="(adopted)",
        variant=None,
        arch=None,
        actual=None,
        expected=None,
        lockfile_pin=None,
        reasons=list(slot.reasons),
        adopted=True,
        tainted=slot.tainted,
        standby=slot.standby.to_tag() if slot.standby else None,
    )


def gate(region: str, ng: _aws.NodegroupInfo, lock: Lockfile) -> SlotGate:
    asg = ng.autoscaling_groups[0] if ng.autoscaling_groups else None
    g = SlotGate(
        slot=ng.tags.get(tags.SLOT, "?"),
        nodegroup=ng.name,
        status=ng.status,
        health_issues=list(ng.health_issues),
        desired=ng.desired_size,
        ready=None,
        asg=asg,
        ami_type=ng.ami_type,
        variant=ng.tags.get(tags.VARIANT),
        arch=None,
        actual=None,
        expected=None,
        lockfile_pin=None,
    )
    if g.slot not in SLOTS:
        g.reasons.append(f"tag {tags.SLOT} is {g.slot!r}, expected blue or green")
    if ng.status != "ACTIVE":
        g.reasons.append(f"status {ng.status}, expected ACTIVE")
    if ng.health_issues:
        g.reasons.append("health issues: " + "; ".join(ng.health_issues))
    if asg is None:
        g.reasons.append("no Auto Scaling group reported")
    else:
        g.ready = _aws.asg_ready_count(region, asg)
        if g.ready is None:
            g.reasons.append(f"ASG not found: {asg}")
        elif g.ready < ng.desired_size:
            g.reasons.append(f"{g.ready}/{ng.desired_size} desired nodes ready (InService and Healthy)")
    _image_gate(region, ng, lock, g)
    return g


def _image_gate(region: str, ng: _aws.NodegroupInfo, lock: Lockfile, g: SlotGate) -> None:
    variant = g.variant
    if not variant:
        g.reasons.append(f"tag {tags.VARIANT} missing: cannot find the pin")
        return
    parsed = parse_eks_ami_type(ng.ami_type)
    if parsed is not None:  # EKS-managed Bottlerocket AMI: releaseVersion is the pin
        g.arch = parsed[0].value
        g.actual = ng.release_version
        exp = expect(lock, region, variant, g.arch, ng.tags)
        record_expectation(g, exp)
        if exp.pin is None:
            g.reasons.append(str(exp.problem))
            return
        g.expected = exp.pin.image_version
        if g.actual != g.expected:
            g.reasons.append(f"release version {g.actual}, expected {g.expected}")
        return
    if ng.ami_type != "CUSTOM" or not (ng.launch_template_id or ng.launch_template_name):
        g.reasons.append(f"AMI type {ng.ami_type} is not Bottlerocket")
        return
    found = launch_template_image(
        region, lock, variant, ng.launch_template_id, ng.launch_template_name, ng.launch_template_version, ng.tags
    )
    judge_launch_template_image(g, found, "image")
