"""The `wattswitch` command as a user runs it: scenario show/save/check and data inspect."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cli_testing import run_cli

FIXTURES = Path(__file__).parents[1] / "fixtures"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script and capture its output."""
    return run_cli(*args)


def test_scenario_show_json_describes_the_default_site() -> None:
    result = run("scenario", "show", "--json", "--signals")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["scenario"]["site"]["hub"] == "HB_WEST"
    assert payload["derived"]["periods"] == 35040
    prices = payload["signals"]["rt_price_usd_per_mwh"]
    assert prices["rows"] == 35040
    assert prices["gaps"]["count"] == 0
    assert payload["training_jobs"]["jobs"] > 1000


def test_scenario_save_then_check_and_show_the_file(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    assert run("scenario", "save", str(path)).returncode == 0
    checked = run("scenario", "check", str(path))
    assert checked.returncode == 0
    assert "ok: scenario 'default', 35,040 intervals" in checked.stdout
    edited = path.read_text().replace('name = "Permian Flats"', 'name = "Edited Site"')
    path.write_text(edited)
    shown = run("scenario", "show", "--scenario", str(path), "--json")
    assert json.loads(shown.stdout)["scenario"]["site"]["name"] == "Edited Site"


def test_bad_scenario_file_is_one_line_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    assert run("scenario", "save", str(path)).returncode == 0
    path.write_text(path.read_text().replace("count = 10000", "count = -3", 1))
    result = run("scenario", "check", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.toml" in lines[0]
    assert "asic_groups[0]" in lines[0]
    assert "count" in lines[0]


def test_data_inspect_json_on_a_price_fixture() -> None:
    result = run("data", "inspect", str(FIXTURES / "prices" / "tidy_ercot_rt_sample.csv"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["kind"] == "prices"
    assert summary["step_s"] == 900
    assert summary["gaps"]["count"] >= 1
    assert set(summary["series"]) >= {"HB_WEST", "HB_NORTH"}


def test_data_inspect_jobs_reports_gpu_hours_and_histogram() -> None:
    result = run("data", "inspect", str(FIXTURES / "jobs" / "helios_small.csv"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["kind"] == "jobs"
    assert summary["total_gpu_hours"] > 0
    assert sum(summary["gpu_count_histogram"].values()) == summary["jobs"]


@pytest.mark.parametrize(
    ("fixture", "needle"),
    [
        ("prices/malformed_row.csv", "malformed_row.csv:4:"),
        ("prices/mixed_steps.csv", "mixed_steps.csv:5:"),
        ("prices/empty.csv", "empty.csv"),
        ("jobs/negative_duration.csv", "negative_duration.csv:"),
    ],
)
def test_bad_data_files_exit_2_with_one_clear_line(fixture: str, needle: str) -> None:
    result = run("data", "inspect", str(FIXTURES / fixture))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert needle in result.stderr
    assert "expected" in result.stderr


@pytest.mark.realdata
def test_data_inspect_the_real_ercot_file(shared_data: Path) -> None:
    path = shared_data / "ercot_rt_hub_spp_15min" / "ercot_rt_hub_spp_15min_2020_2023.csv.gz"
    summary = json.loads(run("data", "inspect", str(path), "--json").stdout)
    assert summary["rows"] == 140256
    assert summary["gaps"]["count"] == 44
    assert summary["gaps"]["longest"]["intervals"] == 1579
    assert summary["series"]["HB_WEST"]["min"] < 0
