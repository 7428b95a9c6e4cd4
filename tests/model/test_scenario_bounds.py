"""Impossible scenarios are refused where they are checked, in one line naming the key and the fix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cli_testing import run_cli
from wattswitch.data.scenario_file import parse_scenario_toml, scenario_to_toml
from wattswitch.errors import InputError
from wattswitch.model import scenario_bounds
from wattswitch.model.default_scenario import default_scenario
from wattswitch.store.codec import scenario_from_json, scenario_to_json

DEFAULT_TOML = scenario_to_toml(default_scenario())

# (what the file says instead, the key the error must name, a word of the fix)
IMPOSSIBLE = [
    (("interconnect_limit_mw = 100.0", "interconnect_limit_mw = 1e308"), "interconnect_limit_mw", "at most"),
    (("count = 10000", "count = 1000000000000"), "asic_groups[0].count", "at most"),
    (("block_mw = 60.0", "block_mw = 1000000.0"), "contract.ppa.block_mw", "interconnect"),
    (("resell_unused = true", "resell_unused = false"), "contract.ppa.resell_unused", "set it to true"),
    (("cap_mw = 20.0", "cap_mw = 150.0"), "demand_response_events[0].cap_mw", "lower than"),
    (
        ("start_utc = 2025-08-20 20:00:00+00:00", "start_utc = 2027-08-20 20:00:00+00:00"),
        "demand_response_events[0].start_utc",
        "outside the horizon",
    ),
    (("node_count = 1416", "node_count = 90000"), "gpu_groups", "cannot be curtailed"),
    (("seed = 2025", "seed = -1"), "seed", "must be in"),
    (("end_utc = 2026-01-01 06:00:00+00:00", "end_utc = 9999-01-01 06:00:00+00:00"), "end_utc", "outside"),
    (("end_utc = 2026-01-01 06:00:00+00:00", "end_utc = 2045-01-01 06:00:00+00:00"), "end_utc", "ten years"),
]


def _edited(old: str, new: str) -> str:
    assert old in DEFAULT_TOML, old
    return DEFAULT_TOML.replace(old, new, 1)


@pytest.mark.parametrize(("edit", "key", "fix"), IMPOSSIBLE)
def test_a_file_is_refused_naming_the_key(edit: tuple[str, str], key: str, fix: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_scenario_toml(_edited(*edit), "site.toml")
    message = str(caught.value)
    assert key in message
    assert fix in message


def test_gpu_nodes_reserved_beyond_the_limit_are_refused_when_decoded_too() -> None:
    plain = scenario_to_json(default_scenario())
    plain["site"]["interconnect_limit_mw"] = 1.0  # the reserved tenant alone draws more
    plain["contract"]["ppa"]["block_mw"] = 0.5
    with pytest.raises(InputError, match="cannot be curtailed"):
        scenario_from_json(plain)


def test_a_narrowed_horizon_drops_events_outside_it_without_error() -> None:
    scenario = default_scenario()
    start = scenario.start_utc.replace(month=3)
    narrowed = dataclasses.replace(scenario, start_utc=start, end_utc=start.replace(month=4))
    assert narrowed.demand_response_events == scenario.demand_response_events


@pytest.mark.parametrize(("edit", "key", "fix"), [IMPOSSIBLE[2], IMPOSSIBLE[6]])
def test_scenario_check_exits_2_with_one_line(
    tmp_path: Path, edit: tuple[str, str], key: str, fix: str
) -> None:
    path = tmp_path / "site.toml"
    path.write_text(_edited(*edit), encoding="utf-8")
    done = run_cli("scenario", "check", str(path), timeout_s=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert key in lines[0]
    assert fix in lines[0]
    assert done.stdout == ""


def test_the_default_scenario_is_not_unusual() -> None:
    assert scenario_bounds.unusual(default_scenario()) == []


def test_unusual_values_are_warnings_on_stderr_not_errors(tmp_path: Path) -> None:
    path = tmp_path / "hot.toml"
    path.write_text(_edited("pue = 1.05 }", "pue = 2.5 }"), encoding="utf-8")
    done = run_cli("scenario", "check", str(path), timeout_s=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: scenario 'default'")
    expected = f"warning: {path}: site.cooling_zones (mining-hall).pue: 2.5 is high for any hall"
    assert done.stderr.strip() == expected
