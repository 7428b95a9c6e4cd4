# Two entry points (see README "Quick start"): `make demo` and `make test`.
# Both build the project's own virtualenv (.venv) from the committed lock (requirements/*.lock),
# so they work the same on a fresh machine, a distro Python or CI.
PYTHON ?= python3
VENV ?= .venv
export PYTHON VENV
BIN := $(VENV)/bin
# Real public data for the loader tests and benchmarks (skipped when the folder is absent).
SHARED_DATA := $(abspath ../shared/data)
export WATTSWITCH_DATA ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)

.PHONY: install install-dev demo test lint lock test-latest clean-venv

install:
	@bash scripts/venv.sh requirements/run.lock

install-dev:
	@bash scripts/venv.sh requirements/dev.lock
	@bash scripts/install-system-deps.sh

demo: install
	@$(BIN)/wattswitch simulate

lint: install-dev
	$(BIN)/python -m ruff check src tests benchmarks
	$(BIN)/python -m mypy

# The venv's bin first on PATH, so tests that start `wattswitch` as a subprocess run this checkout's.
test: lint
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest

# Re-resolve both locks from pyproject.toml's ranges (newest allowed versions); review and commit.
lock: install-dev
	bash scripts/lock.sh $(BIN)/uv --upgrade

# The suite against the newest versions pyproject.toml allows, in a separate virtualenv (.venv-latest),
# to see a new release's breakage before users do. Not part of CI.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --disable-pip-version-check --upgrade --upgrade-strategy eager -e '.[dev]'
	.venv-latest/bin/python -m pip list --format=freeze > .venv-latest/versions.txt
	@echo "test-latest: versions in .venv-latest/versions.txt"
	PATH="$(abspath .venv-latest/bin):$$PATH" .venv-latest/bin/python -m ruff check src tests benchmarks
	PATH="$(abspath .venv-latest/bin):$$PATH" .venv-latest/bin/python -m mypy
	PATH="$(abspath .venv-latest/bin):$$PATH" .venv-latest/bin/python -m pytest

clean-venv:
	rm -rf $(VENV) .venv-latest
