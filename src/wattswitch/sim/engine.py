"""The simulated site: observe → decide → apply → record, one interval at a time.

``apply`` is where the power limit is enforced: whatever a policy asks, the applied split never
exceeds the site limit or a demand-response cap in force. ASICs are shed first (least efficient
first), then training, then inference, and reserved tenants last (their SLA credits follow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from wattswitch.model.inputs import SiteInputs
from wattswitch.model.observation import Decision, Observation, PastView
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_model import SiteModel, site_model
from wattswitch.sim.ledger import Ledger
from wattswitch.sim.schedule import RunSchedule, run_schedule

TOLERANCE_MW = 1e-9
Progress = Callable[[int, int], None]


class Policy(Protocol):
    """A dispatch policy: pure, no I/O, no clock."""

    name: str

    def decide(self, observation: Observation) -> Decision:
        """The power split for the observation's interval."""
        ...


@dataclass(frozen=True)
class Applied:
    """What actually ran in one interval after enforcement."""

    asic_normal: np.ndarray
    asic_low: np.ndarray
    training_nodes: float
    inference_served: float
    reserved_served: float
    site_mw: float
    clipped_mw: float
    idle_off_mw: float


class SimulatedSite:
    """A site replaying recorded (or generated) inputs under a policy."""

    def __init__(self, scenario: Scenario, inputs: SiteInputs) -> None:
        self.scenario = scenario
        self.site: SiteModel = site_model(scenario)
        self.inputs = inputs
        self.schedule: RunSchedule = run_schedule(scenario, self.site, inputs)
        self.known_hashprice = _previous_day_values(inputs.hashprice_usd_per_ph_day, inputs.utc_day)

    def run(self, policy: Policy, progress: Progress | None = None) -> Ledger:
        """Simulate every interval with ``policy``; returns the filled ledger."""
        site, inputs, schedule = self.site, self.inputs, self.schedule
        periods = inputs.periods
        ledger = Ledger.empty(site, inputs, schedule, policy.name, self.scenario.start_utc)
        on_fraction = np.ones(site.asic_count)
        backlog = 0.0
        must_serve_last = float(site.must_serve_mw(inputs.inference_load_fraction[0]))
        available_last = float(site.training_available_nodes(inputs.inference_load_fraction[0]))
        report_every = max(1, periods // 200)
        for t in range(periods):
            observation = Observation(
                t=t,
                interval_start_utc=ledger.interval_start_utc(t),
                step_s=site.step_s,
                rt_price_usd_per_mwh=PastView(inputs.rt_price_usd_per_mwh, t, "rt_price_usd_per_mwh"),
                system_load_mw=PastView(inputs.system_load_mw, t, "system_load_mw"),
                da_price_usd_per_mwh=PastView(
                    inputs.da_price_usd_per_mwh, int(schedule.da_known_until[t]), "da_price_usd_per_mwh"
                ),
                hashprice_usd_per_ph_day=float(self.known_hashprice[t]),
                inference_load_fraction=PastView(
                    inputs.inference_load_fraction, t, "inference_load_fraction"
                ),
                must_serve_gpu_mw_last=must_serve_last,
                training_available_nodes_last=available_last,
                training_backlog_node_hours=backlog,
                asic_on_fraction=tuple(on_fraction),
                power_cap_mw=schedule.power_cap_mw,
                local_hour=inputs.local_hour,
                local_month=inputs.local_month,
            )
            decision = policy.decide(observation)
            backlog += float(inputs.training_arrivals_node_hours[t])
            applied = self.apply(t, decision, backlog)
            backlog -= applied.training_nodes * site.step_h
            backlog = max(backlog, 0.0)
            ledger.record(t, applied, on_fraction)
            on_fraction = applied.asic_normal + applied.asic_low
            must_serve_last = float(site.must_serve_mw(inputs.inference_load_fraction[t]))
            available_last = float(site.training_available_nodes(inputs.inference_load_fraction[t]))
            if progress is not None and (t % report_every == 0 or t == periods - 1):
                progress(t + 1, periods)
        ledger.finish(backlog)
        return ledger

    def apply(self, t: int, decision: Decision, backlog_node_hours: float) -> Applied:
        """Enforce physical limits and the power cap on a decision; never exceeds the cap."""
        site = self.site
        normal = np.clip(np.asarray(decision.asic_normal_fraction, dtype=float), 0.0, 1.0)
        low = np.clip(np.asarray(decision.asic_low_fraction, dtype=float), 0.0, 1.0)
        if normal.shape != (site.asic_count,) or low.shape != (site.asic_count,):
            raise ValueError(
                f"decision has {normal.size}/{low.size} ASIC fractions, site has {site.asic_count} groups"
            )
        low = np.where(site.asic_has_low_mode, np.minimum(low, 1.0 - normal), 0.0)
        fraction = float(self.inputs.inference_load_fraction[t])
        available = float(site.training_available_nodes(fraction))
        training = float(np.clip(decision.training_nodes, 0.0, available))
        training = min(training, backlog_node_hours / site.step_h)
        cap = float(self.schedule.power_cap_mw[t])

        low_unit_mw = site.asic_power_mw * site.asic_low_power_fraction
        asic_mw = float((normal * site.asic_power_mw + low * low_unit_mw).sum())
        excess = asic_mw + float(site.gpu_load_mw(fraction, training)) - cap
        clipped = max(0.0, excess)
        for g in site.shed_order:
            for units, unit_mw in ((low, low_unit_mw[g]), (normal, site.asic_power_mw[g])):
                if excess > TOLERANCE_MW and units[g] > 0:
                    cut_mw = min(excess, float(units[g] * unit_mw))
                    units[g] = max(0.0, units[g] - cut_mw / unit_mw)
                    excess -= cut_mw
        per_node_mw = site.training_node_busy_mw - site.training_node_idle_mw
        if excess > TOLERANCE_MW and training > 0 and per_node_mw > 0:
            cut_nodes = min(training, excess / per_node_mw)
            training -= cut_nodes
            excess -= cut_nodes * per_node_mw
        inference_served, reserved_served, shed_mw = self._shed_must_serve(fraction, max(excess, 0.0))
        asic_mw = float((normal * site.asic_power_mw + low * low_unit_mw).sum())
        site_mw = asic_mw + float(site.gpu_load_mw(fraction, training)) - shed_mw
        idle_off_mw = max(0.0, site_mw - cap)  # last resort: power idle GPU nodes off
        return Applied(
            normal,
            low,
            training,
            inference_served,
            reserved_served,
            site_mw - idle_off_mw,
            clipped,
            idle_off_mw,
        )

    def _shed_must_serve(self, fraction: float, excess_mw: float) -> tuple[float, float, float]:
        """Shed inference, then reserved load, until the cap holds; returns served shares and MW shed."""
        site = self.site
        if excess_mw <= TOLERANCE_MW:
            return 1.0, 1.0, 0.0
        inference_mw = site.inference_mw_at_full * fraction
        cut_inference = min(excess_mw, inference_mw)
        cut_reserved = min(excess_mw - cut_inference, site.reserved_mw)
        inference_served = 1.0 - cut_inference / inference_mw if inference_mw > 0 else 1.0
        reserved_served = 1.0 - cut_reserved / site.reserved_mw if site.reserved_mw > 0 else 1.0
        return inference_served, reserved_served, cut_inference + cut_reserved


def _previous_day_values(daily: np.ndarray, utc_day: np.ndarray) -> np.ndarray:
    """At each interval, the value of the previous UTC day (the first day falls back to itself)."""
    known = np.empty_like(daily)
    day_starts = np.concatenate(([0], np.flatnonzero(np.diff(utc_day) != 0) + 1))
    previous = daily[0]
    for k, start in enumerate(day_starts):
        stop = day_starts[k + 1] if k + 1 < len(day_starts) else len(daily)
        known[start:stop] = previous
        previous = daily[stop - 1]
    return known
