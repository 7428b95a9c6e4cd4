"""Background runs: a small pool of threads fed by a queue. A run moves queued → running →
succeeded | failed in the database; progress is written at most every ``progress_interval_s``;
results (metrics and series) are written in one transaction when the run ends, so a run is never
half-written. Stopping the worker cancels the run in progress (it is marked failed).

Each run is leased to the server process that accepted it (``owner``): a lease thread renews the
heartbeat of this process's unfinished runs every third of ``lease_s`` and marks failed, once,
the runs whose owner stopped renewing (a server that died). A second server on the same database
therefore neither takes nor fails the first one's runs, and a run ends exactly once."""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from wattswitch.api import service
from wattswitch.api.service import Cancelled
from wattswitch.errors import WattswitchError
from wattswitch.store import codec, repo
from wattswitch.store.db import Store
from wattswitch.store.models import RunRow, ScenarioRow, utc_now

log = logging.getLogger("wattswitch.worker")
_STOP = -1
INTERRUPTED = "interrupted: the server running it stopped before the run finished; start it again"
CANCELLED = "cancelled: the server stopped before the run finished"


def new_owner_id() -> str:
    """A name for this server process that no other process shares (host, pid, random suffix)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
        lease_s: float = 30.0,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.owner = new_owner_id()
        self.lease_s = lease_s
        self._lease_thread: threading.Thread | None = None
        self._lease_stop = threading.Event()
        self.workers = workers
        self.max_run_days = max_run_days
        self.progress_interval_s = progress_interval_s
        self._queue: queue.Queue[int] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def resume(self) -> None:
        """Accept runs again after :meth:`stop` (an app's lifespan may start more than once), and
        keep this process's leases alive."""
        with self._lock:
            self._stopping.clear()
            if self._lease_thread is None:
                self._lease_stop.clear()
                thread = threading.Thread(target=self._keep_leases, name="wattswitch-lease", daemon=True)
                self._lease_thread = thread
                thread.start()

    def sweep_orphans(self) -> int:
        """Renew this process's leases, then fail (once) the runs of servers that stopped renewing."""
        stale_before = utc_now() - timedelta(seconds=self.lease_s)
        with self.store.write() as session:
            repo.renew_leases(session, self.owner)
        with self.store.write() as session:
            orphaned = repo.fail_orphaned_runs(session, stale_before, INTERRUPTED)
        if orphaned:
            log.warning("marked %d run(s) of a stopped server failed", orphaned)
        return orphaned

    def _keep_leases(self) -> None:
        while not self._lease_stop.wait(self.lease_s / 3):
            try:
                self.sweep_orphans()
            except Exception:  # a database hiccup must not end the lease thread
                log.exception("could not renew the run leases")

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
        self._lease_stop.set()
        lease_thread, self._lease_thread = self._lease_thread, None
        if lease_thread is not None:
            lease_thread.join(max(deadline - time.monotonic(), 0.0))
        with self.store.write() as session:
            repo.fail_unfinished_runs(session, CANCELLED, owner=self.owner)

    def _loop(self) -> None:
        while True:
            run_id = self._queue.get()
            if run_id == _STOP or self._stopping.is_set():
                return
            self.execute(run_id)

    def execute(self, run_id: int) -> None:
        """Run one queued run to the end (or to a recorded failure)."""
        with self.store.write() as session:
            if not repo.start_run(session, run_id, self.owner):
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
                if not repo.finish_run(session, run_id, metrics, series, self.owner):
                    log.warning("run %s was declared orphaned while it ran; its results are dropped", run_id)
        except Cancelled:
            self._fail(run_id, CANCELLED)
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
                    repo.set_progress(session, run_id, progress, self.owner)

        return report

    def _fail(self, run_id: int, reason: str) -> None:
        with self.store.write() as session:
            repo.fail_run(session, run_id, reason, self.owner)


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))
