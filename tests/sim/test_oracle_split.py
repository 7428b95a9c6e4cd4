"""The split oracle (training greedy + ASIC LPs + dual bound) reaches the whole LP's optimum."""

from __future__ import annotations

import highspy
import numpy as np
import pytest
from small_site import full_scenario, inputs_for

from wattswitch.dispatch.lp import Window
from wattswitch.dispatch.oracle import solve_oracle
from wattswitch.dispatch.oracle_prefix import solve_prefix
from wattswitch.dispatch.oracle_split import greedy_training, solve_split
from wattswitch.sim.engine import SimulatedSite


def random_window(seed: int, periods: int) -> tuple[SimulatedSite, Window]:
    rng = np.random.default_rng(seed)
    scenario = full_scenario(periods)
    # mostly cheap hours (every ASIC surely on) with expensive stretches and spikes
    prices = rng.gamma(2.0, 15.0, periods) - 10.0
    dear = np.repeat(rng.random(periods // 8 + 1) < 0.3, 8)[:periods]
    prices[dear] += rng.uniform(40, 160, int(dear.sum()))
    spikes = rng.random(periods) < 0.03
    prices[spikes] = rng.uniform(300, 3000, int(spikes.sum()))
    inputs = inputs_for(
        scenario,
        prices,
        rng.uniform(30.0, 70.0),
        system_load=rng.uniform(40_000, 60_000, periods),
        inference=rng.uniform(0, 1, periods),
        arrivals=rng.uniform(0, 80, periods) * (rng.random(periods) < 0.3),
    )
    site = SimulatedSite(scenario, inputs)
    cap = site.schedule.power_cap_mw.copy()
    cap[rng.random(periods) < 0.03] = 0.3 * site.site.interconnect_limit_mw
    window = Window.of_inputs(
        inputs,
        power_cap_mw=cap,
        four_cp_usd_per_mw=site.schedule.four_cp_usd_per_mw,
        on_fraction_before=rng.uniform(0, 1, site.site.asic_count),
        backlog_before_node_hours=float(rng.uniform(0, 200)),
    )
    return site, window


@pytest.mark.parametrize(
    ("seed", "periods"), [(s, p) for s, p in enumerate([1, 2, 9, 40, 96, 131, 300, 500, 777])]
)
def test_split_objective_equals_the_prefix_lp(seed: int, periods: int) -> None:
    site, window = random_window(seed, periods)
    s = site.site
    split = solve_split(s, window)
    assert split is not None, "the bound did not close"
    whole = solve_prefix(s, window)
    assert split.objective_usd == pytest.approx(whole.objective_usd, rel=1e-9, abs=1e-6)
    # the plan is feasible: bounds, never training work before it arrives, modes within limits
    available = np.maximum(s.training_available_nodes(window.inference_load_fraction), 0.0)
    assert np.all(split.train >= -1e-9)
    assert np.all(split.train <= available + 1e-9)
    done = np.cumsum(split.train * s.step_h)
    arrived = window.backlog_before_node_hours + np.cumsum(window.training_arrivals_node_hours)
    assert np.all(done <= arrived + 1e-6)
    assert np.all(split.normal + split.low <= 1 + 1e-9)
    assert np.all(split.normal >= -1e-9)
    assert split.normal.shape == whole.normal.shape
    assert split.train.shape == whole.train.shape


@pytest.mark.parametrize("seed", range(6))
def test_greedy_matches_the_transport_lp(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    periods = int(rng.integers(1, 60))
    pieces = int(rng.integers(periods, 3 * periods + 1))
    slot = np.concatenate((np.arange(periods), rng.integers(0, periods, pieces - periods)))
    value = rng.normal(1.0, 1.0, pieces)
    cap = rng.uniform(0, 3, pieces) * (rng.random(pieces) < 0.9)
    arrivals = rng.uniform(0, 5, periods) * (rng.random(periods) < 0.5)
    placed = greedy_training(slot, value, cap, arrivals)
    assert np.all(placed >= -1e-12)
    assert np.all(placed <= cap + 1e-12)
    done = np.cumsum(np.bincount(slot, weights=placed, minlength=periods))
    assert np.all(done <= np.cumsum(arrivals) + 1e-9)
    # the same problem as an LP: Σ_{slot(k) ≤ t} placed[k] ≤ arrivals up to t
    rows = (slot[None, :] <= np.arange(periods)[:, None]).astype(float)
    lp = highspy.Highs()  # type: ignore[no-untyped-call]
    lp.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    for k in range(pieces):
        lp.addVar(0.0, float(cap[k]))
    lp.changeColsCost(pieces, np.arange(pieces, dtype=np.int32), value)
    for t in range(periods):
        cols = np.flatnonzero(rows[t]).astype(np.int32)
        lp.addRow(-inf, float(np.cumsum(arrivals)[t]), len(cols), cols, np.ones(len(cols)))
    lp.changeObjectiveSense(highspy.ObjSense.kMaximize)
    lp.run()
    assert float(placed @ value) == pytest.approx(lp.getInfo().objective_function_value, rel=1e-9, abs=1e-9)


def test_split_gives_up_without_a_proof_and_the_oracle_falls_back() -> None:
    site, window = random_window(0, 40)
    # one round: the first guess (every ASIC on) is not optimal here, so no proof yet
    assert solve_split(site.site, window, max_rounds=1) is None
    assert solve_split(site.site, window) is not None


@pytest.mark.parametrize(("seed", "periods"), [(5, 300), (15, 700), (11, 131)])
def test_oracle_reaches_the_prefix_lp_optimum(seed: int, periods: int) -> None:
    # (5, 300) and (15, 700) stall a few dollars short of the bound and fall back to the whole LP
    site, window = random_window(seed, periods)
    oracle = solve_oracle(site.site, window)
    whole = solve_prefix(site.site, window)
    assert oracle.objective_usd == pytest.approx(whole.objective_usd, rel=1e-9, abs=1e-6)
