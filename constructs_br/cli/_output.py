"""Output for people (rich tables and progress on a terminal) and for machines (``--json`` on stdout).

Rules: results go to stdout; progress, warnings and errors go to stderr. JSON is sorted and indented so it can be
diffed and piped to ``jq``. Streams are looked up at call time, so redirection (and pytest's capture) works.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

_WIDE = 200


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    is_tty = bool(getattr(stream, "isatty", lambda: False)())
    # Not a terminal: don't wrap or truncate cells (AMI IDs and SSM paths must stay copy-pasteable).
    return Console(file=stream, width=None if is_tty else _WIDE, highlight=False, soft_wrap=not is_tty)


def emit_json(data: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table on stdout. ``None`` cells print as ``-``."""
    t = Table(title=title, title_justify="left", show_lines=False)
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*("-" if cell is None else str(cell) for cell in row))
    _console().print(t)


def info(message: str) -> None:
    """Progress / status for people, on stderr."""
    _console(stderr=True).print(message, markup=False, style="dim")


def error(message: str) -> None:
    """An error line on stderr, prefixed like argparse's."""
    sys.stderr.write(f"brctl: error: {message}\n")
