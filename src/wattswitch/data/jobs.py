"""GPU training-job traces (Helios and any scheduler log with submit, duration and GPUs).

Parsers are pure (text in, :class:`JobTrace` out); :func:`load_jobs` reads a file.

Decisions:

* Rows are stably sorted by submit time (scheduler logs are often written in finish order);
  ``submit_s`` counts seconds from the earliest submission.
* Jobs asking for 0 GPUs (CPU-only) are excluded: a :class:`JobTrace` holds GPU jobs only.
  :func:`parse_job_table` returns how many were dropped (:class:`ParsedJobs`);
  :func:`parse_job_csv` / :func:`load_jobs` return just the trace.
* Negative durations or GPU counts, fractional GPU counts, empty or non-numeric cells, missing
  columns and empty files raise :class:`InputError` naming file, line and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wattswitch.data.io import parse_csv_table, read_text, to_float, to_utc_timestamps
from wattswitch.errors import InputError, shown
from wattswitch.model.traces import JobTrace

HELIOS_COLUMNS = ("job_id", "arrival_s", "service_sec", "gpu_count")

# Recognised column names (case-insensitive), in order of preference.
SUBMIT_NAMES = (
    "submit_s", "arrival_s", "submit_time", "submit", "submitted", "arrival", "arrival_time",
    "queued_time", "queue_time", "submit_time_s",
)
DURATION_NAMES = (
    "duration_s", "duration", "service_sec", "service_s", "run_time", "runtime", "run_time_s",
    "elapsed", "elapsed_s",
)
GPU_NAMES = ("gpus", "gpu_count", "gpu_num", "num_gpus", "n_gpus", "gpu", "gpu_request")
ID_NAMES = ("job_id", "jobid", "id", "job")
START_NAMES = ("start_time", "start", "start_s", "started")
END_NAMES = ("end_time", "end", "end_s", "finish_time", "ended")

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class ParsedJobs:
    """A parsed job trace plus how many CPU-only (0-GPU) rows were left out of it."""

    trace: JobTrace
    dropped_cpu_only: int


def _find(header: list[str], names: tuple[str, ...]) -> str | None:
    """The header's column matching the first of ``names`` present (case-insensitive)."""
    by_lower = {h.lower(): h for h in header}
    for name in names:
        if name in by_lower:
            return by_lower[name]
    return None


def _explicit(header: list[str], column: str, source: str, role: str) -> str:
    if column in header:
        return column
    found = _find(header, (column.lower(),))
    if found is None:
        raise InputError(
            source, f"no column {column!r} (given as the {role} column)", line=1,
            expected=f"one of the header's columns: {', '.join(header)}",
        )
    return found


def _missing(source: str, role: str, names: tuple[str, ...], header: list[str]) -> InputError:
    return InputError(
        source, f"no {role} column", line=1,
        expected=f"a column named one of {', '.join(names)} (found {', '.join(header)})",
    )


def _times_s(
    frame: pd.DataFrame, column: str, lines: np.ndarray, source: str
) -> tuple[np.ndarray, bool]:
    """A time column as seconds: numbers are taken as seconds; else UTC timestamps (naive = UTC),
    returned as seconds since 1970. The second value says whether they were timestamps."""
    raw = frame[column].astype(str).str.strip()
    first = raw[raw != ""]
    is_number = first.empty or not pd.isna(pd.to_numeric(first.iloc[0], errors="coerce"))
    if is_number:
        return to_float(frame, column, lines, source, allow_empty=False,
                        expected="seconds (a number) or a timestamp"), False
    times = to_utc_timestamps(frame, column, lines, source, assume_utc=True).as_unit("ns")
    return times.asi8 / NS_PER_S, True


def _check(
    bad: np.ndarray, values: np.ndarray, lines: np.ndarray, source: str, *, field: str,
    problem: str, expected: str,
) -> None:
    where = np.flatnonzero(bad)
    if where.size:
        i = int(where[0])
        raise InputError(
            source, problem.format(float(values[i])), line=int(lines[i]), field=field, expected=expected
        )


def parse_job_table(
    text: str,
    source: str,
    *,
    submit_col: str | None = None,
    duration_col: str | None = None,
    gpus_col: str | None = None,
    id_col: str | None = None,
) -> ParsedJobs:
    """Parse any job CSV into a :class:`JobTrace` and count the CPU-only jobs left out.

    Columns are found by common names (case-insensitive; see ``SUBMIT_NAMES``,
    ``DURATION_NAMES``, ``GPU_NAMES``, ``ID_NAMES``) unless given. Submit times are seconds
    (numbers) or timestamps (naive ones are taken as UTC; ``origin_utc`` is then the earliest
    submission). Without a duration column, ``start``/``end`` columns (seconds or timestamps)
    give ``duration_s = end - start``, and ``start`` stands in for a missing submit column.
    Durations are in seconds. Without an id column, the job id is its line number in the file.
    A file with no GPU job at all is an error.
    """
    frame, lines = parse_csv_table(text, source)
    return _jobs_from_table(
        frame, lines, source, submit_col=submit_col, duration_col=duration_col,
        gpus_col=gpus_col, id_col=id_col,
    )


