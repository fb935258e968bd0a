"""``brctl cutover``: the gate between blue/green phases of a node-group pair (see ``docs/blue-green.md``).

``status``  every node group of the pair (``constructs-br:fleet`` = the pair name, slot from ``constructs-br:slot``)
            must be ``ACTIVE``, have no health issues, have at least ``desiredSize`` instances ``InService`` and
            ``Healthy`` in its Auto Scaling group, and run the pinned image: ``releaseVersion`` equal to the slot's
            ``constructs-br:image-version`` tag (what the stack pinned; the lockfile's current pin when the tag is
            absent or ``floating``) for EKS-managed AMI types, the launch template's ``ImageId`` equal to the pinned
            image for custom AMIs.
``next``    refuses while the gate fails (and says why); otherwise prints the next phase, the exact ``cdk.json``
            context change and the ``cdk deploy`` command.

Exit 0 gate passed, 1 gate failed (or an AWS call failed, or no node groups), 2 usage errors.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from constructs_br import tags
from constructs_br.cli import _aws, _output
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK
from constructs_br.eks.phases import SLOTS, Phase, live_slot, next_phase, parse_phase, slots_present
from constructs_br.errors import ConfigError
from constructs_br.images.catalogue import parse_eks_ami_type
from constructs_br.images.lockfile import DEFAULT_LOCKFILE, Lockfile, Pin, validate_region

STAGES = ("pilot", "canary", "production")
FLOATING = "floating"


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

    @property
    def ok(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


# --- AWS reads (public typed wrappers in _aws only) ------------------------------------------------------------------
def _pair_nodegroups(region: str, cluster: str, pair: str) -> list[_aws.NodegroupInfo]:
    """The node groups of ``cluster`` tagged ``constructs-br:fleet`` = ``pair``, by name."""
    return [ng for ng in _aws.list_nodegroups(region, cluster) if ng.tags.get(tags.FLEET) == pair]


# --- the gate ------------------------------------------------------------------------------------------------------
def _expected_version(ng: _aws.NodegroupInfo, pin: Pin | None) -> str | None:
    tagged = ng.tags.get(tags.IMAGE_VERSION)
    if tagged and tagged != FLOATING:
        return tagged
    return pin.image_version if pin else None


def _gate(region: str, ng: _aws.NodegroupInfo, lock: Lockfile) -> SlotGate:
    variant = ng.tags.get(tags.VARIANT)
    asg = ng.autoscaling_groups[0] if ng.autoscaling_groups else None
    gate = SlotGate(
        slot=ng.tags.get(tags.SLOT, "?"),
        nodegroup=ng.name,
        status=ng.status,
        health_issues=list(ng.health_issues),
        desired=ng.desired_size,
        ready=None,
        asg=asg,
        ami_type=ng.ami_type,
        variant=variant,
        arch=None,
        actual=None,
        expected=None,
        lockfile_pin=None,
    )
    if gate.slot not in SLOTS:
        gate.reasons.append(f"tag {tags.SLOT} is {gate.slot!r}, expected blue or green")
    if ng.status != "ACTIVE":
        gate.reasons.append(f"status {ng.status}, expected ACTIVE")
    if ng.health_issues:
        gate.reasons.append("health issues: " + "; ".join(ng.health_issues))
    if asg is None:
        gate.reasons.append("no Auto Scaling group reported")
    else:
        gate.ready = _aws.asg_ready_count(region, asg)
        if gate.ready is None:
            gate.reasons.append(f"ASG not found: {asg}")
        elif gate.ready < ng.desired_size:
            gate.reasons.append(f"{gate.ready}/{ng.desired_size} desired nodes ready (InService and Healthy)")
    _image_gate(region, ng, lock, gate)
    return gate


def _image_gate(region: str, ng: _aws.NodegroupInfo, lock: Lockfile, gate: SlotGate) -> None:
    variant = gate.variant
    if not variant:
        gate.reasons.append(f"tag {tags.VARIANT} missing: cannot find the pin")
        return
    parsed = parse_eks_ami_type(ng.ami_type)
    if parsed is not None:  # EKS-managed Bottlerocket AMI: releaseVersion is the pin
        gate.arch = parsed[0].value
        pin = lock.find(region, variant, gate.arch)
        gate.lockfile_pin = pin.image_version if pin else None
        gate.actual = ng.release_version
        gate.expected = gate.expected_version = _expected_version(ng, pin)
        if gate.expected is None:
            gate.reasons.append(f"no pin for {region}/{variant}/{gate.arch} in the lockfile and no image-version tag")
        elif gate.actual != gate.expected:
            gate.reasons.append(f"release version {gate.actual}, expected {gate.expected}")
        return
    if ng.ami_type != "CUSTOM" or not (ng.launch_template_id or ng.launch_template_name):
        gate.reasons.append(f"AMI type {ng.ami_type} is not Bottlerocket")
        return
    image_id = _aws.launch_template_image(
        region, ng.launch_template_id, ng.launch_template_name, ng.launch_template_version or "$Default"
    )
    gate.actual = image_id
    if image_id is None:
        gate.reasons.append("launch template sets no ImageId")
        return
    image = _aws.describe_images(region, [image_id]).get(image_id)
    if image is None:
        gate.reasons.append(f"launch template image {image_id} not found (deregistered?)")
        return
    gate.arch = image.architecture
    pin = lock.find(region, variant, image.architecture)
    if pin is None:
        gate.reasons.append(f"no pin for {region}/{variant}/{image.architecture} in the lockfile")
        return
    gate.lockfile_pin = pin.image_version
    version = gate.expected_version = _expected_version(ng, pin)
    if version == pin.image_version:
        gate.expected = pin.image_id
    elif pin.previous is not None and version == pin.previous.image_version:
        gate.expected = pin.previous.image_id
    else:
        gate.reasons.append(
            f"image-version tag {version} is neither the lockfile's current pin {pin.image_version}"
            + (f" nor previous {pin.previous.image_version}" if pin.previous else "")
        )
        return
    if image_id != gate.expected:
        gate.reasons.append(f"image {image_id}, expected {gate.expected} ({version})")


# --- commands ------------------------------------------------------------------------------------------------------
def _region(args: argparse.Namespace) -> str:
    region = cast(str | None, args.region) or _aws.default_region()
    if not region:
        raise ConfigError("--region", None, "an AWS region", "none configured; pass --region or set AWS_REGION")
    return validate_region(region, field="--region")


def _evaluate(args: argparse.Namespace) -> tuple[str, list[SlotGate], str | None]:
    """(region, gates, error). ``error`` set: the gate could not be evaluated (exit 1)."""
    region = _region(args)
    lock = Lockfile.load(args.lockfile)
    try:
        nodegroups = _pair_nodegroups(region, args.cluster, args.pair)
        if not nodegroups:
            return region, [], f"no node groups tagged {tags.FLEET}={args.pair} in cluster {args.cluster}"
        return region, [_gate(region, ng, lock) for ng in nodegroups], None
    except _aws.AwsError as exc:
        return region, [], str(exc)


def _print_table(args: argparse.Namespace, gates: list[SlotGate]) -> None:
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


def cmd_status(args: argparse.Namespace) -> int:
    region, gates, err = _evaluate(args)
    ok = err is None and all(g.ok for g in gates)
    if args.json:
        _output.emit_json(
            {
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
        _print_table(args, gates)
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def _current_phase(args: argparse.Namespace, gates: list[SlotGate]) -> Phase:
    if args.phase:
        return parse_phase(args.phase, "--phase")
    present = {g.slot for g in gates}
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


def cmd_next(args: argparse.Namespace) -> int:
    region, gates, err = _evaluate(args)
    reasons: list[str] = [err] if err else []
    current: Phase | None = None
    reasons.extend(f"{g.slot} ({g.nodegroup}): {r}" for g in gates for r in g.reasons)
    if not reasons or args.phase:
        current = _current_phase(args, gates)
        present = sorted({g.slot for g in gates})
        if gates and present != sorted(slots_present(current)):
            reasons.insert(
                0,
                f"phase {current} expects slot(s) {', '.join(slots_present(current))}, "
                f"found {', '.join(present)}: deploy the current phase first",
            )
    if reasons:
        if args.json:
            _output.emit_json(
                {
                    "ok": False,
                    "current": current.value if current else None,
                    "reasons": reasons,
                    "nodegroups": [g.to_dict() for g in gates],
                }
            )
        else:
            if gates:
                _print_table(args, gates)
            _output.error("gate failed; not advancing:\n  " + "\n  ".join(reasons))
        return EXIT_CHECK_FAILED

    assert current is not None
    # A single-slot phase whose live slot already runs the lockfile's current pin has nothing to roll out.
    if len(slots_present(current)) == 1:
        live = next(g for g in gates if g.slot == live_slot(current))
        if live.lockfile_pin is not None and live.expected_version == live.lockfile_pin:
            message = (
                f"nothing to advance: phase {current}, slot {live.slot} already runs the lockfile's current pin "
                f"{live.lockfile_pin}; run `brctl pins refresh` first to roll out a new image"
            )
            if args.json:
                _output.emit_json({"ok": True, "current": current.value, "next": None, "message": message})
            else:
                print(message)
            return EXIT_OK

    upcoming = next_phase(current)
    key = f"br:{args.stage}:pair:{args.pair}:phase"
    command = f"npx cdk deploy Br{args.stage.capitalize()}"
    if args.json:
        _output.emit_json(
            {
                "ok": True,
                "current": current.value,
                "next": upcoming.value,
                "context_key": key,
                "context_value": upcoming.value,
                "command": command,
            }
        )
    else:
        print(f"gate OK ({region}): phase {current} -> {upcoming}")
        print('1. In cdk.json, under "context", set:')
        print(f'     "{key}": "{upcoming}"')
        print("2. Commit, then run:")
        print(f"     {command}")
    return EXIT_OK


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", required=True, metavar="C", help="EKS cluster name")
    p.add_argument("--pair", required=True, metavar="P", help=f"pair name (node groups tagged {tags.FLEET}=P)")
    p.add_argument("--region", metavar="R", help="AWS region (default: AWS_REGION / profile)")
    p.add_argument("--lockfile", default=DEFAULT_LOCKFILE, metavar="PATH", help=f"default: ./{DEFAULT_LOCKFILE}")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("cutover", help="blue/green node-group cutover gate")
    sub = p.add_subparsers(dest="cutover_command", required=True, metavar="SUBCOMMAND")

    status = sub.add_parser("status", help="check the pair's node groups (status, health, ready nodes, image)")
    _common(status)
    status.set_defaults(handler=cmd_status)

    nxt = sub.add_parser("next", help="print the next phase's config change and deploy command if the gate passes")
    _common(nxt)
    nxt.add_argument("--stage", required=True, choices=STAGES, help="stage whose cdk.json context key to print")
    nxt.add_argument(
        "--phase",
        metavar="CURRENT",
        help="current phase from config: " + " | ".join(p.value for p in Phase) + " (default: inferred from slots)",
    )
    nxt.set_defaults(handler=cmd_next)
