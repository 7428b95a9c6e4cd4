"""Bitcoin hashprice: network-average miner revenue per unit of hash rate per day.

    miner_revenue_usd_per_day = fees_usd + issuance_usd
    hashprice_usd_per_th_day  = miner_revenue_usd_per_day / hashrate_th_s
    hashprice_usd_per_ph_day  = 1000 × hashprice_usd_per_th_day      (1 PH/s = 1000 TH/s)

Gross figures: pool fees, stale shares and uptime are not taken off.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

TH_PER_PH = 1000.0

Values = TypeVar("Values", float, npt.NDArray[np.float64], "pd.Series[float]")


def miner_revenue_usd_per_day(fees_usd: Values, issuance_usd: Values) -> Values:
    """Total paid to miners in a day: ``fees_usd + issuance_usd`` (both USD per day)."""
    return fees_usd + issuance_usd


def hashprice_usd_per_ph_day(miner_revenue_usd_per_day: Values, hashrate_th_s: Values) -> Values:
    """Hashprice in USD per PH/s per day: ``1000 · miner_revenue_usd_per_day / hashrate_th_s``.

    Works element-wise on floats, numpy arrays and pandas Series. A hash rate that is not
    positive (or missing) gives NaN: hashprice is undefined there.

    >>> hashprice_usd_per_ph_day(50_000_000.0, 500_000_000.0)
    100.0
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(hashrate_th_s, pd.Series):
            positive = hashrate_th_s.where(hashrate_th_s > 0)
            return TH_PER_PH * miner_revenue_usd_per_day / positive
        rate = np.asarray(hashrate_th_s, dtype=float)
        revenue = np.asarray(miner_revenue_usd_per_day, dtype=float)
        result = np.where(rate > 0, TH_PER_PH * revenue / np.where(rate > 0, rate, 1.0), np.nan)
    if np.ndim(result) == 0:
        return float(result)  # type: ignore[return-value]
    return result  # type: ignore[return-value]


def smooth_hashprice(series: pd.Series[float], days: int = 7) -> pd.Series[float]:
    """Trailing ``days``-day mean of a daily series (one row per day, e.g. a hashprice).

    ``smoothed[d] = mean(series[d - days + 1 .. d])`` over the values present in that window;
    the first ``days - 1`` rows use the shorter window available. A missing day stays missing
    (gaps are never filled). ``days = 1`` returns the series unchanged.
    """
    if days < 1:
        raise ValueError(f"days must be ≥ 1, got {days}")
    smoothed = series.astype(float).rolling(window=days, min_periods=1).mean()
    return smoothed.where(series.notna())
