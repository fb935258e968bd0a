#!/usr/bin/env python3
"""CDK entry point: ``cdk synth`` runs this through the venv (see cdk.json).

A configuration error (:class:`constructs_br.errors.ConfigError`) is printed as one ``error: <field>: got …;
allowed: …`` line per problem on stderr, without a traceback, and the app exits 1.
"""

import sys

from constructs_br.errors import ConfigError


def main() -> int:
    from stacks.app import build_app

    try:
        build_app().synth()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
