"""The mpc window DP against the plain LP, its fall-backs, and mpc's speed-ups staying honest."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from small_site import full_scenario, inputs_for, one_group_scenario

from wattswitch.dispatch.lp import Window, solve_window, surely_on
from wattswitch.dispatch.mpc import MpcPolicy, MpcSettings
from wattswitch.dispatch.mpc_dp import WindowDp, solve_window_dp
from wattswitch.model.default_scenario import default_scenario
from wattswitch.model.site_model import SiteModel, site_model
from wattswitch.sim.engine import SimulatedSite
from wattswitch.sim.runner import capture, make_policy


def _window(site: SiteModel, rng: np.random.Generator, periods: int, *, four_cp: bool = False) -> Window:
    prices = rng.normal(60, 50, periods) + (rng.random(periods) < 0.15) * rng.exponential(400, periods)
    charge = np.where(rng.random(periods) < 0.1, 15_000.0, 0.0) if four_cp else np.zeros(periods)
    return Window(
        price_usd_per_mwh=prices,
        hashprice_usd_per_ph_day=np.full(periods, rng.uniform(40, 120)),
        inference_load_fraction=rng.uniform(0, 1, periods),
        training_arrivals_node_hours=np.zeros(periods),
        power_cap_mw=np.full(periods, 1e4),
        four_cp_usd_per_mw=charge,
        on_fraction_before=rng.integers(0, 2, site.asic_count).astype(float),
        backlog_before_node_hours=float(rng.choice([0.0, 3.0, 40.0, 1e4])),
    )


def _sites() -> dict[str, SiteModel]:
    default = site_model(default_scenario())
    return {
        "default": default,
        "small": site_model(full_scenario(8)),
        "one group, no low mode": site_model(one_group_scenario(8, switchover_s=120.0)),
        # no adder and no ancillary: the groups are coupled by nothing, the DP must match exactly
        "decoupled": dataclasses.replace(
            default, rt_adder_usd_per_mwh=0.0, ancillary_capacity_mw=0.0, ancillary_usd_per_mw_h=0.0
        ),
    }


@pytest.mark.parametrize("name", list(_sites()))
def test_the_dp_reaches_the_lp_optimum_on_small_windows(name: str) -> None:
    site = _sites()[name]
    rng = np.random.default_rng(7)
    dp = WindowDp(site)
    # The LP may run a group fractionally where the load meets the PPA block or the reserve meets
    # its capacity: worth at most the adder (or the ancillary price) × the fleet's MW per interval.
    slack_per_interval = (
        (site.rt_adder_usd_per_mwh + site.ancillary_usd_per_mw_h) * site.asic_power_mw.sum() * site.step_h
    )
    for case in range(40):
        periods = int(rng.integers(1, 17))
        w = _window(site, rng, periods, four_cp=case % 3 == 0)
        lp = solve_window(site, w)
        plan = dp.solve(w)
        assert plan is not None
        assert plan.objective_usd <= lp.objective_usd + 1e-6 * max(1.0, abs(lp.objective_usd))
        if name == "decoupled":
            assert plan.objective_usd == pytest.approx(lp.objective_usd, rel=1e-9, abs=1e-6)
        else:
            assert plan.objective_usd >= lp.objective_usd - slack_per_interval * periods - 1e-6
        assert plan.normal.shape == (site.asic_count, periods)
        assert np.all(plan.normal + plan.low <= 1.0)
        assert np.all(plan.low[~site.asic_has_low_mode] == 0.0)


def test_the_dp_plan_replays_to_its_objective_in_the_lp() -> None:
    """The DP's decisions are feasible for the LP and worth what the DP says: fix them and re-solve."""
    site = _sites()["decoupled"]
    rng = np.random.default_rng(3)
    for _ in range(10):
        w = _window(site, rng, 12)
        plan = WindowDp(site).solve(w)
        assert plan is not None
        lp = solve_window(site, w)
        assert plan.objective_usd == pytest.approx(lp.objective_usd, abs=1e-6)


