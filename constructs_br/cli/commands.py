"""The command groups ``brctl`` knows, as data: name, module, one-line help.

Each module exposes ``register(subparsers)``, which adds its parser (same name and help as here) and sets
``handler`` (a ``Callable[[argparse.Namespace], int]``) on every leaf parser via ``set_defaults``. ``brctl`` imports
only the module of the command being run (and none for ``brctl --help``), so showing help or running ``userdata``
never loads boto3, rich or the CDK; a test checks the help strings here match what each module registers.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Register = Callable[["argparse._SubParsersAction[Any]"], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One ``brctl`` command group."""

    name: str
    module: str
    help: str

    def register(self) -> Register:
        """The module's ``register`` function (imports the module)."""
        fn: Register = importlib.import_module(self.module).register
        return fn


COMMANDS: tuple[Command, ...] = (
    Command(name="userdata", module="constructs_br.cli.userdata", help="render and validate Bottlerocket user data"),
    Command(
        name="pins",
        module="constructs_br.cli.pins",
        help="pin Bottlerocket images per region (bottlerocket.lock.json)",
    ),
    Command(
        name="drift",
        module="constructs_br.cli.drift",
        help="compare running instances and node groups with the lockfile",
    ),
    Command(name="cutover", module="constructs_br.cli.cutover", help="blue/green node-group cutover gate"),
    Command(
        name="preflight",
        module="constructs_br.cli.preflight",
        help="what the account lacks before the first cdk deploy (read-only)",
    ),
    Command(
        name="access",
        module="constructs_br.cli.access",
        help="who may reach a stage's nodes and cluster (operator roles, break-glass, access entries)",
    ),
    Command(
        name="inventory",
        module="constructs_br.cli.inventory",
        help="what the fleet runs and whether it can move to Bottlerocket",
    ),
    Command(
        name="report",
        module="constructs_br.cli.report",
        help="control report of a stage (CIS, NIST 800-53, ISO 27001) from the synthesized assembly",
    ),
)
"""Every command group, in ``brctl --help`` order."""
