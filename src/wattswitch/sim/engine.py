"""The simulated site: observe → decide → apply → record, one interval at a time — or all at once.

``apply`` is where the power limit is enforced: whatever a policy asks, the applied split never
exceeds the site limit or a demand-response cap in force. ASICs are shed first (least efficient
first), then training, then inference, and reserved tenants last (their SLA credits follow).

Two paths give the same ledger (tested to 1e-9):

- the **step loop** (``run_steps``) builds an :class:`Observation` per interval and asks the
  policy; any policy works there, closed-loop ones (that react to the site's own state) need it;
- the **vectorised path** runs when the policy's decisions do not depend on the site's state:
  a :class:`FixedPlanPolicy` (decided before the run, like the oracle's replay) or a
  :class:`KnownRowsRule` (a pointwise rule on what is known at each interval). Enforcement and
  booking are then array operations over the whole horizon; only intervals where the cap must
  be enforced, and the training backlog, are stepped (in plain floats).

Honesty on the vectorised path is structural: a :class:`KnownRowsRule` receives one row per
interval holding only values known when deciding it (the last settled price, the last AI load,
yesterday's hashprice, the cap in force), with the rows shuffled so that no row can see
another. It is called under two different shuffles; a rule whose answer for a row depends on
other rows (say, ``np.roll`` of the last price to read the current one) answers differently and
the run fails with :class:`InformationLeakError`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from wattswitch.dispatch.rows import DecisionArrays, KnownRows
from wattswitch.errors import InformationLeakError
from wattswitch.model.inputs import SiteInputs
from wattswitch.model.observation import Decision, Observation, PastView
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_model import SiteModel, site_model
from wattswitch.sim.ledger import AppliedArrays, Ledger
from wattswitch.sim.schedule import RunSchedule, run_schedule

TOLERANCE_MW = 1e-9
Progress = Callable[[int, int], None]
SHUFFLE_SEEDS = (20240601, 20251111)

__all__ = [
    "Applied",
    "DecisionArrays",
    "FixedPlanPolicy",
    "KnownRows",
    "KnownRowsRule",
    "Policy",
    "SimulatedSite",
]


class Policy(Protocol):
    """A dispatch policy: pure, no I/O, no clock."""

    name: str

    def decide(self, observation: Observation) -> Decision:
        """The power split for the observation's interval."""
        ...


@runtime_checkable
class FixedPlanPolicy(Protocol):
    """A policy whose every decision is fixed before the run (open loop, e.g. the oracle's replay)."""

    name: str

    def decide(self, observation: Observation) -> Decision:
        """The plan's decision for the observation's interval (the step loop's way)."""
        ...

    def fixed_plan(self, periods: int) -> DecisionArrays:
        """The decisions of all ``periods`` intervals."""
        ...


