"""Inference autoscaling: replicas of an LLM service follow a request trace under a TTFT SLO.

Model (a fluid queue, fast enough for months of traffic):

* Demand: an expected request rate per step — a daily cycle (e.g. the Alibaba GenAI trace's
  hour-of-day profile via ``wattswitch.data.inference.diurnal_profile``) scaled to the service's
  peak, times an optional short-term burst pattern (e.g. an Azure trace's own per-10-s rate,
  normalised) — with Poisson arrivals drawn per step (seeded).
* Work: a request costs ``output / decode_rate + input / prefill_rate`` replica-seconds, with
  token sizes from a real trace (:class:`RequestMix`, e.g. Azure conversation). The per-step
  work of ``n`` requests is drawn as ``n × mean + sqrt(n) × sd × z`` (central limit).
* Queue: all active replicas drain one FIFO backlog. A request arriving in a step waits for the
  backlog at mid-step divided by the active replicas; then its prefill shares the replica with
  the running batch: a processor-sharing server at utilisation ρ stretches a job of size x to
  x / (1 − ρ) (M/G/1-PS), so TTFT = wait + prefill / (1 − ρ). The step's SLO attainment is the
  share of the mix's prompt sizes for which that fits in the SLO.
* Replicas: the autoscaler (:class:`TargetUtilizationAutoscaler`, a pure policy) decides every
  ``decision_interval_s``; new replicas serve after ``scale_up_delay_s`` (loading weights) and
  hold their GPUs while loading; surplus replicas stop at once.

Capacity per 8×H100 replica: 2,500 output tokens/s (catalog ``llm_70b_tokens_per_s_8xh100``)
and :data:`PREFILL_TOKENS_PER_S_8XH100` prompt tokens/s — a derived figure: a 70B model needs
≈ 2 × 70e9 FLOP per prompt token; 8 H100 SXM give 8 × 989 TFLOP/s dense BF16 (NVIDIA H100
datasheet); at ≈ 40 % model-FLOP utilisation that is ≈ 22,600 tokens/s, taken as 20,000.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wattswitch.errors import ModelError
from wattswitch.model.catalog import figure
from wattswitch.model.fleet import GpuNodeGroup
from wattswitch.model.traces import RequestTrace
from wattswitch.model.workloads import InferenceService
from wattswitch.scheduling.config import LendingSchedule
from wattswitch.scheduling.views import FloatArray

PREFILL_TOKENS_PER_S_8XH100 = 20_000.0
S_PER_HOUR = 3600.0
J_PER_MWH = 3.6e9
HOURS_PER_DAY = 24
RHO_MAX = 0.999


@dataclass(frozen=True)
class ReplicaCapacity:
    """What one replica (``gpus_per_replica`` GPUs) processes per second."""

    decode_tokens_per_s: float = figure("llm_70b_tokens_per_s_8xh100").value
    prefill_tokens_per_s: float = PREFILL_TOKENS_PER_S_8XH100
    gpus_per_replica: int = 8

    def __post_init__(self) -> None:
        if self.decode_tokens_per_s <= 0 or self.prefill_tokens_per_s <= 0 or self.gpus_per_replica < 1:
            raise ModelError("ReplicaCapacity: token rates must be > 0 and gpus_per_replica ≥ 1")

    @classmethod
    def of_service(cls, service: InferenceService) -> ReplicaCapacity:
        """Decode rate and replica size of a scenario's service (prefill from the derivation)."""
        return cls(service.tokens_per_s_per_replica, PREFILL_TOKENS_PER_S_8XH100, service.gpus_per_replica)

    def nodes_on(self, node: GpuNodeGroup) -> int:
        """Whole nodes of ``node``'s hardware one replica holds (at least one)."""
        return max(1, self.gpus_per_replica // node.gpus_per_node)

    def work_s(self, input_tokens: FloatArray, output_tokens: FloatArray) -> FloatArray:
        """Replica-seconds each request takes."""
        return np.asarray(
            output_tokens / self.decode_tokens_per_s + input_tokens / self.prefill_tokens_per_s,
            dtype=np.float64,
        )


@dataclass(frozen=True)
class RequestMix:
    """Request sizes: mean/sd of work per request and the sorted prompt sizes (for TTFT)."""

    mean_work_s: float
    sd_work_s: float
    sorted_input_tokens: FloatArray
    mean_input_tokens: float
    mean_output_tokens: float

    @classmethod
    def from_trace(cls, trace: RequestTrace, capacity: ReplicaCapacity) -> RequestMix:
        """Sizes from a trace with token counts (e.g. Azure conversation)."""
        frame = trace.frame
        inputs = frame["input_tokens"].to_numpy(dtype=np.float64)
        outputs = frame["output_tokens"].to_numpy(dtype=np.float64)
        ok = np.isfinite(inputs) & np.isfinite(outputs)
        if not ok.any():
            raise ModelError(f"{trace.source}: no requests with token counts")
        work = capacity.work_s(inputs[ok], outputs[ok])
        return cls(
            mean_work_s=float(work.mean()), sd_work_s=float(work.std()),
            sorted_input_tokens=np.sort(inputs[ok]), mean_input_tokens=float(inputs[ok].mean()),
            mean_output_tokens=float(outputs[ok].mean()),
        )

    def share_prefill_within(self, budget_s: FloatArray, capacity: ReplicaCapacity) -> FloatArray:
        """Share of requests whose own prefill fits in ``budget_s`` (vectorised)."""
        tokens = np.maximum(budget_s, 0.0) * capacity.prefill_tokens_per_s
        return np.asarray(
            np.searchsorted(self.sorted_input_tokens, tokens, side="right") / len(self.sorted_input_tokens),
            dtype=np.float64,
        )


@dataclass(frozen=True)
class DemandCurve:
    """Expected requests per second in consecutive steps of ``step_s`` from t = 0.

    ``forecast_per_s`` is what the operator expects (the daily cycle, without bursts): the
    autoscaler may read it ahead; ``rate_per_s`` adds the bursts nobody forecasts.
    """

    step_s: float
    rate_per_s: FloatArray
    forecast_per_s: FloatArray

    def __post_init__(self) -> None:
        if self.step_s <= 0 or len(self.rate_per_s) != len(self.forecast_per_s):
            raise ModelError("DemandCurve: step_s > 0 and equally long rate/forecast needed")

    @property
    def span_s(self) -> float:
        """Length of the curve."""
        return self.step_s * len(self.rate_per_s)

    @classmethod
    def diurnal(
        cls,
        profile: FloatArray,
        peak_per_s: float,
        span_s: float,
        step_s: float = 10.0,
        *,
        start_hour: float = 0.0,
        smooth_hours: int = 3,
        floor_fraction: float = 0.1,
        burst: FloatArray | None = None,
        burst_step_s: float = 10.0,
    ) -> DemandCurve:
        """Scale a 24-value hour-of-day profile to ``peak_per_s``.

        The profile is smoothed with a centred circular ``smooth_hours`` mean (a small trace's
        hourly counts are noisy), divided by its maximum, floored at ``floor_fraction`` (a chat
        service never drops to zero) and interpolated linearly between hour centres.
        ``burst`` (mean 1) multiplies the rate, repeating every ``len(burst) × burst_step_s``.
        """
        if len(profile) != HOURS_PER_DAY or peak_per_s <= 0 or span_s <= 0:
            raise ModelError("DemandCurve.diurnal: 24 profile values, peak > 0 and span > 0 needed")
        shape = np.asarray(profile, dtype=np.float64)
        if smooth_hours > 1:
            half = smooth_hours // 2
            shape = np.mean([np.roll(shape, k) for k in range(-half, smooth_hours - half)], axis=0)
        shape = np.maximum(shape / shape.max(), floor_fraction)
        steps = math.ceil(span_s / step_s)
        hours = (start_hour + (np.arange(steps) + 0.5) * step_s / S_PER_HOUR) % HOURS_PER_DAY
        centres = np.arange(HOURS_PER_DAY + 1) + 0.5 - 1.0  # -0.5 .. 23.5, wrapped below
        values = np.append(shape[-1], shape)
        hours_wrapped = np.where(hours >= 23.5, hours - 24.0, hours)
        forecast = peak_per_s * np.interp(hours_wrapped, centres, values)
        rate = forecast.copy()
        if burst is not None and len(burst):
            pattern = np.asarray(burst, dtype=np.float64) / float(np.mean(burst))
            index = (np.floor(np.arange(steps) * step_s / burst_step_s).astype(np.int64)) % len(pattern)
            rate = forecast * pattern[index]
        return cls(step_s=float(step_s), rate_per_s=rate, forecast_per_s=forecast)


def burst_pattern(trace: RequestTrace, step_s: float = 10.0) -> FloatArray:
    """A trace's own per-step arrival rate divided by its mean (short-term burstiness)."""
    rate = trace.rate_per_s(int(step_s)).to_numpy(dtype=np.float64)
    if not len(rate) or rate.mean() <= 0:
        raise ModelError(f"{trace.source}: no arrivals to take a burst pattern from")
    return np.asarray(rate / rate.mean(), dtype=np.float64)


@dataclass(frozen=True)
class AutoscaleObservation:
    """What the autoscaler sees at a decision."""

    now_s: float
    observed_rate_per_s: float
    forecast_peak_per_s: float
    active_replicas: int
    warming_replicas: int
    backlog_s: float
    mean_work_s: float


@dataclass(frozen=True)
class ScaleDecision:
    """Replicas wanted (active + warming)."""

    target_replicas: int


@dataclass(frozen=True)
class TargetUtilizationAutoscaler:
    """Keep replicas at ``target_utilization`` of the larger of observed and forecast demand.

    ``forecast_peak_per_s`` is the highest forecast rate until a replica started now could
    serve plus one decision interval, so scale-ups land before the daily ramp. Observed demand
    (last interval) is inflated by ``observed_margin`` to cover what the forecast misses; a
    backlog adds the replicas needed to drain it within ``drain_s``. Scale-downs follow the
    highest target of the last ``scale_down_stabilization_s`` (Kubernetes HPA's default
    stabilisation window for scale-down is 300 s), so a dip of a minute frees nothing.
    """

    target_utilization: float = 0.6
    observed_margin: float = 0.15
    drain_s: float = 60.0
    min_replicas: int = 1
    max_replicas: int = 10**6
    scale_down_stabilization_s: float = 300.0

    def __post_init__(self) -> None:
        if not 0 < self.target_utilization <= 1 or self.min_replicas < 0:
            raise ModelError("TargetUtilizationAutoscaler: target_utilization in (0, 1] needed")

    def decide(self, obs: AutoscaleObservation) -> ScaleDecision:
        """Replicas for the demand ahead."""
        rate = max(obs.observed_rate_per_s * (1 + self.observed_margin), obs.forecast_peak_per_s)
        need = rate * obs.mean_work_s / self.target_utilization + obs.backlog_s / self.drain_s
        target = max(self.min_replicas, min(self.max_replicas, math.ceil(need - 1e-9)))
        return ScaleDecision(target)

    def stabilize(self, recent_targets: list[int]) -> int:
        """The target to act on given the raw targets of the stabilisation window (newest last)."""
        return max(recent_targets)

    def forecast_targets(self, curve: DemandCurve, mean_work_s: float) -> npt.NDArray[np.int64]:
        """What the policy would want per step if demand followed the forecast exactly."""
        need = curve.forecast_per_s * (1 + self.observed_margin) * mean_work_s / self.target_utilization
        return np.clip(np.ceil(need - 1e-9), self.min_replicas, self.max_replicas).astype(np.int64)

    def static_replicas(self, curve: DemandCurve, mean_work_s: float) -> int:
        """Static peak provisioning: the replicas this policy wants at the forecast peak."""
        need = float(curve.forecast_per_s.max()) * (1 + self.observed_margin) * mean_work_s
        return max(self.min_replicas, math.ceil(need / self.target_utilization - 1e-9))


@dataclass(frozen=True)
class InferenceResult:
    """Outcome of serving a demand curve with some replica policy."""

    requests: float
    slo_attainment: float
    gpu_hours: float
    energy_mwh: float
    replicas_max: int
    replicas_mean: float
    replicas: np.ndarray  # allocated (active + warming) replicas per step
    step_s: float
    p99_wait_s: float
    mean_utilization: float


@dataclass(frozen=True)
class LendingPolicy:
    """Which idle inference nodes to lend to preemptible training.

    Lend the pool's replicas beyond both what the service holds now and the most the forecast
    says it will want within ``horizon_s`` (so nodes about to be needed are not lent only to be
    taken back), minus ``buffer_replicas`` kept warm-free for surprises. A taken-back node's
    training jobs stop at once and restart from their checkpoints; the replica then loads as
    in any scale-up, so lending never delays inference.
    """

    horizon_s: float = 3600.0
    buffer_replicas: int = 1

    def schedule(
        self,
        served: InferenceResult,
        forecast_targets: npt.NDArray[np.int64],
        pool_replicas: int,
        nodes_per_replica: int = 1,
    ) -> LendingSchedule:
        """Lent nodes over time for a pool of ``pool_replicas`` replicas."""
        window = max(1, math.ceil(self.horizon_s / served.step_s))
        ahead = _sliding_max(forecast_targets.astype(np.float64), window)
        held = np.maximum(served.replicas.astype(np.float64), ahead)
        idle = np.maximum(pool_replicas - held - self.buffer_replicas, 0).astype(np.int64) * nodes_per_replica
        change = np.ones(len(idle), dtype=bool)
        change[1:] = idle[1:] != idle[:-1]
        starts = np.flatnonzero(change).astype(np.float64) * served.step_s
        return LendingSchedule(
            start_s=starts, lent_nodes=idle[change], max_nodes=pool_replicas * nodes_per_replica,
        )


def simulate_inference(
    curve: DemandCurve,
    mix: RequestMix,
    capacity: ReplicaCapacity,
    service: InferenceService,
    *,
    autoscaler: TargetUtilizationAutoscaler | None = None,
    static_replicas: int | None = None,
    decision_interval_s: float = 60.0,
    node: GpuNodeGroup | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> InferenceResult:
    """Serve ``curve`` with an autoscaler, or with ``static_replicas`` fixed replicas.

    ``service`` gives the TTFT SLO and the scale-up delay. Energy counts allocated replicas'
    nodes at idle power plus the dynamic power of their utilisation (``node``; none → 0).
    """
    if (autoscaler is None) == (static_replicas is None):
        raise ModelError("simulate_inference: give either an autoscaler or static_replicas")
    rng = np.random.default_rng(seed)
    step = curve.step_s
    steps = len(curve.rate_per_s)
    counts = rng.poisson(curve.rate_per_s * step).astype(np.float64)
    noise = rng.standard_normal(steps)
    work = np.maximum(counts * mix.mean_work_s + np.sqrt(counts) * mix.sd_work_s * noise, 0.0)
    slo = service.ttft_slo_s
    delay = service.scale_up_delay_s
    every = max(1, round(decision_interval_s / step))
    ahead = max(1, math.ceil((delay + decision_interval_s) / step))
    # forecast peak over [k, k + ahead): sliding max via reversed cumulative blocks
    forecast_ahead = _sliding_max(curve.forecast_per_s, ahead)

    if static_replicas is not None:
        active = static_replicas
    else:  # warm start: what the policy wants at t = 0, already loaded
        assert autoscaler is not None
        active = autoscaler.decide(AutoscaleObservation(
            now_s=0.0, observed_rate_per_s=float(curve.forecast_per_s[0]),
            forecast_peak_per_s=float(forecast_ahead[0]), active_replicas=0, warming_replicas=0,
            backlog_s=0.0, mean_work_s=mix.mean_work_s,
        )).target_replicas
    warming: list[float] = []  # ready times of replicas loading weights
    backlog = 0.0
    replicas = np.zeros(steps, dtype=np.int64)
    waits = np.zeros(steps)
    rho = np.zeros(steps)
    active_steps = np.zeros(steps, dtype=np.int64)
    window_arrivals = 0.0
    recent: deque[tuple[float, int]] = deque()
    hold = autoscaler.scale_down_stabilization_s if autoscaler is not None else 0.0
    for k in range(steps):
        now = k * step
        if warming and warming[0] <= now:
            ready = sum(1 for t in warming if t <= now)
            active += ready
            warming = warming[ready:]
        if autoscaler is not None and k % every == 0:
            observed = window_arrivals / (every * step) if k else float(curve.forecast_per_s[0])
            window_arrivals = 0.0
            decision = autoscaler.decide(AutoscaleObservation(
                now_s=now, observed_rate_per_s=observed, forecast_peak_per_s=float(forecast_ahead[k]),
                active_replicas=active, warming_replicas=len(warming), backlog_s=backlog,
                mean_work_s=mix.mean_work_s,
            ))
            recent.append((now, decision.target_replicas))
            while recent[0][0] < now - hold:
                recent.popleft()
            target = autoscaler.stabilize([t for _, t in recent])
            have = active + len(warming)
            if target > have:
                warming.extend([now + delay] * (target - have))
            elif target < have:
                surplus = have - target
                drop_warming = min(surplus, len(warming))
                warming = warming[: len(warming) - drop_warming]
                active -= surplus - drop_warming
        window_arrivals += counts[k]
        cap = active * step
        w = work[k]
        mid = max(0.0, backlog + (w - cap) / 2.0)
        waits[k] = mid / active if active else math.inf
        rho[k] = min(w / cap, RHO_MAX) if cap > 0 else RHO_MAX
        if backlog > 0:
            rho[k] = RHO_MAX
        backlog = max(0.0, backlog + w - cap)
        replicas[k] = active + len(warming)
        active_steps[k] = active
        if progress is not None and k % 100_000 == 0:
            progress(k, steps)
    attained = mix.share_prefill_within((slo - waits) * (1.0 - rho), capacity)
    total = float(counts.sum())
    slo_share = float((attained * counts).sum() / total) if total else 1.0
    gpu_hours = float(replicas.sum() * step * capacity.gpus_per_replica / S_PER_HOUR)
    energy = 0.0
    if node is not None:
        nodes_per_replica = capacity.nodes_on(node)
        util = np.minimum(work / np.maximum(active_steps * step, 1e-9), 1.0)
        dyn = node.busy_node_power_w - node.idle_node_power_w
        power_w = replicas * nodes_per_replica * node.idle_node_power_w + (
            active_steps * nodes_per_replica * dyn * util
        )
        energy = float(power_w.sum() * step / J_PER_MWH)
    order = np.argsort(waits)
    cum = np.cumsum(counts[order])
    p99 = float(waits[order][np.searchsorted(cum, 0.99 * total)]) if total else 0.0
    return InferenceResult(
        requests=total, slo_attainment=slo_share, gpu_hours=gpu_hours, energy_mwh=energy,
        replicas_max=int(replicas.max()), replicas_mean=float(replicas.mean()), replicas=replicas,
        step_s=step, p99_wait_s=p99,
        mean_utilization=float((work.sum()) / max(float((active_steps * step).sum()), 1e-9)),
    )


def _sliding_max(values: FloatArray, window: int) -> FloatArray:
    """``out[k] = max(values[k : k + window])`` (shorter windows at the end)."""
    n = len(values)
    padded = np.concatenate([values, np.full(window - 1, -np.inf)])
    view = np.lib.stride_tricks.sliding_window_view(padded, window)
    return np.asarray(view.max(axis=1)[:n], dtype=np.float64)


@dataclass(frozen=True)
class InferenceInterval:
    """What an inference fleet did between two steps (energy in J, work in replica-seconds)."""

    energy_j: float
    peak_w: float
    requests: float
    requests_within_slo: float
    work_s: float
    replicas_mean: float
    utilization: float


class InferenceFleet:
    """:func:`simulate_inference`'s autoscaled service, advanced interval by interval.

    The service owns ``node_count`` nodes (idle when no replica runs on them); the same demand
    draws, queue, autoscaler and SLO arithmetic as :func:`simulate_inference` with an autoscaler
    (tested equal), read back per interval for the coupled site.
    """

    def __init__(
        self,
        curve: DemandCurve,
        mix: RequestMix,
        capacity: ReplicaCapacity,
        service: InferenceService,
        autoscaler: TargetUtilizationAutoscaler,
        *,
        node: GpuNodeGroup,
        node_count: int,
        decision_interval_s: float = 60.0,
        seed: int = 0,
    ) -> None:
        rng = np.random.default_rng(seed)
        self.curve, self.mix, self.capacity, self.service = curve, mix, capacity, service
        self.autoscaler = autoscaler
        step = curve.step_s
        steps = len(curve.rate_per_s)
        self.counts = rng.poisson(curve.rate_per_s * step).astype(np.float64)
        noise = rng.standard_normal(steps)
        spread = np.sqrt(self.counts) * mix.sd_work_s * noise
        self.work = np.maximum(self.counts * mix.mean_work_s + spread, 0.0)
        self.every = max(1, round(decision_interval_s / step))
        ahead = max(1, math.ceil((service.scale_up_delay_s + decision_interval_s) / step))
        self.forecast_ahead = _sliding_max(curve.forecast_per_s, ahead)
        self.nodes_per_replica = capacity.nodes_on(node)
        self.node_count = node_count
        self.idle_w = node_count * node.idle_node_power_w
        dynamic_node_w = node.busy_node_power_w - node.idle_node_power_w
        self.dynamic_w_per_replica = self.nodes_per_replica * dynamic_node_w
        self.active = autoscaler.decide(AutoscaleObservation(
            now_s=0.0, observed_rate_per_s=float(curve.forecast_per_s[0]),
            forecast_peak_per_s=float(self.forecast_ahead[0]), active_replicas=0, warming_replicas=0,
            backlog_s=0.0, mean_work_s=mix.mean_work_s,
        )).target_replicas
        self.max_replicas = node_count // self.nodes_per_replica
        self.active = min(self.active, self.max_replicas)
        self.warming: list[float] = []
        self.backlog = 0.0
        self.window_arrivals = 0.0
        self.recent: deque[tuple[float, int]] = deque()
        self.k = 0
        self.replicas = np.zeros(steps, dtype=np.int64)
        self.waits = np.zeros(steps)
        self.rho = np.zeros(steps)
        self.active_steps = np.zeros(steps, dtype=np.int64)

    @property
    def steps(self) -> int:
        """Sub-steps of the demand curve."""
        return len(self.counts)

    def step(self, until_s: float) -> InferenceInterval:
        """Serve every demand sub-step starting before ``until_s``."""
        curve, step = self.curve, self.curve.step_s
        autoscaler, counts, work = self.autoscaler, self.counts, self.work
        first = self.k
        stop = min(self.steps, max(first, math.ceil(until_s / step - 1e-9)))
        hold = autoscaler.scale_down_stabilization_s
        active, warming, backlog = self.active, self.warming, self.backlog
        for k in range(first, stop):
            now = k * step
            if warming and warming[0] <= now:
                ready = sum(1 for t in warming if t <= now)
                active += ready
                warming = warming[ready:]
            if k % self.every == 0:
                observed = self.window_arrivals / (self.every * step) if k else float(curve.forecast_per_s[0])
                self.window_arrivals = 0.0
                decision = autoscaler.decide(AutoscaleObservation(
                    now_s=now, observed_rate_per_s=observed,
                    forecast_peak_per_s=float(self.forecast_ahead[k]), active_replicas=active,
                    warming_replicas=len(warming), backlog_s=backlog, mean_work_s=self.mix.mean_work_s,
                ))
                self.recent.append((now, decision.target_replicas))
                while self.recent[0][0] < now - hold:
                    self.recent.popleft()
                target = min(autoscaler.stabilize([t for _, t in self.recent]), self.max_replicas)
                have = active + len(warming)
                if target > have:
                    warming.extend([now + self.service.scale_up_delay_s] * (target - have))
                elif target < have:
                    surplus = have - target
                    drop_warming = min(surplus, len(warming))
                    warming = warming[: len(warming) - drop_warming]
                    active -= surplus - drop_warming
            self.window_arrivals += counts[k]
            cap = active * step
            w = work[k]
            mid = max(0.0, backlog + (w - cap) / 2.0)
            self.waits[k] = mid / active if active else math.inf
            rho = min(w / cap, RHO_MAX) if cap > 0 else RHO_MAX
            self.rho[k] = RHO_MAX if backlog > 0 else rho
            backlog = max(0.0, backlog + w - cap)
            self.replicas[k] = active + len(warming)
            self.active_steps[k] = active
        self.active, self.warming, self.backlog, self.k = active, warming, backlog, stop
        return self._interval(first, stop)

    def _interval(self, first: int, stop: int) -> InferenceInterval:
        if stop <= first:
            return InferenceInterval(0.0, self.idle_w, 0.0, 0.0, 0.0, 0.0, 0.0)
        step = self.curve.step_s
        counts, work = self.counts[first:stop], self.work[first:stop]
        active = self.active_steps[first:stop]
        util = np.minimum(work / np.maximum(active * step, 1e-9), 1.0)
        power_w = self.idle_w + active * self.dynamic_w_per_replica * util
        attained = self.mix.share_prefill_within(
            (self.service.ttft_slo_s - self.waits[first:stop]) * (1.0 - self.rho[first:stop]), self.capacity
        )
        served_s = float(np.minimum(work, active * step).sum())
        capacity_s = float((active * step).sum())
        return InferenceInterval(
            energy_j=float(power_w.sum() * step), peak_w=float(power_w.max()),
            requests=float(counts.sum()), requests_within_slo=float((attained * counts).sum()),
            work_s=served_s, replicas_mean=float(self.replicas[first:stop].mean()),
            utilization=served_s / capacity_s if capacity_s > 0 else 0.0,
        )
