"""What a loaded file holds: rows, span, step, gaps and per-series statistics, as plain dicts."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any, Literal

import numpy as np

from wattswitch.data.bitcoin import load_bitcoin
from wattswitch.data.inference import load_inference
from wattswitch.data.jobs import load_jobs
from wattswitch.data.prices import load_grid_load, load_prices, looks_like_load
from wattswitch.errors import InputError
from wattswitch.model.timeseries import TimeSeries
from wattswitch.model.traces import JobTrace, RequestTrace

Kind = Literal["prices", "load", "bitcoin", "jobs", "inference"]
KINDS: tuple[Kind, ...] = ("prices", "load", "bitcoin", "jobs", "inference")
TIME_COLUMNS = frozenset({"interval_start_utc", "interval_start_local"})


def _iso(value: Any) -> str:
    return str(value.isoformat()).replace("+00:00", "Z")


def _stats(values: np.ndarray) -> dict[str, float | None]:
    present = values[~np.isnan(values)]
    if not present.size:
        return {"mean": None, "min": None, "max": None}
    return {
        "mean": round(float(present.mean()), 4),
        "min": round(float(present.min()), 4),
        "max": round(float(present.max()), 4),
    }


def summarize_series(series: TimeSeries) -> dict[str, Any]:
    """Rows, span, step, gaps (count, missing intervals, longest) and mean/min/max per series.

    Gap lengths are given in intervals and in seconds (``missing_s``, ``longest_s``), since an
    interval is 5 min in one file and a day in another.
    """
    gaps = series.gaps()
    longest = max(gaps, key=lambda g: g.intervals, default=None)
    missing = sum(g.intervals for g in gaps)
    return {
        "source": series.source,
        "unit": series.unit,
        "rows": len(series.frame),
        "start_utc": _iso(series.start_utc),
        "end_utc": _iso(series.end_utc),
        "step_s": series.step_s,
        "gaps": {
            "count": len(gaps),
            "missing_intervals": missing,
            "missing_s": missing * series.step_s,
            "longest_s": 0 if longest is None else longest.intervals * series.step_s,
            "longest": None
            if longest is None
            else {
                "first_missing_utc": _iso(longest.first_missing_utc),
                "last_missing_utc": _iso(longest.last_missing_utc),
                "intervals": longest.intervals,
                "duration_s": longest.intervals * series.step_s,
            },
        },
        "series": {
            column: {
                **_stats(series.frame[column].to_numpy(dtype=float)),
                "missing": int(series.frame[column].isna().sum()),
            }
            for column in series.columns
        },
    }


def summarize_jobs(trace: JobTrace) -> dict[str, Any]:
    """Job count, span, total GPU-hours, duration statistics and the GPU-count histogram."""
    frame = trace.frame
    durations = frame["duration_s"].to_numpy(dtype=float)
    submits = frame["submit_s"].to_numpy(dtype=float)
    return {
        "source": trace.source,
        "jobs": len(frame),
        "cpu_only_jobs_left_out": trace.cpu_only_jobs_left_out,
        "span_s": float(submits[-1] - submits[0]) if len(submits) else 0.0,
        "origin_utc": None if trace.origin_utc is None else _iso(trace.origin_utc),
        "total_gpu_hours": round(trace.gpu_hours, 2),
        "duration_s": {
            **_stats(durations),
            "median": float(np.median(durations)) if len(durations) else None,
        },
        "gpu_count_histogram": {str(k): v for k, v in trace.gpu_count_histogram().items()},
    }


def summarize_requests(trace: RequestTrace) -> dict[str, Any]:
    """Request count, span, mean rate, and token / execution-time statistics."""
    frame = trace.frame
    span_s = trace.span_s
    return {
        "source": trace.source,
        "requests": len(frame),
        "span_s": round(span_s, 3),
        "origin_utc": None if trace.origin_utc is None else _iso(trace.origin_utc),
        "mean_requests_per_s": round(len(frame) / span_s, 4) if span_s > 0 else None,
        "series": {
            column: _stats(frame[column].to_numpy(dtype=float))
            for column in ("input_tokens", "output_tokens", "exec_time_s")
        },
    }


def _head(path: Path, limit: int = 4096) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            return bytes(handle.read(limit)).decode("utf-8-sig", errors="replace")
    except (OSError, EOFError) as err:
        raise InputError(str(path), f"cannot read ({err})") from err


def detect_kind(path: str | Path) -> Kind:
    """Guess what a file holds from its first lines (use ``--kind`` to say it explicitly)."""
    file_path = Path(path)
    if file_path.is_dir():
        raise InputError(str(path), "is a folder", expected="a file inside it")
    if not file_path.is_file():
        raise InputError(str(path), "no such file", expected="an existing file path")
    head = _head(file_path)
    lowered = head.lower()
    if head.lstrip().startswith("{") or "contexttokens" in lowered or "gmt_create" in lowered:
        return "inference"
    if any(key in lowered for key in ("hashrate", "hashprice", "mining_profitability")):
        return "bitcoin"
    if any(key in lowered for key in ("interval_start_utc", "utc timestamp", "deliverydate")):
        return "load" if _holds_load(head) else "prices"
    if not head.strip():
        raise InputError(str(path), "the file is empty", expected="a header and data rows")
    return "jobs"


def _holds_load(head: str) -> bool:
    """A system-load file (MW), not prices: EIA's "Actual Load" title or header, or load-zone columns."""
    lines = [line.strip().lower() for line in head.splitlines() if line.strip()]
    if any("actual load" in line or "load (mw)" in line for line in lines[:6]):
        return True
    header = next((line for line in lines if line.startswith("interval_start_utc")), None)
    if header is None:
        return False
    columns = [c.strip().strip('"') for c in header.split(",")]
    return looks_like_load([c for c in columns if c not in TIME_COLUMNS])


def inspect_file(path: str | Path, kind: Kind | None = None) -> dict[str, Any]:
    """Load ``path`` with the loader of its kind and summarise what was read."""
    chosen = kind or detect_kind(path)
    summary: dict[str, Any]
    if chosen == "prices":
        summary = summarize_series(load_prices(path))
    elif chosen == "load":
        summary = summarize_series(load_grid_load(path))
    elif chosen == "bitcoin":
        summary = summarize_series(load_bitcoin(path))
    elif chosen == "jobs":
        summary = summarize_jobs(load_jobs(path))
    else:
        summary = summarize_requests(load_inference(path))
    return {"kind": chosen, **summary}
