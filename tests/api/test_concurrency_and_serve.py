"""Several clients at once against a real server (SQLite and PostgreSQL): runs created and GPU-hours
metered concurrently are all stored, counts exact. And ``wattswitch serve`` end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from service_testing import ServerThread, free_port, wait_for
from wattswitch.api.app import create_app
from wattswitch.api.bootstrap import bootstrap
from wattswitch.api.settings import Settings

API = "/api/v1"


def test_concurrent_clients_lose_nothing(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, max_run_days=2, max_active_runs_per_key=100))
    secret = bootstrap(app.state.store).admin_secret
    assert secret is not None
    headers = {"X-API-Key": secret}
    server = ServerThread(app)
    clients, per_client = 6, 12
    errors: list[str] = []
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as setup:
            tenant = setup.post(f"{API}/tenants", json={"name": "Helix"}).json()["id"]
        barrier = threading.Barrier(clients)

        def work(index: int) -> None:
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
                barrier.wait()
                for i in range(per_client):
                    if i % 3 == 0:
                        body = {
                            "scenario_id": 1,
                            "policies": ["threshold"],
                            "start": "2025-07-01",
                            "end": "2025-07-02",
                        }
                        response = client.post(f"{API}/runs", json=body)
                    else:
                        body = {
                            "day": f"2025-07-{1 + index:02d}",
                            "gpu_hours": 0.5 + i,
                            "source": f"c{index}",
                        }
                        response = client.post(f"{API}/tenants/{tenant}/usage", json=body)
                    if response.status_code not in (201, 202):
                        errors.append(f"{response.status_code} {response.text}")

        pool = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(120)
        assert errors == []
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as check:
            runs = check.get(f"{API}/runs", params={"limit": 500}).json()
            usage = check.get(f"{API}/tenants/{tenant}/usage").json()
    finally:
        server.stop()
        app.state.store.dispose()
    runs_each = len(range(0, per_client, 3))
    assert len(runs) == clients * runs_each
    assert len({r["id"] for r in runs}) == len(runs)
    metered = [0.5 + i for i in range(per_client) if i % 3]
    assert usage["records"] == clients * len(metered)
    assert usage["total_gpu_hours"] == pytest.approx(clients * sum(metered))
    assert [d["gpu_hours"] for d in usage["days"]] == pytest.approx([sum(metered)] * clients)


def test_serve_prints_the_url_and_a_first_admin_key_once(tmp_path: Path) -> None:
    port = free_port()
    database = tmp_path / "served.db"
    command = [
        sys.executable,
        "-c",
        "from wattswitch.cli.main import main; main()",
        "serve",
        "--port",
        str(port),
        "--database-url",
        str(database),
    ]
    env = {**os.environ, "WATTSWITCH_DATABASE_URL": "sqlite:////nonexistent/ignored.db"}

    def serve_once() -> tuple[str, dict[str, object]]:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path, env=env
        )
        try:

            def healthy() -> dict[str, object] | None:
                try:
                    body: dict[str, object] = httpx.get(
                        f"http://127.0.0.1:{port}{API}/health", timeout=2
                    ).json()
                except httpx.HTTPError:
                    assert process.poll() is None, "serve exited early"
                    return None
                return body

            health = wait_for(healthy, 60, "wattswitch serve to answer")
        finally:
            process.terminate()
            output, _ = process.communicate(timeout=30)
        return output, health

    first, health = serve_once()
    assert health["database"] == "sqlite"
    assert f"http://127.0.0.1:{port}/" in first
    assert "loaded the default site and scenario" in first
    key = next(line.split(": ", 1)[1].strip() for line in first.splitlines() if "admin API key" in line)
    assert key.startswith("ws_")
    assert database.exists()
    second, _ = serve_once()
    assert "admin API key" not in second
    assert "loaded the default" not in second

    from wattswitch.store import repo
    from wattswitch.store.db import Store

    store = Store(str(database))
    with store.read() as session:
        assert repo.key_for_secret(session, key) is not None
        assert [s.name for s in repo.list_sites(session)] == ["Permian Flats"]
    store.dispose()
