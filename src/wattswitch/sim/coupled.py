"""One site, one clock: AI and mining share the interconnect, interval by interval.

Each interval the policy decides from what is known (the :class:`Observation` of the engine:
prices under the market's rules, the AI draw of the last interval, the training queue as the
operator sees it); then the site applies it in order of entitlement:

1. reserved tenants draw what they draw (contracted; never touched);
2. inference serves its requests under its autoscaler (SLO-protected, served first);
3. on-demand training runs under a power budget: the decision's ``training_nodes`` (nodes'
   worth of busy GPUs above idle) and never more than the cap leaves after 1 and 2. The
   job-level scheduler meets it with GPU caps, then checkpoint-aware pauses;
4. mining takes what is left under the cap, least efficient groups shed first: room for the
   interval's AI peak (the GPU side announces a step-up and waits for the ASICs), plus the part
   of the checkpoint-write and restart dips the ASICs can follow (a dip of ``d`` s is filled
   for ``d − 2 × response`` s: the ASICs ramp up after it starts and down before it ends).

What a policy sees of the AI side: ``must_serve_gpu_mw_last`` is last interval's draw nobody may
cut (reserved, inference, idle GPU nodes) and ``training_available_nodes_last`` is 0: training
runs on the budget the decision gives it and mining yields to it at the step, so a policy sizes
mining against that floor and the site trims it to what AI actually draws (this is how mining
refills a trough or a dip in the same interval). ``training_backlog_node_hours`` is what the
waiting and running jobs may still run by their users' limits (no true durations).

If reserved and inference alone exceed the cap (a deep demand-response cap), inference is shed,
then reserved load (SLA credits follow): the cap is never exceeded.

The ledger books mining as the engine does and AI from what ran: training revenue per GPU-hour
of work delivered and kept (capped GPUs deliver less; work lost to a stop is not billed),
inference per token served, reserved per contract.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from wattswitch.model.inputs import SiteInputs
from wattswitch.model.observation import Observation, PastView
from wattswitch.model.scenario import Scenario
from wattswitch.scheduling.config import LimitModel
from wattswitch.scheduling.inference import InferenceFleet
from wattswitch.scheduling.metrics import ScheduleResult
from wattswitch.scheduling.power import decision_budget_w
from wattswitch.scheduling.simulator import SimOptions, SteppedCluster
from wattswitch.sim.coupled_parts import CoupledParts, autoscaler_for, power_model
from wattswitch.sim.engine import (
    TOLERANCE_MW,
    Policy,
    Progress,
    decided_modes,
    previous_day_values,
    shed_asics,
)
from wattswitch.sim.ledger import AppliedArrays, Ledger
from wattswitch.sim.schedule import RunSchedule, run_schedule

W_PER_MW = 1e6


@dataclass
class AiArrays:
    """Per-interval AI draw (facility MW), revenue ($) and outcomes of a coupled run."""

    reserved_mw: np.ndarray
    inference_mw: np.ndarray
    training_mw: np.ndarray
    other_idle_mw: np.ndarray
    ai_peak_mw: np.ndarray
    write_dip_mw: np.ndarray
    restart_dip_mw: np.ndarray
    dip_filled_mw: np.ndarray
    training_budget_mw: np.ndarray
    training_work_gpu_h: np.ndarray
    training_cap_fraction: np.ndarray
    inference_requests: np.ndarray
    inference_within_slo: np.ndarray
    inference_served: np.ndarray
    reserved_served: np.ndarray
    revenue_training_usd: np.ndarray
    revenue_inference_usd: np.ndarray

    @classmethod
    def empty(cls, periods: int) -> AiArrays:
        """Zeroed arrays (served shares 1)."""
        names = [f.name for f in cls.__dataclass_fields__.values()]
        arrays = {name: np.zeros(periods) for name in names}
        arrays["inference_served"] = np.ones(periods)
        arrays["reserved_served"] = np.ones(periods)
        return cls(**arrays)

    @property
    def ai_mw(self) -> np.ndarray:
        """All GPU facility draw per interval."""
        return np.asarray(self.reserved_mw + self.inference_mw + self.training_mw + self.other_idle_mw)


@dataclass
class AiOutcome:
    """Per-class outcomes of the AI side over a run."""

    training: dict[str, float] = field(default_factory=dict)
    inference: dict[str, float] = field(default_factory=dict)
    reserved: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, dict[str, float]]:
        """``{"training": {...}, "inference": {...}, "reserved": {...}}``."""
        return {"training": self.training, "inference": self.inference, "reserved": self.reserved}


class CoupledSite:
    """A site whose GPU cluster, inference fleet, reserved tenants and ASICs share one cap."""

    def __init__(self, scenario: Scenario, inputs: SiteInputs, parts: CoupledParts) -> None:
        self.scenario = scenario
        self.inputs = inputs
        self.parts = parts
        self.site = parts.site
        self.schedule: RunSchedule = run_schedule(scenario, self.site, inputs)
        self.known_hashprice = previous_day_values(inputs.hashprice_usd_per_ph_day, inputs.utc_day)
        self.inference = serve_inference(parts, inputs.periods)

    def _cluster(self) -> SteppedCluster | None:
        parts = self.parts
        if parts.cluster is None or parts.jobs is None:
            return None
        options = SimOptions(
            checkpoint=parts.checkpoint, limits=LimitModel(), power_model=power_model(parts),
            phases=parts.phases,
        )
        return SteppedCluster(parts.jobs, parts.cluster, parts.scheduler, options)


    def run(self, policy: Policy, progress: Progress | None = None) -> Ledger:
        """Step every interval under ``policy``; the ledger carries the AI arrays and outcomes."""
        site, inputs, schedule, parts = self.site, self.inputs, self.schedule, self.parts
        periods, step_s, step_h = inputs.periods, site.step_s, site.step_h
        cluster = self._cluster()
        served = self.inference
        ai = AiArrays.empty(periods)
        applied_all = AppliedArrays.empty(site.asic_count, periods)
        measured_fraction = np.zeros(periods)
        on_fraction = np.ones(site.asic_count)
        known_hashprice = self.known_hashprice.tolist()
        da_known, rt_known = schedule.da_known_until.tolist(), schedule.rt_known_until.tolist()
        load_known = schedule.load_known_until.tolist()
        cap_mw = schedule.power_cap_mw
        train_pue = parts.cluster_pue
        gpn = parts.cluster.gpus_per_node if parts.cluster is not None else 8
        model = power_model(parts)
        pool_nodes = parts.cluster.nodes if parts.cluster is not None else 0
        idle_cluster_w = model.idle_node_w * pool_nodes if model is not None else 0.0
        dynamic_w = model.dynamic_w_per_gpu * gpn * pool_nodes if model is not None else 0.0
        full_draw_w = idle_cluster_w + dynamic_w
        write_share, restart_share = parts.stall_absorbable_share
        other_idle = site.gpu_fixed_mw - site.reserved_mw - sum(
            p.node_count * p.node_group.idle_node_power_w * p.pue / W_PER_MW for p in parts.inference
        )
        low_unit_mw = site.asic_power_mw * site.asic_low_power_fraction
        price_per_gpu_s = parts.training_price_usd_per_gpu_hour / 3600.0
        training_idle_mw = idle_cluster_w * train_pue / W_PER_MW
        must_serve_last = site.gpu_fixed_mw + site.inference_mw_at_full + training_idle_mw
        report_every = max(1, periods // 200)
        for t in range(periods):
            end_s = (t + 1) * step_s
            observation = Observation(
                t=t, interval_start_utc=self.scenario.start_utc + timedelta(seconds=t * step_s),
                step_s=step_s,
                rt_price_usd_per_mwh=PastView(
                    inputs.rt_price_usd_per_mwh, rt_known[t], "rt_price_usd_per_mwh"
                ),
                system_load_mw=PastView(inputs.system_load_mw, load_known[t], "system_load_mw"),
                da_price_usd_per_mwh=PastView(
                    inputs.da_price_usd_per_mwh, da_known[t], "da_price_usd_per_mwh"
                ),
                hashprice_usd_per_ph_day=known_hashprice[t],
                inference_load_fraction=PastView(measured_fraction, t, "inference_load_fraction"),
                must_serve_gpu_mw_last=must_serve_last,
                training_available_nodes_last=0.0,
                training_backlog_node_hours=cluster.queue().requested_node_hours if cluster else 0.0,
                asic_on_fraction=tuple(on_fraction.tolist()),
                power_cap_mw=cap_mw, local_hour=inputs.local_hour, local_month=inputs.local_month,
            )
            decision = policy.decide(observation)
            cap = float(cap_mw[t])
            # 1-2: reserved and inference, served first
            reserved_mw = site.reserved_mw
            inference_mw, inference_peak_mw = served.mw[t], served.peak_mw[t]
            requests, within, tokens_usd = served.requests[t], served.within_slo[t], served.revenue_usd[t]
            must_peak = reserved_mw + inference_peak_mw + other_idle
            # 3: training under the smaller of the policy's budget and what the cap leaves
            training_mw = training_peak_mw = training_idle_mw  # no job: the pool idles
            write_dip = restart_dip = work_gpu_s = 0.0
            budget_mw = 0.0
            cap_fraction = 1.0
            if cluster is not None:
                assert model is not None
                policy_w = decision_budget_w(model, pool_nodes, float(decision.training_nodes))
                left_w = max(0.0, (cap - must_peak) * W_PER_MW / train_pue)
                budget_w = min(policy_w, left_w, full_draw_w)  # above the full draw: no limit
                cluster.set_budget_w(budget_w)
                ran = cluster.step(end_s)
                training_mw = ran.energy_j / step_s * train_pue / W_PER_MW
                training_peak_mw = ran.peak_w * train_pue / W_PER_MW
                write_dip = ran.write_saved_j / step_s * train_pue / W_PER_MW
                restart_dip = ran.restart_saved_j / step_s * train_pue / W_PER_MW
                work_gpu_s = ran.work_gpu_s
                budget_mw = budget_w * train_pue / W_PER_MW
                cap_fraction = ran.cap_fraction
            ai_peak = must_peak + training_peak_mw
            fill_mw = write_dip * write_share + restart_dip * restart_share
            # 4: mining takes what is left
            normal, low = decided_modes(site, decision)
            asic_request_mw = float((normal * site.asic_power_mw + low * low_unit_mw).sum())
            excess = asic_request_mw - max(0.0, cap - ai_peak + fill_mw)
            clipped = max(0.0, excess)
            shed_asics(site, normal, low, excess)
            asic_mw = float((normal * site.asic_power_mw + low * low_unit_mw).sum())
            dip_filled = max(0.0, min(fill_mw, asic_mw - max(0.0, cap - ai_peak)))
            # last resort: shed inference, then reserved, so the cap holds
            inference_served = reserved_served = 1.0
            over = asic_mw + must_peak + training_peak_mw - dip_filled - cap
            if over > TOLERANCE_MW and inference_peak_mw > 0:
                cut = min(over, inference_peak_mw)
                inference_served = 1.0 - cut / inference_peak_mw
                over -= cut
            if over > TOLERANCE_MW and reserved_mw > 0:
                cut = min(over, reserved_mw)
                reserved_served = 1.0 - cut / reserved_mw
                over -= cut
            if over > TOLERANCE_MW and pool_nodes:  # last resort: power idle training nodes off
                running = cluster.queue().running_gpus if cluster is not None else 0
                idle_nodes_share = 1.0 - running / (pool_nodes * gpn)
                off = min(over, training_idle_mw * idle_nodes_share)
                training_mw -= off
                over -= off
            # book
            ai.reserved_mw[t] = reserved_mw * reserved_served
            ai.inference_mw[t] = inference_mw * inference_served
            ai.training_mw[t] = training_mw
            ai.other_idle_mw[t] = other_idle
            ai.ai_peak_mw[t] = ai_peak
            ai.write_dip_mw[t] = write_dip
            ai.restart_dip_mw[t] = restart_dip
            ai.dip_filled_mw[t] = dip_filled
            ai.training_budget_mw[t] = budget_mw
            ai.training_work_gpu_h[t] = work_gpu_s / 3600.0
            ai.training_cap_fraction[t] = cap_fraction
            ai.inference_requests[t] = requests * inference_served
            ai.inference_within_slo[t] = within * inference_served
            ai.inference_served[t] = inference_served
            ai.reserved_served[t] = reserved_served
            ai.revenue_training_usd[t] = work_gpu_s * price_per_gpu_s
            ai.revenue_inference_usd[t] = tokens_usd * inference_served
            applied_all.asic_normal[:, t] = normal
            applied_all.asic_low[:, t] = low
            applied_all.inference_served[t] = inference_served
            applied_all.reserved_served[t] = reserved_served
            applied_all.site_mw[t] = (
                asic_mw + ai.reserved_mw[t] + ai.inference_mw[t] + training_mw + other_idle
            )
            applied_all.clipped_mw[t] = clipped
            measured = (inference_mw * inference_served - served.idle_mw) / site.inference_mw_at_full
            measured_fraction[t] = min(max(measured, 0.0), 1.0) if site.inference_mw_at_full > 0 else 0.0
            must_serve_last = ai.reserved_mw[t] + ai.inference_mw[t] + other_idle + training_idle_mw
            on_fraction = normal + low
            if progress is not None and (t % report_every == 0 or t == periods - 1):
                progress(t + 1, periods)
        ledger = Ledger.empty(site, inputs, schedule, policy.name, self.scenario.start_utc)
        ledger.book(applied_all)
        backlog = cluster.queue().requested_node_hours if cluster is not None else 0.0
        book_ai(ledger, ai)
        ledger.finish(backlog)
        schedule_result = cluster.result() if cluster is not None else None
        ledger.ai_outcome = ai_outcome(ai, schedule_result, step_h).as_json()
        ledger.ai_series_mw = ai_series(ai)
        return ledger


@dataclass(frozen=True)
class ServedInference:
    """Inference of every service per interval (it never depends on the dispatch policy)."""

    mw: np.ndarray
    peak_mw: np.ndarray
    requests: np.ndarray
    within_slo: np.ndarray
    revenue_usd: np.ndarray
    idle_mw: float


def serve_inference(parts: CoupledParts, periods: int) -> ServedInference:
    """Run each service's autoscaled fleet over the horizon, read back per interval."""
    step_s = parts.site.step_s
    out = {name: np.zeros(periods) for name in ("mw", "peak_mw", "requests", "within_slo", "revenue_usd")}
    idle_mw = 0.0
    for k, part in enumerate(parts.inference):
        fleet = InferenceFleet(
            part.curve, part.mix, part.capacity, part.service, autoscaler_for(part), node=part.node_group,
            node_count=part.node_count, seed=k,
        )
        idle_mw += fleet.idle_w * part.pue / W_PER_MW
        tokens = part.mix.mean_input_tokens + part.mix.mean_output_tokens  # prompt and output tokens
        usd_per_request = tokens * part.service.price_usd_per_million_tokens / 1e6
        for t in range(periods):
            done = fleet.step((t + 1) * step_s)
            out["mw"][t] += done.energy_j / step_s * part.pue / W_PER_MW
            out["peak_mw"][t] += done.peak_w * part.pue / W_PER_MW
            out["requests"][t] += done.requests
            out["within_slo"][t] += done.requests_within_slo
            out["revenue_usd"][t] += done.requests * usd_per_request
    return ServedInference(**out, idle_mw=idle_mw)


