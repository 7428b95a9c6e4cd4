"""A run's per-interval records, downsampled to hourly arrays for storage.

A year at 15-min steps (35,040 intervals) becomes 8,760 values per series: powers and prices as
hourly means, money as hourly sums. Values are rounded (MW to kW, USD to cents) and missing ones
(NaN) become null, so each series is a compact JSON array written in one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from wattswitch.report.simulation_report import interval_profit_usd
from wattswitch.sim.ledger import ENERGY_USES, REVENUE_STREAMS, Ledger

HOUR_S = 3600
INPUTS = "inputs"  # the policy name under which policy-independent series (prices) are kept


@dataclass(frozen=True)
class Series:
    """One named series of one policy: values on a regular grid from ``start_utc``."""

    policy: str
    name: str
    unit: str
    start_utc: datetime
    step_s: int
    values: list[float | None]


def bucket(values: npt.ArrayLike, step_s: int, how: str, bucket_s: int = HOUR_S) -> npt.NDArray[np.float64]:
    """Values on ``step_s`` grouped into ``bucket_s`` buckets: ``mean`` (NaN-aware) or ``sum``.

    A last, partial bucket is kept (its mean covers what exists; its sum is the partial sum).
    """
    array = np.asarray(values, dtype=np.float64)
    per = max(bucket_s // step_s, 1)
    count = -(-array.size // per)
    padded = np.full(count * per, np.nan)
    padded[: array.size] = array
    grouped = padded.reshape(count, per)
    finite = np.isfinite(grouped)
    totals = np.where(finite, grouped, 0.0).sum(axis=1)
    seen = finite.sum(axis=1)
    if how == "sum":
        return np.where(seen > 0, totals, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(seen > 0, totals / np.maximum(seen, 1), np.nan)


def _rounded(values: npt.NDArray[np.float64], digits: int) -> list[float | None]:
    rounded = np.round(values, digits)
    return [float(v) if np.isfinite(v) else None for v in rounded]


def ledger_series(ledger: Ledger, bucket_s: int = HOUR_S) -> list[Series]:
    """Power by use, site load and cap, revenue by stream, energy cost and profit of one policy."""
    step_s = ledger.site.step_s
    start = ledger.start_utc
    out: list[Series] = []

    def add(name: str, unit: str, values: npt.ArrayLike, how: str, digits: int) -> None:
        data = _rounded(bucket(values, step_s, how, bucket_s), digits)
        out.append(Series(ledger.policy, name, unit, start, bucket_s, data))

    add("site_mw", "MW", ledger.site_mw, "mean", 3)
    add("power_cap_mw", "MW", ledger.schedule.power_cap_mw, "mean", 3)
    for use in ENERGY_USES:
        add(f"{use}_mw", "MW", ledger.energy_use_mw[use], "mean", 3)
    add("hashrate_ph_s", "PH/s", ledger.hashrate_ph_s, "mean", 2)
    for stream in REVENUE_STREAMS:
        add(f"revenue_{stream}_usd", "USD", ledger.revenue_usd[stream], "sum", 2)
    add("energy_cost_usd", "USD", ledger.energy_cost_usd, "sum", 2)
    add("profit_usd", "USD", interval_profit_usd(ledger), "sum", 2)
    return out


def input_series(ledger: Ledger, bucket_s: int = HOUR_S) -> list[Series]:
    """The prices every policy saw (stored once per run, under the policy name ``inputs``)."""
    step_s = ledger.site.step_s
    inputs = ledger.inputs
    pairs = (
        ("rt_price_usd_per_mwh", "USD/MWh", inputs.rt_price_usd_per_mwh),
        ("da_price_usd_per_mwh", "USD/MWh", inputs.da_price_usd_per_mwh),
        ("hashprice_usd_per_ph_day", "USD/PH/day", inputs.hashprice_usd_per_ph_day),
    )
    return [
        Series(
            INPUTS,
            name,
            unit,
            ledger.start_utc,
            bucket_s,
            _rounded(bucket(values, step_s, "mean", bucket_s), 2),
        )
        for name, unit, values in pairs
    ]
