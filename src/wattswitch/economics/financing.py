"""Financing structures for conversion capex: cash the owner must put in and the cost of capital.

For each structure (see ``FINANCING`` in the catalog): debt funds ``debt_fraction`` of capex
(an annuity over ``tenor_years``), a partner funds ``partner_fraction`` for a share of AI revenue,
equity funds the rest. The weighted cost of capital is ``(E·k_e + D·k_d) / (E + D)``; the project's
cash flows (after the partner's funding and revenue share) are discounted at it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from wattswitch.economics.cashflow import npv
from wattswitch.model import checks
from wattswitch.model.catalog.finance import FinancingTerms

FloatArray = npt.NDArray[np.float64]


def annuity_payment_usd(principal_usd: float, rate_per_year: float, years: int) -> float:
    """Level annual payment that repays ``principal_usd`` with interest over ``years``.

    ``P · r / (1 − (1 + r)^−n)``; ``P / n`` at a zero rate; 0 for no principal.
    """
    checks.non_negative("annuity_payment_usd", "principal_usd", principal_usd)
    if principal_usd == 0.0 or years <= 0:
        return 0.0
    if rate_per_year == 0.0:
        return principal_usd / years
    return principal_usd * rate_per_year / (1.0 - (1.0 + rate_per_year) ** -years)


@dataclass(frozen=True)
class FinancingOutcome:
    """What a structure means for the owner: upfront equity, debt, service, cost of capital, NPV."""

    key: str
    label: str
    available: bool
    note: str
    capex_usd: float
    equity_usd: float
    debt_usd: float
    partner_usd: float
    annual_debt_service_usd: float
    cost_of_capital: float
    dscr: float | None
    npv_usd: float | None


@dataclass(frozen=True)
class ProjectFlows:
    """Monthly project cash flows a structure is applied to (same length arrays, USD)."""

    capex_usd: FloatArray
    ai_revenue_usd: FloatArray
    net_cash_usd: FloatArray
    stabilised_ai_revenue_usd: float
    stabilised_ai_ebitda_usd: float


def evaluate_financing(
    terms: FinancingTerms,
    flows: ProjectFlows,
    *,
    cost_of_equity: float,
    lease_signed: bool,
) -> FinancingOutcome:
    """Apply one structure to a project's flows (see module docstring)."""
    capex = float(flows.capex_usd.sum())
    if terms.requires_signed_lease and not lease_signed:
        return FinancingOutcome(
            terms.key, terms.label, False, "needs a signed lease with a creditworthy tenant",
            capex, capex, 0.0, 0.0, 0.0, cost_of_equity, None, None,
        )
    debt = capex * terms.debt_fraction
    partner = capex * terms.partner_fraction
    equity = capex - debt - partner
    k_equity = cost_of_equity + terms.equity_cost_delta
    funded = equity + debt
    wacc = k_equity if funded <= 0 else (equity * k_equity + debt * terms.debt_rate) / funded
    service = annuity_payment_usd(debt, terms.debt_rate, terms.tenor_years)
    ai_ebitda_to_owner = (flows.stabilised_ai_ebitda_usd
                          - terms.partner_revenue_share * flows.stabilised_ai_revenue_usd)
    dscr = None if service == 0.0 else float(ai_ebitda_to_owner / service)
    owner_flows = (flows.net_cash_usd + terms.partner_fraction * flows.capex_usd
                   - terms.partner_revenue_share * flows.ai_revenue_usd)
    note = _note(terms)
    return FinancingOutcome(
        terms.key, terms.label, True, note, capex, equity, debt, partner, service, wacc, dscr,
        npv(wacc, owner_flows, periods_per_year=12),
    )


def _note(terms: FinancingTerms) -> str:
    parts = []
    if terms.debt_fraction:
        parts.append(f"{terms.debt_fraction:.0%} debt at {terms.debt_rate:.2%} over {terms.tenor_years} y")
    if terms.partner_fraction:
        parts.append(f"partner funds {terms.partner_fraction:.0%} for {terms.partner_revenue_share:.0%} "
                     "of AI revenue")
    if terms.equity_cost_delta:
        parts.append(f"cost of equity {terms.equity_cost_delta * 100:+.1f} pt")
    return "; ".join(parts) or "all equity"
