#!/usr/bin/env bash
# Re-resolve the committed locks (requirements/*.lock) from pyproject.toml's ranges with uv:
# one universal resolution for every platform and Python >= 3.11, with hashes.
# Usage: scripts/lock.sh UV   (UV: the uv executable; `make lock` passes the one in .venv)
# Extra arguments go to uv, e.g. `--upgrade-package typer`. The dev lock is resolved first;
# the run lock is constrained by it, so the two never disagree on a version.
set -euo pipefail
uv=${1:?uv executable}; shift
cd "$(dirname "$0")/.."
common=(--universal --python-version 3.11 --generate-hashes --no-header --quiet)
"$uv" pip compile pyproject.toml requirements/build.in requirements/dev-tools.in --extra dev \
  "${common[@]}" "$@" -o requirements/dev.lock
"$uv" pip compile pyproject.toml requirements/build.in \
  "${common[@]}" -c requirements/dev.lock -o requirements/run.lock
echo "lock: requirements/dev.lock and requirements/run.lock re-resolved; commit them with the change that needs them"
