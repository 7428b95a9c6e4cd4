"""The cluster simulator on hand-checkable traces: FIFO, EASY, gang placement, preemption, failures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_helpers import fixture_trace, run, starts, trace

from wattswitch.errors import ModelError
from wattswitch.scheduling.config import (
    CheckpointConfig,
    ClusterSpec,
    FailureModel,
    LendingSchedule,
    LimitModel,
)
from wattswitch.scheduling.policies import (
    POLICY_NAMES,
    Backfill,
    EstimatedRemainingOrder,
    PreemptionRule,
    Scheduler,
    make_scheduler,
)
from wattswitch.scheduling.simulator import SimOptions, first_jobs, simulate, with_limits


def test_fifo_head_of_line_blocks_the_queue() -> None:
    # 16 GPUs = 2 nodes. long8 holds node 0 until 1000; wide16 needs both nodes; under strict
    # FIFO the 1- and 2-GPU jobs behind it wait although node 1 is free all along.
    result = run(fixture_trace(), 16, "fifo")
    assert result.start_of("long8") == 0
    assert result.start_of("wide16") == 1000
    assert result.start_of("small1") == 1300
    assert result.start_of("tiny2") == 1300
    assert result.start_of("late4") == 1300
    assert result.summary().jobs == 5


def test_easy_backfill_respects_the_head_reservation() -> None:
    # The head (wide16) is reserved at t = 1200, when long8's *limit* (not its true 1000 s)
    # says node 0 frees. Jobs whose limits end by then backfill on node 1; late4 (limit 600
    # from t = 40 → 640 ≤ 1200) also backfills. Nothing may delay the head past its reservation.
    result = run(fixture_trace(), 16, "easy-backfill")
    assert result.start_of("small1") == 20
    assert result.start_of("tiny2") == 30
    assert result.start_of("late4") == 40
    assert result.start_of("wide16") == 1000  # started as soon as it fit, before the reservation
    assert result.start_of("wide16") <= 1200


def test_easy_does_not_backfill_a_job_that_would_delay_the_head() -> None:
    jobs = trace(
        ("a", 0, 100, 8, 100),  # node 0 until 100
        ("head", 1, 10, 16, 10),  # needs both nodes: reserved at 100
        ("long", 2, 500, 1, 500),  # would hold node 1 past 100: must wait
        ("short", 3, 50, 1, 50),  # ends at 53 ≤ 100: backfills
    )
    result = run(jobs, 16, "easy-backfill")
    assert result.start_of("short") == 3
    assert result.start_of("head") == 100
    assert result.start_of("long") == 110


def test_gang_placement_best_fit_and_whole_nodes() -> None:
    jobs = trace(
        ("a", 0, 100, 4, 100),
        ("b", 0, 100, 4, 100),
        ("c", 1, 50, 12, 50),  # 12 GPUs take two whole nodes
        ("d", 2, 10, 5, 10),
    )
    result = run(jobs, 16, "easy-backfill")
    placed = {job: nodes for _, job, nodes in starts(result)}
    assert placed["a"] == (0,)
    assert placed["b"] == (0,)  # best fit: the node with 4 free, not the empty one
    assert placed["d"] == (1,)  # backfilled on the empty node (ends at 12 ≤ 100)
    assert placed["c"] == (0, 1)
    assert result.start_of("c") == 100  # 8 GPUs were free at t = 1, but not two whole nodes


def test_preemption_loses_work_since_the_last_checkpoint() -> None:
    # One node. 'long' checkpoints every 1000 s of work; 'short' (100× smaller) arrives at
    # 2500 and preempts it: 500 s of work since the 2000-s checkpoint are lost, and 'long'
    # pays a 50-s restart when it resumes at 2600.
    jobs = trace(("long", 0, 10_000, 8, 10_000), ("short", 2500, 100, 8, 100))
    result = run(jobs, 8, "srtf-est", checkpoint=CheckpointConfig(1000.0, 50.0))
    assert result.start_of("short") == 2500
    assert result.finish_of("short") == 2600
    assert result.finish_of("long") == pytest.approx(2600 + 50 + 8000)
    assert result.preemptions == 1
    assert result.lost_work_gpu_s == pytest.approx(8 * 500)
    kinds = [kind for _, kind, job, _ in result.events if job == "long"]
    assert kinds == ["start", "preempt", "start", "finish"]


def test_preemption_right_after_a_checkpoint_loses_nothing_but_the_restart() -> None:
    jobs = trace(("long", 0, 10_000, 8, 10_000), ("short", 2000, 100, 8, 100))
    result = run(jobs, 8, "srtf-est", checkpoint=CheckpointConfig(1000.0, 50.0))
    assert result.lost_work_gpu_s == pytest.approx(0.0)
    assert result.finish_of("long") == pytest.approx(2100 + 50 + 8000)


def test_fifo_and_easy_never_preempt() -> None:
    jobs = trace(("long", 0, 10_000, 8, 10_000), ("short", 2500, 100, 8, 100))
    for name in ("fifo", "easy-backfill"):
        result = run(jobs, 8, name)
        assert result.preemptions == 0
        assert result.start_of("short") == 10_000


def test_las_preempts_by_attained_service() -> None:
    # 'old' crosses 3200 GPU-s of service at t = 400 (8 GPUs); 'new' arrived at 100 and waits
    # in the higher queue until that demotion, then preempts it.
    jobs = trace(("old", 0, 5000, 8, 5000), ("new", 100, 200, 8, 200))
    result = run(jobs, 8, "las")
    assert result.start_of("new") == pytest.approx(400)
    assert result.preemptions == 1
    assert result.finish_of("old") == pytest.approx(5200)  # continuous checkpoints, no overhead


def test_node_failure_restarts_from_the_checkpoint() -> None:
    jobs = trace(("j", 0, 50_000, 8, 50_000))
    failures = FailureModel(node_mtbf_s=20_000.0, repair_s=3000.0, seed=3)
    result = run(jobs, 8, "fifo", checkpoint=CheckpointConfig(1000.0, 100.0), failures=failures)
    fails = [t for t, kind, _, _ in result.events if kind == "failure"]
    assert fails, "seed 3 gives a failure within the run"
    first = fails[0]
    restart = [t for t, kind, _, _ in result.events if kind == "start"][1]
    assert restart == pytest.approx(first + 3000.0)  # node repaired, job restarts at once
    assert result.node_failures >= 1
    assert result.completed.all()
    banked = math.floor(first / 1000.0) * 1000.0
    if len(fails) == 1:
        assert result.finish_of("j") == pytest.approx(restart + 100.0 + 50_000 - banked)


def test_lent_nodes_are_taken_back_and_their_jobs_restart() -> None:
    jobs = trace(("a", 0, 1000, 8, 1000), ("b", 0, 1000, 8, 1000))
    lending = LendingSchedule(
        start_s=np.array([0.0, 500.0]), lent_nodes=np.array([1, 0]), max_nodes=1
    )
    result = run(jobs, 8, "fifo", checkpoint=CheckpointConfig(200.0, 50.0), lending=lending)
    assert result.start_of("b") == 0  # on the lent node
    assert result.reclaims == 1
    # banked 400 s at the reclaim; back on node 0 when 'a' ends at 1000: 1000 + 50 + 600
    assert result.finish_of("b") == pytest.approx(1650)


def test_non_preemptible_jobs_never_go_on_lent_nodes() -> None:
    jobs = trace(("a", 0, 1000, 8, 1000), ("b", 0, 1000, 8, 1000))
    frame = jobs.frame.assign(preemptible=[True, False])
    lending = LendingSchedule(start_s=np.array([0.0]), lent_nodes=np.array([1]), max_nodes=1)
    result = run(type(jobs)(frame=frame, source="t"), 8, "fifo", lending=lending)
    assert result.start_of("b") == 1000


def test_too_big_jobs_are_rejected_not_stuck() -> None:
    jobs = trace(("huge", 0, 10, 64, 10), ("ok", 1, 10, 8, 10))
    result = run(jobs, 16, "easy-backfill")
    summary = result.summary()
    assert summary.rejected == 1
    assert summary.jobs == 1
    assert summary.unfinished == 0


def test_limits_are_drawn_at_or_above_the_true_duration() -> None:
    durations = np.array([1.0, 59.0, 3600.0, 172_800.0])
    limits = LimitModel(sigma=1.0, seed=1).draw(durations)
    assert (limits >= durations).all()
    assert (limits % 60 == 0).all()
    assert np.array_equal(LimitModel(sigma=0.0, round_to_s=0.0).draw(durations), durations)


def test_summary_definitions() -> None:
    result = run(fixture_trace(), 16, "fifo")
    summary = result.summary()
    jct = result.finish_s - result.submit_s
    assert summary.mean_jct_s == pytest.approx(jct.mean())
    assert summary.mean_queue_delay_s == pytest.approx((jct - result.duration_s).mean())
    busy = float((result.duration_s * result.gpus_per_job).sum())
    assert summary.utilization == pytest.approx(busy / (16 * result.end_s))
    assert set(summary.as_json()) >= {
        "jobs", "mean_jct_s", "median_jct_s", "p95_jct_s", "mean_queue_delay_s", "utilization",
        "preemptions",
    }


def test_helpers_and_validation() -> None:
    jobs = fixture_trace()
    assert len(first_jobs(jobs, 2).frame) == 2
    limited = with_limits(jobs.frame.pipe(lambda f: type(jobs)(frame=f.drop(columns="time_limit_s"),
                                                                 source="x")), np.full(5, 5000.0))
    assert (limited.frame["time_limit_s"] == 5000.0).all()
    with pytest.raises(ModelError, match="whole number"):
        ClusterSpec(gpus=20, gpus_per_node=8)
    with pytest.raises(ModelError, match="power model"):
        SimOptions(power_budget=object())  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="unknown scheduling policy"):
        make_scheduler("sjf")
    with pytest.raises(ModelError, match="time_limit_s"):
        simulate(trace(("a", 0, 10, 1, float("nan"))), ClusterSpec(8), make_scheduler("fifo"))


def test_a_custom_scheduler_bundle_runs() -> None:
    custom = Scheduler(
        "srpt-greedy", EstimatedRemainingOrder(aging_s=3600.0), Backfill.GREEDY,
        preemption=PreemptionRule(min_score_gap=1.0, max_attempts=2),
    )
    result = simulate(fixture_trace(), ClusterSpec(16), custom)
    assert result.summary().jobs == 5


@settings(max_examples=60, deadline=None)
@given(
    nodes=st.integers(1, 3),
    jobs=st.lists(
        st.tuples(st.floats(0, 2000), st.floats(1, 3000), st.sampled_from([1, 2, 3, 8, 12, 16])),
        min_size=1, max_size=20,
    ),
    policy=st.sampled_from(POLICY_NAMES),
    lent=st.lists(st.tuples(st.floats(0, 5000), st.integers(0, 2)), max_size=4),
    failures=st.booleans(),
)
def test_random_runs_keep_the_invariants(
    nodes: int, jobs: list[tuple[float, float, int]], policy: str,
    lent: list[tuple[float, int]], failures: bool,
) -> None:
    gpus = nodes * 8
    rows = sorted(jobs)
    job_trace = trace(*[(f"j{i}", s, d, g, d * 2) for i, (s, d, g) in enumerate(rows)])
    starts_s = sorted({0.0, *(t for t, _ in lent)})
    counts = dict(lent)
    lending = LendingSchedule(np.array(starts_s), np.array([counts.get(t, 0) for t in starts_s]), 2)
    result = run(
        job_trace, gpus, policy, checkpoint=CheckpointConfig(500.0, 20.0), lending=lending,
        failures=FailureModel(node_mtbf_s=4000.0, repair_s=500.0, seed=1) if failures else None,
    )
    summary = result.summary()
    assert summary.jobs + summary.rejected == len(rows)
    gpus_of = dict(zip(result.job_ids, result.gpus_per_job.tolist(), strict=True))
    used = [0] * (nodes + 2)
    running: dict[str, tuple[int, ...]] = {}
    for _, kind, job, placed in result.events:  # replay: no node ever holds more than 8 GPUs
        if kind == "start":
            running[job] = placed
            for node in placed:
                used[node] += 8 if len(placed) > 1 or gpus_of[job] > 8 else gpus_of[job]
                assert used[node] <= 8
        elif kind in ("finish", "preempt", "pause", "reclaim", "failure") and job in running:
            for node in running.pop(job):
                used[node] -= 8 if gpus_of[job] > 8 else gpus_of[job]
    done = result.completed
    assert (result.finish_s[done] >= result.submit_s[done] + result.duration_s[done] - 1e-6).all()
    assert (result.first_start_s[done] >= result.submit_s[done]).all()
