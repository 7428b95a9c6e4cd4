"""Chaos: the real controller process (`wattswitch control`) driving fake miners over TCP through
pyasic and a real Slurm cluster, while miners fail, hang and lie, slurmctld restarts, a
demand-response event arrives through the CLI, and the controller is killed with SIGKILL twice.

Afterwards the journal is complete (every decision confirmed or superseded, none half-done) and
the metered site load never exceeded the limit (nor the event's target once it was met).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cluster_suite import spec, wait_state

from wattswitch.control.demo_site import DEMO_GROUP, demo_scenario
from wattswitch.control.fake_miner import FakeMinerFarm
from wattswitch.control.slurm import SlurmCluster
from wattswitch.data.scenario_file import save_scenario
from wattswitch.model.site_model import SiteModel, site_model
from wattswitch.store import live as journal
from wattswitch.store import repo
from wattswitch.store.db import Store

pytestmark = pytest.mark.slurm

MINERS = 30
STEP_S = 300
SPEED = 300.0  # replay seconds per wall second: an interval every second
REPLAY_START = datetime(2025, 8, 20, 12, 0, tzinfo=UTC)
CLI = [sys.executable, "-c", "from wattswitch.cli.main import main; main()"]


def _prices(path: Path) -> None:
    """Dear and cheap blocks of three intervals, from two days before the replay to a day after."""
    first = REPLAY_START - timedelta(days=2)
    lines = ["interval_start_utc,HB_WEST"]
    for k in range(3 * 288):
        start = first + timedelta(seconds=k * STEP_S)
        price = 3000.0 if (k // 3) % 2 else 15.0
        lines.append(f"{start:%Y-%m-%dT%H:%M:%SZ},{price}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _config(folder: Path, addresses: list[str], slurm_conf: Path, anchor: datetime) -> Path:
    quoted = ", ".join(f'"{a}"' for a in addresses)
    text = f"""
[control]
site_name = "chaos site"
scenario = "scenario.toml"
policy = "threshold"
database = "journal.db"

[[control.miners]]
group = "{DEMO_GROUP}"
addresses = [{quoted}]

[control.miner_io]
timeout_s = 1.0
retries = 1
backoff_s = 0.05
# one discovery pass: the failing and hanging miners would otherwise get retry passes (1x, 2x, 4x the
# timeout) at every restart, and this test's kills are timed to land after the first decisions
discovery_retries = 0

[control.slurm]
slurm_conf = "{slurm_conf}"
command_timeout_s = 4.0

[control.prices]
source = "replay"
file = "prices.csv"
hub = "HB_WEST"
replay_start_utc = {REPLAY_START:%Y-%m-%dT%H:%M:%SZ}
replay_speed = {SPEED}
replay_anchor_utc = {anchor:%Y-%m-%dT%H:%M:%S.%fZ}

