"""``brctl cutover``: the gate between blue/green phases of a pair (see ``docs/blue-green.md``).

``--kind eks`` (default): the pair's EKS node groups (gate in :mod:`constructs_br.cli._eks_gate`); ``--kind ecs``
(or ``--ecs``): the pair's ECS capacity, Auto Scaling groups behind capacity providers of the ECS cluster, and the
services still on them (:mod:`constructs_br.cli._ecs_gate`). Either way a slot must run the image
:func:`constructs_br.bluegreen.expected_pin` names for its ``constructs-br:image-version`` tag — the rule
``brctl drift`` uses too.

``status``  the gate per slot (table or ``--json``).
``next``    refuses while the gate fails (and says why); otherwise prints the step to take now and the exact context
            change and deploy command. From a two-slot phase the outgoing slot's work moves first: EKS prints the
            ``kubectl drain`` for its nodes and, with ``--kubeconfig``, refuses while pods remain there; ECS refuses
            while services still use the outgoing capacity provider (printing ``aws ecs update-service`` for each),
            then has the slot *retire* in a deploy of its own, and refuses while instances remain on it. It also
            prints the rollback.

Stage names, stack names and context-key templates come from the app's ``[tool.brctl]`` table (``--project``).
Exit 0 gate passed, 1 gate failed (or an AWS / Kubernetes read failed, or no slots), 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from typing import Any, cast

from constructs_br import tags
from constructs_br.bluegreen import (
    ADOPTED_PHASES,
    ECS_KINDS,
    EKS_KINDS,
    RETIRE,
    AdoptedGroup,
    Phase,
    incoming_slot,
    live_slot,
    next_phase,
    outgoing_slot,
    parse_pair_phase,
    parse_phase,
    rollback_phase,
    slots_present,
)
from constructs_br.cli import _adopted, _aws, _ecs_gate, _eks_gate, _kube, _output
from constructs_br.cli import _project as project_module
from constructs_br.cli._assembly import ECS as ECS_ROLE
from constructs_br.cli._assembly import NODES, deploy_stack_name
from constructs_br.cli._project import ProjectConfig, load_project
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import DEFAULT_LOCKFILE, Lockfile, validate_region

EKS = "eks"
ECS = "ecs"


# --- the plan `next` prints ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class Step:
    """One thing for the operator to do: a sentence and the exact commands or ``cdk.json`` lines."""

    text: str
    lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "lines": self.lines}


@dataclass(slots=True)
class Plan:
    """What ``next`` says: refuse (``ok`` False, ``reasons``) or advance; the steps to take either way."""

    kind: str
    current: Phase | None
    upcoming: Phase | None = None
    action: str | None = None
    """``phase`` | ``retire`` | ``move-services`` | ``wait`` | ``drain`` | ``none``."""
    context: dict[str, Any] = field(default_factory=dict)
    """The ``cdk.json`` context changes of this step (``None``: remove the key)."""
    command: str | None = None
    steps: list[Step] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    rollback: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    current_text: str | None = None
    """The current phase as written when it is no :class:`Phase` (``retire``)."""
    upcoming_text: str | None = None
    """The next phase as written when it is no :class:`Phase` (``retire``)."""

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def current_value(self) -> str | None:
        return self.current_text or (self.current.value if self.current else None)

    @property
    def upcoming_value(self) -> str | None:
        return self.upcoming_text or (self.upcoming.value if self.upcoming else None)

    def to_dict(self) -> dict[str, Any]:
        main = next(iter(self.context.items()), (None, None))
        return {
            "ok": self.ok,
            "kind": self.kind,
            "current": self.current_value,
            "next": self.upcoming_value,
            "action": self.action,
            "context_key": main[0],
            "context_value": main[1],
            "context": self.context,
            "command": self.command,
            "steps": [s.to_dict() for s in self.steps],
            "reasons": self.reasons,
            "rollback": self.rollback,
            **({"message": self.message} if self.message else {}),
            **self.extra,
        }


def _context_lines(context: dict[str, Any]) -> list[str]:
    return [
        f"{json.dumps(k)}: {json.dumps(v)}" if v is not None else f"remove {json.dumps(k)}" for k, v in context.items()
    ]


def _context_step(context: dict[str, Any]) -> Step:
    return Step('In cdk.json, under "context", set:', _context_lines(context))


def _deploy_step(command: str) -> Step:
    return Step("Commit, then run:", [command])


def _print_plan(plan: Plan, region: str) -> None:
    if plan.message:
        print(plan.message)
        return
    if plan.ok:
        print(f"gate OK ({region}): phase {plan.current_value} -> {plan.upcoming_value}")
    for i, step in enumerate(plan.steps, 1):
        print(f"{i}. {step.text}")
        for line in step.lines:
            print(f"     {line}")
    if plan.rollback:
        print(f"Rollback instead (back to phase {plan.rollback['phase']}):")
        for i, back in enumerate(cast(list[dict[str, Any]], plan.rollback["steps"]), 1):
            print(f"  {i}. {back['text']}")
            for line in back["lines"]:
                print(f"       {line}")
    if not plan.ok:
        _output.error("gate failed; not advancing:\n  " + "\n  ".join(plan.reasons))


# --- shared command plumbing ------------------------------------------------------------------------------------------
def _region(args: argparse.Namespace) -> str:
    region = cast(str | None, args.region) or _aws.default_region()
    if not region:
        raise ConfigError("--region", None, "an AWS region", "none configured; pass --region or set AWS_REGION")
    return validate_region(region, field="--region")


def _project(args: argparse.Namespace) -> ProjectConfig:
    return load_project(cast(str | None, getattr(args, "project", None)))


def _lockfile(args: argparse.Namespace, project: ProjectConfig) -> Lockfile:
    """The lockfile; with ``--stage`` and a v2 lockfile reader (``_project.stage_lockfile``), that stage's channel."""
    path = cast(str | None, args.lockfile) or project.path(project.lockfile)
    stage = cast(str | None, getattr(args, "stage", None))
    reader = getattr(project_module, "stage_lockfile", None)
    if stage is not None and reader is not None:
        return cast(Lockfile, reader(project, path, stage))
    return Lockfile.load(path)


