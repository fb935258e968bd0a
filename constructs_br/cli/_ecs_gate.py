"""The cutover gate for an ECS capacity pair (``brctl cutover --kind ecs``, ``docs/blue-green.md``).

A pair's slots are the Auto Scaling groups tagged ``constructs-br:fleet`` = the pair (slot from
``constructs-br:slot``) that back a capacity provider associated with the ECS cluster (so a same-named pair of
another stage's cluster in the region is never mixed in). Per slot:

- at least ``DesiredCapacity`` instances ``InService`` and ``Healthy``, each registered with the cluster as an
  ``ACTIVE`` container instance;
- the launch template's ``ImageId`` and every instance's ``ImageId`` are the image
  :func:`constructs_br.cli._expected.expect` names for the ASG's ``constructs-br:image-version`` tag;
- a *retiring* slot (``MinSize`` = ``MaxSize`` = 0, new instances not protected from scale-in, the provider's
  managed termination protection ``DISABLED``) is only checked for what is left on it.

Services: every ``ACTIVE`` service of the cluster whose capacity provider strategy names one of the pair's providers,
and those with launch type ``EC2`` (no strategy: ECS may place their tasks on any container instance).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from constructs_br import tags
from constructs_br.bluegreen import SLOTS
from constructs_br.cli import _adopted, _aws
from constructs_br.cli._expected import judge_launch_template_image, launch_template_image
from constructs_br.images.lockfile import Lockfile


@dataclass(slots=True)
class EcsSlotGate:
    """The gate for one slot (Auto Scaling group + capacity provider) of the pair."""

    slot: str
    asg: str
    capacity_provider: str | None
    min_size: int
    max_size: int
    desired: int
    ready: int
    instances: list[str]
    protected_instances: list[str]
    """Instances still protected from scale-in (ECS protects those running tasks)."""
    new_instances_protected: bool
    managed_termination_protection: str | None
    container_instances_active: int
    running_tasks: int
    """Tasks running on the slot's container instances."""
    variant: str | None
    arch: str | None = None
    actual: str | None = None  # the launch template's ImageId
    expected: str | None = None
    lockfile_pin: str | None = None
    expected_version: str | None = None
    reasons: list[str] = field(default_factory=list)
    adopted: bool = False
    """An adopted capacity provider (``--adopt``): no image gate; brctl scales it, the app never retires it."""
    standby: str | None = None
    """Adopted provider in standby: its ASG's recorded sizes (``constructs-br/standby-sizes``)."""

    @property
    def retiring(self) -> bool:
        return (
            not self.adopted
            and self.min_size == 0
            and self.max_size == 0
            and not self.new_instances_protected
            and self.managed_termination_protection == "DISABLED"
        )

    @property
    def ok(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "retiring": self.retiring, "ok": self.ok}


@dataclass(frozen=True, slots=True)
class ServiceUse:
    """A service that places tasks on the pair's capacity: the pair's slots its strategy names, or a launch type."""

    name: str
    capacity_providers: tuple[str, ...]
    launch_type: str | None
    slots: tuple[str, ...]

    def uses(self, slot: str) -> bool:
        return slot in self.slots

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class EcsPair:
    gates: list[EcsSlotGate]
    services: list[ServiceUse]

    def gate(self, slot: str) -> EcsSlotGate | None:
        return next((g for g in self.gates if g.slot == slot), None)

    def launch_type_services(self) -> list[ServiceUse]:
        return [s for s in self.services if not s.capacity_providers and s.launch_type == "EC2"]


def evaluate(region: str, cluster: str, pair: str, lock: Lockfile, adopted: EcsSlotGate | None = None) -> EcsPair:
    """Read the pair's slots and the cluster's services; raises :class:`_aws.AwsError` when a read fails.

    ``adopted``: the adopted blue slot (found by name, :func:`adopted_gate`), listed first unless in standby."""
    providers = {cp.asg_arn: cp for cp in _aws.cluster_capacity_providers(region, cluster) if cp.asg_arn}
    asgs = [g for g in _aws.asgs_with_tag(region, tags.FLEET, pair) if g.arn in providers]
    registered = {ci.ec2_instance_id: ci for ci in _aws.container_instances(region, cluster)}
    gates = [_gate(region, cluster, asg, providers[asg.arn], registered, lock) for asg in asgs]
    if adopted is not None:
        for g in gates:
            if g.slot == "blue":
                g.reasons.append(
                    f"a Bottlerocket blue slot of the pair next to the adopted {adopted.capacity_provider}"
                )
        gates.insert(0, adopted)
    slot_of = {g.capacity_provider: g.slot for g in gates if g.capacity_provider}
    uses = []
    for svc in _aws.services(region, cluster):
        if svc.status != "ACTIVE":
            continue
        slots = tuple(sorted({slot_of[p] for p in svc.capacity_providers if p in slot_of}))
        if slots or (not svc.capacity_providers and svc.launch_type == "EC2"):
            uses.append(ServiceUse(svc.name, svc.capacity_providers, svc.launch_type, slots))
    return EcsPair(gates, uses)


