"""The vectorised path books the same ledger as the step loop, and stays honest."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from small_site import full_scenario, inputs_for, one_group_scenario
from test_engine_properties import random_site

from wattswitch.dispatch.always_on import AlwaysOnPolicy
from wattswitch.dispatch.oracle import OraclePolicy
from wattswitch.dispatch.rows import DecisionArrays, FixedPlan, KnownRows
from wattswitch.errors import InformationLeakError
from wattswitch.model.observation import Decision, Observation
from wattswitch.sim.engine import FixedPlanPolicy, KnownRowsRule, SimulatedSite
from wattswitch.sim.ledger import ENERGY_USES, REVENUE_STREAMS, Ledger

CURTAIL_ABOVE = 60.0


def assert_same_ledger(fast: Ledger, steps: Ledger, rel: float = 1e-9) -> None:
    for key, value in steps.totals.items():
        assert fast.totals[key] == pytest.approx(value, rel=rel, abs=1e-9), key
    np.testing.assert_allclose(fast.asic_mw, steps.asic_mw, rtol=rel, atol=1e-12)
    np.testing.assert_allclose(fast.site_mw, steps.site_mw, rtol=rel, atol=1e-12)
    np.testing.assert_allclose(fast.hashrate_ph_s, steps.hashrate_ph_s, rtol=rel, atol=1e-12)
    np.testing.assert_allclose(fast.energy_cost_usd, steps.energy_cost_usd, rtol=rel, atol=1e-9)
    for use in ENERGY_USES:
        np.testing.assert_allclose(fast.energy_use_mw[use], steps.energy_use_mw[use], rtol=rel, atol=1e-12)
    for stream in REVENUE_STREAMS:
        np.testing.assert_allclose(fast.revenue_usd[stream], steps.revenue_usd[stream], rtol=rel, atol=1e-9)
    np.testing.assert_allclose(fast.clipped_mw, steps.clipped_mw, rtol=rel, atol=1e-12)
    np.testing.assert_allclose(fast.reserved_served, steps.reserved_served, rtol=rel, atol=1e-12)
    np.testing.assert_allclose(fast.inference_served, steps.inference_served, rtol=rel, atol=1e-12)


class CurtailRule:
    """Mine unless the last settled price is above $60/MWh (honest, pointwise)."""

    name = "curtail>60"

    def decide(self, observation: Observation) -> Decision:
        price = observation.rt_price_usd_per_mwh.last()
        on = 0.0 if price > CURTAIL_ABOVE else 1.0
        count = len(observation.asic_on_fraction)
        return Decision((on,) * count, (0.0,) * count, float("inf") if on else 0.0)

    def decide_rows(self, known: KnownRows) -> DecisionArrays:
        on = np.where(known.last_rt_price_usd_per_mwh > CURTAIL_ABOVE, 0.0, 1.0)
        count = self.count
        return DecisionArrays(
            np.tile(on, (count, 1)), np.zeros((count, len(known))), np.where(on > 0, np.inf, 0.0)
        )

    def __init__(self, count: int) -> None:
        self.count = count


class PeekingRule(CurtailRule):
    """Undoes the lag with ``np.roll`` to read each interval's own price: must fail."""

    name = "peeking-rule"

    def decide_rows(self, known: KnownRows) -> DecisionArrays:
        own = np.roll(known.last_rt_price_usd_per_mwh, -1)
        on = np.where(own > CURTAIL_ABOVE, 0.0, 1.0)
        count = self.count
        return DecisionArrays(np.tile(on, (count, 1)), np.zeros((count, len(known))), np.zeros(len(known)))


def random_plan(site: SimulatedSite, seed: int) -> DecisionArrays:
    """Decisions of every kind: out of range, over the cap, partly on, with and without training."""
    rng = np.random.default_rng(seed)
    groups, periods = site.site.asic_count, site.inputs.periods
    normal = rng.choice([0.0, 0.3, 1.0, 1.2, -0.1], size=(groups, periods))
    low = rng.choice([0.0, 0.5, 1.0], size=(groups, periods))
    training = rng.choice([0.0, 1.0, 5.0, np.inf, 1e9, -1.0], size=periods)
    return DecisionArrays(normal, low, training)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_site(), st.integers(0, 2**31))
