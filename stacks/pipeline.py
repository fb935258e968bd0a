"""The rollout pipeline: CDK Pipelines (CodePipeline) deploying pilot → canary → production as waves.

Source (a CodeConnections connection) → Build (``make test`` then ``make synth``) → UpdatePipeline (self-mutation)
→ one wave per stage, in order. A wave's targets (one ``cdk.Stage`` per stage and region) deploy in parallel; a wave
with ``approval`` waits for a manual approval first (production by default). After each target deploys, a CodeBuild
step runs ``brctl drift`` and ``brctl cutover status`` for it and fails the wave on drift or a failed gate.

Context keys (``cdk.json`` → ``context``; the pipeline exists only when ``br:pipeline:connection-arn`` is set):

==============================  ==========================================================================
``br:pipeline:connection-arn``  the CodeConnections (or CodeStar Connections) connection to the repository
``br:pipeline:repository``      ``owner/name`` of the repository (required with a connection)
``br:pipeline:branch``          the branch that triggers a release (default ``main``)
``br:pipeline:account``         the pipeline's account (default: the first stage's account)
``br:pipeline:region``          the pipeline's region (default ``us-east-1``)
==============================  ==========================================================================

The runbook around it is ``docs/rollout.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from aws_cdk import Aws, CfnOutput, CfnResource, Environment, Stack, Stage, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk.region_info import RegionInfo
from constructs import Construct, IConstruct

from constructs_br.bluegreen.pair import name_problems
from constructs_br.compliance.checkov import skip_checkov
from constructs_br.compliance.nag import acknowledge
from constructs_br.errors import ConfigError, Problem, Problems

PREFIX = "br:pipeline:"
KEYS = ("connection-arn", "repository", "branch", "account", "region")
DEFAULT_BRANCH = "main"
DEFAULT_REGION = "us-east-1"
STAGE_ORDER = ("pilot", "canary", "production")
"""The waves' order: a stage's wave deploys only after every earlier stage's wave succeeded."""
APPROVAL_STAGES = ("production",)
"""Stages whose wave waits for a manual approval (:func:`stage_waves`)."""
BOOTSTRAP_QUALIFIER = "hnb659fds"
"""The CDK bootstrap qualifier of the target accounts (the default; ``cdk bootstrap --qualifier`` changes it)."""
BRCTL = ".venv/bin/brctl"
"""``make setup`` installs the CLI into the checkout's venv (the same one ``make test`` uses)."""
CHECK_PROFILE = "br-target"
"""The AWS profile the post-deploy step assumes the target account's CDK lookup role with (cross-account only)."""

PACKAGE_JSON = Path(__file__).resolve().parent.parent / "package.json"
"""Pins the CDK CLI ``make synth`` uses; the self-mutation step installs the same version."""

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_CONNECTION_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d:\d{12}:"
    r"connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$")
_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]+(?<![./])$")
_WAVE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}$")
_CLUSTER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_OUTPUT_REF = re.compile(r"^@(?P<stack>[A-Za-z][A-Za-z0-9-]{0,127})\.(?P<output>[A-Za-z0-9]{1,255})$")
_CHECK = re.compile(r"^(?P<kind>eks|ecs):(?P<cluster>[^:]+):(?P<pair>[^:]+)$")

_ARTIFACTS = (
    "holds only transient pipeline artifacts (the source zip and the synthesized cloud assembly), rebuilt from git "
    "on every execution"
)
_BUCKET_REASONS = {
    "AwsSolutions-S1": f"the CDK Pipelines artifact bucket {_ARTIFACTS}; CloudTrail records who reads it",
    "NIST.800.53.R5-S3BucketLoggingEnabled": f"the CDK Pipelines artifact bucket {_ARTIFACTS}; CloudTrail logs access",
    "NIST.800.53.R5-S3BucketReplicationEnabled": f"the CDK Pipelines artifact bucket {_ARTIFACTS}: git is the copy",
    "NIST.800.53.R5-S3BucketVersioningEnabled": f"the CDK Pipelines artifact bucket {_ARTIFACTS}: git is the history",
}