def ai_series(ai: AiArrays) -> dict[str, np.ndarray]:
    """The per-interval AI draw by class (facility MW) that reports plot."""
    return {
        "reserved": ai.reserved_mw,
        "inference": ai.inference_mw,
        "training": ai.training_mw + ai.other_idle_mw,
        "checkpoint_dips": ai.write_dip_mw + ai.restart_dip_mw,
        "dip_filled_by_mining": ai.dip_filled_mw,
    }


def book_ai(ledger: Ledger, ai: AiArrays) -> None:
    """Replace the AI lines the fluid engine books with what the coupled site ran (site draw,
    energy cost and served shares are booked by :meth:`Ledger.book` from the applied arrays)."""
    uses = ledger.energy_use_mw
    uses["ai_reserved"][:] = ai.reserved_mw
    uses["ai_inference"][:] = ai.inference_mw
    uses["ai_training"][:] = ai.training_mw
    uses["ai_idle"][:] = ai.other_idle_mw
    revenue = ledger.revenue_usd
    revenue["training"][:] = ai.revenue_training_usd
    revenue["inference"][:] = ai.revenue_inference_usd


def ai_outcome(ai: AiArrays, schedule: ScheduleResult | None, step_h: float) -> AiOutcome:
    """Per-class outcomes: JCT and work of training, SLO attainment of inference, reserved uptime."""
    outcome = AiOutcome()
    periods = len(ai.training_cap_fraction)
    if schedule is not None:
        jct = schedule.jct_s
        done = np.isfinite(jct)
        outcome.training = {
            "jobs": float(len(schedule.job_ids)),
            "jobs_completed": float(done.sum()),
            "mean_jct_s": float(jct[done].mean()) if done.any() else math.nan,
            "p95_jct_s": float(np.percentile(jct[done], 95)) if done.any() else math.nan,
            "work_gpu_h": float(ai.training_work_gpu_h.sum()),
            "energy_mwh": float(ai.training_mw.sum() * step_h),
            "preemptions": float(schedule.preemptions),
            "pauses": float(schedule.pauses),
            "lost_work_gpu_h": float(schedule.lost_work_gpu_s / 3600.0),
            "capped_share": float((ai.training_cap_fraction < 1.0 - 1e-9).mean()) if periods else 0.0,
        }
    requests = float(ai.inference_requests.sum())
    outcome.inference = {
        "requests": requests,
        "slo_attainment": float(ai.inference_within_slo.sum() / requests) if requests > 0 else 1.0,
        "energy_mwh": float(ai.inference_mw.sum() * step_h),
        "served_share": float(ai.inference_served.mean()) if len(ai.inference_served) else 1.0,
    }
    outcome.reserved = {
        "uptime": float(ai.reserved_served.mean()) if len(ai.reserved_served) else 1.0,
        "energy_mwh": float(ai.reserved_mw.sum() * step_h),
    }
    dips = float((ai.write_dip_mw + ai.restart_dip_mw).sum() * step_h)
    outcome.training["dip_mwh"] = dips
    outcome.training["dip_filled_mwh"] = float(ai.dip_filled_mw.sum() * step_h)
    return outcome
