"""A scenario's signals remember the step each was recorded at, so the engine knows when it settles."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from wattswitch.data.engine_inputs import site_inputs
from wattswitch.data.signals import RT_PRICE, SYSTEM_LOAD, build_signals
from wattswitch.model.default_scenario import default_scenario
from wattswitch.sim.engine import SimulatedSite

PRICES = Path(__file__).parents[1] / "fixtures" / "prices"


def test_an_hourly_load_file_keeps_its_hour_and_is_known_only_once_each_hour_ends() -> None:
    base = default_scenario()
    load_file = str(PRICES / "eia_ercot_load_2020_names.csv")
    start = datetime(2020, 1, 1, 6, tzinfo=UTC)  # the fixture's first hour (local midnight)
    scenario = dataclasses.replace(
        base,
        start_utc=start,
        end_utc=datetime(2020, 1, 1, 11, tzinfo=UTC),
        signals=dataclasses.replace(base.signals, grid_load_file=load_file),
    )
    signals = build_signals(scenario)
    assert signals.native_step_s[SYSTEM_LOAD] == 3600
    assert signals.native_step_s[RT_PRICE] == scenario.step_s  # generated on the grid
    inputs = site_inputs(scenario, signals)
    assert inputs.system_load_native_step_s == 3600
    site = SimulatedSite(scenario, inputs)
    per_hour = 3600 // scenario.step_s
    np.testing.assert_array_equal(
        site.schedule.load_known_until, np.repeat(np.arange(5) * per_hour, per_hour)
    )
    np.testing.assert_array_equal(site.schedule.rt_known_until, np.arange(5 * per_hour))
