"""Policies: what they see (no true duration), how they order, where they place."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from sched_helpers import run, starts, trace

from wattswitch.errors import ModelError
from wattswitch.scheduling.policies import (
    POLICY_NAMES,
    AdmitFitting,
    BestFitPlacement,
    EstimatedRemainingOrder,
    FifoOrder,
    LeastAttainedOrder,
    make_scheduler,
)
from wattswitch.scheduling.views import JobBatch, JobView, Placement

FORBIDDEN = ("duration", "service", "runtime", "true", "remaining_work", "end")


@pytest.mark.parametrize("view", [JobView, JobBatch])
def test_views_have_no_true_duration_field(view: type) -> None:
    names = [f.name for f in dataclasses.fields(view)]
    assert names, view
    for name in names:
        assert not any(word in name for word in FORBIDDEN), name


def test_a_batch_is_read_only() -> None:
    batch = JobBatch.of([JobView("a", 0.0, 1, 60.0)])
    with pytest.raises(ValueError, match="read-only"):
        batch.submit_s[0] = 5.0


def test_jobs_differing_only_in_true_duration_are_scheduled_identically() -> None:
    # Same submit, GPUs and user limits; only the hidden true duration of 'x' differs. Every
    # decision before 'x' ends (in the shorter world) must be the same in both worlds.
    def world(x_duration: float) -> list[tuple[float, str, tuple[int, ...]]]:
        jobs = trace(
            ("x", 0, x_duration, 8, 5000),
            ("y", 0, 3000, 8, 5000),
            ("z", 5, 100, 8, 200),  # 200× smaller estimate: preempts x or y
            ("w", 6, 200, 4, 5000),
        )
        return starts(run(jobs, 16, "srtf-est"))

    short, long = world(1000.0), world(4000.0)
    before = [s for s in short if s[0] < 1000.0]
    assert before == [s for s in long if s[0] < 1000.0]
    assert len(before) >= 3


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_identical_views_get_identical_scores(name: str) -> None:
    order = make_scheduler(name).ordering
    view = JobView("a", 10.0, 4, 3600.0, attained_s=100.0, progress_s=100.0)
    batch = JobBatch.of([view, dataclasses.replace(view, job_id="b")])
    scores = order.priority(batch)
    assert scores[0] == scores[1]


def test_fifo_orders_by_submit() -> None:
    batch = JobBatch.of([JobView("a", 5.0, 1, 9e9), JobView("b", 1.0, 64, 1.0)])
    assert list(np.argsort(FifoOrder().priority(batch))) == [1, 0]


def test_las_queues_by_attained_gpu_seconds() -> None:
    order = LeastAttainedOrder()
    fresh = JobView("fresh", 100.0, 8, 9e9)
    served = JobView("served", 0.0, 8, 9e9, attained_s=401.0)  # 3208 GPU-s > 3200
    scores = order.priority(JobBatch.of([fresh, served]))
    assert scores[0] < scores[1]
    change = order.next_change_attained_s(JobBatch.of([fresh, served]))
    assert change[0] == pytest.approx(400.0)
    assert math.isinf(change[1])


def test_estimated_remaining_prefers_small_estimates_and_ages() -> None:
    order = EstimatedRemainingOrder()
    small = JobView("s", 100.0, 1, 600.0)
    big = JobView("b", 0.0, 8, 86_400.0)
    half_done = JobView("h", 0.0, 8, 86_400.0, attained_s=80_000.0, progress_s=80_000.0)
    scores = order.priority(JobBatch.of([small, big, half_done]))
    assert scores[0] < scores[2] < scores[1]
    aging = EstimatedRemainingOrder(aging_s=3600.0)
    old_big = JobView("ob", 0.0, 1, 3600.0 * math.e)  # e× larger, submitted 1 h earlier
    new_small = JobView("ns", 3600.0, 1, 3600.0)
    aged = aging.priority(JobBatch.of([old_big, new_small]))
    assert aged[0] == pytest.approx(aged[1], abs=1e-6)
    with pytest.raises(ModelError):
        EstimatedRemainingOrder(aging_s=0.0)


class Free:
    gpus_per_node = 8

    def __init__(self, free: list[int]) -> None:
        self.free_gpus = free

    def free(self, node: int) -> int:
        return self.free_gpus[node]

    def nodes_with_free(self, count: int) -> list[int]:
        return [n for n, f in enumerate(self.free_gpus) if f == count]


def test_best_fit_placement() -> None:
    nodes = Free([8, 3, 5, 8])

    def place(gpus: int, limit: list[int] | None = None) -> Placement:
        placement = BestFitPlacement().place(gpus, nodes, limit)
        assert placement is not None
        return placement

    assert place(3).nodes == (1,)  # tightest fit
    assert place(4).nodes == (2,)
    assert place(6).nodes == (0,)
    assert place(9).nodes == (0, 3)  # ceil(9/8) whole nodes
    assert place(9).gpus_per_node == (8, 1)
    assert BestFitPlacement().place(17, nodes) is None
    assert place(4, limit=[8, 8, 3, 8]).nodes == (0,)  # node 2 capped below 4


def test_admission_rejects_only_what_can_never_fit() -> None:
    admit = AdmitFitting().admit
    assert admit(JobView("a", 0, 16, 1.0), 16, 8).admit
    rejected = admit(JobView("b", 0, 17, 1.0), 16, 8)
    assert not rejected.admit
    assert "17 GPUs" in rejected.reason


def test_view_validation() -> None:
    with pytest.raises(ModelError):
        JobView("a", 0.0, 0, 1.0)
    with pytest.raises(ModelError):
        JobBatch(np.zeros(2), np.ones(1, dtype=np.int64), np.zeros(2), np.zeros(2), np.zeros(2),
                 np.zeros(2, dtype=np.int64))
    assert JobView("a", 0.0, 2, 100.0, progress_s=30.0).estimated_remaining_s == 70.0
    assert JobView("a", 0.0, 2, 100.0, attained_s=30.0).attained_gpu_s == 60.0


def test_starvation_guard_bounds_the_wait_of_a_big_job() -> None:
    # A stream of small jobs keeps the cluster busy; the big job's estimate is always the
    # largest, so without a guard it would wait until the stream ends.
    small = [(f"s{i}", 100.0 * i, 400.0, 8, 400.0) for i in range(1, 120)]
    jobs = trace(("first", 0, 400, 8, 400), ("big", 1, 1000, 16, 1000), *small)
    ours = make_scheduler("srtf-est")
    guarded = dataclasses.replace(ours, starvation_guard_s=2000.0, preemption=None)
    unguarded = dataclasses.replace(ours, starvation_guard_s=None, preemption=None)
    assert run(jobs, 16, guarded).start_of("big") <= 2000.0 + 400.0
    assert run(jobs, 16, unguarded).start_of("big") > 10_000.0
