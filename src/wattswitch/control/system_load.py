"""System-load feeds for live control: a replay of a grid-load file, and ERCOT live via gridstatus.

Both implement :class:`wattswitch.model.equipment.SystemLoadFeed`: ``history`` returns only
intervals that have ended (an hourly value at the end of its hour), as the simulator shows
them. :func:`load_on_grid` lays the points on the controller's interval grid for a policy's
4CP watch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from wattswitch.control.prices import NS_PER_S, from_epoch_ns, gridstatus_ercot, settled_range
from wattswitch.data.prices import load_grid_load
from wattswitch.errors import EquipmentError, InputError
from wattswitch.model.equipment import LoadPoint
from wattswitch.model.timeseries import TimeSeries, epoch_ns

ERCOT_TOTAL = "ERCOT_TOTAL"
GRIDSTATUS_LOAD_COLUMNS = ("Interval Start", "Interval End", "Load")
ERCOT_TIMEZONE = "America/Chicago"


class ReplaySystemLoadFeed:
    """One column of a grid-load file (tidy CSV or EIA), replayed on the data's own clock.

    Pair it with the same :class:`~wattswitch.control.clock.ReplayClock` as the replayed prices.
    """

    def __init__(self, series: TimeSeries, column: str = ERCOT_TOTAL) -> None:
        if column not in series.frame.columns:
            choices = ", ".join(series.columns)
            raise InputError(series.source, f"no column {column!r}", expected=f"one of {choices}")
        values = series.frame[column].to_numpy(dtype=float)
        known = ~np.isnan(values)
        if not known.any():
            raise InputError(series.source, f"column {column!r} holds no load", expected="system load in MW")
        self._starts_ns = epoch_ns(series.frame.index)[known]
        self._loads_mw = values[known]
        self._step_ns = series.step_s * NS_PER_S
        self._column = column
        self._source = series.source

    @classmethod
    def from_file(cls, path: str | Path, column: str = ERCOT_TOTAL) -> ReplaySystemLoadFeed:
        """Load ``path`` (any format :func:`load_grid_load` reads) and replay its ``column``."""
        return cls(load_grid_load(path), column)

    @property
    def name(self) -> str:
        return f"replay {self._column} from {self._source}"

    def history(self, since_utc: datetime, now_utc: datetime) -> list[LoadPoint]:
        """Values of intervals starting at or after ``since_utc`` and ended by ``now_utc``."""
        return [
            LoadPoint(
                from_epoch_ns(int(self._starts_ns[k])),
                from_epoch_ns(int(self._starts_ns[k]) + self._step_ns),
                float(self._loads_mw[k]),
            )
            for k in settled_range(self._starts_ns, self._step_ns, since_utc, now_utc)
        ]


DayFetch = Callable[[date], pd.DataFrame]


class GridstatusSystemLoadFeed:
    """ERCOT's system load fetched live through gridstatus (``Ercot().get_load``).

    ``fetch(day)`` returns gridstatus' load table of one ERCOT operating day (columns
    ``Interval Start``, ``Interval End``, ``Load``): 5-min values today, hourly ones for the
    last ``days_back`` days (the source serves no older days). Days before yesterday no longer
    change and are fetched once. A failed fetch raises :class:`EquipmentError`.
    """

    def __init__(self, fetch: DayFetch | None = None, *, days_back: int = 14) -> None:
        self._fetch = fetch or _gridstatus_day_fetch()
        self.days_back = days_back
        self._settled_days: dict[date, list[LoadPoint]] = {}

    @property
    def name(self) -> str:
        return "gridstatus ERCOT system load"

    def history(self, since_utc: datetime, now_utc: datetime) -> list[LoadPoint]:
        """Ended values since ``since_utc``, from the operating days the source still serves."""
        local = ZoneInfo(ERCOT_TIMEZONE)
        today = now_utc.astimezone(local).date()
        first = max(since_utc.astimezone(local).date(), today - timedelta(days=self.days_back))
        points: list[LoadPoint] = []
        day = first
        while day <= today:
            points.extend(p for p in self._day(day, today, now_utc) if p.interval_start_utc >= since_utc)
            day += timedelta(days=1)
        return points

    def _day(self, day: date, today: date, now_utc: datetime) -> list[LoadPoint]:
        cached = self._settled_days.get(day)
        if cached is not None:
            return cached
        try:
            table = self._fetch(day)
        except EquipmentError:
            raise
        except Exception as err:  # any network or parse failure of the source is a feed outage
            raise EquipmentError(f"{self.name}: fetching {day.isoformat()} failed: {err}") from err
        points = settled_load_points(table, now_utc, self.name)
        if day < today - timedelta(days=1):
            self._settled_days[day] = points
        return points


def settled_load_points(table: pd.DataFrame, now_utc: datetime, source: str) -> list[LoadPoint]:
    """From a gridstatus load table, every interval ended at or before ``now_utc``, in time order."""
    missing = [c for c in GRIDSTATUS_LOAD_COLUMNS if c not in table.columns]
    if missing:
        raise EquipmentError(f"{source}: the load table lacks columns {missing}; got {list(table.columns)}")
    starts = pd.to_datetime(table["Interval Start"], utc=True)
    ends = pd.to_datetime(table["Interval End"], utc=True)
    loads = pd.to_numeric(table["Load"], errors="coerce")
    keep = (ends <= pd.Timestamp(now_utc)) & loads.notna()
    rows = sorted(
        zip(starts[keep].tolist(), ends[keep].tolist(), loads[keep].tolist(), strict=True),
        key=lambda row: row[0],
    )
    return [LoadPoint(s.to_pydatetime(), e.to_pydatetime(), float(v)) for s, e, v in rows]


def load_on_grid(points: Iterable[LoadPoint], origin_utc: datetime, step_s: int, count: int) -> np.ndarray:
    """The mean load of each of ``count`` intervals from ``origin_utc``; NaN unless wholly covered.

    Points may be coarser (hourly) or finer (5-min) than the grid; each interval averages the
    points that overlap it, weighted by the overlap, and is known only once points cover all of it.
    A point given twice (fetched again) counts once.
    """
    sums = np.zeros(count)
    covered = np.zeros(count)
    unique = {(p.interval_start_utc, p.interval_end_utc): p.load_mw for p in points}  # refetched: once
    for (first, last), load_mw in unique.items():
        start = (first - origin_utc).total_seconds() / step_s
        end = (last - origin_utc).total_seconds() / step_s
        for k in range(max(0, math.floor(start)), min(count, math.ceil(end))):
            overlap = min(end, k + 1) - max(start, k)
            if overlap > 0:
                sums[k] += load_mw * overlap
                covered[k] += overlap
    whole = covered >= 1 - 1e-9
    return np.where(whole, sums / np.where(whole, covered, 1.0), np.nan)


def _gridstatus_day_fetch() -> DayFetch:
    def fetch(day: date) -> pd.DataFrame:
        ercot = gridstatus_ercot("the live ERCOT load", "control.system_load")
        return pd.DataFrame(ercot.get_load(pd.Timestamp(day, tz=ERCOT_TIMEZONE)))

    return fetch
