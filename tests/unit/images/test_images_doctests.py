"""Run the doctests of the pure image modules."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from constructs_br.images import catalogue, lockfile, resolve, ssm


@pytest.mark.parametrize("module", [catalogue, ssm, lockfile, resolve], ids=lambda m: m.__name__)
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_images_import_nothing_from_aws_cdk_or_boto3() -> None:
    import subprocess
    import sys

    code = (
        "import sys, constructs_br.images as m; "
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in {'aws_cdk', 'boto3', 'botocore', 'jsii'}); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert out == ""
