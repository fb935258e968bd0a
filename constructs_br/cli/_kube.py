"""Is the outgoing EKS slot drained? The decision is pure (:func:`blocking_pods`); reading the cluster
(:func:`read_nodegroup_pods`) uses the official ``kubernetes`` client, imported only when a kubeconfig is given so
``brctl --help`` never loads it.

A node counts as drained when no pod on it would have to be evicted by ``kubectl drain --ignore-daemonsets``:
DaemonSet pods, mirror (static) pods and finished pods (``Succeeded`` / ``Failed``) are ignored, anything else remains.
Pods are ``kubernetes.client.V1Pod`` objects or their API JSON as dicts.

>>> pod = {"metadata": {"name": "web-1", "namespace": "shop",
...                     "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d9", "controller": True}]},
...        "spec": {"nodeName": "ip-10-0-1-5"}, "status": {"phase": "Running"}}
>>> ds = {"metadata": {"name": "aws-node-x", "namespace": "kube-system",
...                    "ownerReferences": [{"kind": "DaemonSet", "name": "aws-node"}]},
...       "spec": {"nodeName": "ip-10-0-1-5"}, "status": {"phase": "Running"}}
>>> [(p.namespace, p.name, p.reason) for p in blocking_pods(["ip-10-0-1-5"], [pod, ds])]
[('shop', 'web-1', 'ReplicaSet/web-5d9, Running')]
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
"""The label EKS puts on every node of a managed node group."""
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
"""Present on mirror pods (the API's view of a kubelet static pod): drain cannot and need not evict them."""
FINISHED_PHASES = frozenset({"Succeeded", "Failed"})


class KubeError(RuntimeError):
    """The cluster could not be read (kubeconfig, credentials, network, RBAC)."""


@dataclass(frozen=True, slots=True)
class RemainingPod:
    """A pod still on a node of the outgoing slot, and why it counts (its owner and phase)."""

    namespace: str
    name: str
    node: str
    reason: str


def drain_command(nodegroup: str) -> str:
    """Drain one node group's nodes one at a time through the eviction API (PodDisruptionBudgets respected)."""
    return (
        f"kubectl get nodes -l {NODEGROUP_LABEL}={nodegroup} -o name"
        " | xargs -n1 kubectl drain --ignore-daemonsets --delete-emptydir-data --timeout=15m"
    )


def _field(obj: Any, *names: str) -> Any:
    """``obj.a.b`` for V1 objects (snake_case) or ``obj["a"]["b"]`` for API dicts (camelCase); ``None`` if absent."""
    for name in names:
        if obj is None:
            return None
        obj = obj.get(name, obj.get(_snake(name))) if isinstance(obj, Mapping) else getattr(obj, _snake(name), None)
    return obj


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _owner(pod: Any) -> tuple[str, str] | None:
    """(kind, name) of the pod's controller (else its first owner), ``None`` for a bare pod."""
    refs = list(_field(pod, "metadata", "ownerReferences") or [])
    if not refs:
        return None
    ref = next((r for r in refs if _field(r, "controller")), refs[0])
    return str(_field(ref, "kind") or "?"), str(_field(ref, "name") or "?")


def blocking_pods(nodes: Iterable[str], pods: Iterable[Any]) -> list[RemainingPod]:
    """Pods on ``nodes`` that a drain still has to evict, sorted by node, namespace, name."""
    on = set(nodes)
    out: list[RemainingPod] = []
    for pod in pods:
        node = _field(pod, "spec", "nodeName")
        if node not in on:
            continue
        phase = str(_field(pod, "status", "phase") or "Unknown")
        if phase in FINISHED_PHASES:
            continue
        if MIRROR_ANNOTATION in (_field(pod, "metadata", "annotations") or {}):
            continue
        owner = _owner(pod)
        if owner is not None and owner[0] == "DaemonSet":
            continue
        who = f"{owner[0]}/{owner[1]}" if owner else "no controller (drain refuses bare pods without --force)"
        state = "terminating" if _field(pod, "metadata", "deletionTimestamp") else phase
        out.append(
            RemainingPod(
                namespace=str(_field(pod, "metadata", "namespace") or "default"),
                name=str(_field(pod, "metadata", "name") or "?"),
                node=str(node),
                reason=f"{who}, {state}",
            )
        )
    return sorted(out, key=lambda p: (p.node, p.namespace, p.name))


def read_nodegroup_pods(api: Any, nodegroups: Iterable[str]) -> tuple[list[str], list[Any]]:
    """(node names, pods on them) of the given node groups, read through a ``CoreV1Api``-like ``api``."""
    nodes: list[str] = []
    pods: list[Any] = []
    for ng in sorted(set(nodegroups)):
        for node in api.list_node(label_selector=f"{NODEGROUP_LABEL}={ng}").items:
            name = str(node.metadata.name)
            nodes.append(name)
            pods.extend(api.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={name}").items)
    return nodes, pods


def core_api(kubeconfig: str, context: str | None) -> Any:
    """A ``kubernetes.client.CoreV1Api`` for ``kubeconfig`` (and ``context``); the package is imported here only."""
    try:
        kubernetes = importlib.import_module("kubernetes")
    except ImportError as exc:
        raise KubeError("--kubeconfig needs the kubernetes package: pip install 'constructs_br[cli]'") from exc
    try:
        api_client = kubernetes.config.new_client_from_config(config_file=kubeconfig, context=context)
    except Exception as exc:  # the client raises ConfigException, OSError, yaml errors, ...
        raise KubeError(f"cannot load kubeconfig {kubeconfig}: {exc}") from exc
    return kubernetes.client.CoreV1Api(api_client)


def remaining_pods(
    kubeconfig: str, context: str | None, nodegroups: Iterable[str]
) -> tuple[list[str], list[RemainingPod]]:
    """(nodes of ``nodegroups``, pods still to evict from them), read from the cluster."""
    api = core_api(kubeconfig, context)
    try:
        nodes, pods = read_nodegroup_pods(api, nodegroups)
    except Exception as exc:  # ApiException, urllib3 errors: the cluster could not be read
        raise KubeError(f"cannot list nodes/pods: {exc}") from exc
    return nodes, blocking_pods(nodes, pods)


CUTOVER_TAINT = "constructs-br/cutover=outgoing:NoSchedule"
"""The taint an EKS pair puts on its outgoing slot (``constructs_br.eks.pair.CUTOVER_TAINT_KEY``; a test keeps them
equal — importing ``eks.pair`` here would start jsii)."""


def untaint_command(nodegroup: str) -> str:
    """Lift the outgoing taint from one node group's nodes by hand (rollback: let pods return before a drain)."""
    return f"kubectl taint nodes -l {NODEGROUP_LABEL}={nodegroup} {CUTOVER_TAINT}-"


# --- self-managed nodes (an adopted Auto Scaling group): nodes found by instance ID in spec.providerID ---------------
def _instance_of(node: Any) -> str:
    """``i-0abc`` from a node's ``spec.providerID`` (``aws:///us-west-2a/i-0abc``); empty when it has none."""
    provider_id = str(_field(node, "spec", "providerID") or "")
    return provider_id.rsplit("/", 1)[-1] if provider_id.startswith("aws://") else ""


def nodes_of_instances(api: Any, instance_ids: Iterable[str]) -> list[str]:
    """Names of the nodes backed by ``instance_ids`` (matched on ``spec.providerID``), sorted."""
    wanted = set(instance_ids)
    return sorted(str(n.metadata.name) for n in api.list_node().items if _instance_of(n) in wanted)


def instance_drain_command(instance_ids: Iterable[str]) -> str:
    """Drain the nodes of some EC2 instances (a self-managed group has no node-group label), one at a time."""
    pattern = "|".join(sorted(set(instance_ids))) or "NONE"
    return (
        "kubectl get nodes -o custom-columns=NAME:.metadata.name,ID:.spec.providerID --no-headers"
        f" | grep -E '/({pattern})$' | awk '{{print $1}}'"
        " | xargs -n1 kubectl drain --ignore-daemonsets --delete-emptydir-data --timeout=15m"
    )


def remaining_pods_on_instances(
    kubeconfig: str, context: str | None, instance_ids: Iterable[str]
) -> tuple[list[str], list[RemainingPod]]:
    """(nodes of ``instance_ids``, pods still to evict from them), read from the cluster."""
    api = core_api(kubeconfig, context)
    try:
        nodes = nodes_of_instances(api, instance_ids)
        pods: list[Any] = []
        for name in nodes:
            pods.extend(api.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={name}").items)
    except Exception as exc:  # ApiException, urllib3 errors: the cluster could not be read
        raise KubeError(f"cannot list nodes/pods: {exc}") from exc
    return nodes, blocking_pods(nodes, pods)


def set_unschedulable(kubeconfig: str, context: str | None, instance_ids: Iterable[str], value: bool) -> list[str]:
    """Cordon (``value`` True) or uncordon the nodes of ``instance_ids`` (``kubectl cordon``: ``spec.unschedulable``);
    the node names patched."""
    api = core_api(kubeconfig, context)
    try:
        nodes = nodes_of_instances(api, instance_ids)
        for name in nodes:
            api.patch_node(name, {"spec": {"unschedulable": value}})
    except Exception as exc:  # ApiException, urllib3 errors
        raise KubeError(f"cannot {'cordon' if value else 'uncordon'} nodes: {exc}") from exc
    return nodes
