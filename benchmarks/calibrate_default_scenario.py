"""Recompute the default scenario's calibration figures from the real public data.

Usage: ``WATTSWITCH_DATA=/path/to/shared/data python benchmarks/calibrate_default_scenario.py``

Prints every figure that ``wattswitch.model.synthetic.SyntheticSpec`` carries as a default,
next to the default, so a drift between the data and the documented defaults shows at once.
Then it generates the default year (seed 2025) and prints target vs generated.
See docs/default-scenario.md for what each figure means and where it comes from.
"""

from __future__ import annotations

import math
import sys
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from wattswitch.data.io import DATA_ENV_VAR, data_root
from wattswitch.data.synthetic import generate_signals, summarize_signals
from wattswitch.model.synthetic import SyntheticSpec

TZ = "America/Chicago"
RT_FILE = "ercot_rt_hub_spp_15min/ercot_rt_hub_spp_15min_2020_2023.csv.gz"
DA_FILE = "ercot_da_hub_spp_hourly/ercot_da_hub_spp_hourly_2020_2023.csv.gz"
LOAD_FILE = "ercot_load_hourly_by_weather_zone/ercot_load_hourly_by_weather_zone_2020_2023.csv.gz"
BTC_FILE = "bitcoin_network_daily/bitcoin_network_daily_2009_2023.csv.gz"
SD_FILE = "genai_sd_requests_alibaba_2024/lora_request_trace_dev.csv.gz"
HELIOS_FILE = "gpu_jobs_helios_venus/helios_venus_gpu_jobs.csv.gz"

HUB = "HB_WEST"
SCARCITY_USD_PER_MWH = 1000.0
GPU_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
LOAD_YEARS = (2022, 2023)
HASHPRICE_DRIFT_YEARS = (2020, 2021, 2022, 2023)


def _series(root: Path, name: str, column: str) -> pd.Series:
    frame = pd.read_csv(root / name, usecols=["interval_start_utc", column])
    index = pd.DatetimeIndex(pd.to_datetime(frame["interval_start_utc"], utc=True))
    return pd.Series(frame[column].to_numpy(dtype=float), index=index, name=column)


def _local_year(series: pd.Series, years: tuple[int, ...]) -> pd.Series:
    local = pd.DatetimeIndex(series.index).tz_convert(TZ)
    return series[np.isin(local.year, years)].dropna()


def _local(series: pd.Series) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(series.index).tz_convert(TZ)


def rt_figures(root: Path) -> dict[str, object]:
    """ERCOT HB_WEST real-time SPP, local calendar year 2023 (15-min intervals)."""
    price = _local_year(_series(root, RT_FILE, HUB), (2023,))
    local = _local(price)
    median = float(price.median())
    negative = price < 0
    neg_share = float(negative.mean())
    scarce = price >= SCARCITY_USD_PER_MWH
    scarce_local = local[scarce.to_numpy()]
    scarce_days = pd.Series(scarce_local.date).drop_duplicates()
    scarce_months = pd.Series([d.month for d in scarce_days])
    monthly_share = scarce_months.value_counts(normalize=True).reindex(range(1, 13), fill_value=0)
    # interval midpoint in local hours (15-min intervals)
    scarce_hours = scarce_local.hour + scarce_local.minute / 60.0 + 0.125
    by_hour_median = price.groupby(local.hour).median()
    return {
        "rt_mean_usd_per_mwh": round(float(price.mean()), 1),
        "rt_median_usd_per_mwh": round(median, 1),
        "rt_negative_share": round(neg_share, 3),
        "rt_p95_usd_per_mwh": round(float(price.quantile(0.95)), 1),
        "rt_p99_usd_per_mwh": round(float(price.quantile(0.99)), 0),
        "rt_hours_at_or_above_1000_usd_per_mwh": float(scarce.sum()) * 0.25,
        "rt_peak_hour_local": int(by_hour_median.idxmax()),
        "rt_monthly_median_usd_per_mwh": _rounded(price.groupby(local.month).median(), 1),
        "rt_hourly_median_shape": _rounded(by_hour_median / median, 3),
        "rt_monthly_negative_share": _rounded(negative.groupby(local.month).mean(), 3),
        "rt_hourly_negative_shape": _rounded(negative.groupby(local.hour).mean() / neg_share, 3),
        "rt_negative_price_mean_usd_per_mwh": round(float(price[negative].mean()), 2),
        "rt_scarcity_days_per_year": float(len(scarce_days)),
        "rt_scarcity_monthly_share": _rounded(monthly_share, 3),
        "rt_scarcity_center_hour_local": round(float(np.mean(scarce_hours)), 1),
        "rt_scarcity_center_hour_sd": round(float(np.std(scarce_hours)), 1),
    }


