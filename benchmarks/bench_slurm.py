"""Benchmark shedding GPU power through Slurm: the time to suspend every running preemptible job.

Usage (from the repository root, as root, with Slurm installed by scripts/install-system-deps.sh)::

    python benchmarks/bench_slurm.py             # 16 one-GPU jobs on 4 nodes x 4 GPUs, 7 rounds
    python benchmarks/bench_slurm.py --quick     # 3 rounds

A throwaway single-host Slurm 22.05 cluster (``scripts/start-slurm.sh``, free ports on 127.0.0.1)
runs 16 one-GPU ``sleep`` jobs in the preemptible ``spot`` partition. Each round, every method
pauses them all, and the time is taken (a) until its command returns and (b) until ``squeue``
shows all 16 SUSPENDED; then they are resumed. Methods, in alternating order within the same run:

- baseline: a shell loop ``for j in $(squeue -h -p spot -t R -o %i); do scontrol suspend $j; done``;
- ``suspend_preemptible(SlurmCluster)``: ``squeue --json`` then one ``scontrol suspend 1,2,...``;
- ``SlurmCluster.suspend`` per job: ``squeue --json`` then one ``scontrol suspend`` per job.

Results go to ``benchmarks/results/slurm.json`` (medians, ratios to the baseline, machine info);
the table is printed as Markdown. The cluster is stopped by its PID files at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wattswitch.control.slurm import SlurmCluster, SlurmSettings, suspend_preemptible
from wattswitch.model.equipment import JobSpec

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "slurm.json"
NODES = 4
GPUS_PER_NODE = 4
JOBS = NODES * GPUS_PER_NODE


def _free_block(count: int) -> int:
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            first = int(sock.getsockname()[1])
        ok = True
        for port in range(first, first + count):
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok and first + count < 65000:
            return first
    raise RuntimeError("no free ports")


class Cluster:
    """A throwaway cluster started by scripts/start-slurm.sh; stop() by PID files."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="wattswitch-bench-slurm-"))
        env = {**os.environ, "CTLD_PORT": str(_free_block(1)), "SLURMD_PORT0": str(_free_block(NODES + 1))}
        with (self.base / "start.log").open("w") as out:
            code = subprocess.run(
                [str(ROOT / "scripts" / "start-slurm.sh"), str(self.base), str(NODES), str(GPUS_PER_NODE)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                timeout=120,
                check=False,
            ).returncode
        if code != 0:
            log = (self.base / "start.log").read_text()
            self.stop()
            raise SystemExit(f"scripts/start-slurm.sh failed (exit {code}):\n{log}")
        self.conf = self.base / "etc" / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}

    def sh(self, script: str) -> None:
        subprocess.run(["bash", "-c", script], env=self.env, check=True, capture_output=True, timeout=120)

    def states(self) -> list[str]:
        out = subprocess.run(
            ["squeue", "-h", "-p", "spot", "-o", "%T"],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        return out.split()

    def stop(self) -> None:
        with (self.base / "stop.log").open("w") as out:
            subprocess.run(
                [str(ROOT / "scripts" / "stop-slurm.sh"), str(self.base)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=180,
                check=False,
            )
        shutil.rmtree(self.base, ignore_errors=True)


def _wait(check: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _round(cluster: Cluster, method: Callable[[], Any]) -> tuple[float, float]:
    """Seconds until the method returns, and until squeue shows every job SUSPENDED."""
    _wait(lambda: cluster.states() == ["RUNNING"] * JOBS, "all jobs running")
    start = time.perf_counter()
    method()
    returned = time.perf_counter() - start
    _wait(lambda: cluster.states() == ["SUSPENDED"] * JOBS, "all jobs suspended")
    suspended = time.perf_counter() - start
    cluster.sh("scontrol resume $(squeue -h -p spot -t S -o %i | paste -sd,)")
    return returned, suspended


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    args = parser.parse_args()
    rounds = 3 if args.quick else 7
    cluster = Cluster()
    try:
        slurm = SlurmCluster(SlurmSettings(slurm_conf=cluster.conf, work_dir=cluster.base / "jobs"))
        for i in range(JOBS):
            slurm.submit(JobSpec(f"spot{i:02d}", "sleep 3600", gpus_per_node=1))
        version = subprocess.run(
            ["sinfo", "-V"], capture_output=True, text=True, check=True, env=cluster.env
        ).stdout.strip()

        def per_job() -> None:
            for job in slurm.jobs():
                if job.preemptible and job.state == "running":
                    slurm.suspend(job.job_id)

        def batched() -> None:
            outcome = suspend_preemptible(slurm)
            if not outcome.ok or len(outcome.suspended) != JOBS:
                raise RuntimeError(f"suspend_preemptible: {outcome}")

        methods: dict[str, Callable[[], Any]] = {
            "shell loop: scontrol suspend per job (baseline)": lambda: cluster.sh(
                "for j in $(squeue -h -p spot -t R -o %i); do scontrol suspend $j; done"
            ),
            "suspend_preemptible(SlurmCluster): one scontrol call": batched,
            "SlurmCluster.suspend per job": per_job,
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
        names = list(methods)
        for r in range(rounds):
            for name in names if r % 2 == 0 else reversed(names):
                samples[name].append(_round(cluster, methods[name]))
    finally:
        cluster.stop()

    baseline = names[0]
    base_done = statistics.median(s[1] for s in samples[baseline])
    results: dict[str, Any] = {}
    for name in names:
        returned = statistics.median(s[0] for s in samples[name])
        done = statistics.median(s[1] for s in samples[name])
        results[name] = {
            "rounds": len(samples[name]),
            "command_returned_ms": round(returned * 1000, 1),
            "all_suspended_ms": round(done * 1000, 1),
            "all_suspended_min_ms": round(min(s[1] for s in samples[name]) * 1000, 1),
            "all_suspended_max_ms": round(max(s[1] for s in samples[name]) * 1000, 1),
            "speedup_vs_baseline": round(base_done / done, 2),
        }
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "slurm": version,
        "cluster": f"single host, {NODES} slurmd x {GPUS_PER_NODE} fake GPUs, 127.0.0.1",
        "jobs": f"{JOBS} running one-GPU jobs in partition spot",
        "metric": "median over rounds of the time until squeue shows every job SUSPENDED",
        "methods": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1) + "\n")
    print(f"Suspend {JOBS} preemptible jobs ({version}, {rounds} rounds, medians)\n")
    print("| method | command returned (ms) | all SUSPENDED in squeue (ms) | vs baseline |")
    print("|---|---:|---:|---:|")
    for name, row in results.items():
        print(
            f"| {name} | {row['command_returned_ms']} | {row['all_suspended_ms']} "
            f"({row['all_suspended_min_ms']}-{row['all_suspended_max_ms']}) | {row['speedup_vs_baseline']}x |"
        )
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
