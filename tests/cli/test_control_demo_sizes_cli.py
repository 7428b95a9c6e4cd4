"""`wattswitch control demo` at larger sizes: every fake miner identified, the target reached,
timeouts scaled with the fleet (or as given on the command line)."""

from __future__ import annotations

import json
from typing import Any

from cli_testing import run_cli


def _demo(*args: str) -> dict[str, Any]:
    done = run_cli("control", "demo", *args, "--json", timeout_s=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_larger_demo_with_faulty_miners_identifies_all_and_reaches_the_target() -> None:
    result = _demo("--miners", "200", "--lie", "2", "--hang", "2", "--fail", "1")
    assert result["miners"] == 200
    assert result["identified"] == 200
    assert result["target_reached"] is True
    assert result["max_over_cap_mw"] == 0.0
    assert result["failed"] >= 3  # the hanging and failing miners
    assert result["timeout_s"] == 1.2  # 1 s + 1 ms per miner
    # scaled: at least --timeout-s + 20 ms for each of the 128 identified at once
    assert result["discovery_timeout_s"] >= 1.2 + 128 * 0.02 - 1e-9
    assert {state for _, _, state in result["decisions"]} == {"confirmed"}


def test_timeouts_given_on_the_command_line_are_used() -> None:
    result = _demo("--miners", "12", "--timeout-s", "0.8", "--discovery-timeout-s", "6")
    assert (result["timeout_s"], result["discovery_timeout_s"]) == (0.8, 6.0)
    assert result["identified"] == 12
    assert result["discovery_passes"] == 1
    assert result["target_reached"] is True
