"""Seeded generator of the default scenario: determinism, grids, bounds, calibration vs targets."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w

from wattswitch.data.io import data_root
from wattswitch.data.synthetic import (
    HASHPRICE_COLUMN,
    INFERENCE_COLUMN,
    LOAD_COLUMN,
    PRICE_COLUMN,
    SyntheticSignals,
    da_calibration_mask,
    generate_da_prices,
    generate_hashprice,
    generate_inference_demand,
    generate_rt_prices,
    generate_signals,
    generate_system_load,
    generate_training_jobs,
    summarize_signals,
)
from wattswitch.errors import ModelError
from wattswitch.model.synthetic import SyntheticSpec
from wattswitch.model.timeseries import INDEX_NAME

TZ = "America/Chicago"
SPEC = SyntheticSpec()
YEAR_START = datetime(2025, 1, 1, 6, tzinfo=UTC)  # local midnight, Jan 1
YEAR_END = datetime(2026, 1, 1, 6, tzinfo=UTC)
WEEK_START = datetime(2025, 3, 3, tzinfo=UTC)
WEEK_END = WEEK_START + timedelta(days=7)
JOBS_PER_DAY = 600.0


@pytest.fixture(scope="module")
def year() -> SyntheticSignals:
    """The default spec's year at 5-min steps (what the embedded scenario runs on)."""
    return generate_signals(
        SPEC, YEAR_START, YEAR_END, 300, TZ, mean_jobs_per_day=JOBS_PER_DAY, max_gpus=256
    )


def local(series: pd.Series) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(series.index).tz_convert(TZ)


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_signals() -> None:
    first = generate_signals(SPEC, WEEK_START, WEEK_END, 300, TZ, mean_jobs_per_day=100, max_gpus=64)
    again = generate_signals(SPEC, WEEK_START, WEEK_END, 300, TZ, mean_jobs_per_day=100, max_gpus=64)
    for name in ("rt_price", "da_price", "system_load", "hashprice", "inference_demand"):
        pd.testing.assert_frame_equal(getattr(first, name).frame, getattr(again, name).frame)
    pd.testing.assert_frame_equal(first.training_jobs.frame, again.training_jobs.frame)


def test_a_different_seed_gives_different_signals() -> None:
    other = dataclasses.replace(SPEC, seed=SPEC.seed + 1)
    a = generate_signals(SPEC, WEEK_START, WEEK_END, 300, TZ, mean_jobs_per_day=100, max_gpus=64)
    b = generate_signals(other, WEEK_START, WEEK_END, 300, TZ, mean_jobs_per_day=100, max_gpus=64)
    for name in ("rt_price", "da_price", "system_load", "hashprice", "inference_demand"):
        assert not getattr(a, name).frame.equals(getattr(b, name).frame), name
    assert not a.training_jobs.frame.equals(b.training_jobs.frame)


def test_each_signal_has_its_own_random_stream() -> None:
    louder_prices = dataclasses.replace(SPEC, rt_log_volatility=1.0)
    a = generate_system_load(SPEC, WEEK_START, WEEK_END, 900, TZ)
    b = generate_system_load(louder_prices, WEEK_START, WEEK_END, 900, TZ)
    pd.testing.assert_frame_equal(a.frame, b.frame)


# --- grids, steps, time zones ------------------------------------------------------------------


@pytest.mark.parametrize("step_s", [300, 900, 3600])
def test_series_sit_on_the_requested_utc_grid_across_dst(step_s: int) -> None:
    start = datetime(2025, 3, 8, 6, tzinfo=UTC)  # spring-forward night in Chicago inside
    end = datetime(2025, 3, 10, 5, tzinfo=UTC)
    for series in (
        generate_rt_prices(SPEC, start, end, step_s, TZ),
        generate_system_load(SPEC, start, end, step_s, TZ),
        generate_inference_demand(SPEC, start, end, step_s, TZ),
    ):
        index = series.frame.index
        assert index.name == INDEX_NAME
        assert str(index.tz) == "UTC"
        assert series.step_s == step_s
        assert series.start_utc == pd.Timestamp(start)
        assert series.end_utc == pd.Timestamp(end)
        assert len(index) == 47 * 3600 // step_s
        assert not series.frame.isna().any().any()


