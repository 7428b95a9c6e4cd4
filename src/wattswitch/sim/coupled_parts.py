"""The parts of a coupled site: the training cluster, the inference fleet, reserved tenants, mining.

:func:`coupled_parts` lays a scenario out as one interconnect shared by four loads:

- **reserved tenants**: their nodes draw idle power plus ``busy_fraction`` of the dynamic power,
  always (contracted; never touched by a policy);
- **inference**: each service gets the nodes of its peak replicas (served first; its replicas
  follow the request trace under the autoscaler, so its draw has the diurnal trough);
- **on-demand training**: the rest of the pool group, scheduled job by job (gang placement,
  preemption with checkpoint/restart, power caps then pauses, checkpoint-write dips);
- **mining**: the ASIC fleet, which takes what the cap leaves.

The :class:`SiteModel` the policies see is rebuilt to match: training pool = the cluster's
nodes, inference on its own nodes (``inference_mw_at_full`` its dynamic power at peak), so
``must_serve_mw(fraction)`` is the reserved and inference draw at a measured inference fraction.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wattswitch.errors import ModelError
from wattswitch.model import catalog
from wattswitch.model.fleet import GpuNodeGroup
from wattswitch.model.scenario import Scenario
from wattswitch.model.site_model import SiteModel, site_model
from wattswitch.model.traces import JobTrace, RequestTrace
from wattswitch.model.workloads import InferenceService
from wattswitch.scheduling.config import CheckpointConfig, ClusterSpec, TrainingPhases
from wattswitch.scheduling.inference import (
    DemandCurve,
    ReplicaCapacity,
    RequestMix,
    TargetUtilizationAutoscaler,
)
from wattswitch.scheduling.policies import Scheduler, make_scheduler
from wattswitch.scheduling.power import ClusterPowerModel

INFERENCE_STEP_S = 60.0
DEFAULT_SCHEDULER = "srtf-est"
# A generated request mix when no trace gives token counts: prompts log-normal around the Azure
# LLM conversation trace's mean (≈ 1,000 tokens), outputs the service's mean tokens per request.
GENERATED_PROMPT_MEAN_TOKENS = 1000.0
GENERATED_PROMPT_SIGMA = 1.0
# A trace's per-minute arrivals are its burstiness only when they are many: a trace of a few
# requests a minute is mostly Poisson noise, which the fleet's own draws already add.
MIN_BURST_REQUESTS_PER_STEP = 20.0


@dataclass(frozen=True)
class InferencePart:
    """One inference service on its own nodes."""

    service: InferenceService
    node_group: GpuNodeGroup
    node_count: int
    curve: DemandCurve
    mix: RequestMix
    capacity: ReplicaCapacity
    pue: float


@dataclass(frozen=True)
class CoupledParts:
    """Everything the coupled site steps, derived once from a scenario and its signals."""

    site: SiteModel
    jobs: JobTrace | None
    cluster: ClusterSpec | None
    cluster_group: GpuNodeGroup | None
    cluster_pue: float
    scheduler: Scheduler
    checkpoint: CheckpointConfig
    phases: TrainingPhases
    inference: tuple[InferencePart, ...]
    reserved_mw: float
    asic_power_up_s: float
    asic_power_down_s: float
    training_price_usd_per_gpu_hour: float

    @property
    def stall_absorbable_share(self) -> tuple[float, float]:
        """Shares of a write dip and of a restart dip that ASICs can fill: they draw only after
        ramping up and must be back down before the dip ends (its length is known: bytes to write)."""
        write_s = self.phases.checkpoint_write_s
        restart_s = self.checkpoint.restart_overhead_s
        response = self.asic_power_up_s + self.asic_power_down_s

        def share(length_s: float) -> float:
            return max(0.0, length_s - response) / length_s if length_s > 0 else 0.0

        return share(write_s), share(restart_s)


def checkpoint_write_s(state_gb_per_gpu: float, gpus_per_node: int, write_gb_per_s_per_node: float) -> float:
    """Wall seconds of one synchronous checkpoint write: a node's shards over its write bandwidth."""
    return state_gb_per_gpu * gpus_per_node / write_gb_per_s_per_node


def default_phases(gpus_per_node: int) -> TrainingPhases:
    """Checkpoint-write and stall figures from the catalog."""
    write_s = checkpoint_write_s(
        catalog.figure("training_checkpoint_state_gb_per_gpu").value,
        gpus_per_node,
        catalog.figure("training_checkpoint_write_gb_per_s_per_node").value,
    )
    return TrainingPhases(write_s, catalog.figure("training_stall_dynamic_power_fraction").value)