def adopted_gate(slot: _adopted.AdoptedSlot) -> EcsSlotGate:
    """The gate of an adopted capacity provider, as a slot: health and ready capacity only (not Bottlerocket)."""
    return EcsSlotGate(
        slot="blue",
        asg=slot.asg or "?",
        capacity_provider=slot.capacity_provider or slot.name,
        min_size=slot.min_size,
        max_size=slot.max_size,
        desired=slot.desired,
        ready=slot.ready or 0,
        instances=list(slot.instances),
        protected_instances=[],
        new_instances_protected=False,
        managed_termination_protection=None,
        container_instances_active=0,
        running_tasks=slot.running_tasks,
        variant=None,
        reasons=list(slot.reasons),
        adopted=True,
        standby=slot.standby.to_tag() if slot.standby else None,
    )


def _gate(  # noqa: PLR0917 - one private call site
    region: str,
    cluster: str,
    asg: _aws.AsgInfo,
    provider: _aws.CapacityProviderInfo,
    registered: dict[str, _aws.ContainerInstanceInfo],
    lock: Lockfile,
) -> EcsSlotGate:
    ready = [i for i in asg.instances if i.ready]
    mine = [registered[i.instance_id] for i in asg.instances if i.instance_id in registered]
    g = EcsSlotGate(
        slot=asg.tags.get(tags.SLOT, "?"),
        asg=asg.name,
        capacity_provider=provider.name,
        min_size=asg.min_size,
        max_size=asg.max_size,
        desired=asg.desired_capacity,
        ready=len(ready),
        instances=[i.instance_id for i in asg.instances],
        protected_instances=[i.instance_id for i in asg.instances if i.protected_from_scale_in],
        new_instances_protected=asg.new_instances_protected_from_scale_in,
        managed_termination_protection=provider.managed_termination_protection,
        container_instances_active=sum(1 for ci in mine if ci.status == "ACTIVE"),
        running_tasks=sum(ci.running_tasks for ci in mine),
        variant=asg.tags.get(tags.VARIANT),
    )
    if g.slot not in SLOTS:
        g.reasons.append(f"tag {tags.SLOT} is {g.slot!r}, expected blue or green")
    if g.retiring:  # only what is left matters; `next` reports instances and tasks still there
        return g
    if g.ready < g.desired:
        g.reasons.append(f"{g.ready}/{g.desired} desired instances ready (InService and Healthy)")
    for inst in ready:
        ci = registered.get(inst.instance_id)
        if ci is None:
            g.reasons.append(f"instance {inst.instance_id} is not a container instance of cluster {cluster}")
        elif ci.status != "ACTIVE":
            g.reasons.append(f"container instance of {inst.instance_id} is {ci.status}, expected ACTIVE")
    _image_gate(region, asg, lock, g)
    return g


def _image_gate(region: str, asg: _aws.AsgInfo, lock: Lockfile, g: EcsSlotGate) -> None:
    if not g.variant:
        g.reasons.append(f"tag {tags.VARIANT} missing: cannot find the pin")
        return
    if not (asg.launch_template_id or asg.launch_template_name):
        g.reasons.append("the Auto Scaling group uses no launch template")
        return
    found = launch_template_image(
        region, lock, g.variant, asg.launch_template_id, asg.launch_template_name, asg.launch_template_version, asg.tags
    )
    if judge_launch_template_image(g, found, "launch template image") is None:
        return
    in_service = [i.instance_id for i in asg.instances if i.lifecycle_state == "InService"]
    stale = [i for i in _aws.describe_instances(region, in_service) if i.image_id != g.expected]
    if stale:
        g.reasons.append("instances on another image: " + ", ".join(f"{i.instance_id} ({i.image_id})" for i in stale))
