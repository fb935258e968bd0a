"""Re-export of :func:`constructs_br.images.slot_pin.select_slot_image` (moved there: ECS capacities use it too).

Kept so ``from constructs_br.eks.slot_pin import select_slot_image`` keeps working.
"""

from constructs_br.images.slot_pin import select_slot_image

__all__ = ["select_slot_image"]
