"""What EKS node groups and ECS capacity share: launch-template options (pure), the image as a template value,
and the secure launch template. Construct-layer names load lazily, so ``nodes.options`` stays free of jsii."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_br._lazy import lazy_exports
from constructs_br.nodes.options import MetadataOptions, VolumeOptions

if TYPE_CHECKING:
    from constructs_br.nodes.image import image_id_value, resolve_for_stack
    from constructs_br.nodes.launch_template import BottlerocketLaunchTemplate, grant_ebs_key_to_autoscaling

_LAZY = {
    "BottlerocketLaunchTemplate": "constructs_br.nodes.launch_template",
    "grant_ebs_key_to_autoscaling": "constructs_br.nodes.launch_template",
    "image_id_value": "constructs_br.nodes.image",
    "resolve_for_stack": "constructs_br.nodes.image",
}

__all__ = [
    "BottlerocketLaunchTemplate",
    "MetadataOptions",
    "VolumeOptions",
    "grant_ebs_key_to_autoscaling",
    "image_id_value",
    "resolve_for_stack",
]


__getattr__ = lazy_exports(__name__, _LAZY)