def _jobs_from_table(
    frame: pd.DataFrame,
    lines: np.ndarray,
    source: str,
    *,
    submit_col: str | None,
    duration_col: str | None,
    gpus_col: str | None,
    id_col: str | None,
) -> ParsedJobs:
    header = [str(c) for c in frame.columns]

    def pick(given: str | None, names: tuple[str, ...], role: str) -> str | None:
        return _explicit(header, given, source, role) if given else _find(header, names)

    submit = pick(submit_col, SUBMIT_NAMES, "submit")
    duration = pick(duration_col, DURATION_NAMES, "duration")
    gpus = pick(gpus_col, GPU_NAMES, "GPU-count")
    job_id = pick(id_col, ID_NAMES, "job id")
    start, end = _find(header, START_NAMES), _find(header, END_NAMES)
    if submit is None:
        submit = start
    if submit is None:
        raise _missing(source, "submit-time", SUBMIT_NAMES + START_NAMES, header)
    if duration is None and (start is None or end is None):
        raise _missing(source, "duration (or start + end)", DURATION_NAMES, header)
    if gpus is None:
        raise _missing(source, "GPU-count", GPU_NAMES, header)

    submit_s, submit_is_time = _times_s(frame, submit, lines, source)
    if duration is not None:
        duration_s = to_float(frame, duration, lines, source, allow_empty=False,
                              expected="a duration in seconds ≥ 0")
        field = duration
    else:
        assert start is not None
        assert end is not None
        start_s, start_is_time = _times_s(frame, start, lines, source)
        end_s, end_is_time = _times_s(frame, end, lines, source)
        if start_is_time != end_is_time:
            raise InputError(
                source, f"{start!r} and {end!r} are not the same kind of time", line=1,
                expected="both timestamps or both seconds",
            )
        duration_s = end_s - start_s
        field = end
    _check(duration_s < 0, duration_s, lines, source, field=field,
           problem="negative duration {:g} s", expected="a duration ≥ 0 s (end not before start)")
    gpu_values = to_float(frame, gpus, lines, source, allow_empty=False,
                          expected="a whole number of GPUs ≥ 0")
    _check(gpu_values < 0, gpu_values, lines, source, field=gpus,
           problem="negative GPU count {:g}", expected="a whole number of GPUs ≥ 0")
    _check(gpu_values != np.round(gpu_values), gpu_values, lines, source, field=gpus,
           problem="fractional GPU count {:g}", expected="a whole number of GPUs ≥ 0")

    ids = (frame[job_id].astype(str).str.strip().to_numpy(dtype=object) if job_id
           else lines.astype(str).astype(object))
    keep = gpu_values >= 1
    if not keep.any():
        raise InputError(
            source, f"no GPU jobs (all {len(keep)} rows ask for 0 GPUs)", line=int(lines[0]),
            field=gpus, expected="at least one job with 1 or more GPUs",
        )
    if job_id:
        _check_unique_ids(ids, lines, source, job_id)
    order = np.flatnonzero(keep)[np.argsort(submit_s[keep], kind="stable")]
    first_s = float(submit_s[order[0]])
    jobs = pd.DataFrame({
        "job_id": ids[order],
        "submit_s": submit_s[order] - first_s,
        "duration_s": duration_s[order],
        "gpus": gpu_values[order].astype(np.int64),
    })
    origin_utc = pd.Timestamp(round(first_s * NS_PER_S), tz="UTC") if submit_is_time else None
    dropped = int(np.count_nonzero(~keep))
    trace = JobTrace(frame=jobs, source=source, origin_utc=origin_utc, cpu_only_jobs_left_out=dropped)
    return ParsedJobs(trace=trace, dropped_cpu_only=dropped)


def _check_unique_ids(ids: np.ndarray, lines: np.ndarray, source: str, field: str) -> None:
    """A job id given twice is a copy-paste or a join gone wrong: say where, never keep both silently."""
    repeated = pd.Series(ids).duplicated().to_numpy()
    if repeated.any():
        i = int(np.flatnonzero(repeated)[0])
        first = int(lines[int(np.flatnonzero(ids == ids[i])[0])])
        raise InputError(
            source, f"job id {shown(str(ids[i]))} appears again (first on line {first})", line=int(lines[i]),
            field=field, expected="one row per job (unique ids)",
        )


def parse_job_csv(
    text: str,
    source: str,
    *,
    submit_col: str | None = None,
    duration_col: str | None = None,
    gpus_col: str | None = None,
    id_col: str | None = None,
) -> JobTrace:
    """:func:`parse_job_table` without the CPU-only count: just the GPU jobs, sorted."""
    return parse_job_table(
        text, source, submit_col=submit_col, duration_col=duration_col, gpus_col=gpus_col,
        id_col=id_col,
    ).trace


def parse_helios_csv(text: str, source: str) -> JobTrace:
    """The Helios (Venus) simulator trace: ``job_id``, ``arrival_s``, ``service_sec`` (s, clamped
    at 48 h upstream), ``gpu_count``. ``origin_utc`` is None (the file keeps relative times)."""
    frame, lines = parse_csv_table(text, source, required=HELIOS_COLUMNS)
    return _jobs_from_table(
        frame, lines, source, submit_col="arrival_s", duration_col="service_sec",
        gpus_col="gpu_count", id_col="job_id",
    ).trace


def load_jobs(
    path: str | Path,
    *,
    submit_col: str | None = None,
    duration_col: str | None = None,
    gpus_col: str | None = None,
    id_col: str | None = None,
) -> JobTrace:
    """Read a job CSV (``.gz`` allowed); columns are detected as in :func:`parse_job_table`."""
    return parse_job_csv(
        read_text(path), str(path), submit_col=submit_col, duration_col=duration_col,
        gpus_col=gpus_col, id_col=id_col,
    )
