"""The secure Bottlerocket launch template shared by EKS node groups and ECS capacity.

Defaults (each an explicit opt-out): IMDSv2 required with hop limit 1; ``/dev/xvda`` (OS) and ``/dev/xvdb``
(data) gp3 and encrypted (AWS-managed EBS key, or a customer key); no key pair; Bottlerocket TOML user data
passed through unchanged; tags propagated to instances and volumes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br.nodes.options import MetadataOptions, VolumeOptions

OS_DEVICE = "/dev/xvda"
DATA_DEVICE = "/dev/xvdb"


def grant_ebs_key_to_autoscaling(key: kms.Key) -> None:
    """Let the Auto Scaling service-linked role use ``key`` for node volumes (EKS managed node groups and
    ECS ASGs launch through it; without this grant, instances with customer-key volumes fail to start).

    The role ``AWSServiceRoleForAutoScaling`` must exist in the account (it does once any ASG was created).
    """
    stack = Stack.of(key)
    slr = iam.ArnPrincipal(
        f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowAutoScalingToUseKeyForNodeVolumes",
            principals=[slr],
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            resources=["*"],
        )
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowAutoScalingToGrantForNodeVolumes",
            principals=[slr],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
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
        for key, value in sorted((tags or {}).items()):
            Tags.of(self.resource).add(key, value)

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
