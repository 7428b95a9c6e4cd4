#!/usr/bin/env bash
# Build the project's own virtualenv from a committed lock, then install wattswitch into it (editable).
# Usage: scripts/venv.sh LOCK   (env: PYTHON, the interpreter to build from, default python3;
#                                VENV, the folder, default .venv; FRESH=1 rebuilds it from nothing)
# Nothing comes from the machine's site-packages: every package is the lock's, checked by hash.
# Re-running is cheap: a lock already installed (its copy kept in the venv) is not installed again.
set -euo pipefail
lock=${1:?usage: scripts/venv.sh requirements/LOCK}
python=${PYTHON:-python3}
venv=${VENV:-.venv}
cd "$(dirname "$0")/.."

fail() { echo "make: $*" >&2; exit 2; }

command -v "$python" >/dev/null 2>&1 || fail "no '$python' on PATH; install Python >= 3.11 or run: make PYTHON=/path/to/python3.11 ..."
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || fail "wattswitch needs Python >= 3.11, '$python' is $("$python" -c 'import sys; print(sys.version.split()[0])'); run: make PYTHON=/path/to/python3.11 ..."

if [ "${FRESH:-0}" = 1 ]; then rm -rf "$venv"; fi
if [ ! -x "$venv/bin/python" ]; then
  rm -rf "$venv"
  if ! err=$("$python" -m venv "$venv" 2>&1); then
    rm -rf "$venv"
    echo "$err" | tail -n 3 >&2
    fail "could not create the virtualenv $venv with $python. On Debian/Ubuntu install the venv module: sudo apt-get install python3-venv (or python3.11-venv), then run make again"
  fi
fi

stamp="$venv/.installed-$(basename "$lock")"
if [ -f "$stamp" ] && cmp -s "$lock" "$stamp" && [ -x "$venv/bin/wattswitch" ]; then
  exit 0
fi
echo "make: installing $lock into $venv (hash-checked) ..." >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes --no-deps -r "$lock"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --no-deps --no-build-isolation -e .
"$venv/bin/python" -m pip check >&2 || fail "the installed packages are inconsistent (pip check above); run: make lock"
cp "$lock" "$stamp"
