"""A regular UTC time series with its gaps kept explicit (never silently filled)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wattswitch.errors import ModelError

INDEX_NAME = "interval_start_utc"
NS_PER_S = 1_000_000_000


def epoch_ns(index: pd.DatetimeIndex | pd.Index) -> np.ndarray:
    """Nanoseconds since the Unix epoch, whatever resolution pandas chose for the index."""
    return pd.DatetimeIndex(index).as_unit("ns").asi8


@dataclass(frozen=True)
class Gap:
    """A run of consecutive intervals with no value at all (inclusive first and last start)."""

    first_missing_utc: pd.Timestamp
    last_missing_utc: pd.Timestamp
    intervals: int


@dataclass(frozen=True)
class TimeSeries:
    """Values on a complete, regular UTC grid of interval starts; a missing interval is a NaN row.

    ``frame`` has a tz-aware UTC ``DatetimeIndex`` named ``interval_start_utc`` with exactly
    ``step_s`` seconds between rows, and one float column per series (e.g. one per hub).
    ``unit`` names the unit of every column (``usd_per_mwh``, ``mw``, ...); ``source`` names the
    file or generator it came from, for messages.
    """

    frame: pd.DataFrame
    step_s: int
    unit: str
    source: str

    def __post_init__(self) -> None:
        index = self.frame.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            raise ModelError(f"{self.source}: time index must be tz-aware UTC")
        if str(index.tz) != "UTC":
            raise ModelError(f"{self.source}: time index must be in UTC, got {index.tz}")
        if self.step_s <= 0:
            raise ModelError(f"{self.source}: step_s must be positive, got {self.step_s}")
        if len(index) > 1:
            deltas_s = np.diff(epoch_ns(index)) // NS_PER_S
            if not np.all(deltas_s == self.step_s):
                raise ModelError(
                    f"{self.source}: time index is not a complete {self.step_s}-s grid"
                )

    @property
    def columns(self) -> list[str]:
        """Names of the series."""
        return [str(c) for c in self.frame.columns]

    @property
    def start_utc(self) -> pd.Timestamp:
        """First interval start."""
        return pd.Timestamp(self.frame.index[0])

    @property
    def end_utc(self) -> pd.Timestamp:
        """End of the last interval (exclusive)."""
        return pd.Timestamp(self.frame.index[-1]) + pd.Timedelta(seconds=self.step_s)

    def column(self, name: str) -> pd.Series:
        """One series by name, with a clear error listing the available ones."""
        if name not in self.frame.columns:
            raise KeyError(f"{self.source}: no series {name!r}; available: {', '.join(self.columns)}")
        return self.frame[name]

    def gaps(self) -> list[Gap]:
        """Runs of intervals where every series is missing."""
        return find_gaps(self.frame.isna().all(axis=1).to_numpy(), pd.DatetimeIndex(self.frame.index))


def find_gaps(missing: np.ndarray, index: pd.DatetimeIndex) -> list[Gap]:
    """Group consecutive ``True`` entries of ``missing`` into gaps on ``index``."""
    flags = np.asarray(missing, dtype=bool)
    if not flags.any():
        return []
    padded = np.concatenate(([False], flags, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    starts, stops = edges[0::2], edges[1::2]
    return [
        Gap(pd.Timestamp(index[a]), pd.Timestamp(index[b - 1]), int(b - a))
        for a, b in zip(starts, stops, strict=True)
    ]


def complete_grid(frame: pd.DataFrame, step_s: int) -> pd.DataFrame:
    """Re-index ``frame`` (sorted UTC index on the step) onto a complete grid; new rows are NaN."""
    if frame.empty:
        return frame
    full = pd.date_range(
        frame.index[0], frame.index[-1], freq=pd.Timedelta(seconds=step_s), name=INDEX_NAME
    )
    return frame.reindex(full)
