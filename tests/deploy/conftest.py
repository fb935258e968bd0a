"""A moto server on localhost (its own process: :mod:`tests.deploy.moto_process`) for the real ``cdk bootstrap`` +
``cdk deploy`` test, with a VPC and the pinned AMI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from stacks.app import ROOT, cdk_json_context, load_lockfile

REGION = "us-west-2"


@dataclass(frozen=True)
class DeployEnv:
    endpoint: str
    env: dict[str, str]
    vpc_id: str
    subnet_ids: tuple[str, str]
    azs: tuple[str, str]


@pytest.fixture(scope="session")
def deploy_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployEnv]:
    """The server with the pinned ``aws-ecs-2`` x86_64 AMI registered (what ``BrPilotEcs`` launches), a VPC and two
    subnets; one per worker that runs a deploy test (each its own account)."""
    pin = load_lockfile(cdk_json_context()).get(REGION, "aws-ecs-2", "x86_64")
    name = f"bottlerocket-aws-ecs-2-x86_64-v{pin.image_version}"
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.deploy.moto_process", pin.image_id, name, "x86_64", REGION],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        assert endpoint.startswith("http://localhost:"), f"moto did not start: {log.read_text()[-3000:]}"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AWS_") and k not in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")
        }
        env.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
            CDK_DISABLE_VERSION_CHECK="1",
            CDK_DISABLE_CLI_TELEMETRY="true",
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        )
        ec2 = boto3.client(
            "ec2",
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        azs = (f"{REGION}a", f"{REGION}b")
        subnets = tuple(
            ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{i * 32}.0/19", AvailabilityZone=az)["Subnet"]["SubnetId"]
            for i, az in enumerate(azs)
        )
        yield DeployEnv(endpoint=endpoint, env=env, vpc_id=vpc_id, subnet_ids=(subnets[0], subnets[1]), azs=azs)
    finally:
        if server.stdin:
            server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