def _jobs_on_run_clock(jobs: JobTrace | None, scenario: Scenario) -> JobTrace | None:
    """The jobs submitted inside the horizon, their times from the run's start."""
    if jobs is None or jobs.frame.empty:
        return None
    offset_s = 0.0
    if jobs.origin_utc is not None:
        offset_s = (jobs.origin_utc - pd.Timestamp(scenario.start_utc)).total_seconds()
    frame = jobs.frame.copy()
    frame["submit_s"] = frame["submit_s"].to_numpy(dtype=float) + offset_s
    horizon_s = scenario.periods * scenario.step_s
    frame = frame[(frame["submit_s"] >= 0) & (frame["submit_s"] < horizon_s)]
    if frame.empty:
        return None
    frame = frame.sort_values("submit_s", kind="stable").reset_index(drop=True)
    return JobTrace(frame=frame, source=jobs.source, origin_utc=None)


def generated_mix(service: InferenceService, capacity: ReplicaCapacity, seed: int = 0) -> RequestMix:
    """A request mix for a service without a token trace (log-normal prompts, the service's outputs)."""
    rng = np.random.default_rng(seed)
    mu = math.log(GENERATED_PROMPT_MEAN_TOKENS) - GENERATED_PROMPT_SIGMA**2 / 2
    prompts = np.round(rng.lognormal(mu, GENERATED_PROMPT_SIGMA, 20_000))
    outputs = np.full(len(prompts), service.mean_tokens_per_request)
    work = capacity.work_s(prompts, outputs)
    return RequestMix(
        mean_work_s=float(work.mean()), sd_work_s=float(work.std()), sorted_input_tokens=np.sort(prompts),
        mean_input_tokens=float(prompts.mean()), mean_output_tokens=float(outputs.mean()),
    )


def demand_curve(
    fraction: np.ndarray, step_s: int, peak_per_s: float, requests: RequestTrace | None
) -> DemandCurve:
    """Requests per second on ``INFERENCE_STEP_S`` sub-steps: the per-interval demand shape
    (generated, or a trace's daily profile laid on the run's clock) scaled to the peak, times a
    trace's own short-term burstiness where it has one."""
    per = max(1, round(step_s / INFERENCE_STEP_S))
    forecast = np.repeat(np.clip(fraction, 0.0, 1.0) * peak_per_s, per)
    rate = forecast.copy()
    if requests is not None and requests.span_s > 10 * INFERENCE_STEP_S:
        burst = requests.rate_per_s(int(INFERENCE_STEP_S)).to_numpy(dtype=np.float64)
        if len(burst) and burst.mean() * INFERENCE_STEP_S >= MIN_BURST_REQUESTS_PER_STEP:
            pattern = burst / burst.mean()
            rate = forecast * pattern[np.arange(len(forecast)) % len(pattern)]
    return DemandCurve(step_s=INFERENCE_STEP_S, rate_per_s=rate, forecast_per_s=forecast)


def _has_tokens(requests: RequestTrace) -> bool:
    frame = requests.frame
    if "input_tokens" not in frame.columns or "output_tokens" not in frame.columns:
        return False
    tokens = frame[["input_tokens", "output_tokens"]].to_numpy(dtype=np.float64)
    return bool(np.isfinite(tokens).all(axis=1).any())


def _inference_parts(
    scenario: Scenario, fraction: np.ndarray, requests: RequestTrace | None
) -> tuple[InferencePart, ...]:
    parts = []
    for service in scenario.inference_services:
        group = scenario.gpu_group(service.gpu_group)
        capacity = ReplicaCapacity.of_service(service)
        mix = generated_mix(service, capacity)
        if requests is not None and _has_tokens(requests):
            mix = RequestMix.from_trace(requests, capacity)
        curve = demand_curve(fraction, scenario.step_s, service.peak_requests_per_s, requests)
        peak = np.array([service.peak_requests_per_s])  # what the autoscaler wants at the service's peak
        replicas = TargetUtilizationAutoscaler(min_replicas=service.min_replicas).static_replicas(
            DemandCurve(step_s=INFERENCE_STEP_S, rate_per_s=peak, forecast_per_s=peak), mix.mean_work_s
        )
        parts.append(InferencePart(
            service=service, node_group=group, node_count=replicas * capacity.nodes_on(group), curve=curve,
            mix=mix, capacity=capacity, pue=scenario.site.zone(group.cooling_zone).pue,
        ))
    return tuple(parts)


