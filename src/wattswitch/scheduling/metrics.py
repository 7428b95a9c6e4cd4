"""What a simulated schedule achieved: per-job times, counters and the summary the CLI prints.

Definitions (the peer figures use the same ones):

* JCT (job completion time) = finish − submit, over completed jobs.
* Queueing delay = JCT − service, where service is the job's run time on the trace's hardware
  at full speed. It therefore also counts time lost to preemption, restarts and power caps.
* Utilization = busy GPU-seconds (restarts and lost work included) / GPU-seconds available
  (up nodes, lent nodes while lent) from the first submission to the last completion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattswitch.scheduling.views import FloatArray, IntArray

S_PER_HOUR = 3600.0


@dataclass(frozen=True)
class ScheduleSummary:
    """Headline figures of one run (JSON keys of ``wattswitch schedule --json``)."""

    policy: str
    gpus: int
    jobs: int
    unfinished: int
    rejected: int
    mean_jct_s: float
    median_jct_s: float
    p95_jct_s: float
    mean_queue_delay_s: float
    utilization: float
    preemptions: int
    pauses: int
    reclaims: int
    failure_kills: int
    lost_work_gpu_hours: float
    budget_violations: int
    energy_mwh: float

    def as_json(self) -> dict[str, float | int]:
        """The per-policy object of the CLI's JSON output."""
        return {
            "jobs": self.jobs,
            "mean_jct_s": round(self.mean_jct_s, 3),
            "median_jct_s": round(self.median_jct_s, 3),
            "p95_jct_s": round(self.p95_jct_s, 3),
            "mean_queue_delay_s": round(self.mean_queue_delay_s, 3),
            "utilization": round(self.utilization, 5),
            "preemptions": self.preemptions,
            "pauses": self.pauses,
            "reclaims": self.reclaims,
            "failure_kills": self.failure_kills,
            "lost_work_gpu_hours": round(self.lost_work_gpu_hours, 3),
            "unfinished": self.unfinished,
            "rejected": self.rejected,
            "budget_violations": self.budget_violations,
            "energy_mwh": round(self.energy_mwh, 4),
        }


@dataclass(frozen=True)
class ScheduleResult:
    """Everything a run produced (arrays are per job, in the trace's order).

    With ``SimOptions(record_events=True)``: ``events`` lists ``(time_s, kind, job_id, nodes)``
    for every start, finish, preempt, pause, reclaim, failure and reject; ``power_log`` lists
    ``(time_s, power_w, budget_w, cap_fraction, busy_gpus)`` after every power decision.
    """

    policy: str
    gpus: int
    job_ids: tuple[str, ...]
    submit_s: FloatArray
    first_start_s: FloatArray
    finish_s: FloatArray
    duration_s: FloatArray
    gpus_per_job: IntArray
    preemptions_per_job: IntArray
    completed: np.ndarray
    rejected: np.ndarray
    preemptions: int
    pauses: int
    reclaims: int
    failure_kills: int
    node_failures: int
    lost_work_gpu_s: float
    busy_gpu_s: float
    capacity_gpu_s: float
    end_s: float
    energy_mwh: float
    budget_violations: int
    infeasible_intervals: int
    min_cap_fraction: float
    capped_s: float
    events: tuple[tuple[float, str, str, tuple[int, ...]], ...] = ()
    power_log: tuple[tuple[float, float, float, float, int], ...] = ()

    @property
    def jct_s(self) -> FloatArray:
        """Completion time of each completed job."""
        done = self.completed
        return np.asarray(self.finish_s[done] - self.submit_s[done], dtype=np.float64)

    @property
    def queue_delay_s(self) -> FloatArray:
        """JCT minus service of each completed job."""
        done = self.completed
        return np.asarray(self.jct_s - self.duration_s[done], dtype=np.float64)

    def start_of(self, job_id: str) -> float:
        """First start time of a job by id."""
        return float(self.first_start_s[self.job_ids.index(job_id)])

    def finish_of(self, job_id: str) -> float:
        """Finish time of a job by id."""
        return float(self.finish_s[self.job_ids.index(job_id)])

    def summary(self) -> ScheduleSummary:
        """Headline figures."""
        jct = self.jct_s
        has = len(jct) > 0
        utilization = self.busy_gpu_s / self.capacity_gpu_s if self.capacity_gpu_s > 0 else 0.0
        return ScheduleSummary(
            policy=self.policy,
            gpus=self.gpus,
            jobs=int(self.completed.sum()),
            unfinished=int((~self.completed & ~self.rejected).sum()),
            rejected=int(self.rejected.sum()),
            mean_jct_s=float(jct.mean()) if has else float("nan"),
            median_jct_s=float(np.median(jct)) if has else float("nan"),
            p95_jct_s=float(np.percentile(jct, 95)) if has else float("nan"),
            mean_queue_delay_s=float(self.queue_delay_s.mean()) if has else float("nan"),
            utilization=float(utilization),
            preemptions=self.preemptions,
            pauses=self.pauses,
            reclaims=self.reclaims,
            failure_kills=self.failure_kills,
            lost_work_gpu_hours=self.lost_work_gpu_s / S_PER_HOUR,
            budget_violations=self.budget_violations,
            energy_mwh=self.energy_mwh,
        )
