"""The secure Bottlerocket launch template shared by EKS node groups and ECS capacity.

Defaults (each an explicit opt-out): IMDSv2 required with hop limit 1; ``/dev/xvda`` (OS) and ``/dev/xvdb``
(data) gp3 and encrypted (AWS-managed EBS key, or a customer key); no key pair; Bottlerocket TOML user data
passed through unchanged; tags propagated to instances and volumes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import Annotations, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br._scope import add_tags
from constructs_br.compliance.checkov import skip_checkov
from constructs_br.nodes.options import MetadataOptions, VolumeOptions, user_data_problems

OS_DEVICE = "/dev/xvda"
DATA_DEVICE = "/dev/xvdb"


AUTOSCALING_SLR = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
"""The Auto Scaling service-linked role (path and name) that launches EKS managed node groups' and ECS ASGs' nodes."""

EBS_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")


def autoscaling_key_statements(account: str, partition: str) -> list[iam.PolicyStatement]:
    """The key-policy statements the Auto Scaling service-linked role needs to launch nodes with volumes encrypted
    by a customer key. The role is matched by an ``aws:PrincipalArn`` condition, not named as a principal: KMS
    rejects a key policy naming a principal that does not exist yet, and the role appears in an account only with
    its first Auto Scaling group (``brctl preflight`` reports it)."""
    slr = f"arn:{partition}:iam::{account}:{AUTOSCALING_SLR}"
    narrowed = {"ArnEquals": {"aws:PrincipalArn": slr}, "StringEquals": {"kms:CallerAccount": account}}
    return [
        iam.PolicyStatement(
            sid="AllowAutoScalingToUseKeyForNodeVolumes",
            principals=[iam.AnyPrincipal()],
            actions=list(EBS_KEY_ACTIONS),
            resources=["*"],
            conditions=narrowed,
        ),
        iam.PolicyStatement(
            sid="AllowAutoScalingToGrantForNodeVolumes",
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={**narrowed, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


def grant_ebs_key_to_autoscaling(key: kms.Key) -> None:
    """Let the Auto Scaling service-linked role use ``key`` for node volumes (EKS managed node groups and ECS ASGs
    launch through it; without this grant, instances with customer-key volumes fail to start). Idempotent."""
    stack = Stack.of(key)
    if key.node.try_find_child("AutoScalingGrantMarker") is not None:
        return
    Construct(key, "AutoScalingGrantMarker")
    for statement in autoscaling_key_statements(stack.account, stack.partition):
        key.add_to_resource_policy(statement)
    skip_checkov(
        key,
        "CKV_AWS_33",
        "The wildcard principal is narrowed by aws:PrincipalArn to this account's Auto Scaling service-linked role; "
        "KMS rejects naming that role as principal before it exists (see autoscaling_key_statements).",
    )


IMPORTED_KEY_WARNING = "constructs-br:imported-volume-key"
"""Warning ID when node volumes use a KMS key not created in this app (its policy is not ours to extend)."""


def warn_if_imported_key(scope: Construct, key: kms.IKey | None) -> None:
    """An imported key gets no Auto Scaling grant from us: nodes then fail at launch with
    ``Client.InvalidKMSKey.InvalidState``. Warn at synth, naming the statements the key's policy needs."""
    if key is None or isinstance(key, kms.Key):
        return
    stack = Stack.of(scope)
    slr = f"arn:{stack.partition}:iam::{stack.account}:{AUTOSCALING_SLR}"
    Annotations.of(scope).add_warning_v2(
        IMPORTED_KEY_WARNING,
        "node volumes use an imported KMS key: its key policy must allow the Auto Scaling service-linked role "
        f"({slr}) {', '.join(EBS_KEY_ACTIONS)} on '*', and kms:CreateGrant with kms:GrantIsForAWSResource=true, "
        "or nodes fail at launch with Client.InvalidKMSKey.InvalidState (see "
        "constructs_br.nodes.launch_template.autoscaling_key_statements)",
    )


class BottlerocketLaunchTemplate(Construct):
    """A launch template for Bottlerocket nodes. The L2 ``ec2.LaunchTemplate`` has id ``Resource``.

    ``image_id`` is ``None`` on the EKS-managed-AMI path (EKS picks the AMI from the node group's AMI type and
    release version; a launch template must then carry no image). ``user_data`` is Bottlerocket TOML, rendered
    by :mod:`constructs_br.settings` — never string-built here.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        user_data: str,
        image_id: str | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        volumes: VolumeOptions | None = None,
        metadata: MetadataOptions | None = None,
        volume_key: kms.IKey | None = None,
        instance_profile_role: iam.IRole | None = None,
        tags: Mapping[str, str] | None = None,
        field_prefix: str = "launch_template",
    ) -> None:
        super().__init__(scope, construct_id)
        volumes = volumes or VolumeOptions()
        metadata = metadata or MetadataOptions()
        problems = volumes.problems(f"{field_prefix}.volumes")
        problems.extend(metadata.problems(f"{field_prefix}.metadata").items)
        problems.extend(user_data_problems(user_data, f"{field_prefix}.user_data").items)
        problems.raise_if_any()

        def gp3(size: int, *, iops: int | None = None, throughput: int | None = None) -> ec2.BlockDeviceVolume:
            return ec2.BlockDeviceVolume.ebs(
                size,
                volume_type=ec2.EbsDeviceVolumeType.GP3,
                encrypted=True,
                kms_key=volume_key,
                delete_on_termination=True,
                iops=iops,
                throughput=throughput,
            )

        machine_image = _ImageId(image_id) if image_id is not None else None
        # ec2.LaunchTemplate refuses add_security_group unless a first group was given to its constructor.
        first_sg = security_groups[0] if security_groups else None

        self.resource = ec2.LaunchTemplate(
            self,
            "Resource",
            machine_image=machine_image,
            user_data=ec2.UserData.custom(user_data),
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_endpoint=True,
            http_put_response_hop_limit=metadata.hop_limit,
            instance_metadata_tags=False,
            block_devices=[
                ec2.BlockDevice(device_name=OS_DEVICE, volume=gp3(volumes.os_size_gib)),
                ec2.BlockDevice(
                    device_name=DATA_DEVICE,
                    volume=gp3(volumes.data_size_gib, iops=volumes.data_iops, throughput=volumes.data_throughput_mibps),
                ),
            ],
            role=instance_profile_role,
            security_group=first_sg,
        )
        for sg in security_groups[1:]:
            self.resource.add_security_group(sg)
        add_tags(self.resource, tags or {})

    @property
    def launch_template(self) -> ec2.LaunchTemplate:
        return self.resource


@jsii.implements(ec2.IMachineImage)
class _ImageId:
    """An AMI ID as given: a literal pin, a context-lookup value, or a deploy-time parameter reference."""

    def __init__(self, image_id: str) -> None:
        self._image_id = image_id

    def get_image(self, scope: Construct) -> ec2.MachineImageConfig:
        return ec2.MachineImageConfig(
            image_id=self._image_id, os_type=ec2.OperatingSystemType.LINUX, user_data=ec2.UserData.for_linux()
        )