def da_figures(root: Path) -> dict[str, object]:
    """ERCOT HB_WEST day-ahead vs hourly-mean real-time SPP, hours of 2023 where both exist."""
    rt_hourly = _series(root, RT_FILE, HUB).resample("1h").mean()
    joined = pd.concat({"rt": rt_hourly, "da": _series(root, DA_FILE, HUB)}, axis=1)
    joined = joined[np.isin(_local(joined).year, (2023,))].dropna()
    return {
        "da_rt_correlation": round(float(joined["rt"].corr(joined["da"])), 3),
        "da_rt_mean_ratio": round(float(joined["da"].mean() / joined["rt"].mean()), 2),
        "_da_overlap_hours": len(joined),
    }


def _fall_back_eves(years: range) -> set[object]:
    """Local dates before DST fall-back: EIA's ERCOT load doubles that day (artefact)."""
    eves: set[object] = set()
    for year in years:
        first = pd.Timestamp(year=year, month=11, day=1)
        sunday = first + pd.Timedelta(days=(6 - first.weekday()) % 7)
        eves.add((sunday - pd.Timedelta(days=1)).date())
    return eves


def load_figures(root: Path) -> dict[str, object]:
    """ERCOT system load (hourly, MW), local years 2022-2023, artefact days removed."""
    load = _series(root, LOAD_FILE, "ERCOT_TOTAL").dropna()
    keep = ~pd.Series(_local(load).date).isin(_fall_back_eves(range(2020, 2024))).to_numpy()
    load = _local_year(load[keep], LOAD_YEARS)
    local = _local(load)
    mean = float(load.mean())
    month_means = load.groupby(local.month).mean()
    summer = np.isin(local.month, (6, 7, 8, 9))
    winter = np.isin(local.month, (12, 1, 2))
    weekend = local.day_of_week >= 5
    peak_hours, peak_months = [], []
    for year in LOAD_YEARS:
        in_year = load[local.year == year]
        at = pd.Timestamp(in_year.idxmax()).tz_convert(TZ)
        peak_hours.append(at.hour)
        peak_months.append(at.month)
    return {
        "load_mean_mw": round(mean, 0),
        "load_max_mw": round(float(load.max()), 0),
        "_load_peak_hours_local_per_year": peak_hours,
        "_load_peak_months_per_year": peak_months,
        "load_monthly_profile": _rounded(month_means / month_means.mean(), 3),
        "load_hourly_profile_summer": _shape(load[summer], local[summer]),
        "load_hourly_profile_winter": _shape(load[winter], local[winter]),
        "load_weekend_factor": round(float(load[weekend].mean() / load[~weekend].mean()), 3),
    }


def _shape(values: pd.Series, local: pd.DatetimeIndex) -> tuple[float, ...]:
    by_hour = values.groupby(local.hour).mean()
    return _rounded(by_hour / by_hour.mean(), 3)


def hashprice_figures(root: Path) -> dict[str, object]:
    """Coin Metrics network data: 2023 hashprice volatility, difficulty growth, OU/RW fit."""
    btc = pd.read_csv(root / BTC_FILE, parse_dates=["date"]).set_index("date")
    hp = btc.loc["2023", "hashprice_usd_per_ph_day"]
    log_hp = np.log(hp.to_numpy(dtype=float))
    daily_vol = float(np.std(np.diff(log_hp), ddof=1))
    growth = []
    for year in HASHPRICE_DRIFT_YEARS:
        difficulty = btc.loc[str(year), "DiffMean"].to_numpy(dtype=float)
        growth.append(math.log(difficulty[-1] / difficulty[0]))
    reversion_days, trend_vol = _fit_hashprice_components(log_hp, daily_vol)
    return {
        "hashprice_daily_log_volatility": round(daily_vol, 4),
        "hashprice_mean_reversion_days": reversion_days,
        "hashprice_trend_log_volatility_per_year": trend_vol,
        "difficulty_log_growth_per_year": round(float(np.mean(growth)), 2),
        "_hashprice_2023_mean_usd_per_ph_day": round(float(hp.mean()), 1),
    }


def _fit_hashprice_components(log_hp: np.ndarray, daily_vol: float) -> tuple[float, float]:
    """Fit var(x[t+k]-x[t]) = 2 s² (1-φ^k) + k σ_rw² (OU + random walk) for k = 1..60 days.

    The OU innovation is fixed by the daily volatility; returns (reversion days, RW vol per year).
    """
    lags = np.arange(1, 61)
    observed = np.array([np.var(log_hp[k:] - log_hp[:-k]) for k in lags])
    best = (math.inf, 0.0, 0.0)
    for tau in np.arange(2.0, 60.5, 0.5):
        phi = math.exp(-1.0 / tau)
        for rw_year in np.arange(0.0, 0.81, 0.01):
            rw = rw_year / math.sqrt(365.25)
            innovation_sq = (daily_vol**2 - rw**2) * (1 + phi) / 2
            if innovation_sq <= 0:
                continue
            stationary = innovation_sq / (1 - phi**2)
            model = 2 * stationary * (1 - phi**lags) + lags * rw**2
            err = float(np.sum(np.log(model / observed) ** 2))
            if err < best[0]:
                best = (err, float(tau), float(rw_year))
    return best[1], round(best[2], 2)


