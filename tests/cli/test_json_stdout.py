"""Every ``--json`` the CLI offers is one JSON document on stdout, read from the real executable.

These run ``wattswitch`` as a subprocess so that anything written to file descriptor 1 by C code
(highspy 1.16 prints its banner there on the first ``Highs()``) would break them, as it broke
``compare --json | python -m json.tool`` for users.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cli_testing import json_stdout, run_cli

FIXTURES = Path(__file__).parents[1] / "fixtures"
WEEK = ("--start", "2025-06-02", "--end", "2025-06-09")


def test_quiet_highs_keeps_the_banner_off_stdout_even_in_a_pipe() -> None:
    code = (
        "from wattswitch.dispatch.highs_solver import quiet_highs\n"
        "for _ in range(3):\n"
        "    h = quiet_highs()\n"
        "    x = h.addVariable(lb=0, ub=4); y = h.addVariable(lb=0, ub=4)\n"
        "    h.addConstr(x + y <= 5); h.maximize(x + 2 * y)\n"
        "    print('objective', h.getInfo().objective_function_value)\n"
    )
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "objective 9.0\n" * 3
    assert "HiGHS" not in done.stderr


def test_compare_json_is_one_document_with_every_policy() -> None:
    payload = json_stdout(run_cli("compare", *WEEK, "--json"))
    policies = payload["policies"]
    assert set(policies) == {"always-on", "threshold", "mpc", "oracle"}
    for summary in policies.values():
        assert summary["power_limit_violations"] == 0
    assert policies["oracle"]["profit_usd"] >= policies["mpc"]["profit_usd"]


def test_simulate_json_is_one_document() -> None:
    payload = json_stdout(run_cli("simulate", *WEEK, "--policy", "threshold", "--json"))
    assert payload["policy"] == "threshold"
    assert "threshold" in payload["policies"]


def test_schedule_json_is_one_document() -> None:
    trace = FIXTURES / "scheduling" / "tiny_jobs.csv"
    payload = json_stdout(run_cli("schedule", "--jobs", str(trace), "--gpus", "64", "--json"))
    assert payload


def test_plan_json_is_one_document() -> None:
    site = Path(__file__).parents[2] / "examples" / "sites" / "permian-200.toml"
    payload = json_stdout(run_cli("plan", str(site), "--json"))
    assert payload


def test_scenario_show_json_is_one_document() -> None:
    payload = json_stdout(run_cli("scenario", "show", "--json"))
    assert payload["scenario"]["site"]["hub"] == "HB_WEST"


def test_data_inspect_json_is_one_document() -> None:
    prices = FIXTURES / "prices" / "tidy_ercot_rt_sample.csv"
    payload = json_stdout(run_cli("data", "inspect", str(prices), "--json"))
    assert payload["rows"] > 0


def test_control_demo_json_is_one_document() -> None:
    payload = json_stdout(run_cli("control", "demo", "--miners", "12", "--json", timeout_s=240))
    assert payload