def test_keep_and_merging_shape_the_plan() -> None:
    site = _sites()["default"]
    rng = np.random.default_rng(11)
    dp = WindowDp(site)
    for _ in range(10):
        w = _window(site, rng, 48)
        full = dp.solve(w)
        kept = dp.solve(w, keep=4)
        assert full is not None
        assert kept is not None
        assert kept.normal.shape == (site.asic_count, 4)
        np.testing.assert_array_equal(kept.normal, full.normal[:, :4])
        np.testing.assert_array_equal(kept.low, full.low[:, :4])
        assert kept.objective_usd == pytest.approx(full.objective_usd)
        merged = dp.solve(w, keep=4, fine=4, merge=8)
        assert merged is not None
        assert merged.normal.shape == (site.asic_count, 4)
        # merging periods holds decisions across them: a restriction of the window's problem, but
        # for the adder, booked on the period's mean load (lower by Jensen, by a few dollars)
        varying_mw = site.inference_mw_at_full + site.training_pool_nodes * site.training_node_busy_mw
        slack = site.rt_adder_usd_per_mwh * site.step_h * 48 * varying_mw
        assert merged.objective_usd <= full.objective_usd + slack
        assert dp.solve(w, fine=4, merge=8).normal.shape == (site.asic_count, 4)  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="keep"):
        dp.solve(_window(site, rng, 48), keep=8, fine=4, merge=8)


def test_the_dp_hands_back_what_it_cannot_solve() -> None:
    site = _sites()["default"]
    rng = np.random.default_rng(5)
    w = _window(site, rng, 8)
    partly_on = dataclasses.replace(w, on_fraction_before=np.array([1.0, 0.4, 0.0]))
    assert solve_window_dp(site, partly_on) is None
    low_cap = dataclasses.replace(w, power_cap_mw=np.full(8, 50.0))
    assert solve_window_dp(site, low_cap) is None
    arrivals = dataclasses.replace(w, training_arrivals_node_hours=np.ones(8))
    assert solve_window_dp(site, arrivals) is None


def test_the_fast_surely_on_check_matches_the_lp_module() -> None:
    for site in _sites().values():
        rng = np.random.default_rng(13)
        dp = WindowDp(site)
        for case in range(60):
            w = _window(site, rng, 12, four_cp=case % 4 == 0)
            if case % 2:
                w = dataclasses.replace(w, price_usd_per_mwh=rng.uniform(-20, 40, 12))
            if case % 5 == 0:
                w = dataclasses.replace(w, power_cap_mw=np.full(12, 50.0))
            base = np.asarray(site.gpu_load_mw(w.inference_load_fraction, 0.0), dtype=float)
            assert dp.surely_all_on(w, base) == bool(surely_on(site, w, base).all())


def _small_site(prices: np.ndarray, *, limit_mw: float = 12.0) -> SimulatedSite:
    scenario = full_scenario(len(prices), limit_mw=limit_mw)
    rng = np.random.default_rng(1)
    periods = len(prices)
    inputs = inputs_for(
        scenario,
        prices,
        60.0,
        system_load=rng.uniform(30_000, 80_000, periods),
        inference=rng.uniform(0, 1, periods),
        arrivals=rng.exponential(5.0, periods),
        da=prices + rng.normal(0, 20, periods),
    )
    return SimulatedSite(scenario, inputs)


