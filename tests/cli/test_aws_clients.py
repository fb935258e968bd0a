"""brctl reuses one boto3 session and one client per service and region for the life of the process, and builds new
ones when the ``AWS_*`` environment (profile, credentials, endpoint) changes."""

from __future__ import annotations

import pytest

from constructs_br.cli import _aws


def test_one_client_per_service_and_region(moto_server: str) -> None:
    _aws.clear_cache()
    ssm = _aws._client("ssm", "us-west-2")
    assert _aws._client("ssm", "us-west-2") is ssm
    assert _aws._client("ssm", "eu-west-1") is not ssm
    assert _aws._client("ec2", "us-west-2") is not ssm
    assert _aws.session("us-west-2") is _aws.session("us-west-2")
    assert ssm.meta.endpoint_url == moto_server


def test_a_changed_environment_gets_a_new_session_and_client(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ssm, sess = _aws._client("ssm", "us-west-2"), _aws.session("us-west-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:1")
    moved = _aws._client("ssm", "us-west-2")
    assert moved is not ssm
    assert moved.meta.endpoint_url == "http://localhost:1"
    assert _aws.session("us-west-2") is not sess
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    assert _aws._client("ssm", "us-west-2") is ssm


def test_clear_cache_forgets_them(moto_server: str) -> None:
    ssm = _aws._client("ssm", "us-west-2")
    _aws.clear_cache()
    assert _aws._client("ssm", "us-west-2") is not ssm


def test_an_unknown_profile_is_an_aws_error_and_not_cached(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(_aws.AwsError, match="us-west-2: cannot create ssm client: The config profile"):
        _aws._client("ssm", "us-west-2")
    monkeypatch.delenv("AWS_PROFILE")
    assert _aws._client("ssm", "us-west-2").meta.endpoint_url == moto_server