def coupled_parts(
    scenario: Scenario,
    base_site: SiteModel | None,
    inference_fraction: np.ndarray,
    jobs: JobTrace | None,
    *,
    requests: RequestTrace | None = None,
    scheduler_name: str = DEFAULT_SCHEDULER,
    phases: TrainingPhases | None = None,
) -> CoupledParts:
    """Lay ``scenario`` out as a coupled site (see the module docstring); ``phases`` default to the
    catalog's checkpoint figures."""
    base = base_site or site_model(scenario)
    inference = _inference_parts(scenario, inference_fraction, requests)
    reserved_by_group: dict[str, int] = {}
    for tenant in scenario.tenants:
        for reservation in tenant.reservations:
            reserved_by_group[reservation.gpu_group] = (
                reserved_by_group.get(reservation.gpu_group, 0) + reservation.node_count
            )
    held_by_inference: dict[str, int] = {}
    for part in inference:
        name = part.node_group.name
        held_by_inference[name] = held_by_inference.get(name, 0) + part.node_count
    queue = scenario.training_queue
    cluster: ClusterSpec | None = None
    group: GpuNodeGroup | None = None
    pue = 1.0
    if queue is not None:
        group = scenario.gpu_group(queue.gpu_group)
        free = group.node_count - reserved_by_group.get(group.name, 0) - held_by_inference.get(group.name, 0)
        if free < 1:
            raise ModelError(
                f"Scenario {scenario.name}: no node of {group.name!r} is left for on-demand training "
                f"({reserved_by_group.get(group.name, 0)} reserved, {held_by_inference.get(group.name, 0)} "
                "held by inference at its peak); add nodes or drop the training queue"
            )
        cluster = ClusterSpec(gpus=free * group.gpus_per_node, gpus_per_node=group.gpus_per_node, group=group)
        pue = scenario.site.zone(group.cooling_zone).pue
    for part in inference:
        taken = reserved_by_group.get(part.node_group.name, 0) + held_by_inference[part.node_group.name]
        if taken > part.node_group.node_count:
            raise ModelError(
                f"Scenario {scenario.name}: inference needs {held_by_inference[part.node_group.name]} nodes "
                f"of {part.node_group.name!r} at its peak, but only "
                f"{part.node_group.node_count - reserved_by_group.get(part.node_group.name, 0)} "
                "are not reserved"
            )
    inference_idle_mw = sum(p.node_count * p.node_group.idle_node_power_w * p.pue / 1e6 for p in inference)
    inference_dyn_mw = sum(
        p.node_count * (p.node_group.busy_node_power_w - p.node_group.idle_node_power_w) * p.pue / 1e6
        for p in inference
    )
    other_idle_mw = 0.0
    for g in scenario.gpu_groups:
        if group is not None and g.name == group.name:
            continue
        used = reserved_by_group.get(g.name, 0) + held_by_inference.get(g.name, 0)
        pue_g = scenario.site.zone(g.cooling_zone).pue
        other_idle_mw += (g.node_count - used) * g.idle_node_power_w * pue_g / 1e6
    site = dataclasses.replace(
        base,
        gpu_fixed_mw=base.reserved_mw + inference_idle_mw + other_idle_mw,
        inference_mw_at_full=inference_dyn_mw,
        inference_pool_nodes_at_full=0.0,
        training_pool_nodes=float(cluster.nodes) if cluster is not None else 0.0,
    )
    gpn = group.gpus_per_node if group is not None else 8
    fastest = min(
        scenario.asic_groups,
        key=lambda g: catalog.figure(f"asic_power_up_s_{g.firmware}").value
        + catalog.figure(f"asic_power_down_s_{g.firmware}").value,
        default=None,
    )
    firmware = fastest.firmware if fastest is not None else "stock"
    return CoupledParts(
        site=site,
        jobs=_jobs_on_run_clock(jobs, scenario) if cluster is not None else None,
        cluster=cluster,
        cluster_group=group,
        cluster_pue=pue,
        scheduler=make_scheduler(scheduler_name),
        checkpoint=CheckpointConfig.of_queue(queue) if queue is not None else CheckpointConfig(),
        phases=phases or default_phases(gpn),
        inference=inference,
        reserved_mw=base.reserved_mw,
        asic_power_up_s=catalog.figure(f"asic_power_up_s_{firmware}").value,
        asic_power_down_s=catalog.figure(f"asic_power_down_s_{firmware}").value,
        training_price_usd_per_gpu_hour=queue.price_usd_per_gpu_hour if queue is not None else 0.0,
    )


def autoscaler_for(part: InferencePart) -> TargetUtilizationAutoscaler:
    """The service's autoscaler (its minimum replicas; at most its nodes)."""
    return TargetUtilizationAutoscaler(
        min_replicas=part.service.min_replicas,
        max_replicas=part.node_count // part.capacity.nodes_on(part.node_group),
    )


def power_model(parts: CoupledParts) -> ClusterPowerModel | None:
    """The training cluster's power model (None without a training queue)."""
    return ClusterPowerModel(parts.cluster_group) if parts.cluster_group is not None else None