def _deploy(project: ProjectConfig, stage: str, role: str, region: str | None = None) -> str:
    """The deploy command for a stage's stack of ``role`` (``nodes``: the EKS node groups, ``Br<Stage>Nodes``;
    ``ecs``): in ``region``, the stack the app's synthesized assembly has there (``Br<Stage>Nodes-<region>`` in a
    secondary region); without an assembly that knows the region, the primary name."""
    return f"npx cdk deploy {deploy_stack_name(project, stage, role, project.path(project.assembly), region)}"


def _eks_deploy(project: ProjectConfig, stage: str, region: str | None = None) -> str:
    """The deploy command for a pair's node groups: the stage's ``nodes-stack`` (``Br<Stage>Nodes``)."""
    return _deploy(project, stage, NODES, region)


def _args_region(args: argparse.Namespace) -> str | None:
    return cast(str | None, getattr(args, "region", None)) or _aws.default_region()


def _adopt(args: argparse.Namespace) -> AdoptedGroup | None:
    value = cast(str | None, getattr(args, "adopt", None))
    if value is None:
        return None
    return AdoptedGroup.parse(value, "--adopt", ECS_KINDS if args.kind == ECS else EKS_KINDS)


def _adopted_command(args: argparse.Namespace, action: str, *extra: str) -> str:
    kind = " --ecs" if args.kind == ECS else ""
    region = f" --region {args.region}" if args.region else ""
    return (
        f"brctl cutover adopted {action} --cluster {args.cluster} --pair {args.pair} --adopt {args.adopt}{kind}{region}"
        + "".join(f" {e}" for e in extra)
    )


def _current_phase(args: argparse.Namespace, present: set[str]) -> Phase:
    if args.phase:
        return parse_phase(args.phase, "--phase")
    if present == {"blue"}:
        return Phase.BLUE
    if present == {"green"}:
        return Phase.GREEN
    raise ConfigError(
        "--phase",
        None,
        "the current phase (blue | blue+green | green | green+blue)",
        f"slots present: {', '.join(sorted(present)) or 'none'}; cannot infer it",
    )


def _phase_check(current: Phase, present: set[str]) -> list[str]:
    if present and sorted(present) != sorted(slots_present(current)):
        return [
            f"phase {current} expects slot(s) {', '.join(slots_present(current))}, "
            f"found {', '.join(sorted(present))}: deploy the current phase first"
        ]
    return []


def _single_slot_plan(  # noqa: PLR0917 - one call per kind, all positional facts of the gate
    kind: str,
    current: Phase,
    upcoming: Phase,
    key: str,
    command: str,
    expected_version: str | None,
    lockfile_pin: str | None,
) -> Plan:
    """From a single-slot phase: nothing to do while the live slot runs the lockfile's current pin, else the next
    phase's context change and deploy (EKS and ECS alike)."""
    idle = _nothing_to_advance(current, kind, expected_version, lockfile_pin)
    if idle is not None:
        return idle
    context: dict[str, Any] = {key: upcoming.value}
    return Plan(
        kind=kind,
        current=current,
        upcoming=upcoming,
        action="phase",
        context=context,
        command=command,
        steps=[_context_step(context), _deploy_step(command)],
    )


def _nothing_to_advance(current: Phase, kind: str, version: str | None, lockfile_pin: str | None) -> Plan | None:
    """A single-slot phase whose slot already runs the lockfile's current pin has nothing to roll out."""
    if lockfile_pin is None or version != lockfile_pin:
        return None
    return Plan(
        kind=kind,
        current=current,
        action="none",
        message=(
            f"nothing to advance: phase {current}, slot {live_slot(current)} already runs the lockfile's current pin "
            f"{lockfile_pin}; run `brctl pins refresh` first to roll out a new image"
        ),
    )


def _emit(args: argparse.Namespace, region: str, plan: Plan) -> int:
    if args.json:
        _output.emit_json(plan.to_dict())
    else:
        _print_plan(plan, region)
    return EXIT_OK if plan.ok else EXIT_CHECK_FAILED


