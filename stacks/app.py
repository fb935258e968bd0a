"""Composes every stage's stacks from configuration. ``app.py`` and the tests both call :func:`build_app`; a pipeline
builds one stage and region into its own scope (a ``cdk.Stage``) with :func:`build_stage_stacks`.

Per stage and region, by rate of change (deploy order top to bottom; stack names are forever):

* ``Br<Stage>`` — VPC, KMS key, EKS control plane, access, Config rules (the VPC's default-SG Lambda lives here);
* ``Br<Stage>Nodes`` — EKS node groups, then CoreDNS and the log add-on (no Lambda);
* ``Br<Stage>Ecs`` — ECS cluster and capacity (no Lambda);
* ``Br<Stage>Operators`` — after the nodes: the kubectl provider (the only kubectl Lambda), the Kyverno node audit
  and, where the stage runs it (``br:<stage>:update-operator``), the Bottlerocket update operator.

With ``br:pipeline:connection-arn`` set, ``BrPipeline`` (stacks/pipeline.py) deploys the same stacks, stage by stage.

Every stage reads its pins from its lockfile channel (``br:<stage>:channel``, default the stage's name).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Stage
from constructs import Construct

from constructs_br.compliance.guard import operator_role_names
from constructs_br.compliance.limits import add_limit_checks
from constructs_br.compliance.nag import add_nag_checks
from constructs_br.images.lockfile import DEFAULT_LOCKFILE, LockDocument, Lockfile
from constructs_br.images.resolve import ImageSpec, resolve_image
from stacks.config import AppConfig, StageConfig, load_config
from stacks.ecs_stack import EcsStack
from stacks.nodes_stack import NodesStack
from stacks.operator_stack import OperatorsStack
from stacks.pipeline import PipelineConfig, PipelineStack, PipelineTarget, stage_waves
from stacks.platform_stack import PlatformStack

ROOT = Path(__file__).resolve().parent.parent


def cdk_json_context(root: Path = ROOT) -> dict[str, Any]:
    """The ``context`` block of cdk.json: what the CDK CLI feeds the app (plain ``python app.py`` does not)."""
    data: dict[str, Any] = json.loads((root / "cdk.json").read_text())
    return dict(data.get("context", {}))


def lockfile_path(context: Mapping[str, Any], root: Path = ROOT) -> Path:
    """Where the committed image lockfile is (``br:lockfile`` in cdk.json, relative to the repo root)."""
    return root / str(context.get("br:lockfile", DEFAULT_LOCKFILE))


def load_lock_document(context: Mapping[str, Any], root: Path = ROOT) -> LockDocument:
    """The committed lockfile as a whole (every channel; a version 1 file is one set every channel reads)."""
    return LockDocument.load_or_empty(lockfile_path(context, root))


def load_lockfile(context: Mapping[str, Any], root: Path = ROOT, *, channel: str = "pilot") -> Lockfile:
    """One channel of the committed lockfile (default ``pilot``, the first stage's)."""
    return load_lock_document(context, root).channel(channel, field="br:lockfile channel")


def stage_lockfile(stage: StageConfig, lockfile: LockDocument | Lockfile) -> Lockfile:
    """The pins ``stage`` runs: its channel of a document (an unknown channel names ``br:<stage>:channel``), or the
    one :class:`Lockfile` given for every stage."""
    if isinstance(lockfile, Lockfile):
        return lockfile
    return lockfile.channel(stage.channel, field=f"br:{stage.name}:channel")


def require_pins(stage: StageConfig, lockfile: Lockfile) -> None:
    """Every image the stage's fleet runs is pinned for its region, before any stack is built: a missing pin is the
    :class:`~constructs_br.images.lockfile.MissingPinError` naming its ``brctl pins refresh`` command (the platform
    stack's Config rules would otherwise fail first, on an empty approved-AMI list)."""
    for pair in stage.pairs:
        spec = pair.base
        image = ImageSpec(variant=spec.variant_for(stage.eks.kubernetes_version), arch=spec.arch)
        resolve_image(image, region=stage.region, lockfile=lockfile)
    for capacity in stage.capacity:
        resolve_image(capacity.base.image, region=stage.region, lockfile=lockfile)


@dataclass(frozen=True, slots=True, kw_only=True)
class StageStacks:
    """One stage's stacks in one region, as :func:`build_stage_stacks` built them."""

    platform: PlatformStack
    nodes: NodesStack
    ecs: EcsStack
    operators: OperatorsStack


def build_stage_stacks(
    scope: Construct,
    stage: StageConfig,
    lockfile_doc: LockDocument | Lockfile,
    *,
    account_stages: Sequence[str] = (),
    operator_roles: Sequence[str] | None = None,
) -> StageStacks:
    """Build one stage's stacks in one region (``stage`` is one stack set of :func:`stacks.config.load_config`:
    platform, nodes, ECS, operators) into ``scope`` — an ``App``, or a ``cdk.Stage`` of a pipeline.

    :param lockfile_doc: the lockfile document (the stage reads its channel) or one :class:`Lockfile` for it.
    :param account_stages: every stage sharing this stage's account (their operator roles, primary region, are the
        designated SSM principals of the account-wide Guard rule); default: this stage only.
    :param operator_roles: those role names exactly (every stage and region of the account: :func:`account_roles`);
        overrides ``account_stages``.
    """
    lockfile = stage_lockfile(stage, lockfile_doc)
    require_pins(stage, lockfile)
    platform = PlatformStack(
        scope,
        stage.stack_name,
        stage=stage,
        lockfile=lockfile,
        account_stages=tuple(account_stages),
        operator_roles=tuple(operator_roles) if operator_roles is not None else None,
    )
    nodes = NodesStack(scope, stage.nodes_stack_name, stage=stage, lockfile=lockfile, platform=platform)
    # Created VPC: referenced cross-stack. Imported VPC: literal ids, no dependency.
    ecs = EcsStack(
        scope,
        stage.ecs_stack_name,
        stage=stage,
        vpc=platform.vpc,
        lockfile=lockfile,
        # Created VPC: the ECS stack already depends on the platform stack, so its nodes attach the platform's
        # session policy too. Imported VPC: the ECS stack stays deployable on its own (docs/access.md).
        session_policy_arn=None
        if stage.network.imported is not None
        else platform.access.node_session_policy.managed_policy_arn,
    )
    operators = OperatorsStack(
        scope, stage.operators_stack_name, stage=stage, lockfile=lockfile, platform=platform, nodes=nodes
    )
    return StageStacks(platform=platform, nodes=nodes, ecs=ecs, operators=operators)


def account_roles(config: AppConfig, account: str) -> tuple[str, ...]:
    """The operator role names of every stage and region ``config`` configures in ``account`` (IAM is account-wide),
    synthesized or not: narrowing synthesis with ``br:stages`` does not change a stage's Guard rule."""
    names = (
        operator_role_names(s.name, prefix=s.role_name_prefix)
        for s in config.configured or config.stages
        if s.account == account
    )
    return tuple(dict.fromkeys(n for pair in names for n in pair))


def build_stacks(app: App, config: AppConfig, lockfile: LockDocument | Lockfile) -> list[StageStacks]:
    """Every stage and region of ``config`` into ``app`` (:func:`build_stage_stacks` for each)."""
    return [
        # IAM is account-wide: stages sharing an account share the designated SSM principals (Guard rule).
        build_stage_stacks(app, stage, lockfile, operator_roles=account_roles(config, stage.account))
        for stage in config.stages
    ]


def stage_checks(stage: StageConfig) -> tuple[str, ...]:
    """The pairs the pipeline's post-deploy step gates for ``stage``: every EKS pair on the stage's cluster (its name
    is known at synth), every ECS pair on the ECS stack's ``ClusterName`` output (CloudFormation names that cluster)."""
    return (
        *(f"eks:{stage.cluster_name}:{p.name}" for p in stage.pairs),
        *(f"ecs:@{stage.ecs_stack_name}.ClusterName:{p.name}" for p in stage.capacity),
    )


def pipeline_target(config: AppConfig, stage: StageConfig, lockfile: LockDocument | Lockfile) -> PipelineTarget:
    """``stage`` (one stage in one region) as a pipeline target: its stacks built into the target's ``cdk.Stage``
    exactly as :func:`build_stacks` builds them into the app (same names, same operator roles)."""
    roles = account_roles(config, stage.account)

    def build(scope: Stage) -> None:
        build_stage_stacks(scope, stage, lockfile, operator_roles=roles)

    return PipelineTarget(
        stage=stage.name, region=stage.region, account=stage.account, build=build, checks=stage_checks(stage)
    )


def add_pipeline(app: App, config: AppConfig, lockfile: LockDocument | Lockfile) -> PipelineStack | None:
    """The rollout pipeline ``BrPipeline`` (stacks/pipeline.py) with one wave per stage of ``config`` (regions in
    parallel, production after a manual approval), or ``None`` when ``br:pipeline:connection-arn`` is unset."""
    if not config.stages:
        return None
    pipeline = PipelineConfig.from_context(app.node.get_all_context(), default_account=config.stages[0].account)
    if pipeline is None:
        return None
    waves = stage_waves(pipeline_target(config, s, lockfile) for s in config.stages)
    return PipelineStack(app, "BrPipeline", config=pipeline, waves=waves)


def build_app(context: Mapping[str, Any] | None = None, *, outdir: str | None = None) -> App:
    """Build the CDK app. With ``context=None`` (under the CLI) the CLI's context is used as is;
    tests pass ``cdk_json_context()`` (plus overrides) so their templates equal ``cdk synth``'s."""
    kwargs: dict[str, Any] = {}
    if context is not None:
        kwargs["context"] = dict(context)
    if outdir is not None:
        kwargs["outdir"] = outdir
    app = App(**kwargs)
    add_nag_checks(app)
    add_limit_checks(app)
    all_context = app.node.get_all_context()
    config = load_config(all_context)
    lockfile = load_lock_document(all_context)
    build_stacks(app, config, lockfile)
    add_pipeline(app, config, lockfile)
    return app
