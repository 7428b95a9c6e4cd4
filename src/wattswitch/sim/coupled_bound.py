"""The bound for capture on a coupled site: a relaxation no policy can beat.

It is the oracle's LP (perfect foresight of prices, hashprice, 4CP peaks) on a relaxed site:

- **training as a fluid**: every job's work (its GPU-hours, at full speed) becomes node-hours
  that may run from its submission, on any number of the cluster's nodes, with no gang
  placement, queueing order, preemption loss or restart overhead, and at the least energy per
  unit of work any operating point allows (the most efficient point of the power-cap curve,
  checkpoint stalls included). A real schedule is one feasible way to run that fluid, at no
  less energy, and it bills no more work (work lost to stops and restarts is not billed);
- **inference and reserved tenants as they ran**: their draw never depends on the dispatch
  policy, so the bound takes it exactly; it keeps their whole revenue (no shedding, no SLA
  credits) and, in intervals where the cap is below that floor (a deep demand-response cap,
  where a site must shed some of it), pays none of its energy or 4CP;
- **energy at negative prices**: a real site may burn more AI energy than the work needs (GPUs
  uncapped, stalls, restarts) when the price is negative; the bound credits every interval with a
  negative price as if the whole training pool drew its full dynamic power for nothing;
- **mining** against the interval's average AI draw (a real site must leave room for the
  interval's peak and fills a dip only in part), with the ASIC start-up losses, ancillary
  reserve, PPA block, real-time adder and 4CP charges written exactly as the ledger books them.

Every policy's ledger is therefore a feasible point of a problem whose optimum this is: its
profit is at most the bound's (tested on random coupled scenarios).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from wattswitch.dispatch.lp import Window
from wattswitch.dispatch.oracle import solve_oracle
from wattswitch.model.site_model import SiteModel
from wattswitch.sim.coupled import CoupledSite
from wattswitch.sim.coupled_parts import CoupledParts, power_model
from wattswitch.sim.ledger import AppliedArrays, Ledger

BOUND_NAME = "oracle"
W_PER_MW = 1e6


def least_energy_per_node_hour_mw(parts: CoupledParts) -> float:
    """Facility MW above idle per node-hour of work kept, the least any interval can show.

    At cap ``c`` a busy GPU draws ``c`` × its dynamic power and works at ``throughput(c)`` × the
    checkpoint efficiency ``η = compute / (compute + write)``; within one interval of ``T`` s it
    can stall for at most ``S`` s of writes (at ``stall_dynamic_fraction`` of its power), so
    energy per unit of work ≥ ``c × (T − (1 − stall) × S) / (throughput(c) × η × T)``, minimised
    over the cap curve. Restarts and work later lost draw energy but keep no work: they only add.
    """
    model = power_model(parts)
    if model is None or parts.cluster is None:
        return 0.0
    compute_s = parts.checkpoint.interval_s
    write_s = parts.phases.checkpoint_write_s if compute_s > 0 else 0.0
    keep = parts.phases.stall_dynamic_fraction
    step_s = float(parts.site.step_s)
    eta = compute_s / (compute_s + write_s) if write_s > 0 else 1.0
    stalled_s = min(step_s, write_s * (step_s // (compute_s + write_s) + 1)) if write_s > 0 else 0.0
    busy_share = (step_s - (1.0 - keep) * stalled_s) / (eta * step_s)
    best = min(
        point.power_fraction / point.throughput_fraction
        for point in model.group.power_cap_curve
        if point.throughput_fraction > 0
    )
    node_dynamic_mw = model.dynamic_w_per_gpu * parts.cluster.gpus_per_node * parts.cluster_pue / W_PER_MW
    return best * busy_share * node_dynamic_mw


def fluid_arrivals_node_hours(parts: CoupledParts, periods: int) -> np.ndarray:
    """Node-hours of work submitted in each interval (each job's duration × GPUs)."""
    arrivals = np.zeros(periods)
    if parts.jobs is None or parts.cluster is None:
        return arrivals
    frame = parts.jobs.frame
    interval = frame["submit_s"].to_numpy(dtype=float) // parts.site.step_s
    index = np.minimum(interval.astype(np.int64), periods - 1)
    work = frame["duration_s"].to_numpy(dtype=float) * frame["gpus"].to_numpy(dtype=float)
    np.add.at(arrivals, index, work / parts.cluster.gpus_per_node / 3600.0)
    return arrivals


def bound_site(site: CoupledSite) -> SiteModel:
    """The coupled site's model with training at its least energy per unit of work."""
    model = site.site
    return dataclasses.replace(
        model, training_node_busy_mw=model.training_node_idle_mw + least_energy_per_node_hour_mw(site.parts)
    )


def coupled_bound(site: CoupledSite) -> Ledger:
    """The bound's ledger (booked like any run, so reports show it beside the policies)."""
    served = site.inference
    relaxed = bound_site(site)
    periods = site.inputs.periods
    fraction = np.zeros(periods)
    if relaxed.inference_mw_at_full > 0:
        fraction = np.clip((served.mw - served.idle_mw) / relaxed.inference_mw_at_full, 0.0, 1.0)
    inputs = dataclasses.replace(
        site.inputs,
        inference_load_fraction=fraction,
        training_arrivals_node_hours=fluid_arrivals_node_hours(site.parts, periods),
    )
    schedule = site.schedule
    window = Window.of_inputs(
        inputs,
        power_cap_mw=schedule.power_cap_mw,
        four_cp_usd_per_mw=schedule.four_cp_usd_per_mw,
        on_fraction_before=np.ones(relaxed.asic_count),
    )
    plan = solve_oracle(relaxed, window)
    normal = np.clip(plan.normal, 0.0, 1.0)
    low = np.clip(plan.low, 0.0, 1.0)
    train = np.clip(plan.train, 0.0, relaxed.training_pool_nodes)
    low_unit_mw = relaxed.asic_power_mw * relaxed.asic_low_power_fraction
    asic_mw = (normal * relaxed.asic_power_mw[:, None] + low * low_unit_mw[:, None]).sum(axis=0)
    base_mw = np.asarray(relaxed.gpu_load_mw(fraction, 0.0), dtype=float)
    per_node_mw = relaxed.training_node_busy_mw - relaxed.training_node_idle_mw
    cap = schedule.power_cap_mw
    applied = AppliedArrays.empty(relaxed.asic_count, periods)
    applied = dataclasses.replace(applied, asic_normal=normal, asic_low=low, training_nodes=train)
    applied.site_mw[:] = np.minimum(base_mw, cap) + asic_mw + train * per_node_mw
    ledger = Ledger.empty(relaxed, inputs, schedule, BOUND_NAME, site.scenario.start_utc)
    ledger.book(applied)
    ledger.revenue_usd["inference"][:] = served.revenue_usd
    ledger.energy_use_mw["ai_inference"][:] = served.mw
    actual = site.site
    burn_mw = actual.training_pool_nodes * (actual.training_node_busy_mw - actual.training_node_idle_mw)
    price = inputs.rt_price_usd_per_mwh
    ledger.energy_cost_usd[:] -= np.maximum(0.0, -price) * burn_mw * relaxed.step_h
    # where the cap is below the AI floor a site sheds some of it: the bound pays none of that floor
    shed = base_mw >= cap - 1e-9
    floor_mw = np.minimum(base_mw, cap)
    ledger.energy_cost_usd[shed] -= (
        (np.maximum(price[shed], 0.0) + relaxed.rt_adder_usd_per_mwh) * relaxed.step_h
        + schedule.four_cp_usd_per_mw[shed]
    ) * floor_mw[shed]
    backlog = float(inputs.training_arrivals_node_hours.sum() - train.sum() * relaxed.step_h)
    ledger.finish(max(backlog, 0.0))
    step_h = relaxed.step_h
    gpn = site.parts.cluster.gpus_per_node if site.parts.cluster is not None else 0
    requests = float(served.requests.sum())
    ledger.ai_outcome = {
        "training": {"work_gpu_h": float(train.sum() * step_h * gpn),
                     "energy_mwh": float((train * relaxed.training_node_busy_mw).sum() * step_h)},
        "inference": {"requests": requests,
                      "slo_attainment": float(served.within_slo.sum() / requests) if requests else 1.0,
                      "energy_mwh": float(served.mw.sum() * step_h), "served_share": 1.0},
        "reserved": {"uptime": 1.0, "energy_mwh": float(relaxed.reserved_mw * periods * step_h)},
    }
    ledger.ai_series_mw = {
        "reserved": np.full(periods, relaxed.reserved_mw),
        "inference": served.mw.copy(),
        "training": train * per_node_mw + relaxed.training_pool_nodes * relaxed.training_node_idle_mw,
    }
    return ledger
