"""The stage's in-cluster operators stack (``BrPilotOperators`` / ``BrCanaryOperators`` / ``BrProductionOperators``,
``-<region>`` in secondary regions): what is installed *inside* the cluster, through a kubectl provider.

It deploys after ``Br<Stage>Nodes`` (its charts wait for their pods, which need nodes) and is the only stage stack
with a kubectl Lambda: the node-group and ECS stacks hold no Lambda (a rule in tests/stacks/invariants.py), so a
cutover never deploys one. Children (logical IDs are API):

* ``Kubectl`` — :class:`~constructs_br.eks.kubectl.ClusterKubectl` on the platform stack's cluster, imported by its
  name; with a private endpoint the Lambda runs in the VPC's private subnets with the cluster security group;
* ``NodeAudit`` — :class:`~constructs_br.compliance.kyverno_install.KyvernoNodeAudit` with the stage's
  :func:`~stacks.compliance.kyverno_node_policy` (Audit only), in every stage;
* ``UpdateOperator`` — :class:`~constructs_br.eks.update_operator.BottlerocketUpdateOperator` where the stage runs it
  (``br:<stage>:update-operator``: canary by default), its concurrency capped at the node groups' budgets.
"""

from __future__ import annotations

from constructs import Construct

from constructs_br.compliance.kyverno_install import KyvernoNodeAudit
from constructs_br.eks.kubectl import ClusterKubectl
from constructs_br.eks.update_operator import BottlerocketUpdateOperator, node_group_budget
from constructs_br.images.lockfile import Lockfile
from stacks.compliance import kyverno_node_policy
from stacks.config import StageConfig
from stacks.nodes_stack import NodesStack
from stacks.platform_stack import PlatformStack
from stacks.stage_stack import StageStack, stage_log_retention


def operator_budgets(stage: StageConfig) -> list[int]:
    """:func:`~constructs_br.eks.update_operator.node_group_budget` of every built slot of every EKS pair of the stage
    (the node groups the update operator manages when the stage runs it)."""
    return [node_group_budget(pair.slot_spec(slot)) for pair in stage.pairs for slot in pair.built]


class OperatorsStack(StageStack):
    """Kubectl provider, Kyverno node audit and (where configured) the update operator of one stage and region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        lockfile: Lockfile,
        platform: PlatformStack,
        nodes: NodesStack,
    ) -> None:
        """``platform``: the stage's ``Br<Stage>`` stack (cluster, VPC, key); ``nodes``: its ``Br<Stage>Nodes``
        stack, deployed first (the charts' pods need nodes)."""
        super().__init__(
            scope,
            construct_id,
            stage=stage,
            lockfile=lockfile,
            description="in-cluster operators (Kyverno node audit, Bottlerocket update operator) via kubectl",
        )
        self.add_stack_dependency(platform, "the kubectl provider reaches the platform stack's cluster")
        self.add_stack_dependency(nodes, "the operators' pods need the node groups")
        cluster = platform.cluster
        self.kubectl = ClusterKubectl(
            self,
            "Kubectl",
            cluster_name=cluster.cluster_name_literal,
            kubernetes_version=stage.eks.kubernetes_version,
            log_key=platform.key.key,
            vpc=platform.vpc,
            cluster_security_group_id=cluster.cluster_security_group_id,
            endpoint_access=stage.eks.endpoint_access,
            log_retention=stage_log_retention(stage.name),
        )
        self.node_audit = KyvernoNodeAudit(
            self,
            "NodeAudit",
            cluster=self.kubectl.cluster,
            policy=kyverno_node_policy(stage.name, lockfile, region=stage.region),
        )
        self.update_operator: BottlerocketUpdateOperator | None = None
        if stage.update_operator is not None:
            self.update_operator = BottlerocketUpdateOperator(
                self,
                "UpdateOperator",
                cluster=self.kubectl.cluster,
                spec=stage.update_operator,
                node_group_budgets=operator_budgets(stage),
            )
