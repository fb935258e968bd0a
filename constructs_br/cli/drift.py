"""``brctl drift``: what the fleet actually runs versus what the lockfile says it should run.

* EC2 instances carrying the fleet tag (running or pending): ``ImageId`` against the pin for the instance's variant tag
  and architecture.
* Auto Scaling groups carrying the fleet tag (ECS capacity): the launch template's ``ImageId``.
* EKS node groups of the given clusters: for Bottlerocket managed AMI types, ``releaseVersion`` against the pin's full
  image version, and the node group's Kubernetes ``version`` against the minor of its ``constructs-br:variant`` tag
  (``aws-k8s-1.33-nvidia`` -> ``1.33``: a node group left behind by a cluster upgrade is drift); for custom AMIs
  (launch template), the launch template version's ``ImageId`` against the pin's image (the image is the variant, so
  EKS's ``version`` is not compared there).

"The pin" is the one :func:`constructs_br.bluegreen.expected_pin` names for the resource's
``constructs-br:image-version`` tag (via :func:`constructs_br.cli._expected.expect`), as ``brctl cutover`` judges it:
the lockfile's current pin when the tag is absent or ``floating``, the previous pin when the tag names it (a blue/green
slot kept on its image while the other slot takes the new one), and drift for any version the lockfile no longer
records.

Which pins: a version 2 lockfile has one channel per stage, so ``--stage S`` (the channel the ``[tool.brctl]
channel`` template names for S) or ``--channel C`` says which; a version 1 lockfile has one set of pins and needs
neither. With a stage or channel, resources tagged ``constructs-br:stage`` with a stage that reads another channel
are ``skipped`` (they are judged against their own channel); untagged resources are judged.

Exit 0 when everything matches, 1 on any drift (or an AWS call that failed), 2 on usage errors.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from constructs_br import tags
from constructs_br.cli import _aws, _output
from constructs_br.cli._expected import Expectation, expect
from constructs_br.cli._project import ProjectConfig, load_project, stage_lockfile
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_OK
from constructs_br.errors import ConfigError
from constructs_br.images.catalogue import Arch, get_variant, parse_eks_ami_type
from constructs_br.images.lockfile import DEFAULT_LOCKFILE, LockDocument, Lockfile, validate_region

OK = "ok"
DRIFT = "drift"
SKIPPED = "skipped"
ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    """One compared resource. ``status``: ok | drift | skipped (not ours to judge) | error (could not check)."""

    region: str
    kind: str  # instance | asg | nodegroup
    resource: str
    fleet: str | None
    variant: str | None
    arch: str | None
    expected: str | None
    actual: str | None
    status: str
    detail: str = ""


def _variant_or_none(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return get_variant(name).name
    except ConfigError:
        return None


def _other_stage(resource_tags: Mapping[str, str], stages: Collection[str] | None) -> str | None:
    """The resource's stage tag when it names a stage outside ``stages`` (``None``: judge the resource)."""
    stage = resource_tags.get(tags.STAGE)
    if stages is None or not stage or stage in stages:
        return None
    return stage


def _skipped_stage(region: str, kind: str, resource: str, resource_tags: Mapping[str, str], stage: str) -> Finding:
    return Finding(
        region,
        kind,
        resource,
        resource_tags.get(tags.FLEET),
        resource_tags.get(tags.VARIANT),
        None,
        None,
        None,
        SKIPPED,
        f"stage {stage} reads another lockfile channel",
    )


def _check_instances(region: str, lock: Lockfile, stages: Collection[str] | None = None) -> list[Finding]:
    out: list[Finding] = []
    for inst in _aws.describe_instances_with_tag(region, tags.FLEET):
        other = _other_stage(inst.tags, stages)
        out.append(
            _skipped_stage(region, "instance", inst.instance_id, inst.tags, other)
            if other
            else _instance_finding(region, inst, lock)
        )
    return out


