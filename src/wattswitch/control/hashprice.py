"""Hashprice feeds for live control: a replay of a bitcoin network file, and mempool.space live.

Both implement :class:`wattswitch.model.equipment.HashpriceFeed`. The policies' mining
breakevens scale with hashprice, so live control follows it instead of a fixed setting.
"""

from __future__ import annotations

import bisect
import json
import math
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from wattswitch.data.bitcoin import HASHPRICE, load_bitcoin
from wattswitch.data.signals import HASHPRICE_SMOOTHING_DAYS
from wattswitch.economics.hashprice import hashprice_usd_per_ph_day
from wattswitch.errors import EquipmentError, InputError
from wattswitch.model.equipment import HashpricePoint
from wattswitch.model.timeseries import TimeSeries

SATS_PER_BTC = 1e8
H_PER_TH = 1e12
BLOCKS_PER_DAY = 144  # the protocol's target: one block every 10 minutes
MEMPOOL_API = "https://mempool.space/api"


class ReplayHashpriceFeed:
    """Daily hashprice from a bitcoin network file (Coin Metrics or bitinfocharts), on the data's clock.

    As in the backtests: a 7-day trailing mean, and a UTC day's value is known once the day has
    ended (the simulator shows the previous day's).
    """

    def __init__(self, series: TimeSeries) -> None:
        if HASHPRICE not in series.frame.columns:
            raise InputError(series.source, f"no column {HASHPRICE!r}", expected="a bitcoin network file")
        values = series.frame[HASHPRICE].to_numpy(dtype=float)
        known = ~np.isnan(values)
        if not known.any():
            raise InputError(series.source, "no hashprice on any day", expected="daily network data")
        index = series.frame.index[known]
        self._day_ends = [t.to_pydatetime() + timedelta(seconds=series.step_s) for t in index]
        self._values = values[known]
        self._source = series.source

    @classmethod
    def from_file(cls, path: str | Path) -> ReplayHashpriceFeed:
        """Load ``path`` (any format :func:`load_bitcoin` reads), smoothed like the backtests."""
        return cls(load_bitcoin(path, smoothing_days=HASHPRICE_SMOOTHING_DAYS))

    @property
    def name(self) -> str:
        return f"replay hashprice from {self._source}"

    def latest(self, now_utc: datetime) -> HashpricePoint | None:
        """The value of the last day ended at or before ``now_utc``."""
        position = bisect.bisect_right(self._day_ends, now_utc) - 1
        if position < 0:
            return None
        return HashpricePoint(self._day_ends[position], float(self._values[position]))


FetchJson = Callable[[str], Any]


class MempoolHashpriceFeed:
    """Hashprice from mempool.space's public API, refreshed at most every ``refresh_s``.

    Revenue per day is the rewards (subsidy and fees) of the last ``blocks`` blocks
    (``/v1/mining/reward-stats/{blocks}``) per block × 144 blocks × the BTC price in USD
    (``/v1/prices``); the network hash rate is ``currentHashrate`` of ``/v1/mining/hashrate/1w``.
    The default 1,008 blocks is a week, as the backtests' 7-day mean. ``fetch_json(path)``
    returns the parsed JSON of ``base_url + path``; any failure raises :class:`EquipmentError`.
    """

    def __init__(
        self,
        fetch_json: FetchJson | None = None,
        *,
        base_url: str = MEMPOOL_API,
        blocks: int = 7 * BLOCKS_PER_DAY,
        refresh_s: float = 3600.0,
    ) -> None:
        self._fetch = fetch_json or _http_json(base_url)
        self._base_url = base_url
        self.blocks = blocks
        self.refresh = timedelta(seconds=refresh_s)
        self._last: HashpricePoint | None = None

    @property
    def name(self) -> str:
        return f"mempool.space hashprice ({self._base_url})"

    def latest(self, now_utc: datetime) -> HashpricePoint | None:
        """The value computed at most ``refresh_s`` ago, else a fresh one."""
        if self._last is not None and now_utc - self._last.as_of_utc < self.refresh:
            return self._last
        try:
            rewards = self._fetch(f"/v1/mining/reward-stats/{self.blocks}")
            hashrate = self._fetch("/v1/mining/hashrate/1w")
            prices = self._fetch("/v1/prices")
        except EquipmentError:
            raise
        except Exception as err:  # any network or parse failure of the source is a feed outage
            raise EquipmentError(f"{self.name}: fetching failed: {err}") from err
        reward_btc = _positive(rewards, "totalReward", self.name) / SATS_PER_BTC
        revenue_usd_per_day = reward_btc / self.blocks * BLOCKS_PER_DAY * _positive(prices, "USD", self.name)
        hashrate_th_s = _positive(hashrate, "currentHashrate", self.name) / H_PER_TH
        value = float(hashprice_usd_per_ph_day(revenue_usd_per_day, hashrate_th_s))
        self._last = HashpricePoint(now_utc, value)
        return self._last


def _positive(payload: Any, field: str, source: str) -> float:
    """``payload[field]`` as a positive number (mempool.space sends some as strings)."""
    try:
        value = float(payload[field])
    except (KeyError, TypeError, ValueError) as err:
        raise EquipmentError(f"{source}: no number in field {field!r} of {str(payload)[:120]}") from err
    if not (value > 0 and math.isfinite(value)):
        raise EquipmentError(f"{source}: field {field!r} is {value}, expected a positive number")
    return value


def _http_json(base_url: str, timeout_s: float = 10.0) -> FetchJson:
    def fetch(path: str) -> Any:
        request = urllib.request.Request(base_url + path, headers={"User-Agent": "wattswitch"})
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return json.loads(response.read())

    return fetch
