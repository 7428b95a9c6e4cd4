"""A scenario reduced to the vectors and constants the dispatch and the simulator compute with.

All powers are facility MW (IT power × the zone's PUE). GPU load is split into what must be
served (reserved tenants, inference) and the flexible training pool, whose nodes draw idle
power when not training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from wattswitch.model.scenario import Scenario
from wattswitch.model.tenants import UptimeSla

LOW_POWER_MODE = "low-power"
NORMAL_MODE = "normal"


@dataclass(frozen=True)
class SiteModel:
    """Static figures of a site, precomputed once per run."""

    step_s: int
    interconnect_limit_mw: float
    asic_names: tuple[str, ...]
    asic_power_mw: np.ndarray
    asic_hashrate_ph_s: np.ndarray
    asic_has_low_mode: np.ndarray
    asic_low_power_fraction: np.ndarray
    asic_low_hashrate_fraction: np.ndarray
    asic_startup_fraction: np.ndarray
    gpu_fixed_mw: float
    reserved_mw: float
    reserved_sla: UptimeSla | None
    inference_mw_at_full: float
    inference_pool_nodes_at_full: float
    inference_usd_per_h_at_full: float
    training_pool_nodes: float
    training_node_busy_mw: float
    training_node_idle_mw: float
    training_usd_per_node_hour: float
    reserved_usd_per_h: float
    reserved_nodes: int
    ppa_block_mw: float
    ppa_price_usd_per_mwh: float
    ppa_resell_unused: bool
    rt_adder_usd_per_mwh: float
    four_cp_usd_per_kw_year: float
    four_cp_months: tuple[int, ...]
    ancillary_capacity_mw: float
    ancillary_usd_per_mw_h: float

    @property
    def step_h(self) -> float:
        """Interval length in hours."""
        return self.step_s / 3600.0

    @property
    def asic_count(self) -> int:
        """Number of ASIC groups."""
        return len(self.asic_names)

    @cached_property
    def shed_order(self) -> np.ndarray:
        """ASIC group indices from least to most efficient (highest J/TH first); computed once."""
        joules_per_th = self.asic_power_mw / np.maximum(self.asic_hashrate_ph_s, 1e-12)
        return np.argsort(-joules_per_th, kind="stable")

    def inference_nodes(self, fraction: np.ndarray | float) -> np.ndarray | float:
        """Training-pool nodes that serve inference at a demand fraction."""
        return self.inference_pool_nodes_at_full * fraction

    def must_serve_mw(self, inference_fraction: np.ndarray | float) -> np.ndarray | float:
        """GPU load no dispatch may touch: reserved tenants, inference, idle nodes outside the pool."""
        return self.gpu_fixed_mw + self.inference_mw_at_full * inference_fraction

    def training_available_nodes(self, inference_fraction: np.ndarray | float) -> np.ndarray | float:
        """Pool nodes not serving inference (they train or idle)."""
        return self.training_pool_nodes - self.inference_pool_nodes_at_full * inference_fraction

    def gpu_load_mw(
        self, inference_fraction: np.ndarray | float, training_nodes: np.ndarray | float
    ) -> np.ndarray | float:
        """All GPU facility load: must-serve, idle pool nodes and training nodes."""
        available = self.training_available_nodes(inference_fraction)
        return (
            self.must_serve_mw(inference_fraction)
            + available * self.training_node_idle_mw
            + training_nodes * (self.training_node_busy_mw - self.training_node_idle_mw)
        )

    def mining_usd_per_mwh(self, hashprice_usd_per_ph_day: float) -> np.ndarray:
        """Revenue per facility MWh of each ASIC group in normal mode."""
        per_mw_day = hashprice_usd_per_ph_day * self.asic_hashrate_ph_s / self.asic_power_mw
        return np.asarray(per_mw_day / 24.0)


def site_model(scenario: Scenario) -> SiteModel:
    """Reduce a scenario to a :class:`SiteModel`."""
    site = scenario.site
    step_s = scenario.step_s
    groups = scenario.asic_groups
    pue = [site.zone(g.cooling_zone).pue for g in groups]
    power_mw = np.array([g.nameplate_power_mw * p for g, p in zip(groups, pue, strict=True)])
    low = [g.mode(LOW_POWER_MODE) if LOW_POWER_MODE in {m.name for m in g.modes} else None for g in groups]

    def node_mw(group_name: str, busy: bool) -> float:
        group = scenario.gpu_group(group_name)
        watts = group.busy_node_power_w if busy else group.idle_node_power_w
        return watts * site.zone(group.cooling_zone).pue / 1e6

    reserved_nodes_by_group: dict[str, int] = {}
    reserved_mw = 0.0
    reserved_usd_per_h = 0.0
    for tenant in scenario.tenants:
        for r in tenant.reservations:
            group = scenario.gpu_group(r.gpu_group)
            reserved_nodes_by_group[group.name] = reserved_nodes_by_group.get(group.name, 0) + r.node_count
            reserved_mw += r.node_count * (
                r.busy_fraction * node_mw(group.name, True)
                + (1 - r.busy_fraction) * node_mw(group.name, False)
            )
            reserved_usd_per_h += r.node_count * group.gpus_per_node * r.price_usd_per_gpu_hour

    queue = scenario.training_queue
    pool_group = queue.gpu_group if queue is not None else None
    fixed_mw = reserved_mw
    for group in scenario.gpu_groups:
        if group.name != pool_group:
            free = group.node_count - reserved_nodes_by_group.get(group.name, 0)
            fixed_mw += free * node_mw(group.name, False)

    inference_mw = 0.0
    inference_pool_nodes = 0.0
    inference_usd_per_h = 0.0
    for service in scenario.inference_services:
        group = scenario.gpu_group(service.gpu_group)
        replicas = math.ceil(service.peak_tokens_per_s / service.tokens_per_s_per_replica)
        nodes = replicas * service.gpus_per_replica / group.gpus_per_node
        inference_usd_per_h += service.peak_tokens_per_s * 3600 * service.price_usd_per_million_tokens / 1e6
        if group.name == pool_group:
            inference_pool_nodes += nodes
            inference_mw += nodes * node_mw(group.name, True)
        else:
            inference_mw += nodes * (node_mw(group.name, True) - node_mw(group.name, False))

    if queue is not None:
        pool = scenario.gpu_group(queue.gpu_group)
        pool_nodes = float(pool.node_count - reserved_nodes_by_group.get(pool.name, 0))
        busy_mw, idle_mw = node_mw(pool.name, True), node_mw(pool.name, False)
        usd_per_node_hour = pool.gpus_per_node * queue.price_usd_per_gpu_hour
    else:
        pool_nodes, busy_mw, idle_mw, usd_per_node_hour = 0.0, 0.0, 0.0, 0.0
    inference_pool_nodes = min(inference_pool_nodes, pool_nodes)

    contract = scenario.contract  # scenario_bounds refused what the engine cannot settle
    ancillary_mw = sum(a.capacity_mw for a in contract.ancillary)
    ancillary_usd = sum(a.capacity_mw * a.price_usd_per_mw_hour for a in contract.ancillary)
    return SiteModel(
        step_s=step_s,
        interconnect_limit_mw=site.interconnect_limit_mw,
        asic_names=tuple(g.name for g in groups),
        asic_power_mw=power_mw,
        asic_hashrate_ph_s=np.array([g.nameplate_hashrate_ph_s for g in groups]),
        asic_has_low_mode=np.array([m is not None for m in low], dtype=bool),
        asic_low_power_fraction=np.array([m.power_fraction if m else 1.0 for m in low]),
        asic_low_hashrate_fraction=np.array([m.hashrate_fraction if m else 1.0 for m in low]),
        asic_startup_fraction=np.array([min(1.0, g.switchover_s / step_s) for g in groups]),
        gpu_fixed_mw=fixed_mw,
        reserved_mw=reserved_mw,
        reserved_sla=next((r.sla for t in scenario.tenants for r in t.reservations), None),
        inference_mw_at_full=inference_mw,
        inference_pool_nodes_at_full=inference_pool_nodes,
        inference_usd_per_h_at_full=inference_usd_per_h,
        training_pool_nodes=pool_nodes,
        training_node_busy_mw=busy_mw,
        training_node_idle_mw=idle_mw,
        training_usd_per_node_hour=usd_per_node_hour,
        reserved_usd_per_h=reserved_usd_per_h,
        reserved_nodes=sum(reserved_nodes_by_group.values()),
        ppa_block_mw=contract.ppa.block_mw if contract.ppa else 0.0,
        ppa_price_usd_per_mwh=contract.ppa.price_usd_per_mwh if contract.ppa else 0.0,
        ppa_resell_unused=contract.ppa.resell_unused if contract.ppa else True,
        rt_adder_usd_per_mwh=contract.real_time.adder_usd_per_mwh,
        four_cp_usd_per_kw_year=contract.four_cp.rate_usd_per_kw_year if contract.four_cp else 0.0,
        four_cp_months=contract.four_cp.months if contract.four_cp else (),
        ancillary_capacity_mw=ancillary_mw,
        ancillary_usd_per_mw_h=ancillary_usd / ancillary_mw if ancillary_mw else 0.0,
    )
