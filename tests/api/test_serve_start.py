"""``wattswitch serve`` starts or says why: an unreachable, malformed or unopenable database and a
port already taken each give one line on stderr naming the flag and the fix, exit 2, no traceback,
nothing on stdout (no URL announced, no admin key printed and lost). And ``wattswitch keys
reset-admin`` replaces a lost admin key, as a subprocess against a real SQLite file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from cli_testing import run_cli
from service_testing import free_port, wait_for
from wattswitch.api.app import create_app
from wattswitch.api.bootstrap import bootstrap
from wattswitch.api.settings import Settings
from wattswitch.store.db import Store

CLI = [sys.executable, "-c", "from wattswitch.cli.main import main; main()"]


def _wattswitch(*args: str, cwd: Path, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WATTSWITCH_DATABASE_URL"}
    return run_cli(*args, timeout_s=timeout_s, cwd=cwd, env=env)


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *names: str) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


def _failing_database_urls(tmp_path: Path) -> dict[str, str]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    garbage = tmp_path / "garbage.db"
    garbage.write_text("not a database, just text " * 200)
    return {
        "unreachable": f"postgresql://u:hunter2@127.0.0.1:{free_port()}/x",
        "malformed": "nonsense://",
        "no such folder": str(tmp_path / "missing" / "w.db"),
        "folder is a file": f"sqlite:///{a_file / 'w.db'}",
        "not a database": str(garbage),
    }


@pytest.mark.parametrize(
    "case", ["unreachable", "malformed", "no such folder", "folder is a file", "not a database"]
)
def test_serve_names_the_database_flag_and_the_fix(tmp_path: Path, case: str) -> None:
    url = _failing_database_urls(tmp_path)[case]
    result = _wattswitch("serve", "--port", str(free_port()), "--database-url", url, cwd=tmp_path)
    line = _assert_one_line_error(result, "--database-url")
    assert "hunter2" not in line  # passwords are never echoed
    assert any(fix in line for fix in ("pass another --database-url", "give a SQLite file path")), line


def test_serve_with_its_port_taken_says_so_before_announcing_anything(tmp_path: Path) -> None:
    database = tmp_path / "w.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _wattswitch("serve", "--port", str(port), "--database-url", str(database), cwd=tmp_path)
    line = _assert_one_line_error(result, f"--port {port}", "already in use")
    assert "pass another --port" in line
    assert not database.exists()  # no first admin key was created (and lost) before the port failed


def test_serve_names_an_invalid_environment_variable(tmp_path: Path) -> None:
    env = {**os.environ, "WATTSWITCH_PORT": "eighty"}
    result = subprocess.run(
        [*CLI, "serve"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False
    )
    _assert_one_line_error(result, "WATTSWITCH_PORT")


def _database_with_a_lost_admin_key(path: Path) -> str:
    store = Store(str(path))
    store.upgrade()
    first = bootstrap(store)
    store.dispose()
    assert first.admin_secret is not None
    return first.admin_secret


def _status_of(database: Path, key: str) -> int:
    app = create_app(Settings(database_url=str(database)))
    with TestClient(app) as client:
        status = client.get("/api/v1/keys", headers={"X-API-Key": key}).status_code
    app.state.store.dispose()
    return status


def test_keys_reset_admin_prints_a_working_key_and_may_revoke_the_old_ones(tmp_path: Path) -> None:
    database = tmp_path / "w.db"
    lost = _database_with_a_lost_admin_key(database)

    kept = _wattswitch("keys", "reset-admin", "--database-url", str(database), cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    (line,) = kept.stdout.strip().splitlines()
    second = line.rsplit(": ", 1)[1]
    assert second.startswith("ws_")
    assert _status_of(database, second) == 200
    assert _status_of(database, lost) == 200  # without --revoke-old the old key still works

    replaced = _wattswitch(
        "keys",
        "reset-admin",
        "--database-url",
        f"sqlite:///{database}",
        "--json",
        "--revoke-old",
        cwd=tmp_path,
    )
    assert replaced.returncode == 0, replaced.stderr
    body = json.loads(replaced.stdout)
    assert body["role"] == "admin"
    assert body["revoked"] == 2
    assert _status_of(database, body["key"]) == 200
    assert _status_of(database, lost) == 401
    assert _status_of(database, second) == 401


def test_keys_reset_admin_does_not_create_a_mistyped_database(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = _wattswitch("keys", "reset-admin", "--database-url", str(missing), cwd=tmp_path)
    _assert_one_line_error(result, "--database-url", "no such file")
    assert not missing.exists()


def test_serve_announces_only_the_url_and_the_key_on_stdout(tmp_path: Path) -> None:
    port = free_port()
    command = [*CLI, "serve", "--port", str(port), "--database-url", str(tmp_path / "w.db")]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:

        def healthy() -> bool:
            assert process.poll() is None, "serve exited early"
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, 60, "wattswitch serve to answer")
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    lines = stdout.strip().splitlines()
    assert len(lines) == 2, stdout
    assert lines[0].startswith("admin API key (shown once, keep it): ws_")
    assert lines[1].startswith(f"dashboard http://127.0.0.1:{port}/")
    assert "ws_" not in stderr
    assert "database sqlite:///" in stderr
    assert "Traceback" not in stderr
