"""Seeded generator of a year of site signals, calibrated to public statistics.

The embedded default scenario runs on these series instead of the real data folder. Each
function is pure: the same :class:`SyntheticSpec` (seed included) and horizon give identical
output, and each signal draws from its own random stream (so changing one generator's
settings leaves the others unchanged). Calibration sources: ``docs/default-scenario.md``.

Models, in short:

* real-time price: lognormal base around a month × hour median shape with two-speed
  mean-reverting noise (wider on evenings of scarcity months); a persistent wind regime of small negative
  prices; scarcity evenings (mostly summer) as a price bump up to the offer cap;
* day-ahead price: hourly mean of the real-time price, spikes damped, smoothed, with noise;
* system load: mean × month × hour (summer/winter shapes) × weekday × weather noise;
* hashprice: geometric random walk (BTC price vs difficulty growth) plus a mean-reverting
  daily wobble that carries the observed daily volatility;
* inference demand: a 24-h request profile × weekend factor × daily and per-step noise;
* training jobs: Poisson arrivals with a diurnal rate, GPU counts and durations resampled
  from the Helios Venus distributions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from statistics import NormalDist
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd

from wattswitch.errors import ModelError
from wattswitch.model.synthetic import SyntheticSpec
from wattswitch.model.timeseries import INDEX_NAME, TimeSeries
from wattswitch.model.traces import JobTrace

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

PRICE_COLUMN = "price_usd_per_mwh"
LOAD_COLUMN = "system_load_mw"
HASHPRICE_COLUMN = "hashprice_usd_per_ph_day"
INFERENCE_COLUMN = "inference_load_fraction"
DEFAULT_TIMEZONE = "America/Chicago"
SCARCITY_USD_PER_MWH = 1000.0

SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86400
DAYS_PER_YEAR = 365.25
_NS_PER_S = 1_000_000_000
_NS_PER_DAY = SECONDS_PER_DAY * _NS_PER_S
_GPU_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
_MAX_NEGATIVE_PROBABILITY = 0.45
# How "summer" each month's daily load shape is (0 = winter shape, 1 = summer shape).
_LOAD_SUMMER_WEIGHT = (0.0, 0.0, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.0)

# Independent random streams, one per signal (mixed with the spec's seed).
_STREAM_RT, _STREAM_DA, _STREAM_LOAD, _STREAM_HASH, _STREAM_INFER, _STREAM_JOBS = range(1, 7)


@dataclass(frozen=True)
class SyntheticSignals:
    """Every generated signal of one scenario horizon."""

    rt_price: TimeSeries
    da_price: TimeSeries
    system_load: TimeSeries
    hashprice: TimeSeries
    inference_demand: TimeSeries
    training_jobs: JobTrace


@dataclass(frozen=True)
class _LocalTime:
    """Wall-clock features of each interval start in the site's time zone."""

    month: IntArray  # 1 … 12
    hour: FloatArray  # fractional hour of day, 0 ≤ h < 24
    day: IntArray  # local calendar day number (days since 1970-01-01)
    weekday: IntArray  # Monday = 0
    days_in_month: IntArray
    day_of_month: IntArray  # 1 …


# --------------------------------------------------------------------------------------------
# public generators
# --------------------------------------------------------------------------------------------


