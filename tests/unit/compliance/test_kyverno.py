"""The Kyverno node policy rendered from the lockfile.

kubernetes-validate 1.37 bundles no Kyverno CRD schemas (``SchemaNotFoundError`` for ``kyverno.io/v1``), so the
manifest is validated against :data:`CLUSTER_POLICY_SCHEMA` below: the subset of Kyverno's ``kyverno.io/v1``
ClusterPolicy CRD (kyverno 1.13 ``clusterpolicies.kyverno.io``) this policy uses, written down by hand, with
``additionalProperties: false`` so a misspelt field fails. If kubernetes-validate ever knows the CRD, the test
validates with it too."""

from __future__ import annotations

import contextlib
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml  # type: ignore[import-untyped]

from constructs_br.compliance import kyverno
from constructs_br.errors import ConfigError
from constructs_br.images.lockfile import Lockfile, Pin, PreviousPin
from stacks.app import load_lockfile
from stacks.compliance import FLEET_NODE_LABELS, kyverno_node_policy

_CONDITION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "operator", "value"],
    "properties": {
        "key": {},
        "operator": {"enum": ["Equals", "NotEquals", "In", "AnyIn", "AllIn", "NotIn", "AnyNotIn", "AllNotIn",
                              "GreaterThanOrEquals", "GreaterThan", "LessThanOrEquals", "LessThan",
                              "DurationGreaterThanOrEquals", "DurationGreaterThan", "DurationLessThanOrEquals",
                              "DurationLessThan"]},
        "value": {},
        "message": {"type": "string"},
    },
}  # fmt: skip
_FILTER = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "any": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "properties": {"resources": {"type": "object", "additionalProperties": False, "properties": {
                "kinds": {"type": "array", "items": {"type": "string"}},
                "names": {"type": "array", "items": {"type": "string"}},
                "selector": {"type": "object", "additionalProperties": False, "properties": {
                    "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}}},
            }}},
        }},
    },
}  # fmt: skip
CLUSTER_POLICY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "kyverno.io/v1"},
        "kind": {"const": "ClusterPolicy"},
        "metadata": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        }},
        "spec": {"type": "object", "additionalProperties": False, "required": ["rules"], "properties": {
            "validationFailureAction": {"enum": ["audit", "enforce", "Audit", "Enforce"]},
            "background": {"type": "boolean"},
            "admission": {"type": "boolean"},
            "failurePolicy": {"enum": ["Ignore", "Fail"]},
            "rules": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["name", "match"],
                "properties": {
                    "name": {"type": "string", "maxLength": 63},
                    "match": _FILTER,
                    "exclude": _FILTER,
                    "validate": {"type": "object", "additionalProperties": False, "properties": {
                        "failureAction": {"enum": ["Audit", "Enforce"]},
                        "message": {"type": "string"},
                        "pattern": {},
                        "deny": {"type": "object", "additionalProperties": False, "properties": {
                            "conditions": {"type": "object", "additionalProperties": False, "properties": {
                                "all": {"type": "array", "items": _CONDITION},
                                "any": {"type": "array", "items": _CONDITION}}}}},
                    }},
                },
            }},
        }},
    },
}  # fmt: skip


def _pin(variant: str, version: str, previous: str | None = None, region: str = "us-east-1") -> Pin:
    path = f"/aws/service/bottlerocket/{variant}/x86_64/latest/image_id"
    prev = PreviousPin(image_id="ami-0000000000000000a", image_version=previous, ssm_path=path,
                       resolved_at="2026-01-01T00:00:00Z") if previous else None  # fmt: skip
    return Pin(region=region, variant=variant, arch="x86_64", image_id="ami-0000000000000000b",
               image_version=version, ssm_path=path, resolved_at="2026-02-01T00:00:00Z", previous=prev)  # fmt: skip


