"""The oracle's prefix-sum LP has the same optimum as the plain dispatch LP."""

from __future__ import annotations

import numpy as np
import pytest
from small_site import full_scenario, inputs_for

from wattswitch.dispatch.lp import Window, solve_window
from wattswitch.dispatch.oracle_prefix import solve_prefix
from wattswitch.sim.engine import SimulatedSite


@pytest.mark.parametrize(("seed", "periods"), [(0, 1), (1, 7), (2, 24), (3, 50), (4, 96), (5, 131)])
def test_prefix_lp_objective_equals_the_plain_lp(seed: int, periods: int) -> None:
    rng = np.random.default_rng(seed)
    scenario = full_scenario(periods)
    prices = rng.gamma(2.0, 40.0, periods) - 20.0
    spikes = rng.random(periods) < 0.1
    prices[spikes] = rng.uniform(300, 3000, int(spikes.sum()))
    inputs = inputs_for(
        scenario,
        prices,
        rng.uniform(30.0, 70.0),
        system_load=rng.uniform(40_000, 60_000, periods),
        inference=rng.uniform(0, 1, periods),
        arrivals=rng.uniform(0, 60, periods) * (rng.random(periods) < 0.5),
    )
    site = SimulatedSite(scenario, inputs)
    s = site.site
    cap = site.schedule.power_cap_mw.copy()
    cap[rng.random(periods) < 0.1] = 0.3 * s.interconnect_limit_mw
    window = Window.of_inputs(
        inputs,
        power_cap_mw=cap,
        four_cp_usd_per_mw=site.schedule.four_cp_usd_per_mw,
        on_fraction_before=rng.uniform(0, 1, s.asic_count),
        backlog_before_node_hours=float(rng.uniform(0, 100)),
    )
    plain = solve_window(s, window)
    prefix = solve_prefix(s, window)
    assert prefix.objective_usd == pytest.approx(plain.objective_usd, rel=1e-9, abs=1e-6)
    assert prefix.train.shape == plain.train.shape == (periods,)
    assert prefix.normal.shape == plain.normal.shape == (s.asic_count, periods)