def generate_rt_prices(
    spec: SyntheticSpec,
    start_utc: datetime,
    end_utc: datetime,
    step_s: int,
    timezone: str = DEFAULT_TIMEZONE,
) -> TimeSeries:
    """Real-time hub price on a ``step_s`` grid, ERCOT HB_WEST-like (``price_usd_per_mwh``)."""
    index = _grid(start_utc, end_utc, step_s)
    local = _local_time(index, timezone)
    rng = _rng(spec, _STREAM_RT)
    n = len(index)
    step_h = step_s / SECONDS_PER_HOUR

    # wind regime: a persistent latent Gaussian below a month × hour threshold → negative price
    p_negative = np.clip(
        np.asarray(spec.rt_monthly_negative_share)[local.month - 1]
        * _hourly(spec.rt_hourly_negative_shape, local.hour),
        0.0,
        _MAX_NEGATIVE_PROBABILITY,
    )
    latent = _ar1(rng, n, _phi(step_h, spec.rt_negative_persistence_h))
    negative = latent < _inv_norm_cdf(p_negative)
    negative_price = np.maximum(
        spec.price_floor_usd_per_mwh,
        -rng.exponential(-spec.rt_negative_price_mean_usd_per_mwh, n),
    )

    # base: lognormal around the month × hour median, its median raised so that the median of
    # all intervals (negative ones included) stays on target; evening tails widen with the
    # month's scarcity risk (August most), with a floor in other months
    scarcity = np.asarray(spec.rt_scarcity_monthly_share, dtype=float)
    tightness = 0.2 + 0.8 * scarcity / max(float(scarcity.max()), 1e-9)
    evening = tightness[local.month - 1] * np.clip(1.0 - np.abs(local.hour - 18.0) / 5.0, 0.0, 1.0)
    sigma = spec.rt_log_volatility + spec.rt_evening_extra_log_volatility * evening
    monthly_median = np.asarray(spec.rt_monthly_median_usd_per_mwh)[local.month - 1]
    target_median = monthly_median * _hourly(spec.rt_hourly_median_shape, local.hour)
    base_quantile = (0.5 - p_negative) / (1.0 - p_negative)
    base_median = target_median * np.exp(-sigma * _inv_norm_cdf(base_quantile))
    slow_share = spec.rt_noise_slow_variance_share
    fast = _ar1(rng, n, _phi(step_h, spec.rt_noise_fast_reversion_h))
    slow = _ar1(rng, n, _phi(step_h, 24.0 * spec.rt_noise_slow_reversion_days))
    noise = math.sqrt(1.0 - slow_share) * fast + math.sqrt(slow_share) * slow
    price = np.where(negative, negative_price, base_median * np.exp(sigma * noise))

    bump = _scarcity_bumps(spec, rng, local)
    price = np.where((bump > 0.0) & (bump > price), bump, price)
    price = np.clip(price, spec.price_floor_usd_per_mwh, spec.price_spp_max_usd_per_mwh)
    return _series(index, PRICE_COLUMN, price, step_s=step_s, unit="usd_per_mwh", source="synthetic rt price")


def generate_da_prices(spec: SyntheticSpec, rt: TimeSeries, column: str = PRICE_COLUMN) -> TimeSeries:
    """Hourly day-ahead price: a smoothed, spike-damped, noisy forecast of ``rt``'s hourly mean.

    DA = premium + level × smoothed(damped RT) × lognormal noise where the smoothed RT is ≥ 0,
    else a fraction of it; RT above the soft cap passes through only in part. ``rt.step_s``
    must divide one hour; a partial first or last UTC hour uses the intervals it has.
    """
    if SECONDS_PER_HOUR % rt.step_s:
        raise ModelError(f"{rt.source}: step_s {rt.step_s} must divide 3600 for hourly DA prices")
    hourly = rt.column(column).resample(pd.Timedelta(hours=1)).mean().to_numpy(dtype=float)
    n = len(hourly)
    excess = np.maximum(hourly - spec.da_soft_cap_usd_per_mwh, 0.0)
    damped = np.minimum(hourly, spec.da_soft_cap_usd_per_mwh) + spec.da_spike_pass_through * excess
    smooth = _triangular_smooth(damped, spec.da_smoothing_h)
    rng = _rng(spec, _STREAM_DA)
    sigma = spec.da_log_volatility
    wobble = np.exp(sigma * _ar1(rng, n, _phi(1.0, spec.da_noise_persistence_h)) - sigma**2 / 2)
    da = np.where(
        smooth >= 0.0,
        spec.da_premium_usd_per_mwh + spec.da_level_factor * smooth * wobble,
        spec.da_negative_pass_through * smooth,
    )
    da = np.clip(da, spec.price_floor_usd_per_mwh, spec.price_offer_cap_usd_per_mwh)
    start = pd.Timestamp(rt.start_utc).floor("h")
    index = pd.date_range(start, periods=n, freq=pd.Timedelta(hours=1), name=INDEX_NAME)
    return _series(
        index, PRICE_COLUMN, da, step_s=SECONDS_PER_HOUR, unit="usd_per_mwh", source="synthetic da price"
    )


