"""The Kyverno node policy ("nodes advertise the expected OS image and labels"), rendered from the lockfile. Pure
Python (PyYAML only for :func:`node_policy_yaml`, imported there).

:func:`node_policy` returns a ``kyverno.io/v1`` ``ClusterPolicy`` as a dict: two rules on ``Node`` objects, both in
**Audit** mode. Violations land in PolicyReports and block nothing:

* ``pinned-os-image``: ``status.nodeInfo.osImage`` must be one of the pinned Bottlerocket releases, as the kubelet
  reports them (``Bottlerocket OS <X.Y.Z> (<variant>)``), derived from every ``aws-k8s-*`` pin's ``image_version``,
  current and previous (:func:`pinned_os_images`);
* ``fleet-labels``: each required label key is present and non-empty.

``spec.admission: false`` with ``spec.background: true``: the policy runs only in Kyverno's background scans, so it
is never in the admission path of a kubelet's Node update (and ``failurePolicy: Ignore`` in case a Kyverno version
ignores ``admission``). Fargate nodes (``eks.amazonaws.com/compute-type: fargate``) are excluded.

Shipped by :class:`~constructs_br.compliance.kyverno_install.KyvernoNodeAudit` (the pinned Kyverno chart, then this
policy as a ``KubernetesManifest``) from the per-stage operator stack; :func:`node_policy_yaml` is for
``kubectl apply -f`` elsewhere.

>>> node_policy_name("pilot")
'constructs-br-pilot-node-images'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from constructs_br.errors import ConfigError, Problems
from constructs_br.images.lockfile import Lockfile
from constructs_br.settings.labels import label_key_problems

_RELEASE = re.compile(r"^(\d+\.\d+\.\d+)(?:-[0-9a-f]+)?$")


def os_image(image_version: str, variant: str) -> str:
    """What the kubelet reports as ``status.nodeInfo.osImage`` for a Bottlerocket image.

    >>> os_image("1.50.0-00000000", "aws-k8s-1.33")
    'Bottlerocket OS 1.50.0 (aws-k8s-1.33)'
    """
    m = _RELEASE.match(image_version)
    if m is None:
        raise ConfigError("image_version", image_version, "a Bottlerocket image version such as 1.50.0-abcdef12")
    return f"Bottlerocket OS {m.group(1)} ({variant})"


def pinned_os_images(lockfile: Lockfile, *, regions: Iterable[str] | None = None) -> tuple[str, ...]:
    """Every ``osImage`` string the lockfile's ``aws-k8s-*`` pins (current and previous) produce, sorted, without
    duplicates; ``regions``: only pins of these regions (default all)."""
    wanted = set(regions) if regions is not None else None
    out: set[str] = set()
    for pin in lockfile.pins():
        if not pin.variant.startswith("aws-k8s-") or (wanted is not None and pin.region not in wanted):
            continue
        out.add(os_image(pin.image_version, pin.variant))
        if pin.previous is not None:
            out.add(os_image(pin.previous.image_version, pin.variant))
    return tuple(sorted(out))


def node_policy_name(stage: str) -> str:
    """The ClusterPolicy's name for ``stage``."""
    return f"constructs-br-{stage}-node-images"


def node_policy(
    *,
    stage: str,
    os_images: Sequence[str],
    required_labels: Sequence[str],
) -> dict[str, Any]:
    """The ClusterPolicy (see the module docstring). ``os_images``: allowed ``osImage`` values (use
    :func:`pinned_os_images`); ``required_labels``: label keys every node must carry (e.g. ``constructs-br/pool``)."""
    p = Problems()
    if not stage:
        p.add("stage", stage, "a non-empty stage name")
    if not os_images:
        p.add("os_images", list(os_images), "at least one osImage (no aws-k8s-* pins?)")
    if not required_labels:
        p.add("required_labels", list(required_labels), "at least one label key")
    for key in required_labels:
        p.extend(label_key_problems(key, "required_labels", reserved=False))
    p.raise_if_any()

    def match() -> dict[str, Any]:
        return {"any": [{"resources": {"kinds": ["Node"]}}]}

    def exclude() -> dict[str, Any]:
        return {"any": [{"resources": {"selector": {"matchLabels": {"eks.amazonaws.com/compute-type": "fargate"}}}}]}

    images = sorted(set(os_images))
    labels = sorted(set(required_labels))
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {
            "name": node_policy_name(stage),
            "labels": {"app.kubernetes.io/managed-by": "constructs-br", "constructs-br/stage": stage},
            "annotations": {
                "policies.kyverno.io/title": "Nodes run a pinned Bottlerocket release and carry the fleet labels",
                "policies.kyverno.io/category": "constructs-br compliance",
                "policies.kyverno.io/severity": "medium",
                "policies.kyverno.io/subject": "Node",
                "policies.kyverno.io/description": (
                    "Reports (Audit, background scans only) nodes whose status.nodeInfo.osImage is not a Bottlerocket "
                    "release pinned in bottlerocket.lock.json, or that lack a fleet label. Rendered by "
                    "constructs_br.compliance.kyverno; do not edit by hand."
                ),
            },
        },
        "spec": {
            "validationFailureAction": "Audit",
            "background": True,
            "admission": False,
            "failurePolicy": "Ignore",
            "rules": [
                {
                    "name": "pinned-os-image",
                    "match": match(),
                    "exclude": exclude(),
                    "validate": {
                        "failureAction": "Audit",
                        "message": (
                            "node {{ request.object.metadata.name }} does not run a pinned Bottlerocket release "
                            "(osImage: {{ request.object.status.nodeInfo.osImage || 'unknown' }})"
                        ),
                        "deny": {
                            "conditions": {
                                "all": [
                                    {
                                        "key": "{{ request.object.status.nodeInfo.osImage || '' }}",
                                        "operator": "AnyNotIn",
                                        "value": images,
                                    }
                                ]
                            }
                        },
                    },
                },
                {
                    "name": "fleet-labels",
                    "match": match(),
                    "exclude": exclude(),
                    "validate": {
                        "failureAction": "Audit",
                        "message": f"nodes carry the fleet labels: {', '.join(labels)}",
                        "pattern": {"metadata": {"labels": dict.fromkeys(labels, "?*")}},
                    },
                },
            ],
        },
    }


def node_policy_yaml(policy: dict[str, Any]) -> str:
    """``policy`` as a YAML document (key order kept)."""
    import yaml  # type: ignore[import-untyped]

    return str(yaml.safe_dump(policy, sort_keys=False, default_flow_style=False, width=120))
