"""Inference autoscaling: capacity per replica, demand curves, the autoscaler and lending."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wattswitch.errors import ModelError
from wattswitch.model.catalog import H100_POWER_CAP_CURVE
from wattswitch.model.fleet import GpuNodeGroup
from wattswitch.model.traces import RequestTrace
from wattswitch.model.workloads import InferenceService
from wattswitch.scheduling.inference import (
    AutoscaleObservation,
    DemandCurve,
    LendingPolicy,
    ReplicaCapacity,
    RequestMix,
    TargetUtilizationAutoscaler,
    burst_pattern,
    simulate_inference,
)

SERVICE = InferenceService(
    name="chat", gpu_group="h100", gpus_per_replica=8, tokens_per_s_per_replica=2500.0,
    peak_requests_per_s=50.0, mean_tokens_per_request=200.0, price_usd_per_million_tokens=1.0,
    ttft_slo_s=1.0, scale_up_delay_s=300.0,
)
NODE = GpuNodeGroup(
    name="h100", gpu_model="H100 SXM5", node_count=1, idle_node_power_w=2500.0,
    busy_node_power_w=10_200.0, cooling_zone="ai", power_cap_curve=H100_POWER_CAP_CURVE,
)
CAPACITY = ReplicaCapacity.of_service(SERVICE)
# A daily cycle with a long, low night (the shape of the Alibaba GenAI trace, simplified).
PROFILE = np.array([1.0] * 4 + [0.05] * 10 + [0.5] * 4 + [1.0] * 6)


def requests(inputs: list[float], outputs: list[float]) -> RequestTrace:
    frame = pd.DataFrame({
        "arrival_s": np.arange(len(inputs), dtype=float), "input_tokens": inputs,
        "output_tokens": outputs, "exec_time_s": np.nan,
    })
    return RequestTrace(frame=frame, source="test")


MIX = RequestMix.from_trace(requests([1000.0, 2000.0, 500.0, 8000.0], [200.0, 100.0, 300.0, 50.0]), CAPACITY)


def test_work_per_request_from_public_rates() -> None:
    assert CAPACITY.decode_tokens_per_s == 2500.0
    work = CAPACITY.work_s(np.array([20_000.0]), np.array([2500.0]))
    assert work[0] == pytest.approx(1.0 + 1.0)  # 1 s of prefill + 1 s of decode
    assert MIX.mean_work_s == pytest.approx(np.mean([0.13, 0.14, 0.145, 0.42]))
    share = MIX.share_prefill_within(np.array([0.0, 0.05, 0.1, 1.0]), CAPACITY)
    assert share.tolist() == [0.0, 0.5, 0.75, 1.0]  # prefill at 20k tokens/s: 1000, 2000 tokens
    with pytest.raises(ModelError):
        RequestMix.from_trace(requests([np.nan], [np.nan]), CAPACITY)


def test_diurnal_curve_scales_to_the_peak() -> None:
    flat = DemandCurve.diurnal(np.ones(24), 40.0, 86_400.0, 60.0, smooth_hours=1)
    assert np.allclose(flat.rate_per_s, 40.0)
    curve = DemandCurve.diurnal(PROFILE, 40.0, 2 * 86_400.0, 60.0, floor_fraction=0.1)
    assert curve.forecast_per_s.max() == pytest.approx(40.0)
    assert curve.forecast_per_s.min() == pytest.approx(4.0)  # floored at 10 % of the peak
    assert curve.span_s == pytest.approx(2 * 86_400.0)
    bursty = DemandCurve.diurnal(np.ones(24), 10.0, 3600.0, 10.0, burst=np.array([0.5, 1.5]))
    assert bursty.rate_per_s[:4].tolist() == [5.0, 15.0, 5.0, 15.0]
    with pytest.raises(ModelError):
        DemandCurve.diurnal(np.ones(23), 1.0, 10.0)


def test_burst_pattern_has_mean_one() -> None:
    trace = requests([1.0] * 30, [1.0] * 30)
    assert burst_pattern(trace, 10.0).mean() == pytest.approx(1.0)


def test_the_autoscaler_reads_ahead_and_covers_backlog() -> None:
    policy = TargetUtilizationAutoscaler(target_utilization=0.5, observed_margin=0.0, drain_s=60.0)
    obs = AutoscaleObservation(
        now_s=0.0, observed_rate_per_s=10.0, forecast_peak_per_s=20.0, active_replicas=3,
        warming_replicas=0, backlog_s=0.0, mean_work_s=0.1,
    )
    assert policy.decide(obs).target_replicas == 4  # 20 req/s × 0.1 s / 0.5
    backlog = AutoscaleObservation(**{**obs.__dict__, "backlog_s": 120.0})
    assert policy.decide(backlog).target_replicas == 6  # + 2 replicas to drain 120 s in 60 s
    assert policy.stabilize([5, 9, 4]) == 9


def test_autoscaling_keeps_the_slo_with_fewer_gpu_hours_than_static_peak() -> None:
    curve = DemandCurve.diurnal(PROFILE, 200.0, 3 * 86_400.0, 10.0)
    policy = TargetUtilizationAutoscaler()
    static = policy.static_replicas(curve, MIX.mean_work_s)
    auto = simulate_inference(curve, MIX, CAPACITY, SERVICE, autoscaler=policy, node=NODE)
    peak = simulate_inference(curve, MIX, CAPACITY, SERVICE, static_replicas=static, node=NODE)
    assert auto.slo_attainment >= 0.99
    assert peak.slo_attainment >= 0.99
    assert auto.gpu_hours < 0.8 * peak.gpu_hours
    assert auto.energy_mwh < peak.energy_mwh
    assert peak.gpu_hours == pytest.approx(static * 8 * 72)


def test_too_few_replicas_break_the_slo() -> None:
    curve = DemandCurve.diurnal(np.ones(24), 200.0, 3600.0, 10.0)
    need = 200.0 * MIX.mean_work_s  # replicas at 100 % utilisation
    starved = simulate_inference(curve, MIX, CAPACITY, SERVICE, static_replicas=int(need * 0.8))
    assert starved.slo_attainment < 0.5
    with pytest.raises(ModelError):
        simulate_inference(curve, MIX, CAPACITY, SERVICE)


def test_a_slow_scale_up_misses_the_ramp_without_lookahead() -> None:
    # A step from 5 % to full load; the autoscaler's forecast knows it, a blind one does not.
    profile = np.array([0.05] * 12 + [1.0] * 12)
    curve = DemandCurve.diurnal(profile, 200.0, 86_400.0, 10.0, smooth_hours=1, floor_fraction=0.0)
    blind = DemandCurve(curve.step_s, curve.rate_per_s, np.zeros_like(curve.forecast_per_s))
    policy = TargetUtilizationAutoscaler(scale_down_stabilization_s=0.0)
    seeing = simulate_inference(curve, MIX, CAPACITY, SERVICE, autoscaler=policy)
    not_seeing = simulate_inference(blind, MIX, CAPACITY, SERVICE, autoscaler=policy)
    assert seeing.slo_attainment > not_seeing.slo_attainment


def test_lending_gives_away_only_what_the_service_will_not_need_soon() -> None:
    curve = DemandCurve.diurnal(PROFILE, 200.0, 2 * 86_400.0, 10.0)
    policy = TargetUtilizationAutoscaler()
    pool = policy.static_replicas(curve, MIX.mean_work_s)
    policy = TargetUtilizationAutoscaler(max_replicas=pool)  # the service owns the pool
    served = simulate_inference(curve, MIX, CAPACITY, SERVICE, autoscaler=policy)
    lending = LendingPolicy(horizon_s=3600.0, buffer_replicas=1)
    schedule = lending.schedule(served, policy.forecast_targets(curve, MIX.mean_work_s), pool)
    steps = np.diff(np.append(schedule.start_s, curve.span_s)).astype(int) // 10
    lent = np.repeat(schedule.lent_nodes, steps)
    assert len(lent) == len(served.replicas)
    assert (lent + served.replicas <= pool).all()  # never lends a node the service holds
    assert lent.max() > 0
    assert schedule.max_nodes == pool
