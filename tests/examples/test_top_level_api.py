"""What a consumer imports from ``constructs_br`` directly: the operator-stack constructs and the update operator's
pure configuration, as the same objects as their home modules; the pure names import without jsii."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import constructs_br

PURE = {
    "UpdateOperatorSpec": "constructs_br.eks.update_operator_spec",
    "capped_concurrency": "constructs_br.eks.update_operator_spec",
    "node_group_budget": "constructs_br.eks.update_operator_spec",
    "UPDATER_INTERFACE_LABEL": "constructs_br.eks.update_operator_spec",
    "version_lock_for": "constructs_br.eks.spec",
}
LAZY = {
    "ClusterKubectl": "constructs_br.eks.kubectl",
    "BottlerocketUpdateOperator": "constructs_br.eks.update_operator",
    "KyvernoNodeAudit": "constructs_br.compliance.kyverno_install",
    "LockDocument": "constructs_br.images.lockfile",
}

_PROBE = """
import json, sys
import constructs_br
eager = sorted(n for n in json.loads(sys.argv[1]) if n in vars(constructs_br))
lazy = sorted(n for n in json.loads(sys.argv[2]) if n in vars(constructs_br))
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"aws_cdk", "jsii", "constructs", "stacks"})
print(json.dumps([eager, lazy, loaded]))
"""


@pytest.mark.parametrize(("name", "module"), sorted({**PURE, **LAZY}.items()))
def test_each_name_is_its_home_module_s_object(name: str, module: str) -> None:
    import importlib

    assert name in constructs_br.__all__
    assert getattr(constructs_br, name) is getattr(importlib.import_module(module), name)


def test_pure_names_are_eager_constructs_are_lazy_and_no_jsii_starts(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(sorted(PURE)), json.dumps(sorted(LAZY))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    eager, lazy, loaded = json.loads(result.stdout)
    assert eager == sorted(PURE)
    assert lazy == []  # resolved on first access only
    assert loaded == []


def test_the_pure_config_works_from_the_top_level() -> None:
    spec = constructs_br.UpdateOperatorSpec(
        scheduler_cron_expression="* * 14-17 * * Tue-Thu *", max_concurrent_updates=3
    )
    assert constructs_br.capped_concurrency(spec, [2, 1]) == 1
    group = constructs_br.NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",), max_unavailable=2)
    assert constructs_br.node_group_budget(group) == 2
    assert constructs_br.version_lock_for("1.50.0-abcdef12") == "v1.50.0"
    assert constructs_br.UPDATER_INTERFACE_LABEL == "bottlerocket.aws/updater-interface-version"
