"""The stage's SSM documents: Session Manager preferences (type ``Session``) and the break-glass pair (type
``Command``). Both carry names unique to the stack, so the account-level ``SSM-SessionManagerRunShell`` is never
touched, and ``UpdateMethod: NewVersion`` so a content change is a new document version, not a replacement.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from constructs_br.access._arn import Arn, arn
from constructs_br.access.spec import SessionPreferences
from constructs_br.logs.keys import LogRetention, encrypted_log_group

ADMIN_ON_COMMAND = "apiclient set host-containers.admin.enabled=true"
ADMIN_OFF_COMMAND = "apiclient set host-containers.admin.enabled=false"


def session_content(
    *,
    stage: str,
    log_group_name: str,
    key_id: str,
    preferences: SessionPreferences,
    s3_bucket_name: str | None = None,
) -> dict[str, Any]:
    """The ``Standard_Stream`` preferences: KMS-encrypted sessions, encrypted CloudWatch (and optional S3) logs,
    idle timeout and longest session, Run As off (sessions run as the control container's default user)."""
    return {
        "schemaVersion": "1.0",
        "description": f"Session Manager preferences for {stage} Bottlerocket nodes (constructs_br)",
        "sessionType": "Standard_Stream",
        "inputs": {
            "s3BucketName": s3_bucket_name or "",
            "s3KeyPrefix": f"sessions/{stage}/" if s3_bucket_name else "",
            "s3EncryptionEnabled": True,
            "cloudWatchLogGroupName": log_group_name,
            "cloudWatchEncryptionEnabled": True,
            "cloudWatchStreamingEnabled": True,
            "kmsKeyId": key_id,
            "runAsEnabled": False,
            "runAsDefaultUser": "",
            "idleSessionTimeout": str(preferences.idle_timeout_minutes),
            "maxSessionDuration": str(preferences.max_session_minutes),
            "shellProfile": {"windows": "", "linux": ""},
        },
    }


def command_content(description: str, step: str, command: str) -> dict[str, Any]:
    """A Linux ``aws:runShellScript`` Command document: on Bottlerocket it runs in the control container, where
    ``apiclient`` talks to the host's API (no SSH, no admin container needed)."""
    return {
        "schemaVersion": "2.2",
        "description": description,
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": step,
                "precondition": {"StringEquals": ["platformType", "Linux"]},
                "inputs": {"timeoutSeconds": "120", "runCommand": [command]},
            }
        ],
    }


class SessionPreferencesDocument(Construct):
    """A stage's Session Manager preferences document and its encrypted log group (children ``Logs``,
    ``Resource``). Start sessions with ``aws ssm start-session --document-name <document_name> --target i-…``.

    :param key: encrypts session data and the log group.
    :param document_name: default ``<stack name>-BottlerocketSession`` (create-only: renaming replaces it).
    :param s3_bucket_name: also write session logs to this (encrypted) bucket; optional.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        key: kms.IKey,
        preferences: SessionPreferences,
        document_name: str | None = None,
        s3_bucket_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.document_name = document_name or f"{Stack.of(self).stack_name}-BottlerocketSession"
        self.log_group: logs.LogGroup = encrypted_log_group(
            self, "Logs", key=key, retention=LogRetention(preferences.log_retention_days)
        )
        self.resource = ssm.CfnDocument(
            self,
            "Resource",
            name=self.document_name,
            document_type="Session",
            document_format="JSON",
            update_method="NewVersion",
            content=session_content(
                stage=stage,
                log_group_name=self.log_group.log_group_name,
                key_id=key.key_id,
                preferences=preferences,
                s3_bucket_name=s3_bucket_name,
            ),
        )
        self.document_arn: Arn = arn(self, "ssm", f"document/{self.document_name}")


class BreakGlassDocuments(Construct):
    """The two Command documents break-glass consists of: ``On`` turns the admin host container on, ``Off`` turns
    it off again. Nothing changes in user data (that would roll the nodes); ``Off`` is always sendable by the admin
    role, ``On`` only while break-glass is configured (see :class:`~constructs_br.access.spec.BreakGlass`)."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        base = Stack.of(self).stack_name
        self.on_name = f"{base}-BreakGlassAdminOn"
        self.off_name = f"{base}-BreakGlassAdminOff"
        self.on = self._document(
            "On",
            self.on_name,
            f"Break-glass for {stage}: turn the Bottlerocket admin host container on (constructs_br)",
            "AdminContainerOn",
            ADMIN_ON_COMMAND,
        )
        self.off = self._document(
            "Off",
            self.off_name,
            f"End break-glass for {stage}: turn the Bottlerocket admin host container off (constructs_br)",
            "AdminContainerOff",
            ADMIN_OFF_COMMAND,
        )
        self.on_arn: Arn = arn(self, "ssm", f"document/{self.on_name}")
        self.off_arn: Arn = arn(self, "ssm", f"document/{self.off_name}")

    def _document(self, construct_id: str, name: str, description: str, step: str, command: str) -> ssm.CfnDocument:
        """A JSON Command document of one ``aws:runShellScript`` step; updates create a new version."""
        return ssm.CfnDocument(
            self,
            construct_id,
            name=name,
            document_type="Command",
            document_format="JSON",
            update_method="NewVersion",
            content=command_content(description, step, command),
        )
