"""One run, executed in a child process of the server.

A year-long comparison keeps a CPU busy for seconds; in a thread of the serving process it would
hold the GIL and slow every request (``/health`` went from 4 ms to 140 ms at p99 under a flood of
runs). In its own process it shares nothing with the server but the database: it loads the run,
simulates, reports progress and stores the result (or the failure) itself, under the server's
lease (``owner``), so a run that another server declared orphaned is never finished twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from wattswitch.api import service
from wattswitch.errors import WattswitchError
from wattswitch.store import codec, repo
from wattswitch.store.db import Store
from wattswitch.store.models import RunRow, ScenarioRow

log = logging.getLogger("wattswitch.worker")


@dataclass(frozen=True)
class RunJob:
    """Everything the child needs (plain values: it crosses a process boundary)."""

    database_url: str
    run_id: int
    owner: str
    data_dir: Path | None
    max_run_days: int
    progress_interval_s: float


def main(job: RunJob) -> None:
    """The child's entry point: execute the run, then close the database."""
    store = Store(job.database_url)
    try:
        execute(store, job)
    finally:
        store.dispose()


def execute(store: Store, job: RunJob) -> None:
    """Run a run already marked running under ``job.owner`` to success or a recorded failure."""
    try:
        plain, config, policies = _load(store, job.run_id)
        scenario = service.run_scenario(
            service.resolve_signal_files(codec.scenario_from_json(plain), job.data_dir),
            _day(config.get("start")),
            _day(config.get("end")),
            config.get("step_s"),
            job.max_run_days,
        )
        metrics, series = service.simulate(scenario, policies, _reporter(store, job))
        with store.write() as session:
            if not repo.finish_run(session, job.run_id, metrics, series, job.owner):
                log.warning("run %s was declared orphaned while it ran; its results are dropped", job.run_id)
    except WattswitchError as err:
        fail(store, job, str(err))
    except Exception as err:  # the reason is kept on the run; the server never sees a traceback
        log.exception("run %s failed", job.run_id)
        fail(store, job, f"internal error: {type(err).__name__}: {err}")


def fail(store: Store, job: RunJob, reason: str) -> None:
    """Mark the run failed, if it is still this server's and unfinished."""
    with store.write() as session:
        repo.fail_run(session, job.run_id, reason, job.owner)


def _load(store: Store, run_id: int) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    with store.read() as session:
        run = repo.get(session, RunRow, run_id, "run")
        scenario = repo.get(session, ScenarioRow, run.scenario_id, "scenario")
        return dict(scenario.plain), dict(run.config), [str(p) for p in run.policies]


def _reporter(store: Store, job: RunJob) -> service.Reporter:
    last = [0.0]

    def report(progress: float) -> None:
        now = time.monotonic()
        if now - last[0] >= job.progress_interval_s:
            last[0] = now
            with store.write() as session:
                repo.set_progress(session, job.run_id, progress, job.owner)

    return report


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))
