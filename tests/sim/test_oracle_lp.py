"""The dispatch LP on tiny cases checked by hand, and LP value = replayed ledger profit."""

from __future__ import annotations

import numpy as np
import pytest
from small_site import full_scenario, inputs_for, one_group_scenario

from wattswitch.dispatch.oracle import OraclePolicy
from wattswitch.sim.engine import SimulatedSite

# 1 unit of 1 MW hashing 100 PH/s; at 24 $/PH/day it earns 100 PH/s × 24 / 24 h = $100 per hour.
HASHPRICE_100_USD_PER_MWH = 24.0


def oracle_profit(site: SimulatedSite) -> tuple[float, OraclePolicy]:
    policy = OraclePolicy(
        site.site, site.inputs, site.schedule.power_cap_mw, site.schedule.four_cp_usd_per_mw
    )
    return site.run(policy).totals["profit_usd"], policy


def test_oracle_mines_only_when_the_price_is_below_breakeven() -> None:
    scenario = one_group_scenario(4)
    prices = np.array([10.0, 1000.0, 150.0, 99.0])
    site = SimulatedSite(scenario, inputs_for(scenario, prices, HASHPRICE_100_USD_PER_MWH))
    profit, policy = oracle_profit(site)
    # by hand: on at 10 and 99 (margins 90 and 1 $/MWh), off at 1000 and 150; 0.25 h each
    assert profit == pytest.approx((100 - 10) * 0.25 + (100 - 99) * 0.25)
    np.testing.assert_allclose(policy.plan.normal[0], [1, 0, 0, 1], atol=1e-9)


def test_a_switchover_cost_keeps_the_fleet_on_through_a_short_dip() -> None:
    # switchover 450 s of a 900-s step: a restart loses half an interval's hashing ($12.50)
    scenario = one_group_scenario(3, switchover_s=450.0)
    prices = np.array([10.0, 105.0, 10.0])
    site = SimulatedSite(scenario, inputs_for(scenario, prices, HASHPRICE_100_USD_PER_MWH))
    profit, policy = oracle_profit(site)
    stay_on = (90 - 5 + 90) * 0.25  # the dip costs $1.25, a restart would cost $12.50
    assert profit == pytest.approx(stay_on)
    np.testing.assert_allclose(policy.plan.normal[0], [1, 1, 1], atol=1e-9)


def test_negative_prices_are_earned_not_clipped() -> None:
    scenario = one_group_scenario(2)
    prices = np.array([-50.0, 500.0])
    site = SimulatedSite(scenario, inputs_for(scenario, prices, HASHPRICE_100_USD_PER_MWH))
    profit, _ = oracle_profit(site)
    assert profit == pytest.approx((100 + 50) * 0.25)


def test_lp_objective_plus_constants_equals_the_replayed_ledger_profit() -> None:
    scenario = full_scenario(24)
    rng = np.random.default_rng(3)
    prices = rng.gamma(2.0, 40.0, 24)
    prices[5:8] = [900.0, 2500.0, 300.0]
    load = np.linspace(40_000, 60_000, 24)
    inputs = inputs_for(
        scenario,
        prices,
        55.0,
        system_load=load,
        inference=rng.uniform(0, 1, 24),
        arrivals=rng.uniform(0, 30, 24),
    )
    site = SimulatedSite(scenario, inputs)
    profit, policy = oracle_profit(site)
    ledger = site.run(policy)
    s = site.site
    step_h = s.step_h
    constants = (
        ledger.revenue_usd["reserved"].sum()
        + ledger.revenue_usd["inference"].sum()
        + ledger.revenue_usd["demand_response"].sum()
        - s.ppa_block_mw * step_h * s.ppa_price_usd_per_mwh * 24
        + (s.ppa_block_mw * step_h * prices).sum()
        - ((np.asarray(s.gpu_load_mw(inputs.inference_load_fraction, 0.0))) * step_h * prices).sum()
        - (
            site.schedule.four_cp_usd_per_mw * np.asarray(s.gpu_load_mw(inputs.inference_load_fraction, 0.0))
        ).sum()
    )
    assert policy.plan.objective_usd + constants == pytest.approx(profit, rel=1e-7)
