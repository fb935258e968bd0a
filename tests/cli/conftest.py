"""A moto server on localhost for ``brctl`` tests, plus helpers that seed what AWS publishes and moto can't create.

Fixtures
--------
``moto_server`` (session)  starts ``moto.server.ThreadedMotoServer`` on ``localhost`` (free port), points the
                           standard AWS environment at it (``AWS_ENDPOINT_URL``, fake credentials, no profile/config
                           files) and yields the endpoint URL, e.g. ``http://localhost:40123``.
``moto`` (function)        resets the server (``POST /moto-api/reset``) before the test and yields a :class:`Moto`
                           bound to the endpoint: ``moto.seed_bottlerocket_release(...)``, ``moto.client(...)``.

Seeding works in-process through moto's backends, because SSM refuses ``PutParameter`` under ``/aws/`` and
``RegisterImage`` can't make an Amazon-owned image. That relies on moto internals: moto is pinned (5.2.5) in
pyproject.toml; re-check this file when bumping it.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

AMAZON_OWNER_ID = "111122223333"
"""Owner ID given to seeded "Amazon" images (fake; the ``amazon`` owner alias is what brctl checks)."""

REGIONS = ("us-west-2", "eu-west-1")
"""The two regions the CLI tests seed."""

_IN_PROCESS: set[str] = set()
_TEST_CLIENTS: dict[tuple[Any, ...], Any] = {}


def _account() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]  # re-exported, not in moto's __all__

    return str(DEFAULT_ACCOUNT_ID)


def reset(endpoint: str) -> None:
    """Wipe every moto backend (all services, all regions)."""
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


def seed_parameter(endpoint: str, region: str, name: str, value: str, data_type: str = "text") -> None:
    """Create or overwrite a parameter, including reserved ``/aws/...`` names, in ``region``."""
    from moto.core.utils import utcnow
    from moto.ssm.models import Parameter, ssm_backends

    assert endpoint in _IN_PROCESS, f"{endpoint} is not an in-process moto server; cannot seed it"
    account = _account()
    backend = ssm_backends[account][region]
    history = backend._parameters[name]
    history.append(
        Parameter(  # type: ignore[abstract]  # abstract only for CloudFormation attributes, unused here
            account_id=account,
            name=name,
            value=value,
            parameter_type="String",
            description=None,
            allowed_pattern=None,
            keyid=None,
            last_modified_date=utcnow(),
            version=(history[-1].version + 1) if history else 1,
            data_type=data_type,
        )
    )


def delete_parameter(endpoint: str, region: str, name: str) -> None:
    from moto.ssm.models import ssm_backends

    assert endpoint in _IN_PROCESS
    ssm_backends[_account()][region]._parameters.pop(name, None)


def register_amazon_image(
    endpoint: str,
    region: str,
    name: str,
    architecture: str,
    *,
    owner_alias: str | None = "amazon",
    owner_id: str = AMAZON_OWNER_ID,
    state: str = "available",
) -> str:
    """Register an image that ``DescribeImages`` reports as Amazon-owned (``ImageOwnerAlias: amazon``)."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.amis import Ami
    from moto.ec2.utils import random_ami_id

    assert endpoint in _IN_PROCESS, f"{endpoint} is not an in-process moto server; cannot seed it"
    backend = ec2_backends[_account()][region]
    ami = Ami(
        backend,
        random_ami_id(),
        name=name,
        description=f"seeded by tests: {name}",
        owner_id=owner_id,
        owner_alias=owner_alias,
        public=True,
        virtualization_type="hvm",
        architecture=architecture,
        state=state,
        root_device_type="ebs",
        root_device_name="/dev/xvda",
        region_name=f"{region}a",
    )
    backend.amis[ami.id] = ami
    return str(ami.id)


def deregister_image(endpoint: str, region: str, image_id: str) -> None:
    """Deregister through the API, as a real deregistration would happen."""
    assert endpoint
    Moto(endpoint).client("ec2", region).deregister_image(ImageId=image_id)


def image_name(variant: str, arch: str, version: str) -> str:
    """Bottlerocket's image naming, e.g. ``bottlerocket-aws-k8s-1.33-x86_64-v1.50.0-abcdef12`` (arm64 images are
    named ``aarch64``)."""
    return f"bottlerocket-{variant}-{'aarch64' if arch == 'arm64' else arch}-v{version}"


