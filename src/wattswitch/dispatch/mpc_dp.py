"""The dispatch LP of one mpc window solved by dynamic programming instead of HiGHS.

The LP of :mod:`wattswitch.dispatch.lp` has a structure a DP can exploit:

- each ASIC group's only link between intervals is its startup cost (switching between normal
  and low-power is free), so given which groups are *on* in an interval, the best mode of each is
  chosen interval by interval;
- the groups interact only within an interval: through the MW above the PPA block (adder), the
  reserve held by running ASICs (ancillary revenue) and the site cap;
- training is linked to the ASICs only through those same site-wide terms (a training node draws
  ~10 kW against MW-sized groups), and with no arrivals in the window its backlog is a budget of
  node-hours to spend in the intervals where a node-hour earns most.

So the window is solved as a shortest path over the ``2^G`` on/off patterns of the G groups, each
interval's reward being the best of the ``3^G`` mode choices with that pattern (adder, reserve,
cap and the planned training load included exactly). For integer on/off patterns this *is* the
LP's optimum: a single group with startup costs is totally unimodular. The LP may still do
slightly better with fractional groups at a breakpoint (load exactly at the block, reserve
exactly at its capacity) — worth at most ``adder × group MW`` or ``ancillary price × reserve``
per interval, a few dollars. The caller falls back to the LP whenever the DP's premises fail: a
cap that some mode choice would breach, or a group that starts the window partly on.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from wattswitch.dispatch.lp import Plan, Window
from wattswitch.model.site_model import SiteModel

OFF, LOW, NORMAL = 0, 1, 2


@dataclass(frozen=True)
class Periods:
    """A window's inputs per period, where a period is one interval or several merged.

    Sums over the merged intervals: ``hours``, ``energy_usd_per_mw`` (price × h + 4CP charge) and
    ``hash_usd_per_ph_s`` (hashprice × h / 24); means: ``base_mw`` and ``available_nodes``;
    the least headroom under the cap. ``intervals`` counts the intervals merged in each.
    """

    intervals: np.ndarray
    hours: np.ndarray
    energy_usd_per_mw: np.ndarray
    hash_usd_per_ph_s: np.ndarray
    base_mw: np.ndarray
    headroom_mw: np.ndarray
    available_nodes: np.ndarray


class WindowDp:
    """The DP for one site: its static tables, built once, and :meth:`solve` per window."""

    def __init__(self, site: SiteModel) -> None:
        self.site = site
        groups = site.asic_count
        choices = [(OFF, LOW, NORMAL) if has_low else (OFF, NORMAL) for has_low in site.asic_has_low_mode]
        modes = np.array(list(itertools.product(*choices)), dtype=int).reshape(-1, groups)
        pattern = (modes != OFF).astype(int) @ (1 << np.arange(groups))
        order = np.argsort(pattern, kind="stable")
        self.modes, self.pattern = modes[order], pattern[order]  # configurations, by pattern
        self.patterns = 1 << groups
        self.starts = np.searchsorted(self.pattern, np.arange(self.patterns))
        normal, low = self.modes == NORMAL, self.modes == LOW
        power = np.where(normal, 1.0, np.where(low, site.asic_low_power_fraction, 0.0))
        hashing = np.where(normal, 1.0, np.where(low, site.asic_low_hashrate_fraction, 0.0))
        self.asic_load_mw = power @ site.asic_power_mw
        self.load_above_block_mw = self.asic_load_mw - site.ppa_block_mw
        self.max_asic_load_mw = float(self.asic_load_mw.max())
        reserve = np.minimum(self.asic_load_mw, site.ancillary_capacity_mw)
        # reward = linear @ (hash $ per PH/s, energy $ per MW, hours) − adder term
        hashrate = hashing @ site.asic_hashrate_ph_s
        self.linear = np.stack((hashrate, -self.asic_load_mw, site.ancillary_usd_per_mw_h * reserve), axis=1)
        self.on = ((np.arange(self.patterns)[:, None] >> np.arange(groups)) & 1).astype(float)
        switch_on = (1 - self.on)[:, None, :] * self.on[None, :, :]  # (from, to, group)
        self.startup_ph_s = site.asic_hashrate_ph_s * site.asic_startup_fraction  # PH/s-intervals lost
        self.switch_ph_s = switch_on @ self.startup_ph_s  # (from, to)
        self.per_node_mw = site.training_node_busy_mw - site.training_node_idle_mw
        low_ratio = (1 - site.asic_low_hashrate_fraction) / np.maximum(1 - site.asic_low_power_fraction, 1e-9)
        factor = np.minimum(1 - site.asic_startup_fraction, np.minimum(low_ratio, 1.0))
        # surely_on: marginal price < hashprice × this, for every group
        self.sure_usd_per_mwh_per_hashprice = float(
            (factor * site.asic_hashrate_ph_s / 24.0 / site.asic_power_mw).min()
        )
        self.full_load_extra_mw = float(
            site.asic_power_mw.sum() + site.training_pool_nodes * site.training_node_busy_mw
        )
        self._merges: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}

    def surely_on_intervals(self, w: Window, base_mw: np.ndarray) -> np.ndarray:
        """``lp.surely_on(site, w, base_mw).all(axis=0)``, from the precomputed breakevens.

        Where it holds for the first intervals of a window, running every group in normal mode
        there is optimal whatever the rest of the window holds: those decisions need no solve.
        """
        quiet = (w.four_cp_usd_per_mw == 0) & (base_mw + self.full_load_extra_mw <= w.power_cap_mw)
        marginal = w.price_usd_per_mwh + self.site.rt_adder_usd_per_mwh
        sure = w.hashprice_usd_per_ph_day * self.sure_usd_per_mwh_per_hashprice
        return np.asarray(quiet & (marginal < sure))

    def surely_all_on(self, w: Window, base_mw: np.ndarray, upto: int | None = None) -> bool:
        """``lp.surely_on(site, w, base_mw)[:, :upto].all()`` (see :meth:`surely_on_intervals`)."""
        return bool(self.surely_on_intervals(w, base_mw)[:upto].all())

    def periods(self, w: Window, base_mw: np.ndarray, fine: int | None = None, merge: int = 1) -> Periods:
        """The window's first ``fine`` intervals as they are, then ``merge`` intervals per period."""
        site = self.site
        count = len(w.price_usd_per_mwh)
        step_h = site.step_h
        available = np.maximum(site.training_available_nodes(w.inference_load_fraction), 0.0)
        rows = np.empty((4, count))
        rows[0] = w.price_usd_per_mwh * step_h + w.four_cp_usd_per_mw
        rows[1] = w.hashprice_usd_per_ph_day * (step_h / 24.0)
        rows[2] = base_mw
        rows[3] = available
        headroom = np.maximum(w.power_cap_mw - base_mw, 0.0)
        fine = count if fine is None else min(fine, count)
        if merge <= 1 or fine >= count:
            ones = np.ones(count, dtype=int)
            return Periods(ones, np.full(count, step_h), rows[0], rows[1], rows[2], headroom, rows[3])
        key = (count, fine, merge)
        cached = self._merges.get(key)
        if cached is None:
            starts = np.concatenate((np.arange(fine), np.arange(fine, count, merge)))
            cached = (starts, np.diff(np.append(starts, count)))
            self._merges[key] = cached
        starts, intervals = cached
        sums = np.add.reduceat(rows, starts, axis=1)
        return Periods(
            intervals,
            intervals * step_h,
            sums[0],
            sums[1],
            sums[2] / intervals,
            np.minimum.reduceat(headroom, starts),
            sums[3] / intervals,
        )

    def training(self, p: Periods, budget: float) -> np.ndarray:
        """Spend ``budget`` node-hours where a training node-hour earns most (value > 0); nodes per period."""
        site = self.site
        if budget <= 0:
            return np.zeros(len(p.hours))
        # what a node-hour of training earns, net of its extra energy
        value = site.training_usd_per_node_hour - self.per_node_mw * p.energy_usd_per_mw / p.hours
        worth = value > 0
        capacity = p.available_nodes * p.hours  # node-hours each period can take
        if budget >= capacity[worth].sum():
            return np.where(worth, p.available_nodes, 0.0)
        train = np.zeros(len(p.hours))
        best = np.argsort(-value, kind="stable")
        best = best[worth[best]]
        before = np.concatenate(([0.0], np.cumsum(capacity[best])[:-1]))
        train[best] = np.clip(budget - before, 0.0, capacity[best]) / p.hours[best]
        return train

    def training_plan(self, w: Window, base_mw: np.ndarray, keep: int, merge: int = 1) -> np.ndarray:
        """The training nodes :meth:`solve` would plan for the first ``keep`` intervals."""
        p = self.periods(w, base_mw, keep, merge)
        return self.training(p, float(w.backlog_before_node_hours))[:keep]

    def solve(
        self,
        w: Window,
        base_mw: np.ndarray | None = None,
        keep: int | None = None,
        fine: int | None = None,
        merge: int = 1,
    ) -> Plan | None:
        """The window's plan by dynamic programming (see the module doc), or ``None`` where it cannot.

        ``keep`` limits the decisions returned to the first ``keep`` intervals (all by default);
        the objective is always the whole window's. With ``merge`` > 1, the intervals after the
        first ``fine`` are merged ``merge`` at a time (decisions held across each merged period):
        an approximation of the window, cheaper to solve; ``keep`` must then be ≤ ``fine`` (and
        is ``fine`` if not given), so that the decisions returned are per interval.
        ``None`` means "use the LP": a group starts partly on, training arrives inside the
        window, or the cap would cut some mode choice.
        """
        site = self.site
        on_before = np.asarray(w.on_fraction_before, dtype=float)
        if any(x not in (0.0, 1.0) for x in on_before.tolist()) or w.training_arrivals_node_hours.any():
            return None
        if merge > 1 and fine is not None:
            if keep is not None and keep > fine:
                raise ValueError("keep must not exceed the fine intervals")
            keep = fine if keep is None else keep
        if base_mw is None:
            base_mw = np.asarray(site.gpu_load_mw(w.inference_load_fraction, 0.0), dtype=float)
        p = self.periods(w, base_mw, fine, merge)
        periods = len(p.hours)
        train = self.training(p, float(w.backlog_before_node_hours))
        train_mw = train * self.per_node_mw
        if np.any(self.max_asic_load_mw + train_mw > p.headroom_mw + 1e-9):
            return None

        # reward[c, t]: configuration c's hashing − energy + reserve − adder over period t.
        inputs = np.empty((3, periods))
        inputs[0], inputs[1], inputs[2] = p.hash_usd_per_ph_s, p.energy_usd_per_mw, p.hours
        reward = self.linear @ inputs
        above = np.maximum(self.load_above_block_mw[:, None] + (p.base_mw + train_mw)[None, :], 0.0)
        reward -= above * (site.rt_adder_usd_per_mwh * p.hours)
        best = np.maximum.reduceat(reward, self.starts, axis=0).T  # (periods, patterns)
        # A switch-on loses the switchover's hashing once, whatever the period's length.
        startup_usd_per_ph_s = p.hash_usd_per_ph_s / p.intervals
        # gains[t][a, b]: profit of period t in pattern b after pattern a in t − 1.
        gains = best[:, None, :] - np.multiply.outer(startup_usd_per_ph_s, self.switch_ph_s)
        after = np.zeros((periods + 1, self.patterns))  # after[t][a]: best of t … end after a
        for t in range(periods - 1, 0, -1):
            after[t] = np.maximum.reduce(gains[t] + after[t + 1], axis=1)
        first_cost = np.maximum(self.on - on_before, 0.0) @ (self.startup_ph_s * startup_usd_per_ph_s[0])
        first = best[0] - first_cost + after[1]
        state = int(np.argmax(first))
        training_value = train * (
            site.training_usd_per_node_hour * p.hours - self.per_node_mw * p.energy_usd_per_mw
        )
        objective = float(first[state] + training_value.sum())

        kept = periods if keep is None else max(1, min(keep, periods))
        path = [state]
        for t in range(1, kept):
            state = int(np.argmax(gains[t, state] + after[t + 1]))
            path.append(state)
        masked = np.where(self.pattern[:, None] == np.asarray(path)[None, :], reward[:, :kept], -np.inf)
        configs = self.modes[masked.argmax(axis=0)].T  # (groups, kept)
        normal = (configs == NORMAL).astype(float)
        low = (configs == LOW).astype(float)
        return Plan(normal=normal, low=low, train=train[:kept], objective_usd=objective, status="dp")


def solve_window_dp(
    site: SiteModel, w: Window, keep: int | None = None, fine: int | None = None, merge: int = 1
) -> Plan | None:
    """:meth:`WindowDp.solve` for a one-off window (builds the site's tables each call)."""
    return WindowDp(site).solve(w, keep=keep, fine=fine, merge=merge)
