"""`wattswitch control --config` as a newcomer starts it: the sample configuration of
docs/control.md as written, a quoted replay start, and Slurm unreachable at start-up."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli_testing import run_cli
from wattswitch.store import live
from wattswitch.store.db import Store

ROOT = Path(__file__).resolve().parents[2]
REPLAY_START = datetime(2025, 7, 1, tzinfo=UTC)


def _run(*args: str, cwd: Path, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout_s=timeout_s, cwd=cwd)


def _steps(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _open_alerts(database: Path) -> dict[str, str]:
    store = Store(str(database))
    try:
        with store.read() as session:
            return {a.kind: a.message for a in live.alerts_of(session, 1, open_only=True)}
    finally:
        store.dispose()


def _replay_site(folder: Path, *, start: str, slurm: str = "") -> Path:
    """A site on replayed prices (three days of 15-min prices around the replay start)."""
    rows = ["interval_start_utc,HB_WEST"]
    first = REPLAY_START - timedelta(days=2)
    rows += [
        f"{first + timedelta(minutes=15 * k):%Y-%m-%dT%H:%M:%SZ},{20 + k % 7}" for k in range(4 * 24 * 3)
    ]
    (folder / "prices.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = folder / "site.toml"
    config.write_text(
        f"""[control]
site_name = "replayed"
database = "journal.db"

[[control.miners]]
group = "s19xp"
addresses = ["127.0.0.2"]

[control.miner_io]
discovery_retries = 0

[control.prices]
source = "replay"
file = "prices.csv"
replay_start_utc = {start}
replay_speed = 1
{slurm}""",
        encoding="utf-8",
    )
    return config


# --- docs/control.md's sample ---------------------------------------------------------------------


def _documented_site_toml() -> str:
    """The ``site.toml`` block of docs/control.md, as written."""
    text = (ROOT / "docs" / "control.md").read_text(encoding="utf-8")
    after = text.split("`site.toml` (relative paths", 1)[1]
    match = re.search(r"```toml\n(.*?)```", after, re.DOTALL)
    assert match is not None, "docs/control.md: no ```toml block after the site.toml paragraph"
    return match.group(1)


def test_the_documented_sample_config_runs_as_written(tmp_path: Path) -> None:
    sample = _documented_site_toml()
    assert "[control.slurm]" in sample
    assert "[control.miner_io]" in sample
    (tmp_path / "site.toml").write_text(sample, encoding="utf-8")
    # the step the docs give before it: the site's scenario, saved next to site.toml
    saved = _run("scenario", "save", "scenario.toml", cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    # as the docs run it. Here no miner answers at 10.0.x, there is no /etc/slurm/slurm.conf and
    # no ERCOT, mempool.space or gridstatus: each is a safe mode, never a crash
    done = _run("control", "--config", "site.toml", "--dry-run", "--intervals", "1", "--json", cwd=tmp_path)
    [step] = _steps(done)
    assert step["kind"] == "interval"
    assert step["outcome"]["dry_run"] is True
    assert step["cap_mw"] >= step["planned_mw"]
    posted = _run(
        "control", "event", "--config", "site.toml", "--target-mw", "20", "--kind", "demand-response",
        "--duration-min", "120", cwd=tmp_path,
    )  # fmt: skip
    assert posted.returncode == 0, posted.stderr
    assert "grid event #1 (demand-response)" in posted.stdout
    assert (tmp_path / "wattswitch.db").is_file()  # relative to site.toml, as documented


# --- replay_start_utc: a TOML date-time or the same text quoted ---------------------------------


@pytest.mark.parametrize(
    "start", ["2025-07-01T00:00:00Z", '"2025-07-01T00:00:00Z"', '"2025-07-01 00:00:00+00:00"']
)
def test_replay_start_is_accepted_as_a_toml_datetime_or_quoted(tmp_path: Path, start: str) -> None:
    _replay_site(tmp_path, start=start)
    done = _run("control", "--config", "site.toml", "--dry-run", "--intervals", "1", "--json", cwd=tmp_path)
    [step] = _steps(done)
    assert step["at_utc"] == REPLAY_START.isoformat()  # the replay starts where it was told
    assert "price-feed" not in step["safe_modes"]


def test_a_replay_start_that_is_no_datetime_shows_the_accepted_form(tmp_path: Path) -> None:
    _replay_site(tmp_path, start='"1 July 2025"')
    done = _run("control", "--config", "site.toml", "--dry-run", "--intervals", "1", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "control.prices.replay_start_utc" in message
    assert "2025-01-01T00:00:00Z (quoted or not)" in message


# --- Slurm unreachable at start-up ------------------------------------------------------------------


def _dead_port() -> int:
    """A local port where nothing listens (free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("slurm_conf", ["down", "missing"])
def test_slurm_unreachable_at_start_up_is_the_cluster_safe_mode(tmp_path: Path, slurm_conf: str) -> None:
    if slurm_conf == "down":  # a valid slurm.conf whose slurmctld does not run
        (tmp_path / "slurm.conf").write_text(
            f"ClusterName=nowhere\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort={_dead_port()}\n"
            "AuthType=auth/none\nCredType=cred/none\n"
            "NodeName=gpu01 NodeAddr=127.0.0.1 CPUs=1 State=UNKNOWN\n"
            "PartitionName=spot Nodes=gpu01 Default=YES\n",
            encoding="utf-8",
        )
    slurm = '[control.slurm]\nslurm_conf = "slurm.conf"\ncommand_timeout_s = 2.0\n'
    _replay_site(tmp_path, start="2025-07-01T00:00:00Z", slurm=slurm)
    done = _run("control", "--config", "site.toml", "--dry-run", "--intervals", "1", "--json", cwd=tmp_path)
    [step] = _steps(done)
    assert "cluster" in step["safe_modes"]
    assert "Slurm unreachable at start-up" in " ".join(done.stderr.split())
    alerts = _open_alerts(tmp_path / "journal.db")
    assert "Slurm unreachable" in alerts["cluster"]
    assert "GPUs budgeted at full power" in alerts["cluster"]
