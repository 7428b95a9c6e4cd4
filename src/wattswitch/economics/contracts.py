"""Contract arithmetic: PPA block settlement, hosting leases, reserved bare metal, on-demand.

PPA settlement is vectorised: the engine passes one array element per interval.

    block_cost   = block_mw · h · ppa_price                      (take-or-pay, every interval)
    resale       = max(block_mw − load_mw, 0) · h · rt_price     (unused block sold back, if allowed)
    rt_purchase  = max(load_mw − block_mw, 0) · h · (rt_price + adder)
    net_cost     = block_cost − resale + rt_purchase

A negative real-time price makes resale a cost and real-time purchases a credit, as in the market.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wattswitch.errors import ModelError
from wattswitch.model import checks
from wattswitch.model.contracts import PowerContract
from wattswitch.model.tenants import Reservation

FloatArray = npt.NDArray[np.float64]
KW_PER_MW = 1000.0


@dataclass(frozen=True)
class PowerSettlement:
    """Per-interval power cost components, USD (arrays of the load's shape)."""

    block_cost_usd: FloatArray
    resale_usd: FloatArray
    rt_purchase_usd: FloatArray

    @property
    def net_cost_usd(self) -> FloatArray:
        """What the site pays per interval: block + real-time purchases − resale."""
        return self.block_cost_usd - self.resale_usd + self.rt_purchase_usd

    @property
    def total_net_cost_usd(self) -> float:
        """Net cost over all intervals."""
        return float(self.net_cost_usd.sum())


def settle_ppa(
    load_mw: npt.ArrayLike,
    rt_price_usd_per_mwh: npt.ArrayLike,
    interval_h: float,
    *,
    block_mw: float = 0.0,
    ppa_price_usd_per_mwh: float = 0.0,
    resell_unused: bool = True,
    rt_adder_usd_per_mwh: float = 0.0,
) -> PowerSettlement:
    """Settle a fixed-price block plus real-time exposure for each interval (see module docstring)."""
    load = np.asarray(load_mw, dtype=np.float64)
    price = np.asarray(rt_price_usd_per_mwh, dtype=np.float64)
    if load.shape != price.shape:
        raise ModelError(f"settle_ppa: load shape {load.shape} differs from price shape {price.shape}")
    checks.positive("settle_ppa", "interval_h", interval_h)
    checks.non_negative("settle_ppa", "block_mw", block_mw)
    if np.any(load < 0):
        raise ModelError("settle_ppa.load_mw: must be ≥ 0 in every interval")
    block_cost = np.full(load.shape, block_mw * interval_h * ppa_price_usd_per_mwh)
    unused_mwh = np.maximum(block_mw - load, 0.0) * interval_h
    resale = unused_mwh * price if resell_unused else np.zeros(load.shape)
    above_mwh = np.maximum(load - block_mw, 0.0) * interval_h
    return PowerSettlement(block_cost, resale, above_mwh * (price + rt_adder_usd_per_mwh))


def settle_power_contract(
    contract: PowerContract,
    load_mw: npt.ArrayLike,
    rt_price_usd_per_mwh: npt.ArrayLike,
    interval_h: float,
) -> PowerSettlement:
    """:func:`settle_ppa` with the terms of a :class:`PowerContract` (no PPA: all real-time)."""
    ppa = contract.ppa
    return settle_ppa(
        load_mw, rt_price_usd_per_mwh, interval_h,
        block_mw=0.0 if ppa is None else ppa.block_mw,
        ppa_price_usd_per_mwh=0.0 if ppa is None else ppa.price_usd_per_mwh,
        resell_unused=ppa is not None and ppa.resell_unused,
        rt_adder_usd_per_mwh=contract.real_time.adder_usd_per_mwh,
    )


@dataclass(frozen=True)
class HostingLease:
    """A colocation lease of ``critical_it_mw`` at ``rent_usd_per_kw_month`` in year 1.

    Rent escalates by ``escalator_fraction_per_year`` each lease year. With ``power_pass_through``
    the tenant reimburses the power bill, so power is neither revenue nor cost to the landlord.
    ``noi_margin_fraction`` is net operating income over rent.
    """

    critical_it_mw: float
    rent_usd_per_kw_month: float
    term_years: int
    escalator_fraction_per_year: float = 0.0
    noi_margin_fraction: float = 0.8
    power_pass_through: bool = True

    def __post_init__(self) -> None:
        checks.positive("HostingLease", "critical_it_mw", self.critical_it_mw)
        checks.positive("HostingLease", "rent_usd_per_kw_month", self.rent_usd_per_kw_month)
        if not isinstance(self.term_years, int) or self.term_years < 1:
            raise ModelError(f"HostingLease.term_years: must be a whole number ≥ 1, got {self.term_years!r}")
        checks.in_range("HostingLease", "escalator_fraction_per_year", self.escalator_fraction_per_year,
                        -0.5, 0.5)
        checks.fraction("HostingLease", "noi_margin_fraction", self.noi_margin_fraction)

    def annual_rent_usd(self) -> FloatArray:
        """Rent billed in each lease year (length ``term_years``)."""
        years = np.arange(self.term_years, dtype=np.float64)
        first_year = self.rent_usd_per_kw_month * KW_PER_MW * 12.0 * self.critical_it_mw
        return first_year * (1.0 + self.escalator_fraction_per_year) ** years

    def monthly_rent_usd(self, months_since_start: npt.ArrayLike) -> FloatArray:
        """Rent billed in each given month since delivery (0 before delivery and after the term)."""
        months = np.asarray(months_since_start, dtype=np.float64)
        lease_year = np.floor(months / 12.0)
        monthly = (self.rent_usd_per_kw_month * KW_PER_MW * self.critical_it_mw
                   * (1.0 + self.escalator_fraction_per_year) ** np.maximum(lease_year, 0.0))
        in_term = (months >= 0) & (months < self.term_years * 12)
        return np.where(in_term, monthly, 0.0)

    @property
    def contract_value_usd(self) -> float:
        """Total rent over the term."""
        return float(self.annual_rent_usd().sum())

    @property
    def mean_revenue_usd_per_mw_year(self) -> float:
        """Average rent per MW of critical IT per year over the term."""
        return self.contract_value_usd / self.term_years / self.critical_it_mw

    @property
    def first_year_noi_usd(self) -> float:
        """Net operating income in lease year 1."""
        return float(self.annual_rent_usd()[0]) * self.noi_margin_fraction


def lease_for_contract_value(
    contract_value_usd: float,
    term_years: int,
    critical_it_mw: float,
    *,
    escalator_fraction_per_year: float = 0.0,
    noi_margin_fraction: float = 0.8,
) -> HostingLease:
    """The lease whose rent over the term sums to ``contract_value_usd`` (solves year-1 rent).

    ``value = rent · 12,000 · MW · Σ_{y<T} (1 + e)^y`` → ``rent = value / (12,000 · MW · Σ (1 + e)^y)``.
    """
    checks.positive("lease_for_contract_value", "contract_value_usd", contract_value_usd)
    checks.positive("lease_for_contract_value", "critical_it_mw", critical_it_mw)
    growth = float(np.sum((1.0 + escalator_fraction_per_year) ** np.arange(term_years, dtype=np.float64)))
    rent = contract_value_usd / (KW_PER_MW * 12.0 * critical_it_mw * growth)
    return HostingLease(critical_it_mw, rent, term_years, escalator_fraction_per_year, noi_margin_fraction)


@dataclass(frozen=True)
class ReservedBill:
    """A reserved bare-metal bill for one period: take-or-pay gross, SLA credit, net."""

    gross_usd: float
    credit_usd: float

    @property
    def net_usd(self) -> float:
        """What the tenant pays after the SLA credit."""
        return self.gross_usd - self.credit_usd


def reserved_bill(
    reservation: Reservation,
    hours: float,
    uptime_fraction: float,
    *,
    gpus_per_node: int = 8,
) -> ReservedBill:
    """Take-or-pay bill: every reserved GPU-hour is billed, used or not, minus the SLA credit."""
    checks.non_negative("reserved_bill", "hours", hours)
    checks.fraction("reserved_bill", "uptime_fraction", uptime_fraction)
    gross = reservation.node_count * gpus_per_node * reservation.price_usd_per_gpu_hour * hours
    return ReservedBill(gross, gross * reservation.sla.credit_fraction(uptime_fraction))


def on_demand_revenue_usd(gpu_hours_sold: npt.ArrayLike, price_usd_per_gpu_hour: float) -> FloatArray:
    """On-demand revenue: only GPU-hours actually sold are billed (element-wise)."""
    hours = np.asarray(gpu_hours_sold, dtype=np.float64)
    if np.any(hours < 0):
        raise ModelError("on_demand_revenue_usd.gpu_hours_sold: must be ≥ 0")
    checks.non_negative("on_demand_revenue_usd", "price_usd_per_gpu_hour", price_usd_per_gpu_hour)
    return hours * price_usd_per_gpu_hour
