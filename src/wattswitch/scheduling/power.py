"""Power budget of the training cluster: GPU power caps first, then pausing preemptible jobs.

Power model (per node of a :class:`~wattswitch.model.fleet.GpuNodeGroup`): an up node draws
``idle_node_power_w``; each busy GPU adds ``(busy_node_power_w - idle_node_power_w) / gpus_per_node``
times its power-cap fraction. Every running training GPU gets the same cap, and work then
advances at ``group.throughput_fraction(cap)`` (about 0.885 at 70 % power on H100-class parts).

:func:`plan_power` is the pure decision: the highest cap that fits the budget, and if even the
lowest cap on the curve does not fit, how many busy GPUs must be paused. Reserved tenants and
inference are not in the training cluster's budget: their draw is taken off the site's budget
before the cluster sees it (:func:`training_budget_w`), so the scheduler can never touch them.

:func:`budget_from_prices` turns real-time prices into a budget with the site's economics: a GPU
is capped down a segment of the throughput-vs-cap curve when the power that segment saves is
worth more at the spot price than the GPU-hours of work it costs, and paused when even the
lowest cap earns less than its energy costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wattswitch.errors import ModelError
from wattswitch.model.fleet import GpuNodeGroup
from wattswitch.scheduling.views import FloatArray, PowerDecision

TOLERANCE_W = 1e-6
W_PER_MW = 1e6
S_PER_HOUR = 3600.0


@dataclass(frozen=True)
class ClusterPowerModel:
    """Power of ``node_count`` nodes of ``group``'s hardware (the group's own count is ignored)."""

    group: GpuNodeGroup

    @property
    def idle_node_w(self) -> float:
        """Power of an up node with no busy GPU."""
        return self.group.idle_node_power_w

    @property
    def dynamic_w_per_gpu(self) -> float:
        """Extra power of one busy, uncapped GPU over idle."""
        g = self.group
        return (g.busy_node_power_w - g.idle_node_power_w) / g.gpus_per_node

    @property
    def min_cap(self) -> float:
        """Lowest cap on the curve (below it a GPU does no work)."""
        return self.group.min_power_cap_fraction

    def throughput(self, cap_fraction: float) -> float:
        """Work rate at a cap (1.0 uncapped)."""
        return self.group.throughput_fraction(cap_fraction)

    def power_w(self, nodes_up: int, busy_gpus: int, cap_fraction: float) -> float:
        """Draw of ``nodes_up`` nodes with ``busy_gpus`` GPUs running at ``cap_fraction``."""
        return nodes_up * self.idle_node_w + busy_gpus * self.dynamic_w_per_gpu * cap_fraction

    def plan(self, budget_w: float, nodes_up: int, busy_gpus: int) -> PowerDecision:
        """The highest uniform cap that keeps the draw within ``budget_w``, pausing if needed."""
        return plan_power(self, budget_w, nodes_up, busy_gpus)


def plan_power(
    model: ClusterPowerModel, budget_w: float, nodes_up: int, busy_gpus: int
) -> PowerDecision:
    """Meet ``budget_w`` with caps first, then by pausing GPUs (pure function).

    ``max_busy_gpus`` is how many GPUs fit at the lowest cap; ``gpus_to_pause`` the excess.
    The returned ``power_w`` is the draw after pausing, never above the budget when feasible.
    """
    if busy_gpus < 0 or nodes_up < 0:
        raise ModelError("plan_power: counts must be ≥ 0")
    headroom_w = budget_w - nodes_up * model.idle_node_w
    if math.isinf(budget_w):
        return PowerDecision(1.0, 1.0, busy_gpus + 10**12, 0, model.power_w(nodes_up, busy_gpus, 1.0))
    if headroom_w < -TOLERANCE_W:
        return PowerDecision(
            model.min_cap, model.throughput(model.min_cap), 0, busy_gpus,
            model.power_w(nodes_up, 0, 1.0), feasible=False,
        )
    headroom_w = max(headroom_w, 0.0)
    per_gpu_min_w = model.dynamic_w_per_gpu * model.min_cap
    max_busy = math.floor(headroom_w / per_gpu_min_w + 1e-9)
    running = min(busy_gpus, max_busy)
    if running == 0:
        cap = 1.0
    else:
        cap = min(1.0, headroom_w / (model.dynamic_w_per_gpu * running))
        cap = max(cap, model.min_cap)
    power = model.power_w(nodes_up, running, cap)
    if power > budget_w + TOLERANCE_W:  # rounding at the lowest cap: shave one GPU
        running = max(0, running - 1)
        max_busy = running
        power = model.power_w(nodes_up, running, cap)
    return PowerDecision(
        cap_fraction=cap, throughput_fraction=model.throughput(cap), max_busy_gpus=max_busy,
        gpus_to_pause=busy_gpus - running, power_w=power,
    )


def decision_budget_w(model: ClusterPowerModel, pool_nodes: float, training_nodes: float) -> float:
    """A decision's on-demand training budget: ``pool_nodes`` up at idle plus ``training_nodes``
    nodes' worth of busy, uncapped GPUs (``inf`` = unlimited). Both bodies use this one formula.
    """
    if math.isinf(training_nodes):
        return math.inf
    dynamic_w = max(0.0, training_nodes) * model.group.gpus_per_node * model.dynamic_w_per_gpu
    return pool_nodes * model.idle_node_w + dynamic_w


def training_budget_w(site_budget_w: float, reserved_w: float, inference_w: float) -> float:
    """What is left for training after reserved tenants and inference (never negative).

    Reserved tenants and inference at its SLO are served first: the training cluster only ever
    sees the remainder, so no training decision can cut them.
    """
    return max(0.0, site_budget_w - reserved_w - inference_w)


@dataclass(frozen=True)
class PowerBudget:
    """A piecewise-constant budget: ``budget_w[i]`` from ``start_s[i]`` to ``start_s[i+1]``.

    Before ``start_s[0]`` and after the last start the first / last value holds.
    """

    start_s: FloatArray
    budget_w: FloatArray

    def __post_init__(self) -> None:
        if len(self.start_s) != len(self.budget_w) or not len(self.start_s):
            raise ModelError("PowerBudget: start_s and budget_w must be non-empty and equally long")
        if np.any(np.diff(self.start_s) <= 0):
            raise ModelError("PowerBudget: start_s must increase")
        if np.any(~np.isfinite(self.budget_w)) or np.any(self.budget_w < 0):
            raise ModelError("PowerBudget: budgets must be finite and ≥ 0")

    def at(self, t_s: float) -> float:
        """Budget in force at ``t_s``."""
        i = int(np.searchsorted(self.start_s, t_s, side="right")) - 1
        return float(self.budget_w[max(i, 0)])


@dataclass(frozen=True)
class CapEconomics:
    """Per-GPU economics behind :func:`budget_from_prices`.

    ``value_usd_per_gpu_hour``: what an hour of full-speed GPU work earns (on-demand rental
    price, catalog ``h100_on_demand_price``). A cap lowers work and power along the curve.
    """

    value_usd_per_gpu_hour: float

    def best_cap(self, model: ClusterPowerModel, price_usd_per_mwh: float) -> float:
        """The cap maximising ``value × throughput(cap) - price × dynamic power(cap)``; 0 = pause.

        Idle power is paid either way, so only the dynamic part enters. Candidates are the
        curve's points (the optimum of a piecewise-linear concave curve sits on one of them).
        """
        best_cap, best = 0.0, 0.0
        for point in model.group.power_cap_curve:
            energy_mwh_per_h = model.dynamic_w_per_gpu * point.power_fraction / W_PER_MW
            margin = (self.value_usd_per_gpu_hour * point.throughput_fraction
                      - price_usd_per_mwh * energy_mwh_per_h)
            if margin > best or (margin == best and point.power_fraction > best_cap and margin > 0):
                best_cap, best = point.power_fraction, margin
        return best_cap


def budget_from_prices(
    prices_usd_per_mwh: FloatArray,
    step_s: float,
    model: ClusterPowerModel,
    node_count: int,
    economics: CapEconomics,
) -> PowerBudget:
    """A training-cluster budget from a price series (one value per ``step_s`` interval).

    Interval ``i`` (from ``i × step_s``) gets ``node_count`` idle nodes plus every GPU at the
    cap :meth:`CapEconomics.best_cap` picks for its price (none when pausing pays). A missing
    price (NaN) leaves the budget at nameplate. Consecutive equal budgets are merged.
    """
    gpus = node_count * model.group.gpus_per_node
    idle_w = node_count * model.idle_node_w
    caps = np.array([
        1.0 if not math.isfinite(p) else economics.best_cap(model, float(p)) for p in prices_usd_per_mwh
    ])
    budget = idle_w + gpus * model.dynamic_w_per_gpu * caps
    start = np.arange(len(budget), dtype=np.float64) * step_s
    keep = np.ones(len(budget), dtype=bool)
    keep[1:] = budget[1:] != budget[:-1]
    return PowerBudget(start_s=start[keep], budget_w=budget[keep].astype(np.float64))
