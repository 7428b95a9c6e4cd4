"""What one MWh (and one MW-year) earns in each use: mining, GPU rental, hosting, inference.

Mining, derived from hashprice (USD per PH/s per day) and efficiency (J/TH = W per TH/s):

    1 MW of miners at E J/TH hashes 1e6 / E TH/s = 1000 / E PH/s
    revenue per day  = hashprice · 1000 / E                  (USD per MW-day)
    revenue per MWh  = hashprice · 1000 / (24 · E)           (1 MW-day = 24 MWh)

e.g. $50/PH/day on a 17.5 J/TH S21: 50 · 1000 / (24 · 17.5) = $119.05 per MWh of IT energy. The
breakeven power price is that revenue net of pool fees, per MWh bought at the meter (÷ PUE).

Every function works element-wise on floats, numpy arrays and pandas Series (the first argument
sets the type). "Per MWh" means per MWh of IT energy unless a ``pue`` is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from wattswitch.errors import ModelError
from wattswitch.model.catalog.hardware import AsicSpec, GpuSpec

HOURS_PER_DAY = 24.0
HOURS_PER_YEAR = 8760.0
MONTHS_PER_YEAR = 12.0
KW_PER_MW = 1000.0
PH_PER_EH = 1000.0

Values = TypeVar("Values", float, npt.NDArray[np.float64], "pd.Series[float]")


def _positive(name: str, value: float) -> None:
    if not (np.isfinite(value) and value > 0):
        raise ModelError(f"{name}: must be a positive number, got {value!r}")


def mining_revenue_usd_per_mwh(hashprice_usd_per_ph_day: Values, efficiency_j_per_th: float) -> Values:
    """Gross mining revenue per MWh of miner energy: ``hashprice · 1000 / (24 · J/TH)``.

    >>> round(mining_revenue_usd_per_mwh(50.0, 17.5), 2)
    119.05
    """
    _positive("efficiency_j_per_th", efficiency_j_per_th)
    return hashprice_usd_per_ph_day * (PH_PER_EH / (HOURS_PER_DAY * efficiency_j_per_th))


def mining_breakeven_usd_per_mwh(
    hashprice_usd_per_ph_day: Values,
    efficiency_j_per_th: float,
    *,
    pool_fee_fraction: float = 0.0,
    pue: float = 1.0,
    other_opex_usd_per_mwh: float = 0.0,
) -> Values:
    """Highest power price (USD per MWh at the meter) at which mining still covers its costs.

    ``(revenue per IT-MWh · (1 − pool fee) − other opex per IT-MWh) / PUE``.
    """
    _positive("pue", pue)
    revenue = mining_revenue_usd_per_mwh(hashprice_usd_per_ph_day, efficiency_j_per_th)
    return (revenue * (1.0 - pool_fee_fraction) - other_opex_usd_per_mwh) / pue


def hashprice_for_breakeven_usd_per_ph_day(power_price_usd_per_mwh: float, efficiency_j_per_th: float,
                                            *, pue: float = 1.0) -> float:
    """Hashprice at which a miner's revenue equals its power bill (inverse of the breakeven)."""
    _positive("efficiency_j_per_th", efficiency_j_per_th)
    return power_price_usd_per_mwh * pue * HOURS_PER_DAY * efficiency_j_per_th / PH_PER_EH


def gpu_rental_revenue_usd_per_mwh(
    price_usd_per_gpu_hour: Values,
    gpu: GpuSpec,
    *,
    utilization_fraction: float = 1.0,
    pue: float = 1.0,
) -> Values:
    """Bare-metal rental revenue per MWh of energy at full system power.

    One system earns ``price · gpus · utilization`` per hour and draws ``system_power_kw · PUE``;
    capacity is reserved, so the energy divisor is the full system power.
    """
    _positive("pue", pue)
    mwh_per_hour = gpu.system_power_kw / KW_PER_MW * pue
    return price_usd_per_gpu_hour * (gpu.gpus_per_system * utilization_fraction / mwh_per_hour)


def hosting_revenue_usd_per_mwh(rent_usd_per_kw_month: Values, *, load_factor: float = 1.0) -> Values:
    """Lease rent per MWh of critical-IT energy actually drawn (rent is per kW of capacity).

    ``rent · 1000 kW/MW · 12 / 8760 h / load_factor`` — $120/kW-month at full load is $164.38/MWh.
    """
    _positive("load_factor", load_factor)
    return rent_usd_per_kw_month * (KW_PER_MW * MONTHS_PER_YEAR / HOURS_PER_YEAR / load_factor)


def hosting_noi_usd_per_mw_year(rent_usd_per_kw_month: Values, noi_margin_fraction: float) -> Values:
    """Net operating income per MW of leased critical IT per year (rent · 12,000 · NOI margin)."""
    return rent_usd_per_kw_month * (KW_PER_MW * MONTHS_PER_YEAR * noi_margin_fraction)


def inference_revenue_usd_per_mwh(
    price_usd_per_million_tokens: Values,
    tokens_per_s_per_system: float,
    gpu: GpuSpec,
    *,
    utilization_fraction: float = 1.0,
    pue: float = 1.0,
) -> Values:
    """Token revenue per MWh at full system power: tokens/h · price / 1e6 over system MWh/h."""
    _positive("pue", pue)
    tokens_per_hour = tokens_per_s_per_system * 3600.0 * utilization_fraction
    mwh_per_hour = gpu.system_power_kw / KW_PER_MW * pue
    return price_usd_per_million_tokens * (tokens_per_hour / 1e6 / mwh_per_hour)


def revenue_usd_per_mw_year(revenue_usd_per_mwh: Values, *, capacity_factor: float = 1.0) -> Values:
    """Revenue per MW-year from revenue per MWh: ``· 8760 h · capacity_factor``."""
    return revenue_usd_per_mwh * (HOURS_PER_YEAR * capacity_factor)


@dataclass(frozen=True)
class AsicBreakeven:
    """One ASIC model's revenue and breakeven power price at a given hashprice."""

    model: str
    efficiency_j_per_th: float
    revenue_usd_per_mwh: float
    breakeven_usd_per_mwh: float
    revenue_usd_per_mw_year: float


def asic_breakevens(
    asics: Iterable[AsicSpec],
    hashprice_usd_per_ph_day: float,
    *,
    pool_fee_fraction: float = 0.0,
    pue: float = 1.0,
) -> list[AsicBreakeven]:
    """Revenue per MWh and breakeven power price of each model, most efficient first."""
    rows = [
        AsicBreakeven(
            spec.model,
            spec.efficiency_j_per_th,
            mining_revenue_usd_per_mwh(hashprice_usd_per_ph_day, spec.efficiency_j_per_th),
            mining_breakeven_usd_per_mwh(hashprice_usd_per_ph_day, spec.efficiency_j_per_th,
                                         pool_fee_fraction=pool_fee_fraction, pue=pue),
            revenue_usd_per_mw_year(
                mining_revenue_usd_per_mwh(hashprice_usd_per_ph_day, spec.efficiency_j_per_th)
            ),
        )
        for spec in asics
    ]
    return sorted(rows, key=lambda r: r.efficiency_j_per_th)
