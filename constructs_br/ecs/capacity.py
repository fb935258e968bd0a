"""One ECS capacity: Auto Scaling group + Bottlerocket launch template + instance role + capacity provider.

Construct ids are API (CloudFormation logical IDs): ``AutoScalingGroup``, ``LaunchTemplate``, ``InstanceRole``,
``SecurityGroup``, ``CapacityProvider``. Nothing is named after an instance type, image version, index or stage.

Why not ``cluster.add_asg_capacity_provider``: even with ``MachineImageType.BOTTLEROCKET`` CDK appends a second
``[settings.ecs]`` table to the launch template's user data (a TOML error: the node cannot read its settings,
aws-cdk#16360's family of problems) and attaches ``AmazonSSMManagedInstanceCore`` and
``AmazonEC2ContainerServiceforEC2Role``. The provider is associated with the cluster by
:class:`~constructs_br.ecs.cluster.ClusterCapacityProviders` instead; ``tests/unit/ecs`` pins CDK's behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jsii
from aws_cdk import (
    Annotations,
    CfnAutoScalingRollingUpdate,
    CfnAutoScalingScheduledAction,
    CfnCreationPolicy,
    CfnResourceSignal,
    CfnUpdatePolicy,
    Duration,
    IResolveContext,
    IStableStringProducer,
    Lazy,
    Stack,
)
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_br import tags
from constructs_br._scope import add_tags
from constructs_br.compliance.nag import acknowledge
from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.iam.ecs_instance_role import EcsInstanceRole
from constructs_br.images.lockfile import Lockfile
from constructs_br.images.resolve import ResolvedImage
from constructs_br.nodes.image import image_id_value, resolve_for_stack
from constructs_br.nodes.launch_template import (
    BottlerocketLaunchTemplate,
    grant_ebs_key_to_autoscaling,
    warn_if_imported_key,
)
from constructs_br.nodes.options import SPOT_SINGLE_TYPE_WARNING, user_data_problems
from constructs_br.settings.builders import ecs_user_data
from constructs_br.settings.model import EcsSettings, Settings

_PLACEHOLDER_LOGICAL_ID = "AutoScalingGroupPlaceholder"


class EcsCapacity(Construct):
    """Bottlerocket container instances for ``cluster``, behind one ECS capacity provider.

    - image: resolved from ``spec.image`` for the stack's region (pinned from ``lockfile`` by default; the
      lockfile's previous pin when ``spec.image_version`` names it);
    - user data: Bottlerocket TOML from :func:`~constructs_br.settings.ecs_user_data`: ``settings.ecs`` (cluster,
      spot draining on, privileged containers off, log level, image pull behaviour), admin container off, control
      container on, and ``settings.cloudformation`` so each node signals its ASG when it has booted;
    - ASG: ``CreationPolicy`` waits for ``min_size`` signals, ``UpdatePolicy`` rolls ``max_batch_size`` at a time
      keeping ``min_size`` in service and waiting for signals; new instances protected from scale-in (managed
      termination protection);
    - capacity provider: managed scaling to ``target_capacity_percent``, instance warm-up, managed termination
      protection, managed draining (set explicitly: tasks leave an instance before Auto Scaling terminates it);
    - ``retiring`` (blue/green): min/max 0, no scale-in protection, managed termination protection off, so the
      next phase deletes the group without waiting on protected instances.

    ``slot`` (``single`` / ``blue`` / ``green``) and ``fleet`` only tag resources.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        vpc: ec2.IVpc,
        spec: EcsCapacitySpec,
        lockfile: Lockfile,
        fleet: str,
        stage: str | None = None,
        slot: str = "single",
        retiring: bool = False,
        vpc_subnets: ec2.SubnetSelection | None = None,
        volume_key: kms.IKey | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        field_prefix: str = "capacity",
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.spec = spec
        self.retiring = retiring
        self.image: ResolvedImage = resolve_for_stack(
            self, spec.image, lockfile, image_version=spec.image_version, field=field_prefix
        )
        variant = self.image.variant.name
        settings_layer = Settings(
            ecs=EcsSettings(
                loglevel=spec.loglevel,
                image_pull_behavior=spec.image_pull_behavior,
                logging_drivers=spec.logging_drivers,
            )
        )

        def render(logical_id: str) -> str:
            return ecs_user_data(
                variant=variant,
                cluster=cluster.cluster_name,
                nodegroup=settings_layer,
                extras=spec.extra_settings,
                stack_name=stack.stack_name,
                logical_resource_id=logical_id,
            )

        # Validate now: every settings problem, and EC2's user-data limit, raises here, not at synth or deploy.
        user_data_problems(render(_PLACEHOLDER_LOGICAL_ID), f"{field_prefix}.user_data").raise_if_any()
        for warning in spec.warnings():
            Annotations.of(self).add_warning_v2(SPOT_SINGLE_TYPE_WARNING, warning)

        fleet_tags = {tags.FLEET: fleet, tags.SLOT: slot, tags.VARIANT: variant}
        if stage is not None:
            fleet_tags[tags.STAGE] = stage
        if self.image.release_version is not None:
            fleet_tags[tags.IMAGE_VERSION] = self.image.release_version

        self.instance_role = EcsInstanceRole(self, "InstanceRole", cluster=cluster)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Bottlerocket ECS container instances: no inbound rules, outbound to ECS/ECR/SSM endpoints",
            allow_all_outbound=True,
        )
        if isinstance(volume_key, kms.Key):
            grant_ebs_key_to_autoscaling(volume_key)
        warn_if_imported_key(self, volume_key)
        self._user_data = _LazyUserData(render)
        self.launch_template = BottlerocketLaunchTemplate(
            self,
            "LaunchTemplate",
            user_data=Lazy.string(self._user_data),
            image_id=image_id_value(self, self.image),
            security_groups=[self.security_group, *security_groups],
            volumes=spec.volumes,
            metadata=spec.metadata,
            volume_key=volume_key,
            instance_profile_role=self.instance_role.role,
            tags=fleet_tags,
            field_prefix="capacity.launch_template",
        )
        spot = spec.spot_percentage > 0
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "AutoScalingGroup",
            vpc=vpc,
            vpc_subnets=vpc_subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            mixed_instances_policy=autoscaling.MixedInstancesPolicy(
                launch_template=self.launch_template.launch_template,
                launch_template_overrides=[
                    autoscaling.LaunchTemplateOverrides(instance_type=ec2.InstanceType(t)) for t in spec.instance_types
                ],
                instances_distribution=autoscaling.InstancesDistribution(
                    on_demand_base_capacity=spec.on_demand_base_capacity,
                    on_demand_percentage_above_base_capacity=100 - spec.spot_percentage,
                    spot_allocation_strategy=autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED
                    if spot
                    else None,
                    on_demand_allocation_strategy=autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
                ),
            ),
            # Retiring: scaled to zero and deletable (the next phase removes it; nothing may block the delete).
            min_capacity=0 if retiring else spec.min_size,
            max_capacity=0 if retiring else spec.max_size,
            capacity_rebalance=spot,
            health_checks=autoscaling.HealthChecks.ec2(grace_period=Duration.seconds(spec.instance_warmup_seconds)),
        )
        cfn_asg = self.auto_scaling_group.node.default_child
        assert isinstance(cfn_asg, autoscaling.CfnAutoScalingGroup)
        self._user_data.bind(stack, cfn_asg)
        _boot_signal_policies(cfn_asg, spec, retiring=retiring)
        add_tags(self.auto_scaling_group, fleet_tags, apply_to_launched_instances=True)

        self.capacity_provider = ecs.AsgCapacityProvider(
            self,
            "CapacityProvider",
            auto_scaling_group=self.auto_scaling_group,
            machine_image_type=ecs.MachineImageType.BOTTLEROCKET,
            enable_managed_scaling=True,
            enable_managed_termination_protection=not retiring,
            # Explicit: on an image change or scale-in, ECS drains the instance's tasks (through the ASG's
            # termination lifecycle hook) before Auto Scaling terminates it.
            enable_managed_draining=True,
            target_capacity_percent=spec.target_capacity_percent,
            instance_warmup_period=spec.instance_warmup_seconds,
        )
        _acknowledge_asg_findings(self.auto_scaling_group)
        acknowledge(
            self.auto_scaling_group,
            "NIST.800.53.R5-AutoScalingGroupELBHealthCheckRequired",
            "ECS container instances serve no load balancer themselves; tasks register with target groups and "
            "ECS replaces unhealthy tasks, while EC2 status checks replace unhealthy instances.",
        )

    @property
    def capacity_provider_name(self) -> str:
        return self.capacity_provider.capacity_provider_name

    @property
    def user_data(self) -> str:
        """The rendered TOML user data (with the ASG's real logical ID)."""
        return self._user_data.render()


