"""Watching for ERCOT 4CP peaks from what is known: the system load up to the last interval."""

from __future__ import annotations

import numpy as np

from wattswitch.model.observation import Observation


class FourCpWatch:
    """Flags intervals that may be this month's system peak (summer afternoons near the high)."""

    def __init__(
        self, months: tuple[int, ...], alert_fraction: float, window_local_hours: tuple[int, int]
    ) -> None:
        self.months = frozenset(months)
        self.alert_fraction = alert_fraction
        self.window = window_local_hours
        self._month_start: np.ndarray | None = None

    def month_start(self, observation: Observation) -> int:
        """First interval of the local month containing the observation's interval."""
        if self._month_start is None or len(self._month_start) != len(observation.local_month):
            month = observation.local_month
            starts = np.concatenate(([0], np.flatnonzero(np.diff(month) != 0) + 1))
            self._month_start = np.repeat(starts, np.diff(np.concatenate((starts, [len(month)]))))
        return int(self._month_start[observation.t])

    def month_high_mw(self, observation: Observation) -> float:
        """Highest system load seen so far this month (NaN when none yet)."""
        past = observation.system_load_mw.values[self.month_start(observation) :]
        return float(np.nanmax(past)) if past.size and not np.isnan(past).all() else float("nan")

    def in_window(self, observation: Observation, t: int) -> bool:
        """Interval ``t`` lies in a 4CP month's afternoon window."""
        hour = observation.local_hour[t]
        return int(observation.local_month[t]) in self.months and self.window[0] <= hour < self.window[1]

    def in_window_many(self, observation: Observation, targets: np.ndarray) -> np.ndarray:
        """:meth:`in_window` for each interval of ``targets`` at once."""
        if not self.months:
            return np.zeros(len(targets), dtype=bool)
        hour = observation.local_hour[targets]
        month = observation.local_month[targets]
        return np.asarray(
            np.isin(month, list(self.months)) & (self.window[0] <= hour) & (hour < self.window[1])
        )

    def alert(self, observation: Observation) -> bool:
        """The last known system load is close to this month's high, inside the peak window."""
        if not self.months or not self.in_window(observation, observation.t):
            return False
        last = observation.system_load_mw.last()
        high = self.month_high_mw(observation)
        return bool(np.isfinite(last) and np.isfinite(high) and last >= self.alert_fraction * high)
