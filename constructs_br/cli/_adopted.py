"""An adopted blue slot (``--adopt nodegroup/<name>`` | ``asg/<name>`` | ``capacity-provider/<name>``): a group this
app did not create, found **by name** (never by tag), gated and moved through the AWS APIs by ``brctl cutover``.

Gate: the group exists; a node group is ``ACTIVE`` without health issues; at least its desired count of instances
is ``InService`` and ``Healthy`` (a capacity provider: in its Auto Scaling group). No image gate: it is not
Bottlerocket. A group in *standby* (sizes recorded, scaled to zero) is judged by nothing but its record.

Actions (``brctl cutover adopted ACTION``), each idempotent:

``taint``    node group: ``eks:UpdateNodegroupConfig`` ``taints.addOrUpdateTaints`` with the library's outgoing taint
             (:data:`TAINT`); self-managed ASG: cordon its nodes through the Kubernetes API (needs ``--kubeconfig``).
``untaint``  the reverse (``taints.removeTaints`` / uncordon).
``standby``  record the current sizes in the tag :data:`STANDBY_TAG` (``eks:TagResource`` /
             ``autoscaling:CreateOrUpdateTags``), then scale to zero (``UpdateNodegroupConfig`` ``scalingConfig``
             min 0 / desired 0; ``UpdateAutoScalingGroup`` ``MinSize`` / ``DesiredCapacity`` 0). RefusedError while the
             outgoing group still takes work: an untainted node group, pods left on its nodes (with
             ``--kubeconfig``), services or tasks on an adopted capacity provider.
``restore``  scale back to the recorded sizes, clear the record (the tag's value becomes empty), then untaint.

Nothing here calls a ``Delete*`` (or ``Untag*``) API: the group, its tags and its capacity provider stay its owner's.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from constructs_br.bluegreen.adopt import AdoptedGroup, AdoptKind
from constructs_br.cli import _aws, _kube

STANDBY_TAG: Final = "constructs-br/standby-sizes"
"""Tag on an adopted group in standby: ``min=<n>,desired=<n>,max=<n>`` before brctl scaled it to zero (empty: none)."""

TAINT: Final = _aws.Taint(key="constructs-br/cutover", value="outgoing", effect="NO_SCHEDULE")
"""The outgoing taint in EKS API terms: the same key and value the library's template puts on an outgoing slot
(``constructs_br.eks.pair.CUTOVER_TAINT_KEY``; a test keeps them equal)."""

ACTIONS: Final = ("taint", "untaint", "standby", "restore")
"""What ``brctl cutover adopted`` can do to an adopted group."""

_SIZES = re.compile(r"^min=(\d+),desired=(\d+),max=(\d+)$")


class RefusedError(RuntimeError):
    """The action is not safe (or not possible) in the group's present state; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Sizes:
    """An adopted group's sizes before standby."""

    min_size: int
    desired: int
    max_size: int

    def to_tag(self) -> str:
        return f"min={self.min_size},desired={self.desired},max={self.max_size}"

    @staticmethod
    def from_tag(value: str | None) -> Sizes | None:
        """The record in a :data:`STANDBY_TAG` value; ``None`` for no tag, an empty (cleared) or unreadable one."""
        match = _SIZES.match((value or "").strip())
        return Sizes(*(int(g) for g in match.groups())) if match else None


