"""Inference request traces (Azure LLM, Mooncake, Alibaba Stable Diffusion) as RequestTraces.

Parsers are pure (text in, :class:`RequestTrace` out); :func:`load_inference` reads a file and
sniffs its format. Order: rows are stably sorted by arrival time (ties keep file order). All three
published traces are already in order (Alibaba has 327 requests sharing a second with the one
before, which is fine); a log written by several workers may be slightly out of order, and its
arrival times still order it meaningfully, so sorting is the fix rather than an error.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from wattswitch.data.io import check_non_negative, parse_csv_table, read_text, to_float, to_utc_timestamps
from wattswitch.errors import InputError
from wattswitch.model.traces import RequestTrace

AZURE_COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")
ALIBABA_COLUMNS = ("gmt_create", "exec_time_seconds")
MOONCAKE_KEYS = ("timestamp", "input_length", "output_length")
HOURS_PER_DAY = 24
S_PER_HOUR = 3600



def _trace(
    arrival_s: np.ndarray,
    columns: dict[str, np.ndarray],
    source: str,
    origin_utc: pd.Timestamp | None,
) -> RequestTrace:
    """Stable-sort by arrival (ties keep file order) and wrap in a RequestTrace."""
    order = np.argsort(arrival_s, kind="stable")
    frame = pd.DataFrame({"arrival_s": arrival_s[order]})
    for name, values in columns.items():
        frame[name] = values[order]
    return RequestTrace(frame=frame, source=source, origin_utc=origin_utc)


def _clock_trace(
    times: pd.DatetimeIndex, columns: dict[str, np.ndarray], source: str
) -> RequestTrace:
    """A trace from wall-clock arrival times; ``origin_utc`` is the earliest one."""
    zero = pd.Timestamp(times.min())
    arrival_s = np.asarray((times - zero) / pd.Timedelta(seconds=1), dtype=float)
    return _trace(arrival_s, columns, source, zero)


def parse_azure_csv(text: str, source: str) -> RequestTrace:
    """Azure LLM inference trace (``TIMESTAMP``, ``ContextTokens``, ``GeneratedTokens``).

    ``TIMESTAMP`` is ``YYYY-MM-DD HH:MM:SS.fffffff`` (7 fractional digits, kept to 100 ns) with no
    stated zone; it is treated as UTC. Tokens go to ``input_tokens`` / ``output_tokens``;
    ``exec_time_s`` is NaN (the trace has no service times).
    """
    frame, lines = parse_csv_table(text, source, required=AZURE_COLUMNS)
    times = to_utc_timestamps(frame, "TIMESTAMP", lines, source, assume_utc=True)
    tokens = {}
    for theirs, ours in (("ContextTokens", "input_tokens"), ("GeneratedTokens", "output_tokens")):
        values = to_float(
            frame, theirs, lines, source, allow_empty=False, expected="a token count ≥ 0"
        )
        check_non_negative(values, lines, source, theirs)
        tokens[ours] = values
    tokens["exec_time_s"] = np.full(len(frame), np.nan)
    return _clock_trace(times, tokens, source)


def _json_number(record: dict[str, object], key: str, line: int, source: str) -> float:
    value = record.get(key)
    if value is None:
        raise InputError(
            source, f"no {key!r}", line=line, field=key, expected=f"keys {', '.join(MOONCAKE_KEYS)}"
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(
            source, f"{value!r} is not a number", line=line, field=key, expected="a number ≥ 0"
        )
    if value < 0:
        raise InputError(source, f"negative value {value!r}", line=line, field=key,
                         expected="a number ≥ 0")
    return float(value)


def parse_mooncake_jsonl(text: str, source: str) -> RequestTrace:
    """Mooncake JSONL trace: one object per line with ``timestamp`` (ms from trace start),
    ``input_length`` and ``output_length`` (tokens); ``hash_ids`` and other keys are ignored.

    ``arrival_s`` keeps the file's own clock (``timestamp`` / 1000, not shifted). Arrivals are
    synthetic, so ``origin_utc`` is None. Blank lines are skipped; a line that is
    not a JSON object raises :class:`InputError` naming that line.
    """
    rows: list[tuple[float, float, float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(
                source, f"not valid JSON ({err.msg} at column {err.colno})", line=number,
                expected="one JSON object per line",
            ) from err
        if not isinstance(record, dict):
            raise InputError(
                source, f"a JSON {type(record).__name__}", line=number,
                expected="one JSON object per line",
            )
        rows.append(tuple(_json_number(record, k, number, source) for k in MOONCAKE_KEYS))  # type: ignore[arg-type]
    if not rows:
        raise InputError(source, "no requests", line=1, expected="one JSON object per line")
    table = np.asarray(rows, dtype=float)
    columns = {
        "input_tokens": table[:, 1],
        "output_tokens": table[:, 2],
        "exec_time_s": np.full(len(table), np.nan),
    }
    return _trace(table[:, 0] / 1000.0, columns, source, None)


def parse_alibaba_sd_csv(text: str, source: str) -> RequestTrace:
    """Alibaba Stable-Diffusion serving trace (``gmt_create``, ``exec_time_seconds``, ...).

    Every row is kept whatever its ``predict_status`` (SUCCEED / FAILED / PENDING / PROCESSING):
    each was a request the service received. ``predict_status`` and ``predict_type`` are carried
    as extra string columns when present so callers may filter. Tokens are NaN (image
    generation); ``exec_time_s`` = ``exec_time_seconds`` (an empty cell is NaN). ``gmt_create``
    is an anonymised clock treated as UTC; its time of day still carries the diurnal cycle.
    """
    frame, lines = parse_csv_table(text, source, required=ALIBABA_COLUMNS)
    times = to_utc_timestamps(frame, "gmt_create", lines, source, assume_utc=True)
    exec_time_s = to_float(frame, "exec_time_seconds", lines, source, expected="seconds ≥ 0")
    check_non_negative(exec_time_s, lines, source, "exec_time_seconds")
    nan = np.full(len(frame), np.nan)
    columns: dict[str, np.ndarray] = {
        "input_tokens": nan,
        "output_tokens": nan.copy(),
        "exec_time_s": exec_time_s,
    }
    for extra in ("predict_status", "predict_type"):
        if extra in frame.columns:
            columns[extra] = frame[extra].astype(str).str.strip().to_numpy(dtype=object)
    return _clock_trace(times, columns, source)


def parse_inference(text: str, source: str) -> RequestTrace:
    """Sniff the trace format (JSONL object lines, Azure or Alibaba CSV header) and parse it."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return parse_mooncake_jsonl(text, source)
    header = {h.strip() for h in stripped.split("\n", 1)[0].split(",")}
    if "TIMESTAMP" in header:
        return parse_azure_csv(text, source)
    if "gmt_create" in header:
        return parse_alibaba_sd_csv(text, source)
    raise InputError(
        source, "unknown inference trace format", line=1,
        expected=(
            "an Azure CSV (TIMESTAMP, ContextTokens, GeneratedTokens), an Alibaba CSV "
            "(gmt_create, exec_time_seconds) or Mooncake JSONL (timestamp, input_length, "
            "output_length)"
        ),
    )


