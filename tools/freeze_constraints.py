"""Print ``name==version`` for every installed distribution ``constructs_br[dev,cli,bench]`` needs, transitively.

``make constraints`` writes the output (after the header of the current file) to ``constraints.txt``. Only the
dependency closure is written, so unrelated packages in the venv never leak into the constraints.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = "constructs_br"
EXTRAS = frozenset({"dev", "cli", "bench"})


def closure(name: str, extras: frozenset[str]) -> dict[str, str]:
    seen: dict[str, tuple[str, frozenset[str]]] = {}

    def walk(dist_name: str, wanted: frozenset[str]) -> None:
        try:
            dist = distribution(dist_name)
        except PackageNotFoundError:
            return
        key = canonicalize_name(dist.metadata["Name"])
        previous = seen.get(key)
        if previous is not None and wanted <= previous[1]:
            return
        all_extras = (previous[1] if previous else frozenset()) | wanted
        seen[key] = (dist.version, all_extras)
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in (*all_extras, "")):
                walk(req.name, frozenset(req.extras))

    walk(name, extras)
    seen.pop(canonicalize_name(name), None)
    return {k: v for k, (v, _) in sorted(seen.items())}


def main() -> int:
    for name, version in closure(ROOT, EXTRAS).items():
        sys.stdout.write(f"{name}=={version}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
