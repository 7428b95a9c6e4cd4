"""Test helper: a throwaway single-host Slurm 22.05 cluster (``scripts/start-slurm.sh``) with fake
GPU nodes on 127.0.0.1 and free ports, stopped by its PID files (``scripts/stop-slurm.sh``).

Without the Slurm binaries the tests fail (they never skip): ``scripts/install-system-deps.sh``
installs them. The daemons run as root (munged as ``munge``), so the Slurm tests need root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wattswitch.control.slurm import SlurmSettings

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
BINARIES = ("slurmctld", "slurmd", "sinfo", "squeue", "scontrol", "sbatch", "scancel", "munged")
ACTIVE_STATES = "PD,R,S,CG,CF"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_block(count: int, low: int = 20000, high: int = 60000) -> int:
    """A first port P with P..P+count-1 all free on 127.0.0.1 right now."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            first = int(sock.getsockname()[1])
        if low <= first <= high - count and all(_port_free(first + i) for i in range(count)):
            return first
    raise RuntimeError(f"no block of {count} free ports on 127.0.0.1")


def _missing_binaries() -> list[str]:
    search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    return [name for name in BINARIES if shutil.which(name, path=search) is None]


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone: PID 1 here may never reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class SlurmTestCluster:
    """A running cluster in ``base``: ``node_count`` nodes ``gpu01``… with ``gpus_per_node`` fake
    GPUs, partitions ``spot`` (preemptible, default) and ``reserved``."""

    base: Path
    ctld_port: int
    slurmd_port0: int
    node_count: int
    gpus_per_node: int

    @property
    def slurm_conf(self) -> Path:
        return self.base / "etc" / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.slurm_conf)}

    def settings(self, **overrides: Any) -> SlurmSettings:
        """Settings of a :class:`SlurmCluster` for this cluster (jobs run in ``base/jobs``)."""
        values: dict[str, Any] = {"slurm_conf": self.slurm_conf, "work_dir": self.base / "jobs"}
        values.update(overrides)
        return SlurmSettings(**values)

    def run(
        self, *args: str, check: bool = True, timeout_s: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), capture_output=True, text=True, env=self.env, timeout=timeout_s, check=check
        )

    # - lifecycle -

    @classmethod
    def start(cls, node_count: int = 4, gpus_per_node: int = 4) -> SlurmTestCluster:
        missing = _missing_binaries()
        if missing:
            pytest.fail(
                f"Slurm binaries missing ({', '.join(missing)}): run scripts/install-system-deps.sh as root "
                "(apt-get install slurmctld slurmd slurm-client munge slurmrestd)"
            )
        if os.geteuid() != 0:
            pytest.fail("the Slurm tests start slurmctld/slurmd and need root")
        base = Path(tempfile.mkdtemp(prefix="wattswitch-slurm-"))
        ctld_port = free_port_block(1)
        slurmd_port0 = free_port_block(node_count + 1)
        env = {**os.environ, "CTLD_PORT": str(ctld_port), "SLURMD_PORT0": str(slurmd_port0)}
        log = base / "start.log"
        with log.open("w") as out:  # a file, not a pipe: the daemons it starts must not hold our pipe
            code = subprocess.run(
                [str(SCRIPTS / "start-slurm.sh"), str(base), str(node_count), str(gpus_per_node)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                timeout=120,
                check=False,
            ).returncode
        cluster = cls(base, ctld_port, slurmd_port0, node_count, gpus_per_node)
        if code != 0:
            text = log.read_text()
            cluster.stop()
            pytest.fail(f"scripts/start-slurm.sh failed (exit {code}):\n{text}")
        return cluster

    def stop(self) -> None:
        """Cancel every job and stop every daemon by its PID file; remove the directory."""
        with (self.base / "stop.log").open("w") as out:
            subprocess.run(
                [str(SCRIPTS / "stop-slurm.sh"), str(self.base)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=180,
                check=False,
            )
        shutil.rmtree(self.base, ignore_errors=True)

    def _ctld_pid(self) -> int | None:
        path = self.base / "run" / "slurmctld.pid"
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop_controller(self, timeout_s: float = 30.0) -> None:
        """Stop slurmctld (SIGTERM by its PID file; it saves its state first); slurmd keeps running."""
        pid = self._ctld_pid()
        if pid is None or not _pid_alive(pid):
            return
        os.kill(pid, 15)
        deadline = time.monotonic() + timeout_s
        while _pid_alive(pid):
            if time.monotonic() > deadline:
                pytest.fail(f"slurmctld (pid {pid}) did not stop within {timeout_s} s")
            time.sleep(0.05)

    def start_controller(self, timeout_s: float = 60.0) -> None:
        """Start slurmctld from its saved state; wait until it answers and every node is up."""
        with (self.base / "log" / "slurmctld-restart.log").open("a") as out:
            subprocess.run(
                ["slurmctld"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                timeout=60,
                check=True,
            )
        self.wait_nodes_up(timeout_s)

    def restart_controller(self) -> None:
        """Stop and start slurmctld: jobs and node states survive (StateSaveLocation)."""
        self.stop_controller()
        self.start_controller()

    def wait_nodes_up(self, timeout_s: float = 60.0) -> None:
        """Wait until slurmctld answers and no node is unknown, down or not responding."""
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            result = self.run("sinfo", "-h", "-N", "-o", "%N %T", check=False, timeout_s=15)
            states = {line.split()[1] for line in result.stdout.splitlines() if line.strip()}
            last = result.stdout + result.stderr
            if (
                result.returncode == 0
                and states
                and not any(s.startswith(("unknown", "down")) or s.endswith("*") for s in states)
            ):
                return
            time.sleep(0.1)
        pytest.fail(f"Slurm nodes not up after {timeout_s} s: {last}")

    def reset(self, timeout_s: float = 60.0) -> None:
        """Cancel every active job, wait until all GPUs are free, and return every node to service."""
        deadline = time.monotonic() + timeout_s
        while True:
            ids = self.run("squeue", "-h", "-t", ACTIVE_STATES, "-o", "%i").stdout.split()
            if not ids:
                break
            self.run("scancel", *ids, check=False)
            if time.monotonic() > deadline:
                pytest.fail(f"Slurm jobs {ids} still active after {timeout_s} s of scancel")
            time.sleep(0.1)
        for line in self.run("sinfo", "-h", "-N", "-o", "%N %T").stdout.splitlines():
            name, state = line.split()
            if state.startswith(("drain", "down")):
                self.run("scontrol", "update", f"nodename={name}", "state=resume")
        self.wait_nodes_up(timeout_s)
