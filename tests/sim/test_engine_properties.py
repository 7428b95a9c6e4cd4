"""Invariants of the simulated site: the limit holds, the ledger adds up, the oracle bounds all."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from small_site import full_scenario, inputs_for

from wattswitch.errors import InformationLeakError
from wattswitch.model.observation import Decision, Observation
from wattswitch.model.scenario import Scenario
from wattswitch.sim.engine import SimulatedSite
from wattswitch.sim.ledger import ENERGY_USES, REVENUE_STREAMS
from wattswitch.sim.runner import POLICY_NAMES, compare

PERIODS = 48


@st.composite
def random_site(draw: st.DrawFn) -> SimulatedSite:
    limit = draw(st.floats(6.0, 14.0))
    scenario = full_scenario(PERIODS, limit_mw=limit, dr=draw(st.booleans()))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    prices = rng.normal(40, 30, PERIODS)
    spikes = rng.random(PERIODS) < 0.1
    prices[spikes] = rng.uniform(200, 5000, spikes.sum())
    load = rng.uniform(30_000, 80_000, PERIODS)
    inputs = inputs_for(
        scenario,
        prices,
        draw(st.floats(20.0, 120.0)),
        system_load=load,
        inference=rng.uniform(0, 1, PERIODS),
        arrivals=rng.exponential(5.0, PERIODS),
        da=prices + rng.normal(0, 20, PERIODS),
    )
    return SimulatedSite(scenario, inputs)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_site())
def test_no_policy_exceeds_the_limit_and_the_oracle_bounds_them_all(site: SimulatedSite) -> None:
    result = compare(site, POLICY_NAMES)
    cap = site.schedule.power_cap_mw
    best = result.ledgers["oracle"].totals["profit_usd"]
    for name, ledger in result.ledgers.items():
        assert (ledger.site_mw <= cap + 1e-6).all(), name
        assert ledger.totals["power_limit_violations"] == 0, name
        assert ledger.totals["profit_usd"] <= best + 1e-6 * max(1.0, abs(best)), name


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_site())
def test_ledger_identities_hold(site: SimulatedSite) -> None:
    for name, ledger in compare(site, ("threshold",)).ledgers.items():
        totals = ledger.totals
        revenue = sum(totals[f"revenue_{s}_usd"] for s in REVENUE_STREAMS)
        costs = totals["cost_energy_usd"] + totals["cost_four_cp_usd"] + totals["cost_sla_credits_usd"]
        assert totals["revenue_usd"] == pytest.approx(revenue), name
        assert totals["profit_usd"] == pytest.approx(revenue - costs), name
        by_use = sum(totals[f"energy_{u}_mwh"] for u in ENERGY_USES)
        assert by_use == pytest.approx(totals["energy_site_mwh"], rel=1e-9, abs=1e-9), name
        per_interval = sum(ledger.energy_use_mw[u] for u in ENERGY_USES)
        np.testing.assert_allclose(per_interval, ledger.site_mw, atol=1e-9)


class GreedyPolicy:
    """Asks for far more than the site can take: everything on, in both modes."""

    name = "greedy"

    def decide(self, observation: Observation) -> Decision:  # noqa: ARG002
        return Decision((1.0, 1.0), (1.0, 1.0), 1e9)


def test_apply_enforces_the_cap_on_a_greedy_policy() -> None:
    scenario = full_scenario(PERIODS, limit_mw=5.0)
    inputs = inputs_for(
        scenario,
        np.full(PERIODS, 30.0),
        60.0,
        inference=np.full(PERIODS, 0.5),
        arrivals=np.full(PERIODS, 50.0),
    )
    site = SimulatedSite(scenario, inputs)
    ledger = site.run(GreedyPolicy())
    assert (ledger.site_mw <= site.schedule.power_cap_mw + 1e-9).all()
    assert ledger.totals["power_limit_violations"] == 0
    assert ledger.totals["clipped_intervals"] == PERIODS
    # the cheaper-to-shed, least efficient group goes first: S19s are off, S21s partly on
    s19 = list(site.site.asic_names).index("s19")
    assert ledger.asic_mw[s19].max() == pytest.approx(0.0)


def test_demand_response_cap_is_met_and_paid() -> None:
    scenario = full_scenario(PERIODS)
    inputs = inputs_for(scenario, np.full(PERIODS, 20.0), 80.0)
    site = SimulatedSite(scenario, inputs)
    event = scenario.demand_response_events[0]
    first = int((event.start_utc - scenario.start_utc).total_seconds() // 900)
    for name, ledger in compare(site, POLICY_NAMES).ledgers.items():
        assert ledger.site_mw[first : first + 4].max() <= event.cap_mw + 1e-9, name
        assert ledger.totals["revenue_demand_response_usd"] == pytest.approx(
            event.payment_usd_per_mwh * (scenario.site.interconnect_limit_mw - event.cap_mw) * 1.0
        )


class PeekingPolicy:
    """Reads the price of the interval it is deciding: must fail loudly."""

    name = "peeking"

    def decide(self, observation: Observation) -> Decision:
        observation.rt_price_usd_per_mwh[observation.t]
        return Decision((1.0, 1.0), (0.0, 0.0), 0.0)


class LoadPeekingPolicy:
    """Reads this interval's system load through the array: must fail loudly too."""

    name = "peeking-load"

    def decide(self, observation: Observation) -> Decision:
        past = observation.system_load_mw.values
        if observation.t > 2:
            past[observation.t]  # beyond the end of the known past
        return Decision((1.0, 1.0), (0.0, 0.0), 0.0)