# --- EKS -------------------------------------------------------------------------------------------------------------
def _evaluate_eks(args: argparse.Namespace, region: str, lock: Lockfile) -> tuple[list[_eks_gate.SlotGate], str | None]:
    group = _adopt(args)
    try:
        nodegroups = _eks_gate.pair_nodegroups(region, args.cluster, args.pair)
        if not nodegroups and group is None:
            return [], f"no node groups tagged {tags.FLEET}={args.pair} in cluster {args.cluster}"
        gates = [_eks_gate.gate(region, ng, lock) for ng in nodegroups]
        if group is not None:
            for g in gates:
                if g.slot == "blue":
                    g.reasons.append(f"a Bottlerocket blue slot of the pair next to the adopted {group.ref}")
            gates.insert(0, _eks_gate.adopted_gate(_adopted.read(region, args.cluster, group)))
        return gates, None
    except _aws.AwsError as exc:
        return [], str(exc)


def _print_eks_table(args: argparse.Namespace, gates: list[_eks_gate.SlotGate]) -> None:
    _output.table(
        f"Cutover gate: pair {args.pair} in cluster {args.cluster}",
        ["slot", "nodegroup", "status", "health", "ready/desired", "release/image", "expected", "gate"],
        [
            (
                g.slot,
                g.nodegroup,
                g.status,
                "; ".join(g.health_issues) or "ok",
                f"{'?' if g.ready is None else g.ready}/{g.desired}",
                g.actual,
                (g.expected or "?") + (f" (lockfile {g.lockfile_pin})" if g.lockfile_pin else ""),
                "OK" if g.ok else "FAIL: " + "; ".join(g.reasons),
            )
            for g in gates
        ],
    )


def _eks_status(args: argparse.Namespace, region: str, lock: Lockfile) -> int:
    gates, err = _evaluate_eks(args, region, lock)
    ok = err is None and all(g.ok for g in gates)
    if args.json:
        _output.emit_json(
            {
                "kind": EKS,
                "cluster": args.cluster,
                "pair": args.pair,
                "region": region,
                "ok": ok,
                "error": err,
                "nodegroups": [g.to_dict() for g in gates],
            }
        )
    elif err is not None:
        _output.error(err)
    else:
        _print_eks_table(args, gates)
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def _eks_plan(
    args: argparse.Namespace, project: ProjectConfig, gates: list[_eks_gate.SlotGate], current: Phase
) -> Plan:
    stage = args.stage
    command = _eks_deploy(project, stage, _args_region(args))
    key = project.pair_context_key(stage, args.pair, "phase")
    upcoming = next_phase(current)
    outgoing = outgoing_slot(current)
    if outgoing is None:
        live = next(g for g in gates if g.slot == live_slot(current))
        return _single_slot_plan(EKS, current, upcoming, key, command, live.expected_version, live.lockfile_pin)

    incoming = incoming_slot(current)
    out_ngs = [g.nodegroup for g in gates if g.slot == outgoing]
    in_ngs = [g.nodegroup for g in gates if g.slot == incoming]
    drain = Step(
        f"Drain the outgoing slot {outgoing}, one node at a time (eviction API: PodDisruptionBudgets respected):",
        [_kube.drain_command(ng) for ng in out_ngs],
    )
    context = {key: upcoming.value}
    plan = Plan(kind=EKS, current=current, upcoming=upcoming, action="phase", context=context, command=command)
    back = rollback_phase(current)
    assert back is not None
    back_context = {key: back.value}
    plan.rollback = {
        "phase": back.value,
        "context_key": key,
        "context_value": back.value,
        "steps": [
            s.to_dict()
            for s in (
                Step(f"Let pods return to {outgoing}: lift its taint", [_kube.untaint_command(ng) for ng in out_ngs]),
                Step(
                    f"Drain the incoming slot {incoming}, one node at a time:",
                    [_kube.drain_command(ng) for ng in in_ngs],
                ),
                _context_step(back_context),
                _deploy_step(command),
            )
        ],
    }
    if args.kubeconfig is None:
        drain.lines.append(f"(brctl did not look at the pods: pass --kubeconfig to check that {outgoing} is drained)")
        plan.steps = [drain, _context_step(context), _deploy_step(command)]
        plan.extra["drain"] = {"commands": [_kube.drain_command(ng) for ng in out_ngs], "checked": False}
        return plan
    try:
        nodes, remaining = _kube.remaining_pods(args.kubeconfig, args.kube_context, out_ngs)
    except _kube.KubeError as exc:
        plan.steps = [drain]
        plan.action = "drain"
        plan.reasons.append(str(exc))
        return plan
    plan.extra["drain"] = {
        "commands": [_kube.drain_command(ng) for ng in out_ngs],
        "checked": True,
        "nodes": nodes,
        "remaining_pods": [
            {"namespace": p.namespace, "name": p.name, "node": p.node, "reason": p.reason} for p in remaining
        ],
    }
    if remaining:
        plan.action = "drain"
        plan.steps = [drain]
        plan.reasons.extend(
            f"{outgoing}: pod {p.namespace}/{p.name} still on node {p.node} ({p.reason})" for p in remaining
        )
        return plan
    drain.text = f"Drained: no pods left to evict on the {len(nodes)} node(s) of the outgoing slot {outgoing}."
    drain.lines = []
    plan.steps = [drain, _context_step(context), _deploy_step(command)]
    return plan


