"""Shared fixtures: the app built exactly as ``cdk synth`` builds it (cdk.json's context), synthesized once."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

if TYPE_CHECKING:
    from aws_cdk import cx_api

ROOT = Path(__file__).resolve().parent.parent
"""The repository (``stacks.app.ROOT``). Nothing of the CDK is imported at this module's top: the xdist controller
loads this file too and runs no test, so it never starts a jsii kernel; the workers import it with their tests."""


def cdk_json_context() -> dict[str, Any]:
    """``stacks.app.cdk_json_context``: cdk.json's context, as ``cdk synth`` reads it."""
    from stacks.app import cdk_json_context as context

    return context()


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_loader() -> Iterator[None]:
    """Every botocore session in this worker shares one data loader, so service models are parsed once per worker.

    Each boto3 session re-reads and JSON-parses the service model files (``ec2`` alone is several MB), and the tests
    make many: ``brctl`` keeps one per region, profile and ``AWS_*`` environment, which tests vary, and the tests'
    own clients add theirs. The models are read-only data and botocore already shares one loader among all clients
    of a session; this only extends that to all sessions of the test process. Requests, credentials, regions and
    endpoints are unchanged."""
    import botocore.loaders
    import botocore.session

    loaders: dict[str | None, botocore.loaders.Loader] = {}
    original = botocore.loaders.create_loader

    def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = original(search_path_string)
        return loaders[search_path_string]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(botocore.session, "create_loader", create_loader)
        yield