_ASSET_ROLE_REASON = (
    "CDK Pipelines' shared asset-publishing role runs one CodeBuild project per asset: it starts and reads those "
    "builds and writes their logs and reports; it publishes only by assuming the targets' CDK file-publishing roles"
)
_CHECKOV_BUCKET = {
    "NIST.800.53.R5-S3BucketLoggingEnabled": "CKV_AWS_18",
    "NIST.800.53.R5-S3BucketVersioningEnabled": "CKV_AWS_21",
}
"""The checkov checks of the same bucket findings (skipped with the same reasons)."""

ARN_RULE = "a CodeConnections connection ARN, arn:aws:codeconnections:<region>:<account>:connection/<uuid>"
CHECK_RULE = "eks|ecs:<cluster>:<pair>, <cluster> a cluster name or @<StackName>.<OutputId> (that stack's output)"


def _config_problems(
    *, connection_arn: object, repository: object, branch: object, account: object, region: object
) -> list[Problem]:
    p = Problems()
    if not isinstance(connection_arn, str) or not _CONNECTION_ARN.match(connection_arn):
        p.add(PREFIX + "connection-arn", connection_arn, ARN_RULE)
    if not isinstance(repository, str) or not _REPOSITORY.match(repository):
        p.add(PREFIX + "repository", repository, "owner/name of the repository the connection reaches")
    if not isinstance(branch, str) or not _BRANCH.match(branch):
        p.add(PREFIX + "branch", branch, "a git branch name such as main or release/2026")
    if not isinstance(account, str) or not _ACCOUNT.match(account):
        p.add(PREFIX + "account", account, "a 12-digit AWS account id")
    if not isinstance(region, str) or not _REGION.match(region):
        p.add(PREFIX + "region", region, "an AWS region name such as us-east-1")
    return p.items


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineConfig:
    """Where the pipeline lives and what it builds from (``br:pipeline:*`` context keys).

    The pipeline is created only when ``br:pipeline:connection-arn`` is set (:meth:`from_context` returns ``None``
    otherwise): the pipeline's stages synthesize their own copies of every stage stack, so an app with the pipeline
    synthesizes each stage twice (once as the top-level stacks ``cdk deploy`` uses, once inside the pipeline). A
    checkout without a connection — a laptop, CI of a fork — keeps the single, faster synth.
    """

    connection_arn: str
    repository: str
    branch: str = DEFAULT_BRANCH
    account: str
    region: str = DEFAULT_REGION

    def __post_init__(self) -> None:
        problems = _config_problems(
            connection_arn=self.connection_arn,
            repository=self.repository,
            branch=self.branch,
            account=self.account,
            region=self.region,
        )
        if problems:
            raise ConfigError(problems=problems)

    @classmethod
    def from_context(cls, context: Mapping[str, Any], *, default_account: str) -> PipelineConfig | None:
        """The pipeline's configuration from CDK context, or ``None`` when ``br:pipeline:connection-arn`` is unset.

        ``default_account`` is the first stage's account. Every problem is collected and raised at once: an unknown
        ``br:pipeline:`` key, a missing repository, and other ``br:pipeline:`` keys set without a connection (they
        would silently do nothing).
        """
        p = Problems()
        for key in sorted(k for k in context if k.startswith(PREFIX) and k[len(PREFIX) :] not in KEYS):
            p.add(key, context[key], "one of " + ", ".join(PREFIX + k for k in KEYS))
        present = [k for k in KEYS if PREFIX + k in context]
        if PREFIX + "connection-arn" not in context:
            if present:
                p.add(
                    PREFIX + "connection-arn",
                    None,
                    ARN_RULE,
                    f"{', '.join(PREFIX + k for k in present)} set without it: the pipeline is created only with one",
                )
            p.raise_if_any()
            return None
        if PREFIX + "repository" not in context:
            p.add(PREFIX + "repository", None, "owner/name of the repository (required with a connection)")
        values = {
            "connection_arn": context[PREFIX + "connection-arn"],
            "repository": context.get(PREFIX + "repository", "?/?"),
            "branch": context.get(PREFIX + "branch", DEFAULT_BRANCH),
            "account": context.get(PREFIX + "account", default_account),
            "region": context.get(PREFIX + "region", DEFAULT_REGION),
        }
        p.extend(q for q in _config_problems(**values) if not (q.value == "?/?" and q.field.endswith("repository")))
        p.raise_if_any()
        return cls(**{k: str(v) for k, v in values.items()})


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetCheck:
    """One pair the post-deploy step gates with ``brctl cutover status`` (parsed from a target's ``checks``).

    ``cluster`` is the cluster's name, or ``@<StackName>.<OutputId>``: the value of that stack's ``CfnOutput``,
    read by the pipeline after the stack deployed (ECS cluster names are generated by CloudFormation).
    """

    kind: Literal["eks", "ecs"]
    cluster: str
    pair: str

    @property
    def output_ref(self) -> tuple[str, str] | None:
        """``(stack name, output id)`` when the cluster comes from a stack output."""
        m = _OUTPUT_REF.match(self.cluster)
        return (m["stack"], m["output"]) if m else None

    @staticmethod
    def parse(text: object, field: str) -> FleetCheck:
        """``eks:BrPilot-Cluster:general`` / ``ecs:@BrPilotEcs.ClusterName:general`` → a check."""
        m = _CHECK.match(text) if isinstance(text, str) else None
        if m is None or not (_CLUSTER.match(m["cluster"]) or _OUTPUT_REF.match(m["cluster"])):
            raise ConfigError(field, text, CHECK_RULE)
        problems = name_problems(m["pair"], field + ".pair")
        if problems:
            raise ConfigError(problems=problems)
        kind: Literal["eks", "ecs"] = "eks" if m["kind"] == "eks" else "ecs"
        return FleetCheck(kind=kind, cluster=m["cluster"], pair=m["pair"])


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineTarget:
    """One stage in one region: ``build`` fills a ``cdk.Stage`` with its stacks; ``checks`` name the pairs the
    post-deploy step gates (``eks:<cluster>:<pair>`` / ``ecs:<cluster>:<pair>``, see :class:`FleetCheck`)."""

    stage: str
    region: str
    account: str
    build: Callable[[Stage], None]
    checks: Sequence[str] = ()

    @property
    def stage_id(self) -> str:
        """The ``cdk.Stage``'s construct ID (and action-name prefix): ``pilot-us-west-2``. Never rename it."""
        return f"{self.stage}-{self.region}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineWave:
    """One pipeline stage of parallel deployments: every target deploys at once, after the previous wave."""

    name: str
    targets: Sequence[PipelineTarget]
    approval: bool = False