def _eks_next(args: argparse.Namespace, project: ProjectConfig, region: str, lock: Lockfile) -> int:
    if args.adopt:
        return _adopted_next(args, project, region, lock)
    gates, err = _evaluate_eks(args, region, lock)
    reasons: list[str] = [err] if err else []
    reasons.extend(f"{g.slot} ({g.nodegroup}): {r}" for g in gates for r in g.reasons)
    current: Phase | None = None
    present = {g.slot for g in gates}
    if not reasons or args.phase:
        current = _current_phase(args, present)
        reasons[:0] = _phase_check(current, present) if gates else []
    if reasons:
        if not args.json and gates:
            _print_eks_table(args, gates)
        plan = Plan(kind=EKS, current=current, reasons=reasons, extra={"nodegroups": [g.to_dict() for g in gates]})
        return _emit(args, region, plan)
    assert current is not None
    plan = _eks_plan(args, project, gates, current)
    if not plan.ok:
        plan.extra["nodegroups"] = [g.to_dict() for g in gates]
    return _emit(args, region, plan)


# --- an adopted blue (``--adopt``): EKS and ECS ------------------------------------------------------------------
@dataclass(slots=True)
class _AdoptedView:
    """The adopted slot and the pair's Bottlerocket green, whichever kind."""

    ref: str
    kind: str
    standby: bool
    tainted: bool | None
    instances: list[str]
    green: list[str]
    """EKS: green's node groups; ECS: green's capacity provider."""
    gates: list[dict[str, Any]]


def _adopted_phase(args: argparse.Namespace, view: _AdoptedView) -> tuple[Phase, bool]:
    if args.phase:
        return parse_pair_phase(args.phase, "--phase", adopted=True)
    if not view.green and not view.standby:
        return Phase.BLUE, False
    if view.green and view.standby:
        return Phase.GREEN, False
    raise ConfigError(
        "--phase",
        None,
        ADOPTED_PHASES,
        f"the adopted {view.ref} serves next to green; cannot infer the phase",
    )


def _adopted_phase_check(view: _AdoptedView, current: Phase, retired: bool) -> list[str]:
    name = RETIRE if retired else current.value
    if current is Phase.BLUE and view.green:
        return [f"phase blue expects only the adopted {view.ref}, found green too: deploy the current phase first"]
    if current is not Phase.BLUE and not view.green:
        return [f"phase {name} expects the Bottlerocket green slot, found none: deploy the current phase first"]
    if current in (Phase.BLUE, Phase.GREEN_BLUE) and view.standby:
        return [
            f"the adopted {view.ref} is in standby (scaled to zero) but phase {name} needs it serving: "
            f"run `{'brctl cutover adopted restore'}` first"
        ]
    return []


def _adopted_drain(
    args: argparse.Namespace, plan: Plan, view: _AdoptedView, nodegroups: list[str], *, adopted: bool
) -> Step | None:
    """EKS: the drain of the outgoing side (the adopted group, or green's node groups); refuses while pods remain
    (with ``--kubeconfig``). ``None`` when it refused."""
    if adopted and view.kind == "asg":
        commands = [_kube.instance_drain_command(view.instances)]
    else:
        commands = [_kube.drain_command(ng) for ng in nodegroups]
    who = view.ref if adopted else "green"
    step = Step(f"Drain {who}, one node at a time (eviction API: PodDisruptionBudgets respected):", commands)
    if args.kubeconfig is None:
        step.lines.append(f"(brctl did not look at the pods: pass --kubeconfig to check that {who} is drained)")
        plan.extra["drain"] = {"commands": commands, "checked": False}
        return step
    try:
        if adopted and view.kind == "asg":
            nodes, remaining = _kube.remaining_pods_on_instances(args.kubeconfig, args.kube_context, view.instances)
        else:
            nodes, remaining = _kube.remaining_pods(args.kubeconfig, args.kube_context, nodegroups)
    except _kube.KubeError as exc:
        plan.action, plan.steps = "drain", [step]
        plan.reasons.append(str(exc))
        return None
    plan.extra["drain"] = {
        "commands": commands,
        "checked": True,
        "nodes": nodes,
        "remaining_pods": [{"namespace": p.namespace, "name": p.name, "node": p.node} for p in remaining],
    }
    if remaining:
        plan.action, plan.steps = "drain", [step]
        plan.reasons.extend(f"{who}: pod {p.namespace}/{p.name} still on node {p.node} ({p.reason})" for p in remaining)
        return None
    return Step(f"Drained: no pods left to evict on the {len(nodes)} node(s) of {who}.")


