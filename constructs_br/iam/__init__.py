"""IAM for Bottlerocket fleets: node roles and statements as small, explained functions."""

from constructs_br.iam.node_role import EksNodeRole
from constructs_br.iam.statements import (
    SSM_AGENT_ACTIONS,
    ecr_pull_statements,
    eks_worker_statements,
    ssm_agent_statements,
)

__all__ = [
    "SSM_AGENT_ACTIONS",
    "EksNodeRole",
    "ecr_pull_statements",
    "eks_worker_statements",
    "ssm_agent_statements",
]
from constructs_br.iam.ecs_instance_role import EcsInstanceRole, ecs_agent_statements  # noqa: F401  (ECS: appended)
