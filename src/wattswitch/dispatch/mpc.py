"""``mpc``: rolling-horizon optimisation of the dispatch LP on honest forecasts.

Every ``replan_every_intervals`` (or at once when the last settled price surprises the plan, or
a new system load is known while the plan decides 4CP-window intervals)
it solves the dispatch LP over the next ``horizon_h`` hours and applies the first decisions.
Forecasts use only what is known: the last real-time price (persistence, decaying towards a
profile), published day-ahead prices as that profile (else the same interval of recent days),
yesterday's AI load shape, and a 4CP risk from the system load seen so far (the last load
decaying towards yesterday's shape scaled to today). When every ASIC group
is surely worth running until the next re-plan, the LP is skipped (the answer is known: run
everything; ``lp.surely_on`` holds whatever the rest of the window does).

The window's LP is solved by dynamic programming (:mod:`wattswitch.dispatch.mpc_dp`): exact for
whole on/off decisions and far cheaper than HiGHS; by default the window's first hour is kept at
15 min and the rest merged into 2-hour periods (on 2022 this cost < 0.0002 of capture), and only
the decisions used before the next re-plan are traced. HiGHS
(:func:`~wattswitch.dispatch.lp.solve_window`) still solves the windows the DP does not
cover (a cap below the fleet's load, a group left partly on), on 30-min periods
(:mod:`~wattswitch.dispatch.lp_merged`): rare on a mining site, nearly every window on a coupled
site where AI and mining over-subscribe the cap. Forecast pieces that never change
once known (the same-time profile, the 4CP window calendar) are computed once, not per re-plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattswitch.dispatch.four_cp import FourCpWatch
from wattswitch.dispatch.lp import Plan, Window, surely_on
from wattswitch.dispatch.lp_merged import solve_window_merged
from wattswitch.dispatch.mpc_dp import WindowDp
from wattswitch.model.observation import Decision, Observation, PastView
from wattswitch.model.site_model import SiteModel

DAY_S = 86400


@dataclass(frozen=True)
class MpcSettings:
    """Knobs of the rolling-horizon controller, tuned on ERCOT HB_WEST 2022 (not on 2023).

    On 2022 a tight 4CP window (99.5 % of the month's high, 16:00–18:00 local) and a 2-h decay
    of the last price towards the profile captured 0.90 against 0.75 for (95 %, 14–19 h, 1 h).
    Re-planning every 45 min instead of every hour captured 0.9052 against 0.9037 on 2022 for
    ~10 % more time; every interval 0.9083, but at about twice the time of the 5 s budget.

    The 4CP-risk forecast of the system load blends the last known load (weight
    ``exp(-hours ahead / four_cp_load_persistence_h)``, 1 for the interval being decided) with
    yesterday's same-time load scaled by today's last / yesterday's load then; an interval is
    risky where that reaches ``four_cp_alert_fraction`` of the month's high so far. Yesterday's
    shape alone (``four_cp_load_persistence_h=0``) carries yesterday's quarter-hour wiggles into
    the forecast: on the generated default scenario, on 25 June at 17:00 local, with the load
    setting a new month high every quarter hour, yesterday's 1 % dip after 17:00 forecast 17:15
    below 99.5 % of the high and mpc ran through the month's peak ($1.27 M of 4CP charge).
    With 1.5 h: 2022 0.9084 against 0.9052 (fewer false alarms; 0.25–6 h all 0.906–0.9084),
    default scenario 85.124 M$ against 83.854 M$ (threshold 84.920 M$); 2023 0.9243 against 0.9242.

    Opt-in knobs, off by default: ``crossing_margin_usd_per_mwh`` also re-plans when the last
    price crosses a group's breakeven (± margin) against the plan's expectation (2022: 0.906–
    0.907, but twice the re-plans on the generated default scenario, whose prices hover near
    the breakevens); ``four_cp_alert_now`` also flags the rest of today's 4CP window once the
    last load is at the month's high, as threshold's alert does, and re-plans when it fires
    (with yesterday's shape alone: 2022 0.9028 against 0.9052, more false alarms; it caught the
    default scenario's June peak, which the load persistence now catches; on top of it:
    2022 0.9053 against 0.9084, default scenario 85.112 M$ against 85.124 M$).
    ``four_cp_replan_on_load`` re-plans as soon as a new system load value is known while the
    plan still decides intervals of the 4CP window. ERCOT's load is hourly, and an hour's
    average is known only once the hour ends: 15:00–16:00 arrives at 16:00, in the middle of a
    45-min plan made at 15:45 on 14:00–15:00. Without it, mpc ran through the first quarter hour
    of June 2022's peak (2022: 0.8950 and $0.35 M of 4CP charge; with it 0.9079 and $0.12 M,
    the oracle's; 0.9068–0.9079 for a load persistence of 0.5–3 h; 2023: 0.9245).
    ``solver``, ``fine_intervals`` and ``merge_intervals`` choose how each window is solved.
    """

    horizon_h: float = 12.0
    replan_every_intervals: int = 3
    persistence_weight_now: float = 1.0
    persistence_decay_h: float = 2.0
    surprise_usd_per_mwh: float = 25.0
    surprise_fraction: float = 0.25
    four_cp_alert_fraction: float = 0.995
    four_cp_window_local_hours: tuple[int, int] = (16, 18)
    four_cp_risk: float = 1.0
    four_cp_load_persistence_h: float = 1.5  # decay of the last system load towards yesterday's shape
    four_cp_alert_now: bool = False  # also flag the rest of today's window when the last load is high
    four_cp_replan_on_load: bool = True  # re-plan when a new system load is known near the 4CP window
    profile_days: int = 3
    crossing_margin_usd_per_mwh: float | None = None  # also re-plan when the price crosses a breakeven
    solver: str = "dp"  # "dp" (HiGHS only where the DP does not apply) or "lp" (HiGHS always)
    fine_intervals: int = 4  # the DP's window: this many intervals as they are, …
    merge_intervals: int = 8  # … then this many merged per period (1: no merging)
    highs_period_s: float = 1800.0  # where the DP does not apply, HiGHS plans on periods this long


class MpcPolicy:
    """Re-plan over a sliding window; apply the plan's first interval."""

    name = "mpc"

    def __init__(self, site: SiteModel, settings: MpcSettings | None = None) -> None:
        self.site = site
        self.settings = settings or MpcSettings()
        self.four_cp = FourCpWatch(
            site.four_cp_months,
            self.settings.four_cp_alert_fraction,
            self.settings.four_cp_window_local_hours,
        )
        self._plan: Plan | None = None
        self._plan_start = 0
        self._plan_prices = np.zeros(0)
        self.lp_solves = 0  # windows optimised (trivial ones skipped), by the DP or by HiGHS
        self.dp_solves = 0
        self.highs_solves = 0
        self._dp = WindowDp(site)
        self._profile_source: np.ndarray | None = None
        self._profile = np.zeros(0)
        self._profile_first = 0
        self._calendar_source: np.ndarray | None = None
        self._in_window = np.zeros(0, dtype=bool)
        self._weights: dict[int, np.ndarray] = {}
        self._load_weights: dict[int, np.ndarray] = {}
        self._critical = np.zeros(0)
        self._plan_alerted = False
        self._plan_load_known = -1
        self._rows: tuple[list[tuple[float, ...]], list[tuple[float, ...]], list[float]] = ([], [], [])
        self._aranges: dict[int, np.ndarray] = {}
        # GPU load without training, affine in the inference fraction: base_mw = a + b · fraction
        self._base_a = float(site.gpu_load_mw(0.0, 0.0))
        self._base_b = float(site.gpu_load_mw(1.0, 0.0)) - self._base_a

    def decide(self, observation: Observation) -> Decision:
        """The current plan's decision for this interval, re-planning when due."""
        t = observation.t
        if self._needs_plan(observation):
            self._replan(observation)
        assert self._plan is not None
        k = t - self._plan_start
        return Decision(self._rows[0][k], self._rows[1][k], self._rows[2][k])

    def _needs_plan(self, observation: Observation) -> bool:
        if self._plan is None:
            return True
        k = observation.t - self._plan_start
        if k >= self._plan.train.shape[0] or k >= self.settings.replan_every_intervals:
            return True
        last = observation.rt_price_usd_per_mwh.last()
        expected = self._plan_prices[k - 1] if k >= 1 else last
        allowed = max(self.settings.surprise_usd_per_mwh, self.settings.surprise_fraction * abs(expected))
        if abs(last - expected) > allowed:
            return True
        if self.settings.four_cp_alert_now and not self._plan_alerted and self.four_cp.alert(observation):
            return True
        if self._fresh_load_near_window(observation):
            return True
        margin = self.settings.crossing_margin_usd_per_mwh
        if margin is None or last == expected:
            return False
        low, high = (last, expected) if last < expected else (expected, last)
        critical = self._critical
        return bool(np.any((critical > low - margin) & (critical < high + margin)))

    def _fresh_load_near_window(self, observation: Observation) -> bool:
        """A system load value arrived since the plan, and the plan still decides 4CP-window intervals.

        An hourly load settles only at the end of its hour, so the load that decides whether
        16:00–17:00 may be the peak arrives at 16:00, mid-plan; waiting for the next scheduled
        re-plan would run through part of a peak hour.
        """
        if not self.settings.four_cp_replan_on_load or not self.site.four_cp_usd_per_kw_year:
            return False
        if len(observation.system_load_mw) == self._plan_load_known:
            return False
        t = observation.t
        ahead = np.arange(t, min(t + self.settings.replan_every_intervals, len(observation.local_month)))
        return bool(self._in_window_many(observation, ahead).any())

    def _replan(self, observation: Observation) -> None:
        site, settings = self.site, self.settings
        t = observation.t
        steps_per_day = DAY_S // site.step_s
        length = max(1, min(int(settings.horizon_h * 3600 // site.step_s), len(observation.local_month) - t))
        steps = self._aranges.get(length)
        if steps is None:
            steps = self._aranges[length] = np.arange(length)
        targets = t + steps
        prices = self._price_forecast(observation, targets, steps_per_day)
        inference = self._same_time_yesterday(observation.inference_load_fraction, targets, steps_per_day)
        window = Window(
            price_usd_per_mwh=prices,
            hashprice_usd_per_ph_day=np.full(length, observation.hashprice_usd_per_ph_day),
            inference_load_fraction=np.clip(inference, 0.0, 1.0),
            training_arrivals_node_hours=np.zeros(length),
            power_cap_mw=observation.power_cap_mw[t : t + length],
            four_cp_usd_per_mw=self._four_cp_risk(observation, targets, steps_per_day),
            on_fraction_before=np.asarray(observation.asic_on_fraction, dtype=float),
            backlog_before_node_hours=observation.training_backlog_node_hours,
        )
        base_mw = self._base_a + self._base_b * window.inference_load_fraction
        keep = min(settings.replan_every_intervals, length)
        if settings.solver == "dp":  # the decisions until the next re-plan are known: all normal
            sure = self._dp.surely_on_intervals(window, base_mw)
            trivial, whole = bool(sure[:keep].all()), bool(sure.all())
        else:
            trivial = whole = bool(surely_on(site, window, base_mw).all())
        if trivial and not whole:
            # only the first intervals are surely all-on: training still follows the window
            count = site.asic_count
            train = self._dp.training_plan(window, base_mw, keep, settings.merge_intervals)
            self._plan = Plan(np.ones((count, keep)), np.zeros((count, keep)), train, 0.0, "trivial")
        elif trivial:
            count = site.asic_count
            self._plan = Plan(
                np.ones((count, length)), np.zeros((count, length)), np.full(length, np.inf), 0.0, "trivial"
            )
        else:
            plan = None
            if settings.solver == "dp":
                fine = max(settings.fine_intervals, keep)
                plan = self._dp.solve(window, base_mw, keep, fine, settings.merge_intervals)
            if plan is None:
                merging = settings.solver == "dp" and settings.merge_intervals > 1
                merge = max(1, round(settings.highs_period_s / site.step_s)) if merging else 1
                plan = solve_window_merged(site, window, merge)
                self.highs_solves += 1
            else:
                self.dp_solves += 1
            self.lp_solves += 1
            self._plan = plan
        self._plan_start = t
        self._plan_prices = prices
        self._plan_load_known = len(observation.system_load_mw)
        plan = self._plan
        self._rows = (
            [tuple(row) for row in plan.normal.T.tolist()],
            [tuple(row) for row in plan.low.T.tolist()],
            [float(x) for x in plan.train.tolist()],
        )
        if settings.crossing_margin_usd_per_mwh is not None:
            self._critical = self._critical_prices(observation.hashprice_usd_per_ph_day)

    def _critical_prices(self, hashprice_usd_per_ph_day: float) -> np.ndarray:
        """Prices at which some group's best mode flips in one interval (normal/low/off, with a start)."""
        site = self.site
        breakeven = site.mining_usd_per_mwh(hashprice_usd_per_ph_day)
        low_hash, low_power = site.asic_low_hashrate_fraction, site.asic_low_power_fraction
        low_vs_normal = (1 - low_hash) / np.maximum(1 - low_power, 1e-9)
        low_vs_off = low_hash / np.maximum(low_power, 1e-9)
        start = 1 - site.asic_startup_fraction
        factors = np.stack((low_vs_normal, np.ones_like(start), low_vs_off, start, start * low_vs_off))
        return np.asarray((factors * breakeven).ravel() - site.rt_adder_usd_per_mwh)

    def _price_forecast(self, obs: Observation, targets: np.ndarray, steps_per_day: int) -> np.ndarray:
        """Last price decaying towards the published day-ahead price (else recent same-time prices)."""
        rt = obs.rt_price_usd_per_mwh
        profile = self._cached_profile(rt, targets, steps_per_day)
        da = obs.da_price_usd_per_mwh
        first = int(targets[0]) if len(targets) else 0
        published = min(max(len(da) - first, 0), len(targets))  # targets are consecutive
        if published:
            da_values = da.values[first : first + published]  # published: the view reaches them
            profile[:published] = np.where(np.isnan(da_values), profile[:published], da_values)
        if len(rt):
            last = rt.last()
        elif np.isfinite(profile).any():
            last = float(np.nanmean(profile))
        else:
            last = 0.0
        profile = np.where(np.isnan(profile), last, profile)
        weight = self._persistence_weights(len(targets))
        return np.asarray(weight * last + (1 - weight) * profile)

    def _persistence_weights(self, length: int) -> np.ndarray:
        """Weight of the last price for each interval ahead (0, 1, …), cached per length."""
        weight = self._weights.get(length)
        if weight is None:
            hours_ahead = np.arange(length) * self.site.step_h
            weight = self.settings.persistence_weight_now * np.exp(
                -hours_ahead / self.settings.persistence_decay_h
            )
            self._weights[length] = weight
        return weight

    def _cached_profile(self, series: PastView, targets: np.ndarray, steps_per_day: int) -> np.ndarray:
        """:meth:`_recent_profile` of ``targets``, computed once per interval of the series.

        An interval's profile reads only the series a day or more before it, so once that is
        known it never changes: it is computed up to a day ahead at a time and kept, for as long
        as the observations show the same series (else, as in live control where the series is
        rebuilt for each observation, it is computed afresh).
        """
        known = series.values
        source = known.base if known.base is not None else known
        first, end = (int(targets[0]), int(targets[-1]) + 1) if len(targets) else (0, 0)
        if source is not self._profile_source or first < self._profile_first:
            self._profile_source, self._profile_first, self._profile = source, first, np.zeros(0)
            return self._recent_profile(series, targets, steps_per_day)  # cache from the next call on
        if end - steps_per_day > len(known):  # a horizon beyond a day: not all of it is settled
            return self._recent_profile(series, targets, steps_per_day)
        cached_end = self._profile_first + len(self._profile)
        if end > cached_end:
            ahead = np.arange(cached_end, len(known) + steps_per_day)
            fresh = self._recent_profile(series, ahead, steps_per_day)
            self._profile = np.concatenate((self._profile, fresh))
        offset = first - self._profile_first
        return self._profile[offset : offset + len(targets)].copy()  # targets are consecutive

    def _recent_profile(self, series: PastView, targets: np.ndarray, steps_per_day: int) -> np.ndarray:
        """Median of the same interval over the last ``profile_days`` days (NaN where unknown)."""
        known = series.values
        stacked = np.full((self.settings.profile_days, len(targets)), np.nan)
        for day in range(1, self.settings.profile_days + 1):
            index = targets - day * steps_per_day
            valid = (index >= 0) & (index < len(known))
            stacked[day - 1, valid] = known[index[valid]]
        return column_nanmedian(stacked)

    def _same_time_yesterday(self, series: PastView, targets: np.ndarray, steps_per_day: int) -> np.ndarray:
        known = series.values
        first = int(targets[0]) - steps_per_day if len(targets) else -1
        if first >= 0 and first + len(targets) <= len(known):  # consecutive targets, all a day back known
            return known[first : first + len(targets)].copy()
        last = series.last(default=0.0)
        index = targets - steps_per_day
        valid = (index >= 0) & (index < len(known))
        values = np.full(len(targets), last)
        values[valid] = known[index[valid]]
        return values

    def _four_cp_risk(self, obs: Observation, targets: np.ndarray, steps_per_day: int) -> np.ndarray:
        """Expected 4CP charge per MW: full weight where forecast load nears the month's high.

        The forecast: the last known load decaying towards yesterday's same-time load scaled by
        today's last / yesterday's load at that time (see :class:`MpcSettings`).
        """
        weights = np.zeros(len(targets))
        self._plan_alerted = False
        if not self.site.four_cp_usd_per_kw_year:
            return weights
        in_window = self._in_window_many(obs, targets)
        if not in_window.any():
            return weights
        high = self.four_cp.month_high_mw(obs)
        forecast = self._same_time_yesterday(obs.system_load_mw, targets, steps_per_day)
        load = obs.system_load_mw
        yesterday_last = len(load) - 1 - steps_per_day  # a day before the last known load
        if 0 <= yesterday_last < len(load):
            ratio = load.last() / load[yesterday_last]
            if np.isfinite(ratio):
                forecast = forecast * ratio
        if not np.isfinite(high):
            return weights
        last, decay_h = load.last(), self.settings.four_cp_load_persistence_h
        if decay_h > 0 and np.isfinite(last):
            weight = self._load_persistence_weights(len(targets), decay_h)
            forecast = weight * last + (1 - weight) * forecast
        risky = in_window & (forecast >= self.settings.four_cp_alert_fraction * high)
        alert_now = self.settings.four_cp_alert_now and in_window[0]
        self._plan_alerted = bool(alert_now and self.four_cp.alert(obs))
        if self._plan_alerted:
            rest = int(np.argmin(in_window)) if not in_window.all() else len(in_window)
            risky[:rest] = True
        per_peak = self.site.four_cp_usd_per_kw_year * 1000.0 / 4.0
        weights[risky] = per_peak * self.settings.four_cp_risk
        return weights

    def _load_persistence_weights(self, length: int, decay_h: float) -> np.ndarray:
        """Weight of the last system load for each interval ahead (0, 1, …), cached per length."""
        weight = self._load_weights.get(length)
        if weight is None:
            weight = self._load_weights[length] = np.exp(-np.arange(length) * self.site.step_h / decay_h)
        return weight

    def _in_window_many(self, obs: Observation, targets: np.ndarray) -> np.ndarray:
        """The 4CP watch's window flags of ``targets``, from flags computed once per calendar.

        The whole calendar's flags are computed once it is seen a second time (the simulator
        shows one calendar throughout; live control builds one per observation).
        """
        month = obs.local_month
        if month is not self._calendar_source:
            self._calendar_source, self._in_window = month, np.zeros(0, dtype=bool)
            return self.four_cp.in_window_many(obs, targets)
        if len(self._in_window) != len(month):
            self._in_window = self.four_cp.in_window_many(obs, np.arange(len(month)))
        return np.asarray(self._in_window[targets])


def column_nanmedian(values: np.ndarray) -> np.ndarray:
    """Median of each column over its non-NaN entries (NaN where none); faster than np.nanmedian."""
    ordered = np.sort(values, axis=0)  # NaN sorts last
    count = (~np.isnan(values)).sum(axis=0)
    lower = np.clip((count - 1) // 2, 0, None)[None, :]
    upper = np.clip(count // 2, 0, None)[None, :]
    middle = 0.5 * (np.take_along_axis(ordered, lower, 0) + np.take_along_axis(ordered, upper, 0))[0]
    return np.where(count > 0, middle, np.nan)
