# Two entry points (see README "Quick start"): `make demo` and `make test`.
PYTHON ?= python3
# Real public data for the loader tests and benchmarks (skipped when the folder is absent).
SHARED_DATA := $(abspath ../shared/data)
export WATTSWITCH_DATA ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)

.PHONY: install install-dev demo test lint

install:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e .

install-dev:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	bash scripts/install-system-deps.sh

demo: install
	wattswitch simulate

lint: install-dev
	$(PYTHON) -m ruff check src tests benchmarks
	$(PYTHON) -m mypy

test: lint
	$(PYTHON) -m pytest
