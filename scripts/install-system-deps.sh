#!/usr/bin/env bash
# System packages the test suite needs (Debian/Ubuntu): the PostgreSQL server (store tests run
# against a throwaway cluster), Chromium (dashboard tests drive /usr/bin/chromium headless) and
# Slurm + munge (control tests run a throwaway single-host Slurm cluster, scripts/start-slurm.sh).
# Idempotent: installs only what is missing, runs `apt-get update` at most once, and only as root
# (otherwise it says what to install and exits 0, so a non-root `make` still proceeds).
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
has slurmctld || missing+=(slurmctld)
has slurmd || missing+=(slurmd)
has sinfo || missing+=(slurm-client)
has munged || missing+=(munge)
has slurmrestd || missing+=(slurmrestd)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: missing ${missing[*]} and no apt-get here; install them by hand" >&2
  exit 0
fi
echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${missing[@]}"
