"""Real-time price feeds for live control: a replay of a price file, and ERCOT live via gridstatus.

Both implement :class:`wattswitch.model.equipment.PriceFeed`: ``latest(now)`` returns the last
interval *settled* at ``now`` (its end ≤ now), never the interval still running.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wattswitch.data.prices import load_prices
from wattswitch.errors import EquipmentError, InputError
from wattswitch.model.equipment import PricePoint
from wattswitch.model.timeseries import TimeSeries, epoch_ns

NS_PER_S = 1_000_000_000
GRIDSTATUS_COLUMNS = ("Interval Start", "Interval End", "Location", "SPP")


class ReplayPriceFeed:
    """Prices of one hub replayed from a file (tidy CSV, EIA or ERCOT SPP report) on the data's own clock.

    Pair it with a :class:`ReplayClock` so that "now" walks through the file's time range.
    Missing intervals (gaps in the file) are skipped: ``latest`` returns the last known price,
    which then looks stale to the controller — as a real outage of the feed would.
    """

    def __init__(self, series: TimeSeries, location: str) -> None:
        if location not in series.frame.columns:
            raise InputError(series.source, f"no column {location!r}", expected="a hub in the file")
        values = series.frame[location].to_numpy(dtype=float)
        known = ~np.isnan(values)
        self._starts_ns = epoch_ns(series.frame.index)[known]
        self._prices = values[known]
        self._step_ns = series.step_s * NS_PER_S
        self._location = location
        self._source = series.source
        if self._prices.size == 0:
            raise InputError(series.source, f"column {location!r} holds no price", expected="prices")

    @classmethod
    def from_file(cls, path: str | Path, hub: str) -> ReplayPriceFeed:
        """Load ``path`` (any format :func:`load_prices` reads) and replay its ``hub`` column."""
        return cls(load_prices(path, hub), hub)

    @property
    def name(self) -> str:
        return f"replay {self._location} from {self._source}"

    @property
    def first_utc(self) -> datetime:
        """Start of the first interval with a price."""
        return from_epoch_ns(int(self._starts_ns[0]))

    @property
    def last_utc(self) -> datetime:
        """End of the last interval with a price."""
        return from_epoch_ns(int(self._starts_ns[-1]) + self._step_ns)

    def latest(self, now_utc: datetime) -> PricePoint | None:
        """The last interval whose end is at or before ``now_utc``."""
        position = ended_by(self._starts_ns, self._step_ns, now_utc) - 1
        if position < 0:
            return None
        start = from_epoch_ns(int(self._starts_ns[position]))
        return PricePoint(start, float(self._prices[position]), self._location)

    def history(self, since_utc: datetime, now_utc: datetime) -> list[PricePoint]:
        """Settled prices of intervals starting at or after ``since_utc``."""
        return [
            PricePoint(from_epoch_ns(int(self._starts_ns[k])), float(self._prices[k]), self._location)
            for k in settled_range(self._starts_ns, self._step_ns, since_utc, now_utc)
        ]


def ended_by(starts_ns: np.ndarray, step_ns: int, now_utc: datetime) -> int:
    """How many of the sorted intervals starting at ``starts_ns`` (each ``step_ns`` long) have
    ended at or before ``now_utc``."""
    return int(np.searchsorted(starts_ns + step_ns, to_epoch_ns(now_utc), side="right"))


def settled_range(starts_ns: np.ndarray, step_ns: int, since_utc: datetime, now_utc: datetime) -> range:
    """Positions of the intervals starting at or after ``since_utc`` and ended by ``now_utc``."""
    first = int(np.searchsorted(starts_ns, to_epoch_ns(since_utc), side="left"))
    return range(first, ended_by(starts_ns, step_ns, now_utc))


Fetch = Callable[[datetime], pd.DataFrame]


class GridstatusPriceFeed:
    """ERCOT real-time settlement point prices (15-min) fetched live through gridstatus.

    ``fetch(now)`` returns gridstatus' SPP table (columns ``Interval Start``, ``Interval End``,
    ``Location``, ``SPP``); the default calls ``gridstatus.Ercot().get_spp`` for today. A failed
    fetch raises :class:`EquipmentError` (the controller turns it into the price-feed safe mode).
    """

    def __init__(self, location: str, fetch: Fetch | None = None) -> None:
        self._location = location
        self._fetch = fetch or _gridstatus_fetch(location)

    @property
    def name(self) -> str:
        return f"gridstatus ERCOT {self._location}"

    def latest(self, now_utc: datetime) -> PricePoint | None:
        return latest_settled(self._table(now_utc), self._location, now_utc, self.name)

    def history(self, since_utc: datetime, now_utc: datetime) -> list[PricePoint]:
        """Today's settled prices (the source serves one operating day per fetch) since ``since_utc``."""
        points = settled_points(self._table(now_utc), self._location, now_utc, self.name)
        return [p for p in points if p.interval_start_utc >= since_utc]

    def _table(self, now_utc: datetime) -> pd.DataFrame:
        try:
            return self._fetch(now_utc)
        except EquipmentError:
            raise
        except Exception as err:  # any network or parse failure of the source is a feed outage
            raise EquipmentError(f"{self.name}: fetching prices failed: {err}") from err