def _adopted_plan(
    args: argparse.Namespace, project: ProjectConfig, view: _AdoptedView, current: Phase, retired: bool
) -> Plan:
    stage, eks = args.stage, args.kind == EKS
    command = _deploy(project, stage, NODES if eks else ECS_ROLE, _args_region(args))
    key = (project.pair_context_key if eks else project.capacity_context_key)(stage, args.pair, "phase")
    plan = Plan(kind=args.kind, current=current, command=command, current_text=RETIRE if retired else None)
    taint = Step(
        f"Taint the adopted {view.ref} through the EKS API (new pods go to green; running pods stay):"
        if view.kind == "eks-nodegroup"
        else f"Cordon the nodes of the adopted {view.ref} through the Kubernetes API:",
        [_adopted_command(args, "taint", *(() if view.kind == "eks-nodegroup" else ("--kubeconfig PATH",)))],
    )
    standby = Step(
        f"Scale the adopted {view.ref} to zero, its sizes recorded on it (it stays, as the standby):",
        [_adopted_command(args, "standby")],
    )
    restore = Step(
        f"Scale the adopted {view.ref} back to its recorded sizes and lift its taint:",
        [_adopted_command(args, "restore")],
    )
    if retired:
        plan.action = "none"
        plan.message = (
            f"nothing to advance: pair {args.pair} is retired; the adopted {view.ref} stays scaled to zero and its "
            "owner may delete it (brctl and this app never delete it)"
        )
        return plan
    if current is Phase.BLUE:
        plan.upcoming, plan.action = Phase.BLUE_GREEN, "phase"
        plan.context = {key: Phase.BLUE_GREEN.value}
        plan.steps = [_context_step(plan.context), _deploy_step(command)]
        if eks:
            taint.text = "When green is ACTIVE: " + taint.text[0].lower() + taint.text[1:]
            plan.steps.append(taint)
        return plan
    if current is Phase.GREEN:
        plan.upcoming_text, plan.action = RETIRE, "phase"
        back = {key: Phase.GREEN_BLUE.value}
        plan.rollback = {
            "phase": Phase.GREEN_BLUE.value,
            "context_key": key,
            "context_value": Phase.GREEN_BLUE.value,
            "steps": [
                s.to_dict()
                for s in (
                    restore,
                    Step("Wait until `brctl cutover status ... --adopt " + str(args.adopt) + "` passes."),
                    _context_step(back),
                    _deploy_step(command),
                )
            ],
        }
        if not view.standby:
            plan.action, plan.steps = "standby", [standby]
            plan.reasons.append(f"the adopted {view.ref} is not in standby (scaled to zero) yet")
            return plan
        plan.context = {key: RETIRE}
        plan.steps = [
            Step(
                f"The adopted {view.ref} stays scaled to zero. `retire` records that its owner may delete it; "
                "brctl and this app never do."
            ),
            _context_step(plan.context),
            _deploy_step(command),
        ]
        return plan
    if current is Phase.BLUE_GREEN:
        plan.upcoming = Phase.GREEN
        plan.context = {key: Phase.GREEN.value}
        back_steps = [Step(f"Let work return to the adopted {view.ref}:", [_adopted_command(args, "untaint")])]
        if view.standby:
            back_steps.insert(0, restore)
        if eks:
            back_steps.append(Step("Drain green:", [_kube.drain_command(ng) for ng in view.green]))
        plan.rollback = {
            "phase": Phase.BLUE.value,
            "context_key": key,
            "context_value": Phase.BLUE.value,
            "steps": [s.to_dict() for s in (*back_steps, _context_step({key: "blue"}), _deploy_step(command))],
        }
        if view.standby:
            plan.action = "phase"
            plan.steps = [Step(f"The adopted {view.ref} is in standby."), _context_step(plan.context)]
            plan.steps.append(_deploy_step(command))
            return plan
        if eks and view.kind == "eks-nodegroup" and not view.tainted:
            plan.action, plan.steps = "taint", [taint]
            plan.reasons.append(
                f"the adopted {view.ref} is not tainted {_kube.CUTOVER_TAINT}: new pods still land on it"
            )
            return plan
        first: list[Step] = []
        if eks:
            drained = _adopted_drain(args, plan, view, [view.ref.split("/", 1)[1]], adopted=True)
            if drained is None:
                return plan
            first = [drained]
        plan.action = "standby"
        plan.steps = [*first, standby, _context_step(plan.context), _deploy_step(command)]
        return plan
    # green+blue: back on the adopted group; green is outgoing (tainted / weight 0 by the template)
    plan.upcoming, plan.action = Phase.BLUE, "phase"
    plan.context = {key: Phase.BLUE.value}
    back_steps = [taint] if eks else []
    if eks:
        back_steps.append(Step(f"Drain the adopted {view.ref}.", []))
    plan.rollback = {
        "phase": Phase.GREEN.value,
        "context_key": key,
        "context_value": Phase.GREEN.value,
        "steps": [s.to_dict() for s in (*back_steps, standby, _context_step({key: "green"}), _deploy_step(command))],
    }
    first = []
    if eks:
        drained = _adopted_drain(args, plan, view, view.green, adopted=False)
        if drained is None:
            return plan
        first = [drained]
    plan.steps = [*first, _context_step(plan.context), _deploy_step(command + "   (green is deleted)")]
    return plan


