"""Property tests for issue 12: random and mutated input through every pure entry point ends in a result or a
:class:`ConfigError` (``brctl``: exit 0/1/2 and never the catch-all "unexpected error" line), never another
exception; valid documents and lockfiles round-trip byte-identically. No CDK synth here: specs and builders only.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from constructs_br.bluegreen import PairSpec, apply_pair_context
from constructs_br.cli.main import main
from constructs_br.ecs.spec import EcsCapacitySpec
from constructs_br.eks.spec import NodeGroupSpec
from constructs_br.errors import ConfigError
from constructs_br.images.catalogue import ALL_VARIANTS
from constructs_br.images.lockfile import Lockfile, Pin
from constructs_br.images.resolve import ImageSpec
from constructs_br.settings import (
    custom_ami_user_data,
    ecs_user_data,
    eks_managed_user_data,
    parse,
    render,
    secure_defaults,
    validate,
    validate_user_data,
)
from constructs_br.settings._schema import SCHEMA

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNEXPECTED = "run with --debug for the traceback"
"""main's catch-all line: seeing it means an exception other than ConfigError reached main."""

# --- building blocks ------------------------------------------------------------------------------------------------
VARIANT_NAMES = [v.name for v in ALL_VARIANTS]
variants = st.one_of(
    st.sampled_from(VARIANT_NAMES),
    st.sampled_from(["aws-ecs-1", "aws-k8s-1.28", "aws-k8s-1.99-nvidia", "aws-k8s-", "AWS-K8S-1.33", ""]),
    st.text(max_size=16),
)
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["${Token[TOKEN.1]}", "10%", "100%", "1Gi", "true:NoSchedule", "a=b:NoSchedule", "1.2.3.4"]),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
json_values = st.recursive(
    st.none() | scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
SCHEMA_PATHS = sorted(SCHEMA)
map_keys = st.one_of(
    st.sampled_from(["a", "x.y", "node.kubernetes.io/role", "net.ipv4.ip_forward"]), st.text(max_size=8)
)


@st.composite
def documents(draw: st.DrawFn, values: st.SearchStrategy[Any] = toml_values) -> dict[str, Any]:
    """A settings document built along real schema paths (``*`` -> a map key, ``[]`` -> a list item), with random
    values, plus the odd unknown key: the validator is exercised deep, not only at the top level."""
    doc: dict[str, Any] = {}
    for path in draw(st.lists(st.sampled_from(SCHEMA_PATHS), max_size=6)):
        node: Any = doc
        parts = [draw(map_keys) if part == "*" else part for part in path.replace("[]", "").split(".")]
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = draw(values)
    if draw(st.booleans()):
        doc.setdefault("settings", {})[draw(st.text(max_size=8))] = draw(values)
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.text(max_size=8))] = draw(values)
    return doc


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few byte-level edits: flip, truncate, insert, delete."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, len(out)))
        if op == "flip" and at < len(out):
            out[at] ^= draw(st.integers(1, 255))
        elif op == "truncate":
            del out[at:]
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif at < len(out):
            del out[at]
    return bytes(out)


ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda b: b,
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "base64": base64.b64encode,
    "base64+gzip": lambda b: base64.b64encode(gzip.compress(b, mtime=0)),
}


def brctl(argv: list[str], files: dict[str, bytes]) -> tuple[int, str, str]:
    """Run ``brctl`` in-process with ``files`` written to a fresh directory; ``{dir}`` in argv is replaced by it."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([a.replace("{dir}", tmp) for a in argv])
    return code, out.getvalue(), err.getvalue()


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn``'s result, or the :class:`ConfigError` it raised (any other exception fails the test)."""
    try:
        return fn(*args, **kwargs)
    except ConfigError as exc:
        return exc


def assert_contained(code: int, err: str) -> None:
    assert code in (0, 1, 2), code
    assert UNEXPECTED not in err, err
    assert "Traceback" not in err, err


# --- user data through brctl ----------------------------------------------------------------------------------------
user_data_bytes = st.one_of(
    st.binary(max_size=200),
    st.builds(
        lambda doc, enc: ENCODINGS[enc](tomli_w.dumps(doc).encode()), documents(), st.sampled_from(sorted(ENCODINGS))
    ),
    documents().flatmap(
        lambda doc: st.sampled_from(list(ENCODINGS.values())).flatmap(
            lambda enc: mutated_bytes(enc(tomli_w.dumps(doc).encode()))
        )
    ),
    st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
    # a valid gzip header, then anything: corrupt deflate data (zlib.error), truncation, bad trailers
    st.binary(max_size=60).map(lambda b: b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b),
    st.binary(max_size=60).map(lambda b: base64.b64encode(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b)),
)


