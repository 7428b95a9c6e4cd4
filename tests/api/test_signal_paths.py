"""A scenario's signal files are resolved once, against the data folder, and that is what a run opens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from service_testing import wait_for_run, week_run_body
from wattswitch.api.app import create_app
from wattswitch.api.bootstrap import bootstrap
from wattswitch.api.settings import Settings
from wattswitch.model.default_scenario import default_scenario
from wattswitch.store import codec

API = "/api/v1"


def _week_of_prices(path: Path) -> None:
    starts = pd.date_range("2025-06-30", "2025-07-10", freq="15min", tz="UTC", inclusive="left")
    rows = (f"{t:%Y-%m-%dT%H:%M:%SZ},{25 + i % 7}" for i, t in enumerate(starts))
    lines = ["interval_start_utc,HB_WEST", *rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    data = tmp_path / "data"
    data.mkdir()
    _week_of_prices(data / "prices.csv")
    (tmp_path / "outside.csv").write_text("SECRET-OUTSIDE\n", encoding="utf-8")
    (data / "link.csv").symlink_to(tmp_path / "outside.csv")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    (workdir / "prices.csv").write_text("SECRET-IN-THE-WORKING-DIRECTORY\n1,2\n", encoding="utf-8")
    monkeypatch.chdir(workdir)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", data_dir=data, progress_interval_s=0.0)
    app = create_app(settings)
    with TestClient(app) as client:
        secret = bootstrap(app.state.store).admin_secret
        assert secret is not None
        yield client, {"X-API-Key": secret}


def _scenario_with(prices_file: str) -> dict[str, Any]:
    plain = codec.scenario_to_json(default_scenario())
    plain["signals"]["prices_file"] = prices_file
    return plain


def test_a_run_reads_the_data_folder_file_not_the_one_in_the_working_directory(served: Any) -> None:
    client, admin = served
    site_id = client.get(f"{API}/sites", headers=admin).json()[0]["id"]
    created = client.post(
        f"{API}/scenarios", json={"site_id": site_id, "scenario": _scenario_with("prices.csv")}, headers=admin
    )
    assert created.status_code == 201, created.text
    run = client.post(f"{API}/runs", json=week_run_body(created.json()["id"]), headers=admin)
    assert run.status_code == 202, run.text
    finished = wait_for_run(client, run.json()["id"], admin)
    assert finished["status"] == "succeeded", finished
    assert "SECRET" not in str(finished)


@pytest.mark.parametrize(
    ("prices_file", "problem"),
    [
        ("../outside.csv", "leads outside the data folder"),
        ("link.csv", "leads outside the data folder"),
        ("/etc/hostname", "absolute path"),
        ("missing.csv", "no file"),
    ],
)
def test_paths_that_leave_the_data_folder_are_refused_at_creation(
    served: Any, prices_file: str, problem: str
) -> None:
    client, admin = served
    site_id = client.get(f"{API}/sites", headers=admin).json()[0]["id"]
    response = client.post(
        f"{API}/scenarios", json={"site_id": site_id, "scenario": _scenario_with(prices_file)}, headers=admin
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["errors"][0]["field"] == "scenario.signals.prices_file"
    assert problem in body["detail"]
    assert "SECRET" not in response.text
