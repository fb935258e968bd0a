"""The one Kubernetes label grammar (keys ``[prefix/]name``, values), for EKS node-group labels and taints and for
Bottlerocket's ``settings.kubernetes.node-labels`` / ``node-taints`` keys alike: both reach the kubelet or the EKS
API, which apply Kubernetes' rules, so both are checked by these functions.

>>> [str(p) for p in label_key_problems("Example.COM/role", "labels")]  # doctest: +ELLIPSIS
["labels: got 'Example.COM/role'; allowed: a Kubernetes label key: [dns-subdomain/]name, ..."]
>>> label_value_problems("gpu", "labels.x")
[]
"""

from __future__ import annotations

import re

from constructs_br.errors import Problem

_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
RESERVED_LABEL_PREFIXES = ("eks.amazonaws.com/", "kubernetes.io/", "k8s.io/")


def label_key_problems(key: str, field_name: str, *, what: str = "label key", reserved: bool = True) -> list[Problem]:
    """Kubernetes qualified-name grammar: ``[prefix/]name``; prefix a DNS subdomain <= 253, name <= 63.
    ``reserved``: also refuse the prefixes EKS and the kubelet own (node-group labels; the settings builders have
    their own rule for EKS-derived labels)."""
    allowed = f"a Kubernetes {what}: [dns-subdomain/]name, name <= 63 chars of [A-Za-z0-9-_.], alphanumeric ends"
    prefix, _, name = key.rpartition("/")
    if not _LABEL_NAME.match(name) or (prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix))):
        return [Problem(field_name, key, allowed)]
    if reserved and any(key.startswith(p) or f".{p}" in key for p in RESERVED_LABEL_PREFIXES):
        return [
            Problem(
                field_name,
                key,
                f"no reserved prefix ({', '.join(RESERVED_LABEL_PREFIXES)})",
                "EKS and the kubelet own these; the NodeRestriction admission plugin rejects them",
            )
        ]
    return []


def label_value_problems(value: str, field_name: str) -> list[Problem]:
    if value == "" or _LABEL_NAME.match(value):
        return []
    return [Problem(field_name, value, "empty, or <= 63 chars of [A-Za-z0-9-_.] with alphanumeric ends")]
