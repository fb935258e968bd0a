"""One Kubernetes label grammar for EKS node-group labels and Bottlerocket's node-labels / node-taints keys."""

from __future__ import annotations

import pytest

from constructs_br.eks.spec import NodeGroupSpec
from constructs_br.errors import ConfigError
from constructs_br.settings import validate

BAD_KEY = "Example.COM/role"  # an upper-case prefix: Bottlerocket's own pattern lets it through, Kubernetes does not


def test_node_group_labels_and_settings_node_labels_refuse_the_same_key() -> None:
    with pytest.raises(ConfigError) as exc:
        NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), labels={BAD_KEY: "x"})
    (eks_problem,) = exc.value.problems
    (settings_problem,) = validate({"kubernetes": {"node-labels": {BAD_KEY: "x"}}}, variant="aws-k8s-1.33")
    assert eks_problem.allowed == settings_problem.allowed
    assert settings_problem.field == 'settings.kubernetes.node-labels."Example.COM/role"'


def test_taint_keys_use_the_grammar_too() -> None:
    (problem,) = validate({"kubernetes": {"node-taints": {BAD_KEY: "x:NoSchedule"}}}, variant="aws-k8s-1.33")
    assert "taint key" in problem.allowed
    assert validate({"kubernetes": {"node-taints": {"dedicated": "x:NoSchedule"}}}, variant="aws-k8s-1.33") == []