def test_columns_and_units() -> None:
    signals = generate_signals(SPEC, WEEK_START, WEEK_END, 900, TZ, mean_jobs_per_day=10, max_gpus=8)
    assert (signals.rt_price.columns, signals.rt_price.unit) == ([PRICE_COLUMN], "usd_per_mwh")
    assert (signals.da_price.columns, signals.da_price.unit) == ([PRICE_COLUMN], "usd_per_mwh")
    assert (signals.system_load.columns, signals.system_load.unit) == ([LOAD_COLUMN], "mw")
    assert (signals.hashprice.columns, signals.hashprice.unit) == ([HASHPRICE_COLUMN], "usd_per_ph_day")
    assert signals.inference_demand.columns == [INFERENCE_COLUMN]
    assert signals.da_price.step_s == 3600
    assert signals.da_price.start_utc == pd.Timestamp(WEEK_START)
    assert signals.da_price.end_utc == pd.Timestamp(WEEK_END)
    assert signals.training_jobs.origin_utc == pd.Timestamp(WEEK_START)


def test_hashprice_is_daily_on_the_utc_days_of_the_horizon() -> None:
    start = datetime(2025, 1, 1, 6, tzinfo=UTC)
    series = generate_hashprice(SPEC, start, start + timedelta(days=3))
    assert series.step_s == 86_400
    assert series.start_utc == pd.Timestamp("2025-01-01T00:00Z")
    assert series.end_utc == pd.Timestamp("2025-01-05T00:00Z")
    assert series.frame[HASHPRICE_COLUMN].iloc[0] == pytest.approx(SPEC.hashprice_start_usd_per_ph_day)


def test_any_aware_start_is_accepted_and_read_as_utc() -> None:
    chicago_midnight = datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=-6)))
    a = generate_rt_prices(SPEC, chicago_midnight, chicago_midnight + timedelta(days=1), 900, TZ)
    b = generate_rt_prices(SPEC, YEAR_START, YEAR_START + timedelta(days=1), 900, TZ)
    pd.testing.assert_frame_equal(a.frame, b.frame)


def test_diurnal_shapes_follow_the_site_time_zone() -> None:
    start, end = datetime(2025, 1, 6, 6, tzinfo=UTC), datetime(2025, 2, 3, 6, tzinfo=UTC)  # CST = UTC-6
    def utc_hour(series: pd.Series) -> pd.Index:
        return pd.DatetimeIndex(series.index).hour

    in_chicago = generate_inference_demand(SPEC, start, end, 900, TZ).frame[INFERENCE_COLUMN]
    in_utc = generate_inference_demand(SPEC, start, end, 900, "UTC").frame[INFERENCE_COLUMN]
    local_peak = int(np.argmax([SPEC.inference_hourly_profile[(h - SPEC.inference_profile_shift_h) % 24]
                                for h in range(24)]))
    assert in_chicago.groupby(utc_hour(in_chicago)).mean().idxmax() == (local_peak + 6) % 24
    assert in_utc.groupby(utc_hour(in_utc)).mean().idxmax() == local_peak


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "step_s", "message"),
    [
        (datetime(2025, 1, 1), datetime(2025, 1, 2, tzinfo=UTC), 300, "timezone-aware"),  # noqa: DTZ001
        (datetime(2025, 1, 2, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), 300, "after"),
        (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), 300, "after"),
        (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, 1, tzinfo=UTC), 7, "does not divide"),
        (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC), 0, "step_s"),
        (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC), 300.0, "step_s"),
    ],
)
def test_bad_horizons_raise_model_error(start: datetime, end: datetime, step_s: int, message: str) -> None:
    for generate in (generate_rt_prices, generate_system_load, generate_inference_demand):
        with pytest.raises(ModelError, match=message):
            generate(SPEC, start, end, step_s, TZ)


def test_bad_arguments_raise_model_error() -> None:
    with pytest.raises(ModelError, match="time zone"):
        generate_rt_prices(SPEC, WEEK_START, WEEK_END, 300, "Mars/Olympus_Mons")
    with pytest.raises(ModelError, match="timezone-aware"):
        generate_hashprice(SPEC, datetime(2025, 1, 1), WEEK_END)  # noqa: DTZ001
    with pytest.raises(ModelError, match="max_gpus"):
        generate_training_jobs(SPEC, WEEK_START, WEEK_END, 10.0, 0)
    with pytest.raises(ModelError, match="mean_jobs_per_day"):
        generate_training_jobs(SPEC, WEEK_START, WEEK_END, -1.0, 8)
    coarse = generate_rt_prices(SPEC, WEEK_START, WEEK_END, 5400, TZ)
    with pytest.raises(ModelError, match="divide 3600"):
        generate_da_prices(SPEC, coarse)


