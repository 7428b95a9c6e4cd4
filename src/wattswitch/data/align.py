"""Resample series onto a scenario's step and join them on one UTC grid (gaps stay NaN)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from wattswitch.errors import ModelError
from wattswitch.model.timeseries import INDEX_NAME, NS_PER_S, TimeSeries, epoch_ns


def upsample(series: TimeSeries, step_s: int) -> TimeSeries:
    """Finer step: each value holds over every sub-interval of its interval (a step function)."""
    if series.step_s % step_s:
        raise ModelError(f"{series.source}: {series.step_s}-s step is not a multiple of {step_s} s")
    factor = series.step_s // step_s
    values = np.repeat(series.frame.to_numpy(dtype=float), factor, axis=0)
    index = pd.date_range(
        series.start_utc, periods=len(series.frame) * factor,
        freq=pd.Timedelta(seconds=step_s), name=INDEX_NAME,
    )
    frame = pd.DataFrame(values, index=index, columns=series.frame.columns)
    return TimeSeries(frame=frame, step_s=step_s, unit=series.unit, source=series.source)


def downsample(series: TimeSeries, step_s: int) -> TimeSeries:
    """Coarser step: time-weighted mean of the values present in each interval of ``step_s``.

    Intervals start on multiples of ``step_s`` since the Unix epoch (UTC midnight for days);
    an interval with no value at all stays NaN.
    """
    if step_s % series.step_s:
        raise ModelError(f"{series.source}: {step_s}-s step is not a multiple of {series.step_s} s")
    start_ns = epoch_ns(series.frame.index)
    bucket_ns = (start_ns // (step_s * NS_PER_S)) * (step_s * NS_PER_S)
    grouped = series.frame.groupby(bucket_ns).mean()
    index = pd.DatetimeIndex(pd.to_datetime(grouped.index.to_numpy(), utc=True), name=INDEX_NAME)
    frame = pd.DataFrame(grouped.to_numpy(dtype=float), index=index, columns=series.frame.columns)
    full = pd.date_range(index[0], index[-1], freq=pd.Timedelta(seconds=step_s), name=INDEX_NAME)
    return TimeSeries(frame=frame.reindex(full), step_s=step_s, unit=series.unit,
                      source=series.source)


def resample(series: TimeSeries, step_s: int) -> TimeSeries:
    """Onto ``step_s``: hold values when refining, average when coarsening (via the gcd if needed)."""
    if step_s <= 0:
        raise ModelError(f"step_s must be positive, got {step_s}")
    if step_s == series.step_s:
        return series
    if series.step_s % step_s == 0:
        return upsample(series, step_s)
    if step_s % series.step_s == 0:
        return downsample(series, step_s)
    return downsample(upsample(series, math.gcd(step_s, series.step_s)), step_s)


@dataclass(frozen=True)
class Aligned:
    """Series joined on one complete grid, with the count of missing intervals per column."""

    frame: pd.DataFrame
    step_s: int
    missing_intervals: dict[str, int]


def align(
    series: Mapping[str, TimeSeries],
    start_utc: datetime,
    end_utc: datetime,
    step_s: int,
) -> Aligned:
    """Resample each series to ``step_s`` and join them on the grid ``[start_utc, end_utc)``.

    Columns are named ``name`` for one-column series and ``name.column`` otherwise. Intervals a
    series does not cover (outside its span or in its gaps) are NaN and counted, never filled.
    """
    if start_utc.tzinfo is None or end_utc.tzinfo is None:
        raise ModelError("align: start_utc and end_utc need a time zone")
    if end_utc <= start_utc:
        raise ModelError("align: end_utc must be after start_utc")
    if int(start_utc.timestamp()) % step_s:
        raise ModelError(f"align: start_utc {start_utc} is not on the {step_s}-s UTC grid")
    grid = pd.date_range(
        pd.Timestamp(start_utc).tz_convert("UTC"), pd.Timestamp(end_utc).tz_convert("UTC"),
        freq=pd.Timedelta(seconds=step_s), inclusive="left", name=INDEX_NAME,
    )
    columns: dict[str, pd.Series] = {}
    for name, item in series.items():
        on_step = resample(item, step_s)
        frame = on_step.frame.reindex(grid)
        for column in frame.columns:
            label = name if len(frame.columns) == 1 else f"{name}.{column}"
            columns[label] = frame[column].astype(float)
    joined = pd.DataFrame(columns, index=grid)
    missing = {label: int(joined[label].isna().sum()) for label in joined.columns}
    return Aligned(frame=joined, step_s=step_s, missing_intervals=missing)