def stage_waves(
    targets: Iterable[PipelineTarget], *, approval_stages: Sequence[str] = APPROVAL_STAGES
) -> tuple[PipelineWave, ...]:
    """One wave per stage in :data:`STAGE_ORDER`, each with that stage's targets (regions); ``approval_stages``
    get a manual approval before their wave."""
    targets = tuple(targets)
    p = Problems()
    for i, t in enumerate(targets):
        if t.stage not in STAGE_ORDER:
            p.add(f"pipeline.targets[{i}].stage", t.stage, " | ".join(STAGE_ORDER))
    for name in approval_stages:
        if name not in STAGE_ORDER:
            p.add("pipeline.approval_stages", name, " | ".join(STAGE_ORDER))
    p.raise_if_any()
    return tuple(
        PipelineWave(
            name=stage,
            targets=tuple(t for t in targets if t.stage == stage),
            approval=stage in approval_stages,
        )
        for stage in STAGE_ORDER
        if any(t.stage == stage for t in targets)
    )


def _wave_problems(waves: Sequence[PipelineWave]) -> tuple[list[Problem], dict[str, list[FleetCheck]]]:
    """Every problem of the waves at once, and each target's parsed checks (by stage ID)."""
    p = Problems()
    checks: dict[str, list[FleetCheck]] = {}
    if not waves:
        p.add("pipeline.waves", (), "one or more waves (pilot → canary → production)")
    seen_waves: set[str] = set()
    for w, wave in enumerate(waves):
        field = f"pipeline.waves[{w}]"
        if not _WAVE.match(wave.name):
            p.add(field + ".name", wave.name, "a letter, then letters, digits or '-' (<= 63)")
        elif wave.name in seen_waves:
            p.add(field + ".name", wave.name, "a name no other wave has")
        seen_waves.add(wave.name)
        if not wave.targets:
            p.add(field + ".targets", (), "one or more targets")
        for i, t in enumerate(wave.targets):
            tfield = f"{field}.targets[{i}]"
            if name_problems(t.stage, tfield + ".stage"):
                p.add(tfield + ".stage", t.stage, "a stage name such as pilot, canary or production")
            if not _ACCOUNT.match(t.account):
                p.add(tfield + ".account", t.account, "a 12-digit AWS account id")
            if not _REGION.match(t.region):
                p.add(tfield + ".region", t.region, "an AWS region name such as us-east-1")
            if t.stage_id in checks:
                p.add(tfield, t.stage_id, "each stage and region once in the pipeline")
            parsed: list[FleetCheck] = []
            for c, text in enumerate(t.checks):
                try:
                    parsed.append(FleetCheck.parse(text, f"{tfield}.checks[{c}]"))
                except ConfigError as exc:
                    p.extend(exc.problems)
            checks[t.stage_id] = parsed
    return p.items, checks


