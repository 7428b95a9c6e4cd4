"""`wattswitch simulate` and `wattswitch compare` as a user runs them (one generated week)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import wattswitch
from cli_testing import run_cli

WEEK = ("--start", "2025-07-01", "--end", "2025-07-08")
# Run the console script on the very sources this test process imported.
ENV = {**os.environ, "PYTHONPATH": str(Path(wattswitch.__file__).parents[1])}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script and capture its output."""
    return run_cli(*args, env=ENV)


def test_simulate_json_has_the_documented_shape() -> None:
    result = run("simulate", *WEEK, "--policy", "threshold", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    policies = payload["policies"]
    assert set(policies) == {"always-on", "threshold", "oracle"}
    for summary in policies.values():
        assert isinstance(summary["profit_usd"], float)
        assert set(summary["revenue_usd"]) >= {"mining", "reserved", "inference", "training"}
        assert set(summary["energy_mwh"]) >= {"mining", "ai_training", "site"}
        assert summary["power_limit_violations"] == 0
    assert policies["always-on"]["capture"] == 0
    assert policies["oracle"]["capture"] == 1
    assert 0 < policies["threshold"]["capture"] <= 1
    assert policies["oracle"]["profit_usd"] >= policies["threshold"]["profit_usd"]
    assert payload["policy"] == "threshold"


def test_compare_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "out.html"
    result = run("compare", *WEEK, "--policy", "threshold", "--report", str(out))
    assert result.returncode == 0, result.stderr
    assert "capture" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert "<h2>The week with the largest price spike</h2>" in page
    assert "<h2>AI by class and mining under the cap</h2>" in page  # the default site is coupled
    assert page.count("<svg") == 5  # spike week, monthly, cumulative, and the coupled week and its zoom
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"]  # written atomically, nothing left


def test_compare_takes_policy_like_simulate_and_the_old_policies_spelling() -> None:
    for spelling in (("--policy", "threshold", "--policy", "always-on"), ("--policies", "threshold")):
        result = run("compare", *WEEK, *spelling, "--json")
        assert result.returncode == 0, result.stderr
        assert set(json.loads(result.stdout)["policies"]) == {"always-on", "threshold", "oracle"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("simulate", "--start", "2025-13-45", "--json"), "--start"),
        (("simulate", *WEEK, "--policy", "nope"), "nope"),
        (("compare", *WEEK, "--policy", "threshold,nope"), "--policy: unknown policy nope"),
        (("compare", *WEEK, "--policy", "threshold", "--policy", "nope"), "--policy: unknown policy nope"),
        (("compare", *WEEK, "--policies", "threshold,nope"), "--policies: unknown policy nope"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], needle: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