def _instance_finding(region: str, inst: _aws.InstanceInfo, lock: Lockfile) -> Finding:
    variant_tag = inst.tags.get(tags.VARIANT)
    variant = _variant_or_none(variant_tag)
    arch = inst.architecture if inst.architecture in {a.value for a in Arch} else None

    def finding(expected: str | None, status: str, detail: str = "") -> Finding:
        return Finding(
            region=region,
            kind="instance",
            resource=inst.instance_id,
            fleet=inst.tags.get(tags.FLEET),
            variant=variant or variant_tag,
            arch=inst.architecture or None,
            expected=expected,
            actual=inst.image_id,
            status=status,
            detail=detail,
        )

    if variant is None:
        return finding(None, DRIFT, f"tag {tags.VARIANT} missing or not a known variant: {variant_tag!r}")
    if arch is None:
        return finding(None, DRIFT, f"unknown architecture {inst.architecture!r}")
    exp = expect(lock, region, variant, arch, inst.tags)
    if exp.pin is None:
        return finding(None, DRIFT, str(exp.problem))
    status = OK if exp.pin.image_id == inst.image_id else DRIFT
    return finding(exp.pin.image_id, status, _pinned(exp))


def _pinned(exp: Expectation) -> str:
    """``pinned <version>``, saying so when that is the lockfile's previous pin (the slot's image-version tag)."""
    assert exp.pin is not None
    if exp.current is not None and exp.current.image_version != exp.pin.image_version:
        current = exp.current.image_version
        return f"pinned {exp.pin.image_version} (the previous pin, by {tags.IMAGE_VERSION}; current {current})"
    return f"pinned {exp.pin.image_version}"


def _check_asgs(region: str, lock: Lockfile, stages: Collection[str] | None = None) -> list[Finding]:
    out: list[Finding] = []
    for asg in _aws.asgs_with_tag_key(region, tags.FLEET):
        other = _other_stage(asg.tags, stages)
        out.append(
            _skipped_stage(region, "asg", asg.name, asg.tags, other) if other else _asg_finding(region, asg, lock)
        )
    return out


def _asg_finding(region: str, asg: _aws.AsgInfo, lock: Lockfile) -> Finding:
    variant_tag = asg.tags.get(tags.VARIANT)
    variant = _variant_or_none(variant_tag)

    def finding(status: str, arch: str | None, expected: str | None, actual: str | None, detail: str) -> Finding:
        return Finding(
            region,
            "asg",
            asg.name,
            asg.tags.get(tags.FLEET),
            variant or variant_tag,
            arch,
            expected,
            actual,
            status,
            detail,
        )

    if not (asg.launch_template_id or asg.launch_template_name):
        return finding(SKIPPED, None, None, None, "no launch template")
    image_id = _aws.launch_template_image(
        region, asg.launch_template_id, asg.launch_template_name, asg.launch_template_version or "$Default"
    )
    if image_id is None:
        return finding(SKIPPED, None, None, None, "launch template sets no ImageId")
    if variant is None:
        return finding(
            DRIFT, None, None, image_id, f"tag {tags.VARIANT} missing or not a known variant: {variant_tag!r}"
        )
    image = _aws.describe_images(region, [image_id]).get(image_id)
    if image is None:
        return finding(DRIFT, None, None, image_id, "launch template image not found")
    exp = expect(lock, region, variant, image.architecture, asg.tags)
    if exp.pin is None:
        return finding(DRIFT, image.architecture, None, image_id, str(exp.problem))
    status = OK if exp.pin.image_id == image_id else DRIFT
    return finding(status, image.architecture, exp.pin.image_id, image_id, "launch template image; " + _pinned(exp))


def _check_nodegroups(
    region: str, cluster: str, lock: Lockfile, stages: Collection[str] | None = None
) -> list[Finding]:
    out: list[Finding] = []
    for ng in _aws.list_nodegroups(region, cluster):
        other = _other_stage(ng.tags, stages)
        out.append(
            _skipped_stage(region, "nodegroup", f"{ng.cluster}/{ng.name}", ng.tags, other)
            if other
            else _nodegroup_finding(region, ng, lock)
        )
    return out


