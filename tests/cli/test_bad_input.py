"""Malformed bytes through ``brctl`` (issue 12): a named error that names the file and what is allowed, exit 1 (the
data checked) or 2 (usage / configuration), never a traceback. Offline: every case fails before any AWS call."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from constructs_br.cli.main import main

GOOD_TOML = b"[settings.kubernetes]\nmax-pods = 110\n"
GOOD_GZIP = gzip.compress(GOOD_TOML + b"# padding so the deflate stream has blocks to corrupt\n" * 20, mtime=0)


def _corrupt_after_header(data: bytes) -> bytes:
    """A valid 10-byte gzip header followed by a deflate stream with an invalid block type (zlib.error)."""
    return data[:10] + b"\xff" * 20 + data[30:]


USER_DATA: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty user data"),
    "whitespace": (b" \n\t\n", "empty user data"),
    "comments only": (b"# nothing here\n", "empty user data"),
    "binary": (bytes(range(256)), "not UTF-8"),
    "binary but UTF-8 (NUL)": (b"[settings]\x00\n", "control character"),
    "latin-1": ('[settings]\nmotd = "caf\u00e9"\n'.encode("latin-1"), "byte 0xe9 at offset 22 is not UTF-8"),
    "truncated gzip": (GOOD_GZIP[:15], "corrupt or truncated gzip"),
    "gzip magic only": (b"\x1f\x8b", "corrupt or truncated gzip"),
    "gzip corrupt after a valid header": (_corrupt_after_header(GOOD_GZIP), "invalid block type"),
    "gzip CRC mismatch": (GOOD_GZIP[:-8] + b"\x00" * 8, "corrupt or truncated gzip"),
    "base64 of corrupt gzip": (
        base64.b64encode(_corrupt_after_header(GOOD_GZIP)),
        "invalid block type (after decoding base64)",
    ),
    "invalid base64": (b"aGVsbG8=x", "not valid base64"),
    "base64 of binary": (base64.b64encode(b"\xff\xfe\x00"), "not UTF-8 (after decoding base64)"),
    "base64 of nothing but whitespace": (base64.b64encode(b"   "), "empty user data"),
    "nested base64": (base64.b64encode(base64.b64encode(base64.b64encode(GOOD_TOML))), "more layers"),
    "invalid TOML": (b"[settings.kubernetes\n", "a TOML document"),
    "integer beyond int()": (b"[settings.kubernetes]\nmax-pods = " + b"9" * 5000 + b"\n", "a TOML document"),
}


@pytest.mark.parametrize("case", USER_DATA, ids=list(USER_DATA))
def test_userdata_validate_names_the_file(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, why = USER_DATA[case]
    f = tmp_path / "node.userdata"
    f.write_bytes(data)
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(f)]) == 1
    out, err = capsys.readouterr()
    assert f"  {f}: got " in out  # the problem's field is the file as the user named it
    assert "allowed: " in out
    assert why in out
    assert "Traceback" not in out + err


def test_userdata_validate_json_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "empty.toml"
    f.write_bytes(b"")
    assert main(["userdata", "validate", "--variant", "aws-ecs-2", "--json", str(f)]) == 1
    out = capsys.readouterr().out
    assert f'"field": "{f}"' in out
    assert '"valid": false' in out


def test_userdata_validate_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    class Stdin:
        class buffer:  # noqa: N801 - mirrors sys.stdin.buffer
            @staticmethod
            def read() -> bytes:
                return GOOD_GZIP[:12]

    monkeypatch.setattr("sys.stdin", Stdin)
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", "-"]) == 1
    assert "<stdin>: got '<gzip, 12 bytes>'" in capsys.readouterr().out


def test_userdata_validate_good_gzip_and_base64(tmp_path: Path) -> None:
    for name, data in (("a.gz", GOOD_GZIP), ("a.b64", base64.b64encode(GOOD_GZIP)), ("a.toml", GOOD_TOML)):
        f = tmp_path / name
        f.write_bytes(data)
        assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(f)]) == 0, name


def test_userdata_validate_unreadable_file_is_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["userdata", "validate", "--variant", "aws-k8s-1.33", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"brctl: error: FILE: got '{tmp_path}'; allowed: a readable user-data file" in err


@pytest.mark.parametrize(
    ("variant", "why"),
    [("aws-k8s-1.99", "known Kubernetes minors"), ("aws-ecs-1", "retired"), ("bottlerocket", "aws-k8s-<")],
)
def test_userdata_validate_variant_goes_through_the_catalogue(
    variant: str, why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "a.toml"
    f.write_bytes(GOOD_TOML)
    assert main(["userdata", "validate", "--variant", variant, str(f)]) == 2
    err = capsys.readouterr().err
    assert f"brctl: error: --variant: got '{variant}'; allowed: " in err
    assert why in err


LOCKFILES: dict[str, tuple[bytes, str]] = {
    "non-UTF-8": (b'{"version": 1, "regions": {}, "note": "caf\xe9"}', "got '<byte 0xe9 at offset 42>'"),
    "UTF-16": ('{"version": 1}'.encode("utf-16"), "not UTF-8"),
    "invalid JSON": (b'{"version": 1,', "invalid JSON at line 1 column 15"),
    "empty": (b"", "invalid JSON at line 1 column 1"),
    "a JSON array": (b"[]", "got 'a JSON array'"),
    "a JSON string": (b'"lock"', "got 'a JSON string'"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "RecursionError"),
    "huge integer": (b'{"version": ' + b"1" * 5000 + b"}", "ValueError"),
    "wrong version": (b'{"version": 3, "regions": {}}', ": version: got 3; allowed: 1 | 2"),
    "pin not an object": (b'{"version": 1, "regions": {"us-west-2": {"aws-k8s-1.33/x86_64": 3}}}', "an object"),
}

Command = Callable[[Path], list[str]]
PIN = ["--region", "us-west-2", "--variant", "aws-k8s-1.33", "--arch", "x86_64"]
COMMANDS: dict[str, Command] = {
    "pins show": lambda lock: ["pins", "show", "--lockfile", str(lock)],
    "pins verify": lambda lock: ["pins", "verify", "--lockfile", str(lock)],
    "pins rollback": lambda lock: ["pins", "rollback", "--lockfile", str(lock), *PIN],
    "pins refresh": lambda lock: ["pins", "refresh", "--lockfile", str(lock), *PIN],  # lockfile read before AWS
    "drift": lambda lock: ["drift", "--lockfile", str(lock), "--region", "us-west-2"],
}


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
@pytest.mark.parametrize("case", LOCKFILES, ids=list(LOCKFILES))
def test_malformed_lockfile_is_a_named_usage_error(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, why = LOCKFILES[case]
    lock = tmp_path / "my.lock.json"
    lock.write_bytes(data)
    assert main(COMMANDS[command](lock)) == 2
    err = capsys.readouterr().err
    assert f"brctl: error: {lock}" in err  # names the lockfile path
    assert "allowed: " in err
    assert why in err
    assert "Traceback" not in err
    assert lock.read_bytes() == data  # nothing rewritten


def test_unreadable_lockfile_is_a_named_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pins", "show", "--lockfile", str(tmp_path)]) == 2
    assert f"brctl: error: lockfile: got '{tmp_path}'; allowed: a readable lockfile file" in capsys.readouterr().err


def test_pins_refresh_reports_every_bad_flag_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["pins", "refresh", "--lockfile", str(tmp_path / "l.json"), "--variant", "aws-k8s-1.99"]
    argv += ["--arch", "aarch64", "--release", "v1.50.0", "--region", "us-west", "--region", "eu-west-1"]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[2].strip() for line in err] == ["--variant", "--arch", "--release", "--region"]
    assert "drop the leading 'v'" in err[2]
    assert not (tmp_path / "l.json").exists()


@pytest.mark.parametrize("release", ["1.50", "1.50.0-ABCDEF12", "1.50.0-abcdef12\n", "01.50.0", "latest "])
def test_pins_refresh_release_uses_the_version_grammar(
    release: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["pins", "refresh", "--lockfile", str(tmp_path / "l.json"), "--variant", "aws-k8s-1.33"]
    assert main([*argv, "--arch", "x86_64", "--release", release, "--region", "us-west-2"]) == 2
    assert f"--release: got {release!r}; allowed: latest | X.Y.Z | X.Y.Z-<8 hex commit>" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["show", "verify"])
def test_pins_region_filters_are_validated(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "l.json"
    lock.write_text('{"regions": {}, "version": 1}\n')
    assert main(["pins", command, "--lockfile", str(lock), "--region", "us-west", "--region", "EU"]) == 2
    err = capsys.readouterr().err
    assert "--region: got 'us-west'" in err
    assert "--region: got 'EU'" in err


def test_handler_system_exit_never_escapes_main(monkeypatch: pytest.MonkeyPatch) -> None:
    import constructs_br.cli.pins as pins

    def bail(_: object) -> int:
        raise SystemExit("some message")

    monkeypatch.setattr(pins, "cmd_show", bail)
    assert main(["pins", "show", "--lockfile", "x.json"]) == 2


def test_unexpected_error_is_one_line_and_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import constructs_br.cli.pins as pins

    def boom(_: object) -> int:
        raise RuntimeError("kaboom\nsecond line")

    monkeypatch.setattr(pins, "cmd_show", boom)
    assert main(["pins", "show", "--lockfile", "x.json"]) == 1
    err = capsys.readouterr().err
    assert err == "brctl: error: RuntimeError: kaboom second line (run with --debug for the traceback)\n"
    assert main(["pins", "show", "--lockfile", "x.json", "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


# --- docs/errors.md stays true ----------------------------------------------------------------------------------------
DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _named_validators() -> list[str]:
    """Every ``module.function`` (or ``module.Class.method``) in the Validator column of docs/errors.md."""
    import re

    names: list[str] = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split(" | ")]
        if line.startswith("|") and len(cells) >= 4 and "constructs_br." in cells[1]:
            names += re.findall(r"`(constructs_br\.[A-Za-z0-9_.]+)`", cells[1])
    return names


def test_every_validator_in_docs_errors_exists() -> None:
    """Importable (pure modules) or defined at module level (modules that load aws_cdk are read, not imported, so the
    test does not start jsii)."""
    import ast
    import importlib
    import importlib.util

    names = _named_validators()
    assert len(names) >= 15, names
    missing = []
    for name in names:
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            try:
                spec = importlib.util.find_spec(module)
            except ModuleNotFoundError:  # a name inside a module, not a submodule
                continue
            if spec is not None and spec.origin:
                break
        else:
            missing.append(name)
            continue
        attrs = parts[cut:]
        source = Path(spec.origin).read_text(encoding="utf-8")
        if "aws_cdk" in source:
            tree = ast.parse(source)
            top = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            node = top.get(attrs[0])
            if node is None or (len(attrs) > 1 and attrs[1] not in {getattr(n, "name", "") for n in node.body}):
                missing.append(name)
            continue
        obj: object = importlib.import_module(module)
        for attr in attrs:
            obj = getattr(obj, attr, None)
        if not callable(obj):
            missing.append(name)
    assert missing == []