def load_inference(path: str | Path) -> RequestTrace:
    """Read an inference trace (``.gz`` allowed) in any format :func:`parse_inference` takes."""
    return parse_inference(read_text(path), str(path))


def diurnal_profile(trace: RequestTrace) -> np.ndarray:
    """Relative request rate in each hour of the day of the trace's clock (24 values, mean 1.0).

    ``rate[h] = arrivals in hour h / seconds of the trace span [first, last arrival] in hour h``,
    divided by the mean over the 24 hours, so partly covered first and last days do not bias
    the shape. Needs ``origin_utc`` and a span of at least 24 h. Index 0 is 00:00-01:00 of the
    trace's clock; shift with ``np.roll`` for another time zone.
    """
    if trace.origin_utc is None:
        raise InputError(
            trace.source, "the trace has no wall clock (origin_utc is None)",
            expected="a trace with timestamps (e.g. the Alibaba GenAI trace)",
        )
    if trace.span_s < HOURS_PER_DAY * S_PER_HOUR:
        raise InputError(
            trace.source, f"the trace spans only {trace.span_s / S_PER_HOUR:.1f} h",
            expected="a trace spanning at least 24 h",
        )
    origin = pd.Timestamp(trace.origin_utc)
    day_start = origin.normalize()
    offset_s = (origin - day_start) / pd.Timedelta(seconds=1)
    clock_s = trace.frame["arrival_s"].to_numpy(dtype=float) + offset_s  # s since day_start
    counts = np.bincount(
        (np.floor(clock_s / S_PER_HOUR) % HOURS_PER_DAY).astype(np.int64), minlength=HOURS_PER_DAY
    ).astype(float)
    first_s, last_s = float(clock_s[0]), float(clock_s[-1])
    hour_starts_s = np.arange(
        np.floor(first_s / S_PER_HOUR) * S_PER_HOUR, last_s, S_PER_HOUR, dtype=float
    )
    covered_s = np.minimum(hour_starts_s + S_PER_HOUR, last_s) - np.maximum(hour_starts_s, first_s)
    hour_of_day = (np.round(hour_starts_s / S_PER_HOUR) % HOURS_PER_DAY).astype(np.int64)
    exposure_s = np.bincount(hour_of_day, weights=covered_s, minlength=HOURS_PER_DAY)
    rate = counts / exposure_s
    return np.asarray(rate / rate.mean(), dtype=float)
