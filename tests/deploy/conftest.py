"""A moto server on localhost for the real ``cdk bootstrap`` + ``cdk deploy`` test, with a VPC and the pinned AMI.

Seeding the AMI with a chosen ID goes through moto's in-process backends (the API cannot pick an image ID);
moto is pinned (5.2.5) in pyproject.toml, re-check this file when bumping it.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

REGION = "us-west-2"


@dataclass(frozen=True)
class DeployEnv:
    endpoint: str
    env: dict[str, str]
    vpc_id: str
    subnet_ids: tuple[str, str]
    azs: tuple[str, str]


def register_image(image_id: str, name: str, architecture: str) -> None:
    """Make ``image_id`` exist in moto's EC2 (what a real account has for a published Bottlerocket AMI)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.amis import Ami

    backend = ec2_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.amis[image_id] = Ami(
        backend,
        image_id,
        name=name,
        owner_id=DEFAULT_ACCOUNT_ID,
        public=True,
        virtualization_type="hvm",
        architecture=architecture,
        state="available",
        root_device_type="ebs",
        root_device_name="/dev/xvda",
        region_name=f"{REGION}a",
    )


def _patch_moto_kms_cloudformation_tags() -> None:
    """moto 5.2.5 (pinned in constraints.txt) creates ``AWS::KMS::Key`` from CloudFormation with the template's tags
    (``Key``/``Value``) but tags keys in the KMS API's shape (``TagKey``/``TagValue``) and fails with ``KeyError:
    'TagKey'``. Translate, so a tagged key deploys as it does in AWS. Remove with a moto that fixes it."""
    from moto.kms.models import KmsBackend

    original = KmsBackend.create_key
    if getattr(original, "_constructs_br_patched", False):
        return

    def create_key(self: Any, *args: Any, **kwargs: Any) -> Any:
        tags = kwargs.get("tags")
        if tags:
            kwargs["tags"] = [
                {"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t and "TagKey" not in t else t for t in tags
            ]
        return original(self, *args, **kwargs)

    create_key._constructs_br_patched = True  # type: ignore[attr-defined]
    KmsBackend.create_key = create_key  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def deploy_env() -> Iterator[DeployEnv]:
    from moto.server import ThreadedMotoServer

    _patch_moto_kms_cloudformation_tags()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="localhost", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        endpoint = f"http://localhost:{port}"
        # moto's backends are process-global: start from an empty account whatever ran before in this process.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30)
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
        server.stop()
