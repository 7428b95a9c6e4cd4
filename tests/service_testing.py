"""Test helpers of the service (store, API, dashboard): a throwaway PostgreSQL server on 127.0.0.1,
fresh databases per test, an app with keys, and polling with a timeout.

The PostgreSQL server is Debian's (``/usr/lib/postgresql/*/bin``), run as the ``postgres`` user
when the tests run as root. Without the binaries the PostgreSQL tests fail (they never skip):
``scripts/install-system-deps.sh`` installs them.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest

T = TypeVar("T")
PG_DB = "wattswitch"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    check: Callable[[], T | None], timeout_s: float = 60.0, what: str = "condition", interval_s: float = 0.05
) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        pytest.fail(
            "PostgreSQL server binaries are missing (/usr/lib/postgresql/*/bin): run "
            "scripts/install-system-deps.sh (or apt-get install postgresql)"
        )
    return found[-1].parent


@dataclass
class PostgresServer:
    """A running throwaway cluster; ``url(db)`` gives a SQLAlchemy URL."""

    bin_dir: Path
    base: Path
    port: int
    as_postgres: bool

    def _run(self, *args: str) -> None:
        command = [*(["runuser", "-u", "postgres", "--"] if self.as_postgres else []), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def url(self, database: str = PG_DB) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True)

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = _pg_bin()
        as_postgres = os.geteuid() == 0
        base = Path(tempfile.mkdtemp(prefix="wattswitch-pg-"))
        if as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(base, user.pw_uid, user.pw_gid)
        base.chmod(0o700)
        server = cls(bin_dir, base, free_port(), as_postgres)
        data = base / "data"
        server._run(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {server.port} -k {base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        server._run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "pg.log"),
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        )
        return server

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.base / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        """A new empty database for one test, dropped afterwards."""
        name = "t_" + uuid.uuid4().hex[:16]
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield self.url(name)
        finally:
            with self.admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ServerThread:
    """An app served by uvicorn on 127.0.0.1 in a background thread (stopped by :meth:`stop`)."""

    def __init__(self, app: Any) -> None:
        import threading

        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started, 30, "uvicorn to start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)
        assert not self.thread.is_alive(), "uvicorn did not stop"


@dataclass
class World:
    """An app with a site, a scenario, a finished week-long run shared with tenant A, a plan,
    tenants A and B (reservations, usage, jobs) and one key per role."""

    app: Any
    keys: dict[str, str]
    site_id: int
    scenario_id: int
    run_a: int
    run_b: int
    run_private: int
    plan_id: int
    tenant_a: int
    tenant_b: int
    job_a: int
    job_b: int

    def headers(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]}


def week_run_body(scenario_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "scenario_id": scenario_id,
        "policies": ["threshold"],
        "start": "2025-07-01",
        "end": "2025-07-08",
        **extra,
    }


def wait_for_run(
    client: Any, run_id: int, headers: dict[str, str], timeout_s: float = 120.0
) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/v1/runs/{run_id}", headers=headers).json()
        return body if body["status"] in ("succeeded", "failed") else None

    return wait_for(finished, timeout_s, f"run {run_id} to finish")


def build_world(client: Any, app: Any) -> World:
    """Fill an app through its own API (the admin key is created in the store directly)."""
    from wattswitch.api.bootstrap import bootstrap

    first = bootstrap(app.state.store)
    assert first.admin_secret is not None
    admin = {"X-API-Key": first.admin_secret}

    def post(path: str, body: dict[str, Any], headers: dict[str, str] = admin) -> dict[str, Any]:
        response = client.post(f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code in (201, 202), response.text
        result: dict[str, Any] = response.json()
        return result

    keys = {"admin": first.admin_secret}
    tenant_a = post("/tenants", {"name": "Helix AI"})["id"]
    tenant_b = post("/tenants", {"name": "Other Corp"})["id"]
    for role in ("operator", "analyst"):
        keys[role] = post("/keys", {"name": role, "role": role})["secret"]
    keys["tenant_a"] = post("/keys", {"name": "a", "role": "tenant", "tenant_id": tenant_a})["secret"]
    keys["tenant_b"] = post("/keys", {"name": "b", "role": "tenant", "tenant_id": tenant_b})["secret"]
    site_id = client.get("/api/v1/sites", headers=admin).json()[0]["id"]
    scenario_id = client.get("/api/v1/scenarios", headers=admin).json()[0]["id"]
    for tenant in (tenant_a, tenant_b):
        post(
            f"/tenants/{tenant}/reservations",
            {
                "gpu_group": "h100-hall",
                "node_count": 16,
                "price_usd_per_gpu_hour": 2.1,
                "starts_on": "2025-07-01",
            },
        )
        for day in range(1, 8):
            post(
                f"/tenants/{tenant}/usage",
                {
                    "day": f"2025-07-0{day}",
                    "gpu_hours": 2500.0 + 100 * day,
                    "unavailable_gpu_hours": 5.0 * day,
                },
            )
    job_a = post(f"/tenants/{tenant_a}/jobs", {"name": "llama-ft", "gpu_count": 64, "duration_s": 36000})[
        "id"
    ]
    job_b = post(f"/tenants/{tenant_b}/jobs", {"name": "other-job", "gpu_count": 8, "duration_s": 3600})["id"]
    run_a = post("/runs", week_run_body(scenario_id, policies=["threshold", "mpc"], tenant_id=tenant_a))["id"]
    run_b = post("/runs", week_run_body(scenario_id, tenant_id=tenant_b, end="2025-07-02"))["id"]
    run_private = post("/runs", week_run_body(scenario_id, end="2025-07-02"))["id"]
    for run in (run_a, run_b, run_private):
        assert wait_for_run(client, run, admin)["status"] == "succeeded"
    site_toml = (Path(__file__).parents[1] / "examples" / "sites" / "permian-200.toml").read_text()
    plan_id = post("/plans", {"site_id": site_id, "assessment_toml": site_toml})["id"]
    return World(
        app, keys, site_id, scenario_id, run_a, run_b, run_private, plan_id, tenant_a, tenant_b, job_a, job_b
    )