def pinned_cdk_cli_version(package_json: Path = PACKAGE_JSON) -> str | None:
    """The ``aws-cdk`` version ``package.json`` pins (``None`` without one: CDK Pipelines then installs the latest)."""
    if not package_json.is_file():
        return None
    data = json.loads(package_json.read_text())
    version = {**data.get("dependencies", {}), **data.get("devDependencies", {})}.get("aws-cdk")
    return str(version) if version else None


def _check_stack_names(target: PipelineTarget, stage: Stage) -> None:
    """Every stack the build creates names its CloudFormation stack explicitly: inside the pipeline's stage, CDK
    would default it to ``<stage id>-<construct id>`` (``pilot-us-west-2-BrPilot``), and the pipeline would create a
    second copy of every stack next to the one ``cdk deploy BrPilot`` manages."""
    stacks = [c for c in stage.node.find_all() if isinstance(c, Stack)]
    p = Problems()
    if not stacks:
        p.add(f"pipeline.{target.stage_id}.build", target.build, "a builder that creates the target's stacks")
    for stack in stacks:
        if stack.stack_name.startswith(f"{stage.stage_name}-"):
            p.add(
                f"pipeline.{target.stage_id}.stacks",
                stack.stack_name,
                "an explicit stack_name (BrPilot, BrPilotNodes, ...): the name cdk deploy uses for the same stack",
            )
    p.raise_if_any()


def _stack_named(stage: Stage, name: str) -> Stack | None:
    return next((c for c in stage.node.find_all() if isinstance(c, Stack) and c.stack_name == name), None)


Grant = tuple[tuple[str, ...], tuple[str, ...], Mapping[str, Any] | None]
"""(actions, resources as ``*`` or ``<service>:<resource>`` in the target's region and account, conditions)."""

_WILDCARD_REASONS = {
    "*": "EC2 and Auto Scaling Describe calls, ecs:ListServices and ecs:DescribeCapacityProviders support no "
    "resource-level permissions; all are read-only and ListServices is limited to the checked clusters",
    "eks": "node group ARNs end in a generated id and cutover status lists every node group of the checked cluster; "
    "read-only and limited to that cluster",
    "ecs": "the ECS cluster name is generated by CloudFormation (StackName-LogicalId-suffix) and its instances and "
    "services are listed; read-only and limited to that stack's clusters",
}


