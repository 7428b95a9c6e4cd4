"""The stepped cluster and the stepped inference fleet give what the one-shot simulators give."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_helpers import trace

from wattswitch.model.catalog import H100_POWER_CAP_CURVE
from wattswitch.model.fleet import GpuNodeGroup
from wattswitch.model.workloads import InferenceService
from wattswitch.scheduling.config import CheckpointConfig, ClusterSpec, TrainingPhases
from wattswitch.scheduling.inference import (
    DemandCurve,
    InferenceFleet,
    ReplicaCapacity,
    RequestMix,
    TargetUtilizationAutoscaler,
    simulate_inference,
)
from wattswitch.scheduling.phases import stalled_one_s, stalled_s
from wattswitch.scheduling.policies import POLICY_NAMES, make_scheduler
from wattswitch.scheduling.power import ClusterPowerModel, PowerBudget
from wattswitch.scheduling.simulator import SimOptions, SteppedCluster, simulate

NODE = GpuNodeGroup(
    name="h100", gpu_model="H100 SXM5", node_count=4, idle_node_power_w=2500.0,
    busy_node_power_w=10_200.0, cooling_zone="ai", power_cap_curve=H100_POWER_CAP_CURVE,
)
MODEL = ClusterPowerModel(NODE)
CLUSTER = ClusterSpec(gpus=32, gpus_per_node=8, group=NODE)
JOBS = trace(
    ("a", 0, 5000, 16, 8000), ("b", 100, 2000, 8, 4000), ("c", 200, 9000, 32, 9000),
    ("d", 4000, 300, 8, 600), ("e", 4100, 7000, 16, 20000),
)


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_stepping_under_the_same_budgets_gives_the_one_shot_result(policy: str) -> None:
    step_s = 900.0
    budgets = [1e9, 2 * 2500 + 16 * 962.5 * 0.8, 1e9, 4 * 2500.0, 1e9] * 8
    starts = np.arange(len(budgets)) * step_s
    options = SimOptions(checkpoint=CheckpointConfig(1800.0, 300.0), power_model=MODEL)
    one_shot = simulate(JOBS, CLUSTER, make_scheduler(policy), SimOptions(
        checkpoint=options.checkpoint, power_model=MODEL,
        power_budget=PowerBudget(starts, np.asarray(budgets, dtype=float)),
    ))
    stepped = SteppedCluster(JOBS, CLUSTER, make_scheduler(policy), options)
    energy_j = 0.0
    for k, budget in enumerate(budgets + [budgets[-1]] * 60):  # the last budget holds on
        stepped.set_budget_w(budget)
        energy_j += stepped.step((k + 1) * step_s).energy_j
    result = stepped.result()
    assert result.completed.all()
    np.testing.assert_allclose(result.finish_s, one_shot.finish_s)
    np.testing.assert_allclose(result.first_start_s, one_shot.first_start_s)
    assert result.pauses == one_shot.pauses
    # the one-shot run stops at its last completion, the stepped one idles on to the last step
    idle_after_w = CLUSTER.nodes * MODEL.idle_node_w
    tail_j = idle_after_w * ((len(budgets) + 60) * step_s - float(np.nanmax(one_shot.finish_s)))
    assert energy_j / 3.6e9 == pytest.approx(one_shot.energy_mwh + tail_j / 3.6e9, rel=1e-9)


def test_checkpoint_writes_stall_the_job_and_dip_its_power() -> None:
    """One 8-GPU job of 1 h of work, a 90-s write every 30 min of work: it ends at 3,780 s."""
    phases = TrainingPhases(checkpoint_write_s=90.0, stall_dynamic_fraction=0.1)
    options = SimOptions(checkpoint=CheckpointConfig(1800.0, 300.0), power_model=MODEL, phases=phases)
    cluster = SteppedCluster(trace(("j", 0, 3600, 8, 7200)), CLUSTER, make_scheduler("fifo"), options)
    cluster.set_budget_w(math.inf)
    steps = [cluster.step(900.0 * (k + 1)) for k in range(5)]
    assert cluster.result().finish_s[0] == pytest.approx(3780.0)
    write_j = 8 * MODEL.dynamic_w_per_gpu * 0.9 * 90.0
    assert [s.write_saved_j for s in steps] == pytest.approx([0.0, 0.0, write_j, 0.0, write_j])
    assert sum(s.work_gpu_s for s in steps) == pytest.approx(8 * 3600.0)
    assert steps[0].peak_w == pytest.approx(4 * 2500.0 + 8 * MODEL.dynamic_w_per_gpu)


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.floats(0.0, 5000.0), st.floats(0.0, 400.0)),
    st.tuples(st.floats(0.0, 20_000.0), st.floats(1.0, 5000.0)),
    st.tuples(st.floats(60.0, 3600.0), st.floats(1.0, 300.0)),
)
def test_stalled_time_is_the_overlap_with_the_phases(
    run: tuple[float, float], window: tuple[float, float], cycle: tuple[float, float]
) -> None:
    """The closed form against a fine sampling of the run's timeline."""
    (t0, restart), (start, length), (compute, write) = run, window, cycle
    end = start + length
    restarting, writing = stalled_s(
        np.array([t0]), np.array([restart]), start, end, compute_s=compute, write_s=write,
    )
    times = np.linspace(start, end, 20_001)[:-1] + length / 40_000
    alive = times >= t0
    in_restart = alive & (times < t0 + restart)
    since = times - (t0 + restart)
    in_write = alive & (since >= 0) & (np.mod(since, compute + write) >= compute)
    dt = length / 20_000
    assert restarting[0] == pytest.approx(in_restart.sum() * dt, abs=3 * dt)
    assert writing[0] == pytest.approx(in_write.sum() * dt, abs=3 * dt + 1e-9)
    one = stalled_one_s(t0, restart, start, end, compute_s=compute, write_s=write)  # the scalar twin
    assert one == pytest.approx((restarting[0], writing[0]), abs=1e-9)


