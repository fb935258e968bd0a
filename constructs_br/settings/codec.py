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
import zlib
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


ALLOWED_USER_DATA = "UTF-8 TOML with a [settings] table, gzip of it, or base64 of either"
"""What user data may be, as every decoding error says."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters TOML allows nowhere (tab, LF and CR are fine): their presence means binary data."""


def _layers(seen: list[str]) -> str:
    return f" (after decoding {' -> '.join(seen)})" if seen else ""


def decode_user_data(user_data: str | bytes, source: str = "user-data") -> str:
    """EC2 user data as the TOML text Bottlerocket will read.

    Accepts plain TOML, gzip, base64 of either (what ``UserData`` in a launch template holds). Bottlerocket itself
    gunzips user data; the base64 layer is EC2's transport encoding. Anything else raises :class:`ConfigError`
    whose field is ``source`` (the file name a user passed, or ``user-data``): truncated or corrupt gzip, bytes that
    are not UTF-8, binary data, text that is neither TOML nor valid base64.

    >>> decode_user_data(b"\\x1f\\x8b\\x08\\x00garbage", source="node.gz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    constructs_br.errors.ConfigError: node.gz: got '<gzip, 11 bytes>'; allowed: ... (corrupt or truncated gzip: ...)
    """
    raw = user_data.encode("utf-8", "surrogatepass") if isinstance(user_data, str) else bytes(user_data)
    seen: list[str] = []
    for _ in range(3):  # at most base64 -> gzip -> text
        if raw.startswith(_GZIP_MAGIC):
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error) as exc:  # bad header / truncated / corrupt deflate data
                raise ConfigError(
                    source,
                    f"<gzip, {len(raw)} bytes>",
                    ALLOWED_USER_DATA,
                    f"corrupt or truncated gzip: {exc}{_layers(seen)}",
                ) from None
            seen.append("gzip")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                source,
                f"<{len(raw)} bytes, not UTF-8>",
                ALLOWED_USER_DATA,
                f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8{_layers(seen)}",
            ) from None
        control = _CONTROL.search(text)
        if control is not None:
            raise ConfigError(
                source,
                f"<binary, {len(raw)} bytes>",
                ALLOWED_USER_DATA,
                f"control character {control.group()!r} at offset {control.start()}{_layers(seen)}",
            )
        if text.strip() and _B64_TEXT.match(text) and (toml_error := _toml_error(text)) is not None:
            try:
                raw = base64.b64decode("".join(text.split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ConfigError(
                    source,
                    _excerpt(text),
                    ALLOWED_USER_DATA,
                    f"not TOML ({toml_error}) and not valid base64 ({exc}){_layers(seen)}",
                ) from None
            seen.append("base64")
            continue
        return text
    raise ConfigError(source, "<nested encoding>", ALLOWED_USER_DATA, f"more layers than that: {' -> '.join(seen)}")


def _toml_error(text: str) -> str | None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return str(exc)
    except (ValueError, RecursionError):  # e.g. an integer of more digits than int() takes
        return None
    return None


def parse_document(user_data: str | bytes, source: str = "user-data") -> dict[str, Any]:
    """The raw TOML document (all top-level tables kept), for validation of documents as written.

    Whitespace-only user data gives ``{}`` (Bottlerocket skips it; :func:`~constructs_br.settings.validate_user_data`
    reports it). Errors name ``source`` as their field.
    """
    text = decode_user_data(user_data, source)
    if not text.strip():
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            source, _excerpt(text), "a TOML document", f"{exc}; Bottlerocket rejects the whole user data"
        ) from None
    except (ValueError, RecursionError) as exc:  # tomllib hands through int() limits and deep nesting
        raise ConfigError(
            source, _excerpt(text), "a TOML document", f"{type(exc).__name__}: {exc}; Bottlerocket rejects it"
        ) from None


def _excerpt(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:60] + ("…" if len(first) > 60 else "")


def parse(user_data: str | bytes, source: str = "user-data") -> Settings:
    """Parse user data into :class:`Settings`, like Bottlerocket: only the ``settings`` table counts.

    Unknown keys are kept in the ``extra`` fields and wrong types are kept as written, so ``validate`` can report
    them. Raises :class:`ConfigError` for undecodable data, invalid TOML, or a missing ``[settings]`` table.
    """
    doc = parse_document(user_data, source)
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
