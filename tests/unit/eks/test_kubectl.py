"""ClusterKubectl: the kubectl provider of an operator stack, for a cluster built in another stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from constructs_br.compliance.nag import add_nag_checks
from constructs_br.eks import ClusterKubectl
from constructs_br.errors import ConfigError
from tests.unit.eks.helpers import ENV

KEY_ARN = "arn:aws:kms:us-west-2:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
CLUSTER_SG = "sg-0123456789abcdef0"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]


def ops_stack(app: App | None = None, stack_id: str = "Ops") -> tuple[Stack, ec2.IVpc, kms.IKey]:
    stack = Stack(app or App(), stack_id, env=ENV)
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["us-west-2a", "us-west-2b"],
        private_subnet_ids=SUBNETS,
    )  # fmt: skip
    return stack, vpc, kms.Key.from_key_arn(stack, "Key", KEY_ARN)


def kubectl(stack: Stack, the_vpc: ec2.IVpc | None, key: kms.IKey, **kwargs: Any) -> ClusterKubectl:
    args: dict[str, Any] = {
        "cluster_name": "br-canary", "kubernetes_version": "1.33", "log_key": key, "vpc": the_vpc,
        "cluster_security_group_id": CLUSTER_SG, **kwargs,
    }  # fmt: skip
    return ClusterKubectl(stack, "Kubectl", **args)


def _one(template: Template, type_: str) -> tuple[str, dict[str, Any]]:
    found = template.find_resources(type_)
    assert len(found) == 1, list(found)
    ((logical_id, resource),) = found.items()
    return logical_id, resource


def _handler(template: Template) -> tuple[str, dict[str, Any]]:
    fns = {k: v for k, v in template.find_resources("AWS::Lambda::Function").items() if "Handler" in k}
    assert len(fns) == 1, list(fns)
    return next(iter(fns.items()))


@pytest.fixture(scope="module")
def private() -> tuple[Template, ClusterKubectl]:
    stack, vpc, key = ops_stack()
    k = kubectl(stack, vpc, key)
    return Template.from_stack(stack), k


def test_access_entry_is_cluster_admin_for_the_provider_role_only(private: Any) -> None:
    template, _ = private
    _, entry = _one(template, "AWS::EKS::AccessEntry")
    props = entry["Properties"]
    assert props["ClusterName"] == "br-canary"
    assert props["PrincipalArn"]["Fn::GetAtt"][0].startswith("KubectlRole")
    (policy,) = props["AccessPolicies"]
    assert policy["AccessScope"] == {"Type": "cluster"}
    assert "AmazonEKSClusterAdminPolicy" in json.dumps(policy["PolicyArn"])


def test_provider_role_has_exactly_the_justified_statements(private: Any) -> None:
    template, _ = private
    roles = {k: v for k, v in template.find_resources("AWS::IAM::Role").items() if k.startswith("KubectlRole")}
    ((_, role),) = roles.items()
    assert "ManagedPolicyArns" not in role["Properties"]  # no ECR read, no AWS-managed VPC policy
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    policies = {k: v for k, v in template.find_resources("AWS::IAM::Policy").items() if k.startswith("KubectlRole")}
    ((_, policy),) = policies.items()
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert set(statements) == {"DescribeTheCluster", "WriteOwnLogs", "LambdaVpcNetworkInterfaces"}
    assert statements["DescribeTheCluster"]["Action"] == "eks:DescribeCluster"
    assert "cluster/br-canary" in json.dumps(statements["DescribeTheCluster"]["Resource"])
    assert statements["WriteOwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statements["WriteOwnLogs"]["Resource"]["Fn::GetAtt"][0].startswith("KubectlHandlerLogs")
    assert all(a.startswith("ec2:") for a in statements["LambdaVpcNetworkInterfaces"]["Action"])


def test_handler_runs_in_the_private_subnets_with_the_cluster_security_group(private: Any) -> None:
    template, _ = private
    _, handler = _handler(template)
    vpc = handler["Properties"]["VpcConfig"]
    assert vpc["SubnetIds"] == SUBNETS
    assert vpc["SecurityGroupIds"] == [CLUSTER_SG]
    assert handler["Properties"]["LoggingConfig"]["LogGroup"]["Ref"].startswith("KubectlHandlerLogs")
    # the immutable role: ordering after its policy is explicit
    assert any(d.startswith("KubectlRoleDefaultPolicy") for d in handler["DependsOn"])
    assert len(handler["Properties"]["Layers"]) == 2  # awscli + kubectl 1.33


def test_every_chart_waits_for_the_access_entry(private: Any) -> None:
    template, _ = private
    entry_id, _ = _one(template, "AWS::EKS::AccessEntry")
    framework = {k: v for k, v in template.find_resources("AWS::Lambda::Function").items() if "framework" in k}
    ((_, fn),) = framework.items()
    assert entry_id in fn["DependsOn"]


def test_log_group_is_encrypted_and_kept(private: Any) -> None:
    template, _ = private
    _, group = _one(template, "AWS::Logs::LogGroup")
    assert group["Properties"]["KmsKeyId"] == KEY_ARN
    assert group["Properties"]["RetentionInDays"] == 365
    assert group["DeletionPolicy"] == "Retain"
    assert "Conditions" not in template.to_json()  # the ECR Public partition condition is removed


def test_public_endpoint_keeps_the_lambda_out_of_the_vpc() -> None:
    stack, _, key = ops_stack()
    kubectl(stack, None, key, endpoint_access="public-and-private", cluster_security_group_id=None)
    template = Template.from_stack(stack)
    _, handler = _handler(template)
    assert "VpcConfig" not in handler["Properties"]
    policies = {k: v for k, v in template.find_resources("AWS::IAM::Policy").items() if k.startswith("KubectlRole")}
    ((_, policy),) = policies.items()
    assert {s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]} == {
        "DescribeTheCluster",
        "WriteOwnLogs",
    }


@pytest.mark.parametrize("endpoint_access", ["private", "public-and-private"])
def test_cdk_nag_finds_nothing_unacknowledged(tmp_path: Path, endpoint_access: str) -> None:
    app = App(outdir=str(tmp_path))
    add_nag_checks(app)
    stack, vpc, key = ops_stack(app)
    private = endpoint_access == "private"
    kubectl(stack, vpc if private else None, key, endpoint_access=endpoint_access,
            cluster_security_group_id=CLUSTER_SG if private else None)  # fmt: skip
    app.synth()  # raises on any unacknowledged finding
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert {r["pluginName"] for r in report["pluginReports"]} >= {"AwsSolutions", "NIST.800.53.R5"}
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin["violations"]


def test_checkov_skips_carry_reasons(private: Any) -> None:
    template, _ = private
    for logical_id, fn in template.find_resources("AWS::Lambda::Function").items():
        skips = {s["id"]: s["comment"] for s in fn["Metadata"]["checkov"]["skip"]}
        assert {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_173"} <= set(skips), logical_id
        assert "CKV_AWS_117" not in skips  # in the VPC: nothing to skip
        assert all(len(c.split()) >= 6 for c in skips.values())


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"cluster_name": ""}, "kubectl.cluster_name", "cluster's name"),
        ({"kubernetes_version": "1.28"}, "kubectl.kubernetes_version", "1.33"),
        ({"kubernetes_version": "1.30"}, "kubectl.kubectl_layer", "lambda_layer_kubectl_v30"),
        ({"endpoint_access": "public"}, "kubectl.endpoint_access", "public-and-private"),
        ({"vpc": None}, "kubectl.vpc", "private"),
        ({"cluster_security_group_id": None}, "kubectl.cluster_security_group_id", "cluster security group"),
        ({"private_subnets": []}, "kubectl.private_subnets", "at least one subnet"),
        (
            {"endpoint_access": "public-and-private", "private_subnets": ["x"]},
            "kubectl.private_subnets",
            "None with endpoint_access public-and-private",
        ),
        ({"log_retention": 7}, "kubectl.log_retention", "365"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, Any], field: str, fragment: str) -> None:
    stack, vpc, key = ops_stack()
    with pytest.raises(ConfigError) as exc:
        kubectl(stack, vpc, key, **kwargs)
    assert field in exc.value.fields, str(exc.value)
    assert fragment in str(exc.value)
    assert stack.node.try_find_child("Kubectl") is None  # validated before any child


def test_no_private_subnets_in_the_vpc_is_an_error() -> None:
    stack = Stack(App(), "Ops", env=ENV)
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["us-west-2a"])
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    with pytest.raises(ConfigError) as exc:
        kubectl(stack, vpc, key)
    assert exc.value.fields == ("kubectl.private_subnets",)
