"""Build a running controller from a :class:`ControlConfig`: scenario, miners, Slurm, prices, store.

Miners are discovered group by group (each ``[[control.miners]]`` table of the configuration
is one ASIC group of the scenario); the controller then drives all of them as one fleet.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from wattswitch.control.clock import Clock, ReplayClock, WallClock, interval_start
from wattswitch.control.config import ControlConfig
from wattswitch.control.controller import Controller, SafetySettings, StepReport
from wattswitch.control.hashprice import MempoolHashpriceFeed, ReplayHashpriceFeed
from wattswitch.control.live_site import LiveSettings, LiveSite
from wattswitch.control.miner_sending import FleetSettings
from wattswitch.control.nvml import NvmlPowerCaps
from wattswitch.control.prices import GridstatusPriceFeed, ReplayPriceFeed
from wattswitch.control.pyasic_fleet import PyasicFleet
from wattswitch.control.slurm import SlurmCluster, SlurmSettings
from wattswitch.control.system_load import GridstatusSystemLoadFeed, ReplaySystemLoadFeed
from wattswitch.control.targets import make_slots
from wattswitch.data.scenario_file import load_scenario
from wattswitch.dispatch.always_on import AlwaysOnPolicy
from wattswitch.dispatch.mpc import MpcPolicy
from wattswitch.dispatch.threshold import ThresholdPolicy
from wattswitch.errors import EquipmentError, InputError
from wattswitch.model.default_scenario import default_scenario
from wattswitch.model.equipment import (
    GpuCluster,
    GpuPowerCaps,
    HashpriceFeed,
    MinerFleet,
    MinerIdentity,
    PriceFeed,
    SystemLoadFeed,
)
from wattswitch.model.fleet import AsicGroup
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


async def identify_listed(
    fleet: PyasicFleet, groups: dict[str, AsicGroup], group_of: dict[str, str]
) -> dict[str, list[MinerIdentity]]:
    """Identify the fleet's listed miners (silent ones get ``discovery_retries`` more passes) and
    group them.

    A listed address that still does not answer is kept at its group's nameplate: a silent miner
    may well be drawing power, and the budget must count it (it reads as unreachable until it
    answers, and is identified again when a command is sent to it).
    """
    found = {i.address: i for i in await fleet.discover()}
    members: dict[str, list[MinerIdentity]] = {name: [] for name in dict.fromkeys(group_of.values())}
    for address, name in group_of.items():
        identity = found.get(address)
        if identity is None:
            group = groups[name]
            log.warning(
                "miner %s does not answer: budgeted at %s nameplate until it does", address, group.model
            )
            identity = MinerIdentity(address, group.model, "unknown", group.power_w, group.hashrate_th_s)
        members[name].append(identity)
    return members


async def discover_fleet(
    config: ControlConfig, scenario: Scenario, settings: FleetSettings
) -> tuple[PyasicFleet, dict[str, list[MinerIdentity]]]:
    """One fleet over every configured miner, grouped by the scenario's ASIC groups.

    Listed addresses are all kept (see :func:`identify_listed`); a subnet is a scan, so only the
    miners found there count.
    """
    groups = {g.name: g for g in scenario.asic_groups}
    group_of: dict[str, str] = {}
    for entry in config.miners:
        if entry.group not in groups:
            choices = ", ".join(groups)
            raise InputError(
                "control.miners", f"group {entry.group!r} is not in the scenario", expected=choices
            )
        for address in entry.addresses:
            group_of.setdefault(address, entry.group)
        if entry.subnet:
            for identity in await PyasicFleet(subnet=entry.subnet, settings=settings).discover():
                group_of.setdefault(identity.address, entry.group)
    if not group_of:
        raise EquipmentError("no miner answered at any configured address; check the control.miners tables")
    fleet = PyasicFleet(list(group_of), settings=settings)
    members = await identify_listed(fleet, groups, group_of)
    for name, identities in members.items():
        log.info("group %s: %d miner(s)", name, len(identities))
    return fleet, members


def price_feed_and_clock(config: ControlConfig) -> tuple[PriceFeed, Clock]:
    """The configured price feed, and the clock that goes with it (replay time, or the wall clock)."""
    prices = config.prices
    if prices.source == "gridstatus":
        return GridstatusPriceFeed(prices.hub), WallClock()
    feed = ReplayPriceFeed.from_file(prices.file, prices.hub)
    start = prices.replay_start_utc or feed.first_utc
    return feed, ReplayClock(start, prices.replay_speed, prices.replay_anchor_utc)


def system_load_feed(config: ControlConfig) -> SystemLoadFeed | None:
    """The configured system-load feed (None without a ``[control.system_load]`` table)."""
    load = config.system_load
    if load is None:
        return None
    if load.source == "gridstatus":
        return GridstatusSystemLoadFeed()
    return ReplaySystemLoadFeed.from_file(load.file, load.column)


def hashprice_feed(config: ControlConfig) -> HashpriceFeed | None:
    """The configured hashprice feed (None without a ``[control.hashprice]`` table)."""
    hashprice = config.hashprice
    if hashprice is None:
        return None
    if hashprice.source == "mempool":
        return MempoolHashpriceFeed(base_url=hashprice.base_url, refresh_s=hashprice.refresh_s)
    return ReplayHashpriceFeed.from_file(hashprice.file)


def history_origin(now_utc: datetime, scenario: Scenario, *, whole_month: bool) -> datetime:
    """Where the controller's interval count starts: two days back for the policy's price history,
    or the start of the local month when a load feed gives the 4CP watch the month's high so far."""
    origin = interval_start(now_utc, scenario.step_s) - HISTORY
    if not whole_month:
        return origin
    local = now_utc.astimezone(ZoneInfo(scenario.site.timezone))
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return min(origin, interval_start(month_start, scenario.step_s))


