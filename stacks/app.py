"""Composes every stage's stacks from configuration. ``app.py`` and the tests both call :func:`build_app`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App

from constructs_br.compliance.limits import add_limit_checks
from constructs_br.compliance.nag import add_nag_checks
from constructs_br.images.lockfile import DEFAULT_LOCKFILE, Lockfile
from constructs_br.images.resolve import ImageSpec, resolve_image
from stacks.config import AppConfig, StageConfig, load_config
from stacks.ecs_stack import EcsStack
from stacks.nodes_stack import NodesStack
from stacks.platform_stack import PlatformStack

ROOT = Path(__file__).resolve().parent.parent


def cdk_json_context(root: Path = ROOT) -> dict[str, Any]:
    """The ``context`` block of cdk.json: what the CDK CLI feeds the app (plain ``python app.py`` does not)."""
    data: dict[str, Any] = json.loads((root / "cdk.json").read_text())
    return dict(data.get("context", {}))


def load_lockfile(context: Mapping[str, Any], root: Path = ROOT) -> Lockfile:
    """The committed image lockfile (``br:lockfile`` in cdk.json, relative to the repo root)."""
    return Lockfile.load_or_empty(root / str(context.get("br:lockfile", DEFAULT_LOCKFILE)))


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


def build_stacks(app: App, config: AppConfig, lockfile: Lockfile) -> None:
    for stage in config.stages:
        require_pins(stage, lockfile)
        # IAM is account-wide: stages sharing an account share the designated SSM principals (Guard rule).
        same_account = tuple(s.name for s in config.stages if s.account == stage.account)
        platform = PlatformStack(app, stage.stack_name, stage=stage, lockfile=lockfile, account_stages=same_account)
        NodesStack(app, stage.nodes_stack_name, stage=stage, lockfile=lockfile, platform=platform)
        # Created VPC: referenced cross-stack (exports). Imported VPC: literal ids, no dependency.
        EcsStack(
            app,
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
    build_stacks(app, load_config(all_context), load_lockfile(all_context))
    return app