def test_a_policy_that_peeks_at_the_current_price_fails_loudly() -> None:
    scenario = full_scenario(8, dr=False)
    site = SimulatedSite(scenario, inputs_for(scenario, np.arange(8.0), 60.0))
    with pytest.raises(InformationLeakError, match=r"rt_price_usd_per_mwh\[0\] at interval 0"):
        site.run(PeekingPolicy())
    with pytest.raises(IndexError):
        site.run(LoadPeekingPolicy())


def test_past_view_shows_exactly_the_past_read_only() -> None:
    scenario = full_scenario(8, dr=False)
    seen: list[np.ndarray] = []

    class Recorder:
        name = "recorder"

        def decide(self, observation: Observation) -> Decision:
            values = observation.rt_price_usd_per_mwh.values
            assert not values.flags.writeable
            seen.append(values.copy())
            return Decision((1.0, 1.0), (0.0, 0.0), 0.0)

    SimulatedSite(scenario, inputs_for(scenario, np.arange(8.0) * 10, 60.0)).run(Recorder())
    assert [len(v) for v in seen] == list(range(8))
    np.testing.assert_array_equal(seen[-1], np.arange(7.0) * 10)


def test_day_ahead_prices_are_visible_only_once_published() -> None:
    scenario = dataclasses.replace(full_scenario(96 * 2, dr=False))
    prices = np.full(96 * 2, 30.0)
    site = SimulatedSite(scenario, inputs_for(scenario, prices, 60.0, da=np.arange(96 * 2, dtype=float)))
    known = site.schedule.da_known_until
    # at local midnight only today is published; from 14:00 local, tomorrow too
    assert known[0] == 96
    assert known[14 * 4] == 192
    assert known[14 * 4 - 1] == 96


def test_the_repeated_fall_back_hour_does_not_start_a_new_day() -> None:
    base = full_scenario(8, dr=False)
    start = datetime(2025, 11, 2, 5, tzinfo=UTC)  # local midnight (CDT) on the fall-back day
    scenario: Scenario = dataclasses.replace(base, start_utc=start, end_utc=start + timedelta(hours=25))
    site = SimulatedSite(scenario, inputs_for(scenario, np.full(100, 30.0), 60.0))
    known = site.schedule.da_known_until
    assert scenario.periods == 100  # 25 local hours
    assert (known[: 14 * 4 + 4] == 100).all()  # the whole local day is one day, 01:00 twice


def test_an_hourly_signal_on_a_quarter_hour_grid_is_known_once_its_hour_has_ended() -> None:
    """An hourly load is the hour's average: at 16:15 the 16:00–17:00 value is not yet known."""
    scenario = full_scenario(12, dr=False)  # starts on a UTC hour
    hourly = np.repeat([50_000.0, 60_000.0, 70_000.0], 4)
    inputs = dataclasses.replace(
        inputs_for(scenario, np.repeat([10.0, 20.0, 30.0], 4), 60.0, system_load=hourly),
        system_load_native_step_s=3600,
        rt_price_native_step_s=3600,
    )
    site = SimulatedSite(scenario, inputs)
    np.testing.assert_array_equal(site.schedule.load_known_until, [0] * 4 + [4] * 4 + [8] * 4)
    seen: list[tuple[int, int, float]] = []

    class Recorder:
        name = "recorder"

        def decide(self, observation: Observation) -> Decision:
            load = observation.system_load_mw
            seen.append((len(load), len(observation.rt_price_usd_per_mwh), load.last()))
            if observation.t == 5:
                with pytest.raises(InformationLeakError, match=r"system_load_mw\[4\] at interval 4"):
                    load[4]  # the current hour's average, settled only at its end
            return Decision((1.0, 1.0), (0.0, 0.0), 0.0)

    site.run(Recorder())
    assert seen[5] == (4, 4, 50_000.0)  # a quarter past the second hour: the first hour only
    assert seen[8] == (8, 8, 60_000.0)
    rows = site.known_rows()
    np.testing.assert_array_equal(rows.last_rt_price_usd_per_mwh[4:], [10.0] * 4 + [20.0] * 4)
    assert np.isnan(rows.last_rt_price_usd_per_mwh[:4]).all()


def test_a_signal_on_the_grid_step_is_known_up_to_the_last_interval() -> None:
    scenario = full_scenario(8, dr=False)
    site = SimulatedSite(scenario, inputs_for(scenario, np.arange(8.0), 60.0))
    np.testing.assert_array_equal(site.schedule.load_known_until, np.arange(8))
    np.testing.assert_array_equal(site.schedule.rt_known_until, np.arange(8))


def test_an_hourly_signal_from_a_run_that_starts_mid_hour_waits_for_the_hour_to_end() -> None:
    base = full_scenario(8, dr=False)
    start = base.start_utc + timedelta(minutes=30)
    scenario = dataclasses.replace(base, start_utc=start, end_utc=start + timedelta(hours=2))
    inputs = dataclasses.replace(inputs_for(scenario, np.zeros(8), 60.0), system_load_native_step_s=3600)
    known = SimulatedSite(scenario, inputs).schedule.load_known_until
    # intervals 0–1 are the end of a first, partly seen hour: nothing of it is known before 2
    np.testing.assert_array_equal(known, [0, 0, 2, 2, 2, 2, 6, 6])