@dataclass(slots=True)
class AdoptedSlot:
    """What ``brctl`` read about an adopted group, and its gate."""

    ref: str
    kind: str
    name: str
    exists: bool
    slot: str = "blue"
    status: str | None = None
    health_issues: list[str] = field(default_factory=list)
    min_size: int = 0
    desired: int = 0
    max_size: int = 0
    ready: int | None = None
    asg: str | None = None
    arn: str | None = None
    capacity_provider: str | None = None
    instances: list[str] = field(default_factory=list)
    tainted: bool | None = None
    """Node group: the outgoing taint is on it (EKS API); ``None`` for kinds EKS does not taint."""
    standby: Sizes | None = None
    running_tasks: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def in_standby(self) -> bool:
        return self.standby is not None

    @property
    def state(self) -> str:
        """``missing`` | ``standby`` | ``outgoing`` (tainted) | ``serving``."""
        if not self.exists:
            return "missing"
        if self.in_standby:
            return "standby"
        return "outgoing" if self.tainted else "serving"

    @property
    def ok(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["standby"] = self.standby.to_tag() if self.standby else None
        return {**data, "adopted": True, "state": self.state, "ok": self.ok}


def read(region: str, cluster: str, group: AdoptedGroup) -> AdoptedSlot:
    """Find ``group`` by name and gate it; raises :class:`_aws.AwsError` when a read fails."""
    slot = AdoptedSlot(ref=group.ref, kind=group.kind.value, name=group.name, exists=False)
    if group.kind is AdoptKind.EKS_NODEGROUP:
        _read_nodegroup(region, cluster, group.name, slot)
    elif group.kind is AdoptKind.ASG:
        asg = _aws.asg_by_name(region, group.name)
        if asg is None:
            slot.reasons.append(f"adopted Auto Scaling group {group.name} not found in {region}")
        else:
            _from_asg(slot, asg)
    else:
        _read_capacity_provider(region, cluster, group.name, slot)
    if slot.exists and not slot.in_standby and slot.ready is not None and slot.ready < slot.desired:
        slot.reasons.append(f"{slot.ready}/{slot.desired} desired nodes ready (InService and Healthy)")
    return slot


def _read_nodegroup(region: str, cluster: str, name: str, slot: AdoptedSlot) -> None:
    ng = _aws.describe_nodegroup(region, cluster, name)
    if ng is None:
        slot.reasons.append(f"adopted node group {name} not found in cluster {cluster}")
        return
    slot.exists = True
    slot.status, slot.health_issues, slot.arn = ng.status, list(ng.health_issues), ng.arn
    slot.min_size, slot.desired, slot.max_size = ng.min_size, ng.desired_size, ng.max_size
    slot.tainted = TAINT in ng.taints
    slot.standby = Sizes.from_tag(ng.tags.get(STANDBY_TAG))
    slot.asg = ng.autoscaling_groups[0] if ng.autoscaling_groups else None
    if ng.status != "ACTIVE":
        slot.reasons.append(f"status {ng.status}, expected ACTIVE")
    if ng.health_issues:
        slot.reasons.append("health issues: " + "; ".join(ng.health_issues))
    if slot.asg is None:
        if not slot.in_standby:
            slot.reasons.append("no Auto Scaling group reported")
        return
    asg = _aws.asg_by_name(region, slot.asg)
    if asg is None:
        if not slot.in_standby:
            slot.reasons.append(f"ASG not found: {slot.asg}")
        return
    slot.instances = [i.instance_id for i in asg.instances]
    slot.ready = sum(1 for i in asg.instances if i.ready)


def _from_asg(slot: AdoptedSlot, asg: _aws.AsgInfo) -> None:
    slot.exists = True
    slot.asg, slot.arn = asg.name, asg.arn
    slot.min_size, slot.desired, slot.max_size = asg.min_size, asg.desired_capacity, asg.max_size
    slot.instances = [i.instance_id for i in asg.instances]
    slot.ready = sum(1 for i in asg.instances if i.ready)
    slot.standby = Sizes.from_tag(asg.tags.get(STANDBY_TAG))


def _read_capacity_provider(region: str, cluster: str, name: str, slot: AdoptedSlot) -> None:
    provider = _aws.describe_capacity_provider(region, name)
    if provider is None:
        slot.reasons.append(f"adopted capacity provider {name} not found in {region}")
        return
    slot.capacity_provider = name
    if not provider.asg_arn:
        slot.reasons.append(f"capacity provider {name} has no Auto Scaling group")
        return
    asg = _aws.asg_by_name(region, _aws.asg_name_from_arn(provider.asg_arn))
    if asg is None:
        slot.reasons.append(f"ASG of capacity provider {name} not found: {provider.asg_arn}")
        return
    _from_asg(slot, asg)
    slot.status = provider.status
    mine = set(slot.instances)
    slot.running_tasks = sum(
        ci.running_tasks for ci in _aws.container_instances(region, cluster) if ci.ec2_instance_id in mine
    )


# --- actions ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Kube:
    """Where to reach the cluster's Kubernetes API (``--kubeconfig``), if given."""

    kubeconfig: str | None = None
    context: str | None = None


def act(region: str, cluster: str, slot: AdoptedSlot, action: str, kube: Kube) -> list[str]:
    """Do ``action`` (one of :data:`ACTIONS`) to the adopted group; what was done, one line each. Raises
    :class:`RefusedError` when the group's state does not allow it, :class:`_aws.AwsError` / :class:`_kube.KubeError`
    when a call fails."""
    if not slot.exists:
        raise RefusedError("; ".join(slot.reasons) or f"{slot.ref} not found")
    if action == "taint":
        return _taint(region, cluster, slot, kube, on=True)
    if action == "untaint":
        return _taint(region, cluster, slot, kube, on=False)
    if action == "standby":
        return _standby(region, cluster, slot, kube)
    return _restore(region, cluster, slot, kube)


def _taint(region: str, cluster: str, slot: AdoptedSlot, kube: Kube, *, on: bool) -> list[str]:
    word = "tainted" if on else "untainted"
    if slot.kind == AdoptKind.EKS_NODEGROUP.value:
        if slot.tainted is on:
            return [f"{slot.ref}: already {word} ({TAINT.key}={TAINT.value}:{TAINT.effect})"]
        kwargs = {"add": [TAINT]} if on else {"remove": [TAINT]}
        update = _aws.update_nodegroup_taints(region, cluster, slot.name, **kwargs)
        slot.tainted = on
        return [f"{slot.ref}: {word} through eks:UpdateNodegroupConfig (update {update})"]
    if slot.kind == AdoptKind.ASG.value:
        if kube.kubeconfig is None:
            raise RefusedError(
                f"{slot.ref}: a self-managed group has no EKS taint; pass --kubeconfig to "
                f"{'cordon' if on else 'uncordon'} its nodes through the Kubernetes API"
            )
        nodes = _kube.set_unschedulable(kube.kubeconfig, kube.context, slot.instances, on)
        return [f"{slot.ref}: {'cordoned' if on else 'uncordoned'} {len(nodes)} node(s): {', '.join(nodes) or '-'}"]
    raise RefusedError(
        f"{slot.ref}: an ECS capacity provider takes no taint; the deploy of the two-slot phase gives it weight 0"
    )


def _remaining(slot: AdoptedSlot, kube: Kube) -> list[_kube.RemainingPod] | None:
    if kube.kubeconfig is None:
        return None
    if slot.kind == AdoptKind.EKS_NODEGROUP.value:
        _, remaining = _kube.remaining_pods(kube.kubeconfig, kube.context, [slot.name])
    else:
        _, remaining = _kube.remaining_pods_on_instances(kube.kubeconfig, kube.context, slot.instances)
    return remaining


def _standby(region: str, cluster: str, slot: AdoptedSlot, kube: Kube) -> list[str]:
    if slot.in_standby and slot.desired == 0 and slot.min_size == 0:
        assert slot.standby is not None
        return [f"{slot.ref}: already in standby (scaled to zero; {STANDBY_TAG}={slot.standby.to_tag()})"]
    if slot.kind == AdoptKind.EKS_NODEGROUP.value and not slot.tainted:
        raise RefusedError(f"{slot.ref} still takes new pods: run `brctl cutover adopted taint` and drain it first")
    if slot.kind == AdoptKind.ECS_CAPACITY_PROVIDER.value:
        users = [
            s.name for s in _aws.services(region, cluster) if s.status == "ACTIVE" and slot.name in s.capacity_providers
        ]
        if users:
            raise RefusedError(f"{slot.ref}: services still use it: {', '.join(users)}; move them first (cutover next)")
        if slot.running_tasks:
            raise RefusedError(f"{slot.ref}: {slot.running_tasks} task(s) still run on its container instances")
    done: list[str] = []
    remaining = _remaining(slot, kube)
    if remaining:
        raise RefusedError(
            f"{slot.ref}: {len(remaining)} pod(s) still to evict, e.g. {remaining[0].namespace}/{remaining[0].name} "
            f"on {remaining[0].node}; drain it first"
        )
    if remaining is None and slot.kind != AdoptKind.ECS_CAPACITY_PROVIDER.value:
        done.append(f"{slot.ref}: pods not checked (no --kubeconfig): drain it before this step")
    record = slot.standby or Sizes(slot.min_size, slot.desired, slot.max_size)
    if slot.kind == AdoptKind.EKS_NODEGROUP.value:
        assert slot.arn
        _aws.tag_nodegroup(region, slot.arn, {STANDBY_TAG: record.to_tag()})
        _aws.update_nodegroup_scaling(region, cluster, slot.name, min_size=0, desired=0, max_size=max(slot.max_size, 1))
    else:
        assert slot.asg
        _aws.tag_asg(region, slot.asg, {STANDBY_TAG: record.to_tag()})
        _aws.update_asg_sizes(region, slot.asg, min_size=0, desired=0)
    slot.standby, slot.min_size, slot.desired = record, 0, 0
    done.append(f"{slot.ref}: sizes recorded ({STANDBY_TAG}={record.to_tag()}); scaled to zero (min 0, desired 0)")
    return done


def _restore(region: str, cluster: str, slot: AdoptedSlot, kube: Kube) -> list[str]:
    record = slot.standby
    if record is None:
        raise RefusedError(f"{slot.ref}: no sizes recorded ({STANDBY_TAG}): it is not in standby; nothing to restore")
    done: list[str] = []
    if slot.kind == AdoptKind.EKS_NODEGROUP.value:  # untaint first: nodes EKS launches now must not carry it
        assert slot.arn
        done += _taint(region, cluster, slot, kube, on=False)
        max_size = max(record.max_size, record.desired, 1)
        _aws.update_nodegroup_scaling(
            region, cluster, slot.name, min_size=record.min_size, desired=record.desired, max_size=max_size
        )
        _aws.tag_nodegroup(region, slot.arn, {STANDBY_TAG: ""})
    else:
        assert slot.asg
        _aws.update_asg_sizes(region, slot.asg, min_size=record.min_size, desired=record.desired)
        _aws.tag_asg(region, slot.asg, {STANDBY_TAG: ""})
    slot.standby, slot.min_size, slot.desired = None, record.min_size, record.desired
    done.append(f"{slot.ref}: restored to min {record.min_size}, desired {record.desired}; record cleared")
    if slot.kind == AdoptKind.ASG.value:
        done.append(f"{slot.ref}: new nodes join schedulable; uncordon any old ones (`adopted untaint --kubeconfig`)")
    return done
