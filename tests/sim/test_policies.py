"""Behaviour of the honest policies on hand-made price paths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from small_site import full_scenario, inputs_for

from wattswitch.dispatch.mpc import MpcPolicy, column_nanmedian
from wattswitch.dispatch.threshold import ThresholdPolicy, ThresholdSettings
from wattswitch.sim.engine import SimulatedSite
from wattswitch.sim.runner import capture, compare

PERIODS = 96


def _site(prices: np.ndarray, *, hashprice: float = 60.0, load: np.ndarray | None = None) -> SimulatedSite:
    scenario = full_scenario(len(prices), dr=False)
    return SimulatedSite(scenario, inputs_for(scenario, prices, hashprice, system_load=load))


def test_threshold_curtails_the_less_efficient_group_first_one_interval_late() -> None:
    prices = np.full(12, 20.0)
    site = _site(prices)
    breakeven = site.site.mining_usd_per_mwh(60.0)
    s21, s19 = breakeven  # S21 earns more per MWh than the S19
    prices[4:8] = (s19 + s21) / 2 - 2.0  # above S19's breakeven (adder included), below S21's
    site = _site(prices)
    ledger = site.run(ThresholdPolicy(site.site, ThresholdSettings(use_low_power=False, resume_intervals=2)))
    on = ledger.asic_mw / site.site.asic_power_mw[:, None]
    np.testing.assert_allclose(on[0], 1.0)  # the S21 group runs throughout
    np.testing.assert_allclose(on[1, :5], 1.0)  # sees the first high price only after it
    np.testing.assert_allclose(on[1, 5:8], 0.0)
    np.testing.assert_allclose(on[1, 8:10], 0.0)  # waits for two low prices before resuming
    np.testing.assert_allclose(on[1, 10:], 1.0)


def test_threshold_uses_low_power_between_the_two_breakevens() -> None:
    prices = np.full(10, 20.0)
    site = _site(prices)
    s19 = site.site.mining_usd_per_mwh(60.0)[1]
    prices[3:7] = s19 * 1.08  # above normal breakeven, below the low-power one (× 0.7/0.6)
    site = _site(prices)
    ledger = site.run(ThresholdPolicy(site.site))
    low_mw = site.site.asic_power_mw[1] * site.site.asic_low_power_fraction[1]
    assert ledger.asic_mw[1, 5] == pytest.approx(low_mw)


def test_four_cp_alert_drops_the_fleet_at_a_summer_afternoon_high() -> None:
    load = np.full(PERIODS, 50_000.0)
    load[64:72] = 80_000.0  # 16:00-18:00 local on July 1: the month's high so far
    site = _site(np.full(PERIODS, 20.0), load=load)
    result = compare(site, ("threshold", "mpc"))
    for name in ("threshold", "mpc", "oracle"):
        ledger = result.ledgers[name]
        assert ledger.asic_mw[:, 65:72].sum() == pytest.approx(0.0), name
    # only the AI hall's must-serve load is left at the peak
    always_on = result.ledgers["always-on"].totals["cost_four_cp_usd"]
    assert result.ledgers["oracle"].totals["cost_four_cp_usd"] < 0.05 * always_on


def test_mpc_skips_the_lp_when_every_hour_is_surely_worth_mining() -> None:
    site = _site(np.full(PERIODS, 15.0))
    policy = MpcPolicy(site.site)
    ledger = site.run(policy)
    assert policy.lp_solves == 0
    assert ledger.totals["curtailed_fleet_hours"] == pytest.approx(0.0)


def test_mpc_replans_on_a_price_surprise_and_curtails() -> None:
    prices = np.full(24, 20.0)
    prices[9:14] = 3000.0
    site = _site(prices)
    policy = MpcPolicy(site.site)
    ledger = site.run(policy)
    assert policy.lp_solves >= 1
    assert ledger.asic_mw[:, 10:14].sum() == pytest.approx(0.0)
    result = compare(site, ("mpc",))
    value = result.capture["mpc"]
    assert value is not None
    assert 0.5 < value <= 1.0 + 1e-9


def test_capture_is_none_when_the_oracle_gains_nothing() -> None:
    assert capture(10.0, 10.0, 10.0) is None
    assert capture(15.0, 10.0, 20.0) == pytest.approx(0.5)


@given(arrays(float, st.tuples(st.integers(1, 4), st.integers(1, 8)),
              elements=st.one_of(st.floats(-1e3, 1e3), st.just(float("nan")))))
def test_column_nanmedian_matches_numpy(values: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy warns on all-NaN columns
        expected = np.nanmedian(values, axis=0)
    np.testing.assert_allclose(column_nanmedian(values), expected, equal_nan=True)
