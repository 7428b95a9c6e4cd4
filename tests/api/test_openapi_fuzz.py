"""schemathesis against the app's own OpenAPI document: on every operation, generated valid and
invalid requests never get a 5xx, and every answer matches the documented status codes, content
types and schemas. Examples are bounded (and derandomised) so the run stays short."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from wattswitch.api.app import create_app
from wattswitch.api.bootstrap import bootstrap
from wattswitch.api.settings import Settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
_KEY: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "wattswitch.db"
    # Short horizons only: a valid generated run must not keep the worker busy for long.
    app = create_app(Settings(database_url=f"sqlite:///{path}", max_run_days=2))
    first = bootstrap(app.state.store)
    assert first.admin_secret is not None
    _KEY["admin"] = first.admin_secret
    with TestClient(app) as client:
        tenant = client.post(
            "/api/v1/tenants", json={"name": "Fuzz tenant"}, headers={"X-API-Key": _KEY["admin"]}
        )
        assert tenant.status_code == 201
        yield app
    app.state.store.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzzed_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_no_5xx_and_responses_match_the_schema(case: Any) -> None:
    case.call_and_validate(headers={"X-API-Key": _KEY["admin"]}, checks=CHECKS)
