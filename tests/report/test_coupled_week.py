"""Which week the coupled report draws: the most cap-binding intervals, else the largest AI swing."""

from __future__ import annotations

import numpy as np

from wattswitch.report.simulation_report import choose_coupled_week

STEP_S = 3600
DAY = 24


def _hours(days: int) -> np.ndarray:
    return np.tile(np.arange(DAY, dtype=float), days)


def test_the_week_with_most_binding_intervals_wins() -> None:
    days = 21
    binding = np.zeros(days * DAY, dtype=bool)
    binding[15 * DAY: 16 * DAY] = True  # day 15 binds all day
    ai_mw = np.ones(days * DAY)
    ai_mw[2] = 9.0  # a big swing far from it does not matter
    week = choose_coupled_week(binding, ai_mw, _hours(days), STEP_S)
    assert week.by_binding
    assert week.binding_intervals == DAY
    assert week.start <= 15 * DAY
    assert week.stop >= 16 * DAY
    assert week.start % DAY == 0
    assert week.stop - week.start == 7 * DAY


def test_without_binding_the_largest_ai_swing_wins() -> None:
    days = 21
    ai_mw = np.ones(days * DAY)
    ai_mw[20 * DAY + 3] = 5.0
    week = choose_coupled_week(np.zeros(days * DAY, dtype=bool), ai_mw, _hours(days), STEP_S)
    assert not week.by_binding
    assert week.ai_swing_mw == 4.0
    assert week.stop == days * DAY


def test_a_short_run_is_drawn_whole() -> None:
    week = choose_coupled_week(np.ones(3 * DAY, dtype=bool), np.ones(3 * DAY), _hours(3), STEP_S)
    assert (week.start, week.stop, week.binding_intervals) == (0, 3 * DAY, 3 * DAY)
