"""Starts the test run's one checkov and one cfn-lint run in the background when a worker first reaches tests/stacks
(if the session holds a test that reads them: marker ``scans``, collected last), so they run while the workers go
on with other tests instead of a worker waiting for each in turn at the end."""

from __future__ import annotations

import pytest

from tests.stacks import cfn_lint_scan, checkov_scan


@pytest.fixture(scope="session", autouse=True)
def _scans_in_background(request: pytest.FixtureRequest) -> None:
    if any(item.get_closest_marker("scans") for item in request.session.items):
        cfn_lint_scan.start()
        checkov_scan.start()
