"""Background runs: a small pool of threads fed by a queue. A run moves queued → running →
succeeded | failed in the database; progress is written at most every ``progress_interval_s``;
results (metrics and series) are written in one transaction when the run ends, so a run is never
half-written. Stopping the worker cancels the run in progress (it is marked failed)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

from wattswitch.api import service
from wattswitch.api.service import Cancelled
from wattswitch.errors import WattswitchError
from wattswitch.store import codec, repo
from wattswitch.store.db import Store
from wattswitch.store.models import RunRow, ScenarioRow

log = logging.getLogger("wattswitch.worker")
_STOP = -1


class RunWorker:
    """Executes queued runs in ``workers`` daemon threads (started on the first submission)."""

    def __init__(
        self,
        store: Store,
        *,
        workers: int = 1,
        max_run_days: int = 366,
        progress_interval_s: float = 0.25,
        data_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.workers = workers
        self.max_run_days = max_run_days
        self.progress_interval_s = progress_interval_s
        self._queue: queue.Queue[int] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def resume(self) -> None:
        """Accept runs again after :meth:`stop` (an app's lifespan may start more than once)."""
        with self._lock:
            self._stopping.clear()

    def submit(self, run_id: int) -> None:
        """Queue a run (already stored with status ``queued``); while stopping it is marked failed."""
        with self._lock:
            if self._stopping.is_set():
                self._fail(run_id, "cancelled: the server is stopping")
                return
            if not self._threads:
                for i in range(self.workers):
                    thread = threading.Thread(target=self._loop, name=f"wattswitch-run-{i}", daemon=True)
                    thread.start()
                    self._threads.append(thread)
        self._queue.put(run_id)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Cancel the run in progress, drop queued ones (marked failed) and join the threads."""
        with self._lock:
            self._stopping.set()
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(_STOP)
        deadline = time.monotonic() + timeout_s
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        while True:  # leftover ids and stop marks must not reach the threads of a later start
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        with self.store.write() as session:
            repo.fail_unfinished_runs(session, "cancelled: the server stopped before the run finished")

    def _loop(self) -> None:
        while True:
            run_id = self._queue.get()
            if run_id == _STOP or self._stopping.is_set():
                return
            self.execute(run_id)

    def execute(self, run_id: int) -> None:
        """Run one queued run to the end (or to a recorded failure)."""
        with self.store.write() as session:
            if not repo.start_run(session, run_id):
                return
        try:
            plain, config, policies = self._load(run_id)
            scenario = service.run_scenario(
                service.resolve_signal_files(codec.scenario_from_json(plain), self.data_dir),
                _day(config.get("start")),
                _day(config.get("end")),
                config.get("step_s"),
                self.max_run_days,
            )
            metrics, series = service.simulate(scenario, policies, self._reporter(run_id))
            with self.store.write() as session:
                repo.finish_run(session, run_id, metrics, series)
        except Cancelled:
            self._fail(run_id, "cancelled: the server stopped before the run finished")
        except WattswitchError as err:
            self._fail(run_id, str(err))
        except Exception as err:  # a run must never take the worker down; the reason is kept
            log.exception("run %s failed", run_id)
            self._fail(run_id, f"internal error: {type(err).__name__}: {err}")

    def _load(self, run_id: int) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        with self.store.read() as session:
            run = repo.get(session, RunRow, run_id, "run")
            scenario = repo.get(session, ScenarioRow, run.scenario_id, "scenario")
            return dict(scenario.plain), dict(run.config), [str(p) for p in run.policies]

    def _reporter(self, run_id: int) -> service.Reporter:
        last = [0.0]

        def report(progress: float) -> None:
            if self._stopping.is_set():
                raise Cancelled
            now = time.monotonic()
            if now - last[0] >= self.progress_interval_s:
                last[0] = now
                with self.store.write() as session:
                    repo.set_progress(session, run_id, progress)

        return report

    def _fail(self, run_id: int, reason: str) -> None:
        with self.store.write() as session:
            repo.fail_run(session, run_id, reason)


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))