def _arn(target: PipelineTarget, resource: str, *, nag: bool = False) -> str:
    """``*``, or ``<service>:<resource>`` as an ARN in the target's region and account (``nag``: as cdk-nag prints
    it)."""
    if resource == "*":
        return resource
    service, rest = resource.split(":", 1)
    partition = "<AWS::Partition>" if nag else Aws.PARTITION
    return f"arn:{partition}:{service}:{target.region}:{target.account}:{rest}"


def _read_grants(target: PipelineTarget, checks: Sequence[FleetCheck]) -> list[Grant]:
    """Every API ``brctl drift --region R [--cluster C]`` and ``brctl cutover status`` call for these checks
    (constructs_br/cli/_aws.py, drift.py, _eks_gate.py, _ecs_gate.py, _expected.py), scoped as far as IAM allows."""

    def cluster(c: FleetCheck) -> str:
        # A cluster named by a stack output is named by CloudFormation: "<StackName>-<LogicalId>-<suffix>".
        ref = c.output_ref
        return f"{ref[0]}-*" if ref else c.cluster

    grants: list[Grant] = [
        # EC2 and Auto Scaling Describe* support no resource-level permissions: Resource must be "*".
        # autoscaling:DescribeAutoScalingGroups: drift's fleet-tagged ASGs; each slot's ready instances (both gates).
        # ec2:DescribeImages: the architecture of a launch template's image (drift, both gates).
        # ec2:DescribeInstances: drift's fleet-tagged instances; the images the ECS gate's instances run.
        # ec2:DescribeLaunchTemplateVersions: the ImageId of an ASG's or custom-AMI node group's launch template.
        (
            (
                "autoscaling:DescribeAutoScalingGroups",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeLaunchTemplateVersions",
            ),
            ("*",),
            None,
        )
    ]
    eks = sorted({cluster(c) for c in checks if c.kind == "eks"})
    if eks:
        # eks:ListNodegroups (drift --cluster, cutover status): the node groups of the checked clusters ...
        grants.append((("eks:ListNodegroups",), tuple(f"eks:cluster/{n}" for n in eks), None))
        # ... and eks:DescribeNodegroup each of them (status, health, ASG, AMI type, release version, tags).
        grants.append((("eks:DescribeNodegroup",), tuple(f"eks:nodegroup/{n}/*" for n in eks), None))
    ecs = sorted({cluster(c) for c in checks if c.kind == "ecs"})
    if ecs:
        # ecs:DescribeClusters: the cluster's capacity providers; ecs:ListContainerInstances: its instances.
        grants.append(
            (("ecs:DescribeClusters", "ecs:ListContainerInstances"), tuple(f"ecs:cluster/{n}" for n in ecs), None)
        )
        # ecs:DescribeContainerInstances / ecs:DescribeServices: those instances and the cluster's services.
        grants.append(
            (
                ("ecs:DescribeContainerInstances", "ecs:DescribeServices"),
                tuple(f"ecs:{kind}/{n}/*" for n in ecs for kind in ("container-instance", "service")),
                None,
            )
        )
        # ecs:ListServices: no resource-level permission, only the ecs:cluster condition (the checked clusters).
        clusters = [_arn(target, f"ecs:cluster/{n}") for n in ecs]
        grants.append((("ecs:ListServices",), ("*",), {"ArnLike": {"ecs:cluster": clusters}}))
        # ecs:DescribeCapacityProviders: the providers the cluster names (read-only metadata: name, ASG ARN).
        grants.append((("ecs:DescribeCapacityProviders",), ("*",), None))
    return grants