@runtime_checkable
class KnownRowsRule(Protocol):
    """A causal policy written as a pointwise rule: each row's decision from that row alone."""

    name: str

    def decide(self, observation: Observation) -> Decision:
        """The same rule on one observation (the step loop's way; must agree with ``decide_rows``)."""
        ...

    def decide_rows(self, known: KnownRows) -> DecisionArrays:
        """Decisions for every row of ``known`` (groups × rows), each from its own row only."""
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
        self.known_hashprice = previous_day_values(inputs.hashprice_usd_per_ph_day, inputs.utc_day)

    def run(self, policy: Policy, progress: Progress | None = None) -> Ledger:
        """Simulate every interval with ``policy``; returns the filled ledger.

        Fixed plans and pointwise known-rows rules take the vectorised path, any other policy
        the step loop; both book the same ledger.
        """
        if isinstance(policy, FixedPlanPolicy):
            return self.run_plan(policy.name, policy.fixed_plan(self.inputs.periods), progress)
        if isinstance(policy, KnownRowsRule):
            return self.run_plan(policy.name, self.rule_decisions(policy), progress)
        return self.run_steps(policy, progress)

    def run_steps(self, policy: Policy, progress: Progress | None = None) -> Ledger:
        """The step loop: observe → decide → apply for each interval in turn (any policy)."""
        site, inputs, schedule = self.site, self.inputs, self.schedule
        periods = inputs.periods
        ledger = Ledger.empty(site, inputs, schedule, policy.name, self.scenario.start_utc)
        applied_all = AppliedArrays.empty(site.asic_count, periods)
        on_fraction = np.ones(site.asic_count)
        backlog = 0.0
        fraction = inputs.inference_load_fraction
        must_serve = np.asarray(site.must_serve_mw(fraction), dtype=float).tolist()
        available = np.asarray(site.training_available_nodes(fraction), dtype=float).tolist()
        known_hashprice = self.known_hashprice.tolist()
        arrivals = inputs.training_arrivals_node_hours.tolist()
        da_known_until = schedule.da_known_until.tolist()
        rt_known_until = schedule.rt_known_until.tolist()
        load_known_until = schedule.load_known_until.tolist()
        must_serve_last, available_last = must_serve[0], available[0]
        step_h = site.step_h
        report_every = max(1, periods // 200)
        for t in range(periods):
            observation = Observation(
                t=t,
                interval_start_utc=ledger.interval_start_utc(t),
                step_s=site.step_s,
                rt_price_usd_per_mwh=PastView(
                    inputs.rt_price_usd_per_mwh, rt_known_until[t], "rt_price_usd_per_mwh"
                ),
                system_load_mw=PastView(inputs.system_load_mw, load_known_until[t], "system_load_mw"),
                da_price_usd_per_mwh=PastView(
                    inputs.da_price_usd_per_mwh, da_known_until[t], "da_price_usd_per_mwh"
                ),
                hashprice_usd_per_ph_day=known_hashprice[t],
                inference_load_fraction=PastView(fraction, t, "inference_load_fraction"),
                must_serve_gpu_mw_last=must_serve_last,
                training_available_nodes_last=available_last,
                training_backlog_node_hours=backlog,
                asic_on_fraction=tuple(on_fraction.tolist()),
                power_cap_mw=schedule.power_cap_mw,
                local_hour=inputs.local_hour,
                local_month=inputs.local_month,
            )
            decision = policy.decide(observation)
            backlog += arrivals[t]
            applied = self.apply(t, decision, backlog)
            backlog -= applied.training_nodes * step_h
            backlog = max(backlog, 0.0)
            applied_all.put(t, applied)
            on_fraction = applied.asic_normal + applied.asic_low
            must_serve_last, available_last = must_serve[t], available[t]
            if progress is not None and (t % report_every == 0 or t == periods - 1):
                progress(t + 1, periods)
        ledger.book(applied_all)
        ledger.finish(backlog)
        return ledger

    def known_rows(self) -> KnownRows:
        """What is known when deciding each interval, in interval order (see :class:`KnownRows`)."""
        site, inputs = self.site, self.inputs
        fraction_last = np.concatenate(
            (inputs.inference_load_fraction[:1], inputs.inference_load_fraction[:-1])
        )
        known = self.schedule.rt_known_until
        last_rt = np.where(known > 0, inputs.rt_price_usd_per_mwh[np.maximum(known - 1, 0)], np.nan)
        return KnownRows(
            last_rt_price_usd_per_mwh=last_rt,
            hashprice_usd_per_ph_day=self.known_hashprice.copy(),
            must_serve_gpu_mw_last=np.asarray(site.must_serve_mw(fraction_last), dtype=float),
            training_available_nodes_last=np.asarray(
                site.training_available_nodes(fraction_last), dtype=float
            ),
            power_cap_mw=self.schedule.power_cap_mw.copy(),
        )

    def rule_decisions(self, rule: KnownRowsRule) -> DecisionArrays:
        """A pointwise rule's decisions for every interval, asked under two shuffles of the rows.

        Raises :class:`InformationLeakError` when the answers differ: the rule then reads other
        rows than its own, which on ordered rows would mean reading the future.
        """
        known = self.known_rows()
        periods = len(known)
        answers = []
        for seed in SHUFFLE_SEEDS:
            order = np.random.default_rng(seed).permutation(periods)
            rows = rule.decide_rows(known.take(order))
            unshuffled = np.empty(periods, dtype=np.int64)
            unshuffled[order] = np.arange(periods)
            answers.append(
                DecisionArrays(
                    np.asarray(rows.normal, dtype=float)[:, unshuffled],
                    np.asarray(rows.low, dtype=float)[:, unshuffled],
                    np.asarray(rows.training_nodes, dtype=float)[unshuffled],
                )
            )
        first, second = answers
        for name in ("normal", "low", "training_nodes"):
            if not np.array_equal(getattr(first, name), getattr(second, name), equal_nan=True):
                raise InformationLeakError(
                    f"rule {rule.name!r}: its {name} decisions change when the known rows are shuffled, "
                    "so a row's decision reads other rows (other intervals, the future among them)"
                )
        return first

    def run_plan(self, name: str, decisions: DecisionArrays, progress: Progress | None = None) -> Ledger:
        """The vectorised path: apply and book decisions fixed for every interval."""
        site, inputs = self.site, self.inputs
        ledger = Ledger.empty(site, inputs, self.schedule, name, self.scenario.start_utc)
        applied, backlog = self.apply_all(decisions)
        ledger.book(applied)
        ledger.finish(backlog)
        if progress is not None:
            progress(inputs.periods, inputs.periods)
        return ledger

    def apply_all(self, decisions: DecisionArrays) -> tuple[AppliedArrays, float]:
        """``apply`` on every interval at once; returns what ran and the backlog left at the end.

        Intervals whose request fits under the cap are computed as arrays; the others (where
        something must be shed) go through ``apply`` itself. The training backlog is the one
        interval-to-interval dependency; it is stepped in plain floats when training can run.
        """
        site, inputs = self.site, self.inputs
        periods, groups = inputs.periods, site.asic_count
        normal = np.clip(np.asarray(decisions.normal, dtype=float), 0.0, 1.0)
        low = np.clip(np.asarray(decisions.low, dtype=float), 0.0, 1.0)
        requested = np.asarray(decisions.training_nodes, dtype=float)
        if (
            normal.shape != (groups, periods)
            or low.shape != (groups, periods)
            or requested.shape != (periods,)
        ):
            raise ValueError(
                f"decisions of shape {normal.shape}/{low.shape}/{requested.shape}, "
                f"site has {groups} groups and {periods} intervals"
            )
        low = np.where(site.asic_has_low_mode[:, None], np.minimum(low, 1.0 - normal), 0.0)
        fraction = inputs.inference_load_fraction
        available = np.asarray(site.training_available_nodes(fraction), dtype=float)
        requested = np.clip(requested, 0.0, available)
        cap = self.schedule.power_cap_mw
        low_unit_mw = site.asic_power_mw * site.asic_low_power_fraction
        asic_mw = (normal * site.asic_power_mw[:, None] + low * low_unit_mw[:, None]).sum(axis=0)
        base_mw = np.asarray(site.gpu_load_mw(fraction, 0.0), dtype=float)
        per_node_mw = site.training_node_busy_mw - site.training_node_idle_mw
        arrivals = inputs.training_arrivals_node_hours
        step_h = site.step_h
        out = dataclasses.replace(AppliedArrays.empty(0, periods), asic_normal=normal, asic_low=low)
        enforced: list[tuple[int, float]] = []
        if requested.any():
            training = out.training_nodes
            backlog = 0.0
            asic_list, base_list, cap_list = asic_mw.tolist(), base_mw.tolist(), cap.tolist()
            arrivals_list, requested_list = arrivals.tolist(), requested.tolist()
            for t in range(periods):
                backlog += arrivals_list[t]
                nodes = min(requested_list[t], backlog / step_h)
                if asic_list[t] + (base_list[t] + nodes * per_node_mw) - cap_list[t] > TOLERANCE_MW:
                    enforced.append((t, backlog))
                    nodes = self._apply_into(out, t, decisions, backlog)
                training[t] = nodes
                backlog -= nodes * step_h
                backlog = max(backlog, 0.0)
            end_backlog = backlog
        else:  # nothing may train: the backlog only grows, the requests need no stepping
            backlog_at = np.cumsum(arrivals)
            excess = asic_mw + base_mw - cap
            for t in np.flatnonzero(excess > TOLERANCE_MW).tolist():
                enforced.append((t, float(backlog_at[t])))
                self._apply_into(out, t, decisions, float(backlog_at[t]))
            end_backlog = float(backlog_at[-1]) if periods else 0.0
        gpu_mw = base_mw + out.training_nodes * per_node_mw
        excess = asic_mw + gpu_mw - cap
        site_mw = asic_mw + gpu_mw - 0.0
        idle_off = np.maximum(0.0, site_mw - cap)
        free = np.ones(periods, dtype=bool)
        if enforced:
            free[[t for t, _ in enforced]] = False
        out.clipped_mw[free] = np.maximum(0.0, excess[free])
        out.idle_off_mw[free] = idle_off[free]
        out.site_mw[free] = (site_mw - idle_off)[free]
        return out, end_backlog

    def _apply_into(self, out: AppliedArrays, t: int, decisions: DecisionArrays, backlog: float) -> float:
        """``apply`` one interval of ``decisions`` and store it in ``out``; returns its training nodes."""
        applied = self.apply(t, decisions.at(t), backlog)
        out.put(t, applied)
        return applied.training_nodes

    def apply(self, t: int, decision: Decision, backlog_node_hours: float) -> Applied:
        """Enforce physical limits and the power cap on a decision; never exceeds the cap."""
        site = self.site
        normal, low = decided_modes(site, decision)
        fraction = float(self.inputs.inference_load_fraction[t])
        available = float(site.training_available_nodes(fraction))
        training = min(max(float(decision.training_nodes), 0.0), available)
        training = min(training, backlog_node_hours / site.step_h)
        cap = float(self.schedule.power_cap_mw[t])

        low_unit_mw = site.asic_power_mw * site.asic_low_power_fraction
        asic_mw = float((normal * site.asic_power_mw + low * low_unit_mw).sum())
        excess = asic_mw + float(site.gpu_load_mw(fraction, training)) - cap
        clipped = max(0.0, excess)
        excess = shed_asics(site, normal, low, excess)
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


def decided_modes(site: SiteModel, decision: Decision) -> tuple[np.ndarray, np.ndarray]:
    """A decision's normal / low-power fractions, clipped to [0, 1] and to what each group has."""
    # np.minimum/np.maximum: np.clip's values (NaN included) without its overhead on tiny arrays
    normal = np.minimum(np.maximum(np.asarray(decision.asic_normal_fraction, dtype=float), 0.0), 1.0)
    low = np.minimum(np.maximum(np.asarray(decision.asic_low_fraction, dtype=float), 0.0), 1.0)
    if normal.shape != (site.asic_count,) or low.shape != (site.asic_count,):
        raise ValueError(
            f"decision has {normal.size}/{low.size} ASIC fractions, site has {site.asic_count} groups"
        )
    return normal, np.where(site.asic_has_low_mode, np.minimum(low, 1.0 - normal), 0.0)


def shed_asics(site: SiteModel, normal: np.ndarray, low: np.ndarray, excess_mw: float) -> float:
    """Cut ASIC units in place, least efficient group first (low-power units, then normal ones),
    until ``excess_mw`` is gone or nothing runs; returns the excess left."""
    low_unit_mw = site.asic_power_mw * site.asic_low_power_fraction
    for g in site.shed_order:
        for units, unit_mw in ((low, low_unit_mw[g]), (normal, site.asic_power_mw[g])):
            if excess_mw > TOLERANCE_MW and units[g] > 0:
                cut_mw = min(excess_mw, float(units[g] * unit_mw))
                units[g] = max(0.0, units[g] - cut_mw / unit_mw)
                excess_mw -= cut_mw
    return excess_mw


def previous_day_values(daily: np.ndarray, utc_day: np.ndarray) -> np.ndarray:
    """At each interval, the value of the previous UTC day (the first day falls back to itself)."""
    known = np.empty_like(daily)
    day_starts = np.concatenate(([0], np.flatnonzero(np.diff(utc_day) != 0) + 1))
    previous = daily[0]
    for k, start in enumerate(day_starts):
        stop = day_starts[k + 1] if k + 1 < len(day_starts) else len(daily)
        known[start:stop] = previous
        previous = daily[stop - 1]
    return known
