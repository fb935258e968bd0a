"""``brctl``'s entry point: the command table matches the modules, unexpected errors are one line (``--debug``
shows the traceback), configuration errors stay usage errors."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from constructs_br.cli import userdata
from constructs_br.cli.commands import COMMANDS
from constructs_br.cli.main import EXIT_CHECK_FAILED, EXIT_USAGE, build_parser, main
from constructs_br.errors import ConfigError


def _helps(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {choice.dest: choice.help for choice in action._choices_actions}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_command_table_matches_what_the_module_registers(command: Any) -> None:
    stub = _helps(build_parser())
    full = build_parser([command.name])
    assert _helps(full)[command.name] == stub[command.name] == command.help
    subparsers = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    assert subparsers.choices[command.name].get_default("handler") or subparsers.choices[command.name]._subparsers


def _boom(args: argparse.Namespace) -> int:
    raise RuntimeError("disk\non fire")


@pytest.fixture
def broken_validate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    monkeypatch.setattr(userdata, "run_validate", _boom)
    f = tmp_path / "u.toml"
    f.write_text("")
    return ["userdata", "validate", "--variant", "aws-k8s-1.33", str(f)]


def test_unexpected_error_is_one_line_exit_1(broken_validate: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(broken_validate) == EXIT_CHECK_FAILED
    err = capsys.readouterr().err
    assert err == "brctl: error: RuntimeError: disk on fire (run with --debug for the traceback)\n"


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(where: str, broken_validate: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--debug", *broken_validate] if where == "before" else [*broken_validate, "--debug"]
    assert main(argv) == EXIT_CHECK_FAILED
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: disk" in err


def test_config_error_stays_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def bad(args: argparse.Namespace) -> int:
        raise ConfigError("--thing", 3, "1 or 2")

    monkeypatch.setattr(userdata, "run_validate", bad)
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", "-"]) == EXIT_USAGE
    assert capsys.readouterr().err == "brctl: error: --thing: got 3; allowed: 1 or 2\n"


def test_unknown_command_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope"]) == EXIT_USAGE
    assert "invalid choice" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "userdata" in capsys.readouterr().out
