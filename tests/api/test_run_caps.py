"""Queued runs are capped per API key and over the whole database: 429 with Retry-After, nothing stored."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from wattswitch.api.app import create_app
from wattswitch.api.bootstrap import bootstrap
from wattswitch.api.settings import Settings
from wattswitch.store import repo

API = "/api/v1"
YEAR = {"scenario_id": 1, "policies": ["threshold", "mpc"], "start": "2025-01-01", "end": "2026-01-01"}


def test_a_flood_of_runs_is_refused_per_key_then_for_everyone(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'w.db'}", max_active_runs=3, max_active_runs_per_key=2
    )
    app = create_app(settings)
    admin = bootstrap(app.state.store).admin_secret
    assert admin is not None
    with TestClient(app) as client:
        root = {"X-API-Key": admin}
        bodies = [{"name": f"op{i}", "role": "operator"} for i in (1, 2)]
        made = [client.post(f"{API}/keys", json=body, headers=root) for body in bodies]
        keys = [response.json()["secret"] for response in made]
        first, second = ({"X-API-Key": k} for k in keys)
        accepted = [client.post(f"{API}/runs", json=YEAR, headers=first).status_code for _ in range(2)]
        assert accepted == [202, 202]
        refused = client.post(f"{API}/runs", json=YEAR, headers=first)
        assert refused.status_code == 429
        assert "this key has 2 runs queued or running (at most 2)" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) >= 5
        assert client.post(f"{API}/runs", json=YEAR, headers=second).status_code == 202
        everyone = client.post(f"{API}/runs", json=YEAR, headers=second)
        assert everyone.status_code == 429
        assert "3 runs are queued or running (at most 3)" in everyone.json()["detail"]
        assert client.get(f"{API}/health").status_code == 200
        with app.state.store.read() as session:
            assert len(repo.list_runs(session)) == 3