def generate_system_load(
    spec: SyntheticSpec,
    start_utc: datetime,
    end_utc: datetime,
    step_s: int,
    timezone: str = DEFAULT_TIMEZONE,
) -> TimeSeries:
    """ERCOT-total-like system load in MW: seasonal, daily and weekly shape with weather noise."""
    index = _grid(start_utc, end_utc, step_s)
    local = _local_time(index, timezone)
    rng = _rng(spec, _STREAM_LOAD)
    n = len(index)
    step_h = step_s / SECONDS_PER_HOUR
    summer = np.asarray(_LOAD_SUMMER_WEIGHT)[local.month - 1]
    winter_shape = _hourly(spec.load_hourly_profile_winter, local.hour)
    summer_shape = _hourly(spec.load_hourly_profile_summer, local.hour)
    daily_shape = (1.0 - summer) * winter_shape + summer * summer_shape
    # month factor interpolated between mid-month knots so it has no jump at month starts
    month_position = local.month - 1 + (local.day_of_month - 1 + local.hour / 24.0) / local.days_in_month
    seasonal = _cyclic_interp(spec.load_monthly_profile, month_position)
    weekday_factor = 7.0 / (5.0 + 2.0 * spec.load_weekend_factor)
    weekly = np.where(local.weekday >= 5, spec.load_weekend_factor, 1.0) * weekday_factor
    weather_sigma, noise_sigma = spec.load_weather_log_volatility, spec.load_noise_log_volatility
    weather = weather_sigma * _ar1(rng, n, _phi(step_h, 24.0 * spec.load_weather_persistence_days))
    noise = noise_sigma * _ar1(rng, n, _phi(step_h, 2.0))
    correction = -(weather_sigma**2 + noise_sigma**2) / 2.0
    load = spec.load_mean_mw * seasonal * daily_shape * weekly * np.exp(weather + noise + correction)
    return _series(index, LOAD_COLUMN, load, step_s=step_s, unit="mw", source="synthetic system load")


def generate_hashprice(spec: SyntheticSpec, start_utc: datetime, end_utc: datetime) -> TimeSeries:
    """Daily hashprice in $/PH/day on the UTC days touching [start_utc, end_utc).

    The first day equals ``hashprice_start_usd_per_ph_day``; then log hashprice follows a
    random walk with drift ``btc_price_log_drift_per_year - difficulty_log_growth_per_year``
    plus a mean-reverting wobble, together giving ``hashprice_daily_log_volatility``.
    """
    start, end = _aware_pair(start_utc, end_utc)
    first = start.floor("D")
    last = end.ceil("D")
    n = int((last - first) / pd.Timedelta(days=1))
    index = pd.date_range(first, periods=n, freq=pd.Timedelta(days=1), name=INDEX_NAME)
    rng = _rng(spec, _STREAM_HASH)
    trend_sigma = spec.hashprice_trend_log_volatility_per_year / math.sqrt(DAYS_PER_YEAR)
    phi = math.exp(-1.0 / spec.hashprice_mean_reversion_days)
    # the daily change of an OU with innovation s has variance 2 s² / (1 + φ) once stationary
    wobble_variance = max(spec.hashprice_daily_log_volatility**2 - trend_sigma**2, 0.0)
    wobble_sigma = math.sqrt(wobble_variance * (1.0 + phi) / 2.0)
    drift_per_day = (spec.btc_price_log_drift_per_year - spec.difficulty_log_growth_per_year) / DAYS_PER_YEAR
    steps = drift_per_day + trend_sigma * rng.standard_normal(n)
    steps[0] = 0.0
    innovations = wobble_sigma * rng.standard_normal(n)
    innovations[0] = 0.0
    wobble = _ar1_from(innovations, phi)
    log_price = math.log(spec.hashprice_start_usd_per_ph_day) + np.cumsum(steps) + wobble
    return _series(
        index, HASHPRICE_COLUMN, np.exp(log_price), step_s=SECONDS_PER_DAY, unit="usd_per_ph_day",
        source="synthetic hashprice",
    )