def _nodegroup_finding(region: str, ng: _aws.NodegroupInfo, lock: Lockfile) -> Finding:
    variant_tag = ng.tags.get(tags.VARIANT)

    def finding(  # noqa: PLR0917 - local shorthand, one call per outcome below
        status: str, variant: str | None, arch: str | None, expected: str | None, actual: str | None, detail: str
    ) -> Finding:
        return Finding(
            region=region,
            kind="nodegroup",
            resource=f"{ng.cluster}/{ng.name}",
            fleet=ng.tags.get(tags.FLEET),
            variant=variant,
            arch=arch,
            expected=expected,
            actual=actual,
            status=status,
            detail=detail,
        )

    parsed = parse_eks_ami_type(ng.ami_type)
    if parsed is not None:  # EKS-managed Bottlerocket AMI: the release version is the pin
        arch, nvidia, fips = parsed
        derived = f"aws-k8s-{ng.kubernetes_version}" + "-nvidia" * nvidia + "-fips" * fips
        variant = _variant_or_none(variant_tag) or _variant_or_none(derived)
        actual = ng.release_version
        if variant is None:
            return finding(DRIFT, variant_tag or derived, arch.value, None, actual, "variant not in the catalogue")
        skew = _minor_skew(ng, _variant_or_none(variant_tag))
        exp = expect(lock, region, variant, arch.value, ng.tags)
        if exp.pin is None:
            return finding(DRIFT, variant, arch.value, None, actual, "; ".join(filter(None, [str(exp.problem), skew])))
        status = OK if exp.pin.image_version == actual and skew is None else DRIFT
        detail = "; ".join(filter(None, [f"{ng.ami_type} releaseVersion", _pinned(exp), skew]))
        return finding(status, variant, arch.value, exp.pin.image_version, actual, detail)

    if ng.ami_type != "CUSTOM" or not (ng.launch_template_id or ng.launch_template_name):
        return finding(SKIPPED, variant_tag, None, None, ng.ami_type, "not a Bottlerocket node group")

    # Custom AMI through the launch template: the image ID is the pin.
    image_id = _aws.launch_template_image(
        region, ng.launch_template_id, ng.launch_template_name, ng.launch_template_version or "$Default"
    )
    if image_id is None:
        return finding(SKIPPED, variant_tag, None, None, None, "launch template sets no ImageId")
    variant = _variant_or_none(variant_tag)
    if variant is None:
        return finding(
            DRIFT, variant_tag, None, None, image_id, f"custom AMI node group without a valid {tags.VARIANT} tag"
        )
    image = _aws.describe_images(region, [image_id]).get(image_id)
    if image is None:  # deregistered: drift on its own; name the pins it could have matched
        candidates = ", ".join(p.image_id for p in lock.pins() if p.region == region and p.variant == variant)
        return finding(DRIFT, variant, None, candidates or None, image_id, "launch template image not found")
    exp = expect(lock, region, variant, image.architecture, ng.tags)
    if exp.pin is None:
        return finding(DRIFT, variant, image.architecture, None, image_id, str(exp.problem))
    status = OK if exp.pin.image_id == image_id else DRIFT
    return finding(
        status, variant, image.architecture, exp.pin.image_id, image_id, "launch template image; " + _pinned(exp)
    )


def _minor_skew(ng: _aws.NodegroupInfo, variant: str | None) -> str | None:
    """Why a managed node group's Kubernetes ``version`` is not its variant tag's minor (``None``: it is, or there
    is nothing to compare). The stack sets ``Version`` from the cluster and tags the variant of that minor, so a
    difference means the node group did not follow a cluster upgrade (or was changed outside the stack)."""
    minor = get_variant(variant).k8s_minor if variant else None
    if not minor or not ng.kubernetes_version or ng.kubernetes_version == minor:
        return None
    return (
        f"Kubernetes minor mismatch: the node group's version is {ng.kubernetes_version}, "
        f"its {tags.VARIANT} tag {variant} is {minor}"
    )


def _error(region: str, kind: str, resource: str, detail: str) -> Finding:
    return Finding(region, kind, resource, None, None, None, None, None, ERROR, detail)


def stages_reading(project: ProjectConfig, channel: str) -> tuple[str, ...]:
    """The configured stages whose ``channel`` template names ``channel``."""
    out: list[str] = []
    for stage in project.stages:
        try:
            if project.channel_name(stage) == channel:
                out.append(stage)
        except ConfigError:
            continue
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Target:
    """The pins drift compares against, and which stages' resources are judged (``None``: every resource)."""

    lock: Lockfile
    channel: str | None
    stages: tuple[str, ...] | None