class PipelineStack(Stack):
    """The rollout pipeline (CDK Pipelines on CodePipeline): one wave per entry of ``waves``, in order.

    ``cross_account_keys`` (a KMS key for the artifact bucket, so other accounts can read the artifacts) is on
    exactly when a target's account differs from the pipeline's. Each target's post-deploy step runs ``brctl
    drift`` and ``brctl cutover status`` against that target; its role may call exactly the read-only APIs those
    commands use (same account), or assume the target account's CDK lookup role (another account, bootstrapped with
    ``cdk bootstrap --trust <pipeline account>``).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: PipelineConfig, waves: Sequence[PipelineWave]
    ) -> None:
        problems, checks = _wave_problems(waves)
        if problems:
            raise ConfigError(problems=problems)
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=config.region),
            description="constructs_br rollout pipeline: pilot, canary, production waves",
        )
        self.config = config
        cross_account = any(t.account != config.account for w in waves for t in w.targets)
        self.source = pipelines.CodePipelineSource.connection(
            config.repository, config.branch, connection_arn=config.connection_arn
        )
        # The Makefile creates .venv and node_modules itself: nothing is installed by hand here.
        synth = pipelines.CodeBuildStep(
            "Synth", input=self.source, commands=["make test", "make synth"], primary_output_directory="cdk.out"
        )
        self._steps: list[tuple[pipelines.CodeBuildStep, PipelineTarget, list[FleetCheck]]] = []
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=synth,
            cross_account_keys=cross_account,
            enable_key_rotation=True if cross_account else None,
            publish_assets_in_parallel=False,
            cli_version=pinned_cdk_cli_version(),
            code_build_defaults=pipelines.CodeBuildOptions(
                # Python 3.12 and Node 20+: what make synth / make test require.
                build_environment=codebuild.BuildEnvironment(build_image=codebuild.LinuxBuildImage.STANDARD_7_0),
            ),
        )
        for wave in waves:
            pre: list[pipelines.Step] = []
            if wave.approval:
                pre.append(
                    pipelines.ManualApprovalStep(
                        "Approve",
                        comment=f"Promote to {wave.name}: the earlier waves deployed and their checks passed "
                        "(docs/rollout.md).",
                    )
                )
            added = self.pipeline.add_wave(wave.name, pre=pre or None)
            for target in wave.targets:
                stage = Stage(self, target.stage_id, env=Environment(account=target.account, region=target.region))
                target.build(stage)
                _check_stack_names(target, stage)
                added.add_stage(stage, post=[self._check_step(target, stage, checks[target.stage_id])])
        self.pipeline.build_pipeline()
        self._explain_findings()

    # --- the post-deploy step ------------------------------------------------------------------------------------
    def _check_step(self, target: PipelineTarget, stage: Stage, checks: list[FleetCheck]) -> pipelines.Step:
        outputs: dict[str, CfnOutput] = {}
        names: list[str] = []  # what the commands pass as --cluster
        p = Problems()
        for i, check in enumerate(checks):
            ref = check.output_ref
            if ref is None:
                names.append(check.cluster)
                continue
            stack = _stack_named(stage, ref[0])
            output = stack.node.try_find_child(ref[1]) if stack is not None else None
            if not isinstance(output, CfnOutput):
                p.add(
                    f"pipeline.{target.stage_id}.checks[{i}]",
                    check.cluster,
                    "@<StackName>.<OutputId> of a CfnOutput the target's build creates",
                )
                names.append(check.cluster)
                continue
            var = f"BR_CLUSTER_{i}"
            outputs[var] = output
            names.append(f'"${var}"')
        p.raise_if_any()
        cross_account = target.account != self.config.account
        run = f"AWS_PROFILE={CHECK_PROFILE} {BRCTL}" if cross_account else BRCTL
        # --stage: judge against the stage's own lockfile channel ([tool.brctl] channel).
        where = f"--stage {target.stage} --region {target.region}"
        eks = [n for n, c in zip(names, checks, strict=True) if c.kind == "eks"]
        commands = [f"{run} drift {where}" + "".join(f" --cluster {n}" for n in eks)]
        commands += [
            f"{run} cutover status --cluster {n} --pair {c.pair} {where}" + (" --ecs" if c.kind == "ecs" else "")
            for n, c in zip(names, checks, strict=True)
        ]
        install = ["make setup"]
        if cross_account:
            # The step runs in the pipeline account; the commands read the target account through its CDK lookup
            # role (ReadOnlyAccess, kms:Decrypt denied), assumed with the container's credentials.
            install += [
                f"aws configure set profile.{CHECK_PROFILE}.role_arn {self._lookup_role_arn(target)}",
                f"aws configure set profile.{CHECK_PROFILE}.credential_source EcsContainer",
            ]
        step = pipelines.CodeBuildStep(
            "Checks",
            input=self.source,
            install_commands=install,
            commands=commands,  # CodeBuild fails the step (and the wave) on the first non-zero exit
            env_from_cfn_outputs=outputs or None,
            role_policy_statements=self._check_statements(target, checks),
        )
        self._steps.append((step, target, checks))
        return step

    def _lookup_role_arn(self, target: PipelineTarget) -> str:
        name = f"cdk-{BOOTSTRAP_QUALIFIER}-lookup-role-{target.account}-{target.region}"
        return f"arn:{Aws.PARTITION}:iam::{target.account}:role/{name}"

    def _check_statements(self, target: PipelineTarget, checks: Sequence[FleetCheck]) -> list[iam.PolicyStatement]:
        """What ``brctl drift --region R --cluster C`` and ``brctl cutover status`` call (constructs_br/cli/_aws.py),
        nothing else; ``*`` only for APIs without resource-level permissions."""
        if target.account != self.config.account:
            # Cross-account: only the assume; what the commands may read is the lookup role's ReadOnlyAccess.
            return [iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[self._lookup_role_arn(target)])]
        return [
            iam.PolicyStatement(
                actions=list(actions), resources=[_arn(target, r) for r in resources], conditions=conditions
            )
            for actions, resources, conditions in _read_grants(target, checks)
        ]

    def _own_wildcards(self, target: PipelineTarget, checks: Sequence[FleetCheck]) -> dict[str, str]:
        """cdk-nag's ``AwsSolutions-IAM5`` qualifiers of the post-deploy step's own wildcards, with reasons."""
        if target.account != self.config.account:
            return {}
        return {
            f"Resource::{_arn(target, r, nag=True)}": _WILDCARD_REASONS[r.split(":", 1)[0]]
            for _, resources, _ in _read_grants(target, checks)
            for r in resources
            if "*" in r
        }

    # --- cdk-nag and checkov -------------------------------------------------------------------------------------
    def _explain_findings(self) -> None:
        """Acknowledge what the pipelines framework creates and this stack cannot change, with reasons; the post-deploy
        steps' own wildcards get one reason each (in :meth:`_check_statements`' terms)."""
        framework = self.pipeline
        acknowledge(
            framework,
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "CDK Pipelines generates one role per action with a DefaultPolicy holding only that action's grants; "
            "a managed policy would be shared by nothing and reviewed nowhere else",
        )
        acknowledge(
            framework,
            "AwsSolutions-CB4",
            "single-account pipeline: CodeBuild artifacts are encrypted with the AWS-managed S3 key; they are the "
            "repository's own source and synthesized templates, no secrets (cross-account targets add a KMS key)",
        )
        # The artifact bucket's and key's grants to every role (grantReadWrite / grantRead of the framework).
        bucket = self.pipeline.pipeline.artifact_bucket
        bucket_id = self.resolve(cast(CfnResource, bucket.node.default_child).logical_id)
        grants = ["s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*"]
        grants += ["kms:GenerateDataKey*", "kms:ReEncrypt*"]
        for qualifier in [*(f"Action::{a}" for a in grants), f"Resource::<{bucket_id}.Arn>/*"]:
            acknowledge(
                framework,
                f"AwsSolutions-IAM5[{qualifier}]",
                "CDK Pipelines grants its roles read or read-write on the pipeline's own artifact bucket and key "
                "only; the object wildcard is the artifacts of every execution",
            )
        partition = RegionInfo.get(self.config.region).partition or "aws"
        for project in (c for c in framework.node.find_all() if isinstance(c, codebuild.Project)):
            pid = self.resolve(cast(CfnResource, project.node.default_child).logical_id)
            prefix = f"arn:{partition}:{{}}:{self.config.region}:{self.config.account}:"
            for resource in (
                prefix.format("codebuild") + f"report-group/<{pid}>-*",
                prefix.format("logs") + f"log-group:/aws/codebuild/<{pid}>:*",
            ):
                acknowledge(
                    project,
                    f"AwsSolutions-IAM5[Resource::{resource}]",
                    "CodeBuild writes its own log streams and test reports under names it generates per build; the "
                    "wildcard is scoped to this one project's log group and report groups",
                )
        for support in self.pipeline.pipeline.cross_region_support.values():
            name = self.resolve(support.replication_bucket.bucket_name)
            acknowledge(
                self.pipeline.pipeline.role,
                f"AwsSolutions-IAM5[Resource::arn:{partition}:s3:::{name}/*]",
                "CodePipeline replicates artifacts to its own bucket in each target region; the wildcard is the "
                "objects of that one replication bucket",
            )
        if self.pipeline.pipeline.cross_region_support and any(
            t.account != self.config.account for _, t, _ in self._steps
        ):
            reason = (
                "with cross-account keys CodePipeline grants its role the KMS data-key actions on the replication "
                "buckets' keys of the other regions' support stacks, which it cannot reference there, as Resource *"
            )
            acknowledge(self.pipeline.pipeline.role, "AwsSolutions-IAM5[Resource::*]", reason)
            skip_checkov(self.pipeline.pipeline.role.node.find_child("DefaultPolicy"), "CKV_AWS_111", reason)
        # cfn-lint E3703 (prefer Fn::Sub to an empty-delimiter Fn::Join) on the deploy actions' RoleArn: CDK Pipelines
        # renders the targets' cfn-exec-role ARNs with Fn::Join; valid CloudFormation, and not ours to render.
        cast(CfnResource, self.pipeline.pipeline.node.default_child).add_metadata(
            "cfn-lint", {"config": {"ignore_checks": ["E3703"]}}
        )
        assets = self.pipeline.node.try_find_child("Assets")  # only when a stage stack has file or image assets
        for role_id in ("FileRole", "DockerRole"):
            role = assets.node.try_find_child(role_id) if assets is not None else None
            if role is None:
                continue
            prefix = f"arn:{partition}:{{}}:{self.config.region}:{self.config.account}:"
            skip_checkov(role.node.find_child("DefaultPolicy"), "CKV_AWS_111", _ASSET_ROLE_REASON)
            for qualifier in (
                "Resource::*",
                f"Resource::{prefix.format('logs')}log-group:/aws/codebuild/*",
                f"Resource::{prefix.format('codebuild')}report-group/*",
            ):
                acknowledge(role, f"AwsSolutions-IAM5[{qualifier}]", _ASSET_ROLE_REASON)
        mutation = self.pipeline.self_mutation_project
        for qualifier in ("Resource::*", f"Resource::arn:*:iam::{self.config.account}:role/*"):
            acknowledge(
                mutation,
                f"AwsSolutions-IAM5[{qualifier}]",
                "the self-mutation step runs cdk deploy of this stack: CDK Pipelines lets it describe stacks and "
                "assume the CDK bootstrap roles (tag-conditioned) in this account, as the CDK CLI needs",
            )
        buckets: list[IConstruct] = [bucket]
        buckets += [s.replication_bucket for s in self.pipeline.pipeline.cross_region_support.values()]
        for b in buckets:
            for rule, reason in _BUCKET_REASONS.items():
                acknowledge(b, rule, reason)
                if rule in _CHECKOV_BUCKET:
                    skip_checkov(b, _CHECKOV_BUCKET[rule], reason)
        for step, target, checks in self._steps:
            for qualifier, reason in self._own_wildcards(target, checks).items():
                acknowledge(step.project, f"AwsSolutions-IAM5[{qualifier}]", reason)
