"""The live body: reads equipment and feeds into an :class:`Observation`, and applies a plan safely.

``read`` gathers one consistent picture (miner telemetry, Slurm jobs and nodes, the latest price)
and notes what failed instead of raising. ``observation`` builds exactly what the simulator hands
a policy — history strictly before the interval, caps in force — so a backtested policy runs here
unchanged. ``apply`` moves the site to a plan without ever exceeding the cap on the way:

1. the GPU half is planned (:mod:`control.gpu_half`): the plan's training budget in watts, met
   by one uniform cap on the on-demand pool's GPUs, then by suspending preemptible jobs;
2. reductions first (stop / lower miners, lower GPU caps, suspend jobs), concurrently;
3. measure (miners metered; GPUs by NVML where real, else modelled); if a miner lied or failed
   and the site is still over the cap, stop more miners, then suspend more jobs;
4. increases in stages that fit the measured headroom (``stage_mw`` at most per stage): GPU caps
   raised and jobs resumed first, then miners.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from wattswitch.control.gpu_caps import CAP_TOLERANCE, ClusterCaps
from wattswitch.control.gpu_half import GpuPlan, Pool, job_key, plan_gpu_half, pool_of
from wattswitch.control.system_load import load_on_grid
from wattswitch.control.targets import (
    GpuBudget,
    MinerSlot,
    SitePlan,
    commands_for,
    expected_w,
    miner_state,
)
from wattswitch.errors import EquipmentError
from wattswitch.model.equipment import (
    CommandResult,
    GpuCluster,
    GpuJob,
    GpuJobState,
    GpuNode,
    GpuPowerCaps,
    HashpriceFeed,
    LoadPoint,
    MinerCommand,
    MinerFleet,
    MinerTelemetry,
    PriceFeed,
    PricePoint,
    SystemLoadFeed,
)
from wattswitch.model.observation import Observation, PastView
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_model import SiteModel
from wattswitch.scheduling.power import ClusterPowerModel, decision_budget_w

TOLERANCE_MW = 1e-6
LOAD_KEPT = timedelta(days=33)  # system load values older than this are dropped


@dataclass(frozen=True)
class LiveSettings:
    """Knobs of the live body (see docs/control.md)."""

    margin_mw: float = 0.0  # plan this far below the cap
    stage_mw: float = math.inf  # at most this much added per ramp-up stage
    max_stages: int = 20
    lookahead_h: float = 48.0  # how far ahead calendars and caps are laid out for policies
    inference_load_fraction: float = 0.5  # inference demand share (not metered live yet: modelled)
    hashprice_usd_per_ph_day: float = 50.0  # used until a hashprice feed gives a value (or without one)
    emergency_rounds: int = 3


@dataclass(frozen=True)
class Reading:
    """One picture of the site; ``*_error`` says what could not be read."""

    telemetry: tuple[MinerTelemetry, ...]
    jobs: tuple[GpuJob, ...] | None
    price: PricePoint | None
    price_error: str | None = None
    cluster_error: str | None = None
    load_error: str | None = None
    hashprice_error: str | None = None
    nodes: tuple[GpuNode, ...] | None = None  # read with the jobs (None when they were not)

    @property
    def reachable_share(self) -> float:
        """Share of miners that answered."""
        if not self.telemetry:
            return 1.0
        return sum(t.reachable for t in self.telemetry) / len(self.telemetry)


@dataclass
class Outcome:
    """What applying one plan did; stored with the decision in the journal."""

    sent: int = 0
    acknowledged: int = 0
    failed: int = 0
    failed_addresses: list[str] = field(default_factory=list)
    jobs_suspended: list[str] = field(default_factory=list)
    jobs_resumed: list[str] = field(default_factory=list)
    job_errors: list[str] = field(default_factory=list)
    gpu_budget_w: float | None = None  # the on-demand training budget (None: unlimited or no GPU half)
    gpu_cap_fraction: float | None = None  # the pool's uniform cap, as plan_power gave it
    gpus_paused: int = 0  # preemptible GPUs left paused by the plan
    gpu_cap_nodes: list[str] = field(default_factory=list)  # nodes whose caps were changed
    gpu_cap_errors: list[str] = field(default_factory=list)
    gpu_mw_after: float = 0.0  # GPU facility MW measured at the end
    measured_mw_before: float = 0.0
    measured_mw_after: float = 0.0
    max_measured_mw: float = 0.0  # highest load measured once reductions were through
    cap_mw: float = 0.0
    stages: int = 0
    emergency_stops: int = 0
    dry_run: bool = False
    ack_s: float = 0.0  # from the start of apply to the last reduction acknowledged
    acked_at_loop_s: float = 0.0  # the same instant on the event loop's monotonic clock (not journaled)

    def add(self, results: Sequence[CommandResult]) -> None:
        """Count a batch of command results."""
        self.sent += len(results)
        for r in results:
            if r.ok:
                self.acknowledged += 1
            else:
                self.failed += 1
                if len(self.failed_addresses) < 50:
                    self.failed_addresses.append(f"{r.command.address} {r.command.action}: {r.error}")

    def plain(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {
            k: (round(v, 6) if isinstance(v, float) else v)
            for k, v in self.__dict__.items()
            if k != "acked_at_loop_s"
        }


class LiveSite:
    """The same observe → apply interface as the simulated site, against real equipment."""

    def __init__(
        self,
        scenario: Scenario,
        site: SiteModel,
        slots: Sequence[MinerSlot],
        fleet: MinerFleet,
        prices: PriceFeed,
        *,
        cluster: GpuCluster | None = None,
        cluster_nodes: int | None = 0,
        settings: LiveSettings | None = None,
        origin_utc: datetime,
        system_load: SystemLoadFeed | None = None,
        hashprice: HashpriceFeed | None = None,
        gpu_caps: Mapping[str, GpuPowerCaps] | None = None,
    ) -> None:
        self.scenario = scenario
        self.site = site
        self.slots = tuple(slots)
        self.fleet = fleet
        self.prices = prices
        self.system_load = system_load
        self.hashprice = hashprice
        self.cluster = cluster
        self.settings = settings or LiveSettings()
        self.origin_utc = origin_utc
        self.step = timedelta(seconds=site.step_s)
        fraction = self.settings.inference_load_fraction
        # Slurm unreachable at start-up (cluster_nodes None): the scenario's training pool stands
        # in for the cluster (all of it budgeted busy while Slurm is unreachable) until Slurm answers
        self._count_nodes = cluster is not None and cluster_nodes is None
        nodes = math.ceil(site.training_pool_nodes) if cluster_nodes is None else cluster_nodes
        self.gpu = GpuBudget(
            fixed_mw=float(site.must_serve_mw(fraction))
            + float(site.training_available_nodes(fraction)) * site.training_node_idle_mw,
            per_training_node_mw=site.training_node_busy_mw - site.training_node_idle_mw,
            cluster_nodes=nodes if cluster is not None else 0,
        )
        queue = scenario.training_queue
        group = scenario.gpu_group(queue.gpu_group) if queue is not None else None
        # the on-demand pool's hardware: the same power model the simulator's cluster uses
        self.power_model = ClusterPowerModel(group) if group is not None else None
        self.pool_pue = scenario.site.zone(group.cooling_zone).pue if group is not None else 1.0
        self.caps = ClusterCaps(
            gpu_caps,
            modelled_gpu_w=self.power_model.dynamic_w_per_gpu if self.power_model else 0.0,
            min_fraction=self.power_model.min_cap if self.power_model else 0.0,
        )
        self._prices_by_t: dict[int, float] = {}
        self._load_points: dict[tuple[datetime, datetime], float] = {}
        self._load_error: str | None = None
        self._hashprice_usd_per_ph_day = self.settings.hashprice_usd_per_ph_day
        self._hashprice_error: str | None = None
        self._telemetry: tuple[MinerTelemetry, ...] | None = None
        self._calendar: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))

    # --- reading ---------------------------------------------------------------------------------

    def prime(self, now_utc: datetime) -> int:
        """Load the feeds' recent past (a policy starting live gets a past as in a backtest):
        prices, the system load and the hashprice; returns how many prices were loaded. A failing
        feed loads nothing (the first step then raises its alert)."""
        self.read_system_load(now_utc)
        self.read_hashprice(now_utc)
        try:
            points = self.prices.history(self.origin_utc, now_utc)
        except EquipmentError:
            return 0
        for p in points:
            self._prices_by_t[self.index(p.interval_start_utc)] = p.price_usd_per_mwh
        return len(points)

    def read_system_load(self, now_utc: datetime) -> str | None:
        """Add the system load values ended since the last read; returns the error, if any."""
        if self.system_load is None:
            return None
        since = max((end for _, end in self._load_points), default=self.origin_utc)
        try:
            points: list[LoadPoint] = self.system_load.history(since, now_utc)
        except EquipmentError as err:
            return str(err)
        for p in points:
            self._load_points[(p.interval_start_utc, p.interval_end_utc)] = p.load_mw
        keep_from = now_utc - LOAD_KEPT  # the month's high needs a month, mpc's shape yesterday
        for key in [k for k in self._load_points if k[1] < keep_from]:
            del self._load_points[key]
        return None

    async def read(self, now_utc: datetime, *, fleet: bool = True) -> Reading:
        """Telemetry, jobs and the latest price; failures are noted, never raised.

        ``fleet=False`` reuses the miners' last known state (kept current by ``apply``) instead of
        reading them all: a demand-response step then starts sending stops at once.
        """
        if fleet or self._telemetry is None:
            self._telemetry = tuple(await self.read_fleet())
        telemetry = self._telemetry
        jobs: tuple[GpuJob, ...] | None = None
        nodes: tuple[GpuNode, ...] | None = None
        cluster_error = None
        if self.cluster is not None:
            try:
                jobs = tuple(await asyncio.to_thread(self.cluster.jobs))
                nodes = tuple(await asyncio.to_thread(self.cluster.nodes))
                self._fit_model(nodes)
                if self._count_nodes:
                    self.gpu = replace(self.gpu, cluster_nodes=len(nodes))
                    self._count_nodes = False
            except EquipmentError as err:
                jobs, nodes, cluster_error = None, None, str(err)
        price, price_error = None, None
        try:
            price = self.prices.latest(now_utc)
        except EquipmentError as err:
            price_error = str(err)
        if price is not None:
            self._prices_by_t[self.index(price.interval_start_utc)] = price.price_usd_per_mwh
        if fleet:  # a grid-event step skips the slow feeds: it only re-plans under the event's cap
            self._load_error = await asyncio.to_thread(self.read_system_load, now_utc)
            self._hashprice_error = await asyncio.to_thread(self.read_hashprice, now_utc)
        return Reading(
            telemetry,
            jobs,
            price,
            price_error,
            cluster_error,
            self._load_error,
            self._hashprice_error,
            nodes,
        )

    def _fit_model(self, nodes: Sequence[GpuNode]) -> None:
        """One real node stands for one scenario node: a busy GPU's watts follow the real GPU count
        (the most common one, if the nodes differ)."""
        counts = [n.gpu_count for n in nodes if n.gpu_count > 0]
        model = self.power_model
        if not counts or model is None:
            return
        count = Counter(counts).most_common(1)[0][0]
        if count != model.group.gpus_per_node:
            self.power_model = ClusterPowerModel(replace(model.group, gpus_per_node=count))

    def read_hashprice(self, now_utc: datetime) -> str | None:
        """Follow the hashprice feed (the last known value stays on failure); returns the error."""
        if self.hashprice is None:
            return None
        try:
            point = self.hashprice.latest(now_utc)
        except EquipmentError as err:
            return str(err)
        if point is not None:
            self._hashprice_usd_per_ph_day = point.usd_per_ph_day
        return None

    @property
    def hashprice_usd_per_ph_day(self) -> float:
        """The hashprice decisions use: the feed's last value, else the configured one."""
        return self._hashprice_usd_per_ph_day

    async def read_fleet(self) -> list[MinerTelemetry]:
        """One reading per slot, in slot order (a miner the fleet did not report is unreachable)."""
        by_address = {t.address: t for t in await self.fleet.read()}
        return [
            by_address.get(s.identity.address)
            or MinerTelemetry(s.identity.address, False, error="no reading from the fleet")
            for s in self.slots
        ]

    def index(self, interval_start_utc: datetime) -> int:
        """Interval number counted from the controller's origin."""
        return int((interval_start_utc - self.origin_utc) // self.step)

    def measured_mw(
        self,
        telemetry: Sequence[MinerTelemetry],
        jobs: Sequence[GpuJob] | None,
        nodes: Sequence[GpuNode] | None,
    ) -> float:
        """Facility MW now: metered miners (unreachable ones at nameplate) plus the GPU load."""
        total_w = 0.0
        for slot, t in zip(self.slots, telemetry, strict=True):
            watts = t.power_w if t.reachable else slot.identity.nameplate_power_w
            total_w += watts * slot.pue
        return total_w / 1e6 + self.gpu_mw(jobs, nodes)

    def gpu_mw(self, jobs: Sequence[GpuJob] | None, nodes: Sequence[GpuNode] | None) -> float:
        """GPU facility MW now: must-serve and idle nodes (modelled) plus the on-demand pool's draw.

        The pool is measured by NVML where its GPUs are real (each GPU's draw over its full power,
        times a busy GPU's dynamic watts: an idle GPU's few watts count too, erring high), else
        modelled from Slurm's busy GPUs and the caps in force. Preemptible jobs on a tenant's node
        run uncapped. Without Slurm's picture every node counts as busy and uncapped.
        """
        model = self.power_model
        if jobs is None or nodes is None or model is None:
            running = self.gpu.cluster_nodes if jobs is None else self.running_training_nodes(jobs)
            return self.gpu.load_mw(running)
        pool = pool_of(jobs, nodes)
        gpus_of = {n.name: n.gpu_count for n in nodes}
        gpu_shares = float(pool.shared_running_gpus)  # in busy GPUs at full power
        for node in pool.nodes:
            busy = pool.busy_gpus(node)
            try:
                measured = self.caps.measured_share(node, gpus_of[node])
                share = busy * self.caps.fraction(node, gpus_of[node]) if measured is None else measured
            except EquipmentError:
                share = busy  # caps unreadable: at full power
            gpu_shares += share
        return self.gpu.fixed_mw + gpu_shares * model.dynamic_w_per_gpu * self.pool_pue / 1e6

    def gpu_demand(self, jobs: Sequence[GpuJob] | None) -> GpuBudget:
        """The GPU budget with what the preemptible jobs (running or paused) would draw uncapped."""
        model = self.power_model
        if jobs is None or model is None:
            return replace(self.gpu, demand_nodes=math.inf)
        gpus = sum(j.gpu_count for j in jobs if j.preemptible and j.state in ("running", "suspended"))
        return replace(self.gpu, demand_nodes=gpus / model.group.gpus_per_node)

    def plan_gpu(
        self, training_nodes: float, jobs: Sequence[GpuJob] | None, nodes: Sequence[GpuNode] | None
    ) -> tuple[GpuPlan, Pool] | None:
        """The GPU half for a plan's ``training_nodes`` (None without a readable cluster or a pool).

        The budget is the simulator's formula (:func:`decision_budget_w`) over the pool's nodes up;
        :func:`plan_gpu_half` meets it with ``plan_power``.
        """
        model = self.power_model
        if self.cluster is None or jobs is None or nodes is None or model is None:
            return None
        pool = pool_of(jobs, nodes)
        gpus_of = {n.name: n.gpu_count for n in nodes}
        floor = 0.0
        for node in pool.nodes:
            try:
                floor = max(floor, self.caps.floor(node, gpus_of[node]))
            except EquipmentError:
                continue  # its caps are unreadable: they stay as they are (see set_caps)
        # MW arithmetic leaves 2 nodes as 1.9999999998: snapped (at most µW), or a GPU would pause
        snapped = training_nodes if math.isinf(training_nodes) else round(training_nodes, 9)
        budget_w = decision_budget_w(model, len(pool.nodes), snapped)
        return plan_gpu_half(model, budget_w, pool, cap_floor=floor), pool

    def running_training_nodes(self, jobs: Sequence[GpuJob] | None) -> int:
        """Nodes busy with preemptible jobs (all of them, when the cluster cannot be read)."""
        if jobs is None:
            return self.gpu.cluster_nodes
        nodes = {n for j in jobs if j.preemptible and j.state == "running" for n in j.nodes}
        return len(nodes)

    # --- observing -------------------------------------------------------------------------------

    def observation(
        self, interval_start_utc: datetime, reading: Reading, caps: Sequence[tuple[datetime, datetime, float]]
    ) -> Observation:
        """What a policy may know when deciding the interval that starts at ``interval_start_utc``."""
        t = self.index(interval_start_utc)
        horizon = t + max(1, int(self.settings.lookahead_h * 3600 / self.site.step_s))
        rt = np.full(horizon, np.nan)
        for k, price in self._prices_by_t.items():
            if 0 <= k < t:
                rt[k] = price
        rt[:t] = _forward_filled(rt[:t])
        fraction = self.settings.inference_load_fraction
        inference = np.full(horizon, fraction)
        local_hour, local_month = self._calendar_for(horizon)
        on_fraction = self._on_fraction(reading.telemetry)
        backlog = self._backlog_node_hours(reading.jobs)
        return Observation(
            t=t,
            interval_start_utc=interval_start_utc,
            step_s=self.site.step_s,
            rt_price_usd_per_mwh=PastView(rt, t, "rt_price_usd_per_mwh"),
            system_load_mw=self._system_load_view(t, horizon),
            da_price_usd_per_mwh=PastView(np.full(horizon, np.nan), t, "da_price_usd_per_mwh"),
            hashprice_usd_per_ph_day=self._hashprice_usd_per_ph_day,
            inference_load_fraction=PastView(inference, t, "inference_load_fraction"),
            must_serve_gpu_mw_last=float(self.site.must_serve_mw(fraction)),
            training_available_nodes_last=float(self.site.training_available_nodes(fraction)),
            training_backlog_node_hours=backlog,
            asic_on_fraction=on_fraction,
            power_cap_mw=self.cap_series(horizon, caps),
            local_hour=local_hour,
            local_month=local_month,
        )

    def _system_load_view(self, t: int, horizon: int) -> PastView:
        """The system load up to the last interval wholly ended before ``t`` (NaN without a feed)."""
        points = (
            LoadPoint(start, end, load)
            for (start, end), load in self._load_points.items()
            if end <= self.origin_utc + t * self.step
        )
        load = load_on_grid(points, self.origin_utc, self.site.step_s, horizon)
        known = np.flatnonzero(~np.isnan(load[:t]))
        return PastView(load, int(known[-1]) + 1 if known.size else 0, "system_load_mw")

    def cap_series(self, horizon: int, caps: Sequence[tuple[datetime, datetime, float]]) -> np.ndarray:
        """The site limit per interval, lowered where a grid event's cap is in force."""
        series = np.full(horizon, self.site.interconnect_limit_mw)
        for start, end, cap_mw in caps:
            first = max(0, self.index(start))
            last = min(horizon, self.index(end - timedelta(microseconds=1)) + 1)
            if first < last:
                series[first:last] = np.minimum(series[first:last], cap_mw)
        return series

    def _calendar_for(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self._calendar[0]) < horizon:
            size = max(horizon, 2 * len(self._calendar[0]))
            starts = pd.date_range(self.origin_utc, periods=size, freq=self.step).tz_convert(
                self.scenario.site.timezone
            )
            self._calendar = (starts.hour.to_numpy(), starts.month.to_numpy())
        return self._calendar[0][:horizon], self._calendar[1][:horizon]

    def _on_fraction(self, telemetry: Sequence[MinerTelemetry]) -> tuple[float, ...]:
        on = np.zeros(self.site.asic_count)
        count = np.zeros(self.site.asic_count)
        for slot, t in zip(self.slots, telemetry, strict=True):
            count[slot.group] += 1
            on[slot.group] += miner_state(t, slot.identity) != "off"
        return tuple(np.where(count > 0, on / np.maximum(count, 1), 0.0).tolist())

    def _backlog_node_hours(self, jobs: Sequence[GpuJob] | None) -> float:
        """Preemptible work waiting or paused, as node-hours of one interval per job node."""
        if jobs is None or self.gpu.cluster_nodes == 0:
            return 0.0
        waiting = sum(
            max(1, len(j.nodes))
            for j in jobs
            if j.preemptible and j.state in ("pending", "suspended", "running")
        )
        scale = self.site.training_pool_nodes / self.gpu.cluster_nodes
        return waiting * scale * self.site.step_h

    # --- applying --------------------------------------------------------------------------------

    async def apply(self, plan: SitePlan, reading: Reading, *, dry_run: bool = False) -> Outcome:
        """Move the site to ``plan``: the GPU half planned, reductions, confirmation, emergency
        stops, staged increases."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome = Outcome(cap_mw=plan.cap_mw, dry_run=dry_run)
        telemetry = list(reading.telemetry)
        jobs = None if reading.jobs is None else list(reading.jobs)
        nodes = reading.nodes
        outcome.measured_mw_before = self.measured_mw(telemetry, jobs, nodes)
        reductions, increases = commands_for(plan, self.slots, telemetry)
        planned = self.plan_gpu(plan.training_nodes, jobs, nodes)
        cap = 1.0
        suspend: list[str] = []
        resume: list[str] = []
        lower: list[str] = []
        raise_: list[str] = []
        restore: list[str] = []
        if planned is not None and nodes is not None:
            gpu_plan, pool = planned
            cap = gpu_plan.cap_fraction
            suspend, resume = list(gpu_plan.suspend), list(gpu_plan.resume)
            lower, raise_, restore = self._cap_moves(cap, pool, nodes)
            outcome.gpu_budget_w = None if math.isinf(gpu_plan.budget_w) else gpu_plan.budget_w
            outcome.gpu_cap_fraction = cap
            outcome.gpus_paused = gpu_plan.paused_gpus
        if dry_run:
            outcome.sent = len(reductions) + len(increases)
            outcome.jobs_suspended, outcome.jobs_resumed = suspend, resume
            outcome.gpu_cap_nodes = sorted(lower + raise_ + restore)
            outcome.measured_mw_after = outcome.max_measured_mw = outcome.measured_mw_before
            outcome.gpu_mw_after = self.gpu_mw(jobs, nodes)
            return outcome

        # restoring a tenant's node is no increase: its GPUs are budgeted at full power already
        cap_cuts = [(n, cap) for n in lower] + [(n, 1.0) for n in restore]
        results, suspended, _ = await asyncio.gather(
            self.fleet.send(reductions),
            self._jobs("suspend", suspend, outcome),
            self._set_caps(cap_cuts, nodes, outcome),
        )
        outcome.add(results)
        outcome.jobs_suspended = suspended
        _set_state(jobs, suspended, "suspended")
        outcome.acked_at_loop_s = loop.time()
        outcome.ack_s = outcome.acked_at_loop_s - started
        telemetry = await self.read_fleet()
        measured = self._track(outcome, telemetry, jobs, nodes)

        for _ in range(self.settings.emergency_rounds):
            if measured <= plan.cap_mw + TOLERANCE_MW:
                break
            stops = self._emergency_stops(telemetry, measured - plan.cap_mw)
            if not stops:
                break
            outcome.emergency_stops += len(stops)
            outcome.add(await self.fleet.send(stops))
            telemetry = await self.read_fleet()
            measured = self._track(outcome, telemetry, jobs, nodes)
        if measured > plan.cap_mw + TOLERANCE_MW:  # miners could not shed enough: pause more AI
            extra = self._emergency_suspensions(jobs, measured - plan.cap_mw, cap)
            paused = await self._jobs("suspend", extra, outcome)
            outcome.jobs_suspended.extend(paused)
            _set_state(jobs, paused, "suspended")
            measured = self._track(outcome, telemetry, jobs, nodes)

        self._telemetry = tuple(telemetry)
        measured = await self._ramp_up(
            plan,
            increases=increases,
            resume=resume,
            raise_caps=raise_,
            cap_fraction=cap,
            telemetry=telemetry,
            jobs=jobs,
            nodes=nodes,
            measured=measured,
            outcome=outcome,
        )
        outcome.measured_mw_after = measured
        outcome.gpu_mw_after = self.gpu_mw(jobs, nodes)
        self._telemetry = tuple(telemetry)
        return outcome

    def _cap_moves(
        self, cap_fraction: float, pool: Pool, nodes: Sequence[GpuNode]
    ) -> tuple[list[str], list[str], list[str]]:
        """Pool nodes to cap lower and higher, and other nodes whose caps must be lifted to full.

        A node outside the pool (a tenant's, or down) is never capped: one left capped (a tenant
        started on it since) is restored at once.
        """
        lower: list[str] = []
        raise_: list[str] = []
        restore: list[str] = []
        in_pool = set(pool.nodes)
        for node in nodes:
            now = self._fraction(node.name, node.gpu_count)
            if node.name not in in_pool:
                if now < 1.0 - CAP_TOLERANCE:
                    restore.append(node.name)
            elif now > cap_fraction + CAP_TOLERANCE:
                lower.append(node.name)
            elif now < cap_fraction - CAP_TOLERANCE:
                raise_.append(node.name)
        return lower, raise_, restore

    def _fraction(self, node: str, gpu_count: int) -> float:
        """The node's cap in force as a fraction of full power (full when unreadable)."""
        try:
            return self.caps.fraction(node, gpu_count)
        except EquipmentError:
            return 1.0

    async def _set_caps(
        self, moves: Sequence[tuple[str, float]], nodes: Sequence[GpuNode] | None, outcome: Outcome
    ) -> list[str]:
        """Cap each node's GPUs at a fraction; failures go to the outcome, never raised."""
        if not moves or nodes is None:
            return []
        gpus_of = {n.name: n.gpu_count for n in nodes}

        def set_all() -> list[str]:
            done: list[str] = []
            for node, fraction in moves:
                try:
                    errors = self.caps.set_fraction(node, gpus_of[node], fraction)
                except EquipmentError as err:
                    errors = [f"cap {node}: {err}"]
                outcome.gpu_cap_errors.extend(errors)
                if not errors:
                    done.append(node)
            return done

        done = await asyncio.to_thread(set_all)
        outcome.gpu_cap_nodes.extend(done)
        return done

    async def _ramp_up(
        self,
        plan: SitePlan,
        *,
        increases: list[MinerCommand],
        resume: list[str],
        raise_caps: list[str],
        cap_fraction: float,
        telemetry: list[MinerTelemetry],
        jobs: list[GpuJob] | None,
        nodes: Sequence[GpuNode] | None,
        measured: float,
        outcome: Outcome,
    ) -> float:
        """Send increases in stages, each fitting the measured headroom (GPU caps raised and jobs
        resumed first, then miners); returns the last measurement."""
        slot_of = {s.identity.address: s for s in self.slots}
        pending = _grouped_by_miner(increases)
        jobs_left = list(resume)
        raises = list(raise_caps)
        gpu_w = self.power_model.dynamic_w_per_gpu if self.power_model else 0.0
        gpu_mw = gpu_w * self.pool_pue / 1e6  # one busy GPU at full power, facility MW
        gpus_of = {n.name: n.gpu_count for n in nodes or ()}
        while (pending or jobs_left or raises) and outcome.stages < self.settings.max_stages:
            headroom = min(plan.cap_mw - self.settings.margin_mw - measured, self.settings.stage_mw)
            pool = pool_of(jobs or (), nodes or ())
            job_gpus = {j.job_id: j.gpus for j in pool.jobs}
            added = 0.0
            batch_caps: list[tuple[str, float]] = []
            for node in list(raises):
                now = self._fraction(node, gpus_of[node])
                extra = pool.busy_gpus(node) * gpu_mw * max(0.0, cap_fraction - now)
                if added + extra > headroom + TOLERANCE_MW:
                    continue
                added += extra
                batch_caps.append((node, cap_fraction))
                raises.remove(node)
            batch_jobs: list[str] = []
            for job in list(jobs_left):
                extra = job_gpus.get(job, 0) * gpu_mw * cap_fraction
                if added + extra > headroom + TOLERANCE_MW:
                    break
                added += extra
                batch_jobs.append(job)
                jobs_left.remove(job)
            watts_now = {t.address: t.power_w for t in telemetry if t.reachable}
            batch: list[MinerCommand] = []
            for address in list(pending):
                slot = slot_of[address]
                target_w = _target_w(pending[address], slot)
                now_w = watts_now.get(address, 0.0)
                extra = max(0.0, target_w - now_w) * slot.pue / 1e6
                if added + extra > headroom + TOLERANCE_MW:
                    continue
                added += extra
                batch.extend(pending.pop(address))
            if not batch and not batch_jobs and not batch_caps:
                break
            outcome.stages += 1
            results, resumed, _ = await asyncio.gather(
                self.fleet.send(batch),
                self._jobs("resume", batch_jobs, outcome),
                self._set_caps(batch_caps, nodes, outcome),
            )
            outcome.add(results)
            outcome.jobs_resumed.extend(resumed)
            _set_state(jobs, resumed, "running")
            telemetry[:] = await self.read_fleet()
            measured = self._track(outcome, telemetry, jobs, nodes)
        return measured

    def _track(
        self,
        outcome: Outcome,
        telemetry: Sequence[MinerTelemetry],
        jobs: Sequence[GpuJob] | None,
        nodes: Sequence[GpuNode] | None,
    ) -> float:
        measured = self.measured_mw(telemetry, jobs, nodes)
        outcome.max_measured_mw = max(outcome.max_measured_mw, measured)
        return measured

    def _emergency_stops(self, telemetry: Sequence[MinerTelemetry], excess_mw: float) -> list[MinerCommand]:
        """Stop still-drawing miners (least efficient group first) until ``excess_mw`` is covered."""
        order = {int(g): rank for rank, g in enumerate(np.asarray(self.site.shed_order).tolist())}
        candidates = sorted(
            (
                (order[s.group], s, t)
                for s, t in zip(self.slots, telemetry, strict=True)
                if t.reachable and not t.curtailed(s.identity)
            ),
            key=lambda item: (item[0], -item[2].power_w),
        )
        stops: list[MinerCommand] = []
        for _, slot, t in candidates:
            if excess_mw <= 0:
                break
            share = float(self.site.asic_low_power_fraction[slot.group])
            excess_mw -= (t.power_w - expected_w(slot, "off", share, None)) * slot.pue / 1e6
            stops.append(MinerCommand(slot.identity.address, "stop"))
        return stops

    def _emergency_suspensions(
        self, jobs: Sequence[GpuJob] | None, excess_mw: float, cap_fraction: float
    ) -> list[str]:
        """Running preemptible jobs (newest first) whose pause covers ``excess_mw``."""
        if jobs is None or self.cluster is None:
            return []
        candidates = sorted(
            (j for j in jobs if j.preemptible and j.state == "running"),
            key=lambda j: job_key(j.job_id),
            reverse=True,
        )
        model = self.power_model
        chosen: list[str] = []
        for job in candidates:
            if excess_mw <= 0:
                break
            chosen.append(job.job_id)
            if model is None:
                excess_mw -= max(1, len(job.nodes)) * self.gpu.per_training_node_mw
            else:
                excess_mw -= job.gpu_count * model.dynamic_w_per_gpu * cap_fraction * self.pool_pue / 1e6
        return chosen

    async def _jobs(self, action: str, job_ids: Sequence[str], outcome: Outcome) -> list[str]:
        """Suspend (one call for all) or resume jobs; failures go to the outcome, never raised."""
        cluster = self.cluster
        if cluster is None or not job_ids:
            return []
        if action == "suspend":
            try:
                failed = await asyncio.to_thread(cluster.suspend_many, list(job_ids))
            except EquipmentError as err:
                failed = dict.fromkeys(job_ids, str(err))
            outcome.job_errors.extend(f"suspend {job}: {why}" for job, why in failed.items())
            return [job for job in job_ids if job not in failed]
        done: list[str] = []
        for job_id in job_ids:
            try:
                await asyncio.to_thread(cluster.resume, job_id)
                done.append(job_id)
            except EquipmentError as err:
                outcome.job_errors.append(f"resume {job_id}: {err}")
        return done


def _forward_filled(values: np.ndarray) -> np.ndarray:
    """Gaps take the last known value (leading gaps stay NaN), as the simulator bridges them."""
    if values.size == 0:
        return values
    known = ~np.isnan(values)
    positions = np.where(known, np.arange(values.size), -1)
    np.maximum.accumulate(positions, out=positions)
    return np.where(positions >= 0, values[np.maximum(positions, 0)], np.nan)


def _grouped_by_miner(commands: Sequence[MinerCommand]) -> dict[str, list[MinerCommand]]:
    grouped: dict[str, list[MinerCommand]] = {}
    for c in commands:
        grouped.setdefault(c.address, []).append(c)
    return grouped


def _target_w(commands: Sequence[MinerCommand], slot: MinerSlot) -> float:
    """What a miner will draw once its increase commands are through (IT watts)."""
    limits = [c.power_limit_w for c in commands if c.power_limit_w is not None]
    if limits:
        return min(limits[-1], slot.identity.nameplate_power_w)
    return slot.identity.nameplate_power_w


def _set_state(jobs: list[GpuJob] | None, job_ids: Sequence[str], state: GpuJobState) -> None:
    """Note in the local picture of the jobs what a command did (Slurm is not read again)."""
    if jobs is None or not job_ids:
        return
    wanted = set(job_ids)
    jobs[:] = [replace(j, state=state) if j.job_id in wanted else j for j in jobs]
