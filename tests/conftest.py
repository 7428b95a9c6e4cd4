"""Shared fixtures: the real-data folder (WATTSWITCH_DATA) and the default scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattswitch.data.io import data_root
from wattswitch.model.default_scenario import default_scenario
from wattswitch.model.scenario import Scenario

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder; the test is skipped when WATTSWITCH_DATA is unset."""
    root = data_root()
    if root is None or not root.is_dir():
        pytest.skip("WATTSWITCH_DATA is not set to the shared data folder")
    return root


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    """The embedded default scenario."""
    return default_scenario()


# --- the service (store/, api/, web/): databases on SQLite and a throwaway PostgreSQL server ----------

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(scope="session")
def postgres_server():  # type: ignore[no-untyped-def]
    """A PostgreSQL server on 127.0.0.1 for the whole session (fails when the binaries are missing)."""
    from service_testing import PostgresServer

    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty database: a SQLite file, or a fresh database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wattswitch.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    with server.fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def service_world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An app on a SQLite file, filled through its API (see service_testing.World); module-wide."""
    from fastapi.testclient import TestClient

    from service_testing import build_world
    from wattswitch.api.app import create_app
    from wattswitch.api.settings import Settings

    path = tmp_path_factory.mktemp("service") / "wattswitch.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", progress_interval_s=0.0))
    with TestClient(app) as client:
        yield build_world(client, app), client


# --- live control (control/): a throwaway single-host Slurm cluster ------------------------------------


@pytest.fixture(scope="session")
def slurm_cluster():  # type: ignore[no-untyped-def]
    """A Slurm 22.05 cluster of 4 nodes x 4 fake GPUs on 127.0.0.1 for the whole session (see
    slurm_testing.SlurmTestCluster: settings(), reset(), restart_controller()); fails without Slurm."""
    from slurm_testing import SlurmTestCluster

    cluster = SlurmTestCluster.start(node_count=4, gpus_per_node=4)
    yield cluster
    cluster.stop()
