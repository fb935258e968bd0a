"""Validate a settings document against one Bottlerocket variant, driven by the schema data in ``_schema``.

Bottlerocket deserialises user data into the variant's settings model with ``deny_unknown_fields``: one unknown
key, wrong type or bad value anywhere rejects the whole document at boot. This module reports every such problem
of a document at once, each with its dotted path (map keys containing ``.`` or ``/`` are quoted as in TOML:
``settings.kubernetes.node-labels."node.kubernetes.io/role"``; array items are ``[i]``).

Strings containing ``${Token[`` are unresolved CDK tokens: type-checked as strings, pattern checks skipped.

>>> [p.field for p in validate({"settings": {"kubernetes": {"max-pods": "110"}}}, variant="aws-k8s-1.33")]
['settings.kubernetes.max-pods']
>>> validate({"settings": {"kubernetes": {"max-pods": 110}}}, variant="aws-ecs-2")[0].field
'settings.kubernetes'
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from constructs_br.errors import ConfigError, Problem, Problems
from constructs_br.settings._schema import NEWER_TOP_LEVEL_KEYS, PATTERNS, SCHEMA, TOP_LEVEL_KEYS
from constructs_br.settings.codec import as_document, parse_document
from constructs_br.settings.labels import label_key_problems
from constructs_br.settings.model import Settings
from constructs_br.settings.variants import Variant, matches, parse_variant

_LABEL_KEYED = {"settings.kubernetes.node-labels": "label key", "settings.kubernetes.node-taints": "taint key"}
"""Maps whose keys are Kubernetes label keys (checked with the one label grammar)."""

TOKEN_MARKER = "${Token["
REJECTED = "Bottlerocket rejects the whole user data"

_ALIASES: dict[str, str] = {spec["alias"]: path for path, spec in SCHEMA.items() if isinstance(spec.get("alias"), str)}
"""alias path -> canonical path (``settings.container-registry.creds`` -> ``…credentials``)."""

_OPEN_STRUCTS = frozenset(
    {
        # Plain serde structs in Bottlerocket: unknown keys are ignored, not rejected.
        "settings.kubernetes.credential-providers.*",
        "settings.kubernetes.memory-manager-reserved-memory.*",
    }
)
_OPAQUE_TOP_LEVEL = frozenset(NEWER_TOP_LEVEL_KEYS) - {"container-runtime-plugins"}
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def is_token(value: object) -> bool:
    """Whether ``value`` is (or contains) an unresolved CDK token string."""
    return isinstance(value, str) and TOKEN_MARKER in value


def format_path(parts: Iterable[str | int]) -> str:
    """Dotted path; keys that are not bare TOML keys are quoted, list indexes are ``[i]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if _BARE_KEY.match(part) else '"' + part.replace('"', '\\"') + '"'
            out = f"{out}.{text}" if out else text
    return out


@cache
def _children(schema_path: str) -> frozenset[str]:
    prefix = schema_path + "."
    names: set[str] = set()
    for key in SCHEMA:
        if key.startswith(prefix):
            names.add(key[len(prefix) :].split(".", 1)[0])
    return frozenset(names)


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class _Short:
    """Compact repr of a table for problem messages."""

    def __init__(self, value: Mapping[str, Any]) -> None:
        self.keys = sorted(value)

    def __repr__(self) -> str:
        return "{" + ", ".join(self.keys) + "}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Short) and other.keys == self.keys

    def __hash__(self) -> int:
        return hash(tuple(self.keys))


def _short(value: Any) -> Any:
    return _Short(value) if isinstance(value, Mapping) else value


# ---------------------------------------------------------------------------------------------------------------------
# scalar types

_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.~%-]*)(:[0-9]{1,5})?$")
_URL_FORBIDDEN = re.compile(r"[\s<>\"{}|\\^`]")


