"""Access for people: ``bottlerocket-control`` / ``bottlerocket-admin`` operator roles, the stage's Session Manager
preferences, break-glass documents and EKS access entries (see docs/access.md).

The configuration (:mod:`constructs_br.access.spec`) is pure; the constructs load lazily, so importing the spec
never starts jsii.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_br._lazy import lazy_exports
from constructs_br.access.spec import (
    AccessConfig,
    BreakGlass,
    BreakGlassError,
    ClusterPrincipal,
    KubernetesAccess,
    RoleTrust,
    SessionPreferences,
)

if TYPE_CHECKING:
    from constructs_br.access.cluster import ClusterAccessEntries
    from constructs_br.access.documents import BreakGlassDocuments, SessionPreferencesDocument
    from constructs_br.access.fleet import FleetAccess, NodeSessionPolicy
    from constructs_br.access.roles import OperatorRole

_LAZY = {
    "ClusterAccessEntries": "constructs_br.access.cluster",
    "BreakGlassDocuments": "constructs_br.access.documents",
    "SessionPreferencesDocument": "constructs_br.access.documents",
    "FleetAccess": "constructs_br.access.fleet",
    "NodeSessionPolicy": "constructs_br.access.fleet",
    "OperatorRole": "constructs_br.access.roles",
}


__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "AccessConfig",
    "BreakGlass",
    "BreakGlassDocuments",
    "BreakGlassError",
    "ClusterAccessEntries",
    "ClusterPrincipal",
    "FleetAccess",
    "KubernetesAccess",
    "NodeSessionPolicy",
    "OperatorRole",
    "RoleTrust",
    "SessionPreferences",
    "SessionPreferencesDocument",
]