# --- bounds -------------------------------------------------------------------------------------


def test_values_stay_within_market_and_physical_bounds(year: SyntheticSignals) -> None:
    rt = year.rt_price.frame[PRICE_COLUMN]
    da = year.da_price.frame[PRICE_COLUMN]
    assert rt.min() >= SPEC.price_floor_usd_per_mwh
    assert rt.max() <= SPEC.price_spp_max_usd_per_mwh
    assert rt.max() >= SPEC.price_offer_cap_usd_per_mwh * 0.9  # scarcity reaches the cap
    assert da.min() >= SPEC.price_floor_usd_per_mwh
    assert da.max() <= SPEC.price_offer_cap_usd_per_mwh
    inference = year.inference_demand.frame[INFERENCE_COLUMN]
    assert inference.between(0.0, 1.0).all()
    assert (year.system_load.frame[LOAD_COLUMN] > 0).all()
    assert (year.hashprice.frame[HASHPRICE_COLUMN] > 0).all()
    assert not any(s.frame.isna().any().any() for s in (year.rt_price, year.da_price, year.system_load))


def test_training_jobs_are_well_formed(year: SyntheticSignals) -> None:
    jobs = year.training_jobs.frame
    span_s = (YEAR_END - YEAR_START).total_seconds()
    assert list(jobs["job_id"].iloc[:2]) == ["J000001", "J000002"]
    assert jobs["job_id"].is_unique
    assert jobs["submit_s"].is_monotonic_increasing
    assert jobs["submit_s"].between(0, span_s, inclusive="left").all()
    assert jobs["duration_s"].between(1, SPEC.training_duration_max_s).all()
    counts = set(jobs["gpus"].unique())
    assert counts <= {1, 2, 4, 8, 16, 32, 64, 128, 256}
    assert len(jobs) / 365 == pytest.approx(JOBS_PER_DAY, rel=0.03)


@pytest.mark.parametrize(("max_gpus", "largest"), [(1, 1), (8, 8), (12, 8), (64, 64)])
def test_gpu_counts_fold_into_max_gpus(max_gpus: int, largest: int) -> None:
    jobs = generate_training_jobs(SPEC, WEEK_START, WEEK_END, 500.0, max_gpus, timezone=TZ).frame
    assert jobs["gpus"].max() == largest
    if largest > 1:
        assert (jobs["gpus"] == 1).mean() == pytest.approx(SPEC.training_gpu_count_shares[0], abs=0.03)


def test_no_jobs_when_the_rate_is_zero() -> None:
    trace = generate_training_jobs(SPEC, WEEK_START, WEEK_END, 0.0, 8)
    assert trace.frame.empty
    assert trace.gpu_hours == 0.0


# --- calibration: the default year against the spec's documented targets ----------------------


def test_rt_price_matches_its_targets(year: SyntheticSignals) -> None:
    rt = year.rt_price.frame[PRICE_COLUMN]
    step_h = year.rt_price.step_s / 3600
    assert rt.mean() == pytest.approx(SPEC.rt_mean_usd_per_mwh, rel=0.10)
    assert rt.median() == pytest.approx(SPEC.rt_median_usd_per_mwh, rel=0.15)
    assert (rt < 0).mean() == pytest.approx(SPEC.rt_negative_share, rel=0.25)
    assert rt.quantile(0.95) == pytest.approx(SPEC.rt_p95_usd_per_mwh, rel=0.25)
    assert 0.5 < rt.quantile(0.99) / SPEC.rt_p99_usd_per_mwh < 2.0
    scarce_hours = (rt >= 1000).sum() * step_h
    assert 0.5 < scarce_hours / SPEC.rt_hours_at_or_above_1000_usd_per_mwh < 2.0


def test_rt_price_shapes_follow_the_data(year: SyntheticSignals) -> None:
    rt = year.rt_price.frame[PRICE_COLUMN]
    when = local(rt)
    peak_hour = rt.groupby(when.hour).median().idxmax()
    assert abs(peak_hour - SPEC.rt_peak_hour_local) <= 1
    scarce = (rt >= 1000).to_numpy()
    assert np.isin(when.month[scarce], (6, 7, 8, 9)).mean() >= 0.7  # scarcity: summer
    assert np.isin(when.hour[scarce], range(13, 23)).mean() >= 0.9  # … evenings
    negative_by_month = (rt < 0).groupby(when.month).mean()
    assert negative_by_month[[2, 3, 4]].mean() > 5 * negative_by_month[[6, 7, 8]].mean()  # wind, spring
    monthly_median = rt.groupby(when.month).median().to_numpy()
    relative_error = np.abs(monthly_median / np.asarray(SPEC.rt_monthly_median_usd_per_mwh) - 1)
    assert relative_error.mean() < 0.3  # multi-day price noise moves single months