def select(
    project: ProjectConfig, path: str, *, stage: str | None, channel: str | None, doc: LockDocument | None = None
) -> Target:
    """The pins for ``--stage`` / ``--channel`` (one of them; a version 1 lockfile needs neither)."""
    if stage is not None and channel is not None:
        raise ConfigError("--channel", channel, "either --stage or --channel, not both")
    doc = doc if doc is not None else LockDocument.load(path)
    if stage is not None:
        lock = stage_lockfile(project, path, stage)
        return Target(lock, None if doc.legacy else project.channel_name(stage), (stage,))
    if channel is not None:
        lock = doc.channel(channel, field="--channel")
        return Target(lock, None if doc.legacy else channel, stages_reading(project, channel) or None)
    if doc.legacy:
        return Target(doc.channel("legacy"), None, None)
    raise ConfigError(
        "--stage",
        None,
        "--stage S (its channel) or --channel C, because this lockfile has channels: "
        + (" | ".join(doc.channel_names) or "none yet"),
        f"e.g. brctl drift --stage {project.stages[0] if project.stages else project.channels[0]} ...",
    )


def collect(
    regions: Sequence[str],
    lock: Lockfile,
    clusters: Sequence[str] = (),
    *,
    stages: Collection[str] | None = None,
    progress: bool = True,
) -> list[Finding]:
    """Every finding for ``regions`` against ``lock`` (what ``brctl drift`` prints; ``brctl pins promote`` reads
    it for the source stage). AWS failures are ``error`` findings, never exceptions."""
    findings: list[Finding] = []
    for region in regions:
        if progress:
            _output.info(
                f"{region}: checking fleet instances" + (f" and clusters {', '.join(clusters)}" if clusters else "")
            )
        try:
            findings.extend(_check_instances(region, lock, stages))
        except _aws.AwsError as exc:
            findings.append(_error(region, "instance", "*", str(exc)))
        try:
            findings.extend(_check_asgs(region, lock, stages))
        except _aws.AwsError as exc:
            findings.append(_error(region, "asg", "*", str(exc)))
        for cluster in clusters:
            try:
                findings.extend(_check_nodegroups(region, cluster, lock, stages))
            except _aws.AwsError as exc:
                findings.append(
                    Finding(region, "nodegroup", f"{cluster}/*", None, None, None, None, None, ERROR, str(exc))
                )
    return findings


def cmd_drift(args: argparse.Namespace) -> int:
    project = load_project(getattr(args, "project", None))
    target = select(project, args.lockfile, stage=args.stage, channel=args.channel)
    lock = target.lock
    regions = list(dict.fromkeys(args.region or [])) or list(lock.regions())
    if not regions:
        raise ConfigError("--region", None, "one or more AWS regions", "the lockfile has none; pass --region")
    for region in regions:
        validate_region(region, field="--region")
    findings = collect(regions, lock, args.cluster or [], stages=target.stages, progress=not args.json)
    drifted = any(f.status in (DRIFT, ERROR) for f in findings)
    if args.json:
        _output.emit_json(
            {
                "drift": drifted,
                "lockfile": str(args.lockfile),
                "channel": target.channel,
                "findings": [asdict(f) for f in findings],
            }
        )
    else:
        _output.table(
            "Drift against " + str(args.lockfile) + (f" (channel {target.channel})" if target.channel else ""),
            ["region", "kind", "resource", "fleet", "variant/arch", "expected", "actual", "status", "detail"],
            [
                (
                    f.region,
                    f.kind,
                    f.resource,
                    f.fleet,
                    f"{f.variant or '?'}/{f.arch or '?'}",
                    f.expected,
                    f.actual,
                    f.status.upper() if f.status in (DRIFT, ERROR) else f.status,
                    f.detail,
                )
                for f in findings
            ],
        )
        if not findings:
            _output.info("no fleet instances or node groups found")
    return EXIT_CHECK_FAILED if drifted else EXIT_OK


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("drift", help="compare running instances and node groups with the lockfile")
    p.add_argument("--region", action="append", metavar="R", help="region to check (repeatable; default: lockfile's)")
    p.add_argument("--cluster", action="append", metavar="C", help="EKS cluster to check (repeatable)")
    p.add_argument("--lockfile", default=DEFAULT_LOCKFILE, metavar="PATH", help=f"default: ./{DEFAULT_LOCKFILE}")
    p.add_argument("--stage", metavar="S", help="the stage whose lockfile channel to compare with (version 2 lockfile)")
    p.add_argument("--channel", metavar="C", help="the lockfile channel to compare with (instead of --stage)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(handler=cmd_drift)