def test_a_fixed_plan_books_the_same_on_both_paths(site: SimulatedSite, seed: int) -> None:
    policy = FixedPlan("random", random_plan(site, seed))
    assert isinstance(policy, FixedPlanPolicy)
    assert_same_ledger(site.run(policy), site.run_steps(policy))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_site())
def test_always_on_and_the_oracle_book_the_same_on_both_paths(site: SimulatedSite) -> None:
    always_on = AlwaysOnPolicy(site.site)
    assert isinstance(always_on, KnownRowsRule)
    assert_same_ledger(site.run(always_on), site.run_steps(always_on))
    oracle = OraclePolicy(
        site.site, site.inputs, site.schedule.power_cap_mw, site.schedule.four_cp_usd_per_mw
    )
    fast = site.run(oracle)
    assert_same_ledger(fast, site.run_steps(oracle))
    # the replay reproduces the LP's value (profit up to the constants the LP leaves out)
    assert fast.totals["power_limit_violations"] == 0


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_site())
def test_a_pointwise_rule_books_the_same_on_both_paths(site: SimulatedSite) -> None:
    rule = CurtailRule(site.site.asic_count)
    assert_same_ledger(site.run(rule), site.run_steps(rule))


def test_the_fast_path_is_taken_and_sees_only_the_past() -> None:
    scenario = one_group_scenario(8)
    prices = np.array([10.0, 100.0, 10.0, 100.0, 100.0, 10.0, 10.0, 100.0])
    site = SimulatedSite(scenario, inputs_for(scenario, prices, 60.0))
    seen: list[KnownRows] = []

    class Spy(CurtailRule):
        def decide(self, observation: Observation) -> Decision:  # noqa: ARG002
            raise AssertionError("the step loop ran")

        def decide_rows(self, known: KnownRows) -> DecisionArrays:
            seen.append(known)
            assert not known.last_rt_price_usd_per_mwh.flags.writeable
            return super().decide_rows(known)

    ledger = site.run(Spy(1))
    assert len(seen) == 2  # asked under two shuffles
    # each row holds the last settled price, never its own: rows are a shuffle of NaN, p0 … p6
    last = np.sort(seen[0].last_rt_price_usd_per_mwh)
    np.testing.assert_array_equal(last[:-1], np.sort(prices[:-1]))
    assert np.isnan(last[-1])
    on = (ledger.asic_mw[0] > 0).astype(int)
    np.testing.assert_array_equal(on, [1, 1, 0, 1, 0, 0, 1, 1])  # curtailed the interval after a spike


def test_a_rule_that_peeks_through_the_rows_fails_loudly() -> None:
    scenario = one_group_scenario(96)
    prices = np.random.default_rng(3).uniform(0, 120, 96)
    site = SimulatedSite(scenario, inputs_for(scenario, prices, 60.0))
    with pytest.raises(InformationLeakError, match="peeking-rule"):
        site.run(PeekingRule(1))
    # on the step loop, the same rule can only read the past
    assert site.run_steps(PeekingRule(1)).totals["power_limit_violations"] == 0


def test_a_plan_of_the_wrong_shape_is_refused() -> None:
    scenario = full_scenario(8, dr=False)
    site = SimulatedSite(scenario, inputs_for(scenario, np.full(8, 30.0), 60.0))
    groups = site.site.asic_count
    with pytest.raises(ValueError, match="intervals"):
        site.run(FixedPlan("short", DecisionArrays(np.ones((groups, 7)), np.zeros((groups, 7)), np.zeros(7))))
    with pytest.raises(ValueError, match="groups"):
        site.run_plan(
            "wide", DecisionArrays(np.ones((groups + 1, 8)), np.zeros((groups + 1, 8)), np.zeros(8))
        )
