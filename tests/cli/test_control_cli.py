"""`wattswitch control`: the demo end to end, posting an event, and clear errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cli_testing import run_cli
from wattswitch.store import live
from wattswitch.store.db import Store


def _run(*args: str, timeout_s: float = 240) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout_s=timeout_s)


def test_the_demo_meets_a_demand_response_target_with_faulty_miners() -> None:
    done = _run("control", "demo", "--miners", "24", "--lie", "1", "--hang", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["miners"] == 24
    assert result["time_to_target_s"] is not None
    assert result["metered_mw_after"] <= result["target_mw"] + 1e-9
    assert result["max_over_cap_mw"] == 0.0
    assert result["failed"] >= 1  # the hanging miner
    assert result["sent"] == result["acknowledged"] + result["failed"]
    assert {state for _, _, state in result["decisions"]} == {"confirmed"}
    assert "grid-event" in {kind for _, kind, _ in result["decisions"]}


def test_the_demo_prints_a_table() -> None:
    done = _run("control", "demo", "--miners", "12")
    assert done.returncode == 0, done.stderr
    assert "trigger → metered load under target" in done.stdout
    assert "journal: 3 decisions, state confirmed" in done.stdout
    assert "not reached" not in done.stdout


def test_an_event_posted_from_the_cli_lands_in_the_store(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text("interval_start_utc,HB_WEST\n2025-01-01T00:00:00Z,20\n")
    config = tmp_path / "site.toml"
    config.write_text(
        '[control]\nsite_name = "cli site"\ndatabase = "journal.db"\n'
        '[[control.miners]]\ngroup = "s19xp"\naddresses = ["127.0.0.2"]\n'
        '[control.prices]\nfile = "prices.csv"\n',
        encoding="utf-8",
    )
    done = _run("control", "event", "--config", str(config), "--target-mw", "12.5", "--kind", "4cp")
    assert done.returncode == 0, done.stderr
    assert "grid event #1 (4cp)" in done.stdout
    store = Store(str(tmp_path / "journal.db"))
    try:
        with store.read() as session:
            (event,) = live.grid_events_of(session, 1)
            assert (event.kind, event.target_mw) == ("4cp", 12.5)
    finally:
        store.dispose()


def test_control_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing = _run("control", timeout_s=60)
    assert missing.returncode == 2
    assert "no --config given" in missing.stderr
    bad = tmp_path / "site.toml"
    bad.write_text(
        '[control]\nsite_name = "x"\npolicy = "oracle"\n[[control.miners]]\ngroup = "s19xp"\n'
        'addresses = ["127.0.0.2"]\n[control.prices]\nfile = "p.csv"\n',
        encoding="utf-8",
    )
    refused = _run("control", "--config", str(bad), timeout_s=60)
    assert refused.returncode == 2
    assert "site.toml" in refused.stderr
    assert "needs hindsight" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_demo_that_misses_its_target_says_so_and_exits_1() -> None:
    # a third of the fleet ignores the stop: the site cannot get under its target
    done = _run("control", "demo", "--miners", "12", "--fail", "4")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the demand-response target was not reached" in done.stdout
    assert "— (not reached:" in done.stdout
    assert "4 command(s) failed" in done.stdout