def _validate(policy: dict[str, Any]) -> None:
    # no Kyverno CRDs bundled (test_kubernetes_validate_has_no_kyverno_schema): the hand-written schema is the check
    with contextlib.suppress(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(policy, "1.33.0", strict=True)
    jsonschema.validate(policy, CLUSTER_POLICY_SCHEMA)


def test_os_images_from_current_and_previous_k8s_pins_only() -> None:
    lock = Lockfile([
        _pin("aws-k8s-1.33", "1.50.0-abcdef12", previous="1.49.1-01234567"),
        _pin("aws-k8s-1.32", "1.50.0-abcdef12"),
        _pin("aws-ecs-2", "1.51.0-abcdef12"),
        _pin("aws-k8s-1.33", "1.52.0-abcdef12", region="eu-west-1"),
    ])  # fmt: skip
    assert kyverno.pinned_os_images(lock, regions=["us-east-1"]) == (
        "Bottlerocket OS 1.49.1 (aws-k8s-1.33)",
        "Bottlerocket OS 1.50.0 (aws-k8s-1.32)",
        "Bottlerocket OS 1.50.0 (aws-k8s-1.33)",
    )
    assert "Bottlerocket OS 1.52.0 (aws-k8s-1.33)" in kyverno.pinned_os_images(lock)


def test_app_policy_is_audit_background_only_and_valid() -> None:
    lock = load_lockfile({})
    policy = kyverno_node_policy("production", lock, region="us-east-1")
    _validate(policy)
    spec = policy["spec"]
    assert spec["validationFailureAction"] == "Audit"
    assert spec["admission"] is False
    assert spec["background"] is True
    assert spec["failurePolicy"] == "Ignore"
    assert all(r["validate"]["failureAction"] == "Audit" for r in spec["rules"])
    images = spec["rules"][0]["validate"]["deny"]["conditions"]["all"][0]
    assert images["key"] == "{{ request.object.status.nodeInfo.osImage || '' }}"
    assert images["value"] == list(kyverno.pinned_os_images(lock, regions=["us-east-1"]))
    assert images["value"]
    assert spec["rules"][1]["validate"]["pattern"] == {"metadata": {"labels": dict.fromkeys(FLEET_NODE_LABELS, "?*")}}
    assert policy["metadata"]["name"] == "constructs-br-production-node-images"


def test_yaml_round_trips_without_anchors() -> None:
    policy = kyverno_node_policy("pilot", load_lockfile({}), region="us-east-1")
    text = kyverno.node_policy_yaml(policy)
    assert "&id" not in text
    assert yaml.safe_load(text) == policy


def test_schema_catches_a_misspelt_field() -> None:
    policy = kyverno_node_policy("pilot", load_lockfile({}), region="us-east-1")
    policy["spec"]["rules"][0]["validate"]["failureActoin"] = "Audit"
    with pytest.raises(jsonschema.ValidationError):
        _validate(policy)


def test_bad_input_names_the_fields() -> None:
    with pytest.raises(ConfigError) as err:
        kyverno.node_policy(stage="", os_images=[], required_labels=["bad key!"])
    assert {p.field for p in err.value.problems} == {"stage", "os_images", "required_labels"}
    with pytest.raises(ConfigError, match="image_version"):
        kyverno.os_image("latest", "aws-k8s-1.33")


def test_kubernetes_validate_has_no_kyverno_schema() -> None:
    """Records why the hand-written schema exists; when this fails, kubernetes-validate knows Kyverno: drop ours."""
    policy = kyverno_node_policy("pilot", load_lockfile({}), region="us-east-1")
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(policy, "1.33.0", strict=True)


# --- shipped: KyvernoNodeAudit --------------------------------------------------------------------------------


def _audit_stack(policy: dict[str, Any]) -> Any:
    from aws_cdk.assertions import Template

    from constructs_br.compliance.kyverno_install import KyvernoNodeAudit
    from tests.unit.eks.test_kubectl import kubectl, ops_stack

    stack, vpc, key = ops_stack()
    k = kubectl(stack, vpc, key)
    KyvernoNodeAudit(stack, "NodeAudit", cluster=k.cluster, policy=policy)
    return Template.from_stack(stack)


def test_shipped_manifest_is_the_valid_audit_policy_after_the_chart() -> None:
    import json

    from constructs_br.compliance.kyverno_install import KYVERNO_CHART

    policy = kyverno_node_policy("canary", load_lockfile({}), region="us-east-1")
    template = _audit_stack(policy)
    ((chart_id, chart),) = template.find_resources("Custom::AWSCDK-EKS-HelmChart").items()
    assert (chart["Properties"]["Chart"], chart["Properties"]["Version"]) == ("kyverno", KYVERNO_CHART.version)
    assert chart["Properties"]["Repository"] == KYVERNO_CHART.repository
    # Kyverno sees Node objects (its default filter skips them), never their sub-resources
    assert json.loads(chart["Properties"]["Values"]) == {"config": {"resourceFiltersExclude": ["[Node,*,*]"]}}
    ((_, manifest),) = template.find_resources("Custom::AWSCDK-EKS-KubernetesResource").items()
    assert chart_id in manifest["DependsOn"]
    (shipped,) = json.loads(manifest["Properties"]["Manifest"])
    _validate(shipped)
    prune = {k for k in shipped["metadata"]["labels"] if k.startswith("aws.cdk.eks/prune-")}
    assert len(prune) == 1  # the only addition: CDK's prune label
    shipped["metadata"]["labels"].pop(prune.pop())
    assert shipped == policy
    assert shipped["spec"]["validationFailureAction"] == "Audit"
    assert shipped["spec"]["admission"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["spec"].update(validationFailureAction="Enforce"), "kyverno.policy.spec.validationFailureAction"),
        (lambda p: p["spec"].update(admission=True), "kyverno.policy.spec.admission"),
        (
            lambda p: p["spec"]["rules"][1]["validate"].update(failureAction="Enforce"),
            "kyverno.policy.spec.rules[1].validate.failureAction",
        ),
        (lambda p: p.update(kind="Policy"), "kyverno.policy"),
    ],
)
def test_only_audit_policies_are_shipped(change: Any, field: str) -> None:
    policy = kyverno_node_policy("canary", load_lockfile({}), region="us-east-1")
    change(policy)
    with pytest.raises(ConfigError) as err:
        _audit_stack(policy)
    assert err.value.fields == (field,)