def _prices(periods: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    prices = rng.normal(60, 40, periods)
    spikes = rng.random(periods) < 0.1
    prices[spikes] = rng.uniform(200, 3000, spikes.sum())
    return prices


def test_mpc_with_the_dp_is_as_good_as_with_highs_and_honours_the_cap() -> None:
    for seed, limit in ((0, 12.0), (1, 9.0), (2, 7.0)):
        site = _small_site(_prices(192, seed), limit_mw=limit)
        base = site.run(make_policy("always-on", site)).totals["profit_usd"]
        bound = site.run(make_policy("oracle", site)).totals["profit_usd"]
        policies = {
            "dp": MpcPolicy(site.site),
            "dp, no merging": MpcPolicy(site.site, MpcSettings(merge_intervals=1)),
            "highs": MpcPolicy(site.site, MpcSettings(solver="lp")),
        }
        captured = {}
        for name, policy in policies.items():
            ledger = site.run(policy)
            assert (ledger.site_mw <= site.schedule.power_cap_mw + 1e-6).all(), name
            assert ledger.totals["power_limit_violations"] == 0, name
            value = capture(ledger.totals["profit_usd"], base, bound)
            assert value is not None
            captured[name] = value
        if limit >= 12.0:  # the fleet fits under the cap but for the DR event: mostly the DP
            assert policies["dp"].dp_solves > policies["dp"].highs_solves
        else:  # windows capped below the fleet's load go to HiGHS
            assert policies["dp"].highs_solves > 0
        assert policies["highs"].dp_solves == 0
        assert policies["highs"].highs_solves == policies["highs"].lp_solves > 0
        assert captured["dp, no merging"] == pytest.approx(captured["highs"], abs=0.005)
        assert captured["dp"] >= captured["highs"] - 0.02


def test_mpc_decisions_do_not_depend_on_later_prices() -> None:
    prices = _prices(192, 4)
    cut = 120
    other = prices.copy()
    other[cut:] = _prices(192, 9)[cut:]
    ledgers = []
    for series in (prices, other):
        site = _small_site(prices)
        # same published day-ahead prices and loads; only the real-time prices after the cut differ
        inputs = dataclasses.replace(site.inputs, rt_price_usd_per_mwh=series)
        site = SimulatedSite(site.scenario, inputs)
        ledgers.append(site.run(MpcPolicy(site.site)))
    np.testing.assert_array_equal(ledgers[0].asic_mw[:, : cut + 1], ledgers[1].asic_mw[:, : cut + 1])
    assert not np.array_equal(ledgers[0].asic_mw, ledgers[1].asic_mw)


class _UncachedMpc(MpcPolicy):
    """mpc with its forecast caches bypassed: every piece computed afresh at each re-plan."""

    def _cached_profile(self, series, targets, steps_per_day):  # type: ignore[no-untyped-def]
        return self._recent_profile(series, targets, steps_per_day)

    def _in_window_many(self, obs, targets):  # type: ignore[no-untyped-def]
        return self.four_cp.in_window_many(obs, targets)


def test_the_forecast_caches_change_nothing() -> None:
    site = _small_site(_prices(4 * 96, 6))
    cached, uncached = site.run(MpcPolicy(site.site)), site.run(_UncachedMpc(site.site))
    np.testing.assert_array_equal(cached.asic_mw, uncached.asic_mw)
    assert cached.totals["profit_usd"] == uncached.totals["profit_usd"]


def test_a_price_crossing_a_breakeven_triggers_a_replan_when_asked() -> None:
    prices = np.full(24, 20.0)
    site = _small_site(prices)
    breakeven = float(site.site.mining_usd_per_mwh(60.0).min())
    prices[9:] = breakeven + 10.0  # a move under the $25 surprise, across the breakeven
    site = _small_site(prices)
    plain = MpcPolicy(site.site, MpcSettings(replan_every_intervals=8))
    crossing = MpcPolicy(site.site, MpcSettings(replan_every_intervals=8, crossing_margin_usd_per_mwh=5.0))
    site.run(plain)
    ledger = site.run(crossing)
    assert crossing.lp_solves + crossing.dp_solves > plain.lp_solves + plain.dp_solves
    assert (ledger.site_mw <= site.schedule.power_cap_mw + 1e-6).all()


def test_four_cp_alert_now_flags_the_rest_of_todays_window() -> None:
    periods = 192
    load = np.full(periods, 50_000.0)
    load[64:72] = 40_000.0  # yesterday the load fell into the 16:00 window …
    load[159] = 80_000.0  # … today it reaches the month's high at 15:45,
    load[160:164] = 80_500.0  # and peaks at 16:00
    scenario = full_scenario(periods, dr=False)
    site = SimulatedSite(scenario, inputs_for(scenario, np.full(periods, 20.0), 60.0, system_load=load))
    shape_only = MpcSettings(four_cp_load_persistence_h=0.0)
    plain = site.run(MpcPolicy(site.site, shape_only))
    now = site.run(MpcPolicy(site.site, dataclasses.replace(shape_only, four_cp_alert_now=True)))
    # yesterday's shape says the load will fall at 16:00: the forecast misses the first interval
    assert plain.asic_mw[:, 160].sum() > 0
    assert now.asic_mw[:, 160].sum() == pytest.approx(0.0)
    assert now.asic_mw[:, 161:164].sum() == pytest.approx(0.0)


def test_the_4cp_forecast_persists_the_last_load_over_yesterdays_wiggles() -> None:
    """The default scenario's June miss in small: the load sets a new high every quarter hour.

    Yesterday's load dipped 1 % after 16:15; scaled to today, that dip forecasts 16:30 below
    99.5 % of the month's high and yesterday's shape alone runs through the peak. The last load
    (weight 1 for the interval decided, decaying over ``four_cp_load_persistence_h``) does not.
    """
    periods = 192
    load = np.full(periods, 50_000.0)
    load[64:66] = 60_000.0  # yesterday 16:00–16:30 …
    load[66:72] = 59_400.0  # … then 1 % lower
    load[150:160] = np.linspace(60_000.0, 78_000.0, 10)  # today: a ramp to new month highs
    load[160:162] = [79_000.0, 79_500.0]  # 16:00, 16:15
    load[162] = 80_000.0  # 16:30: the month's peak
    load[163:] = 70_000.0
    scenario = full_scenario(periods, dr=False)
    site = SimulatedSite(scenario, inputs_for(scenario, np.full(periods, 20.0), 60.0, system_load=load))
    assert site.schedule.four_cp_peaks == (162,)
    settings = MpcSettings(replan_every_intervals=2)  # re-plans at 16:00 and at 16:30, the peak
    shape_only = site.run(MpcPolicy(site.site, dataclasses.replace(settings, four_cp_load_persistence_h=0.0)))
    persisting = site.run(MpcPolicy(site.site, settings))
    assert shape_only.totals["cost_four_cp_usd"] > 0
    assert persisting.asic_mw[:, 162].sum() == pytest.approx(0.0)
    assert persisting.totals["cost_four_cp_usd"] < shape_only.totals["cost_four_cp_usd"]


def test_mpc_replans_when_an_hourly_load_settles_inside_the_4cp_window() -> None:
    """An hourly load is known only once its hour ends: 15:00–16:00 becomes known at 16:00.

    The plan made at 15:45 saw 14:00–15:00 only, well under the month's high; the load that
    says 16:00 may be the peak arrives at 16:00, mid-plan, and mpc must act on it then.
    """
    periods = 192
    load = np.full(periods, 50_000.0)
    load[40:44] = 80_000.0  # yesterday 10:00: the month's high so far, outside the window
    load[152:156] = 70_000.0  # today 14:00
    load[156:160] = 80_000.0  # 15:00: at the high
    load[160:164] = 80_500.0  # 16:00: the month's peak
    load[164:] = 70_000.0
    scenario = full_scenario(periods, dr=False)
    inputs = inputs_for(scenario, np.full(periods, 20.0), 60.0, system_load=load)
    site = SimulatedSite(scenario, dataclasses.replace(inputs, system_load_native_step_s=3600))
    assert site.schedule.four_cp_peaks == (160,)
    late = site.run(MpcPolicy(site.site, MpcSettings(four_cp_replan_on_load=False)))
    prompt = site.run(MpcPolicy(site.site))
    assert late.asic_mw[:, 160].sum() > 0  # the 15:45 plan ran through 16:00
    assert prompt.asic_mw[:, 160:164].sum() == pytest.approx(0.0)
    assert prompt.totals["cost_four_cp_usd"] < late.totals["cost_four_cp_usd"]