@FAST
@given(user_data_bytes, variants)
def test_userdata_validate_never_escapes(data: bytes, variant: str) -> None:
    code, out, err = brctl(["userdata", "validate", "--variant", variant, "{dir}/ud"], {"ud": data})
    assert_contained(code, err)
    if code == 1:
        assert "problem(s)" in out
    if variant not in VARIANT_NAMES:
        assert code == 2
        # A value argparse takes for an option (``-:``) leaves the flag without one; either way the flag is named.
        assert "--variant: got" in err or "argument --variant: expected one argument" in err


@FAST
@given(user_data_bytes, st.sampled_from(VARIANT_NAMES))
def test_validate_user_data_is_problems_never_an_exception(data: bytes, variant: str) -> None:
    problems = validate_user_data(data, variant=variant, source="ud.toml")
    if not data.strip():
        assert [p.field for p in problems] == ["ud.toml"]


# --- settings builders ----------------------------------------------------------------------------------------------
layers = st.one_of(st.none(), documents(json_values), documents(json_values).map(lambda d: d.get("settings", {})))


def _builder_result(fn: Callable[..., str], **kwargs: Any) -> None:
    text = attempt(fn, **kwargs)
    if isinstance(text, ConfigError):
        assert text.problems
        return
    assert isinstance(text, str)
    assert validate_user_data(text, variant=kwargs["variant"]) == []
    assert render(parse(text)) == text  # rendered, parsed, rendered again: byte-identical


@FAST
@given(variants, layers, layers, layers)
def test_eks_managed_builder_returns_toml_or_config_error(variant: str, stage: Any, ng: Any, extras: Any) -> None:
    _builder_result(eks_managed_user_data, variant=variant, stage=stage, nodegroup=ng, extras=extras)


@FAST
@given(variants, layers, layers, st.text(max_size=20), st.one_of(st.text(max_size=10), st.lists(st.text(max_size=8))))
def test_custom_ami_builder_returns_toml_or_config_error(
    variant: str, stage: Any, ng: Any, name: str, dns: str | list[str]
) -> None:
    _builder_result(
        custom_ami_user_data,
        variant=variant,
        cluster_name=name,
        api_server="https://example.eks.amazonaws.com",
        cluster_certificate="${Token[TOKEN.9]}",
        cluster_dns_ip=dns,
        stage=stage,
        nodegroup=ng,
    )


@FAST
@given(
    variants, layers, layers, st.text(max_size=20), st.sampled_from([(None, None), ("Stack", "Capacity"), ("S", None)])
)
def test_ecs_builder_returns_toml_or_config_error(
    variant: str, stage: Any, ng: Any, cluster: str, signal: tuple[str | None, str | None]
) -> None:
    _builder_result(
        ecs_user_data,
        variant=variant,
        cluster=cluster,
        stage=stage,
        nodegroup=ng,
        stack_name=signal[0],
        logical_resource_id=signal[1],
    )


@FAST
@given(documents(), st.sampled_from(VARIANT_NAMES))
def test_valid_documents_render_parse_render_identically(doc: dict[str, Any], variant: str) -> None:
    if validate(doc, variant=variant):
        return  # invalid ones are covered above: problems, not exceptions
    text = render(doc)
    assert render(parse(text)) == text
    for encode in ENCODINGS.values():
        assert render(parse(encode(text.encode()))) == text


@FAST
@given(st.sampled_from(VARIANT_NAMES))
def test_secure_defaults_render_parse_render_identically(variant: str) -> None:
    text = render(secure_defaults(variant))
    assert render(parse(text)) == text
    assert validate_user_data(text, variant=variant) == []


# --- lockfiles ------------------------------------------------------------------------------------------------------
hex8 = st.text("0123456789abcdef", min_size=8, max_size=8)
pins = st.builds(
    lambda region, variant, arch, ami, version, commit, when: Pin(
        region=region,
        variant=variant,
        arch=arch,
        image_id="ami-" + ami,
        image_version=f"{version}-{commit}",
        ssm_path=f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_id",
        resolved_at=when,
    ),
    st.sampled_from(["us-west-2", "eu-west-1", "ap-southeast-2"]),
    st.sampled_from(VARIANT_NAMES),
    st.sampled_from(["x86_64", "arm64"]),
    st.text("0123456789abcdef", min_size=17, max_size=17),
    st.sampled_from(["1.50.0", "1.51.2"]),
    hex8,
    st.sampled_from(["2026-01-01T00:00:00Z", "2026-02-03T04:05:06+00:00"]),
)
lockfiles = st.lists(pins, max_size=4, unique_by=lambda p: p.key).map(Lockfile)


