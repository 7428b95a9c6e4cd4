"""Gaps inside a signal are bridged and counted; a file that ends (or starts) more than a day away
from the run's edge is an error naming the dates, never months of invented prices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_testing import run_cli
from wattswitch.data.engine_inputs import bridge_gaps
from wattswitch.errors import InputError

GRID = pd.date_range("2025-06-02T05:00Z", periods=4 * 24 * 14, freq="15min")


def test_a_gap_inside_the_data_is_bridged_and_counted() -> None:
    values = np.full(len(GRID), 30.0)
    values[100:140] = np.nan
    bridged, filled = bridge_gaps(values, "prices.csv", GRID)
    assert filled == 40
    assert not np.isnan(bridged).any()


def test_data_ending_a_week_early_is_an_error_naming_the_end() -> None:
    values = np.full(len(GRID), 30.0)
    values[4 * 24 * 7 :] = np.nan
    with pytest.raises(InputError, match=r"the data ends 2025-06-09 05:00 UTC, 7.0 days before the run"):
        bridge_gaps(values, "prices.csv", GRID)


def test_data_starting_late_is_an_error_naming_the_start() -> None:
    values = np.full(len(GRID), 30.0)
    values[: 4 * 24 * 3] = np.nan
    with pytest.raises(InputError, match=r"--start on or after 2025-06-05"):
        bridge_gaps(values, "prices.csv", GRID)


def test_simulate_past_the_end_of_a_price_file_exits_2(tmp_path: Path) -> None:
    week = pd.date_range("2025-06-02T05:00Z", periods=4 * 24 * 7, freq="15min")
    rows = "\n".join(f"{t:%Y-%m-%dT%H:%M:%SZ},{30 + i % 5}" for i, t in enumerate(week))
    prices = tmp_path / "week.csv"
    prices.write_text(f"interval_start_utc,HB_WEST\n{rows}\n", encoding="utf-8")
    done = run_cli("simulate", "--prices", str(prices), "--start", "2025-06-02", "--end", "2025-06-30")
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert "the data ends 2025-06-09" in line
    assert "--end on or before 2025-06-09" in line
