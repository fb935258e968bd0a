"""A moto server on localhost in a process of its own, for the real ``cdk bootstrap`` + ``cdk deploy`` test.

Its own process, because moto's backends are process-global: the CLI tests in the same pytest worker reset and seed
the in-process server between tests, which would wipe a deployed stack. Run as
``python -m tests.deploy.moto_process IMAGE_ID IMAGE_NAME ARCH REGION``: it makes ``IMAGE_ID`` exist in moto's EC2
(the API cannot pick an image ID: this goes through moto's in-process backends), prints the endpoint URL on one line
and serves until its standard input closes.

moto is pinned (5.2.5, constraints.txt); re-check :func:`register_image` and :func:`patch_kms_cloudformation_tags`
when bumping it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any


def register_image(image_id: str, name: str, architecture: str, region: str) -> None:
    """Make ``image_id`` exist in moto's EC2 (what a real account has for a published Bottlerocket AMI)."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]  # re-exported, not in moto's __all__
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.amis import Ami

    backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
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
        region_name=f"{region}a",
    )


def patch_kms_cloudformation_tags() -> None:
    """moto 5.2.5 creates ``AWS::KMS::Key`` from CloudFormation with the template's tags (``Key``/``Value``) but tags
    keys in the KMS API's shape (``TagKey``/``TagValue``) and fails with ``KeyError: 'TagKey'``. Translate, so a
    tagged key deploys as it does in AWS. Remove with a moto that fixes it."""
    from moto.kms.models import KmsBackend

    original = KmsBackend.create_key

    def create_key(self: Any, *args: Any, **kwargs: Any) -> Any:
        tags = kwargs.get("tags")
        if tags:
            kwargs["tags"] = [
                {"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t and "TagKey" not in t else t for t in tags
            ]
        return original(self, *args, **kwargs)

    KmsBackend.create_key = create_key  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    image_id, image_name, architecture, region = argv
    from moto.server import ThreadedMotoServer

    patch_kms_cloudformation_tags()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="localhost", port=0, verbose=False)
    server.start()
    try:
        register_image(image_id, image_name, architecture, region)
        _, port = server.get_host_and_port()
        print(f"http://localhost:{port}", flush=True)
        sys.stdin.read()  # until the test closes our stdin (or dies)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
