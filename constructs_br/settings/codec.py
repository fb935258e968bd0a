"""Render settings to deterministic TOML and parse user data (plain, base64, or gzip+base64) back.

Rendering goes through ``tomli_w`` with every table's keys sorted, so the same settings always give the same bytes
(a changed byte is a new launch-template version, which rolls nodes). ``tomli_w`` quotes keys that are not bare
TOML keys, so label keys like ``"node.kubernetes.io/role"`` and sysctl names stay one key instead of becoming nested
tables.

>>> from constructs_br.settings.model import KernelSettings, Settings
>>> print(render(Settings(kernel=KernelSettings(sysctl={"net.ipv4.ip_forward": "1"}))), end="")
[settings.kernel.sysctl]
"net.ipv4.ip_forward" = "1"
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import tomllib
from collections.abc import Mapping
from typing import Any

import tomli_w

from constructs_br.errors import ConfigError
from constructs_br.settings.model import Settings, from_dict, to_dict

_B64_TEXT = re.compile(r"^[A-Za-z0-9+/=\s]+$")
_GZIP_MAGIC = b"\x1f\x8b"


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_sorted(v) for v in value]
    return value


def as_document(doc: Settings | Mapping[str, Any]) -> dict[str, Any]:
    """Normalise to the plain document ``{"settings": {...}}``.

    A mapping is taken as a whole document when it has a ``settings`` key, otherwise as the settings table itself.
    """
    if isinstance(doc, Settings):
        return to_dict(doc)
    if "settings" in doc:
        return dict(doc)
    return {"settings": dict(doc)}


def render(settings: Settings | Mapping[str, Any]) -> str:
    """Deterministic TOML: ``[settings.…]`` tables, keys sorted at every level, list order kept."""
    return tomli_w.dumps(_sorted(as_document(settings)))


def decode_user_data(user_data: str | bytes) -> str:
    """EC2 user data as the TOML text Bottlerocket will read.

    Accepts plain TOML, gzip, base64 of either (what ``UserData`` in a launch template holds). Bottlerocket itself
    gunzips user data; the base64 layer is EC2's transport encoding.
    """
    raw = user_data.encode() if isinstance(user_data, str) else bytes(user_data)
    for _ in range(3):  # at most base64 -> gzip -> text
        if raw.startswith(_GZIP_MAGIC):
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise ConfigError("user-data", "<gzip>", "valid gzip data", str(exc)) from exc
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError("user-data", "<binary>", "UTF-8 TOML, gzip, or base64", str(exc)) from exc
        if text.strip() and _B64_TEXT.match(text) and not _looks_like_toml(text):
            try:
                raw = base64.b64decode("".join(text.split()), validate=True)
            except binascii.Error:
                return text
            continue
        return text
    raise ConfigError("user-data", "<nested encoding>", "plain TOML, gzip, or base64 of either")


def _looks_like_toml(text: str) -> bool:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return True


def parse_document(user_data: str | bytes) -> dict[str, Any]:
    """The raw TOML document (all top-level tables kept), for validation of documents as written.

    Whitespace-only user data gives ``{}`` (Bottlerocket skips it).
    """
    text = decode_user_data(user_data)
    if not text.strip():
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            "user-data", _excerpt(text), "a TOML document", f"{exc}; Bottlerocket rejects the whole user data"
        ) from exc


def _excerpt(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:60] + ("…" if len(first) > 60 else "")


def parse(user_data: str | bytes) -> Settings:
    """Parse user data into :class:`Settings`, like Bottlerocket: only the ``settings`` table counts.

    Unknown keys are kept in the ``extra`` fields and wrong types are kept as written, so ``validate`` can report
    them. Raises :class:`ConfigError` for undecodable data, invalid TOML, or a missing ``[settings]`` table.
    """
    doc = parse_document(user_data)
    if not doc:
        return Settings()
    if not isinstance(doc.get("settings"), dict):
        raise ConfigError(
            "settings",
            doc.get("settings", "<missing>"),
            "a [settings] table",
            "Bottlerocket fails with UserDataMissingSettings; other top-level tables are ignored",
        )
    return from_dict(doc)
