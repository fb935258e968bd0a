#!/usr/bin/env python3
"""CDK entry point: ``cdk synth`` runs this through the venv (see cdk.json)."""

from stacks.app import build_app

build_app().synth()