def inference_figures(root: Path) -> dict[str, object]:
    """Alibaba GenTD26 SD/LoRA request counts per hour of the (anonymised) day, max = 1."""
    trace = pd.read_csv(root / SD_FILE, usecols=["gmt_create"])
    hours = pd.to_datetime(trace["gmt_create"]).dt.hour
    counts = hours.value_counts().reindex(range(24), fill_value=0)
    return {"inference_hourly_profile": _rounded(counts / counts.max(), 3)}


def training_figures(root: Path, spec: SyntheticSpec) -> dict[str, object]:
    """SenseTime Helios Venus GPU jobs: GPU-count buckets, durations, arrival hours."""
    jobs = pd.read_csv(root / HELIOS_FILE)
    gpus = jobs["gpu_count"].to_numpy(dtype=float)
    bucket = np.minimum(2 ** np.ceil(np.log2(gpus)), GPU_BUCKETS[-1]).astype(int)
    shares = pd.Series(bucket).value_counts(normalize=True).reindex(GPU_BUCKETS, fill_value=0)
    duration = jobs["service_sec"].astype(float)
    probs = list(spec.training_duration_quantile_probs)
    arrival_hour = ((jobs["arrival_s"] % 86400) // 3600).astype(int)
    per_hour = arrival_hour.value_counts().reindex(range(24), fill_value=0)
    return {
        "training_gpu_count_shares": _rounded(shares, 4),
        "training_duration_quantiles_s": _rounded(duration.quantile(probs), 0),
        "training_duration_median_s": round(float(duration.median()), 0),
        "training_duration_mean_s": round(float(duration.mean()), 0),
        "training_duration_max_s": float(duration.max()),
        "training_arrival_hourly_profile": _rounded(per_hour / per_hour.mean(), 3),
    }


def _rounded(values: pd.Series, digits: int) -> tuple[float, ...]:
    return tuple(round(float(v), digits) for v in values.to_numpy(dtype=float))


def all_figures(root: Path, spec: SyntheticSpec) -> dict[str, object]:
    """Every calibration figure, keyed by the SyntheticSpec field it feeds (``_`` = info only)."""
    figures: dict[str, object] = {}
    for part in (rt_figures, da_figures, load_figures, hashprice_figures, inference_figures):
        figures.update(part(root))
    figures.update(training_figures(root, spec))
    return figures


def generated_table(spec: SyntheticSpec) -> list[tuple[str, str, str]]:
    """Target vs generated statistics for one default year (2025, 5-min steps)."""
    signals = generate_signals(
        spec,
        datetime(2025, 1, 1, 6, tzinfo=UTC),
        datetime(2026, 1, 1, 6, tzinfo=UTC),
        300,
        TZ,
        mean_jobs_per_day=600.0,
        max_gpus=256,
    )
    return summarize_signals(spec, signals)


def main() -> int:
    """Print data figures vs spec defaults, then the target-vs-generated table."""
    spec = SyntheticSpec()
    root = data_root()
    if root is None:
        print(f"set {DATA_ENV_VAR} to the shared data folder to recompute the figures")
    else:
        defaults = {f.name: getattr(spec, f.name) for f in fields(spec)}
        for name, value in all_figures(root, spec).items():
            if name.startswith("_"):
                print(f"{name:45s} {value}  (info)")
                continue
            same = "ok" if _close(value, defaults[name]) else f"DEFAULT {defaults[name]}"
            print(f"{name:45s} {value}  {same}")
    print()
    print(f"{'statistic':48s} {'target':>12s} {'generated':>12s}")
    for name, target, generated in generated_table(spec):
        print(f"{name:48s} {target:>12s} {generated:>12s}")
    return 0


def _close(data: object, default: object) -> bool:
    if isinstance(data, tuple) and isinstance(default, tuple):
        return len(data) == len(default) and all(
            _close(a, b) for a, b in zip(data, default, strict=True)
        )
    if isinstance(data, int | float) and isinstance(default, int | float):
        return math.isclose(float(data), float(default), rel_tol=1e-3, abs_tol=1e-3)
    return data == default


if __name__ == "__main__":
    sys.exit(main())