def test_da_price_matches_its_targets(year: SyntheticSignals) -> None:
    da = year.da_price.frame[PRICE_COLUMN]
    rt_hourly = year.rt_price.frame[PRICE_COLUMN].resample("1h").mean()
    same_days = da_calibration_mask(pd.DatetimeIndex(da.index), TZ)
    assert rt_hourly[same_days].corr(da[same_days]) == pytest.approx(SPEC.da_rt_correlation, abs=0.1)
    ratio = da[same_days].mean() / rt_hourly[same_days].mean()
    assert ratio == pytest.approx(SPEC.da_rt_mean_ratio, rel=0.15)
    assert da.max() < year.rt_price.frame[PRICE_COLUMN].max()  # DA has fewer spikes


def test_system_load_matches_its_targets(year: SyntheticSignals) -> None:
    load = year.system_load.frame[LOAD_COLUMN]
    assert load.mean() == pytest.approx(SPEC.load_mean_mw, rel=0.03)
    assert load.max() == pytest.approx(SPEC.load_max_mw, rel=0.10)
    peak = pd.Timestamp(load.idxmax()).tz_convert(TZ)
    assert abs(peak.hour - SPEC.load_peak_hour_local) <= 1
    assert SPEC.load_peak_month_first <= peak.month <= SPEC.load_peak_month_last


def test_hashprice_matches_its_targets(year: SyntheticSignals) -> None:
    hashprice = year.hashprice.frame[HASHPRICE_COLUMN]
    assert hashprice.iloc[0] == pytest.approx(SPEC.hashprice_start_usd_per_ph_day)
    daily_vol = np.log(hashprice).diff().std()
    assert daily_vol == pytest.approx(SPEC.hashprice_daily_log_volatility, rel=0.15)
    assert 0.5 < hashprice.mean() / SPEC.hashprice_start_usd_per_ph_day < 1.5


def test_without_noise_hashprice_follows_btc_drift_minus_difficulty_growth() -> None:
    calm = dataclasses.replace(
        SPEC, hashprice_daily_log_volatility=0.0, hashprice_trend_log_volatility_per_year=0.0
    )
    series = generate_hashprice(calm, YEAR_START, YEAR_END).frame[HASHPRICE_COLUMN]
    drift_per_year = SPEC.btc_price_log_drift_per_year - SPEC.difficulty_log_growth_per_year
    days = np.arange(len(series))
    expected = SPEC.hashprice_start_usd_per_ph_day * np.exp(drift_per_year * days / 365.25)
    np.testing.assert_allclose(series.to_numpy(), expected, rtol=1e-9)


def test_inference_demand_follows_the_profile(year: SyntheticSignals) -> None:
    demand = year.inference_demand.frame[INFERENCE_COLUMN]
    profile = [SPEC.inference_hourly_profile[(h - SPEC.inference_profile_shift_h) % 24] for h in range(24)]
    by_hour = demand.groupby(local(demand).hour).mean()
    assert abs(by_hour.idxmax() - int(np.argmax(profile))) <= 1
    assert np.corrcoef(by_hour.to_numpy(), profile)[0, 1] > 0.95
    weekday = local(demand).day_of_week
    ratio = demand[weekday >= 5].mean() / demand[weekday < 5].mean()
    assert ratio == pytest.approx(SPEC.inference_weekend_factor, rel=0.1)


