"""Refused before the body is read: too large (413), no or unknown key (401), not JSON (415);
one error shape for unreadable JSON (400, field "body"); OPTIONS and 405 list every method."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service_testing import ServerThread
from wattswitch.api.app import create_app
from wattswitch.api.bootstrap import bootstrap
from wattswitch.api.settings import Settings

API = "/api/v1"
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    path: Path = tmp_path_factory.mktemp("guard") / "w.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", max_body_bytes=LIMIT))
    secret = bootstrap(app.state.store).admin_secret
    assert secret is not None
    server = ServerThread(app)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client, {"X-API-Key": secret}
    server.stop()
    app.state.store.dispose()


def test_a_body_above_the_limit_is_413_before_it_is_read(served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, admin = served
    big = b'{"name": "' + b"x" * (LIMIT * 4) + b'"}'
    response = client.post(f"{API}/sites", content=big, headers={**admin, "content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("the body is larger than 65,536 bytes")


def test_a_body_without_a_content_length_is_cut_at_the_limit(
    served: tuple[httpx.Client, dict[str, str]],
) -> None:
    client, admin = served

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * LIMIT
        yield b'"}'

    headers = {**admin, "content-type": "application/json"}
    response = client.post(f"{API}/sites", content=chunks(), headers=headers)
    assert response.status_code == 413


def test_an_unauthenticated_body_is_never_parsed(served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, _admin = served
    broken = b"{not json at all" * 1000
    for headers in ({}, {"X-API-Key": "ws_nobody"}):
        response = client.post(
            f"{API}/sites", content=broken, headers={**headers, "content-type": "application/json"}
        )
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == "X-API-Key"


def test_a_body_that_is_not_json_is_415(served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, admin = served
    for media in ("text/plain", "application/x-www-form-urlencoded"):
        response = client.post(f"{API}/sites", content=b"name=x", headers={**admin, "content-type": media})
        assert response.status_code == 415, (media, response.text)
        assert response.json()["errors"] == []


@pytest.mark.parametrize("body", [b'{"name": "x",', b"{'name': 'x'}", b"[1, 2", b"\xff\xfe"])
def test_unreadable_json_is_400_naming_the_body(
    served: tuple[httpx.Client, dict[str, str]], body: bytes
) -> None:
    client, admin = served
    response = client.post(
        f"{API}/sites", content=body, headers={**admin, "content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["body"]


def test_options_and_405_list_every_method_of_the_path(served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, admin = served
    options = client.options(f"{API}/sites", headers=admin)
    assert options.status_code == 204
    assert {m.strip() for m in options.headers["Allow"].split(",")} >= {"GET", "POST", "OPTIONS"}
    wrong = client.delete(f"{API}/sites", headers=admin)
    assert wrong.status_code == 405
    assert {m.strip() for m in wrong.headers["Allow"].split(",")} >= {"GET", "POST"}
    assert wrong.json()["errors"] == []
