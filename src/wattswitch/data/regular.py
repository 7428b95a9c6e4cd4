"""Turn parsed timestamps and values into a :class:`TimeSeries` on a complete regular grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wattswitch.data.io import check_increasing
from wattswitch.errors import InputError
from wattswitch.model.timeseries import INDEX_NAME, NS_PER_S, TimeSeries, complete_grid, epoch_ns


def infer_step_s(times: pd.DatetimeIndex, lines: np.ndarray, source: str) -> int:
    """The series' step: the most common spacing; any spacing not a multiple of it is an error."""
    if len(times) < 2:
        raise InputError(source, "only one row", line=int(lines[0]), expected="two or more rows")
    deltas_s = np.diff(epoch_ns(times)) // NS_PER_S
    values, counts = np.unique(deltas_s, return_counts=True)
    step_s = int(values[np.argmax(counts)])
    off_grid = np.flatnonzero(deltas_s % step_s != 0)
    if off_grid.size:
        i = int(off_grid[0]) + 1
        raise InputError(
            source,
            f"mixed steps: {int(deltas_s[i - 1])} s before this row, {step_s} s in most of the file",
            line=int(lines[i]),
            expected=f"one step throughout (gaps are whole multiples of {step_s} s)",
        )
    return step_s


def build_series(
    times: pd.DatetimeIndex,
    columns: dict[str, np.ndarray],
    lines: np.ndarray,
    source: str,
    unit: str,
    *,
    step_s: int | None = None,
) -> TimeSeries:
    """Check order and step, then lay the values on a complete UTC grid (missing rows are NaN)."""
    times = pd.DatetimeIndex(times).as_unit("ns")  # step arithmetic below counts nanoseconds
    check_increasing(epoch_ns(times), lines, source, INDEX_NAME)
    step = step_s if step_s is not None else infer_step_s(times, lines, source)
    if step_s is not None and len(times) > 1:
        deltas_s = np.diff(epoch_ns(times)) // NS_PER_S
        off_grid = np.flatnonzero(deltas_s % step != 0)
        if off_grid.size:
            i = int(off_grid[0]) + 1
            raise InputError(
                source, f"row is off the {step}-s grid", line=int(lines[i]),
                expected=f"interval starts {step} s apart",
            )
    frame = pd.DataFrame(columns, index=pd.DatetimeIndex(times, name=INDEX_NAME))
    return TimeSeries(frame=complete_grid(frame, step), step_s=step, unit=unit, source=source)
