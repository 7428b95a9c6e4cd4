"""Background runs: a small pool of threads fed by a queue, each executing its run in a child
process (:mod:`run_process`), so a simulation never holds the server's GIL. A run moves queued →
running → succeeded | failed in the database; progress is written at most every
``progress_interval_s``; results (metrics and series) are written in one transaction when the run
ends, so a run is never half-written. Stopping the worker stops the run in progress (it is marked
failed, cancelled).

Each run is leased to the server process that accepted it (``owner``): a lease thread renews the
heartbeat of this process's unfinished runs every third of ``lease_s`` and marks failed, once,
the runs whose owner stopped renewing (a server that died). A second server on the same database
therefore neither takes nor fails the first one's runs, and a run ends exactly once."""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import socket
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from wattswitch.api import run_process
from wattswitch.store import repo
from wattswitch.store.db import Store
from wattswitch.store.models import utc_now

log = logging.getLogger("wattswitch.worker")
_STOP = -1
INTERRUPTED = "interrupted: the server running it stopped before the run finished; start it again"
CANCELLED = "cancelled: the server stopped before the run finished"


# Runs execute in processes forked from a server that has already imported the engine (forkserver,
# preloaded), so a run starts in milliseconds, not the seconds numpy, pandas and scipy take to import.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["wattswitch.api.run_process"])


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
        self._children: dict[int, multiprocessing.process.BaseProcess] = {}
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
        with self._lock:
            children = list(self._children.values())
        for child in children:  # the run in progress is cancelled: its process is stopped
            child.terminate()
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
        """Run one queued run to the end (or to a recorded failure), in a child process."""
        with self.store.write() as session:
            if not repo.start_run(session, run_id, self.owner):
                return
        job = run_process.RunJob(
            self.store.url, run_id, self.owner, self.data_dir, self.max_run_days, self.progress_interval_s
        )
        process = _CONTEXT.Process(target=run_process.main, args=(job,), name=f"wattswitch-run-{run_id}")
        with self._lock:
            if self._stopping.is_set():
                self._fail(run_id, CANCELLED)
                return
            process.start()
            self._children[run_id] = process
        process.join()
        with self._lock:
            self._children.pop(run_id, None)
        if self._stopping.is_set():
            self._fail(run_id, CANCELLED)  # (a no-op when the run finished before the stop)
        elif process.exitcode != 0:
            self._fail(run_id, f"internal error: the run's process ended with exit code {process.exitcode}")

    def _fail(self, run_id: int, reason: str) -> None:
        with self.store.write() as session:
            repo.fail_run(session, run_id, reason, self.owner)