def _acknowledge_asg_findings(asg: autoscaling.AutoScalingGroup) -> None:
    acknowledge(
        asg,
        "NIST.800.53.R5-EC2IMDSv2Enabled",
        "The rule reads only LaunchTemplate/LaunchConfiguration, not MixedInstancesPolicy; the launch template "
        "requires IMDSv2 tokens with hop limit 1 (asserted in tests/unit/ecs and by the moto deploy test).",
    )
    acknowledge(
        asg,
        "AwsSolutions-EC26",
        "The rule cannot evaluate the launch template reference inside MixedInstancesPolicy; both Bottlerocket "
        "volumes are encrypted gp3 in the launch template (asserted in unit tests and the deploy test).",
    )
    acknowledge(
        asg,
        "AwsSolutions-AS3",
        "ECS managed scaling drives this group; scaling activity is visible in ECS capacity provider events "
        "and CloudTrail, and fleet alerting is the logs/monitoring layer's job, not one SNS topic per group.",
    )


def _boot_signal_policies(
    cfn_asg: autoscaling.CfnAutoScalingGroup, spec: EcsCapacitySpec, *, retiring: bool = False
) -> None:
    """CreationPolicy: the deploy waits for ``min_size`` boot signals. UpdatePolicy: roll ``max_batch_size`` at a
    time, keep ``min_size`` in service, wait for each new node's signal; a node that cannot boot fails the deploy
    and CloudFormation rolls back. Set on the L1 (not the L2's ``signals``) because the L2 would also add an inline
    ``cloudformation:SignalResource`` policy; the instance role's managed policy already carries it."""
    timeout = f"PT{spec.signal_timeout_minutes}M"
    if spec.min_size > 0:
        cfn_asg.cfn_options.creation_policy = CfnCreationPolicy(
            resource_signal=CfnResourceSignal(count=spec.min_size, timeout=timeout)
        )
    cfn_asg.cfn_options.update_policy = CfnUpdatePolicy(
        auto_scaling_rolling_update=CfnAutoScalingRollingUpdate(
            max_batch_size=spec.max_batch_size,
            min_instances_in_service=0 if retiring else spec.min_size,
            pause_time=timeout,
            wait_on_resource_signals=True,
            # Scaling processes that would fight the rolling update (CDK's default list for rolling updates).
            suspend_processes=[
                "HealthCheck",
                "ReplaceUnhealthy",
                "AZRebalance",
                "AlarmNotification",
                "ScheduledActions",
                "InstanceRefresh",
            ],
        ),
        # ECS managed scaling owns DesiredCapacity: a deploy must not reset it.
        auto_scaling_scheduled_action=CfnAutoScalingScheduledAction(ignore_unmodified_group_size_properties=True),
    )


@jsii.implements(IStableStringProducer)
class _LazyUserData:
    """Renders the user data once the ASG exists: ``settings.cloudformation.logical-resource-id`` is its logical ID,
    and the launch template (which carries the user data) must be created before the ASG that uses it."""

    def __init__(self, render: Callable[[str], str]) -> None:
        self._render = render
        self._stack: Stack | None = None
        self._asg: autoscaling.CfnAutoScalingGroup | None = None

    def bind(self, stack: Stack, asg: autoscaling.CfnAutoScalingGroup) -> None:
        self._stack, self._asg = stack, asg

    def render(self) -> str:
        if self._stack is None or self._asg is None:
            raise RuntimeError("EcsCapacity user data rendered before its Auto Scaling group existed")
        return self._render(self._stack.get_logical_id(self._asg))

    def produce(self, context: IResolveContext | None = None) -> str:
        return self.render()
