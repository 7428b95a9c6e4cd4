"""Bulk workload traces: GPU training jobs and inference requests (tables, not per-row objects)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wattswitch.errors import ModelError

JOB_COLUMNS = ("job_id", "submit_s", "duration_s", "gpus")
REQUEST_COLUMNS = ("arrival_s", "input_tokens", "output_tokens", "exec_time_s")


@dataclass(frozen=True)
class JobTrace:
    """GPU training jobs: one row each, sorted by submit time.

    Columns: ``job_id`` (str), ``submit_s`` (s since the trace's first submission, float),
    ``duration_s`` (run time on the trace's hardware, s), ``gpus`` (int, ≥ 1).
    ``origin_utc`` anchors ``submit_s = 0`` in wall-clock time when the trace says (else None).
    ``cpu_only_jobs_left_out`` counts the file's rows asking for 0 GPUs (not jobs of a GPU cluster;
    said wherever the trace is used, never dropped silently).
    """

    frame: pd.DataFrame
    source: str
    origin_utc: pd.Timestamp | None = None
    cpu_only_jobs_left_out: int = 0

    def __post_init__(self) -> None:
        missing = [c for c in JOB_COLUMNS if c not in self.frame.columns]
        if missing:
            raise ModelError(f"{self.source}: job trace lacks columns {missing}")
        if len(self.frame) and not self.frame["submit_s"].is_monotonic_increasing:
            raise ModelError(f"{self.source}: jobs must be sorted by submit_s")
        if (self.frame["duration_s"] < 0).any() or (self.frame["gpus"] < 1).any():
            raise ModelError(f"{self.source}: durations must be ≥ 0 and GPU counts ≥ 1")

    @property
    def gpu_hours(self) -> float:
        """Total GPU-hours of work in the trace (on the trace's hardware)."""
        return float((self.frame["duration_s"] * self.frame["gpus"]).sum() / 3600.0)

    def gpu_count_histogram(self) -> dict[int, int]:
        """How many jobs ask for each GPU count."""
        counts = self.frame["gpus"].value_counts().sort_index()
        return {int(k): int(v) for k, v in zip(counts.index, counts.to_numpy(), strict=True)}


@dataclass(frozen=True)
class RequestTrace:
    """Inference requests: one row each, sorted by arrival.

    Columns: ``arrival_s`` (s since the trace start), ``input_tokens``, ``output_tokens``
    (NaN where the trace has no tokens, e.g. image generation) and ``exec_time_s`` (NaN where
    the trace has no service time). ``origin_utc`` anchors ``arrival_s = 0`` in wall-clock time
    (for anonymised clocks it is the trace's own clock, whose time of day still carries the cycle).
    """

    frame: pd.DataFrame
    source: str
    origin_utc: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        missing = [c for c in REQUEST_COLUMNS if c not in self.frame.columns]
        if missing:
            raise ModelError(f"{self.source}: request trace lacks columns {missing}")
        if len(self.frame) and not self.frame["arrival_s"].is_monotonic_increasing:
            raise ModelError(f"{self.source}: requests must be sorted by arrival_s")

    @property
    def span_s(self) -> float:
        """Seconds from the first to the last arrival."""
        arrivals = self.frame["arrival_s"].to_numpy()
        return float(arrivals[-1] - arrivals[0]) if len(arrivals) else 0.0

    def rate_per_s(self, step_s: int) -> pd.Series:
        """Arrivals per second in consecutive windows of ``step_s`` seconds from the start."""
        arrivals = self.frame["arrival_s"].to_numpy(dtype=float)
        if not len(arrivals):
            return pd.Series(dtype=float)
        bins = np.floor((arrivals - arrivals[0]) / step_s).astype(np.int64)
        counts = np.bincount(bins)
        return pd.Series(counts / step_s, index=np.arange(len(counts)) * step_s, name="rate_per_s")
