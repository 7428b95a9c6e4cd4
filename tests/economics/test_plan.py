"""Phasing, monthly cash flows, the strategies compared and the tornado, on the fixture site."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from wattswitch.economics.cashflow import npv
from wattswitch.economics.planning.phasing import Phase, PhasePlan
from wattswitch.economics.planning.plan import plan_site, projection_inputs
from wattswitch.economics.planning.projection import HOURS_PER_MONTH, project
from wattswitch.economics.planning.sensitivity import SensitivityCase, tornado
from wattswitch.economics.unit_economics import mining_revenue_usd_per_mwh
from wattswitch.model.site_assessment import SiteAssessment


def test_mining_month_by_hand(mining_site: SiteAssessment) -> None:
    inputs = projection_inputs(mining_site)
    flows = project(PhasePlan("keep_mining", (), 100.0), (), inputs)
    # 20,000 S21 = 70 MW of IT at 17.5 J/TH; month 0 at the plan's hashprice
    assert inputs.fleet_it_mw == pytest.approx(70.0)
    per_mwh = mining_revenue_usd_per_mwh(inputs.hashprice_usd_per_ph_day, 17.5)
    hours = HOURS_PER_MONTH * inputs.mining_uptime_fraction
    expected = 70.0 * hours * per_mwh * (1 - inputs.pool_fee_fraction)
    assert flows.mining_revenue_usd[0] == pytest.approx(expected)
    assert flows.mining_power_usd[0] == pytest.approx(70.0 * hours * inputs.pue_asic * 35.0)
    assert flows.ai_revenue_usd.sum() == 0.0


def test_hosting_phase_by_hand(mining_site: SiteAssessment) -> None:
    inputs = dataclasses.replace(projection_inputs(mining_site), lease_ramp_months=2.0,
                                 escalator_fraction_per_year=0.10, noi_margin_fraction=0.8)
    phase = Phase(1, facility_mw=100.0, it_mw=50.0, capex_start_month=2.0, commissioning_start_month=8.0,
                  online_month=10.0)
    flows = project(PhasePlan("convert", (phase,), 0.0), (120e6,), inputs)
    rent = 50.0 * 1000.0 * inputs.rent_usd_per_kw_month  # per month at full occupancy
    assert flows.ai_revenue_usd[9] == 0.0
    assert flows.ai_revenue_usd[10] == pytest.approx(rent * 0.5)  # ramp: half in the first month
    assert flows.ai_revenue_usd[11] == pytest.approx(rent)
    assert flows.ai_revenue_usd[22] == pytest.approx(rent * 1.10)  # second lease year
    assert flows.ai_opex_usd[11] == pytest.approx(rent * 0.2)
    assert flows.ai_power_usd.sum() == 0.0  # passed through
    assert flows.conversion_capex_usd[2:10].tolist() == pytest.approx([15e6] * 8)
    assert flows.conversion_capex_usd.sum() == pytest.approx(120e6)
    assert flows.mining_it_mw[7] > 0
    assert flows.mining_it_mw[8] == 0.0  # the miners stop when commissioning needs the power


def test_bare_metal_buys_gpus_and_pays_power(mining_site: SiteAssessment) -> None:
    site = dataclasses.replace(mining_site, plan=dataclasses.replace(mining_site.plan, ai_use="bare_metal"))
    inputs = dataclasses.replace(projection_inputs(site), lease_ramp_months=0.0, gpu_life_years=5.0)
    phase = Phase(1, 100.0, 50.0, 0.0, 10.0, 12.0)
    flows = project(PhasePlan("convert", (phase,), 0.0), (0.0,), inputs)
    assert np.flatnonzero(flows.gpu_capex_usd).tolist() == [12, 72, 132]
    assert flows.gpu_capex_usd[12] == pytest.approx(50.0 * inputs.gpu_capex_usd_per_mw_it)
    gpus = 50.0 * inputs.gpus_per_mw_it
    assert flows.ai_revenue_usd[12] == pytest.approx(
        gpus * inputs.gpu_utilization_fraction * HOURS_PER_MONTH * inputs.price_usd_per_gpu_hour)
    assert flows.ai_power_usd[12] > 0
    assert flows.ai_revenue_usd[24] == pytest.approx(
        flows.ai_revenue_usd[12] * (1 + inputs.gpu_price_change_per_year))  # a year older, cheaper
    assert flows.ai_revenue_usd[72] == pytest.approx(flows.ai_revenue_usd[12])  # new GPUs, today's price


def test_build_capex_counts_the_first_gpus_only(mining_site: SiteAssessment) -> None:
    site = dataclasses.replace(mining_site, plan=dataclasses.replace(mining_site.plan, ai_use="bare_metal"))
    plan = plan_site(site)
    convert = plan.strategy("convert")
    assert convert.capex_usd == pytest.approx(plan.capex.total_usd(include_gpus=True))
    assert convert.lifetime_capex_usd > convert.capex_usd  # GPU refreshes within 15 years


def test_plan_compares_the_three_strategies(mining_site: SiteAssessment) -> None:
    plan = plan_site(mining_site)
    assert [r.strategy for r in plan.strategies] == ["keep_mining", "convert", "phased"]
    keep, convert, phased = plan.strategies
    rate = mining_site.plan.discount_rate
    assert convert.npv_usd == pytest.approx(npv(rate, convert.flows.net_cash_usd, 12))
    assert convert.incremental_npv_usd == pytest.approx(convert.npv_usd - keep.npv_usd)
    assert keep.capex_usd == 0.0
    assert 0 < phased.capex_usd < convert.capex_usd
    assert phased.phases.mining_base_mw == pytest.approx(25.0)  # catalog default: a quarter stays mining
    assert len(phased.phases.phases) == 2
    assert plan.recommended == max(plan.strategies, key=lambda r: r.npv_usd).strategy
    assert convert.capex_usd == pytest.approx(plan.capex.total_usd(include_gpus=False))
    assert plan.sequential.total_months > plan.parallel.total_months


def test_blocked_site_stays_a_mine(mining_site: SiteAssessment) -> None:
    site = dataclasses.replace(mining_site, land=dataclasses.replace(mining_site.land, zoning="denied"))
    plan = plan_site(site)
    assert plan.recommended == "keep_mining"
    assert not plan.strategy("convert").feasible


def test_tornado_moves_the_way_finance_expects(mining_site: SiteAssessment) -> None:
    plan = plan_site(mining_site)
    rows = {r.variable: r for r in plan.tornado}
    assert set(rows) == {"Hashprice", "Hosting rent", "Capex", "Delay", "Power price", "Discount rate"}
    assert rows["Hosting rent"].high_value > rows["Hosting rent"].low_value
    assert rows["Capex"].low_value > rows["Capex"].high_value
    assert rows["Delay"].low_value > rows["Delay"].high_value
    assert rows["Hashprice"].low_value >= rows["Hashprice"].high_value  # dearer hashprice: mining worth more
    swings = [r.swing for r in plan.tornado]
    assert swings == sorted(swings, reverse=True)


def test_tornado_sorts_by_swing() -> None:
    rows = tornado([
        SensitivityCase("small", "lo", "hi", lambda: 9.0, lambda: 11.0),
        SensitivityCase("big", "lo", "hi", lambda: 0.0, lambda: 30.0),
    ])
    assert [r.variable for r in rows] == ["big", "small"]
    assert rows[0].swing == 30.0


def test_valuation_rerates_ai_ebitda(mining_site: SiteAssessment) -> None:
    convert = plan_site(mining_site).strategy("convert")
    v = convert.valuation
    assert v.ai_ebitda_usd > 0
    assert v.sum_of_parts.low_usd > v.as_miner.high_usd  # 20x beats 12x
