"""checkov skips: the one way to explain a checkov finding on a resource.

checkov reads skips from a CloudFormation resource's ``Metadata.checkov.skip`` list (``{id, comment}``).
Everything that writes that metadata lives in this file, with the same rule as cdk-nag acknowledgements
(:func:`constructs_br.compliance.nag.acknowledge`): a check ID and a real reason of at least six words.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import CfnResource
from constructs import IConstruct

from constructs_br._scope import jsii_ref
from constructs_br.errors import ConfigError

_CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")
_MIN_REASON_WORDS = 6
_PLACEHOLDERS = {"todo", "tbd", "fixme", "n/a", "na", "none", "ignore", "ok", "fine", "later"}
_KEY = "checkov"
_WRITTEN: dict[str, dict[str, Any]] = {}
"""What :func:`skip_checkov` wrote, per resource (its jsii reference)."""


def skip_checkov(resource: IConstruct, check_id: str, reason: str) -> None:
    """Skip checkov's ``check_id`` (``CKV_AWS_111``) on one resource, saying why in at least six words.

    ``resource`` is an L1 ``CfnResource`` or an L2 construct whose default child is one. Skipping the same
    check twice on a resource keeps one entry (the latest reason).
    """
    if not _CHECK_ID.match(check_id):
        raise ConfigError("skip_checkov.check_id", check_id, "a checkov check ID such as CKV_AWS_111 or CKV2_AWS_5")
    words = reason.split()
    if len(words) < _MIN_REASON_WORDS or reason.strip().lower() in _PLACEHOLDERS:
        raise ConfigError(
            "skip_checkov.reason",
            reason,
            f"a real reason of at least {_MIN_REASON_WORDS} words saying why the finding is acceptable",
        )
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    if not isinstance(cfn, CfnResource):
        raise ConfigError(
            "skip_checkov.resource", resource.node.path, "a CfnResource, or a construct whose default child is one"
        )
    # This module is the only writer of the key (see the docstring), so the skips written so far are kept here
    # rather than read back from jsii on every call.
    key = jsii_ref(cfn)
    existing = _WRITTEN.get(key, {}) if key else (cfn.get_metadata(_KEY) or {})
    skips = [s for s in existing.get("skip", []) if s["id"] != check_id]
    written = {**existing, "skip": [*skips, {"id": check_id, "comment": reason}]}
    if key:
        _WRITTEN[key] = written
    cfn.add_metadata(_KEY, written)
