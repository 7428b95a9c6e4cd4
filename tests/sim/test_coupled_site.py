"""The coupled site: AI and mining on one clock under one cap (hand-worked, properties, the bound)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.sim.coupled_builder import coupled_scenario, coupled_site

from wattswitch.dispatch.always_on import AlwaysOnPolicy
from wattswitch.dispatch.mpc import MpcPolicy
from wattswitch.dispatch.threshold import ThresholdPolicy
from wattswitch.errors import InformationLeakError
from wattswitch.model.observation import Decision, Observation
from wattswitch.sim.coupled_bound import coupled_bound
from wattswitch.sim.runner import compare

STEP_S = 900.0
TOL = 1e-9


def test_one_job_one_replica_one_group_by_hand() -> None:
    """One 8-GPU job (1 h of work, a 90 s checkpoint write every 30 min of work), one replica, 20 ASICs.

    The job runs at 1800/1890 of full speed (the writes stall it), so it ends at 3,780 s; its node
    draws 1 MW computing, 0.2 MW idle and 0.2 + 0.8 × 0.1 MW while writing (t = 1800–1890 and
    3690–3780 s). Mining (braiins: up 60 s + down 15 s) fills (90 − 75) / 90 of each write dip.
    """
    scenario = coupled_scenario(8, limit_mw=3.0)
    site = coupled_site(scenario, np.full(8, 30.0), [(0.0, 3600.0, 8)], write_s=90.0, stall_fraction=0.1)
    ledger = site.run(AlwaysOnPolicy(site.site))
    saved_mw_s = 0.8 * 0.9 * 90.0  # a write's dip: dynamic 0.8 MW × (1 − 0.1) × 90 s
    expected_training = np.array([
        1.0, 1.0, 1.0 - saved_mw_s / STEP_S, 1.0,
        (1.0 * 180.0 - saved_mw_s + 0.2 * 720.0) / STEP_S, 0.2, 0.2, 0.2,
    ])
    series = ledger.ai_series_mw
    np.testing.assert_allclose(series["training"], expected_training, atol=TOL)
    dips = np.zeros(8)
    dips[[2, 4]] = saved_mw_s / STEP_S
    np.testing.assert_allclose(series["checkpoint_dips"], dips, atol=TOL)
    np.testing.assert_allclose(series["dip_filled_by_mining"], dips * (90.0 - 75.0) / 90.0, atol=TOL)
    assert ledger.ai_outcome is not None
    training = ledger.ai_outcome["training"]
    assert training["mean_jct_s"] == pytest.approx(3780.0)
    assert training["work_gpu_h"] == pytest.approx(8.0)
    assert ledger.totals["revenue_training_usd"] == pytest.approx(8.0 * 3.0)
    # mining: the 20 units (2 MW) up to the cap less the interval's AI peak, plus the filled dip
    served = site.inference
    peak_training = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2, 0.2])
    ai_peak = 0.6 + served.peak_mw + peak_training
    expected_mining = np.minimum(2.0, 3.0 - ai_peak + series["dip_filled_by_mining"])
    np.testing.assert_allclose(ledger.energy_use_mw["mining"], expected_mining, atol=1e-9)
    # the ledger: site draw = mining + AI, energy cost at the real-time price, nothing over the cap
    ai_mw = series["reserved"] + series["inference"] + series["training"]
    np.testing.assert_allclose(ledger.site_mw, expected_mining + ai_mw, atol=1e-9)
    assert ledger.totals["cost_energy_usd"] == pytest.approx(float(ledger.site_mw.sum() * 0.25 * 30.0))
    assert ledger.totals["power_limit_violations"] == 0
    assert ledger.totals["revenue_reserved_usd"] == pytest.approx(8 * 2.0 * 8 * 0.25)


def test_mining_never_takes_what_ai_is_entitled_to() -> None:
    """With or without ASICs, the AI side runs the same jobs and serves the same requests."""
    rows = [(0.0, 3000.0, 8), (600.0, 5000.0, 8), (1200.0, 900.0, 8)]
    with_mining = coupled_site(coupled_scenario(12, limit_mw=3.5, asic_units=30, training_nodes=2),
                               np.full(12, 40.0), rows)
    little_mining = coupled_site(coupled_scenario(12, limit_mw=3.5, asic_units=1, training_nodes=2),
                                 np.full(12, 40.0), rows)
    a = with_mining.run(AlwaysOnPolicy(with_mining.site))
    b = little_mining.run(AlwaysOnPolicy(little_mining.site))
    assert a.ai_outcome is not None
    assert b.ai_outcome is not None
    assert a.ai_outcome["inference"] == b.ai_outcome["inference"]
    assert a.ai_outcome["reserved"] == b.ai_outcome["reserved"]
    ai_only = {k: v for k, v in a.ai_outcome["training"].items() if k != "dip_filled_mwh"}
    assert ai_only == {k: v for k, v in b.ai_outcome["training"].items() if k != "dip_filled_mwh"}
    np.testing.assert_allclose(a.ai_series_mw["training"], b.ai_series_mw["training"])
    assert (a.reserved_served == 1.0).all()
    assert (a.inference_served == 1.0).all()
    assert a.energy_use_mw["mining"].sum() > b.energy_use_mw["mining"].sum()


def test_a_deep_cap_pauses_training_then_sheds_inference_and_reserved_never_over() -> None:
    """A demand-response cap below the AI floor: mining 0, training paused, inference then reserved shed."""
    scenario = coupled_scenario(8, limit_mw=3.0, dr_cap_mw=0.7, dr_at=2, dr_intervals=3)
    site = coupled_site(scenario, np.full(8, 30.0), [(0.0, 20000.0, 8)])
    ledger = site.run(AlwaysOnPolicy(site.site))
    during = slice(2, 5)
    assert (ledger.site_mw <= site.schedule.power_cap_mw + 1e-9).all()
    assert (ledger.energy_use_mw["mining"][during] == 0).all()
    assert (ledger.inference_served[during] < 1.0).all()
    assert ledger.ai_outcome is not None
    assert ledger.ai_outcome["training"]["pauses"] >= 1


class ReadsTheCurrentPrice:
    name = "leaky"

    def decide(self, observation: Observation) -> Decision:
        _ = observation.rt_price_usd_per_mwh[observation.t]  # the price being decided: not known yet
        return Decision((1.0,), (0.0,), math.inf)


def test_a_policy_cannot_read_the_price_it_is_deciding() -> None:
    site = coupled_site(coupled_scenario(4, limit_mw=3.0), np.full(4, 30.0), [(0.0, 900.0, 8)])
    with pytest.raises(InformationLeakError):
        site.run(ReadsTheCurrentPrice())


class RandomPolicy:
    """Random but legal decisions (a stand-in for any policy)."""

    name = "random"

    def __init__(self, groups: int, seed: int) -> None:
        self.groups = groups
        self.rng = np.random.default_rng(seed)

    def decide(self, observation: Observation) -> Decision:  # noqa: ARG002 (random: reads nothing)
        normal = self.rng.random(self.groups)
        low = self.rng.random(self.groups) * (1 - normal)
        return Decision(tuple(normal), tuple(low), float(self.rng.choice([0.0, 0.5, 1.0, 2.0, math.inf])))


@st.composite
def coupled_cases(draw: st.DrawFn) -> tuple[object, ...]:
    periods = draw(st.integers(6, 16))
    groups = draw(st.integers(1, 2))
    limit = draw(st.floats(2.0, 6.0))
    prices = np.array(draw(st.lists(st.floats(-50.0, 600.0), min_size=periods, max_size=periods)))
    rows = draw(st.lists(
        st.tuples(st.floats(0.0, periods * STEP_S * 0.8), st.floats(60.0, 8000.0), st.sampled_from([8, 16])),
        min_size=0, max_size=6,
    ))
    rows.sort(key=lambda r: r[0])
    dr = draw(st.booleans())
    scenario = coupled_scenario(
        periods, limit_mw=limit, asic_units=draw(st.integers(1, 40)), asic_groups=groups,
        training_nodes=2, dr_cap_mw=draw(st.floats(0.1, 0.9)) * limit if dr else None,
        dr_at=draw(st.integers(0, periods - 1)), dr_intervals=draw(st.integers(1, 4)) if dr else 0,
        ppa_mw=draw(st.sampled_from([0.0, 1.0])), four_cp=draw(st.booleans()),
    )
    hashprice = draw(st.floats(20.0, 120.0))
    load = np.linspace(50_000, 60_000, periods)
    return scenario, prices, rows, hashprice, load, draw(st.integers(0, 10_000))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coupled_cases())
def test_no_policy_beats_the_bound_and_the_cap_always_holds(case: tuple[object, ...]) -> None:
    scenario, prices, rows, hashprice, load, seed = case
    site = coupled_site(scenario, prices, rows, hashprice=hashprice, system_load=load)  # type: ignore[arg-type]
    bound = coupled_bound(site).totals["profit_usd"]
    policies = [AlwaysOnPolicy(site.site), ThresholdPolicy(site.site), MpcPolicy(site.site),
                RandomPolicy(site.site.asic_count, seed)]  # type: ignore[arg-type]
    for policy in policies:
        ledger = site.run(policy)
        assert ledger.totals["power_limit_violations"] == 0, policy.name
        assert (ledger.site_mw <= site.schedule.power_cap_mw + 1e-6).all(), policy.name
        assert ledger.totals["profit_usd"] <= bound + 1e-6 * max(1.0, abs(bound)), (
            policy.name, scenario, prices.tolist(), rows, hashprice, seed,  # type: ignore[union-attr]
        )


def test_compare_on_a_coupled_site_books_the_bound_as_the_oracle() -> None:
    site = coupled_site(coupled_scenario(8, limit_mw=3.0), np.linspace(20, 300, 8), [(0.0, 3600.0, 8)])
    result = compare(site, ["threshold"])
    assert set(result.ledgers) == {"always-on", "threshold", "oracle"}
    oracle = result.ledgers["oracle"].totals["profit_usd"]
    assert all(ledger.totals["profit_usd"] <= oracle + 1e-6 for ledger in result.ledgers.values())
    assert result.ledgers["threshold"].ai_outcome is not None
