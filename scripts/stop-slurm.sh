#!/usr/bin/env bash
# Stop the cluster started by scripts/start-slurm.sh BASE, by its PID files only (never by name).
# Jobs are cancelled first: a running job's slurmstepd outlives a killed slurmd and ignores SIGTERM.
set -uo pipefail
B=${1:?usage: stop-slurm.sh BASE}
export SLURM_CONF="$B/etc/slurm.conf"
if [ -f "$B/run/slurmctld.pid" ]; then
  for _ in $(seq 1 50); do
    jobs=$(timeout 15 squeue -h -t PD,R,S,CG,CF -o %i 2>/dev/null | tr '\n' ' ') || break  # slurmctld down
    [ -z "${jobs// /}" ] && break
    # shellcheck disable=SC2086
    timeout 15 scancel --quiet $jobs 2>/dev/null; sleep 0.2
  done
fi
pids=()
for f in "$B"/run/slurmrestd.pid "$B"/run/slurmd-*.pid "$B"/run/slurmctld.pid "$B"/munge/munged.pid; do
  [ -f "$f" ] || continue
  p=$(cat "$f"); [ -n "$p" ] || continue
  pids+=("$p"); kill "$p" 2>/dev/null
done
# slurmctld saves its state before exiting; wait until every PID is gone (or a zombie: PID 1 may not reap)
for _ in $(seq 1 50); do
  alive=0
  for p in "${pids[@]}"; do
    s=$(ps -o stat= -p "$p" 2>/dev/null)
    [ -n "$s" ] && [[ $s != Z* ]] && alive=1
  done
  [ $alive = 0 ] && break
  sleep 0.2
done
exit 0