def slurm_cluster(config: ControlConfig) -> tuple[GpuCluster | None, int | None]:
    """The Slurm cluster and its node count (None, 0 without a ``[control.slurm]`` table).

    Slurm unreachable at start-up (slurmctld down, a wrong ``slurm_conf``) is what it is mid-run:
    the count is None, and the controller starts in the ``cluster`` safe mode (GPUs budgeted as if
    every preemptible node were busy, no GPU command, an alert at the first step) and counts the
    nodes once Slurm answers."""
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
    try:
        return cluster, len(cluster.nodes())
    except EquipmentError as err:
        log.error("Slurm unreachable at start-up (%s); starting in the cluster safe mode", err)
        return cluster, None


def open_store(database: str, site_name: str) -> tuple[Store, int]:
    """The journal's store (migrated to the latest schema) and the site's id (created if new)."""
    store = Store(database)
    store.upgrade()
    with store.write() as session:
        row = repo.site_by_name(session, site_name) or repo.create_site(
            session, site_name, "created by wattswitch control", None
        )
        return store, row.id


def gpu_caps_by_node(caps: NvmlPowerCaps, host: str | None = None) -> dict[str, GpuPowerCaps]:
    """NVML caps the GPUs of the host it runs on: they are the Slurm node named as the host (its
    short name). Without a driver or GPUs nothing is mapped and every node's caps are modelled."""
    if caps.modelled:
        return {}
    name = (host or socket.gethostname()).split(".")[0]
    return {name: caps}


@dataclass
class Wired:
    """A controller and what to close when done."""

    controller: Controller
    store: Store
    gpu_caps: NvmlPowerCaps | None = None

    def close(self) -> None:
        """Release the database (and NVML)."""
        self.store.dispose()
        if self.gpu_caps is not None:
            self.gpu_caps.close()


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
    cluster_nodes: int | None = 0,
    live_settings: LiveSettings | None = None,
    safety: SafetySettings | None = None,
    dry_run: bool = False,
    on_step: Callable[[StepReport], None] | None = None,
    system_load: SystemLoadFeed | None = None,
    hashprice: HashpriceFeed | None = None,
    gpu_caps: dict[str, GpuPowerCaps] | None = None,
) -> Wired:
    """Put the pieces together (the real ones in :func:`wire`; the demo and tests pass fakes).

    ``gpu_caps``: power-cap adapters by Slurm node name; nodes without one are modelled."""
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
        origin_utc=history_origin(clock.now(), scenario, whole_month=system_load is not None),
        system_load=system_load,
        hashprice=hashprice,
        gpu_caps=gpu_caps,
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
    settings = io.fleet_settings()
    fleet, members = await discover_fleet(config, scenario, settings)
    prices, clock = price_feed_and_clock(config)
    cluster, nodes = slurm_cluster(config)
    caps = NvmlPowerCaps()  # said once at start: real caps, or modelled and why
    by_node = gpu_caps_by_node(caps)
    where = f" on node {', '.join(by_node)}; other nodes modelled" if by_node else ""
    log.warning("GPU power caps: %s%s", caps.describe(), where)
    try:
        wired = assemble(
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
            system_load=system_load_feed(config),
            hashprice=hashprice_feed(config),
            gpu_caps=by_node,
        )
    except BaseException:
        caps.close()
        raise
    wired.gpu_caps = caps
    return wired
