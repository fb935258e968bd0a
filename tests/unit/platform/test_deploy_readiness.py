"""Issue 11 construct rules: AZ IDs and EKS-refused zones, imported volume keys warn, custom-AMI registration."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from constructs_br.eks.nodegroup import kubelet_registration_layer
from constructs_br.eks.spec import NodeGroupSpec, Taint, TaintEffect
from constructs_br.errors import ConfigError
from constructs_br.nodes.launch_template import IMPORTED_KEY_WARNING, warn_if_imported_key
from constructs_br.platform import BottlerocketVpc, PinnedAzStack
from stacks.config import load_config

ENV = Environment(account="123456789012", region="us-east-1")


def _vpc(azs: tuple[str, ...]) -> tuple[PinnedAzStack, BottlerocketVpc]:
    stack = PinnedAzStack(App(), "Net", availability_zones=azs, env=ENV)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    return stack, BottlerocketVpc(stack, "Vpc", availability_zones=azs, flow_log_key=key)


def test_zone_ids_place_subnets_by_id() -> None:
    stack, _ = _vpc(("use1-az1", "use1-az2"))
    subnets = Template.from_stack(stack).find_resources("AWS::EC2::Subnet")
    assert sorted({s["Properties"]["AvailabilityZoneId"] for s in subnets.values()}) == ["use1-az1", "use1-az2"]
    assert all("AvailabilityZone" not in s["Properties"] for s in subnets.values())


@pytest.mark.parametrize(
    ("azs", "allowed"),
    [
        (("use1-az1", "use1-az3"), "zone IDs EKS supports"),
        (("use1-az1", "us-east-1b"), "not mixed"),
        (("us-east-1a", "us-west-2b"), "zones of the stack's region us-east-1"),
        (("us-east-1a", "us-east-1a"), "each zone once"),
        (("us-east-1a",), "at least 2"),
    ],
)
def test_bad_zones_are_named_errors(azs: tuple[str, ...], allowed: str) -> None:
    with pytest.raises(ConfigError) as exc:
        _vpc(azs)
    assert any(p.field == "network.availability_zones" and allowed in p.allowed for p in exc.value.problems)


def test_a_plain_stack_is_refused_before_an_az_lookup() -> None:
    from aws_cdk import Stack

    stack = Stack(App(), "Plain", env=ENV)
    with pytest.raises(ConfigError, match="PinnedAzStack"):
        BottlerocketVpc(stack, "Vpc", availability_zones=("us-east-1a", "us-east-1b"), flow_log_key=kms.Key(stack, "K"))


def test_stage_zone_ids_from_context() -> None:
    stage = load_config({"br:canary:availability-zone-ids": "use1-az1,use1-az2,use1-az4"}).stage("canary")
    assert stage.network.availability_zones == ("use1-az1", "use1-az2", "use1-az4")
    with pytest.raises(ConfigError, match=r"stages\.canary\.network\.availability_zones"):
        load_config({"br:canary:availability-zone-ids": "use1-az1,use1-az3"})


def test_an_imported_volume_key_warns_with_the_statements_it_needs() -> None:
    stack = PinnedAzStack(App(), "S", availability_zones=("us-east-1a", "us-east-1b"), env=ENV)
    imported = kms.Key.from_key_arn(stack, "Imported", "arn:aws:kms:us-east-1:123456789012:key/abcd")
    warn_if_imported_key(stack, imported)
    warn_if_imported_key(stack, kms.Key(stack, "Own"))  # a key of this app: no warning (it gets the grant)
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("imported KMS key"))
    assert len(warnings) == 1
    text: Any = warnings[0].entry.data
    assert "AWSServiceRoleForAutoScaling" in str(text)
    assert "kms:CreateGrant" in str(text)
    assert IMPORTED_KEY_WARNING in str(text)


def test_custom_ami_nodes_register_with_labels_and_taints() -> None:
    spec = NodeGroupSpec(
        arch="x86_64",
        instance_types=("m7i.large",),
        image_path="custom-ami",
        labels={"team": "payments"},
        taints=(
            Taint(key="dedicated", value="payments", effect=TaintEffect.NO_SCHEDULE),
            Taint(key="dedicated", value="", effect=TaintEffect.NO_EXECUTE),
        ),
    )
    assert kubelet_registration_layer(spec) == {
        "settings": {
            "kubernetes": {
                "node-labels": {"team": "payments"},
                "node-taints": {"dedicated": ["payments:NoSchedule", ":NoExecute"]},
            }
        }
    }
    assert kubelet_registration_layer(NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",))) is None
