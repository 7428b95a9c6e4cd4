"""A live site of in-process fakes for controller tests: a manual clock, a metered fleet, prices."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from wattswitch.control.controller import Controller, SafetySettings
from wattswitch.control.demo_site import DEMO_GROUP, demo_scenario
from wattswitch.control.live_site import LiveSettings
from wattswitch.control.memory_cluster import MemoryCluster
from wattswitch.control.memory_fleet import MemoryMinerFleet
from wattswitch.control.miner_sending import FleetSettings
from wattswitch.control.prices import ReplayPriceFeed
from wattswitch.control.wiring import Journal, Wired, assemble
from wattswitch.model.equipment import (
    CommandResult,
    GpuPowerCaps,
    HashpriceFeed,
    JobSpec,
    MinerCommand,
    SystemLoadFeed,
)
from wattswitch.model.scenario import Scenario
from wattswitch.model.timeseries import TimeSeries
from wattswitch.store import live as journal
from wattswitch.store import repo

MINIMAL_CONFIG = """
[control]
site_name = "s"
[[control.miners]]
group = "s19xp"
addresses = ["10.0.1.1"]
[control.prices]
file = "prices.csv"
"""  # a live-control configuration with only what is required (replayed prices)
START = datetime(2025, 8, 20, 18, 0, tzinfo=UTC)
STEP_S = 300
CHEAP, DEAR = 20.0, 2000.0


class ManualClock:
    """Time that moves only when slept on (or set)."""

    def __init__(self, start: datetime) -> None:
        self.t = start

    def now(self) -> datetime:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)


class Crash(BaseException):
    """Stands for ``kill -9``: nothing after it runs (not an Exception, so nothing catches it)."""


@dataclass
class MeteredFleet:
    """A fleet that checks, around every batch it sends, the site's metered load against the cap."""

    inner: MemoryMinerFleet
    rig: Rig | None = None
    crash_after_commands: int | None = None
    sent: list[MinerCommand] = field(default_factory=list)
    journal_states_seen: list[str] = field(default_factory=list)

    async def discover(self):  # type: ignore[no-untyped-def]
        return await self.inner.discover()

    async def read(self):  # type: ignore[no-untyped-def]
        return await self.inner.read()

    async def send(self, commands: Sequence[MinerCommand]) -> list[CommandResult]:
        assert self.rig is not None
        if commands:
            self.journal_states_seen.append(self.rig.latest_state())
        if (
            self.crash_after_commands is not None
            and len(self.sent) + len(commands) > self.crash_after_commands
        ):
            allowed = max(0, self.crash_after_commands - len(self.sent))
            await self.inner.send(commands[:allowed])
            self.sent.extend(commands[:allowed])
            raise Crash
        results = await self.inner.send(commands)
        self.sent.extend(commands)
        raises = any(c.action == "resume" or (c.power_limit_w or 0) > 3000 for c in commands)
        self.rig.check_meter(after_increase=raises)
        return results


