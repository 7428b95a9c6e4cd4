"""Per-interval inputs of a simulation, as numpy arrays on the scenario's grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattswitch.errors import ModelError

ARRAY_FIELDS = (
    "rt_price_usd_per_mwh",
    "da_price_usd_per_mwh",
    "system_load_mw",
    "hashprice_usd_per_ph_day",
    "inference_load_fraction",
    "training_arrivals_node_hours",
    "local_hour",
    "local_month",
    "utc_day",
)


@dataclass(frozen=True)
class SiteInputs:
    """Signals a simulation replays, one value per interval (length ``periods``).

    ``rt_price_usd_per_mwh`` must be complete (gaps are bridged before, and counted in
    ``filled_price_intervals``); ``da_price_usd_per_mwh`` and ``system_load_mw`` may hold NaN
    where the data has none. ``hashprice_usd_per_ph_day`` is the day's realised value.
    ``training_arrivals_node_hours`` is the work submitted in each interval (node-hours).
    ``local_hour``/``local_month`` are the site's calendar; ``utc_day`` numbers UTC days.

    ``rt_price_native_step_s`` and ``system_load_native_step_s`` are the steps the price and
    load were recorded at (0: the grid's own step). A coarser value laid on a finer grid
    (an hourly load on 15-min intervals) is an average over its whole period, so it is only
    known once that period has ended; the run's schedule turns these into known-until indices.
    """

    rt_price_usd_per_mwh: np.ndarray
    da_price_usd_per_mwh: np.ndarray
    system_load_mw: np.ndarray
    hashprice_usd_per_ph_day: np.ndarray
    inference_load_fraction: np.ndarray
    training_arrivals_node_hours: np.ndarray
    local_hour: np.ndarray
    local_month: np.ndarray
    utc_day: np.ndarray
    filled_price_intervals: int = 0
    rt_price_native_step_s: int = 0
    system_load_native_step_s: int = 0

    def __post_init__(self) -> None:
        periods = len(self.rt_price_usd_per_mwh)
        for name in ARRAY_FIELDS:
            values = getattr(self, name)
            if len(values) != periods:
                raise ModelError(f"SiteInputs.{name}: {len(values)} values, expected {periods}")
        if np.isnan(self.rt_price_usd_per_mwh).any():
            raise ModelError("SiteInputs.rt_price_usd_per_mwh: gaps must be bridged (and counted) first")
        if np.isnan(self.hashprice_usd_per_ph_day).any():
            raise ModelError("SiteInputs.hashprice_usd_per_ph_day: has missing days")
        fractions = self.inference_load_fraction
        if np.isnan(fractions).any() or (fractions < 0).any() or (fractions > 1).any():
            raise ModelError("SiteInputs.inference_load_fraction: must lie in [0, 1]")
        if (self.training_arrivals_node_hours < 0).any():
            raise ModelError("SiteInputs.training_arrivals_node_hours: must be ≥ 0")
        for name in ("rt_price_native_step_s", "system_load_native_step_s"):
            if getattr(self, name) < 0:
                raise ModelError(f"SiteInputs.{name}: must be ≥ 0 (0: recorded on the grid's step)")

    @property
    def periods(self) -> int:
        """Number of intervals."""
        return len(self.rt_price_usd_per_mwh)

    def window(self, start: int, stop: int) -> SiteInputs:
        """The inputs of intervals ``[start, stop)``."""
        return SiteInputs(
            **{name: getattr(self, name)[start:stop] for name in ARRAY_FIELDS},
            filled_price_intervals=self.filled_price_intervals,
            rt_price_native_step_s=self.rt_price_native_step_s,
            system_load_native_step_s=self.system_load_native_step_s,
        )
