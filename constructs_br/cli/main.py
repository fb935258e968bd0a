"""``brctl`` entry point. Each command group lives in its own module with ``register(subparsers)``.

Exit codes (a contract pipelines script against): 0 ok, 1 a check failed (or an unexpected error, reported in one
line; ``--debug`` shows the traceback), 2 usage error (bad arguments or configuration).

Global options: ``--project PATH`` names the app's ``pyproject.toml`` whose ``[tool.brctl]`` table says where the
lockfile and the cloud assembly are and how stacks and context keys are named (default: the nearest
``pyproject.toml`` with such a table, from the working directory up). ``--debug`` shows tracebacks. Both may also
follow the command.

Only the module of the command being run is imported (see :mod:`constructs_br.cli.commands`), so ``brctl --help``
never loads boto3, rich, the CDK or jsii.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import traceback
from collections.abc import Callable, Sequence

from constructs_br.errors import ConfigError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


def _global_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--project",
        metavar="PATH",
        default=default,
        help="the app's pyproject.toml with a [tool.brctl] table (default: nearest one from the working directory up)",
    )
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show the traceback of an unexpected error"
    )


def _selected(argv: Sequence[str]) -> str | None:
    """The command group named in ``argv`` (the first positional argument), if any."""
    pre = argparse.ArgumentParser(add_help=False)
    _global_options(pre, None)
    _, rest = pre.parse_known_args(list(argv))
    return next((token for token in rest if not token.startswith("-")), None)


def _leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [parser]
    return [leaf for action in subs for child in action.choices.values() for leaf in _leaves(child)]


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The ``brctl`` parser. Only the command group named in ``argv`` is imported and registered in full; the
    others are one-line stubs (enough for ``brctl --help`` and for argparse to reject unknown commands)."""
    from constructs_br.cli.commands import COMMANDS

    parser = argparse.ArgumentParser(prog="brctl", description="Operate Bottlerocket fleets built with constructs_br.")
    _global_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    selected = _selected(argv)
    for command in COMMANDS:
        if command.name != selected:
            sub.add_parser(command.name, help=command.help)
            continue
        command.register()(sub)
        for leaf in _leaves(sub.choices[command.name]):
            # The same options after the command; SUPPRESS keeps a value given before it. A command that defines
            # its own --project / --debug keeps it.
            with contextlib.suppress(argparse.ArgumentError):
                _global_options(leaf, argparse.SUPPRESS)
    return parser


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:  # a stub was parsed: cannot happen unless the command table and modules disagree
        parser.error(f"command {args.command!r} has no handler")
    try:
        _project_defaults(args)
        return handler(args)
    except ConfigError as exc:  # every problem on its own line, each naming the flag / file / path it is about
        for problem in exc.problems:
            print(f"brctl: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("brctl: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # a handler's own parser.error() / sys.exit(): keep its code, never escape main
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_USAGE)
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        else:
            print(f"brctl: error: {_one_line(exc)} (run with --debug for the traceback)", file=sys.stderr)
        return EXIT_CHECK_FAILED


def _project_defaults(args: argparse.Namespace) -> None:
    """Fill options a command left to the project (``--lockfile`` default ``None``) from ``[tool.brctl]``."""
    if getattr(args, "lockfile", "") is None:
        from constructs_br.cli._project import load_project
        from constructs_br.images.lockfile import DEFAULT_LOCKFILE

        project = load_project(args.project)
        args.lockfile = str(project.path(project.lockfile)) if project.source else DEFAULT_LOCKFILE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
