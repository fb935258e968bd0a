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
