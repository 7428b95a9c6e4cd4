"""``threshold``: curtail ASICs, least efficient first, when the price exceeds each model's breakeven.

This is what fleet tools do today: the expected price is the last settled real-time price;
a group steps down (normal → low-power → off) only after the price has stayed above its
breakeven for ``confirm_intervals`` and steps back up only after ``resume_intervals`` below it.
During 4CP months it also drops the fleet in the afternoon peak window when the system load
reaches ``four_cp_alert_fraction`` of the month's highest load so far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wattswitch.dispatch.common import fit_to_cap, marginal_price_usd_per_mwh, training_breakeven_usd_per_mwh
from wattswitch.dispatch.four_cp import FourCpWatch
from wattswitch.model.observation import Decision, Observation
from wattswitch.model.site_model import SiteModel


@dataclass(frozen=True)
class ThresholdSettings:
    """Knobs of the threshold ladder.

    Tuned on ERCOT HB_WEST 2022 (never on the 2023 benchmark year): a tight 4CP alert (99.5 %
    of the month's high, 16:00–18:00 local) avoids the peaks with far fewer false alarms than
    a loose one (95 %, 14:00–19:00 captured 0.74 in 2022 against 0.89).
    """

    confirm_intervals: int = 1
    resume_intervals: int = 1
    use_low_power: bool = True
    four_cp_alert_fraction: float = 0.995
    four_cp_window_local_hours: tuple[int, int] = (16, 18)


class ThresholdPolicy:
    """Breakeven ladder on the last real-time price, with a 4CP alert rule."""

    name = "threshold"

    def __init__(self, site: SiteModel, settings: ThresholdSettings | None = None) -> None:
        self.site = site
        self.settings = settings or ThresholdSettings()
        self.four_cp = FourCpWatch(
            site.four_cp_months,
            self.settings.four_cp_alert_fraction,
            self.settings.four_cp_window_local_hours,
        )
        self.training_breakeven = training_breakeven_usd_per_mwh(site)

    def decide(self, observation: Observation) -> Decision:
        """Step each group along normal / low-power / off from recent prices."""
        site, settings = self.site, self.settings
        count = site.asic_count
        history = observation.rt_price_usd_per_mwh
        if len(history) == 0:
            return Decision(tuple(np.ones(count)), tuple(np.zeros(count)), float("inf"))
        if self.four_cp.alert(observation):
            normal, low, training = fit_to_cap(
                site, observation, np.zeros(count), np.zeros(count), float("inf")
            )
            return Decision(tuple(normal), tuple(low), training)
        recent = history.values[-max(settings.confirm_intervals, settings.resume_intervals) :]
        load_mw = (
            float(site.asic_power_mw @ np.asarray(observation.asic_on_fraction))
            + observation.must_serve_gpu_mw_last
        )
        prices = np.array([marginal_price_usd_per_mwh(site, p, load_mw) for p in recent])
        confirm = prices[-settings.confirm_intervals :]
        resume = prices[-settings.resume_intervals :]
        breakeven_normal = site.mining_usd_per_mwh(observation.hashprice_usd_per_ph_day)
        ratio = site.asic_low_hashrate_fraction / site.asic_low_power_fraction
        breakeven_low = breakeven_normal * ratio if settings.use_low_power else breakeven_normal
        on_before = np.asarray(observation.asic_on_fraction)
        normal, low = np.zeros(count), np.zeros(count)
        for g in range(count):
            level = self._level(confirm, resume, breakeven_normal[g], breakeven_low[g], on_before[g])
            if level == 2:
                normal[g] = 1.0
            elif level == 1:
                low[g] = 1.0
        training = 0.0 if prices[-1] > self.training_breakeven else float("inf")
        normal, low, training = fit_to_cap(site, observation, normal, low, training)
        return Decision(tuple(normal), tuple(low), training)

    def _level(
        self, confirm: np.ndarray, resume: np.ndarray, be_normal: float, be_low: float, on_before: float
    ) -> int:
        """2 = normal, 1 = low-power, 0 = off: step down on confirmed highs, up on sustained lows."""
        use_low = self.settings.use_low_power and be_low > be_normal
        if confirm.min() > max(be_low, be_normal):
            target_down = 0
        elif use_low and confirm.min() > be_normal:
            target_down = 1
        else:
            target_down = 2
        if on_before < 0.5:  # currently off: resume only after sustained lower prices
            if resume.max() <= be_normal:
                return 2
            if use_low and resume.max() <= be_low:
                return 1
            return 0
        return target_down