def test_training_jobs_match_helios_distributions(year: SyntheticSignals) -> None:
    jobs = year.training_jobs.frame
    assert (jobs["gpus"] == 1).mean() == pytest.approx(SPEC.training_gpu_count_shares[0], abs=0.02)
    assert jobs["duration_s"].median() == pytest.approx(SPEC.training_duration_median_s, rel=0.15)
    assert jobs["duration_s"].mean() == pytest.approx(SPEC.training_duration_mean_s, rel=0.15)
    submit_hour = ((jobs["submit_s"] // 3600) % 24).astype(int)  # origin: local midnight (CST)
    arrivals = submit_hour.value_counts()
    assert arrivals.idxmax() in range(8, 18)  # a lab's working day
    assert arrivals.idxmin() in range(6)


def test_summary_lists_target_and_generated_side_by_side(year: SyntheticSignals) -> None:
    rows = summarize_signals(SPEC, year)
    names = [name for name, _target, _generated in rows]
    assert "rt mean $/MWh" in names
    assert all(isinstance(cell, str) for row in rows for cell in row)


# --- the spec ---------------------------------------------------------------------------------


def test_spec_round_trips_through_toml() -> None:
    text = tomli_w.dumps(dataclasses.asdict(SPEC))
    assert SyntheticSpec(**tomllib.loads(text)) == SPEC


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"inference_hourly_profile": (1.0,) * 23}, "inference_hourly_profile"),
        ({"rt_hourly_median_shape": (1.0,) * 23 + (-1.0,)}, r"rt_hourly_median_shape\[23\]"),
        ({"load_monthly_profile": (1.0,) * 11 + (float("nan"),)}, r"load_monthly_profile\[11\]"),
        ({"rt_scarcity_monthly_share": (0.5,) * 12}, "rt_scarcity_monthly_share"),
        ({"training_gpu_count_shares": (0.5, 0.5) + (0.0,) * 6}, "training_gpu_count_shares"),
        ({"training_duration_quantile_probs": (0.0, 0.5, 0.4, 1.0)}, "training_duration_quantile_probs"),
        ({"rt_negative_share": 1.5}, "rt_negative_share"),
        ({"price_spp_max_usd_per_mwh": 4000.0}, "price_spp_max_usd_per_mwh"),
        ({"load_mean_mw": 0.0}, "load_mean_mw"),
        ({"seed": True}, "seed"),
        ({"hashprice_start_usd_per_ph_day": "57"}, "hashprice_start_usd_per_ph_day"),
        ({"hashprice_trend_log_volatility_per_year": 2.0}, "hashprice_trend_log_volatility_per_year"),
    ],
)
def test_bad_spec_values_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ModelError, match=f"SyntheticSpec.{field}"):
        dataclasses.replace(SPEC, **changes)  # type: ignore[arg-type]


def test_lists_become_tuples() -> None:
    spec = dataclasses.replace(SPEC, inference_hourly_profile=list(SPEC.inference_hourly_profile))  # type: ignore[arg-type]
    assert spec.inference_hourly_profile == SPEC.inference_hourly_profile
    assert spec == SPEC


# --- the documented figures against the real data ----------------------------------------------


def _read(root: Path, relative: str, column: str) -> pd.Series:
    frame = pd.read_csv(root / relative, usecols=["interval_start_utc", column])
    index = pd.DatetimeIndex(pd.to_datetime(frame["interval_start_utc"], utc=True))
    return pd.Series(frame[column].to_numpy(dtype=float), index=index)


def _in_local_years(series: pd.Series, *years: int) -> pd.Series:
    return series[np.isin(local(series).year, years)].dropna()


