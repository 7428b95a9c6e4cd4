"""Power budget: caps first, then pauses; never above the budget (property-tested)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_helpers import run, trace

from wattswitch.errors import ModelError
from wattswitch.model.catalog import H100_POWER_CAP_CURVE, figure
from wattswitch.model.fleet import GpuNodeGroup
from wattswitch.scheduling.config import CheckpointConfig
from wattswitch.scheduling.policies import POLICY_NAMES
from wattswitch.scheduling.power import (
    CapEconomics,
    ClusterPowerModel,
    PowerBudget,
    budget_from_prices,
    plan_power,
    training_budget_w,
)

NODE = GpuNodeGroup(
    name="h100", gpu_model="H100 SXM5", node_count=1, idle_node_power_w=2500.0,
    busy_node_power_w=10_200.0, cooling_zone="ai", power_cap_curve=H100_POWER_CAP_CURVE,
)
MODEL = ClusterPowerModel(NODE)
DYN = (10_200.0 - 2500.0) / 8  # W per busy uncapped GPU


def test_caps_come_first() -> None:
    # 2 nodes, 16 busy GPUs: uncapped 20.4 kW. A 16 kW budget leaves 11 kW for 16 GPUs.
    decision = plan_power(MODEL, 16_000.0, 2, 16)
    assert decision.gpus_to_pause == 0
    assert decision.cap_fraction == pytest.approx(11_000.0 / (16 * DYN))
    assert decision.power_w == pytest.approx(16_000.0)
    assert 0.7 < decision.cap_fraction < 0.8
    assert decision.throughput_fraction == pytest.approx(NODE.throughput_fraction(decision.cap_fraction))


def test_about_0_885_throughput_at_70_percent_power() -> None:
    assert MODEL.throughput(0.7) == pytest.approx(0.885)


def test_pauses_only_below_the_lowest_cap() -> None:
    # 8 kW budget: 3 kW over idle; at the 50 % floor a GPU needs 481.25 W → 6 GPUs fit.
    decision = plan_power(MODEL, 8_000.0, 2, 16)
    assert decision.max_busy_gpus == 6
    assert decision.gpus_to_pause == 10
    assert decision.power_w <= 8_000.0 + 1e-6
    infeasible = plan_power(MODEL, 1_000.0, 2, 4)
    assert not infeasible.feasible
    assert infeasible.max_busy_gpus == 0
    unconstrained = plan_power(MODEL, float("inf"), 2, 16)
    assert unconstrained.cap_fraction == 1.0
    assert unconstrained.gpus_to_pause == 0


def test_training_budget_never_cuts_reserved_or_inference() -> None:
    assert training_budget_w(100.0, 30.0, 20.0) == 50.0
    assert training_budget_w(40.0, 30.0, 20.0) == 0.0


def test_budget_from_prices_follows_the_economics() -> None:
    economics = CapEconomics(figure("h100_on_demand_price").value)  # $2.99 per GPU-hour
    assert economics.best_cap(MODEL, 30.0) == 1.0
    assert economics.best_cap(MODEL, 800.0) == 0.9  # past ≈ $466/MWh the last 10 % is not worth it
    assert economics.best_cap(MODEL, 3500.0) == 0.6
    assert economics.best_cap(MODEL, 4070.0) == 0.5
    assert economics.best_cap(MODEL, 5000.0) == 0.0  # pausing beats even the lowest cap
    budget = budget_from_prices(np.array([20.0, 20.0, 800.0, np.nan, 5000.0]), 900, MODEL, 2, economics)
    assert budget.start_s.tolist() == [0.0, 1800.0, 2700.0, 3600.0]  # equal neighbours merged
    assert budget.budget_w[0] == pytest.approx(2 * 10_200.0)
    assert budget.budget_w[-1] == pytest.approx(2 * 2500.0)
    assert budget.at(1900.0) == pytest.approx(2 * 2500.0 + 16 * DYN * 0.9)


def test_budget_validation() -> None:
    with pytest.raises(ModelError):
        PowerBudget(np.array([0.0, 0.0]), np.array([1.0, 2.0]))
    with pytest.raises(ModelError):
        PowerBudget(np.array([0.0]), np.array([-1.0]))


def test_a_deep_cut_pauses_jobs_and_they_resume_from_checkpoints() -> None:
    jobs = trace(("a", 0, 4000, 8, 4000), ("b", 0, 4000, 8, 4000))
    idle = 2 * 2500.0
    budget = PowerBudget(np.array([0.0, 1500.0, 2500.0]), np.array([1e9, idle + 8 * DYN * 0.5, 1e9]))
    result = run(jobs, 16, "easy-backfill", checkpoint=CheckpointConfig(1000.0, 0.0),
                 power_budget=budget, power_model=MODEL)
    assert result.pauses == 1
    assert result.budget_violations == 0
    assert result.lost_work_gpu_s == pytest.approx(8 * 500)
    # 'a' (tie on loss → lower index) pauses at 1500 having banked 1000 s; 'b' runs on at the
    # 50 % cap (0.66 throughput) until 2500: 1500 + 660 = 2160 s done, 1840 s left.
    assert result.finish_of("a") == pytest.approx(2500 + 3000)
    assert result.finish_of("b") == pytest.approx(2500 + 1840)
    assert min(cap for _, _, _, cap, busy in result.power_log if busy) == pytest.approx(0.5)
    assert all(p <= b + 1e-6 for _, p, b, _, _ in result.power_log)


@settings(max_examples=40, deadline=None)
@given(
    nodes=st.integers(1, 4),
    jobs=st.lists(
        st.tuples(st.floats(0, 3000), st.floats(1, 4000), st.sampled_from([1, 2, 4, 8, 16])),
        min_size=1, max_size=25,
    ),
    cuts=st.lists(st.tuples(st.floats(0, 8000), st.floats(0, 1)), min_size=1, max_size=8),
    policy=st.sampled_from(POLICY_NAMES),
)
def test_the_budget_is_never_exceeded(
    nodes: int, jobs: list[tuple[float, float, int]], cuts: list[tuple[float, float]], policy: str
) -> None:
    gpus = nodes * 8
    rows = sorted((s, d, g) for s, d, g in jobs)
    job_trace = trace(*[(f"j{i}", s, d, min(g, gpus), d * 1.5) for i, (s, d, g) in enumerate(rows)])
    idle = nodes * 2500.0
    starts = sorted({0.0, *(t for t, _ in cuts), 9000.0})  # back to nameplate at 9000 s
    fractions = {**dict(cuts), 9000.0: 1.0}
    budget = PowerBudget(
        np.array(starts),
        np.array([idle + fractions.get(t, 1.0) * gpus * DYN for t in starts]),  # from idle to nameplate
    )
    result = run(job_trace, gpus, policy, checkpoint=CheckpointConfig(600.0, 30.0),
                 power_budget=budget, power_model=MODEL)
    assert result.budget_violations == 0
    for t, power, budget_w, cap, busy in result.power_log:
        assert power <= budget_w + 1e-6, (t, power, budget_w)
        assert power == pytest.approx(MODEL.power_w(nodes, busy, cap))
        assert cap >= MODEL.min_cap or busy == 0
        assert budget_w == pytest.approx(budget.at(t))
    assert result.completed.all()
