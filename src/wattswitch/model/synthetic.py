"""Parameters of the seeded generator behind the embedded default scenario's signals.

Every default is either a calibration figure measured on public data (recomputed by
``benchmarks/calibrate_default_scenario.py``; sources in ``docs/default-scenario.md``) or a
generator setting tuned so that the generated year matches those figures. Figures marked
"targets" are not read by the generator: tests compare the generated year against them. Field
names carry their units; ``*_shape`` profiles are ratios (1 = average), ``*_share`` values are
fractions. Hourly profiles have 24 values for local hour-beginning 0 … 23, monthly ones 12 for
Jan … Dec. Only simple types (int, float, tuple of floats), so a spec round-trips through TOML.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, fields

from wattswitch.errors import ModelError

HOURS_PER_DAY = 24
MONTHS_PER_YEAR = 12
GPU_BUCKET_COUNT = 9  # 1, 2, 4, … 256 GPUs

_OWNER = "SyntheticSpec"


@dataclass(frozen=True)
class SyntheticSpec:
    """Calibration of generated prices, load, hashprice and AI demand (docs/default-scenario.md)."""

    seed: int = 2025

    # --- real-time price targets: ERCOT HB_WEST RT SPP, local year 2023 (15-min intervals) -----
    rt_mean_usd_per_mwh: float = 49.4
    rt_median_usd_per_mwh: float = 21.6
    rt_negative_share: float = 0.086
    rt_p95_usd_per_mwh: float = 84.3
    rt_p99_usd_per_mwh: float = 554.0
    rt_hours_at_or_above_1000_usd_per_mwh: float = 59.75
    rt_peak_hour_local: int = 19
    # --- real-time price shapes measured on the same data (read by the generator) -------------
    rt_monthly_median_usd_per_mwh: tuple[float, ...] = (
        16.9, 13.2, 18.0, 13.4, 22.0, 21.7, 24.7, 32.0, 25.5, 22.4, 23.6, 17.8,
    )  # fmt: skip
    rt_hourly_median_shape: tuple[float, ...] = (
        0.962, 0.905, 0.873, 0.852, 0.885, 0.968, 1.056, 1.030, 0.889, 0.856, 0.879, 0.888,
        0.919, 0.947, 0.958, 0.974, 1.069, 1.265, 1.364, 1.562, 1.481, 1.253, 1.148, 1.039,
    )  # fmt: skip
    rt_monthly_negative_share: tuple[float, ...] = (
        0.147, 0.210, 0.206, 0.190, 0.003, 0.016, 0.010, 0.002, 0.020, 0.062, 0.066, 0.106,
    )  # fmt: skip
    rt_hourly_negative_shape: tuple[float, ...] = (
        1.126, 1.219, 1.298, 1.174, 0.967, 0.535, 0.328, 0.391, 0.703, 1.111, 1.318, 1.214,
        1.198, 1.270, 1.398, 1.454, 1.342, 0.967, 0.575, 0.567, 0.735, 0.887, 1.039, 1.182,
    )  # fmt: skip
    rt_negative_price_mean_usd_per_mwh: float = -3.66
    rt_scarcity_days_per_year: float = 32.0
    rt_scarcity_monthly_share: tuple[float, ...] = (
        0.0, 0.0, 0.0, 0.0, 0.031, 0.062, 0.094, 0.594, 0.156, 0.062, 0.0, 0.0,
    )  # fmt: skip
    rt_scarcity_center_hour_local: float = 18.0
    rt_scarcity_center_hour_sd: float = 1.8
    # --- real-time price: generator settings (tuned to the targets above) ------------------------
    rt_log_volatility: float = 0.6
    rt_evening_extra_log_volatility: float = 0.7
    rt_noise_fast_reversion_h: float = 2.0
    rt_noise_slow_reversion_days: float = 3.0
    rt_noise_slow_variance_share: float = 0.5
    rt_negative_persistence_h: float = 6.0
    rt_scarcity_peak_median_usd_per_mwh: float = 4500.0
    rt_scarcity_peak_log_sd: float = 0.85
    rt_scarcity_half_width_h: float = 0.55
    # --- market limits (ERCOT from 2022) ----------------------------------------------------------
    price_floor_usd_per_mwh: float = -250.0
    price_offer_cap_usd_per_mwh: float = 5000.0
    price_spp_max_usd_per_mwh: float = 5500.0

    # --- day-ahead targets: HB_WEST DA vs hourly-mean RT, 2023 hours with both (see docs) -------
    da_rt_correlation: float = 0.767
    da_rt_mean_ratio: float = 1.11
    # --- day-ahead price: generator settings ------------------------------------------------------
    da_premium_usd_per_mwh: float = 1.0
    da_level_factor: float = 1.21
    da_soft_cap_usd_per_mwh: float = 150.0
    da_spike_pass_through: float = 0.55
    da_negative_pass_through: float = 0.3
    da_log_volatility: float = 0.55
    da_noise_persistence_h: float = 24.0
    da_smoothing_h: float = 2.5

    # --- system load: ERCOT total, local years 2022-2023 (hourly, MW) ----------------------------
    load_mean_mw: float = 48986.0
    load_max_mw: float = 84182.0  # target, as are the peak hour and months
    load_peak_hour_local: int = 16
    load_peak_month_first: int = 6
    load_peak_month_last: int = 9
    load_monthly_profile: tuple[float, ...] = (
        0.891, 0.925, 0.847, 0.865, 1.021, 1.191, 1.260, 1.167, 1.118, 0.920, 0.882, 0.912,
    )  # fmt: skip
    load_hourly_profile_summer: tuple[float, ...] = (
        0.896, 0.851, 0.819, 0.797, 0.787, 0.793, 0.807, 0.820, 0.858, 0.916, 0.981, 1.045,
        1.104, 1.156, 1.193, 1.214, 1.225, 1.221, 1.197, 1.158, 1.117, 1.077, 1.017, 0.952,
    )  # fmt: skip
    load_hourly_profile_winter: tuple[float, ...] = (
        0.929, 0.915, 0.910, 0.914, 0.932, 0.972, 1.033, 1.070, 1.073, 1.062, 1.045, 1.027,
        1.010, 0.998, 0.988, 0.985, 0.992, 1.015, 1.049, 1.053, 1.046, 1.029, 0.994, 0.958,
    )  # fmt: skip
    load_weekend_factor: float = 0.968
    load_weather_log_volatility: float = 0.045
    load_weather_persistence_days: float = 3.0
    load_noise_log_volatility: float = 0.01

    # --- hashprice: Coin Metrics network data + public 2025 level ---------------------------------
    hashprice_start_usd_per_ph_day: float = 57.2  # Jan 2025, JPMorgan ($57,200/EH/s/day)
    hashprice_daily_log_volatility: float = 0.0413
    hashprice_mean_reversion_days: float = 10.5
    hashprice_trend_log_volatility_per_year: float = 0.39
    difficulty_log_growth_per_year: float = 0.43
    btc_price_log_drift_per_year: float = 0.0  # assumption: no view on the BTC price

    # --- inference demand: Alibaba GenTD26 SD/LoRA requests per hour ÷ busiest hour, on the ------
    # trace's anonymised clock; local hour = trace hour + inference_profile_shift_h -------------
    inference_hourly_profile: tuple[float, ...] = (
        1.000, 0.248, 0.191, 0.189, 0.129, 0.078, 0.098, 0.074, 0.032, 0.019, 0.012, 0.001,
        0.000, 0.000, 0.001, 0.013, 0.157, 0.520, 0.720, 0.143, 0.262, 0.889, 0.925, 0.924,
    )  # fmt: skip
    inference_profile_shift_h: int = -2
    inference_base_fraction: float = 0.0
    inference_weekend_factor: float = 0.8  # assumption (the trace has three weekend days)
    inference_daily_log_volatility: float = 0.25
    inference_step_log_volatility: float = 0.1

    # --- training jobs: SenseTime Helios Venus -----------------------------------------------------
    training_gpu_count_shares: tuple[float, ...] = (
        0.5184, 0.0555, 0.0742, 0.2517, 0.0417, 0.0362, 0.0095, 0.0094, 0.0036,
    )  # fmt: skip
    training_duration_quantile_probs: tuple[float, ...] = (
        0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95,
        0.97, 0.98, 0.99, 1.0,
    )  # fmt: skip
    training_duration_quantiles_s: tuple[float, ...] = (
        1.0, 6.0, 18.0, 50.0, 94.0, 140.0, 204.0, 345.0, 765.0, 1285.0, 2284.0, 5378.0,
        18201.0, 33879.0, 58054.0, 107696.0, 167224.0, 172800.0, 172800.0,
    )  # fmt: skip
    training_duration_median_s: float = 204.0  # target
    training_duration_mean_s: float = 9088.0  # target
    training_duration_max_s: float = 172800.0
    training_arrival_hourly_profile: tuple[float, ...] = (
        0.266, 0.204, 0.188, 0.224, 0.378, 0.807, 1.309, 1.464, 1.166, 1.310, 1.560, 1.665,
        1.726, 1.731, 1.282, 1.311, 1.344, 1.361, 1.145, 1.039, 0.887, 0.653, 0.594, 0.383,
    )  # fmt: skip

    def __post_init__(self) -> None:
        for spec_field in fields(self):
            value = getattr(self, spec_field.name)
            if isinstance(value, list):  # TOML arrays may arrive as lists
                value = tuple(value)
                object.__setattr__(self, spec_field.name, value)
            _check_type(spec_field.name, value, spec_field.type)
        _range("seed", self.seed, 0, 2**32 - 1)  # numpy's seeds; -1 was a traceback at generation
        self._check_rt_prices()
        self._check_da_prices()
        self._check_load()
        self._check_hashprice()
        self._check_inference()
        self._check_training()

    def _check_rt_prices(self) -> None:
        for name in ("rt_mean_usd_per_mwh", "rt_median_usd_per_mwh", "rt_p95_usd_per_mwh",
                     "rt_p99_usd_per_mwh", "price_floor_usd_per_mwh"):
            _finite(name, getattr(self, name))
        _range("rt_negative_share", self.rt_negative_share, 0.0, 1.0)
        _non_negative("rt_hours_at_or_above_1000_usd_per_mwh", self.rt_hours_at_or_above_1000_usd_per_mwh)
        _range("rt_peak_hour_local", self.rt_peak_hour_local, 0, HOURS_PER_DAY - 1)
        _profile("rt_monthly_median_usd_per_mwh", self.rt_monthly_median_usd_per_mwh, MONTHS_PER_YEAR,
                 positive=True)
        _profile("rt_hourly_median_shape", self.rt_hourly_median_shape, HOURS_PER_DAY, positive=True)
        _profile("rt_monthly_negative_share", self.rt_monthly_negative_share, MONTHS_PER_YEAR, upper=1.0)
        _profile("rt_hourly_negative_shape", self.rt_hourly_negative_shape, HOURS_PER_DAY)
        if not self.rt_negative_price_mean_usd_per_mwh < 0:
            raise ModelError(f"{_OWNER}.rt_negative_price_mean_usd_per_mwh: must be < 0, "
                             f"got {self.rt_negative_price_mean_usd_per_mwh!r}")
        _non_negative("rt_scarcity_days_per_year", self.rt_scarcity_days_per_year)
        _profile("rt_scarcity_monthly_share", self.rt_scarcity_monthly_share, MONTHS_PER_YEAR,
                 upper=1.0, total=1.0)
        _range("rt_scarcity_center_hour_local", self.rt_scarcity_center_hour_local, 0.0, 24.0)
        for name in ("rt_scarcity_center_hour_sd", "rt_log_volatility", "rt_evening_extra_log_volatility",
                     "rt_scarcity_peak_log_sd"):
            _non_negative(name, getattr(self, name))
        for name in ("rt_noise_fast_reversion_h", "rt_noise_slow_reversion_days", "rt_negative_persistence_h",
                     "rt_scarcity_peak_median_usd_per_mwh", "rt_scarcity_half_width_h"):
            _positive(name, getattr(self, name))
        _range("rt_noise_slow_variance_share", self.rt_noise_slow_variance_share, 0.0, 1.0)
        if not self.price_floor_usd_per_mwh < 0 < self.price_offer_cap_usd_per_mwh:
            raise ModelError(f"{_OWNER}.price_offer_cap_usd_per_mwh: need floor < 0 < cap, got floor "
                             f"{self.price_floor_usd_per_mwh} and cap {self.price_offer_cap_usd_per_mwh}")
        cap = self.price_offer_cap_usd_per_mwh
        if not (math.isfinite(self.price_spp_max_usd_per_mwh) and self.price_spp_max_usd_per_mwh >= cap):
            raise ModelError(f"{_OWNER}.price_spp_max_usd_per_mwh: must be ≥ the offer cap {cap}, "
                             f"got {self.price_spp_max_usd_per_mwh!r}")

    def _check_da_prices(self) -> None:
        _range("da_rt_correlation", self.da_rt_correlation, -1.0, 1.0)
        for name in ("da_rt_mean_ratio", "da_level_factor", "da_soft_cap_usd_per_mwh",
                     "da_noise_persistence_h"):
            _positive(name, getattr(self, name))
        _finite("da_premium_usd_per_mwh", self.da_premium_usd_per_mwh)
        _range("da_spike_pass_through", self.da_spike_pass_through, 0.0, 1.0)
        _range("da_negative_pass_through", self.da_negative_pass_through, 0.0, 1.0)
        _non_negative("da_log_volatility", self.da_log_volatility)
        _non_negative("da_smoothing_h", self.da_smoothing_h)

    def _check_load(self) -> None:
        _positive("load_mean_mw", self.load_mean_mw)
        if not (math.isfinite(self.load_max_mw) and self.load_max_mw >= self.load_mean_mw):
            raise ModelError(f"{_OWNER}.load_max_mw: must be ≥ load_mean_mw {self.load_mean_mw}, "
                             f"got {self.load_max_mw!r}")
        _range("load_peak_hour_local", self.load_peak_hour_local, 0, HOURS_PER_DAY - 1)
        _range("load_peak_month_first", self.load_peak_month_first, 1, MONTHS_PER_YEAR)
        _range("load_peak_month_last", self.load_peak_month_last, self.load_peak_month_first, MONTHS_PER_YEAR)
        _profile("load_monthly_profile", self.load_monthly_profile, MONTHS_PER_YEAR, positive=True)
        _profile("load_hourly_profile_summer", self.load_hourly_profile_summer, HOURS_PER_DAY, positive=True)
        _profile("load_hourly_profile_winter", self.load_hourly_profile_winter, HOURS_PER_DAY, positive=True)
        _positive("load_weekend_factor", self.load_weekend_factor)
        _non_negative("load_weather_log_volatility", self.load_weather_log_volatility)
        _positive("load_weather_persistence_days", self.load_weather_persistence_days)
        _non_negative("load_noise_log_volatility", self.load_noise_log_volatility)

    def _check_hashprice(self) -> None:
        _positive("hashprice_start_usd_per_ph_day", self.hashprice_start_usd_per_ph_day)
        _non_negative("hashprice_daily_log_volatility", self.hashprice_daily_log_volatility)
        _positive("hashprice_mean_reversion_days", self.hashprice_mean_reversion_days)
        _non_negative("hashprice_trend_log_volatility_per_year", self.hashprice_trend_log_volatility_per_year)
        trend_daily = self.hashprice_trend_log_volatility_per_year / math.sqrt(365.25)
        if trend_daily > self.hashprice_daily_log_volatility:
            raise ModelError(f"{_OWNER}.hashprice_trend_log_volatility_per_year: its daily part "
                             f"{trend_daily:.4f} exceeds hashprice_daily_log_volatility "
                             f"{self.hashprice_daily_log_volatility}")
        _finite("difficulty_log_growth_per_year", self.difficulty_log_growth_per_year)
        _finite("btc_price_log_drift_per_year", self.btc_price_log_drift_per_year)

    def _check_inference(self) -> None:
        _profile("inference_hourly_profile", self.inference_hourly_profile, HOURS_PER_DAY, upper=1.0)
        if max(self.inference_hourly_profile) <= 0:
            raise ModelError(f"{_OWNER}.inference_hourly_profile: needs at least one positive value")
        _range("inference_profile_shift_h", self.inference_profile_shift_h, -23, 23)
        _range("inference_base_fraction", self.inference_base_fraction, 0.0, 1.0)
        _range("inference_weekend_factor", self.inference_weekend_factor, 0.0, 1.0)
        _non_negative("inference_daily_log_volatility", self.inference_daily_log_volatility)
        _non_negative("inference_step_log_volatility", self.inference_step_log_volatility)

    def _check_training(self) -> None:
        _profile("training_gpu_count_shares", self.training_gpu_count_shares, GPU_BUCKET_COUNT,
                 upper=1.0, total=1.0)
        probs = self.training_duration_quantile_probs
        quantiles = self.training_duration_quantiles_s
        _profile("training_duration_quantile_probs", probs, len(probs), upper=1.0)
        if len(probs) < 2 or probs[0] != 0.0 or probs[-1] != 1.0 or _falls(probs, strict=True):
            raise ModelError(f"{_OWNER}.training_duration_quantile_probs: must rise strictly from 0 to 1, "
                             f"got {probs!r}")
        _profile("training_duration_quantiles_s", quantiles, len(probs), positive=True)
        if _falls(quantiles, strict=False):
            raise ModelError(f"{_OWNER}.training_duration_quantiles_s: must not decrease, got {quantiles!r}")
        for name in ("training_duration_median_s", "training_duration_mean_s", "training_duration_max_s"):
            _positive(name, getattr(self, name))
        if quantiles[-1] > self.training_duration_max_s:
            raise ModelError(f"{_OWNER}.training_duration_quantiles_s: last value {quantiles[-1]} exceeds "
                             f"training_duration_max_s {self.training_duration_max_s}")
        _profile("training_arrival_hourly_profile", self.training_arrival_hourly_profile, HOURS_PER_DAY)
        if sum(self.training_arrival_hourly_profile) <= 0:
            raise ModelError(f"{_OWNER}.training_arrival_hourly_profile: needs at least one positive value")


def _check_type(name: str, value: object, annotation: object) -> None:
    expected = str(annotation)
    if expected == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif expected == "tuple[float, ...]":
        ok = isinstance(value, tuple) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        )
    else:  # pragma: no cover - only the types above are used
        ok = True
    if not ok:
        raise ModelError(f"{_OWNER}.{name}: must be {expected}, got {value!r}")


def _finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ModelError(f"{_OWNER}.{name}: must be a finite number, got {value!r}")


def _positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ModelError(f"{_OWNER}.{name}: must be a positive number, got {value!r}")


def _non_negative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ModelError(f"{_OWNER}.{name}: must be a number ≥ 0, got {value!r}")


def _range(name: str, value: float, low: float, high: float) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise ModelError(f"{_OWNER}.{name}: must be in [{low}, {high}], got {value!r}")


def _profile(
    name: str,
    values: tuple[float, ...],
    length: int,
    *,
    positive: bool = False,
    upper: float | None = None,
    total: float | None = None,
) -> None:
    """A tuple of ``length`` finite non-negative (or positive) values, optionally bounded."""
    kind = "positive" if positive else "non-negative"
    if len(values) != length:
        raise ModelError(f"{_OWNER}.{name}: must have {length} {kind} values, got {len(values)}")
    for i, v in enumerate(values):
        bad = not math.isfinite(v) or v < 0 or (positive and v == 0)
        if bad or (upper is not None and v > upper):
            limit = "" if upper is None else f" ≤ {upper}"
            raise ModelError(f"{_OWNER}.{name}[{i}]: must be {kind}{limit}, got {v!r}")
    if total is not None and not math.isclose(sum(values), total, abs_tol=0.01):
        raise ModelError(f"{_OWNER}.{name}: values must sum to {total}, got {sum(values):.4f}")


def _falls(values: tuple[float, ...], *, strict: bool) -> bool:
    """True when some value falls (or, with ``strict``, fails to rise) after its predecessor."""
    pairs = itertools.pairwise(values)
    return any((b <= a) if strict else (b < a) for a, b in pairs)