def latest_settled(table: pd.DataFrame, location: str, now_utc: datetime, source: str) -> PricePoint | None:
    """From a gridstatus SPP table, the last ``location`` interval ended at or before ``now_utc``."""
    points = settled_points(table, location, now_utc, source)
    return points[-1] if points else None


def settled_points(table: pd.DataFrame, location: str, now_utc: datetime, source: str) -> list[PricePoint]:
    """From a gridstatus SPP table, every ``location`` interval ended at or before ``now_utc``, in order."""
    missing = [c for c in GRIDSTATUS_COLUMNS if c not in table.columns]
    if missing:
        raise EquipmentError(f"{source}: the price table lacks columns {missing}; got {list(table.columns)}")
    rows = table[table["Location"] == location]
    ends = pd.to_datetime(rows["Interval End"], utc=True)
    settled = rows[ends <= pd.Timestamp(now_utc)]
    starts = pd.DatetimeIndex(pd.to_datetime(settled["Interval Start"], utc=True))
    order = np.argsort(epoch_ns(starts), kind="stable")
    points: list[PricePoint] = []
    for k in order.tolist():
        price = float(settled["SPP"].iloc[k])
        if not math.isfinite(price):
            raise EquipmentError(f"{source}: price of {starts[k]} is not a number ({price})")
        points.append(PricePoint(starts[k].to_pydatetime().astimezone(UTC), price, location))
    return points


def gridstatus_ercot(what: str, table: str) -> Any:
    """gridstatus' ERCOT client; says how to install it (or what to replay instead) when missing."""
    try:
        import gridstatus  # noqa: PLC0415 - optional: only live ERCOT feeds need it
    except ImportError as err:
        raise EquipmentError(
            f"gridstatus is not installed; `pip install gridstatus` for {what}, "
            f'or use a replay feed ([{table}] source = "replay")'
        ) from err
    return gridstatus.Ercot()


def _gridstatus_fetch(location: str) -> Fetch:
    def fetch(now_utc: datetime) -> pd.DataFrame:
        ercot = gridstatus_ercot("live ERCOT prices", "control.prices")
        day = pd.Timestamp(now_utc).tz_convert("US/Central").normalize()
        return ercot.get_spp(  # type: ignore[no-any-return]
            date=day,
            market="REAL_TIME_15_MIN",
            locations=[location],
            location_type="Trading Hub",
        )

    return fetch


def to_epoch_ns(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: live control works in timezone-aware UTC")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta // timedelta(microseconds=1)) * 1000


def from_epoch_ns(ns: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // 1000)
