"""The dispatch LP on a coarser grid: ``merge`` intervals per period, the plan spread back.

mpc's windows go to HiGHS where its dynamic programme does not apply — where a cap binds below
the fleet's load. On a coupled site that is nearly every window, and a 12-h window at 5-min steps
is a 144-period LP re-solved every few intervals. Merging ``merge`` intervals per period (price,
hashprice and AI load averaged, arrivals and 4CP charges summed, the tightest cap kept) makes it
``merge`` times smaller; each interval then takes its period's decisions. The ASICs' start-up
loss is spread over the longer period (a start loses the same hashing, now a smaller share).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from wattswitch.dispatch.lp import Plan, Window, solve_window
from wattswitch.model.site_model import SiteModel


def _periods(values: np.ndarray, merge: int, how: str) -> np.ndarray:
    length = len(values)
    starts = np.arange(0, length, merge)
    if how == "sum":
        return np.add.reduceat(values, starts)
    if how == "min":
        return np.minimum.reduceat(values, starts)
    counts = np.diff(np.append(starts, length))
    return np.asarray(np.add.reduceat(values, starts) / counts, dtype=float)


def merged_window(w: Window, merge: int) -> Window:
    """``w`` with ``merge`` consecutive intervals per period."""
    return Window(
        price_usd_per_mwh=_periods(w.price_usd_per_mwh, merge, "mean"),
        hashprice_usd_per_ph_day=_periods(w.hashprice_usd_per_ph_day, merge, "mean"),
        inference_load_fraction=_periods(w.inference_load_fraction, merge, "mean"),
        training_arrivals_node_hours=_periods(w.training_arrivals_node_hours, merge, "sum"),
        power_cap_mw=_periods(w.power_cap_mw, merge, "min"),
        four_cp_usd_per_mw=_periods(w.four_cp_usd_per_mw, merge, "sum"),
        on_fraction_before=w.on_fraction_before,
        backlog_before_node_hours=w.backlog_before_node_hours,
    )


def solve_window_merged(site: SiteModel, w: Window, merge: int) -> Plan:
    """:func:`solve_window` on ``merge``-interval periods; every interval gets its period's plan."""
    length = len(w.price_usd_per_mwh)
    if merge <= 1 or length <= merge:
        return solve_window(site, w)
    coarse_site = dataclasses.replace(
        site, step_s=site.step_s * merge, asic_startup_fraction=site.asic_startup_fraction / merge
    )
    plan = solve_window(coarse_site, merged_window(w, merge))
    return Plan(
        normal=np.repeat(plan.normal, merge, axis=1)[:, :length],
        low=np.repeat(plan.low, merge, axis=1)[:, :length],
        train=np.repeat(plan.train, merge)[:length],
        objective_usd=plan.objective_usd,
        status=plan.status,
    )
