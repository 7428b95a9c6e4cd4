"""Scenarios to and from TOML files (written atomically; errors name the key)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w

from wattswitch.data.io import read_text, write_text_atomic
from wattswitch.errors import InputError, ModelError
from wattswitch.model import scenario_bounds
from wattswitch.model.codec import from_plain, to_plain
from wattswitch.model.scenario import Scenario


def parse_scenario_toml(text: str, source: str) -> Scenario:
    """A Scenario from TOML text; the top level is the scenario table itself."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(source, f"not valid TOML ({err})", expected="a scenario TOML file") from err
    return checked_as_written(from_plain(Scenario, data, source, path="scenario"), source)


def checked_as_written(scenario: Scenario, source: str) -> Scenario:
    """The scenario, once :func:`scenario_bounds.check_as_written` passed (its error names the key)."""
    try:
        scenario_bounds.check_as_written(scenario)
    except ModelError as err:
        raise InputError(source, str(err), field="scenario") from err
    return scenario


def scenario_to_toml(scenario: Scenario) -> str:
    """TOML text that :func:`parse_scenario_toml` reads back into an equal Scenario."""
    header = f"# wattswitch scenario '{scenario.name}' — edit and run with --scenario FILE\n"
    return header + tomli_w.dumps(to_plain(scenario))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    return parse_scenario_toml(read_text(path), str(path))


def save_scenario(scenario: Scenario, path: str | Path) -> None:
    """Write the scenario to ``path`` atomically (a temp file renamed into place)."""
    write_text_atomic(path, scenario_to_toml(scenario))
