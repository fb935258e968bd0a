"""The drain decision (``constructs_br.cli._kube``) on ``kubernetes.client`` objects built here: no API server."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from constructs_br.cli import _kube

k8s = pytest.importorskip("kubernetes.client")

NODE = "ip-10-0-1-5.ec2.internal"
OTHER = "ip-10-0-2-9.ec2.internal"


def pod(
    name: str,
    *,
    node: str | None = NODE,
    owner: tuple[str, str] | None = ("ReplicaSet", "web-5d9"),
    phase: str = "Running",
    namespace: str = "shop",
    annotations: dict[str, str] | None = None,
    deleting: bool = False,
) -> Any:
    refs = (
        [k8s.V1OwnerReference(api_version="apps/v1", kind=owner[0], name=owner[1], uid="u", controller=True)]
        if owner
        else None
    )
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(
            name=name,
            namespace=namespace,
            owner_references=refs,
            annotations=annotations,
            deletion_timestamp=datetime(2026, 1, 1, tzinfo=UTC) if deleting else None,
        ),
        spec=k8s.V1PodSpec(node_name=node, containers=[k8s.V1Container(name="c", image="x")]),
        status=k8s.V1PodStatus(phase=phase),
    )


def test_workload_pod_remains_with_owner_and_phase() -> None:
    (p,) = _kube.blocking_pods([NODE], [pod("web-1")])
    assert (p.namespace, p.name, p.node, p.reason) == ("shop", "web-1", NODE, "ReplicaSet/web-5d9, Running")


@pytest.mark.parametrize(
    "ignored",
    [
        pod("aws-node-x", owner=("DaemonSet", "aws-node"), namespace="kube-system"),
        pod("kube-proxy-static", owner=("Node", NODE), annotations={_kube.MIRROR_ANNOTATION: "abc"}),
        pod("job-1", owner=("Job", "nightly"), phase="Succeeded"),
        pod("job-2", owner=("Job", "nightly"), phase="Failed"),
        pod("elsewhere", node=OTHER),
        pod("pending", node=None, phase="Pending"),
    ],
    ids=["daemonset", "mirror", "succeeded", "failed", "other-node", "unscheduled"],
)
def test_ignored_pods(ignored: Any) -> None:
    assert _kube.blocking_pods([NODE], [ignored]) == []


def test_bare_pending_and_terminating_pods_remain() -> None:
    remaining = _kube.blocking_pods(
        [NODE, OTHER],
        [
            pod("bare", owner=None),
            pod("starting", phase="Pending", node=OTHER, owner=("StatefulSet", "db")),
            pod("going", deleting=True),
        ],
    )
    assert [(p.name, p.reason) for p in remaining] == [
        ("bare", "no controller (drain refuses bare pods without --force), Running"),
        ("going", "ReplicaSet/web-5d9, terminating"),
        ("starting", "StatefulSet/db, Pending"),
    ]


def test_api_dicts_work_like_objects() -> None:
    as_dict = k8s.ApiClient().sanitize_for_serialization(pod("web-1"))  # the API's camelCase JSON
    assert "ownerReferences" in as_dict["metadata"]
    assert _kube.blocking_pods([NODE], [as_dict]) == _kube.blocking_pods([NODE], [pod("web-1")])


class FakeCoreV1:
    """What ``read_nodegroup_pods`` calls on a ``CoreV1Api``: list nodes by label, pods by node name."""

    def __init__(self, nodes: dict[str, list[str]], pods: list[Any]) -> None:
        self.nodes, self.pods = nodes, pods
        self.calls: list[str] = []

    def list_node(self, label_selector: str) -> Any:
        self.calls.append(label_selector)
        ng = label_selector.removeprefix(f"{_kube.NODEGROUP_LABEL}=")
        return k8s.V1NodeList(items=[k8s.V1Node(metadata=k8s.V1ObjectMeta(name=n)) for n in self.nodes.get(ng, [])])

    def list_pod_for_all_namespaces(self, field_selector: str) -> Any:
        node = field_selector.removeprefix("spec.nodeName=")
        return k8s.V1PodList(items=[p for p in self.pods if p.spec.node_name == node])


def test_read_nodegroup_pods_selects_by_nodegroup_label() -> None:
    api = FakeCoreV1({"general-blue": [NODE]}, [pod("web-1"), pod("web-2", node=OTHER)])
    nodes, pods = _kube.read_nodegroup_pods(api, ["general-blue"])
    assert nodes == [NODE]
    assert [p.metadata.name for p in pods] == ["web-1"]
    assert api.calls == ["eks.amazonaws.com/nodegroup=general-blue"]


def test_drain_command_respects_pdbs_one_node_at_a_time() -> None:
    cmd = _kube.drain_command("general-blue")
    assert cmd.startswith("kubectl get nodes -l eks.amazonaws.com/nodegroup=general-blue -o name | xargs -n1 ")
    assert "kubectl drain --ignore-daemonsets --delete-emptydir-data --timeout=15m" in cmd
    assert "--disable-eviction" not in cmd
    assert "--force" not in cmd


def test_cutover_taint_matches_the_eks_pair() -> None:
    from constructs_br.eks.pair import CUTOVER_TAINT_KEY

    assert _kube.CUTOVER_TAINT.startswith(f"{CUTOVER_TAINT_KEY}=")


def test_unreadable_kubeconfig_is_a_kube_error(tmp_path: Any) -> None:
    with pytest.raises(_kube.KubeError, match="cannot load kubeconfig"):
        _kube.core_api(str(tmp_path / "missing"), None)


def test_brctl_help_does_not_import_kubernetes() -> None:
    code = (
        "import sys\n"
        "from constructs_br.cli.main import main\n"
        "try:\n    main(['cutover', 'next', '--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'kubernetes' not in sys.modules, 'kubernetes imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