def is_url(value: str) -> bool:
    """Bottlerocket's ``Url``: a URL, or one after prefixing ``http://`` (so ``host:port`` and ``host/path`` pass)."""
    if not value or _URL_FORBIDDEN.search(value):
        return False
    candidate = value if _URL_SCHEME.match(value) and "://" in value else "http://" + value
    rest = candidate.split("://", 1)[1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    return bool(_HOST_PORT.match(authority)) and authority not in ("", ":")


def is_base64(value: str) -> bool:
    """RFC 4648 standard alphabet with padding (Bottlerocket's ``ValidBase64``)."""
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _type_ok(kind: str, value: Any) -> bool:
    if kind in ("string", "url", "base64", "ip"):
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind in ("object",):
        return isinstance(value, dict)
    if kind == "tuple":
        return isinstance(value, list)
    return True


_TYPE_WORDS = {
    "string": "a string",
    "url": "a URL string (host[:port] allowed)",
    "base64": "a base64 string (RFC 4648 standard alphabet)",
    "ip": "an IP address string",
    "boolean": "true or false (a TOML boolean)",
    "integer": "a TOML integer",
    "array": "an array",
    "object": "a table",
    "tuple": "an array [ip, [hostnames]]",
}


def _describe(spec: Mapping[str, Any]) -> str:
    kinds = str(spec.get("type", "")).split("|")
    words = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
    if "min" in spec and "max" in spec and "integer" in kinds:
        words += f" {spec['min']}..{spec['max']}"
    return words


# ---------------------------------------------------------------------------------------------------------------------
# the walker


class _Walker:
    def __init__(self, variant: Variant) -> None:
        self.variant = variant
        self.problems = Problems()

    def add(self, parts: list[str | int], value: Any, allowed: str, hint: str = "") -> None:
        self.problems.add(format_path(parts), _short(value), allowed, hint)

    # -- entry -----------------------------------------------------------------------------------------------------
    def document(self, doc: Mapping[str, Any]) -> None:
        for key in doc:
            if key != "settings":
                self.add(
                    [key],
                    doc[key],
                    "only a [settings] table at the top level",
                    "Bottlerocket silently drops other top-level tables; did you mean [settings." + key + "]?",
                )
        settings = doc.get("settings")
        if settings is None:
            if doc:
                self.add(
                    ["settings"], "<missing>", "a [settings] table", "Bottlerocket fails with UserDataMissingSettings"
                )
            return
        if not isinstance(settings, dict):
            self.add(["settings"], settings, "a [settings] table", REJECTED)
            return
        self.top_level(settings)

    def top_level(self, settings: Mapping[str, Any]) -> None:
        v = self.variant
        allowed = set(TOP_LEVEL_KEYS["aws-k8s-*"] if v.family == "k8s" else TOP_LEVEL_KEYS["aws-ecs-2*"])
        if v.family == "k8s":
            allowed.add("container-runtime-plugins")
            if v.nvidia:
                allowed.update(TOP_LEVEL_KEYS["aws-k8s-*-nvidia"])
        known_anywhere = {k for keys in TOP_LEVEL_KEYS.values() for k in keys} | set(NEWER_TOP_LEVEL_KEYS)
        for key, value in settings.items():
            parts: list[str | int] = ["settings", key]
            if key in _OPAQUE_TOP_LEVEL:
                if not isinstance(value, dict):
                    self.add(parts, value, "a table")
                continue  # 2025-26 additions: shape and variant membership not verified; passed through
            if key not in known_anywhere:
                self.add(
                    parts,
                    value,
                    f"a settings namespace for {v.name}: {', '.join(sorted(allowed))}",
                    f"unknown key; {REJECTED}",
                )
                continue
            if key not in allowed:
                self.add(parts, value, f"absent on {v.name}", self._not_here_hint(key))
                continue
            self.node(value, parts, f"settings.{key}")

    def _not_here_hint(self, key: str) -> str:
        where = {
            "kubernetes": "aws-k8s-* variants only",
            "container-runtime": "aws-k8s-* variants only",
            "container-runtime-plugins": "aws-k8s-* variants only",
            "ecs": "aws-ecs-* variants only",
            "kubelet-device-plugins": "aws-k8s-*-nvidia variants only",
            "nvidia-container-runtime": "aws-k8s-*-nvidia variants only",
            "boot": "aws-k8s-* and aws-ecs-2+ variants only",
        }.get(key, "other variants")
        return f"exists on {where}; {REJECTED} (unknown field for this variant)"

    # -- generic node ----------------------------------------------------------------------------------------------
    def node(self, value: Any, parts: list[str | int], spath: str) -> None:
        spec = SCHEMA.get(spath)
        if spec is not None:
            globs = spec.get("variant_globs")
            if globs and not matches(self.variant, globs):
                self.add(parts, value, f"absent on {self.variant.name} (only on {', '.join(globs)})", REJECTED)
                return
        children = _children(spath)
        is_container = bool(children) or (spec is not None and spec.get("type") == "object")
        if spec is None and not children:
            self.add(parts, value, "a known key", f"unknown key; {REJECTED}")
            return
        if spec is not None and not is_container:
            self.value(value, parts, spec, spath)
            return
        if spec is not None and "|" in str(spec.get("type", "")):
            # e.g. mirrors: array of tables or legacy table form
            self.value(value, parts, spec, spath)
            return
        if not isinstance(value, dict):
            self.add(parts, value, "a table", REJECTED)
            return
        if "*" in children:
            self.mapping(value, parts, spath, spec or {})
        elif children:
            self.struct(value, parts, spath, spec or {}, children)
        else:  # object without sub-schema (e.g. kernel.hugepages): shape not captured, pass through
            items = (spec or {}).get("items")
            if items:
                for k, v in value.items():
                    self.value(v, [*parts, k], items, None)

    def struct(
        self,
        value: Mapping[str, Any],
        parts: list[str | int],
        spath: str,
        spec: Mapping[str, Any],
        children: frozenset[str],
    ) -> None:
        known = set(children) | set(spec.get("key_enum", ()))
        for key, sub in value.items():
            child = f"{spath}.{key}"
            canonical = _ALIASES.get(child)
            if canonical is not None:
                canon_key = canonical.rsplit(".", 1)[1]
                if canon_key in value:
                    self.add([*parts, key], sub, f"only one of {key!r} and {canon_key!r}", "alias of the same setting")
                    continue
                child, key_for_schema = canonical, canon_key
            else:
                key_for_schema = key
            if key_for_schema in known:
                self.node(sub, [*parts, key], child)
            elif spath in _OPEN_STRUCTS:
                continue
            else:
                hint = f"unknown key; {REJECTED}"
                if isinstance(sub, dict) and any(f"{key}.{k}" in known for k in sub):
                    hint = f'a bare dotted key makes nested tables; quote it ("{key}.…"); {REJECTED}'
                names = sorted(known)
                allowed = "one of: " + ", ".join(names) if len(names) <= 12 else f"a key known to {format_path(parts)}"
                self.add([*parts, key], sub, allowed, hint)
        for required in spec.get("required_fields", ()):
            if required not in value:
                self.add([*parts, required], "<missing>", "present (required when the table is given)", REJECTED)

    def mapping(self, value: Mapping[str, Any], parts: list[str | int], spath: str, spec: Mapping[str, Any]) -> None:
        key_enum = spec.get("key_enum")
        key_pattern = spec.get("key_pattern")
        item_path = f"{spath}.*"
        item_spec = SCHEMA.get(item_path) or {}
        key_pattern = key_pattern or item_spec.get("key_pattern")  # e.g. mig.profile.* carries its key rule
        item_is_scalar = item_spec and not _children(item_path) and item_spec.get("type") != "object"
        for key, sub in value.items():
            kp = [*parts, key]
            if key_enum is not None and key not in key_enum:
                hint = f"unknown key; {REJECTED}"
                if isinstance(sub, dict) and any(f"{key}.{k}" in key_enum for k in sub):
                    hint = f'a bare dotted key makes nested tables; quote it: "{key}.{next(iter(sub))}"'
                self.add(kp, _short(sub), "one of: " + ", ".join(key_enum), hint)
                continue
            if key_pattern is not None and not _rx(key_pattern).match(key):
                self.add(kp, key, f"a key matching {key_pattern}", f"invalid key; {REJECTED}")
                continue
            if spath in _LABEL_KEYED:
                # Kubernetes' own grammar (the one EKS node-group labels use): Bottlerocket's pattern is looser.
                found = label_key_problems(key, format_path(kp), what=_LABEL_KEYED[spath], reserved=False)
                if found:
                    self.problems.extend(found)
                    continue
            if item_is_scalar:
                self.value(sub, kp, item_spec, item_path)
            else:
                self.node(sub, kp, item_path)

    # -- values ----------------------------------------------------------------------------------------------------
    def value(self, value: Any, parts: list[str | int], spec: Mapping[str, Any], spath: str | None) -> None:
        kinds = str(spec.get("type", "string")).split("|")
        matched = next((k for k in kinds if _type_ok(k, value)), None)
        if matched is None:
            # numeric strings are accepted by IntegerPercent; "unlimited" by rlimits (handled as string kinds)
            self.add(parts, value, _describe(spec), REJECTED)
            return
        if matched == "array":
            self.array(value, parts, spec, spath)
            return
        if matched == "object":
            if spath is not None and _children(f"{spath}[]"):
                self.legacy_mirrors(value, parts)
            return
        if matched == "tuple":
            self.host_entry(value, parts)
            return
        self.scalar(value, parts, spec, matched, spath)

    def scalar(self, value: Any, parts: list[str | int], spec: Mapping[str, Any], kind: str, spath: str | None) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            lo, hi = spec.get("min"), spec.get("max")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                self.add(parts, value, _describe(spec), REJECTED)
            return
        if not isinstance(value, str) or is_token(value):
            return
        if "integer" in str(spec.get("type")):  # integer|string
            enum_strings = spec.get("enum_strings")
            if enum_strings is not None:
                if value not in enum_strings:
                    self.add(parts, value, f"an integer or one of {list(enum_strings)}", REJECTED)
                return
            if "min" in spec:
                if not re.fullmatch(r"[0-9]+", value) or not spec["min"] <= int(value) <= spec["max"]:
                    self.add(parts, value, f"an integer (or numeric string) {spec['min']}..{spec['max']}", REJECTED)
                return
        if kind == "url" and not is_url(value):
            self.add(parts, value, _describe({"type": "url"}), REJECTED)
        elif kind == "base64":
            if not is_base64(value):
                self.add(parts, value, _describe({"type": "base64"}), REJECTED)
            elif (
                spath == "settings.pki.*.data"
                and value
                and b"-----BEGIN CERTIFICATE-----" not in base64.b64decode(value)
            ):
                self.add(parts, value, "base64 of a PEM bundle with at least one certificate", REJECTED)
        elif kind == "ip" and not is_ip(value):
            self.add(parts, value, _describe({"type": "ip"}), REJECTED)
        enum = spec.get("enum")
        if enum is not None and value not in enum:
            self.add(parts, value, "one of: " + ", ".join(repr(e) for e in enum), REJECTED)
            return
        pattern = spec.get("pattern")
        if pattern is not None and not _rx(pattern).match(value):
            self.add(parts, value, self._pattern_words(spath, pattern), self._pattern_hint(spath, value))
            return
        self.semantic(value, parts, spath)

    def _pattern_words(self, spath: str | None, pattern: str) -> str:
        named = {v: k for k, v in PATTERNS.items()}.get(pattern)
        words = {
            "label_value": "a Kubernetes label value (empty, or <=63 of [A-Za-z0-9._-], alphanumeric at both ends)",
            "taint_value": "'[value]:Effect', e.g. 'true:NoSchedule' or ':NoExecute' (the taint key is the TOML key)",
            "cluster_name": "an EKS cluster name ^[0-9A-Za-z][A-Za-z0-9-_]{0,99}$",
            "k8s_quantity": "a Kubernetes quantity, e.g. 100m, 512Mi, 1Gi",
            "k8s_threshold": "a quantity (e.g. 500Mi) or a percentage 0<=x<100 (e.g. 10%)",
            "k8s_duration": "a duration in h/m/s/ms order, e.g. 30s, 1m30s, 90ms",
            "ecs_duration": "a duration with a unit, e.g. 30s, 1h, 500ms",
            "linux_hostname": "a Linux hostname (lowercase [0-9a-z.-], <=253, segments <=63)",
            "single_line": "a single-line string",
            "friendly_version": "'latest' or a version like v1.20.0",
            "bootstrap_token": "a bootstrap token ^[a-z0-9]{6}\\.[a-z0-9]{16}$",
        }.get(named or "")
        return words or f"a string matching {pattern}"

    def _pattern_hint(self, spath: str | None, value: str) -> str:
        if spath and spath.startswith("settings.kubernetes.node-taints") and "=" in value:
            return f'kubectl\'s key=value:Effect form is not accepted; write key = "value:Effect"; {REJECTED}'
        return REJECTED

    def semantic(self, value: str, parts: list[str | int], spath: str | None) -> None:
        if spath is None:
            return
        if spath == "settings.kubernetes.cluster-domain":
            if value.startswith(".") or is_ip(value) or not _rx(PATTERNS["linux_hostname"]).match(value.lower()):
                self.add(parts, value, "a DNS domain, not starting with '.', not an IP address", REJECTED)
        elif spath.startswith("settings.kubernetes.node-taints"):
            effect = value.rsplit(":", 1)[-1]
            if effect not in _TAINT_EFFECTS:
                self.add(
                    parts,
                    value,
                    "a taint effect of " + ", ".join(_TAINT_EFFECTS),
                    "Bottlerocket accepts it but kubelet refuses to register the node with an unknown effect",
                )
        elif spath.startswith("settings.kubernetes.eviction-") and value.endswith("%") and float(value[:-1]) >= 100:
            self.add(parts, value, "a percentage 0 <= x < 100", REJECTED)

    def array(self, value: list[Any], parts: list[str | int], spec: Mapping[str, Any], spath: str | None) -> None:
        min_items = spec.get("min_items")
        if min_items is not None and len(value) < min_items:
            self.add(parts, value, f"at least {min_items} item(s)", REJECTED)
        items = spec.get("items")
        if spath is not None and _children(f"{spath}[]"):
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    self.add([*parts, i], item, "a table", REJECTED)
                else:
                    self.struct(item, [*parts, i], f"{spath}[]", spec.get("items", {}), _children(f"{spath}[]"))
            return
        if spath == "settings.bootstrap-commands.*.commands":
            for i, cmd in enumerate(value):
                if not isinstance(cmd, list) or not all(isinstance(c, str) for c in cmd):
                    self.add([*parts, i], cmd, "an array of strings (one argv)", REJECTED)
                elif not cmd or cmd[0] != "apiclient":
                    self.add([*parts, i], cmd, 'an argv starting with "apiclient"', REJECTED)
            return
        if items:
            for i, item in enumerate(value):
                self.value(item, [*parts, i], items, spath)

    def host_entry(self, value: list[Any], parts: list[str | int]) -> None:
        ok = (
            len(value) == 2
            and isinstance(value[0], str)
            and isinstance(value[1], list)
            and all(isinstance(h, str) for h in value[1])
        )
        if not ok:
            self.add(parts, value, _TYPE_WORDS["tuple"], REJECTED)
            return
        if not is_token(value[0]) and not is_ip(value[0]):
            self.add([*parts, 0], value[0], _TYPE_WORDS["ip"], REJECTED)
        for j, host in enumerate(value[1]):
            if not is_token(host) and not _rx(PATTERNS["linux_hostname"]).match(host):
                self.add([*parts, 1, j], host, self._pattern_words(None, PATTERNS["linux_hostname"]), REJECTED)

    def legacy_mirrors(self, value: Mapping[str, Any], parts: list[str | int]) -> None:
        for registry, endpoints in value.items():
            kp = [*parts, registry]
            if not isinstance(endpoints, list) or not all(isinstance(e, str) for e in endpoints):
                self.add(kp, endpoints, "an array of endpoint URLs (legacy mirrors form)", REJECTED)
                continue
            for i, e in enumerate(endpoints):
                if not is_token(e) and not is_url(e):
                    self.add([*kp, i], e, _describe({"type": "url"}), REJECTED)


def _semantic_document(settings: Mapping[str, Any], w: _Walker) -> None:
    """Cross-field rules the per-key schema cannot express."""
    cfn = settings.get("cloudformation")
    if isinstance(cfn, dict) and cfn.get("should-signal") is True:
        for key in ("stack-name", "logical-resource-id"):
            if key not in cfn:
                w.add(
                    ["settings", "cloudformation", key],
                    "<missing>",
                    "set when should-signal = true",
                    "cfn-signal needs the stack name and logical resource id",
                )


def validate(doc: Settings | Mapping[str, Any], *, variant: str) -> list[Problem]:
    """Every problem of ``doc`` for ``variant`` (empty list = Bottlerocket will accept it).

    ``doc`` is :class:`Settings`, a whole document ``{"settings": {...}}`` or the bare settings table.
    Raises :class:`ConfigError` only for an unknown variant name.
    """
    return validate_document(as_document(doc), variant=variant)


def validate_document(document: Mapping[str, Any], *, variant: str) -> list[Problem]:
    """Like :func:`validate` but ``document`` is taken as written: it must have a top-level ``settings`` table and
    other top-level tables are reported (Bottlerocket silently drops them)."""
    w = _Walker(parse_variant(variant))
    w.document(document)
    settings = document.get("settings")
    if isinstance(settings, dict):
        _semantic_document(settings, w)
    return list(w.problems.items)


def validate_user_data(user_data: str | bytes, *, variant: str, source: str = "user-data") -> list[Problem]:
    """Validate EC2 user data (plain, gzip or base64) as Bottlerocket would read it.

    Undecodable data (see :func:`~constructs_br.settings.decode_user_data`), invalid TOML and empty user data are
    problems whose field is ``source`` (the file name a user passed); settings problems carry their TOML path.
    Raises :class:`ConfigError` only for an unknown variant name.

    >>> [str(p) for p in validate_user_data(b"   ", variant="aws-ecs-2", source="node.toml")]  # doctest: +ELLIPSIS
    ["node.toml: got '   '; allowed: a [settings] table ... (empty user data: ...)"]
    """
    parse_variant(variant)
    try:
        document = parse_document(user_data, source)
    except ConfigError as exc:
        return list(exc.problems)
    if not document:
        shown = user_data if isinstance(user_data, str) else user_data.decode("utf-8", "replace")
        return [
            Problem(
                source,
                shown[:60],
                "a [settings] table with the node's settings (TOML, gzip, or base64 of either)",
                "empty user data: Bottlerocket boots with its defaults and joins no cluster you configured",
            )
        ]
    return validate_document(document, variant=variant)


def check(doc: Settings | Mapping[str, Any], *, variant: str) -> None:
    """Raise :class:`ConfigError` with all problems of ``doc`` for ``variant``, if any."""
    problems = Problems()
    problems.extend(validate(doc, variant=variant))
    problems.raise_if_any()