def generate_inference_demand(
    spec: SyntheticSpec,
    start_utc: datetime,
    end_utc: datetime,
    step_s: int,
    timezone: str = DEFAULT_TIMEZONE,
) -> TimeSeries:
    """Inference requests relative to the service's peak, in [0, 1] (``inference_load_fraction``)."""
    index = _grid(start_utc, end_utc, step_s)
    local = _local_time(index, timezone)
    rng = _rng(spec, _STREAM_INFER)
    n = len(index)
    profile = np.asarray(_local_inference_profile(spec))[local.hour.astype(np.int64)]
    weekly = np.where(local.weekday >= 5, spec.inference_weekend_factor, 1.0)
    # one lognormal level per local day, interpolated between day midpoints (no midnight jump)
    day_sigma = spec.inference_daily_log_volatility
    position = local.day + local.hour / 24.0 - 0.5
    first_day = int(np.floor(position.min()))
    knots = np.arange(first_day, int(np.floor(position.max())) + 2)
    levels = day_sigma * rng.standard_normal(len(knots)) - day_sigma**2 / 2
    daily = np.exp(np.interp(position, knots, levels))
    step_sigma = spec.inference_step_log_volatility
    step_noise = np.exp(step_sigma * _ar1(rng, n, _phi(step_s / SECONDS_PER_HOUR, 1.0)) - step_sigma**2 / 2)
    demand = profile * weekly * daily * step_noise
    base = spec.inference_base_fraction
    fraction = np.clip(base + (1.0 - base) * demand, 0.0, 1.0)
    return _series(
        index, INFERENCE_COLUMN, fraction, step_s=step_s, unit="fraction", source="synthetic inference demand"
    )


