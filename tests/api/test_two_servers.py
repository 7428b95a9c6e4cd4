"""Two real ``wattswitch serve`` processes on one database: a run belongs to the server that
accepted it; the other neither takes nor fails it, and fails it once only when its owner died."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli_testing import WATTSWITCH
from service_testing import free_port, wait_for
from wattswitch.api.bootstrap import bootstrap
from wattswitch.api.worker import INTERRUPTED
from wattswitch.store.db import Store

LEASE_S = 1.5
YEAR_RUN = {"scenario_id": 1, "policies": ["threshold", "mpc"], "start": "2025-01-01", "end": "2026-01-01"}


class Server:
    """One ``wattswitch serve`` process on ``database_url`` (its lease shortened for the test)."""

    def __init__(self, database_url: str, workdir: Path, key: str) -> None:
        self.port = free_port()
        env = {**os.environ, "WATTSWITCH_RUN_LEASE_S": str(LEASE_S)}
        command = [str(WATTSWITCH), "serve", "--port", str(self.port), "--database-url", database_url]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=workdir, env=env
        )
        base = f"http://127.0.0.1:{self.port}/api/v1"
        self.client = httpx.Client(base_url=base, headers={"X-API-Key": key})
        wait_for(self._healthy, 90, f"wattswitch serve on port {self.port}")

    def _healthy(self) -> bool:
        assert self.process.poll() is None, self.process.stderr.read() if self.process.stderr else ""
        try:
            return self.client.get("/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def run(self, run_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self.client.get(f"/runs/{run_id}", timeout=30).json()
        return body

    def run_once(self, run_id: int, *, unless: tuple[str, ...]) -> dict[str, Any] | None:
        """The run, or None while its status is one of ``unless`` (for wait_for)."""
        body = self.run(run_id)
        return None if body["status"] in unless else body

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str, list[Server]]]:
    store = Store(database_url)
    store.upgrade()
    key = bootstrap(store).admin_secret
    store.dispose()
    assert key is not None
    started: list[Server] = []
    yield database_url, key, started
    for server in started:
        server.stop(signal.SIGKILL)


def _start(database_url: str, key: str, started: list[Server], workdir: Path) -> Server:
    server = Server(database_url, workdir, key)
    started.append(server)
    return server


def test_a_second_server_leaves_the_first_ones_run_alone(servers: Any, tmp_path: Path) -> None:
    url, key, started = servers
    first = _start(url, key, started, tmp_path)
    accepted = first.client.post("/runs", json=YEAR_RUN, timeout=30)
    assert accepted.status_code == 202, accepted.text
    run_id = accepted.json()["id"]
    wait_for(lambda: first.run(run_id)["status"] == "running", 60, "the run to start")
    second = _start(url, key, started, tmp_path)  # its start-up sweep runs now, and every LEASE_S / 3
    assert second.run(run_id)["status"] == "running"
    finished = wait_for(
        lambda: second.run_once(run_id, unless=("queued", "running")),
        240,
        "the run to finish",
    )
    assert (finished["status"], finished["error"]) == ("succeeded", None)


def test_a_run_orphaned_by_a_killed_server_is_failed_once_by_the_other(servers: Any, tmp_path: Path) -> None:
    url, key, started = servers
    first = _start(url, key, started, tmp_path)
    second = _start(url, key, started, tmp_path)
    run_id = first.client.post("/runs", json=YEAR_RUN, timeout=30).json()["id"]
    wait_for(lambda: first.run(run_id)["status"] == "running", 60, "the run to start")
    first.stop(signal.SIGKILL)  # no clean stop: only its lease lapsing tells
    failed = wait_for(
        lambda: second.run_once(run_id, unless=("running",)),
        LEASE_S * 10 + 10,
        "the other server to notice",
    )
    assert (failed["status"], failed["error"]) == ("failed", INTERRUPTED)
    finished_at = failed["finished_at"]
    assert second.run(run_id)["finished_at"] == finished_at  # marked once, not again at each sweep