def _adopted_next(args: argparse.Namespace, project: ProjectConfig, region: str, lock: Lockfile) -> int:
    """``next`` for a pair with an adopted blue (``--adopt``)."""
    if args.kind == EKS:
        gates, err = _evaluate_eks(args, region, lock)
        dicts = [g.to_dict() for g in gates]
        adopted = next((g for g in gates if g.adopted), None)
        greens = [g for g in gates if not g.adopted and g.slot == "green"]
        reasons: list[str] = [err] if err else []
        reasons.extend(f"{g.slot} ({g.nodegroup}): {r}" for g in gates for r in g.reasons)
        instances: list[str] = []
        if adopted is not None and adopted.asg and args.adopt.startswith("asg/"):
            asg = _aws.asg_by_name(region, adopted.asg)
            instances = [i.instance_id for i in asg.instances] if asg else []
        view = _AdoptedView(
            ref=str(args.adopt),
            kind=_adopt(args).kind.value,  # type: ignore[union-attr]
            standby=bool(adopted and adopted.standby),
            tainted=adopted.tainted if adopted else None,
            instances=instances,
            green=[g.nodegroup for g in greens],
            gates=dicts,
        )
    else:
        pair, err = _evaluate_ecs(args, region, lock)
        dicts = [g.to_dict() for g in pair.gates]
        ecs_adopted = next((g for g in pair.gates if g.adopted), None)
        reasons = [err] if err else []
        reasons.extend(f"{g.slot} ({g.asg}): {r}" for g in pair.gates for r in g.reasons)
        view = _AdoptedView(
            ref=str(args.adopt),
            kind="ecs-capacity-provider",
            standby=bool(ecs_adopted and ecs_adopted.standby),
            tainted=None,
            instances=list(ecs_adopted.instances) if ecs_adopted else [],
            green=[str(g.capacity_provider) for g in pair.gates if not g.adopted and g.slot == "green"],
            gates=dicts,
        )
    current: Phase | None = None
    retired = False
    if not reasons or args.phase:
        current, retired = _adopted_phase(args, view)
        reasons[:0] = _adopted_phase_check(view, current, retired)
    if reasons:
        extra_key = "nodegroups" if args.kind == EKS else "slots"
        plan = Plan(kind=args.kind, current=current, reasons=reasons, extra={extra_key: dicts})
        plan.current_text = RETIRE if retired else None
        return _emit(args, region, plan)
    assert current is not None
    if (
        args.kind == ECS
        and current in (Phase.BLUE_GREEN, Phase.GREEN_BLUE)
        and not (current is Phase.BLUE_GREEN and view.standby)
    ):
        plan = _ecs_plan(args, project, pair, current)
    else:
        plan = _adopted_plan(args, project, view, current, retired)
    if not plan.ok:
        plan.extra["nodegroups" if args.kind == EKS else "slots"] = dicts
    return _emit(args, region, plan)


# --- ECS -------------------------------------------------------------------------------------------------------------
def _evaluate_ecs(args: argparse.Namespace, region: str, lock: Lockfile) -> tuple[_ecs_gate.EcsPair, str | None]:
    group = _adopt(args)
    try:
        adopted = None if group is None else _ecs_gate.adopted_gate(_adopted.read(region, args.cluster, group))
        pair = _ecs_gate.evaluate(region, args.cluster, args.pair, lock, adopted)
    except _aws.AwsError as exc:
        return _ecs_gate.EcsPair([], []), str(exc)
    if not pair.gates:
        return pair, (
            f"no Auto Scaling groups tagged {tags.FLEET}={args.pair} behind capacity providers of ECS cluster "
            f"{args.cluster}"
        )
    return pair, None


def _print_ecs_tables(args: argparse.Namespace, pair: _ecs_gate.EcsPair) -> None:
    _output.table(
        f"Cutover gate: ECS capacity pair {args.pair} in cluster {args.cluster}",
        [
            "slot",
            "asg",
            "capacity provider",
            "min/max",
            "ready/desired",
            "active",
            "tasks",
            "image",
            "expected",
            "gate",
        ],
        [
            (
                g.slot + (" (retiring)" if g.retiring else ""),
                g.asg,
                g.capacity_provider,
                f"{g.min_size}/{g.max_size}",
                f"{g.ready}/{g.desired}",
                g.container_instances_active,
                g.running_tasks,
                g.actual,
                (g.expected or "?") + (f" (lockfile {g.lockfile_pin})" if g.lockfile_pin else ""),
                "OK" if g.ok else "FAIL: " + "; ".join(g.reasons),
            )
            for g in pair.gates
        ],
    )
    if pair.services:
        _output.table(
            "Services on the pair's capacity",
            ["service", "capacity provider strategy", "slots"],
            [
                (s.name, ", ".join(s.capacity_providers) or f"launch type {s.launch_type}", ", ".join(s.slots) or "?")
                for s in pair.services
            ],
        )


def _ecs_status(args: argparse.Namespace, region: str, lock: Lockfile) -> int:
    pair, err = _evaluate_ecs(args, region, lock)
    ok = err is None and all(g.ok for g in pair.gates)
    if args.json:
        _output.emit_json(
            {
                "kind": ECS,
                "cluster": args.cluster,
                "pair": args.pair,
                "region": region,
                "ok": ok,
                "error": err,
                "slots": [g.to_dict() for g in pair.gates],
                "services": [s.to_dict() for s in pair.services],
            }
        )
    elif err is not None:
        _output.error(err)
    else:
        _print_ecs_tables(args, pair)
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def _move_command(cluster: str, service: str, provider: str) -> str:
    return (
        f"aws ecs update-service --cluster {cluster} --service {service} "
        f"--capacity-provider-strategy capacityProvider={provider},weight=1 --force-new-deployment"
    )


def _protection_command(asg: str, instances: list[str]) -> str:
    return (
        "aws autoscaling set-instance-protection --no-protected-from-scale-in "
        f"--auto-scaling-group-name {asg} --instance-ids {' '.join(instances)}"
    )