@pytest.mark.realdata
def test_spec_defaults_equal_the_figures_recomputed_from_the_real_data() -> None:
    root = data_root()
    if root is None or not root.is_dir():
        pytest.skip("WATTSWITCH_DATA is not set to the shared data folder")

    # ERCOT HB_WEST real-time SPP, local year 2023
    rt_all = _read(root, "ercot_rt_hub_spp_15min/ercot_rt_hub_spp_15min_2020_2023.csv.gz", "HB_WEST")
    rt = _in_local_years(rt_all, 2023)
    assert rt.mean() == pytest.approx(SPEC.rt_mean_usd_per_mwh, abs=0.05)
    assert rt.median() == pytest.approx(SPEC.rt_median_usd_per_mwh, abs=0.05)
    assert (rt < 0).mean() == pytest.approx(SPEC.rt_negative_share, abs=0.0005)
    assert rt.quantile(0.95) == pytest.approx(SPEC.rt_p95_usd_per_mwh, abs=0.05)
    assert rt.quantile(0.99) == pytest.approx(SPEC.rt_p99_usd_per_mwh, abs=0.5)
    assert (rt >= 1000).sum() * 0.25 == SPEC.rt_hours_at_or_above_1000_usd_per_mwh
    when = local(rt)
    assert rt.groupby(when.hour).median().idxmax() == SPEC.rt_peak_hour_local
    np.testing.assert_allclose(rt.groupby(when.month).median(), SPEC.rt_monthly_median_usd_per_mwh, atol=0.05)
    np.testing.assert_allclose(
        (rt < 0).groupby(when.month).mean(), SPEC.rt_monthly_negative_share, atol=0.0005
    )
    assert pd.Series(when[(rt >= 1000).to_numpy()].date).nunique() == SPEC.rt_scarcity_days_per_year

    # day-ahead vs hourly-mean real-time, 2023 hours with both
    da = _read(root, "ercot_da_hub_spp_hourly/ercot_da_hub_spp_hourly_2020_2023.csv.gz", "HB_WEST")
    both = pd.concat({"rt": rt_all.resample("1h").mean(), "da": da}, axis=1)
    both = both[local(both["rt"]).year == 2023].dropna()
    assert both["rt"].corr(both["da"]) == pytest.approx(SPEC.da_rt_correlation, abs=0.0005)
    assert both["da"].mean() / both["rt"].mean() == pytest.approx(SPEC.da_rt_mean_ratio, abs=0.005)

    # ERCOT total load 2022-2023 without the doubled day before each DST fall-back (EIA artefact)
    load = _read(root, "ercot_load_hourly_by_weather_zone/ercot_load_hourly_by_weather_zone_2020_2023.csv.gz",
                 "ERCOT_TOTAL")
    load = _in_local_years(load, 2022, 2023)
    doubled = pd.Series(local(load).date).isin([pd.Timestamp("2022-11-05").date(),
                                                pd.Timestamp("2023-11-04").date()]).to_numpy()
    load = load[~doubled]
    assert load.mean() == pytest.approx(SPEC.load_mean_mw, abs=0.5)
    assert load.max() == pytest.approx(SPEC.load_max_mw, abs=0.5)
    for year in (2022, 2023):
        one_year = load[local(load).year == year]
        peak = pd.Timestamp(one_year.idxmax()).tz_convert(TZ)
        assert peak.hour == SPEC.load_peak_hour_local
        assert SPEC.load_peak_month_first <= peak.month <= SPEC.load_peak_month_last

    # Coin Metrics: 2023 daily hashprice volatility, 2020-2023 difficulty growth
    btc = pd.read_csv(root / "bitcoin_network_daily/bitcoin_network_daily_2009_2023.csv.gz",
                      parse_dates=["date"]).set_index("date")
    hashprice = btc.loc["2023", "hashprice_usd_per_ph_day"].astype(float)
    assert np.log(hashprice).diff().std() == pytest.approx(SPEC.hashprice_daily_log_volatility, abs=5e-5)
    growth = [math.log(btc.loc[str(y), "DiffMean"].iloc[-1] / btc.loc[str(y), "DiffMean"].iloc[0])
              for y in (2020, 2021, 2022, 2023)]
    assert np.mean(growth) == pytest.approx(SPEC.difficulty_log_growth_per_year, abs=0.005)

    # Alibaba GenTD26 SD requests per hour of the (anonymised) day
    sd = pd.read_csv(root / "genai_sd_requests_alibaba_2024/lora_request_trace_dev.csv.gz",
                     usecols=["gmt_create"])
    counts = pd.to_datetime(sd["gmt_create"]).dt.hour.value_counts().reindex(range(24), fill_value=0)
    np.testing.assert_allclose(counts / counts.max(), SPEC.inference_hourly_profile, atol=0.0005)

    # SenseTime Helios Venus GPU jobs
    jobs = pd.read_csv(root / "gpu_jobs_helios_venus/helios_venus_gpu_jobs.csv.gz")
    bucket = np.minimum(2 ** np.ceil(np.log2(jobs["gpu_count"].to_numpy(dtype=float))), 256)
    shares = pd.Series(bucket).value_counts(normalize=True).reindex(2.0 ** np.arange(9), fill_value=0)
    np.testing.assert_allclose(shares, SPEC.training_gpu_count_shares, atol=0.00005)
    assert jobs["service_sec"].median() == pytest.approx(SPEC.training_duration_median_s, abs=0.5)
    assert jobs["service_sec"].mean() == pytest.approx(SPEC.training_duration_mean_s, abs=0.5)
    assert jobs["service_sec"].max() == SPEC.training_duration_max_s
    quantiles = jobs["service_sec"].quantile(list(SPEC.training_duration_quantile_probs))
    np.testing.assert_allclose(quantiles, SPEC.training_duration_quantiles_s, atol=0.5)
