"""What EKS node groups and ECS capacity share: the image as a template value, and the secure launch template."""

from constructs_br.nodes.image import image_id_value
from constructs_br.nodes.launch_template import (
    BottlerocketLaunchTemplate,
    MetadataOptions,
    VolumeOptions,
    grant_ebs_key_to_autoscaling,
)

__all__ = [
    "BottlerocketLaunchTemplate",
    "MetadataOptions",
    "VolumeOptions",
    "grant_ebs_key_to_autoscaling",
    "image_id_value",
]
