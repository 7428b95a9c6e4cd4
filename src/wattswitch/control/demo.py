"""``wattswitch control demo``: fake miners on loopback, a replayed price feed, a demand-response event.

What runs for real: the controller, the journal (SQLite in a temporary folder), pyasic talking
the cgminer JSON API over TCP to N fake miners on 127.x.y.z:4028 (served from their own thread),
and a price feed replaying generated HB_WEST-like prices on an accelerated clock. The GPU cluster
is the in-process fake (Slurm needs root and a few seconds; ``wattswitch control --config`` uses
the real one). Mid-run an operator posts a demand-response event to the store (as the API and
CLI do); the demo reports the time to the target, commands sent/acknowledged/failed, and the
highest metered load against the limit.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wattswitch.control.clock import ReplayClock
from wattswitch.control.controller import SafetySettings, StepReport
from wattswitch.control.demo_site import DEMO_GROUP, demo_scenario
from wattswitch.control.farm_process import FakeMinerFarmProcess
from wattswitch.control.live_site import LiveSettings
from wattswitch.control.memory_cluster import MemoryCluster
from wattswitch.control.miner_sending import FleetSettings
from wattswitch.control.prices import ReplayPriceFeed
from wattswitch.control.pyasic_fleet import PyasicFleet
from wattswitch.control.wiring import Journal, Wired, assemble, identify_listed
from wattswitch.data.synthetic import PRICE_COLUMN, generate_rt_prices
from wattswitch.model.equipment import JobSpec
from wattswitch.model.scenario import Scenario
from wattswitch.model.synthetic import SyntheticSpec
from wattswitch.model.timeseries import TimeSeries
from wattswitch.store import live as journal
from wattswitch.store import repo

DEMO_START_UTC = datetime(2025, 8, 20, 18, 0, tzinfo=UTC)  # a summer afternoon in Texas
STEP_S = 300
# One command or reading: 1 s, plus 1 ms per miner (a DR step sends to every miner at once on one
# event loop, so each attempt waits for the CPU the others take; a hanging miner costs this twice).
BASE_TIMEOUT_S = 1.0
TIMEOUT_S_PER_MINER = 0.001


def demo_timeout_s(miners: int) -> float:
    """The demo's per-attempt timeout for ``miners`` fake miners (``--timeout-s`` default)."""
    return round(BASE_TIMEOUT_S + TIMEOUT_S_PER_MINER * miners, 3)


def demo_fleet_settings(
    miners: int, *, timeout_s: float | None = None, discovery_timeout_s: float | None = None
) -> FleetSettings:
    """How the demo's fleet talks to its fake miners: one retry after 0.1 s, the per-attempt
    timeout scaled with the fleet (:func:`demo_timeout_s`), identification scaled with the fleet,
    the concurrency and the machine's load (``FleetSettings.identify_timeout_s``) unless given."""
    return FleetSettings(
        timeout_s=demo_timeout_s(miners) if timeout_s is None else timeout_s,
        retries=1,
        backoff_s=0.1,
        discovery_timeout_s=discovery_timeout_s,
    )


