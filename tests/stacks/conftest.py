"""Starts the test run's one checkov and one cfn-lint run in the background when a worker first reaches tests/stacks,
unless tests/conftest.py already has (as soon as the real CDK CLI's assemblies were there)."""

from __future__ import annotations

import pytest

from tests.conftest import start_scans


@pytest.fixture(scope="session", autouse=True)
def _scans_in_background(request: pytest.FixtureRequest) -> None:
    start_scans(request.session)