def test_the_stepped_fleet_serves_as_the_one_shot_simulation() -> None:
    service = InferenceService(
        name="chat", gpu_group="h100", gpus_per_replica=8, tokens_per_s_per_replica=2500.0,
        peak_requests_per_s=50.0, mean_tokens_per_request=200.0, price_usd_per_million_tokens=1.0,
        scale_up_delay_s=300.0,
    )
    capacity = ReplicaCapacity.of_service(service)
    rng = np.random.default_rng(3)
    prompts = rng.lognormal(6.5, 1.0, 2000)
    work = capacity.work_s(prompts, np.full(2000, 200.0))
    mix = RequestMix(float(work.mean()), float(work.std()), np.sort(prompts), float(prompts.mean()), 200.0)
    profile = np.array([1.0] * 4 + [0.05] * 10 + [0.5] * 4 + [1.0] * 6)
    curve = DemandCurve.diurnal(profile, 50.0, 2 * 86400.0, step_s=60.0)
    autoscaler = TargetUtilizationAutoscaler()
    one_shot = simulate_inference(curve, mix, capacity, service, autoscaler=autoscaler, node=NODE, seed=7)
    fleet = InferenceFleet(curve, mix, capacity, service, autoscaler, node=NODE, node_count=10_000, seed=7)
    parts = [fleet.step(900.0 * (k + 1)) for k in range(2 * 96)]
    requests = sum(p.requests for p in parts)
    assert requests == pytest.approx(one_shot.requests)
    assert sum(p.requests_within_slo for p in parts) / requests == pytest.approx(one_shot.slo_attainment)
    np.testing.assert_array_equal(fleet.replicas, one_shot.replicas)
    idle_j = (10_000 - one_shot.replicas) * NODE.idle_node_power_w * 60.0  # nodes without a replica
    assert sum(p.energy_j for p in parts) / 3.6e9 == pytest.approx(
        one_shot.energy_mwh + float(idle_j.sum()) / 3.6e9, rel=1e-9
    )
