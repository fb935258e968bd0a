"""Tag keys the library writes on every fleet resource (instances, volumes, node groups, ASGs).

``brctl drift`` and the AWS Config rules find the fleet by these keys, so they are API: never rename.
"""

from __future__ import annotations

FLEET = "constructs-br:fleet"
"""Fleet name (node group pair / capacity name)."""
STAGE = "constructs-br:stage"
"""pilot | canary | production."""
SLOT = "constructs-br:slot"
"""blue | green (blue/green pairs) or ``single``."""
IMAGE_VERSION = "constructs-br:image-version"
"""Full Bottlerocket image version the capacity was pinned to, e.g. ``1.50.0-abcdef12``."""
VARIANT = "constructs-br:variant"
"""Bottlerocket variant, e.g. ``aws-k8s-1.33``."""
