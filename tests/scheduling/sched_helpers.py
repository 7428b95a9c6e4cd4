"""Tiny hand-checkable traces for the scheduling tests (imported by the test modules)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wattswitch.model.traces import JobTrace
from wattswitch.scheduling.config import CheckpointConfig, ClusterSpec
from wattswitch.scheduling.metrics import ScheduleResult
from wattswitch.scheduling.policies import Scheduler, make_scheduler
from wattswitch.scheduling.simulator import SimOptions, simulate

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scheduling"
NO_LOSS = CheckpointConfig(interval_s=0.0, restart_overhead_s=0.0)

Row = tuple[str, float, float, int, float]  # job_id, submit_s, duration_s, gpus, time_limit_s


def trace(*rows: Row) -> JobTrace:
    """Jobs with explicit user limits (the simulator then draws nothing)."""
    frame = pd.DataFrame(list(rows), columns=["job_id", "submit_s", "duration_s", "gpus", "time_limit_s"])
    frame["gpus"] = frame["gpus"].astype("int64")
    return JobTrace(frame=frame, source="test")


def fixture_trace(name: str = "tiny_jobs.csv") -> JobTrace:
    frame = pd.read_csv(FIXTURES / name)
    frame["job_id"] = frame["job_id"].astype(str)
    return JobTrace(frame=frame, source=name)


def run(
    jobs: JobTrace,
    gpus: int,
    scheduler: str | Scheduler,
    *,
    checkpoint: CheckpointConfig = NO_LOSS,
    **options: object,
) -> ScheduleResult:
    chosen = make_scheduler(scheduler) if isinstance(scheduler, str) else scheduler
    opts = SimOptions(checkpoint=checkpoint, record_events=True, **options)  # type: ignore[arg-type]
    return simulate(jobs, ClusterSpec(gpus), chosen, opts)


def starts(result: ScheduleResult) -> list[tuple[float, str, tuple[int, ...]]]:
    """(time, job, nodes) of every start, in order."""
    return [(t, job, nodes) for t, kind, job, nodes in result.events if kind == "start"]