@dataclass
class Rig:
    """Everything a controller test touches."""

    scenario: Scenario
    fleet: MeteredFleet
    cluster: MemoryCluster
    clock: ManualClock
    wired: Wired
    database: str
    prices: ReplayPriceFeed
    # (metered MW, MW it must not exceed): the site limit always, the cap in force after an increase
    meter: list[tuple[float, float]] = field(default_factory=list)

    @property
    def controller(self) -> Controller:
        return self.wired.controller

    def metered_mw(self) -> float:
        live = self.controller.live
        pue = live.slots[0].pue
        nodes = self.cluster.nodes_snapshot()
        return self.fleet.inner.total_power_w() * pue / 1e6 + live.gpu_mw(self.cluster.snapshot(), nodes)

    def current_cap_mw(self) -> float:
        return self.controller._cap_now(
            [(e.start_utc, e.end_utc, e.target_mw) for e in self.controller._events(self.clock.now())]
        )

    def check_meter(self, *, after_increase: bool) -> None:
        bound = self.current_cap_mw() if after_increase else self.scenario.site.interconnect_limit_mw
        self.meter.append((self.metered_mw(), bound))

    def latest_state(self) -> str:
        with self.controller.store.read() as session:
            rows = repo.decisions_of(session, self.controller.site_id, limit=1)
            return rows[0].state if rows else "none"

    def mining(self) -> int:
        """How many miners draw mining power."""
        return sum(1 for m in self.fleet.inner.miners.values() if m.power_w > 1000)

    def open_alerts(self) -> list[tuple[str, str]]:
        """(kind, message) of every open alert."""
        with self.controller.store.read() as session:
            rows = journal.alerts_of(session, self.controller.site_id, open_only=True)
            return [(a.kind, a.message) for a in rows]

    def decisions(self) -> list[tuple[datetime, str, str]]:
        with self.controller.store.read() as session:
            return [
                (r.interval_start_utc, r.decision["kind"], r.state)
                for r in repo.decisions_of(session, self.controller.site_id)
            ]

    async def rebuild(self, **kwargs: object) -> Rig:
        """A new controller process on the same equipment, store and clock (after a crash)."""
        self.wired.close()
        self.fleet.crash_after_commands = None
        return await build_rig(
            Path(self.database).parent,
            fleet=self.fleet,
            cluster=self.cluster,
            clock=self.clock,
            prices=self.prices,
            scenario=self.scenario,
            **kwargs,  # type: ignore[arg-type]
        )


def price_series(values: Sequence[float], start: datetime = START - timedelta(hours=2)) -> TimeSeries:
    index = pd.date_range(start, periods=len(values), freq=f"{STEP_S}s", tz="UTC", name="interval_start_utc")
    frame = pd.DataFrame({"HB_WEST": np.asarray(values, dtype=float)}, index=index)
    return TimeSeries(frame, STEP_S, "usd_per_mwh", "test prices")


async def build_rig(
    folder: Path,
    *,
    miners: int = 20,
    prices: ReplayPriceFeed | None = None,
    fleet: MeteredFleet | None = None,
    cluster: MemoryCluster | None = None,
    clock: ManualClock | None = None,
    scenario: Scenario | None = None,
    policy: str = "threshold",
    dry_run: bool = False,
    live_settings: LiveSettings | None = None,
    safety: SafetySettings | None = None,
    system_load: SystemLoadFeed | None = None,
    hashprice: HashpriceFeed | None = None,
    cluster_nodes: int | None = 4,
    gpu_caps: dict[str, GpuPowerCaps] | None = None,
) -> Rig:
    """A site of ``miners`` S19 XPs, 4 preemptible + 1 reserved GPU nodes, prices cheap by default
    (``cluster_nodes`` None: Slurm could not be read at start-up)."""
    scenario = scenario or replace(demo_scenario(miners, start_utc=START - timedelta(hours=6)), step_s=STEP_S)
    if fleet is None:
        inner = MemoryMinerFleet.of(miners, settings=FleetSettings(timeout_s=0.2, retries=1, backoff_s=0.01))
        fleet = MeteredFleet(inner)
    if cluster is None:
        cluster = MemoryCluster(node_count=5, gpus_per_node=8)
        cluster.submit(JobSpec("tenant-model", "serve", gpus_per_node=8, preemptible=False))
        for k in range(4):
            cluster.submit(JobSpec(f"train-{k}", "train", gpus_per_node=8))
        cluster.jobs()  # the fake schedules on every read
    clock = clock or ManualClock(START + timedelta(seconds=1))
    prices = prices or ReplayPriceFeed(price_series([CHEAP] * 400), "HB_WEST")
    database = str(folder / "journal.db")
    identities = await fleet.inner.discover()
    wired = assemble(
        scenario,
        fleet,  # type: ignore[arg-type]
        {DEMO_GROUP: identities},
        Journal(database, "test site", policy),
        prices=prices,
        clock=clock,
        cluster=cluster,
        cluster_nodes=cluster_nodes,
        live_settings=live_settings or LiveSettings(inference_load_fraction=0.0),
        safety=safety,
        dry_run=dry_run,
        system_load=system_load,
        hashprice=hashprice,
        gpu_caps=gpu_caps,
    )
    rig = Rig(scenario, fleet, cluster, clock, wired, database, prices)
    fleet.rig = rig
    return rig
