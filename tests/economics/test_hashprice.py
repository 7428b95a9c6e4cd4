"""Hashprice arithmetic: floats, arrays, Series; undefined where hash rate is not positive."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from wattswitch.economics.hashprice import (
    hashprice_usd_per_ph_day,
    miner_revenue_usd_per_day,
    smooth_hashprice,
)


def test_hashprice_of_floats() -> None:
    # 50 M$/day over 500 EH/s = 5e8 TH/s -> 0.1 $/TH/day -> 100 $/PH/day
    value = hashprice_usd_per_ph_day(50_000_000.0, 500_000_000.0)
    assert isinstance(value, float)
    assert value == pytest.approx(100.0)


def test_hashprice_of_arrays_and_zero_hashrate_is_nan() -> None:
    revenue = np.array([1e6, 2e6, 3e6, np.nan])
    hashrate = np.array([1e7, 0.0, np.nan, 1e7])
    result = hashprice_usd_per_ph_day(revenue, hashrate)
    assert result[0] == pytest.approx(100.0)
    assert np.isnan(result[1:]).all()


def test_hashprice_of_series_keeps_index() -> None:
    index = pd.date_range("2023-01-01", periods=3, freq="D", tz="UTC")
    revenue = pd.Series([1e6, 2e6, 3e6], index=index)
    hashrate = pd.Series([1e7, 2e7, -1.0], index=index)
    result = hashprice_usd_per_ph_day(revenue, hashrate)
    assert isinstance(result, pd.Series)
    assert result.index.equals(index)
    assert result.iloc[:2].tolist() == pytest.approx([100.0, 100.0])
    assert math.isnan(result.iloc[2])


def test_miner_revenue_is_fees_plus_issuance() -> None:
    assert miner_revenue_usd_per_day(1.5e6, 18.5e6) == pytest.approx(20e6)
    both = miner_revenue_usd_per_day(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert both.tolist() == [4.0, 6.0]


def test_smooth_hashprice_is_a_trailing_mean_that_keeps_gaps() -> None:
    index = pd.date_range("2023-01-01", periods=6, freq="D", tz="UTC")
    series = pd.Series([10.0, 20.0, 30.0, np.nan, 50.0, 60.0], index=index)
    smoothed = smooth_hashprice(series, days=3)
    assert smoothed.iloc[0] == pytest.approx(10.0)  # shorter window at the start
    assert smoothed.iloc[2] == pytest.approx(20.0)  # (10+20+30)/3
    assert math.isnan(smoothed.iloc[3])  # a missing day stays missing
    assert smoothed.iloc[4] == pytest.approx(40.0)  # (30+50)/2, NaN skipped
    assert smoothed.iloc[5] == pytest.approx(55.0)
    assert smooth_hashprice(series, days=1).equals(series)


def test_smooth_hashprice_rejects_zero_days() -> None:
    with pytest.raises(ValueError, match="days"):
        smooth_hashprice(pd.Series([1.0]), days=0)
