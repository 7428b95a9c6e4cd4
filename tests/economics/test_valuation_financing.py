"""EV under both multiples, and what each financing structure asks of the owner."""

from __future__ import annotations

import numpy as np
import pytest

from wattswitch.economics.financing import ProjectFlows, annuity_payment_usd, evaluate_financing
from wattswitch.economics.valuation import ev_range, value_site
from wattswitch.model.catalog import FINANCING


def test_ev_range_and_negative_ebitda() -> None:
    ev = ev_range(10e6, 6, 12)
    assert (ev.low_usd, ev.high_usd, ev.mid_usd) == (60e6, 120e6, 90e6)
    assert ev_range(-5e6, 6, 12).high_usd == 0.0


def test_sum_of_parts_values_ai_at_the_data_center_multiple() -> None:
    v = value_site(10e6, 20e6, 100.0, miner_multiple=(6, 12), dc_multiple=(20, 25))
    assert (v.as_miner.low_usd, v.as_miner.high_usd) == (180e6, 360e6)
    assert (v.sum_of_parts.low_usd, v.sum_of_parts.high_usd) == (6 * 10e6 + 20 * 20e6, 12 * 10e6 + 25 * 20e6)
    assert v.sum_of_parts_usd_per_mw.low_usd == pytest.approx(4.6e6)
    assert v.ebitda_usd == 30e6


def test_annuity_by_hand() -> None:
    # 1000 at 10 % over 2 years: 1000 · 0.1 / (1 − 1.1⁻²) = 576.19
    assert annuity_payment_usd(1000.0, 0.10, 2) == pytest.approx(576.190476)
    assert annuity_payment_usd(1000.0, 0.0, 4) == 250.0
    assert annuity_payment_usd(0.0, 0.1, 5) == 0.0


def _flows() -> ProjectFlows:
    months = 60
    capex = np.zeros(months)
    capex[:12] = 100.0  # 1,200 of capex in year 1
    ai_revenue = np.where(np.arange(months) >= 12, 30.0, 0.0)
    net = ai_revenue * 0.8 - capex
    return ProjectFlows(capex, ai_revenue, net, stabilised_ai_revenue_usd=360.0,
                        stabilised_ai_ebitda_usd=288.0)


def test_project_finance_needs_a_signed_lease() -> None:
    terms = FINANCING["project_finance"]
    unsigned = evaluate_financing(terms, _flows(), cost_of_equity=0.15, lease_signed=False)
    assert not unsigned.available
    assert unsigned.equity_usd == pytest.approx(1200.0)
    signed = evaluate_financing(terms, _flows(), cost_of_equity=0.15, lease_signed=True)
    assert signed.available
    assert signed.debt_usd == pytest.approx(1200.0 * terms.debt_fraction)
    assert signed.equity_usd == pytest.approx(1200.0 * (1 - terms.debt_fraction))
    expected_wacc = (1 - terms.debt_fraction) * 0.15 + terms.debt_fraction * terms.debt_rate
    assert signed.cost_of_capital == pytest.approx(expected_wacc)
    service = annuity_payment_usd(signed.debt_usd, terms.debt_rate, terms.tenor_years)
    assert signed.dscr == pytest.approx(288.0 / service)


def test_cheaper_capital_raises_npv_and_a_partner_cuts_the_cash_needed() -> None:
    equity = evaluate_financing(FINANCING["all_equity"], _flows(), cost_of_equity=0.15, lease_signed=True)
    levered = evaluate_financing(FINANCING["project_finance"], _flows(), cost_of_equity=0.15,
                                 lease_signed=True)
    assert equity.cost_of_capital == 0.15
    assert levered.npv_usd is not None
    assert equity.npv_usd is not None
    assert levered.npv_usd > equity.npv_usd
    partner_terms = FINANCING["hyperscaler_prepay_jv"]
    partner = evaluate_financing(partner_terms, _flows(), cost_of_equity=0.15, lease_signed=False)
    assert partner.partner_usd == pytest.approx(1200.0 * partner_terms.partner_fraction)
    assert partner.equity_usd == pytest.approx(1200.0 * (1 - partner_terms.partner_fraction))
    ppa = evaluate_financing(FINANCING["ppa_lock_in"], _flows(), cost_of_equity=0.15, lease_signed=False)
    assert ppa.cost_of_capital == pytest.approx(0.15 + FINANCING["ppa_lock_in"].equity_cost_delta)
