"""Monthly cash flows of a strategy: mining on what is not converted, AI on what is, and capex.

Per month m (730 h), pre-tax and unlevered:

- mining runs on ``min(fleet MW, (energised MW − MW whose commissioning has started) / PUE)``
  at hashprice ``h0 · (1 + g)^(m/12)``; a month whose margin (after power, opex and sustaining
  capex) is negative is curtailed — the fleet earns and spends nothing;
- each phase earns from its online month, ramping linearly over ``lease_ramp_months``:
  hosting rent ``MW · 1000 · rent · (1 + e)^lease_year`` with opex ``rent · (1 − NOI margin)``
  (power passed through, or bought at the site price), or bare-metal GPU-hours
  ``GPUs · utilisation · price · (1 + g)^age`` (age of the GPU generation, reset at each refresh)
  with its power and opex;
- a phase's capex is spread evenly over its build months; GPUs are bought when a phase comes
  online and again every ``gpu_life_years``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wattswitch.economics.planning.phasing import PhasePlan
from wattswitch.economics.unit_economics import HOURS_PER_YEAR, mining_revenue_usd_per_mwh

FloatArray = npt.NDArray[np.float64]
HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0


@dataclass(frozen=True)
class ProjectionInputs:
    """Every number a projection uses; sensitivity cases change these with ``dataclasses.replace``."""

    horizon_years: int
    energised_mw: float
    fleet_it_mw: float
    fleet_efficiency_j_per_th: float
    hashprice_usd_per_ph_day: float
    hashprice_change_per_year: float
    power_price_usd_per_mwh: float
    pue_asic: float
    pue_ai: float
    pool_fee_fraction: float
    mining_uptime_fraction: float
    mining_opex_usd_per_mw_year: float
    mining_sustaining_capex_usd_per_mw_year: float
    ai_use: str
    rent_usd_per_kw_month: float
    escalator_fraction_per_year: float
    noi_margin_fraction: float
    power_pass_through: bool
    lease_ramp_months: float
    price_usd_per_gpu_hour: float
    gpu_price_change_per_year: float
    gpu_utilization_fraction: float
    gpus_per_mw_it: float
    gpu_load_fraction: float
    bare_metal_opex_usd_per_mw_year: float
    gpu_capex_usd_per_mw_it: float
    gpu_life_years: float

    @property
    def months(self) -> int:
        """Length of the projection in months."""
        return self.horizon_years * 12


@dataclass(frozen=True)
class CashFlows:
    """Monthly USD amounts of one strategy (positive numbers; costs are subtracted in ``net``)."""

    strategy: str
    mining_revenue_usd: FloatArray
    mining_power_usd: FloatArray
    mining_opex_usd: FloatArray
    mining_capex_usd: FloatArray
    ai_revenue_usd: FloatArray
    ai_power_usd: FloatArray
    ai_opex_usd: FloatArray
    conversion_capex_usd: FloatArray
    gpu_capex_usd: FloatArray
    mining_it_mw: FloatArray

    @property
    def revenue_usd(self) -> FloatArray:
        """Mining plus AI revenue."""
        return self.mining_revenue_usd + self.ai_revenue_usd

    @property
    def mining_ebitda_usd(self) -> FloatArray:
        """Mining revenue less its power and opex."""
        return self.mining_revenue_usd - self.mining_power_usd - self.mining_opex_usd

    @property
    def ai_ebitda_usd(self) -> FloatArray:
        """AI revenue less its power and opex."""
        return self.ai_revenue_usd - self.ai_power_usd - self.ai_opex_usd

    @property
    def capex_usd(self) -> FloatArray:
        """Conversion, GPU and sustaining mining capex."""
        return self.conversion_capex_usd + self.gpu_capex_usd + self.mining_capex_usd

    @property
    def net_cash_usd(self) -> FloatArray:
        """EBITDA less capex."""
        return self.mining_ebitda_usd + self.ai_ebitda_usd - self.capex_usd


def _spread(total_usd: float, start_month: float, end_month: float, months: int) -> FloatArray:
    """``total_usd`` evenly over month indices ⌊start⌋ … ⌈end⌉ − 1 (clipped to the horizon)."""
    out = np.zeros(months)
    first = max(math.floor(start_month), 0)
    last = max(math.ceil(end_month), first + 1)
    span = last - first
    for m in range(first, min(last, months)):
        out[m] = total_usd / span
    return out


def _ramp(months_since_online: FloatArray, ramp_months: float) -> FloatArray:
    if ramp_months <= 0:
        return np.where(months_since_online >= 0, 1.0, 0.0)
    share = np.clip((months_since_online + 1.0) / ramp_months, 0.0, 1.0)
    return np.where(months_since_online >= 0, share, 0.0)


def project(plan: PhasePlan, phase_capex_usd: tuple[float, ...], inputs: ProjectionInputs) -> CashFlows:
    """Monthly cash flows of ``plan``, phase i costing ``phase_capex_usd[i]`` (see module docstring)."""
    n = inputs.months
    month = np.arange(n, dtype=np.float64)
    zeros = np.zeros(n)
    ai_rev, ai_power, ai_opex = zeros.copy(), zeros.copy(), zeros.copy()
    conv_capex, gpu_capex = zeros.copy(), zeros.copy()
    mining_facility_mw = np.full(n, inputs.energised_mw)
    for phase, capex in zip(plan.phases, phase_capex_usd, strict=True):
        conv_capex += _spread(capex, phase.capex_start_month, phase.online_month, n)
        mining_facility_mw -= np.where(month >= phase.commissioning_start_month, phase.facility_mw, 0.0)
        since = month - phase.online_month
        live_mw = phase.it_mw * _ramp(since, inputs.lease_ramp_months)
        years = np.floor(np.maximum(since, 0.0) / 12.0)
        if inputs.ai_use == "hosting":
            rent = live_mw * 1000.0 * inputs.rent_usd_per_kw_month * (
                1.0 + inputs.escalator_fraction_per_year) ** years
            ai_rev += rent
            ai_opex += rent * (1.0 - inputs.noi_margin_fraction)
            if not inputs.power_pass_through:
                ai_power += (live_mw * inputs.gpu_utilization_fraction * inputs.pue_ai
                             * HOURS_PER_MONTH * inputs.power_price_usd_per_mwh)
        else:
            # each GPU generation starts at today's price and loses value as it ages; a refresh resets it
            age_months = np.mod(np.maximum(since, 0.0), inputs.gpu_life_years * 12.0)
            decay = (1.0 + inputs.gpu_price_change_per_year) ** (age_months / 12.0)
            price = inputs.price_usd_per_gpu_hour * decay
            ai_rev += (live_mw * inputs.gpus_per_mw_it * inputs.gpu_utilization_fraction
                       * HOURS_PER_MONTH * price)
            ai_power += (live_mw * inputs.gpu_load_fraction * inputs.pue_ai * HOURS_PER_MONTH
                         * inputs.power_price_usd_per_mwh)
            ai_opex += live_mw * inputs.bare_metal_opex_usd_per_mw_year / 12.0
            buy = phase.online_month
            while buy < n:
                gpu_capex[max(math.floor(buy), 0)] += phase.it_mw * inputs.gpu_capex_usd_per_mw_it
                buy += inputs.gpu_life_years * 12.0
    revenue, power, opex, sustaining, it_mw = _mining(inputs, month, mining_facility_mw)
    return CashFlows(plan.strategy, revenue, power, opex, sustaining, ai_rev, ai_power, ai_opex, conv_capex,
                     gpu_capex, it_mw)


def _mining(
    inputs: ProjectionInputs, month: FloatArray, facility_mw: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    it_mw = np.minimum(inputs.fleet_it_mw, np.maximum(facility_mw, 0.0) / inputs.pue_asic)
    hashprice = inputs.hashprice_usd_per_ph_day * (1.0 + inputs.hashprice_change_per_year) ** (month / 12.0)
    hours = HOURS_PER_MONTH * inputs.mining_uptime_fraction
    if inputs.fleet_efficiency_j_per_th > 0:
        per_mwh = mining_revenue_usd_per_mwh(hashprice, inputs.fleet_efficiency_j_per_th)
    else:
        per_mwh = np.zeros_like(month)
    revenue = it_mw * hours * per_mwh * (1.0 - inputs.pool_fee_fraction)
    power = it_mw * hours * inputs.pue_asic * inputs.power_price_usd_per_mwh
    opex = it_mw * inputs.mining_opex_usd_per_mw_year / 12.0
    sustaining = it_mw * inputs.mining_sustaining_capex_usd_per_mw_year / 12.0
    running = (revenue - power - opex - sustaining) > 0
    return (np.where(running, revenue, 0.0), np.where(running, power, 0.0), np.where(running, opex, 0.0),
            np.where(running, sustaining, 0.0), np.where(running, it_mw, 0.0))