def generate_training_jobs(
    spec: SyntheticSpec,
    start_utc: datetime,
    end_utc: datetime,
    mean_jobs_per_day: float,
    max_gpus: int,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> JobTrace:
    """GPU training jobs: diurnal Poisson arrivals, Helios-like GPU counts and durations.

    GPU counts are drawn per power-of-two bucket; buckets above ``max_gpus`` fold into the
    largest power of two ≤ ``max_gpus``. Durations come from the quantile table (log-linear in
    between), capped at ``training_duration_max_s``.
    """
    start, end = _aware_pair(start_utc, end_utc)
    rate_ok = isinstance(mean_jobs_per_day, int | float) and not isinstance(mean_jobs_per_day, bool)
    if not (rate_ok and math.isfinite(mean_jobs_per_day) and mean_jobs_per_day >= 0):
        raise ModelError(f"mean_jobs_per_day: must be a number ≥ 0, got {mean_jobs_per_day!r}")
    if not isinstance(max_gpus, int) or isinstance(max_gpus, bool) or max_gpus < 1:
        raise ModelError(f"max_gpus: must be a whole number ≥ 1, got {max_gpus!r}")
    rng = _rng(spec, _STREAM_JOBS)
    span_s = (end - start).total_seconds()
    bin_starts_s = np.arange(0.0, span_s, SECONDS_PER_HOUR)
    bin_lengths_s = np.minimum(SECONDS_PER_HOUR, span_s - bin_starts_s)
    bin_index = start + pd.to_timedelta(bin_starts_s + bin_lengths_s / 2, unit="s")
    local_hour = _local_time(pd.DatetimeIndex(bin_index), _zone_name(timezone)).hour
    arrival = np.asarray(spec.training_arrival_hourly_profile, dtype=float)
    rate_shape = (arrival / arrival.mean())[local_hour.astype(np.int64)]
    expected = mean_jobs_per_day / 24.0 * rate_shape * bin_lengths_s / SECONDS_PER_HOUR
    counts = rng.poisson(expected)
    total = int(counts.sum())
    submit_s = np.sort(np.repeat(bin_starts_s, counts) + rng.random(total) * np.repeat(bin_lengths_s, counts))
    gpus = _sample_gpus(spec, rng, total, max_gpus)
    duration_s = _sample_durations(spec, rng, total)
    frame = pd.DataFrame(
        {
            "job_id": [f"J{i:06d}" for i in range(1, total + 1)],
            "submit_s": submit_s,
            "duration_s": duration_s,
            "gpus": gpus,
        }
    )
    return JobTrace(frame=frame, source="synthetic training jobs", origin_utc=start)


def generate_signals(
    spec: SyntheticSpec,
    start_utc: datetime,
    end_utc: datetime,
    step_s: int,
    timezone: str = DEFAULT_TIMEZONE,
    *,
    mean_jobs_per_day: float = 60.0,
    max_gpus: int = 256,
) -> SyntheticSignals:
    """All signals of one horizon: RT/DA prices, system load, hashprice, inference, training."""
    rt = generate_rt_prices(spec, start_utc, end_utc, step_s, timezone)
    return SyntheticSignals(
        rt_price=rt,
        da_price=generate_da_prices(spec, rt),
        system_load=generate_system_load(spec, start_utc, end_utc, step_s, timezone),
        hashprice=generate_hashprice(spec, start_utc, end_utc),
        inference_demand=generate_inference_demand(spec, start_utc, end_utc, step_s, timezone),
        training_jobs=generate_training_jobs(
            spec, start_utc, end_utc, mean_jobs_per_day, max_gpus, timezone=timezone
        ),
    )


def summarize_signals(
    spec: SyntheticSpec, signals: SyntheticSignals, timezone: str = DEFAULT_TIMEZONE
) -> list[tuple[str, str, str]]:
    """(statistic, target, generated) rows comparing generated signals with the spec's targets."""
    rt = signals.rt_price.column(PRICE_COLUMN)
    rt_local = pd.DatetimeIndex(rt.index).tz_convert(timezone)
    step_h = signals.rt_price.step_s / SECONDS_PER_HOUR
    scarce = rt >= SCARCITY_USD_PER_MWH
    rt_hourly = rt.resample(pd.Timedelta(hours=1)).mean()
    da = signals.da_price.column(PRICE_COLUMN)
    same_days = da_calibration_mask(pd.DatetimeIndex(da.index), timezone)
    rt_hourly, da = rt_hourly[same_days], da[same_days]
    load = signals.system_load.column(LOAD_COLUMN)
    load_peak = pd.Timestamp(load.index[int(np.argmax(load.to_numpy()))]).tz_convert(timezone)
    hashprice = signals.hashprice.column(HASHPRICE_COLUMN)
    inference = signals.inference_demand.column(INFERENCE_COLUMN)
    inference_local = pd.DatetimeIndex(inference.index).tz_convert(timezone)
    jobs = signals.training_jobs.frame
    duration = jobs["duration_s"]
    local_profile = _local_inference_profile(spec)
    return [
        ("rt mean $/MWh", f"{spec.rt_mean_usd_per_mwh:.1f}", f"{rt.mean():.1f}"),
        ("rt median $/MWh", f"{spec.rt_median_usd_per_mwh:.1f}", f"{rt.median():.1f}"),
        ("rt negative share", f"{spec.rt_negative_share:.3f}", f"{(rt < 0).mean():.3f}"),
        ("rt p95 $/MWh", f"{spec.rt_p95_usd_per_mwh:.1f}", f"{rt.quantile(0.95):.1f}"),
        ("rt p99 $/MWh", f"{spec.rt_p99_usd_per_mwh:.0f}", f"{rt.quantile(0.99):.0f}"),
        (
            "rt hours ≥ $1,000/MWh",
            f"{spec.rt_hours_at_or_above_1000_usd_per_mwh:.1f}",
            f"{scarce.sum() * step_h:.1f}",
        ),
        (
            "rt days with a price ≥ $1,000/MWh",
            f"{spec.rt_scarcity_days_per_year:.0f}",
            f"{pd.Series(rt_local[scarce.to_numpy()].date).nunique()}",
        ),
        ("rt min / max $/MWh", "≥ -250 / ≤ 5500", f"{rt.min():.0f} / {rt.max():.0f}"),
        (
            "rt peak hour (local, of median)",
            f"{spec.rt_peak_hour_local}",
            f"{rt.groupby(rt_local.hour).median().idxmax()}",
        ),
        (
            "da/rt hourly correlation (real DA's days)",
            f"{spec.da_rt_correlation:.3f}",
            f"{rt_hourly.corr(da):.3f}",
        ),
        (
            "da/rt mean ratio (real DA's days)",
            f"{spec.da_rt_mean_ratio:.2f}",
            f"{da.mean() / rt_hourly.mean():.2f}",
        ),
        ("load mean MW", f"{spec.load_mean_mw:.0f}", f"{load.mean():.0f}"),
        ("load max MW", f"{spec.load_max_mw:.0f}", f"{load.max():.0f}"),
        (
            "load annual peak (local hour, month)",
            f"{spec.load_peak_hour_local}, {spec.load_peak_month_first}-{spec.load_peak_month_last}",
            f"{load_peak.hour}, {load_peak.month}",
        ),
        (
            "hashprice start $/PH/day",
            f"{spec.hashprice_start_usd_per_ph_day:.1f}",
            f"{hashprice.iloc[0]:.1f}",
        ),
        (
            "hashprice daily log-volatility",
            f"{spec.hashprice_daily_log_volatility:.4f}",
            f"{np.log(hashprice).diff().std():.4f}",
        ),
        ("hashprice mean / end $/PH/day", "-", f"{hashprice.mean():.1f} / {hashprice.iloc[-1]:.1f}"),
        (
            "inference peak hour (local)",
            f"{int(np.argmax(local_profile))}",
            f"{inference.groupby(inference_local.hour).mean().idxmax()}",
        ),
        ("inference mean fraction", "-", f"{inference.mean():.3f}"),
        (
            "training 1-GPU share",
            f"{spec.training_gpu_count_shares[0]:.3f}",
            f"{(jobs['gpus'] == 1).mean():.3f}",
        ),
        (
            "training duration median s",
            f"{spec.training_duration_median_s:.0f}",
            f"{duration.median():.0f}",
        ),
        (
            "training duration mean s",
            f"{spec.training_duration_mean_s:.0f}",
            f"{duration.mean():.0f}",
        ),
    ]


def da_calibration_mask(index: pd.DatetimeIndex, timezone: str = DEFAULT_TIMEZONE) -> BoolArray:
    """True on the local days the real DA target was measured on (any year).

    The 2023 HB_WEST day-ahead file lacks local Jul 25 – Sep 6 and Sep 16 – 20, so
    ``da_rt_correlation`` and ``da_rt_mean_ratio`` describe the rest of the year; generated
    DA is compared with them on the same calendar days.
    """
    wall = index.tz_convert(_zone_name(timezone))
    day = wall.month * 100 + wall.day
    missing = ((day >= 725) & (day <= 906)) | ((day >= 916) & (day <= 920))
    return np.asarray(~missing, dtype=bool)


# --------------------------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------------------------


def _scarcity_bumps(spec: SyntheticSpec, rng: np.random.Generator, local: _LocalTime) -> FloatArray:
    """Scarcity evenings: per local day a chance of a price bump around the evening peak."""
    days, first_of_day = np.unique(local.day, return_index=True)
    day_month = local.month[first_of_day]
    day_days_in_month = local.days_in_month[first_of_day]
    p_day = np.clip(
        spec.rt_scarcity_days_per_year
        * np.asarray(spec.rt_scarcity_monthly_share)[day_month - 1]
        / day_days_in_month,
        0.0,
        1.0,
    )
    k = len(days)
    event = rng.random(k) < p_day
    center = np.clip(
        spec.rt_scarcity_center_hour_local + spec.rt_scarcity_center_hour_sd * rng.standard_normal(k),
        12.0,
        22.0,
    )
    peak = spec.rt_scarcity_peak_median_usd_per_mwh * np.exp(
        spec.rt_scarcity_peak_log_sd * rng.standard_normal(k)
    )
    width = spec.rt_scarcity_half_width_h * np.exp(0.4 * rng.standard_normal(k))
    position = np.searchsorted(days, local.day)
    distance = (local.hour - center[position]) / width[position]
    # a drawn peak above the offer cap stands for reserve adders: it lifts the top part of the
    # way from the offer cap to the SPP maximum
    cap = spec.price_offer_cap_usd_per_mwh
    headroom = spec.price_spp_max_usd_per_mwh - cap
    top = np.where(peak > cap, cap + headroom * (1.0 - cap / np.maximum(peak, cap)), peak)
    # Lorentzian: a short core near the top with hours of elevated shoulders around it
    bump = top[position] / (1.0 + distance**2)
    # no bump (0) on quiet days or where it is under 1 % of its peak, so negatives survive
    return np.asarray(np.where(event[position] & (np.abs(distance) <= 10.0), bump, 0.0), np.float64)


def _sample_gpus(spec: SyntheticSpec, rng: np.random.Generator, size: int, max_gpus: int) -> IntArray:
    """GPU counts by power-of-two bucket; buckets above ``max_gpus`` fold to the largest fit."""
    shares = np.asarray(spec.training_gpu_count_shares, dtype=float)
    bucket = rng.choice(len(_GPU_BUCKETS), size=size, p=shares / shares.sum())
    largest = 1 << (max_gpus.bit_length() - 1)
    return np.minimum(np.asarray(_GPU_BUCKETS, dtype=np.int64)[bucket], largest)


def _sample_durations(spec: SyntheticSpec, rng: np.random.Generator, size: int) -> FloatArray:
    """Durations from the quantile table, log-linear between knots, capped at the clamp."""
    u = rng.random(size)
    log_knots = np.log(np.asarray(spec.training_duration_quantiles_s, dtype=float))
    values = np.exp(np.interp(u, spec.training_duration_quantile_probs, log_knots))
    return np.asarray(np.minimum(np.round(values), spec.training_duration_max_s), dtype=np.float64)


def _triangular_smooth(values: FloatArray, half_width: float) -> FloatArray:
    """Weighted moving mean with weights 1 - |k| / (half_width + 1), edges held constant."""
    reach = math.floor(half_width)
    if reach < 1 or len(values) < 2:
        return np.asarray(values, dtype=np.float64)
    offsets = np.arange(-reach, reach + 1)
    weights = 1.0 - np.abs(offsets) / (half_width + 1.0)
    weights /= weights.sum()
    padded = np.concatenate((np.full(reach, values[0]), values, np.full(reach, values[-1])))
    return np.asarray(np.convolve(padded, weights[::-1], mode="valid"), dtype=np.float64)


def _local_inference_profile(spec: SyntheticSpec) -> tuple[float, ...]:
    """The inference profile rotated from the trace's clock to local hours."""
    raw = spec.inference_hourly_profile
    return tuple(raw[(h - spec.inference_profile_shift_h) % 24] for h in range(24))


def _rng(spec: SyntheticSpec, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([spec.seed, stream]))


def _phi(step_h: float, reversion_h: float) -> float:
    """AR(1) coefficient of an Ornstein-Uhlenbeck process sampled every ``step_h`` hours."""
    return math.exp(-step_h / reversion_h)


def _ar1(rng: np.random.Generator, n: int, phi: float) -> FloatArray:
    """Stationary AR(1) with unit variance: x[t] = φ x[t-1] + √(1-φ²) ε[t]."""
    innovations = math.sqrt(1.0 - phi**2) * rng.standard_normal(n)
    if n:
        innovations[0] = rng.standard_normal()  # start in the stationary distribution
    return _ar1_from(innovations, phi)


def _ar1_from(innovations: FloatArray, phi: float) -> FloatArray:
    """x[0] = e[0], x[t] = φ x[t-1] + e[t], vectorised through pandas' exponential smoother."""
    if len(innovations) == 0 or phi == 0.0:
        return np.asarray(innovations, dtype=np.float64)
    alpha = 1.0 - phi
    # ewm(adjust=False): y[0] = s[0], y[t] = φ y[t-1] + α s[t]; so s[t] = e[t] / α gives x = y
    scaled = np.array(innovations, dtype=np.float64)
    scaled[1:] /= alpha
    result = pd.Series(scaled).ewm(alpha=alpha, adjust=False).mean().to_numpy()
    return np.asarray(result, dtype=np.float64)


def _inv_norm_cdf(p: FloatArray) -> FloatArray:
    """Standard normal quantile, element-wise (evaluated once per distinct probability)."""
    values, inverse = np.unique(np.clip(p, 1e-12, 1 - 1e-12), return_inverse=True)
    dist = NormalDist()
    quantiles = np.array([dist.inv_cdf(float(v)) for v in values])
    return np.asarray(quantiles[inverse.reshape(np.shape(p))], dtype=np.float64)


def _hourly(profile: tuple[float, ...], hour: FloatArray) -> FloatArray:
    """Hourly profile (value h = mean over [h, h+1)) interpolated linearly between hour middles."""
    return _cyclic_interp(profile, hour)


def _cyclic_interp(profile: tuple[float, ...], position: FloatArray) -> FloatArray:
    """Linear interpolation of a cyclic profile whose value k sits at position k + 0.5."""
    values = np.asarray(profile, dtype=float)
    size = len(values)
    knots = np.arange(-1, size + 1) + 0.5
    extended = np.concatenate((values[-1:], values, values[:1]))
    return np.asarray(np.interp(np.mod(position, size), knots, extended), dtype=np.float64)


def _aware_pair(start_utc: datetime, end_utc: datetime) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Both ends as UTC timestamps; naive datetimes and empty horizons are errors."""
    for name, value in (("start_utc", start_utc), ("end_utc", end_utc)):
        if not isinstance(value, datetime):
            raise ModelError(f"{name}: must be a timezone-aware datetime, got {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ModelError(f"{name}: must be timezone-aware (e.g. tzinfo=UTC), got {value}")
    start = pd.Timestamp(start_utc).tz_convert("UTC")
    end = pd.Timestamp(end_utc).tz_convert("UTC")
    if end <= start:
        raise ModelError(f"end_utc {end} must be after start_utc {start}")
    return start, end


def _grid(start_utc: datetime, end_utc: datetime, step_s: int) -> pd.DatetimeIndex:
    """Interval starts from start (inclusive) to end (exclusive) every ``step_s`` seconds."""
    start, end = _aware_pair(start_utc, end_utc)
    if not isinstance(step_s, int) or isinstance(step_s, bool) or step_s <= 0:
        raise ModelError(f"step_s: must be a whole number of seconds > 0, got {step_s!r}")
    span_ns = end.value - start.value
    if span_ns % (step_s * _NS_PER_S):
        raise ModelError(
            f"step_s {step_s} does not divide the horizon {start} → {end} "
            f"({span_ns / _NS_PER_S:g} s)"
        )
    return pd.date_range(
        start, periods=span_ns // (step_s * _NS_PER_S), freq=pd.Timedelta(seconds=step_s),
        name=INDEX_NAME,
    )


def _zone_name(timezone: str) -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as err:
        raise ModelError(f"timezone: unknown time zone {timezone!r} (e.g. 'America/Chicago')") from err
    return timezone


def _local_time(index: pd.DatetimeIndex, timezone: str) -> _LocalTime:
    """Month, fractional hour, day number and weekday of each instant in ``timezone``."""
    wall = index.tz_convert(_zone_name(timezone)).tz_localize(None).as_unit("ns")
    ns = wall.asi8
    return _LocalTime(
        month=np.asarray(wall.month, dtype=np.int64),
        hour=np.asarray((ns % _NS_PER_DAY) / (SECONDS_PER_HOUR * _NS_PER_S), dtype=np.float64),
        day=np.asarray(ns // _NS_PER_DAY, dtype=np.int64),
        weekday=np.asarray(wall.day_of_week, dtype=np.int64),
        days_in_month=np.asarray(wall.days_in_month, dtype=np.int64),
        day_of_month=np.asarray(wall.day, dtype=np.int64),
    )


def _series(
    index: pd.DatetimeIndex, column: str, values: FloatArray, *, step_s: int, unit: str, source: str
) -> TimeSeries:
    frame = pd.DataFrame({column: np.asarray(values, dtype=np.float64)}, index=index)
    frame.index.name = INDEX_NAME
    return TimeSeries(frame=frame, step_s=step_s, unit=unit, source=source)
