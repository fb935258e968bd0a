"""``FleetConfigRules``: the fleet's AWS Config managed rules for one stage in one region.

* ``APPROVED_AMIS_BY_ID`` with exactly the AMIs the caller passes (use
  :func:`constructs_br.compliance.controls.approved_ami_ids`: every pin of the region, current and previous), split
  into several rules (``ApprovedAmis1``, ``ApprovedAmis2``, …) above 21 IDs or 1024 characters;
* the rule set of :data:`constructs_br.compliance.controls.RULES` (``EKS_ENDPOINT_NO_PUBLIC_ACCESS`` only with
  ``require_private_endpoint``).

Change-triggered rules are scoped to resources tagged ``constructs-br:stage = <stage>``; periodic rules cannot take a
scope and evaluate every resource of their type in the region.

**Recorder.** Config rules evaluate only what a configuration recorder records. ``recorder="existing"`` (default)
relies on the account's recorder (Control Tower / an organisation usually owns it). CloudFormation does not know
that dependency: without a recorder in the region, creating a rule can fail (``PutConfigRule`` →
``NoAvailableConfigurationRecorderException``), and a recorder that exists but is stopped leaves the rules with no
evaluations. ``recorder="create"`` adds a recorder (all supported types), its role, a delivery channel and an
encrypted, versioned, TLS-only S3 bucket — only one recorder may exist per account and region, so use it in one
stack per account/region. Rules then depend on the recorder and channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_br import tags
from constructs_br.compliance import controls, guard
from constructs_br.compliance.nag import acknowledge
from constructs_br.errors import ConfigError, Problems

RecorderMode = Literal["existing", "create"]


class FleetConfigRules(Construct):
    """The Config rules of one stage (see the module docstring).

    ``stage``: the value of the ``constructs-br:stage`` tag the rules are scoped to (and part of each rule name).
    ``approved_ami_ids``: the AMIs ``APPROVED_AMIS_BY_ID`` allows, in order (at least one).
    ``oldest_kubernetes_version``: ``oldestVersionSupported`` of ``EKS_CLUSTER_SUPPORTED_VERSION``, e.g. ``"1.31"``.
    ``require_private_endpoint``: add ``EKS_ENDPOINT_NO_PUBLIC_ACCESS`` (default ``False``).
    ``recorder``: ``"existing"`` (default) or ``"create"``; ``encryption_key``: KMS key of the created delivery
    bucket (required with ``"create"``).
    ``operator_roles``: when given, also the Guard custom policy rules (:class:`FleetGuardRules`, construct id
    ``Guard``, in :attr:`guard`): SSM access only for these role names, launch templates with IMDSv2 and an approved
    AMI.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        approved_ami_ids: Sequence[str],
        oldest_kubernetes_version: str,
        require_private_endpoint: bool = False,
        recorder: RecorderMode = "existing",
        encryption_key: kms.IKey | None = None,
        operator_roles: Sequence[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        p = Problems()
        if not stage:
            p.add("stage", stage, "a non-empty stage name")
        if not approved_ami_ids:
            p.add("approved_ami_ids", list(approved_ami_ids), "at least one AMI ID (the region has no pins?)")
        if len(set(approved_ami_ids)) != len(approved_ami_ids):
            p.add("approved_ami_ids", list(approved_ami_ids), "distinct AMI IDs")
        if not Token.is_unresolved(oldest_kubernetes_version) and not _is_minor(oldest_kubernetes_version):
            p.add("oldest_kubernetes_version", oldest_kubernetes_version, "a Kubernetes minor such as 1.31")
        if recorder not in ("existing", "create"):
            p.add("recorder", recorder, "existing | create")
        if recorder == "create" and encryption_key is None:
            p.add("encryption_key", None, "a KMS key for the Config delivery bucket (recorder='create')")
        p.raise_if_any()

        self.stage = stage
        scope_ = config.RuleScope.from_tag(tags.STAGE, stage)
        self.rules: dict[str, config.ManagedRule] = {}
        """Rule key (``approved-amis-1``, ``imdsv2``, …) → rule."""

        chunks = controls.chunk_ami_ids(list(approved_ami_ids))
        self.approved_ami_rules: list[config.ManagedRule] = []
        for n, chunk in enumerate(chunks, start=1):
            # Logical IDs ApprovedAmis1..N: a rule per chunk; a Config rule replaced is re-evaluated, nothing rolls.
            rule = config.ManagedRule(
                self,
                f"ApprovedAmis{n}",
                identifier=controls.APPROVED_AMIS.identifier,
                config_rule_name=controls.config_rule_name(stage, controls.APPROVED_AMIS.key, n),
                description=f"{controls.APPROVED_AMIS.description} ({n}/{len(chunks)})",
                input_parameters={"amiIds": ",".join(chunk)},
                rule_scope=scope_,
            )
            self.approved_ami_rules.append(rule)
            self.rules[f"{controls.APPROVED_AMIS.key}-{n}"] = rule

        for spec in controls.rules_for(production=require_private_endpoint):
            params: dict[str, object] = dict(spec.parameters)
            if spec.identifier == "EKS_CLUSTER_SUPPORTED_VERSION":
                params["oldestVersionSupported"] = oldest_kubernetes_version
            self.rules[spec.key] = config.ManagedRule(
                self,
                _pascal(spec.key),
                identifier=spec.identifier,
                config_rule_name=controls.config_rule_name(stage, spec.key),
                description=spec.description,
                input_parameters=params or None,
                rule_scope=scope_ if spec.tag_scoped else None,
            )

        self.guard: FleetGuardRules | None = None
        if operator_roles is not None:
            self.guard = FleetGuardRules(
                self, "Guard", stage=stage, operator_roles=operator_roles, approved_ami_ids=approved_ami_ids
            )

        self.recorder: config.CfnConfigurationRecorder | None = None
        self.delivery_bucket: s3.Bucket | None = None
        if recorder == "create" and encryption_key is not None:
            self._create_recorder(encryption_key)

    def _create_recorder(self, key: kms.IKey) -> None:
        bucket = s3.Bucket(
            self,
            "DeliveryBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(365))],
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "Config delivery bucket: server access logs would need another "
            "bucket whose own logs go nowhere; Config and CloudTrail record every access to it",
        )
        acknowledge(
            bucket,
            "NIST.800.53.R5-S3BucketLoggingEnabled",
            "Config delivery bucket: access logging "
            "would need a second bucket; CloudTrail data events are the audit trail for it",
        )
        acknowledge(
            bucket,
            "NIST.800.53.R5-S3BucketReplicationEnabled",
            "Config snapshots are reproducible "
            "from the recorder; cross-region replication is an organisation-level decision",
        )
        account = Stack.of(self).account
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigAclCheck",
                principals=[iam.ServicePrincipal("config.amazonaws.com")],
                actions=["s3:GetBucketAcl", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": {"AWS:SourceAccount": account}},
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigWrite",
                principals=[iam.ServicePrincipal("config.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"AWSLogs/{account}/Config/*")],
                conditions={"StringEquals": {"AWS:SourceAccount": account}},
            )
        )
        key.grant_encrypt_decrypt(iam.ServicePrincipal("config.amazonaws.com"))
        role = iam.Role(
            self,
            "RecorderRole",
            assumed_by=iam.ServicePrincipal("config.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")],
        )
        acknowledge(
            role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]",
            "AWS_ConfigRole is the AWS-maintained read policy the Config "
            "recorder needs; it follows new resource types without our edits",
        )
        recorder = config.CfnConfigurationRecorder(
            self,
            "Recorder",
            role_arn=role.role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=False
            ),
        )
        channel = config.CfnDeliveryChannel(
            self, "DeliveryChannel", s3_bucket_name=bucket.bucket_name, s3_kms_key_arn=key.key_arn
        )
        channel.node.add_dependency(bucket)
        for rule in [*self.rules.values(), *(self.guard.rules.values() if self.guard else ())]:
            rule.node.add_dependency(recorder, channel)
        self.recorder = recorder
        self.delivery_bucket = bucket


def _is_minor(value: str) -> bool:
    major, _, minor = value.partition(".")
    return major.isdigit() and minor.isdigit()


def _pascal(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("-"))


class FleetGuardRules(Construct):
    """The fleet's two AWS Config custom policy (Guard ``guard-2.x.x``) rules of one stage
    (:mod:`constructs_br.compliance.guard`):

    * ``SsmAccess`` (rule ``constructs-br-<stage>-ssm-access``): IAM roles, users, groups and customer managed
      policies that grant ``ssm:StartSession`` / ``ssm:SendCommand`` outside ``operator_roles`` (change-triggered on
      the IAM resource types; IAM is global, so it sees only what a recorder with global types records);
    * ``LaunchTemplates`` (rule ``constructs-br-<stage>-launch-templates``): launch templates tagged
      ``constructs-br:stage = <stage>`` require IMDSv2 and use one of ``approved_ami_ids``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        operator_roles: Sequence[str],
        approved_ami_ids: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        if not stage:
            raise ConfigError("stage", stage, "a non-empty stage name")
        self.ssm_policy_text = guard.ssm_access_policy(operator_roles=operator_roles)
        self.launch_template_policy_text = guard.launch_template_policy(approved_ami_ids=approved_ami_ids)
        self.ssm_access = config.CustomPolicy(
            self,
            "SsmAccess",
            policy_text=self.ssm_policy_text,
            config_rule_name=controls.config_rule_name(stage, "ssm-access"),
            # Config caps descriptions at 256 characters: the role list lives in the policy text, not here.
            description=f"ssm:StartSession / ssm:SendCommand granted only to the {len(set(operator_roles))} designated "
            "operator roles of this account (named in the Guard policy); a text match, see docs/compliance.md",
            rule_scope=config.RuleScope.from_resources([config.ResourceType.of(t) for t in guard.IAM_RESOURCE_TYPES]),
        )
        self.launch_templates = config.CustomPolicy(
            self,
            "LaunchTemplates",
            policy_text=self.launch_template_policy_text,
            config_rule_name=controls.config_rule_name(stage, "launch-templates"),
            description="fleet launch templates require IMDSv2 and an AMI pinned in the lockfile for this region",
            rule_scope=config.RuleScope.from_tag(tags.STAGE, stage),
        )
        self.rules: dict[str, config.CustomPolicy] = {
            "ssm-access": self.ssm_access,
            "launch-templates": self.launch_templates,
        }
