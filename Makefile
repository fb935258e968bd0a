# Two commands do all setup on a fresh machine: `make synth` and `make test`. Both are idempotent;
# the venv and node_modules are (re)built only when missing or when pyproject.toml / constraints.txt /
# package-lock.json change. pyproject.toml declares ranges; constraints.txt holds the exact versions we test with.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
CONSTRAINTS := constraints.txt
NODE_STAMP := node_modules/.installed
# checkov lives in its own venv so its dependencies never touch the project's; exact pins, transitive ones included.
CHECKOV_VENV := .venv-checkov
CHECKOV_REQS := tools/checkov-requirements.txt
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

# Offline and quiet: no version check, no telemetry, no IMDS probing, no jsii end-of-life banner (Node 20).
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export AWS_EC2_METADATA_DISABLED := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Let Python cache bytecode (and pytest its rewritten test modules) in __pycache__ (gitignored): some machines set
# PYTHONDONTWRITEBYTECODE=1, which makes every process, and every xdist worker, recompile the project and the tests
# from source (about 3 s of each pytest process's collection here). An empty value means unset to Python.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: setup synth test lint typecheck unit bench clean docs constraints

$(PY_STAMP): pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ required, got " + sys.version'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev,cli]'
	@touch $@

# Rewrite constraints.txt from what the venv has installed (the dependency closure of .[dev,cli] only).
constraints: $(PY_STAMP)
	{ grep '^#' $(CONSTRAINTS); $(BIN)/python tools/freeze_constraints.py; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)

$(NODE_STAMP): package.json package-lock.json
	@node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("Node 20+ required"); process.exit(1) }'
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# --no-deps: the requirements file is the whole closure (regenerate it with pip freeze, see its header).
$(CHECKOV_STAMP): $(CHECKOV_REQS)
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --no-deps -r $(CHECKOV_REQS)
	@touch $@

setup: $(PY_STAMP) $(NODE_STAMP)

# Synthesize every stack with the real CDK CLI, with no AWS credentials (so nothing can reach an account).
synth: setup
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
		npx --no-install cdk synth --quiet
	@ls cdk.out/*.template.json | sed 's/^/synthesized: /'

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# One pytest run, on two workers (the machine has 2 cores), work stealing balancing the slow tests: everything,
# the real CDK CLI tests (marker cli_e2e: `cdk ls`, the `cdk synth` equivalence, the consumer example) and the real
# `cdk bootstrap` + `cdk deploy` against moto (marker deploy; its moto server is a process of its own) included.
# Those are collected first, so they start at once, then the tests that read the cfn-lint and checkov scans (marker
# scans; the two scanners run side by side, tests/stacks/scans.py) (tests/conftest.py). The app's assemblies are
# synthesized once per run for both workers (tests/conftest.py `synthesized`, `cli_synthesized`).
# Update snapshots serially: `.venv/bin/pytest tests/stacks --snapshot-update` (no -n).
# checkov runs inside pytest (tests/stacks/test_gates.py) on the session's fresh synth, from .venv-checkov.
NO_AWS := env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE
test: lint typecheck $(CHECKOV_STAMP)
	$(NO_AWS) $(BIN)/pytest -n 2 --dist worksteal

# Synth cost, per-unit figures, scale and CLI latency, side by side in one run -> benchmarks/RESULTS.md + chart.
bench: setup
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[bench]'
	$(BIN)/python benchmarks/run.py

# API reference from the docstrings (build/api/index.html; build/ is gitignored): every package and public module
# (not _private ones), named explicitly because packages' __all__ hides submodules and lazily loaded names from pdoc.
DOC_MODULES = $(shell find constructs_br -name '*.py' ! -name '_*' | sed 's/\.py$$//' | tr / . | sort) \
	$(shell ls constructs_br/__init__.py constructs_br/*/__init__.py | xargs -n1 dirname | tr / . | sort)
docs: $(PY_STAMP)
	rm -rf build/api
	$(BIN)/pdoc --docformat restructuredtext --output-directory build/api $(DOC_MODULES)
	@echo "API reference: build/api/index.html"

clean:
	rm -rf cdk.out .mypy_cache .ruff_cache .hypothesis build
