"""Run every collected real user-data document (tests/data/userdata, see SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from constructs_br.images import KUBERNETES_MINORS
from constructs_br.settings import parse, render, validate_user_data

CORPUS = Path(__file__).resolve().parents[2] / "data" / "userdata"
FILES = sorted(CORPUS.glob("*/*.toml"))


def _header(path: Path, key: str) -> list[str]:
    prefix = f"# {key}:"
    return [line[len(prefix) :].strip() for line in path.read_text().splitlines() if line.startswith(prefix)]


def test_corpus_is_documented() -> None:
    sources = (CORPUS / "SOURCES.md").read_text()
    assert len(FILES) >= 10
    for path in FILES:
        assert path.name in sources, path
        assert _header(path, "variant"), path
        assert _header(path, "source"), path


def _catalogued(variant: str) -> str:
    """Documents collected from clusters older than the catalogue's oldest Kubernetes minor (e.g. aws-k8s-1.23) are
    validated against that oldest minor: the settings they exercise did not change, and settings accept only
    variants the image catalogue knows."""
    if variant.startswith("aws-k8s-"):
        minor = variant.removeprefix("aws-k8s-").split("-", 1)[0]
        if minor not in KUBERNETES_MINORS:
            return variant.replace(minor, KUBERNETES_MINORS[0], 1)
    return variant


def test_old_minor_maps_to_the_oldest_catalogued_one() -> None:
    assert _catalogued("aws-k8s-1.23") == f"aws-k8s-{KUBERNETES_MINORS[0]}"
    assert _catalogued("aws-k8s-1.33-nvidia") == "aws-k8s-1.33-nvidia"


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_corpus_document(path: Path) -> None:
    (written,) = _header(path, "variant")
    variant = _catalogued(written)
    problems = validate_user_data(path.read_bytes(), variant=variant)
    expected = _header(path, "expect")
    assert [p.field for p in problems] == expected
    assert (path.parent.name == "valid") == (not expected)
    if path.parent.name == "valid":
        assert validate_user_data(render(parse(path.read_bytes())), variant=variant) == []
