"""constructs_br._scope: the stack facts it caches are the ones jsii gives, per stack, and tags land as Tags.of's."""

from __future__ import annotations

from aws_cdk import App, Aws, Environment, Stack, Tags, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs_br._scope import add_tags, jsii_ref, partition, per_jsii_object, stack_env, stack_of


def test_stack_env_is_what_jsii_says_for_each_stack() -> None:
    app = App()
    concrete = Stack(app, "Concrete", env=Environment(account="123456789012", region="eu-west-1"))
    agnostic = Stack(app, "Agnostic")
    bucket = s3.CfnBucket(concrete, "Bucket")
    env = stack_env(bucket)
    assert (env.region, env.account, env.partition) == (concrete.region, concrete.account, concrete.partition)
    assert (env.region, env.account) == ("eu-west-1", "123456789012")
    assert not env.region_is_token
    assert not env.account_is_token
    other = stack_env(s3.CfnBucket(agnostic, "Bucket"))  # a second stack is not answered from the first's cache
    assert (other.region, other.account) == (agnostic.region, agnostic.account)
    assert other.region_is_token
    assert other.account_is_token
    assert Token.is_unresolved(other.partition)


def test_stack_of_a_node_created_child_is_its_stack() -> None:
    stack = Stack(App(), "S", env=Environment(account="123456789012", region="us-west-2"))
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    subnet = vpc.public_subnets[0]  # created in node: a fresh Python proxy each time jsii returns it
    assert stack_of(subnet) is stack
    assert stack_of(vpc.public_subnets[0]) is stack
    assert jsii_ref(subnet) == jsii_ref(vpc.public_subnets[0])
    assert jsii_ref("not a jsii object") is None


def test_partition_is_the_pseudo_parameter() -> None:
    assert partition() == Aws.PARTITION
    assert Stack(App(), "S").resolve(partition()) == {"Ref": "AWS::Partition"}


def test_add_tags_writes_what_tags_of_writes() -> None:
    app = App()
    ours, theirs = Stack(app, "Ours"), Stack(app, "Theirs")
    tags = {"b": "2", "a": "1"}
    add_tags(s3.CfnBucket(ours, "Bucket"), tags)
    add_tags(s3.CfnBucket(ours, "Untagged"), {})  # nothing to add: no tag at all
    bucket = s3.CfnBucket(theirs, "Bucket")
    for key, value in sorted(tags.items()):
        Tags.of(bucket).add(key, value)
    buckets = Template.from_stack(ours).find_resources("AWS::S3::Bucket")
    want = Template.from_stack(theirs).find_resources("AWS::S3::Bucket")["Bucket"]["Properties"]["Tags"]
    assert buckets["Bucket"]["Properties"]["Tags"] == want == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert "Tags" not in buckets["Untagged"].get("Properties", {})


def test_per_jsii_object_computes_once_per_jsii_object() -> None:
    stack = Stack(App(), "S")
    cache: dict[str, int] = {}
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert per_jsii_object(cache, stack, compute) == 1
    assert per_jsii_object(cache, stack, compute) == 1  # kept
    assert per_jsii_object(cache, "not a jsii object", compute) == 2  # no reference: computed, not kept
    assert per_jsii_object(cache, "not a jsii object", compute) == 3
    assert list(cache) == [jsii_ref(stack)]