@st.composite
def mutated_tree(draw: st.DrawFn, data: Any) -> Any:
    """``data`` (JSON) with one node replaced, deleted, or given an extra key, anywhere in the tree."""
    if isinstance(data, dict) and data and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(sorted(data)))
        op = draw(st.sampled_from(["descend", "descend", "delete", "add"]))
        out = dict(data)
        if op == "descend":
            out[key] = draw(mutated_tree(data[key]))
        elif op == "delete":
            del out[key]
        else:
            out[draw(st.text(max_size=8))] = draw(json_values)
        return out
    if isinstance(data, list) and data and draw(st.booleans()):
        i = draw(st.integers(0, len(data) - 1))
        return [*data[:i], draw(mutated_tree(data[i])), *data[i + 1 :]]
    return draw(json_values)


lockfile_bytes = st.one_of(
    st.binary(max_size=120),
    lockfiles.flatmap(lambda lock: mutated_tree(lock.to_dict())).map(lambda d: json.dumps(d).encode()),
    lockfiles.flatmap(lambda lock: mutated_bytes(lock.dumps().encode())),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
)


@FAST
@given(lockfiles)
def test_lockfile_dumps_loads_dumps_identically(lock: Lockfile) -> None:
    text = lock.dumps()
    assert Lockfile.loads(text).dumps() == text
    assert Lockfile.loads(text.encode()).dumps() == text


@FAST
@given(lockfile_bytes)
def test_lockfile_loads_is_a_lockfile_or_config_error(data: bytes) -> None:
    lock = attempt(Lockfile.loads, data, source="x.lock.json")
    if isinstance(lock, ConfigError):
        assert all(p.field.startswith("x.lock.json") for p in lock.problems), lock
        return
    assert Lockfile.loads(lock.dumps()) == lock


PIN_FLAGS = ["--region", "us-west-2", "--variant", "aws-k8s-1.33", "--arch", "x86_64"]


@FAST
@given(
    lockfile_bytes, st.sampled_from([["pins", "show"], ["pins", "show", "--json"], ["pins", "rollback", *PIN_FLAGS]])
)
def test_brctl_pins_on_any_lockfile_never_escapes(data: bytes, command: list[str]) -> None:
    code, _, err = brctl([*command, "--lockfile", "{dir}/l.json"], {"l.json": data})
    assert_contained(code, err)


@FAST
@given(
    st.lists(st.text(max_size=12), max_size=3),
    st.text(max_size=12),
    st.text(max_size=12),
    st.text(max_size=16),
)
def test_brctl_pins_flags_never_escape(regions: list[str], variant: str, arch: str, release: str) -> None:
    argv = ["pins", "refresh", "--lockfile", "{dir}/l.json", "--variant", variant, "--arch", arch, "--release", release]
    for region in [*regions, "not-a-region"]:  # one bad region always: refresh never reaches AWS
        argv.append(f"--region={region}")
    code, _, err = brctl(argv, {"l.json": b'{"version": 1, "regions": {}}'})
    assert_contained(code, err)
    assert code == 2


# --- blue/green context keys ----------------------------------------------------------------------------------------
EKS = NodeGroupSpec(arch="x86_64", instance_types=("m7i.large",))
ECS = EcsCapacitySpec(image=ImageSpec(variant="aws-ecs-2", arch="x86_64"), instance_types=("m7i.large",))
PREFIX = "br:pilot:pair:"
context_rest = st.one_of(
    st.sampled_from(
        [
            "phase",
            "retire-outgoing",
            "blue:instance-types",
            "green:instance-types",
            "blue:image-version",
            "green:image-version",
            "blue:phase",
            "purple:image-version",
        ]
    ),
    st.text(max_size=12),
)
context_values = st.one_of(
    st.sampled_from(["blue", "blue+green", "green", "green+blue", "true", "false", "", "1.50.0", "1.50.0-abcdef12"]),
    st.sampled_from(["m7i.large,m7g.large", "g5.xlarge", "m7g.large", "t3.micro, ,", "c7i.large"]),
    json_values,
)
contexts = st.dictionaries(
    st.builds(lambda name, rest: f"{PREFIX}{name}:{rest}", st.sampled_from(["general", "gpu", "x"]), context_rest)
    | st.text(max_size=16),
    context_values,
    max_size=5,
)


@FAST
@given(contexts, st.sampled_from(["eks", "ecs"]), st.booleans())
@example(context={"br:pilot:pair:general:retire-outgoing": "true"}, kind="eks", retire=True)  # named the field once
def test_pair_context_gives_pair_specs_or_config_error(context: dict[str, Any], kind: str, retire: bool) -> None:
    base = EKS if kind == "eks" else ECS
    pairs = (PairSpec(name="general", base=base), PairSpec(name="gpu", base=base))
    out = attempt(apply_pair_context, pairs, context, prefix=PREFIX, allow_retire=retire)
    if isinstance(out, ConfigError):
        mine = {k for k in context if k.startswith(PREFIX)}
        assert any(p.field in mine for p in out.problems), out  # names a key the user wrote
        return
    assert isinstance(out, tuple)
    assert [p.name for p in out] == ["general", "gpu"]
    assert all(isinstance(p, PairSpec) for p in out)