def _ecs_plan(args: argparse.Namespace, project: ProjectConfig, pair: _ecs_gate.EcsPair, current: Phase) -> Plan:
    stage, cluster = args.stage, args.cluster
    command = _deploy(project, stage, ECS_ROLE, _args_region(args))
    key = project.capacity_context_key(stage, args.pair, "phase")
    retire_key = project.capacity_context_key(stage, args.pair, "retire-outgoing")
    upcoming = next_phase(current)
    outgoing = outgoing_slot(current)
    if outgoing is None:
        live = pair.gate(live_slot(current))
        assert live is not None
        return _single_slot_plan(ECS, current, upcoming, key, command, live.expected_version, live.lockfile_pin)

    incoming = incoming_slot(current)
    assert incoming is not None
    out, inc = pair.gate(outgoing), pair.gate(incoming)
    assert out is not None
    assert inc is not None
    out_cp, in_cp = str(out.capacity_provider), str(inc.capacity_provider)
    plan = Plan(kind=ECS, current=current, upcoming=upcoming, command=command)
    back = rollback_phase(current)
    assert back is not None
    back_steps: list[Step] = []
    if out.retiring:
        back_steps += [
            _context_step({retire_key: None}),
            _deploy_step(command + f"   ({outgoing} gets its capacity back)"),
        ]
    on_incoming = [s for s in pair.services if s.uses(incoming)]
    if on_incoming:
        back_steps.append(
            Step(
                f"Move the services back to {outgoing}'s capacity provider {out_cp}:",
                [_move_command(cluster, s.name, out_cp) for s in on_incoming],
            )
        )
    back_steps += [_context_step({key: back.value}), _deploy_step(command)]
    plan.rollback = {
        "phase": back.value,
        "context_key": key,
        "context_value": back.value,
        "steps": [s.to_dict() for s in back_steps],
    }
    services = [{"name": s.name, "capacity_providers": list(s.capacity_providers)} for s in pair.services]
    plan.extra["services"] = services

    on_outgoing = [s for s in pair.services if s.uses(outgoing)]
    launch_type = pair.launch_type_services()
    if on_outgoing:
        plan.action = "move-services"
        plan.steps = [
            Step(
                f"Move each service off {outgoing}'s capacity provider {out_cp} onto {incoming}'s {in_cp}:",
                [_move_command(cluster, s.name, in_cp) for s in on_outgoing],
            )
        ]
        plan.reasons.extend(
            f"service {s.name} still uses the outgoing capacity provider {out_cp} ({outgoing})" for s in on_outgoing
        )
        return plan
    if not out.retiring and out.running_tasks:
        plan.action = "wait"
        step = Step(f"Wait for the tasks on {outgoing} to stop (deployments in progress move them).")
        if launch_type:
            step.text += " Services with launch type EC2 may place tasks anywhere; give them the incoming provider:"
            step.lines = [_move_command(cluster, s.name, in_cp) for s in launch_type]
        plan.steps = [step]
        plan.reasons.append(f"{out.running_tasks} task(s) still run on the container instances of {outgoing}")
        return plan
    if out.adopted:  # not ours to retire: brctl scales it to zero and records its sizes; the deploy drops it
        context_adopted: dict[str, Any] = {key: upcoming.value}
        plan.action = "standby"
        plan.context = context_adopted
        plan.steps = [
            Step(
                f"No service uses {out_cp} any more: scale the adopted provider's Auto Scaling group to zero, its "
                "sizes recorded on it (it stays, as the standby):",
                [_adopted_command(args, "standby")],
            ),
            _context_step(context_adopted),
            _deploy_step(command + f"   ({out_cp} leaves the cluster's provider list; it is not deleted)"),
        ]
        return plan
    if not out.retiring:
        context: dict[str, Any] = {retire_key: True}
        plan.action = "retire"
        plan.context = context
        plan.steps = [
            Step(
                f"No service uses {out_cp} any more: make the outgoing slot {outgoing} deletable (scale to zero, "
                "scale-in and termination protection off) in a deploy of its own."
            ),
            _context_step(context),
            _deploy_step(command),
            Step(f"Then run this command again: it moves to phase {upcoming} once {outgoing} has no instances left."),
        ]
        return plan
    if out.instances:
        plan.action = "wait"
        plan.reasons.append(f"{len(out.instances)} instance(s) remain in {out.asg} ({outgoing}, retiring)")
        if out.protected_instances:
            plan.steps.append(
                Step(
                    f"{len(out.protected_instances)} instance(s) are still protected from scale-in; lift it:",
                    [_protection_command(out.asg, out.protected_instances)],
                )
            )
        else:
            plan.steps.append(Step(f"Wait for the Auto Scaling group {out.asg} to terminate them."))
        return plan
    context = {key: upcoming.value, retire_key: None}
    plan.action = "phase"
    plan.context = context
    plan.steps = [
        Step(f"The outgoing slot {outgoing} is retired and empty."),
        _context_step(context),
        _deploy_step(command),
    ]
    return plan


def _ecs_next(args: argparse.Namespace, project: ProjectConfig, region: str, lock: Lockfile) -> int:
    if args.adopt:
        return _adopted_next(args, project, region, lock)
    pair, err = _evaluate_ecs(args, region, lock)
    reasons: list[str] = [err] if err else []
    reasons.extend(f"{g.slot} ({g.asg}): {r}" for g in pair.gates for r in g.reasons)
    current: Phase | None = None
    present = {g.slot for g in pair.gates}
    if not reasons or args.phase:
        current = _current_phase(args, present)
        reasons[:0] = _phase_check(current, present) if pair.gates else []
    if reasons:
        if not args.json and pair.gates:
            _print_ecs_tables(args, pair)
        plan = Plan(kind=ECS, current=current, reasons=reasons, extra={"slots": [g.to_dict() for g in pair.gates]})
        return _emit(args, region, plan)
    assert current is not None
    plan = _ecs_plan(args, project, pair, current)
    if not plan.ok:
        plan.extra["slots"] = [g.to_dict() for g in pair.gates]
    return _emit(args, region, plan)


