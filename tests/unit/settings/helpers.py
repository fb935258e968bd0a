"""Shared helpers for settings tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from constructs_br.settings import validate

K8S = "aws-k8s-1.33"
K8S_NVIDIA = "aws-k8s-1.33-nvidia"
ECS = "aws-ecs-2"


def fields(settings: Mapping[str, Any], variant: str = K8S) -> list[str]:
    """Dotted paths of all problems of a bare settings table for ``variant``."""
    return [p.field for p in validate({"settings": dict(settings)}, variant=variant)]