@dataclass
class DemoResult:
    """What the demo measured."""

    miners: int
    faulty: dict[str, int]
    limit_mw: float
    target_mw: float
    identified: int = 0
    discovery_s: float = 0.0
    discovery_passes: int = 0
    timeout_s: float = 0.0
    discovery_timeout_s: float = 0.0  # of the first identification pass
    trigger_to_acks_s: float | None = None
    time_to_target_s: float | None = None
    target_reached: bool = False
    sent: int = 0
    acknowledged: int = 0
    failed: int = 0
    emergency_stops: int = 0
    jobs_suspended: int = 0
    metered_mw_before: float = 0.0
    metered_mw_after: float = 0.0
    max_metered_mw: float = 0.0
    max_over_cap_mw: float = 0.0
    decisions: list[tuple[str, str, str]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def run_demo(
    miners: int = 100,
    *,
    fail: int = 0,
    hang: int = 0,
    lie: int = 0,
    target_share: float = 0.3,
    timeout_s: float | None = None,
    discovery_timeout_s: float | None = None,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Run the demo and return its measurements (``say`` gets a line per step)."""
    if fail + hang + lie > miners:
        raise ValueError(f"{fail + hang + lie} faulty miners asked for, but only {miners} miners")
    scenario = replace(demo_scenario(miners, start_utc=DEMO_START_UTC - timedelta(hours=6)), step_s=STEP_S)
    farm = FakeMinerFarmProcess(miners)
    farm.start()
    try:
        with tempfile.TemporaryDirectory(prefix="wattswitch-demo-") as folder:
            settings = demo_fleet_settings(
                miners, timeout_s=timeout_s, discovery_timeout_s=discovery_timeout_s
            )
            return await _run(
                scenario,
                farm,
                folder,
                settings,
                faults=(fail, hang, lie),
                target_share=target_share,
                say=say,
            )
    finally:
        farm.stop()


async def _run(
    scenario: Scenario,
    farm: FakeMinerFarmProcess,
    folder: str,
    settings: FleetSettings,
    *,
    faults: tuple[int, int, int],
    target_share: float,
    say: Callable[[str], None],
) -> DemoResult:
    fleet = PyasicFleet(farm.addresses, settings=settings)
    started = time.monotonic()
    group = scenario.asic_groups[0]
    first_timeout_s = settings.identify_timeout_s(len(farm.addresses))
    members = await identify_listed(fleet, {DEMO_GROUP: group}, dict.fromkeys(farm.addresses, DEMO_GROUP))
    identified = sum(1 for i in members[DEMO_GROUP] if i.firmware != "unknown")
    discovery_s = time.monotonic() - started
    passes = f"{fleet.discovery_passes} passes" if fleet.discovery_passes != 1 else "1 pass"
    say(
        f"identified {identified} of {len(farm.addresses)} fake miners through pyasic in "
        f"{discovery_s:.2f} s ({passes}, {first_timeout_s:.2f} s per identification at first; "
        f"commands and readings {settings.timeout_s:g} s per attempt)"
    )
    cluster = MemoryCluster(node_count=4, gpus_per_node=8)
    for k in range(4):
        cluster.submit(JobSpec(f"train-{k}", "python train.py", node_count=1, gpus_per_node=8))
    feed = ReplayPriceFeed(_demo_prices(scenario), PRICE_COLUMN)
    clock = ReplayClock(DEMO_START_UTC + timedelta(seconds=1), speed=150.0)
    wired = assemble(
        scenario,
        fleet,
        members,
        Journal(str(Path(folder) / "journal.db"), "demo site", "threshold"),
        prices=feed,
        clock=clock,
        cluster=cluster,
        cluster_nodes=4,
        live_settings=LiveSettings(inference_load_fraction=0.0),
        safety=SafetySettings(event_poll_s=20.0),
    )
    try:
        limit_mw = scenario.site.interconnect_limit_mw
        result = await _drive(wired, farm, limit_mw, faults=faults, target_share=target_share, say=say)
    finally:
        wired.close()
    result.identified = identified
    result.discovery_s = round(discovery_s, 3)
    result.discovery_passes = fleet.discovery_passes
    result.timeout_s = settings.timeout_s
    result.discovery_timeout_s = round(first_timeout_s, 3)
    return result


async def _drive(
    wired: Wired,
    farm: FakeMinerFarmProcess,
    limit_mw: float,
    *,
    faults: tuple[int, int, int],
    target_share: float,
    say: Callable[[str], None],
) -> DemoResult:
    controller = wired.controller
    live = controller.live
    fail, hang, lie = faults
    result = DemoResult(
        miners=len(live.slots),
        faulty={"fail": fail, "hang": hang, "lie": lie},
        limit_mw=limit_mw,
        target_mw=round(target_share * limit_mw, 6),
    )
    pue = live.slots[0].pue

    def metered_mw() -> float:
        cluster = live.cluster
        jobs, nodes = (cluster.jobs(), cluster.nodes()) if cluster else (None, None)
        return farm.total_power_w() * pue / 1e6 + live.gpu_mw(jobs, nodes)

    for report in await controller.run(intervals=2):
        say(_line(report))
    addresses = farm.addresses
    for k, mode in enumerate(["fail"] * fail + ["hang"] * hang + ["lie"] * lie):
        farm.set_mode(addresses[-1 - k], mode)  # type: ignore[arg-type]

    samples: list[tuple[float, float]] = []
    stop = asyncio.Event()

    async def meter() -> None:
        while not stop.is_set():
            samples.append((time.monotonic(), await asyncio.to_thread(metered_mw)))
            await asyncio.sleep(0.005)

    sampler = asyncio.create_task(meter())
    await asyncio.sleep(0.05)
    result.metered_mw_before = samples[-1][1]
    now = controller.clock.now()
    with controller.store.write() as session:
        journal.add_grid_event(
            session,
            controller.site_id,
            kind="demand-response",
            target_mw=result.target_mw,
            deadline_utc=now + timedelta(minutes=10),
            end_utc=now + timedelta(hours=1),
            source="wattswitch control demo",
        )
    triggered = time.monotonic()
    event_report = await controller.respond_to_events()
    await asyncio.sleep(0.2)
    stop.set()
    await sampler
    assert event_report is not None
    say(_line(event_report))
    outcome = event_report.outcome
    result.trigger_to_acks_s = outcome.acked_at_loop_s - triggered  # the loop's clock is time.monotonic
    reached = [t for t, mw in samples if t >= triggered and mw <= result.target_mw + 1e-9]
    result.time_to_target_s = reached[0] - triggered if reached else None
    result.target_reached = bool(reached)
    result.sent, result.acknowledged, result.failed = outcome.sent, outcome.acknowledged, outcome.failed
    result.emergency_stops = outcome.emergency_stops
    result.jobs_suspended = len(outcome.jobs_suspended)
    result.failures = outcome.failed_addresses[:10]
    result.metered_mw_after = samples[-1][1]
    result.max_metered_mw = max(mw for _, mw in samples)
    over = [mw - result.target_mw for t, mw in samples if t > triggered + (result.time_to_target_s or 0)]
    result.max_over_cap_mw = max([0.0, *over])
    with controller.store.read() as session:
        rows = repo.decisions_of(session, controller.site_id)
        result.decisions = [(r.interval_start_utc.isoformat(), r.decision["kind"], r.state) for r in rows]
        result.alerts = [f"{a.kind}: {a.message}" for a in journal.alerts_of(session, controller.site_id)]
    return result


def _line(report: StepReport) -> str:
    o = report.outcome
    modes = f" safe modes: {', '.join(report.safe_modes)}" if report.safe_modes else ""
    return (
        f"{report.at_utc:%H:%M:%S} {report.kind:<10} cap {report.cap_mw:.3f} MW, "
        f"plan {report.plan.planned_mw:.3f} MW; "
        f"commands {o.sent} sent / {o.acknowledged} acknowledged / {o.failed} failed; "
        f"jobs paused {len(o.jobs_suspended)}, resumed {len(o.jobs_resumed)}; "
        f"measured {o.measured_mw_before:.3f} → {o.measured_mw_after:.3f} MW{modes}"
    )


def _demo_prices(scenario: Scenario) -> TimeSeries:
    return generate_rt_prices(
        SyntheticSpec(), scenario.start_utc, scenario.end_utc, STEP_S, scenario.site.timezone
    )