# --- commands ------------------------------------------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    project = _project(args)
    region = _region(args)
    lock = _lockfile(args, project)
    return (_ecs_status if args.kind == ECS else _eks_status)(args, region, lock)


def cmd_next(args: argparse.Namespace) -> int:
    project = _project(args)
    project.check_stage(args.stage)
    if args.kind == ECS and args.kubeconfig:
        raise ConfigError("--kubeconfig", args.kubeconfig, "EKS pairs only (--kind eks)")
    if args.phase:  # before any AWS call: retire is only for pairs that adopt a group
        parse_pair_phase(args.phase, "--phase", adopted=_adopt(args) is not None)
    region = _region(args)
    lock = _lockfile(args, project)
    return (_ecs_next if args.kind == ECS else _eks_next)(args, project, region, lock)


def cmd_adopted(args: argparse.Namespace) -> int:
    """``brctl cutover adopted ACTION``: taint / untaint / standby / restore the adopted group (never delete it)."""
    project = _project(args)
    group = _adopt(args)
    if group is None:
        raise ConfigError("--adopt", None, "nodegroup/<name> | asg/<name> | capacity-provider/<name>")
    if args.kind == ECS and args.kubeconfig:
        raise ConfigError("--kubeconfig", args.kubeconfig, "EKS pairs only (--kind eks)")
    del project  # read for its errors only: the action needs no stage, stack or key
    region = _region(args)
    kube = _adopted.Kube(args.kubeconfig, args.kube_context)
    done: list[str] = []
    error: str | None = None
    slot: _adopted.AdoptedSlot | None = None
    try:
        slot = _adopted.read(region, args.cluster, group)
        done = _adopted.act(region, args.cluster, slot, args.action, kube)
    except (_aws.AwsError, _kube.KubeError, _adopted.RefusedError) as exc:
        error = str(exc)
    if args.json:
        _output.emit_json(
            {
                "ok": error is None,
                "action": args.action,
                "adopt": group.ref,
                "region": region,
                "done": done,
                "error": error,
                "adopted": slot.to_dict() if slot else None,
            }
        )
    else:
        for line in done:
            print(line)
        if error is not None:
            _output.error(f"{args.action} refused: {error}")
    return EXIT_OK if error is None else EXIT_CHECK_FAILED


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", required=True, metavar="C", help="EKS cluster name (ECS cluster with --kind ecs)")
    p.add_argument("--pair", required=True, metavar="P", help=f"pair name (slots tagged {tags.FLEET}=P)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--kind", choices=(EKS, ECS), default=EKS, help="EKS node groups (default) or ECS capacity")
    kind.add_argument("--ecs", dest="kind", action="store_const", const=ECS, help="same as --kind ecs")
    p.add_argument("--region", metavar="R", help="AWS region (default: AWS_REGION / profile)")
    p.add_argument("--lockfile", metavar="PATH", help=f"default: the [tool.brctl] lockfile, else ./{DEFAULT_LOCKFILE}")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument(
        "--adopt",
        metavar="REF",
        help="the existing group the pair adopts as blue, found by name: nodegroup/NAME | asg/NAME (EKS), "
        "capacity-provider/NAME (ECS)",
    )


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("cutover", help="blue/green node-group cutover gate")
    sub = p.add_subparsers(dest="cutover_command", required=True, metavar="SUBCOMMAND")

    status = sub.add_parser("status", help="check the pair's slots (health, ready capacity, image; ECS: services)")
    _common(status)
    status.add_argument("--stage", metavar="STAGE", help="stage whose lockfile channel to read (v2 lockfiles)")
    status.set_defaults(handler=cmd_status)

    nxt = sub.add_parser("next", help="print the next step's config change and deploy command if the gate passes")
    _common(nxt)
    nxt.add_argument("--stage", required=True, metavar="STAGE", help="stage whose context keys to print")
    nxt.add_argument(
        "--phase",
        metavar="CURRENT",
        help="current phase from config: " + ADOPTED_PHASES + " (retire: adopted pairs; default: inferred from slots)",
    )
    nxt.add_argument(
        "--kubeconfig", metavar="PATH", help="EKS: check that no pods remain on the outgoing slot before advancing"
    )
    nxt.add_argument("--kube-context", metavar="NAME", help="kubeconfig context (default: its current context)")
    nxt.set_defaults(handler=cmd_next)

    adopted = sub.add_parser(
        "adopted", help="taint, drain-check, scale to zero (standby) or restore the adopted group; never deletes it"
    )
    adopted.add_argument("action", choices=_adopted.ACTIONS, help="what to do to the adopted group")
    _common(adopted)
    adopted.add_argument("--kubeconfig", metavar="PATH", help="check pods before standby; cordon an adopted ASG")
    adopted.add_argument("--kube-context", metavar="NAME", help="kubeconfig context (default: its current context)")
    adopted.set_defaults(handler=cmd_adopted)
