"""Resampling and alignment keep values, totals and gaps honest (property tests)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from wattswitch.data.align import align, downsample, resample, upsample
from wattswitch.errors import ModelError
from wattswitch.model.timeseries import INDEX_NAME, TimeSeries, epoch_ns

ORIGIN = pd.Timestamp("2023-01-01T06:00:00Z")
finite = st.floats(min_value=-250, max_value=5000, allow_nan=False, allow_infinity=False)
maybe_missing = st.one_of(finite, st.just(float("nan")))


def make_series(values: np.ndarray, step_s: int, start: pd.Timestamp = ORIGIN) -> TimeSeries:
    index = pd.date_range(start, periods=len(values), freq=pd.Timedelta(seconds=step_s),
                          name=INDEX_NAME)
    return TimeSeries(pd.DataFrame({"v": values}, index=index), step_s, "usd_per_mwh", "test")


@given(arrays(float, st.integers(1, 50), elements=maybe_missing), st.sampled_from([300, 900, 3600]))
def test_resampling_to_the_same_step_is_identity(values: np.ndarray, step_s: int) -> None:
    series = make_series(values, step_s)
    assert resample(series, step_s) is series


@given(
    arrays(float, st.integers(1, 40), elements=maybe_missing),
    st.sampled_from([(3600, 900), (900, 300), (86400, 3600)]),
)
def test_upsample_then_downsample_returns_the_original(values: np.ndarray, steps: tuple[int, int]) -> None:
    coarse, fine = steps
    start = pd.Timestamp("2023-01-01T00:00:00Z")
    series = make_series(values, coarse, start)
    back = downsample(upsample(series, fine), coarse)
    np.testing.assert_allclose(back.frame["v"].to_numpy(), values, rtol=1e-12, equal_nan=True)


@given(arrays(float, st.integers(1, 30).map(lambda n: 4 * n), elements=finite))
def test_downsampling_preserves_energy_when_complete(values: np.ndarray) -> None:
    series = make_series(values, 900)  # 06:00Z is on the hourly grid
    hourly = downsample(series, 3600)
    assert hourly.step_s == 3600
    assert hourly.frame["v"].sum() * 3600 == pytest.approx(values.sum() * 900, rel=1e-9, abs=1e-6)


@given(arrays(float, st.integers(1, 30).map(lambda n: 3 * n), elements=maybe_missing))
def test_a_coarse_interval_is_missing_only_when_all_its_parts_are(values: np.ndarray) -> None:
    series = make_series(values, 300, pd.Timestamp("2023-01-01T00:00:00Z"))
    coarse = downsample(series, 900).frame["v"].to_numpy()
    all_missing = np.isnan(values.reshape(-1, 3)).all(axis=1)
    np.testing.assert_array_equal(np.isnan(coarse), all_missing)


@settings(max_examples=50)
@given(
    arrays(float, st.integers(2, 10), elements=maybe_missing),
    arrays(float, st.integers(8, 60), elements=finite),
    st.integers(0, 20),
)
def test_align_puts_every_value_in_the_interval_that_contains_it(
    daily: np.ndarray, quarter_hours: np.ndarray, offset_steps: int
) -> None:
    day_series = make_series(daily, 86400, pd.Timestamp("2023-01-01T00:00:00Z"))
    rt_series = make_series(quarter_hours, 900, pd.Timestamp("2023-01-01T06:00:00Z"))
    start = datetime(2023, 1, 1, 6, tzinfo=UTC) + pd.Timedelta(minutes=15 * offset_steps)
    end = start + pd.Timedelta(hours=30)
    aligned = align({"hashprice": day_series, "rt": rt_series}, start, end, 900)
    grid = aligned.frame.index
    assert len(grid) == 120
    assert grid[0] == pd.Timestamp(start)
    assert (np.diff(epoch_ns(grid)) == 900 * 10**9).all()
    for t, row in aligned.frame.iterrows():
        stamp = pd.Timestamp(t)
        day = (stamp - pd.Timestamp("2023-01-01T00:00:00Z")).days
        expected_day = daily[day] if day < len(daily) else np.nan
        assert row["hashprice"] == pytest.approx(expected_day, nan_ok=True)
        k = int((stamp - pd.Timestamp("2023-01-01T06:00:00Z")).total_seconds() // 900)
        expected_rt = quarter_hours[k] if k < len(quarter_hours) else np.nan
        assert row["rt"] == pytest.approx(expected_rt, nan_ok=True)
    assert aligned.missing_intervals["rt"] == int(aligned.frame["rt"].isna().sum())


def test_resample_between_non_multiple_steps_goes_through_the_gcd() -> None:
    series = make_series(np.array([10.0, 20.0, 30.0, 40.0]), 600, pd.Timestamp("2023-01-01T00:00:00Z"))
    out = resample(series, 900)  # via 300 s: 10,10,20 | 20,30,30 | 40,40 (last one partial)
    np.testing.assert_allclose(out.frame["v"].to_numpy(), [40 / 3, 80 / 3, 40.0])


def test_align_rejects_naive_and_off_grid_windows() -> None:
    series = make_series(np.ones(4), 900)
    with pytest.raises(ModelError, match="need a time zone"):
        align({"x": series}, datetime(2023, 1, 1), datetime(2023, 1, 2), 900)  # noqa: DTZ001
    with pytest.raises(ModelError, match="not on the 900-s UTC grid"):
        align({"x": series}, datetime(2023, 1, 1, 0, 7, tzinfo=UTC), datetime(2023, 1, 2, tzinfo=UTC), 900)
