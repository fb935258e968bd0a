"""A hardened VPC for Bottlerocket fleets, and the stack base that keeps its synth free of AZ lookups.

``BottlerocketVpc`` *is* an ``ec2.Vpc`` (a subclass) with: public subnets only for NAT gateways and load balancers
(no auto-assigned public IPs), private subnets with egress for nodes, every subnet tagged for the AWS Load Balancer
Controller, flow logs of ALL traffic to a KMS-encrypted log group with a retention, the default security group
closed (no rules), and availability zones given explicitly.

CDK's ``Vpc`` reads ``Stack.availability_zones`` even when zones are given, and a stack with a concrete env then
asks the CLI for an AZ lookup (which needs AWS credentials). ``PinnedAzStack`` answers it from its own list; a stack
that neither is one nor overrides ``availability_zones`` is refused with an error saying so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_br._scope import stack_env, stack_of
from constructs_br.compliance.checkov import skip_checkov
from constructs_br.compliance.nag import acknowledge
from constructs_br.errors import Problems
from constructs_br.logs.keys import encrypted_log_group

_DEFAULT_SG_LAMBDA = "CDK's restrict_default_security_group handler runs only as a CloudFormation custom resource"
_DEFAULT_SG_LAMBDA_SKIPS = {
    "CKV_AWS_115": f"{_DEFAULT_SG_LAMBDA}, once per deployment; it cannot exhaust account concurrency.",
    "CKV_AWS_116": f"{_DEFAULT_SG_LAMBDA}, invoked synchronously; failures fail the deployment, no DLQ needed.",
    "CKV_AWS_117": f"{_DEFAULT_SG_LAMBDA} and calls only the EC2 API; it reads no data a VPC would protect.",
}

AZ_ID = re.compile(r"^[a-z]{2,5}[0-9]+-az[0-9]+$")
"""An availability-zone ID (``use1-az1``): the same physical zone in every account, unlike a name (``us-east-1a``),
which AWS maps to a different zone per account. Read an account's mapping with
``aws ec2 describe-availability-zones --query 'AvailabilityZones[].[ZoneName,ZoneId]'``."""

EKS_UNSUPPORTED_AZ_IDS: frozenset[str] = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})
"""Zones where EKS refuses control-plane subnets (EKS user guide, cluster VPC requirements)."""


def is_az_id(value: str) -> bool:
    """``use1-az1`` → True, ``us-east-1a`` → False."""
    return bool(AZ_ID.match(value))


def az_problems(azs: Sequence[str], region: str | None, field: str) -> Problems:
    """Zone names of ``region`` or zone IDs (not mixed), each once, at least two, none that EKS refuses."""
    p = Problems()
    zones = list(azs)
    if len(zones) < 2:
        p.add(field, zones, "at least 2 availability zones (EKS needs 2)")
    if len(set(zones)) != len(zones):
        p.add(field, zones, "each zone once")
    ids = [z for z in zones if is_az_id(z)]
    if ids and len(ids) != len(zones):
        p.add(field, zones, "all zone names (us-east-1a) or all zone IDs (use1-az1), not mixed")
    elif ids:
        refused = sorted(set(ids) & EKS_UNSUPPORTED_AZ_IDS)
        if refused:
            p.add(field, refused, "zone IDs EKS supports", "EKS refuses control-plane subnets in these zones")
    elif region is not None:
        wrong = [z for z in zones if not z.startswith(region)]
        if wrong:
            p.add(field, wrong, f"zones of the stack's region {region} ({region}a, ...) or zone IDs (use1-az1)")
    return p


class PinnedAzStack(Stack):
    """A ``Stack`` whose availability zones are given, so nothing in it triggers an AZ context lookup.

    :param availability_zones: the zones (names such as ``us-west-2a``) constructs in this stack may use.
    Other keyword arguments are ``Stack``'s (``env`` must name a concrete region for pinned images).
    """

    def __init__(
        self, scope: Construct | None, construct_id: str, *, availability_zones: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._pinned_azs = list(availability_zones)

    @property
    def availability_zones(self) -> list[str]:
        """The zones given to the constructor (no lookup)."""
        return list(self._pinned_azs)


def _overrides_azs(stack: Stack) -> bool:
    return type(stack).availability_zones is not Stack.availability_zones


class BottlerocketVpc(ec2.Vpc):
    """The fleet's VPC (see the module docstring).

    :param availability_zones: 2 or more zones (EKS needs two): names of the stack's region (``us-east-1a``), or
        zone IDs (``use1-az1``, the same physical zone in every account; subnets then carry
        ``AvailabilityZoneId``). Zones EKS refuses (:data:`EKS_UNSUPPORTED_AZ_IDS`) are an error.
    :param cidr: the VPC's IPv4 CIDR (default ``10.0.0.0/16``); private subnets /19, public /24.
    :param nat_gateways: 0..len(availability_zones) (default 1).
    :param flow_log_key: customer-managed KMS key of the flow-log group (ignored when ``flow_log_group`` is given).
    :param flow_log_group: an existing log group for the flow logs (default: child ``FlowLogs``, encrypted).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        availability_zones: Sequence[str],
        flow_log_key: kms.IKey | None = None,
        flow_log_group: logs.ILogGroup | None = None,
        cidr: str = "10.0.0.0/16",
        nat_gateways: int = 1,
    ) -> None:
        stack = stack_of(scope)
        env = stack_env(stack)
        azs = list(availability_zones)
        region = None if env.region_is_token else env.region
        p = az_problems(azs, region, "network.availability_zones")
        if not 0 <= nat_gateways <= len(azs):
            p.add("network.nat_gateways", nat_gateways, f"0..{len(azs)} (at most one per zone)")
        if flow_log_group is None and flow_log_key is None:
            p.add("network.flow_log_key", None, "a KMS key for the flow-log group, or flow_log_group")
        if not _overrides_azs(stack):
            p.add(
                "stack",
                f"{type(stack).__name__} {stack.stack_name}",
                "a PinnedAzStack (constructs_br.platform), or a Stack that overrides availability_zones",
                "CDK's Vpc reads the stack's zones, which otherwise needs an AZ lookup with AWS credentials",
            )
        p.raise_if_any()
        super().__init__(
            scope,
            construct_id,
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=azs,
            nat_gateways=nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24, map_public_ip_on_launch=False
                ),
                ec2.SubnetConfiguration(name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=19),
            ],
            restrict_default_security_group=True,
        )
        if azs and all(is_az_id(az) for az in azs):
            # Zone IDs: CDK lays subnets out by the given strings; CloudFormation places them by ID.
            for subnet in [*self.public_subnets, *self.private_subnets]:
                cfn = subnet.node.default_child
                assert isinstance(cfn, ec2.CfnSubnet)
                cfn.availability_zone_id = subnet.availability_zone
                cfn.add_property_deletion_override("AvailabilityZone")
        if flow_log_group is None:
            assert flow_log_key is not None
            flow_log_group = encrypted_log_group(self, "FlowLogs", key=flow_log_key)
        self.flow_log_group = flow_log_group
        self.add_flow_log(
            "All",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        for subnet in self.public_subnets:
            Tags.of(subnet).add("kubernetes.io/role/elb", "1")
        for subnet in self.private_subnets:
            Tags.of(subnet).add("kubernetes.io/role/internal-elb", "1")
        self._acknowledge()

    def _acknowledge(self) -> None:
        # On the VPC, once: its subnets are what carries an availability zone (one acknowledgement, not one per
        # subnet, each a jsii round trip to find the subnet's resource and one to acknowledge).
        acknowledge(
            self,
            "CloudFormation-Validate::W3010",
            "Availability zones are pinned in configuration on purpose: synth needs no AZ lookup and subnets "
            "never move when AWS adds a zone. cfn-lint's W3010 is ignored for the same reason (.cfnlintrc).",
        )
        for subnet in self.public_subnets:
            acknowledge(
                subnet.node.find_child("DefaultRoute"),
                "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
                "Public subnets exist only for NAT gateways and internet-facing load balancers; nodes run in "
                "private subnets whose default route goes through NAT, never directly to the internet gateway.",
            )
        acknowledge(
            self.node.find_child("All").node.find_child("IAMRole"),
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "CDK generates the flow-log delivery role with one inline policy scoped to this VPC's flow-log group; "
            "it has no other use, so a managed policy would add nothing but another object to audit.",
        )
        provider = Stack.of(self).node.try_find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
        if provider is not None:
            handler = provider.node.find_child("Handler")
            for check_id, reason in _DEFAULT_SG_LAMBDA_SKIPS.items():
                skip_checkov(handler, check_id, reason)
