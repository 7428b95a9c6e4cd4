"""Build a running controller from a :class:`ControlConfig`: scenario, miners, Slurm, prices, store.

Miners are discovered group by group (each ``[[control.miners]]`` table of the configuration
is one ASIC group of the scenario); the controller then drives all of them as one fleet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from wattswitch.control.clock import Clock, ReplayClock, WallClock, interval_start
from wattswitch.control.config import ControlConfig
from wattswitch.control.controller import Controller, SafetySettings, StepReport
from wattswitch.control.live_site import LiveSettings, LiveSite
from wattswitch.control.miner_sending import FleetSettings
from wattswitch.control.prices import GridstatusPriceFeed, ReplayPriceFeed
from wattswitch.control.pyasic_fleet import PyasicFleet
from wattswitch.control.slurm import SlurmCluster, SlurmSettings
from wattswitch.control.targets import make_slots
from wattswitch.data.scenario_file import load_scenario
from wattswitch.dispatch.always_on import AlwaysOnPolicy
from wattswitch.dispatch.mpc import MpcPolicy
from wattswitch.dispatch.threshold import ThresholdPolicy
from wattswitch.errors import EquipmentError, InputError
from wattswitch.model.default_scenario import default_scenario
from wattswitch.model.equipment import GpuCluster, MinerFleet, MinerIdentity, PriceFeed
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_model import SiteModel, site_model
from wattswitch.sim.engine import Policy
from wattswitch.store import repo
from wattswitch.store.db import Store

log = logging.getLogger("wattswitch.control")
HISTORY = timedelta(days=2)  # how much price history the controller loads at start for its policy


def live_policy(name: str, site: SiteModel) -> Policy:
    """A policy that can run live (the oracle cannot: it needs hindsight)."""
    if name == "always-on":
        return AlwaysOnPolicy(site)
    if name == "threshold":
        return ThresholdPolicy(site)
    if name == "mpc":
        return MpcPolicy(site)
    raise InputError("control.policy", f"{name!r} cannot run live", expected="always-on, threshold or mpc")


def config_scenario(config: ControlConfig) -> Scenario:
    """The scenario named by the configuration, or the embedded default one."""
    return load_scenario(config.scenario) if config.scenario else default_scenario()


async def discover_fleet(
    config: ControlConfig, scenario: Scenario, settings: FleetSettings
) -> tuple[PyasicFleet, dict[str, list[MinerIdentity]]]:
    """Discover each group's miners; returns one fleet over them and the group map.

    A *listed* address that does not answer is kept, at the group's nameplate: a silent miner may
    well be drawing power, and the budget must count it (it reads as unreachable until it answers).
    Addresses of a *subnet* are a scan: only the miners found there are kept.
    """
    groups = {g.name: g for g in scenario.asic_groups}
    members: dict[str, list[MinerIdentity]] = {}
    for entry in config.miners:
        if entry.group not in groups:
            choices = ", ".join(groups)
            raise InputError(
                "control.miners", f"group {entry.group!r} is not in the scenario", expected=choices
            )
        group = groups[entry.group]
        found: dict[str, MinerIdentity] = {}
        if entry.addresses:
            found.update(
                {i.address: i for i in await PyasicFleet(entry.addresses, settings=settings).discover()}
            )
            for address in entry.addresses:
                if address not in found:
                    log.warning(
                        "miner %s does not answer: budgeted at %s nameplate until it does",
                        address,
                        group.model,
                    )
                    found[address] = MinerIdentity(
                        address, group.model, "unknown", group.power_w, group.hashrate_th_s
                    )
        if entry.subnet:
            scan = await PyasicFleet(subnet=entry.subnet, settings=settings).discover()
            found.update({i.address: i for i in scan if i.address not in found})
        members.setdefault(entry.group, []).extend(found.values())
        log.info("group %s: %d miner(s)", entry.group, len(found))
    everyone = [i.address for ids in members.values() for i in ids]
    if not everyone:
        raise EquipmentError("no miner answered at any configured address; check the control.miners tables")
    fleet = PyasicFleet(everyone, settings=settings)
    await fleet.discover()
    return fleet, members


def price_feed_and_clock(config: ControlConfig) -> tuple[PriceFeed, Clock]:
    """The configured price feed, and the clock that goes with it (replay time, or the wall clock)."""
    prices = config.prices
    if prices.source == "gridstatus":
        return GridstatusPriceFeed(prices.hub), WallClock()
    feed = ReplayPriceFeed.from_file(prices.file, prices.hub)
    start = prices.replay_start_utc or feed.first_utc
    return feed, ReplayClock(start, prices.replay_speed, prices.replay_anchor_utc)


def slurm_cluster(config: ControlConfig) -> tuple[GpuCluster | None, int]:
    """The Slurm cluster and its node count (None, 0 without a ``[control.slurm]`` table)."""
    if config.slurm is None:
        return None, 0
    partitions = config.slurm.preemptible_partitions
    settings = SlurmSettings(
        slurm_conf=Path(config.slurm.slurm_conf) if config.slurm.slurm_conf else None,
        preemptible_partitions=partitions,
        spot_partition=partitions[0],
        command_timeout_s=config.slurm.command_timeout_s,
    )
    cluster = SlurmCluster(settings)
    return cluster, len(cluster.nodes())


def open_store(database: str, site_name: str) -> tuple[Store, int]:
    """The journal's store (migrated to the latest schema) and the site's id (created if new)."""
    store = Store(database)
    store.upgrade()
    with store.write() as session:
        row = repo.site_by_name(session, site_name) or repo.create_site(
            session, site_name, "created by wattswitch control", None
        )
        return store, row.id


@dataclass
class Wired:
    """A controller and what to close when done."""

    controller: Controller
    store: Store

    def close(self) -> None:
        """Release the database."""
        self.store.dispose()


@dataclass(frozen=True)
class Journal:
    """Where decisions are journaled, under which site name, by which policy."""

    database: str
    site_name: str
    policy: str


def assemble(
    scenario: Scenario,
    fleet: MinerFleet,
    members: dict[str, list[MinerIdentity]],
    journal: Journal,
    *,
    prices: PriceFeed,
    clock: Clock,
    cluster: GpuCluster | None = None,
    cluster_nodes: int = 0,
    live_settings: LiveSettings | None = None,
    safety: SafetySettings | None = None,
    dry_run: bool = False,
    on_step: Callable[[StepReport], None] | None = None,
) -> Wired:
    """Put the pieces together (the real ones in :func:`wire`; the demo and tests pass fakes)."""
    site = site_model(scenario)
    slots = make_slots(scenario, {g: list(ids) for g, ids in members.items()})
    live = LiveSite(
        scenario,
        site,
        slots,
        fleet,
        prices,
        cluster=cluster,
        cluster_nodes=cluster_nodes,
        settings=live_settings,
        origin_utc=interval_start(clock.now(), scenario.step_s) - HISTORY,
    )
    live.prime(clock.now())
    store, site_id = open_store(journal.database, journal.site_name)
    controller = Controller(
        live,
        live_policy(journal.policy, site),
        store,
        site_id,
        clock,
        safety=safety,
        dry_run=dry_run,
        on_step=on_step,
    )
    return Wired(controller, store)


async def wire(
    config: ControlConfig, *, dry_run: bool = False, on_step: Callable[[StepReport], None] | None = None
) -> Wired:
    """Everything real: pyasic miners, Slurm, the configured price feed, the configured store."""
    scenario = config_scenario(config)
    io = config.miner_io
    settings = FleetSettings(io.timeout_s, io.retries, io.backoff_s, io.concurrency)
    fleet, members = await discover_fleet(config, scenario, settings)
    prices, clock = price_feed_and_clock(config)
    cluster, nodes = slurm_cluster(config)
    return assemble(
        scenario,
        fleet,
        members,
        Journal(config.database, config.site_name, config.policy),
        prices=prices,
        clock=clock,
        cluster=cluster,
        cluster_nodes=nodes,
        live_settings=config.live,
        safety=config.safety,
        dry_run=dry_run,
        on_step=on_step,
    )