def seed_bottlerocket_release(
    endpoint: str,
    region: str,
    variant: str,
    arch: str,
    version: str,
    *,
    latest: bool = True,
    image_arch: str | None = None,
    image_name_override: str | None = None,
    register: bool = True,
    image_id: str | None = None,
    owner_alias: str | None = "amazon",
    state: str = "available",
) -> str:
    """Publish one Bottlerocket release in ``region`` the way AWS does, and return its image ID.

    ``version`` is the full version (``1.50.0-abcdef12``). Parameters are written under the release paths
    ``.../<variant>/<arch>/<X.Y.Z>/`` and ``.../<X.Y.Z-commit8>/`` and, with ``latest=True``, ``.../latest/``;
    each gets ``image_id`` and ``image_version``.

    Faults for negative tests: ``image_arch`` registers the image with another architecture (arch mismatch);
    ``register=False`` publishes parameters pointing at ``image_id`` (default: a fresh ID) with no image behind them;
    ``owner_alias`` / ``state`` / ``image_name_override`` make a non-Amazon, unavailable or oddly named image.
    Deregister with :func:`deregister_image`.
    """
    if register:
        image_id = register_amazon_image(
            endpoint,
            region,
            image_name_override or image_name(variant, arch, version),
            image_arch or arch,
            owner_alias=owner_alias,
            state=state,
        )
    elif image_id is None:
        from moto.ec2.utils import random_ami_id

        image_id = random_ami_id()
    releases = [version.split("-", 1)[0], version] + (["latest"] if latest else [])
    for release in releases:
        base = f"/aws/service/bottlerocket/{variant}/{arch}/{release}"
        seed_parameter(endpoint, region, f"{base}/image_id", image_id, data_type="aws:ec2:image")
        seed_parameter(endpoint, region, f"{base}/image_version", version)
    return image_id


@dataclass
class Moto:
    """The running moto server for one test, with the seeding helpers bound to it."""

    endpoint: str

    def client(self, service: str, region: str = REGIONS[0]) -> Any:
        """A client of the server (one per service, region and test credentials for the whole session: clients are
        stateless, and building one costs more than most moto calls)."""
        key = (service, region, self.endpoint, os.environ.get("AWS_ACCESS_KEY_ID"))
        if key not in _TEST_CLIENTS:
            _TEST_CLIENTS[key] = boto3.client(service, region_name=region, endpoint_url=self.endpoint)
        return _TEST_CLIENTS[key]

    def seed_bottlerocket_release(self, region: str, variant: str, arch: str, version: str, **kwargs: Any) -> str:
        return seed_bottlerocket_release(self.endpoint, region, variant, arch, version, **kwargs)

    def seed_parameter(self, region: str, name: str, value: str) -> None:
        seed_parameter(self.endpoint, region, name, value)

    def delete_parameter(self, region: str, name: str) -> None:
        delete_parameter(self.endpoint, region, name)

    def register_amazon_image(self, region: str, name: str, architecture: str, **kwargs: Any) -> str:
        return register_amazon_image(self.endpoint, region, name, architecture, **kwargs)

    def deregister_image(self, region: str, image_id: str) -> None:
        deregister_image(self.endpoint, region, image_id)

    def reset(self) -> None:
        reset(self.endpoint)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Start moto on localhost for the whole session; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr (tests read brctl's stderr)
    with pytest.MonkeyPatch.context() as mp:
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGIONS[0],
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # only the images a test seeds exist
        }
        for key, value in env.items():
            mp.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION"):
            mp.delenv(key, raising=False)
        server = ThreadedMotoServer(ip_address="localhost", port=0, verbose=False)
        server.start()
        _, port = server.get_host_and_port()
        endpoint = f"http://localhost:{port}"
        mp.setenv("AWS_ENDPOINT_URL", endpoint)
        _IN_PROCESS.add(endpoint)
        try:
            yield endpoint
        finally:
            _IN_PROCESS.discard(endpoint)
            server.stop()


@pytest.fixture
def moto(moto_server: str) -> Moto:
    """A clean moto server (reset before the test)."""
    reset(moto_server)
    return Moto(moto_server)


Run = Callable[..., tuple[int, str, str]]
"""``brctl(*argv) -> (exit code, stdout, stderr)``, run in-process."""


@pytest.fixture
def lockfile(tmp_path: Path) -> Path:
    return tmp_path / "bottlerocket.lock.json"


@pytest.fixture
def brctl(capsys: pytest.CaptureFixture[str], lockfile: Path) -> Run:
    """Run brctl in-process with ``--lockfile`` pointing at the test's own lockfile."""
    from constructs_br.cli.main import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--lockfile", str(lockfile)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


PROJECT_TABLE = """\
[tool.brctl]
stages = ["pilot", "canary", "production"]
eks-stack = "Br{Stage}"
ecs-stack = "Br{Stage}Ecs"
nodes-stack = "Br{Stage}Nodes"
operators-stack = "Br{Stage}Operators"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A ``pyproject.toml`` with this repository's ``[tool.brctl]`` stages and stack names, for ``--project``
    (tests stay independent of the repository's own table)."""
    path = tmp_path / "app" / "pyproject.toml"
    path.parent.mkdir()
    path.write_text(PROJECT_TABLE, encoding="utf-8")
    return path
