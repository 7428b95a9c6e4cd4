"""Scenarios round-trip through TOML; bad files get errors naming the file and the key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from wattswitch.data.scenario_file import (
    load_scenario,
    parse_scenario_toml,
    save_scenario,
    scenario_to_toml,
)
from wattswitch.errors import InputError
from wattswitch.model.scenario import Scenario


def test_default_scenario_round_trips_through_toml(scenario: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    save_scenario(scenario, path)
    assert load_scenario(path) == scenario
    assert [p.name for p in tmp_path.iterdir()] == ["site.toml"]  # no temp file left behind


def test_edited_file_changes_the_scenario(scenario: Scenario) -> None:
    text = scenario_to_toml(scenario).replace("interconnect_limit_mw = 100.0",
                                              "interconnect_limit_mw = 150.0")
    assert parse_scenario_toml(text, "x.toml").site.interconnect_limit_mw == 150.0


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("count = 10000", "count = -5", r"site.toml: scenario.asic_groups\[0\]: .*count: must be"),
        ("count = 10000", 'count = "many"', r"scenario.asic_groups\[0\].count: got 'many'; expected a whole"),
        ("interconnect_limit_mw = 100.0\n", "", r"scenario.site.interconnect_limit_mw: missing"),
        ("hub = \"HB_WEST\"", "hub = \"HB_WEST\"\nhub_mw = 3", r"scenario.site: unknown key\(s\) hub_mw"),
        ("step_s = 900", "step_s = 600", r"step_s: must be 300 or 900"),
        ("start_utc = 2025-01-01 06:00:00+00:00", "start_utc = 2025-01-01T06:00:00",
         r"scenario.start_utc: .*expected a date-time with zone"),
    ],
)
def test_bad_scenario_files_name_the_key(scenario: Scenario, old: str, new: str, message: str) -> None:
    text = scenario_to_toml(scenario)
    assert old in text
    with pytest.raises(InputError, match=message):
        parse_scenario_toml(text.replace(old, new, 1), "site.toml")


def test_invalid_toml_says_so(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("name = \"x\"\n[site\n")
    with pytest.raises(InputError, match=r"broken.toml: not valid TOML .*line 2"):
        load_scenario(path)


def test_failed_save_leaves_the_old_file_intact(scenario: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    save_scenario(scenario, path)
    before = path.read_text()
    broken = dataclasses.replace(scenario, description="x")
    object.__setattr__(broken, "step_s", object())  # cannot be written as TOML
    with pytest.raises(TypeError):
        save_scenario(broken, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["site.toml"]