SLOW_FIRST = ("deploy", "cli_e2e", "scans")
"""Markers of the tests collected first, in this order: those that run the real CDK CLI (each one a subprocess of
several seconds), then those that read the cfn-lint and checkov scans (the first of them builds the scans: the
pipeline apps' synths, then both scanners, about 15 s). With ``-n 2 --dist worksteal`` one worker starts on them at
once while the other works through the fast tests, instead of a long test starting last and running alone, or both
workers reaching the scans at the same moment and one waiting for the other."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def group(item: pytest.Item) -> int:
        return next((i for i, m in enumerate(SLOW_FIRST) if item.get_closest_marker(m)), len(SLOW_FIRST))

    items.sort(key=group)  # stable: the order within a group is kept


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    return cdk_json_context()


@pytest.fixture(scope="session", autouse=True)
def _synth_cache_root(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Where :func:`synthesized` keeps its assemblies: one directory for the whole run, shared by the xdist workers
    (their base temps are ``<run>/popen-gwN``), fresh every run (pytest makes a new ``<run>`` each time)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    _SYNTH_CACHE["root"] = root / "synth-cache"


_SYNTH_CACHE: dict[str, Path] = {}
_BUILT: dict[str, Path] = {}  # this process's memo of once_per_run: key -> directory


def _context_key(context_overrides: Mapping[str, Any]) -> str:
    """A digest of the overrides; a value naming a file (``br:lockfile``) counts with the file's content."""
    digest = hashlib.sha256(json.dumps(dict(context_overrides), sort_keys=True, default=repr).encode())
    for value in context_overrides.values():
        if isinstance(value, str) and os.path.isfile(value):
            digest.update(Path(value).read_bytes())
    # Eight lowercase letters, not hex: checkov reads the absolute template path (``__file__``) as a Lambda
    # environment variable and its secrets check flags a high-entropy hex string in it (CKV_AWS_45).
    number = int.from_bytes(digest.digest()[:8], "big")
    return "".join(chr(ord("a") + (number // 26**i) % 26) for i in range(8))


def once_per_run(key: str, build: Callable[[Path], None]) -> Path:
    """``<cache>/<key>``, built by ``build(directory)`` once per test run whichever xdist worker asks first (under a
    file lock; the others wait and reuse it). A build that raises leaves nothing behind and is retried by the next
    caller, so every caller sees the same error. Shared: read the directory, do not write to it."""
    if key in _BUILT:
        return _BUILT[key]
    root = _SYNTH_CACHE.get("root") or Path(tempfile.mkdtemp(prefix="synth-cache-"))
    _SYNTH_CACHE.setdefault("root", root)
    root.mkdir(parents=True, exist_ok=True)
    outdir, done = root / key, root / f"{key}.done"
    with (root / f"{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(outdir, ignore_errors=True)  # a build that raised part-way
            build(outdir)
            done.touch()
    _BUILT[key] = outdir
    return outdir


def _build_app(context: Mapping[str, Any], outdir: str) -> Any:
    from stacks.app import build_app

    return build_app(dict(context), outdir=outdir)


def synthesized(context_overrides: Mapping[str, Any] | None = None) -> Path:
    """The app synthesized with cdk.json's context plus ``context_overrides``, once per test run for each distinct
    set of overrides: the cloud assembly directory (shared — read it, do not write to it).

    With overrides, synthesized in this process (``build_app`` with cdk.json's context; nag plugins run, as in ``cdk
    synth``) through :func:`once_per_run`. Without, it is :func:`cli_synthesized`: what the real CDK CLI wrote for
    ``make synth``, so the default app's tests read exactly what users deploy and the app is not synthesized twice;
    tests/stacks/test_cli_equivalence.py checks the in-process build against it."""
    overrides = dict(context_overrides or {})
    if not overrides:
        return cli_synthesized()
    return once_per_run(
        _context_key(overrides),
        lambda outdir: _build_app({**cdk_json_context(), **overrides}, outdir=str(outdir)).synth(),
    )


def cdk_cli(
    args: Sequence[str], cwd: Path = ROOT, timeout: int = 300, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real CDK CLI from node_modules (``node_modules/.bin/cdk ...``), offline: by default with no AWS
    credentials, profile or endpoint in its environment; ``env`` replaces that environment (e.g. a moto endpoint)."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(CDK_DISABLE_VERSION_CHECK="1", AWS_EC2_METADATA_DISABLED="true", CDK_DISABLE_CLI_TELEMETRY="true")
    return subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdk"), *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def cli_synthesized() -> Path:
    """``npx cdk synth`` of this repository's app exactly as ``make synth`` runs it (cdk.json, no ``-c``), once per
    test run: the cloud assembly the real CDK CLI wrote. Shared — read it, do not write to it."""

    def build(outdir: Path) -> None:
        result = cdk_cli(["synth", "--quiet", "--output", str(outdir)])
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    return once_per_run("cdkcli", build)


def copy_assembly(source: Path, outdir: Path) -> Path:
    """A private copy of a cloud assembly at ``outdir``: JSON files (templates, manifests) copied, so a caller may
    rewrite them; everything else (asset zips and directories: large, never written) hard-linked."""

    def copy(src: str, dst: str) -> None:
        if src.endswith(".json"):
            shutil.copy2(src, dst)
        else:
            os.link(src, dst)

    outdir.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        target = outdir / entry.name
        if target.is_dir() and not target.is_symlink():  # an earlier synth into the same directory: replaced
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
        if entry.is_dir():
            shutil.copytree(entry, target, copy_function=copy)
        else:
            copy(str(entry), str(target))
    return outdir


def load_assembly(directory: Path) -> cx_api.CloudAssembly:
    """A synthesized cloud assembly read back from ``directory`` (the same API ``app.synth()`` returns)."""
    from aws_cdk import cx_api

    return cx_api.CloudAssembly(str(directory))


@pytest.fixture(scope="session")
def assembly() -> cx_api.CloudAssembly:
    """The default app, synthesized once per run (nag plugins run: synth fails on any finding)."""
    return load_assembly(synthesized({}))


def read_templates(directory: Path) -> dict[str, dict[str, Any]]:
    """Stack name → template of the top-level stacks of the cloud assembly in ``directory`` (the stacks
    ``CloudAssembly(directory).stacks`` lists, in the manifest's order rather than its dependency order), read as JSON
    rather than marshalled through jsii (about ten times faster for the whole app)."""
    manifest = json.loads((directory / "manifest.json").read_text())
    out: dict[str, dict[str, Any]] = {}
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] == "aws:cloudformation:stack":
            props = artifact["properties"]
            out[props.get("stackName", artifact_id)] = json.loads((directory / props["templateFile"]).read_text())
    return out


@pytest.fixture(scope="session")
def templates(assembly: Any) -> Mapping[str, dict[str, Any]]:
    """Stack name → template dict."""
    return read_templates(Path(assembly.directory))


def synth_with(context_overrides: Mapping[str, Any], tmp_path: Path) -> Mapping[str, dict[str, Any]]:
    """Synthesize the app with cdk.json's context plus overrides (what ``-c key=value`` does) into ``tmp_path``:
    a copy of :func:`synthesized`, so callers with the same overrides share one synth."""
    return read_templates(copy_assembly(synthesized(context_overrides), tmp_path))
