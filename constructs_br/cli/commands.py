"""The command groups ``brctl`` knows. Each module exposes ``register(subparsers)``, which sets
``handler`` (a ``Callable[[argparse.Namespace], int]``) on every leaf parser via ``set_defaults``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Register = Callable[["argparse._SubParsersAction[Any]"], None]

REGISTRY: list[Register] = []

from constructs_br.cli import userdata  # noqa: E402  (appended registration; userdata never imports this module)

REGISTRY.append(userdata.register)

# Command modules import ``main`` (exit codes) but never this module, so registering them here, after REGISTRY
# exists, cannot form an import cycle.
from constructs_br.cli import drift, pins  # noqa: E402

REGISTRY.extend([pins.register, drift.register])

from constructs_br.cli import cutover  # noqa: E402

REGISTRY.append(cutover.register)
