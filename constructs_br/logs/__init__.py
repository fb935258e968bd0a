"""KMS keys and encrypted log groups (Fluent Bit for EKS and ECS will live here too)."""

from constructs_br.logs.keys import FleetKey, LogRetention, encrypted_log_group

__all__ = ["FleetKey", "LogRetention", "encrypted_log_group"]