[control.safety]
event_poll_s = 30.0
"""
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


class Meter(threading.Thread):
    """Samples the site's load: the farm's metered watts and the GPU nodes Slurm shows running."""

    def __init__(
        self, farm_power_w: Callable[[], float], cluster: SlurmCluster, site: SiteModel, pue: float
    ) -> None:
        super().__init__(daemon=True)
        self.farm_power_w, self.cluster, self.pue = farm_power_w, cluster, pue
        self.fixed_mw = (
            float(site.must_serve_mw(0.5))
            + float(site.training_available_nodes(0.5)) * site.training_node_idle_mw
        )
        self.node_mw = site.training_node_busy_mw - site.training_node_idle_mw
        self.samples: list[tuple[float, float]] = []
        self.stopped = threading.Event()
        self.nodes = 4

    def run(self) -> None:
        last_poll = 0.0
        while not self.stopped.is_set():
            now = time.monotonic()
            if now - last_poll > 0.3:
                try:
                    jobs = self.cluster.jobs()
                    self.nodes = len(
                        {n for j in jobs if j.preemptible and j.state == "running" for n in j.nodes}
                    )
                except Exception:
                    pass
                last_poll = now
            mw = self.farm_power_w() * self.pue / 1e6 + self.fixed_mw + self.nodes * self.node_mw
            self.samples.append((time.time(), mw))
            time.sleep(0.01)


def _start(config: Path, intervals: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [*CLI, "control", "--config", str(config), "--intervals", str(intervals)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def test_the_controller_survives_kills_faulty_miners_and_a_slurm_restart(  # type: ignore[no-untyped-def]
    tmp_path: Path, slurm_cluster
) -> None:
    slurm_cluster.reset()
    cluster = SlurmCluster(slurm_cluster.settings())
    reserved = cluster.submit(spec("tenant", gpus=4, preemptible=False))
    training = [cluster.submit(spec(f"train-{k}", gpus=4)) for k in range(3)]
    for job_id in [reserved, *training]:
        wait_state(cluster, job_id, "running")

    scenario = replace(
        demo_scenario(MINERS, start_utc=REPLAY_START - timedelta(days=2), days=4, headroom_share=0.8),
        step_s=STEP_S,
    )
    save_scenario(scenario, tmp_path / "scenario.toml")
    _prices(tmp_path / "prices.csv")
    site = site_model(scenario)
    limit_mw = scenario.site.interconnect_limit_mw
    pue = scenario.site.zone(scenario.asic_groups[0].cooling_zone).pue

    log = tmp_path / "control.log"
    with FakeMinerFarm(MINERS).run_in_thread() as farm:
        addresses = farm.addresses
        farm.set_mode(addresses[0], "fail")
        farm.set_mode(addresses[1], "hang")
        farm.set_mode(addresses[2], "lie")
        farm.set_mode(addresses[3], "lie")
        config = _config(tmp_path, addresses, slurm_cluster.slurm_conf, datetime.now(UTC))
        meter = Meter(farm.total_power_w, cluster, site, pue)
        meter.start()
        try:
            first = _start(config, 60, log)
            time.sleep(4.3)
            os.kill(first.pid, signal.SIGKILL)  # mid-cycle, wherever it is
            first.wait(10)

            second = _start(config, 60, log)
            time.sleep(3.0)
            slurm_cluster.restart_controller()
            target_mw = meter.fixed_mw + 0.02
            posted = subprocess.run(
                [
                    *CLI,
                    "control",
                    "event",
                    "--config",
                    str(config),
                    "--target-mw",
                    str(target_mw),
                    "--duration-min",
                    "600",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert posted.returncode == 0, posted.stdout + posted.stderr
            event_posted = time.time()
            time.sleep(2.5)
            os.kill(second.pid, signal.SIGKILL)
            second.wait(10)

            third = _start(config, 4, log)
            assert third.wait(120) == 0, log.read_text()[-3000:]
        finally:
            meter.stopped.set()
            meter.join(5)

    store = Store(str(tmp_path / "journal.db"))
    try:
        with store.read() as session:
            site_row = repo.site_by_name(session, "chaos site")
            assert site_row is not None
            rows = repo.decisions_of(session, site_row.id)
            states = [r.state for r in rows]
            # the site starts all on (above the limit): the invariant holds from the first applied decision
            controlled_from = min(r.applied_at for r in rows if r.applied_at is not None).timestamp()
            events = journal.grid_events_of(session, site_row.id)
            met_at = events[0].met_at
            assert events[0].acknowledged_at is not None
            assert met_at is not None, log.read_text()[-3000:]
    finally:
        store.dispose()
    assert len(rows) >= 6
    assert set(states) <= {"confirmed", "superseded"}, states  # nothing left half-done
    assert "grid-event" in {r.decision["kind"] for r in rows}

    over_limit = [mw for t, mw in meter.samples if t > controlled_from and mw > limit_mw + 1e-6]
    assert over_limit == [], f"limit {limit_mw:.4f} MW exceeded: max {max(over_limit):.4f} MW"
    assert met_at.timestamp() >= event_posted - 1.0
    after = [mw for t, mw in meter.samples if t > met_at.timestamp() + 0.5]
    assert after, "no meter samples after the event was met"
    assert max(after) <= target_mw + 1e-6, f"target {target_mw:.4f} MW, max after met {max(after):.4f} MW"
    assert cluster.job(reserved).state == "running"  # reserved tenants: never paused
