"""The REST API: a whole flow, field-naming errors, roles, and tenant isolation on every route."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service_testing import World, wait_for_run, week_run_body
from wattswitch.model.default_scenario import default_scenario
from wattswitch.store import codec

API = "/api/v1"


def test_a_finished_run_has_metrics_series_and_compares(world: World, client: TestClient) -> None:
    h = world.headers("analyst")
    run = client.get(f"{API}/runs/{world.run_a}", headers=h).json()
    assert run["status"] == "succeeded"
    assert run["progress"] == 1.0
    assert set(run["results"]) == {"always-on", "threshold", "mpc", "oracle"}
    assert run["results"]["oracle"]["capture"] == 1.0
    assert run["results"]["always-on"]["capture"] == 0.0
    metrics = client.get(f"{API}/runs/{world.run_a}/metrics", headers=h).json()
    assert metrics["periods"] == 7 * 96
    assert metrics["step_s"] == 900
    mpc = metrics["policies"]["mpc"]
    assert mpc["power_limit_violations"] == 0
    assert sum(mpc["revenue_usd"].values()) - sum(mpc["cost_usd"].values()) == pytest.approx(
        mpc["profit_usd"], abs=0.1
    )
    series = client.get(f"{API}/runs/{world.run_a}/series", params={"policy": "mpc"}, headers=h).json()[
        "series"
    ]
    by_name = {s["name"]: s for s in series}
    assert len(by_name["site_mw"]["values"]) == 7 * 24
    assert by_name["site_mw"]["step_s"] == 3600
    assert max(by_name["site_mw"]["values"]) <= 100.0 + 1e-6
    assert sum(by_name["profit_usd"]["values"]) == pytest.approx(mpc["profit_usd"], rel=1e-6, abs=1.0)
    prices = client.get(
        f"{API}/runs/{world.run_a}/series",
        params={"policy": "inputs", "name": "rt_price_usd_per_mwh"},
        headers=h,
    ).json()["series"]
    assert [s["name"] for s in prices] == ["rt_price_usd_per_mwh"]
    compared = client.get(f"{API}/compare", params={"run_ids": [world.run_a, world.run_b]}, headers=h).json()
    assert {(r["run_id"], r["policy"]) for r in compared["rows"]} >= {
        (world.run_a, "mpc"),
        (world.run_b, "threshold"),
    }
    assert compared["best"]["policy"] != "oracle"


def test_progress_is_readable_while_a_run_runs(world: World, client: TestClient) -> None:
    h = world.headers("operator")
    run = client.post(f"{API}/runs", json=week_run_body(world.scenario_id, policies=["mpc"]), headers=h)
    assert run.status_code == 202
    # the response reads the run back after queueing it: an idle worker may already have taken it
    assert run.json()["status"] in {"queued", "running"}
    seen: list[float] = []

    def sample() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"{API}/runs/{run.json()['id']}", headers=h).json()
        seen.append(body["progress"])
        return body if body["status"] in ("succeeded", "failed") else None

    from service_testing import wait_for

    final = wait_for(sample, 120, "the run")
    assert final["status"] == "succeeded"
    assert seen == sorted(seen)
    assert any(0 < p < 1 for p in seen)
    early = client.get(f"{API}/runs/{world.run_a}/metrics", headers=h)
    assert early.status_code == 200


def test_plans_sites_and_scenarios_read_back(world: World, client: TestClient) -> None:
    h = world.headers("analyst")
    plan = client.get(f"{API}/plans/{world.plan_id}", headers=h).json()
    assert plan["recommended"] in {s["strategy"] for s in plan["strategies"]}
    assert plan["result"]["strategies"][0]["annual_usd"]["net_cash"]
    site = client.get(f"{API}/sites/{world.site_id}", headers=h).json()
    assert world.scenario_id in site["scenario_ids"]
    assert world.plan_id in site["plan_ids"]
    assert site["latest_run_id"] is not None
    scenario = client.get(f"{API}/scenarios/{world.scenario_id}", headers=h).json()
    assert codec.scenario_from_json(scenario["scenario"]) == default_scenario()
    assert scenario["toml"].startswith("# wattswitch scenario")


def test_bad_payloads_get_4xx_naming_the_field(world: World, client: TestClient) -> None:
    h = world.headers("operator")
    plain = codec.scenario_to_json(default_scenario())
    plain["site"]["interconnect_limit_mw"] = "lots"
    late_event = codec.scenario_to_json(default_scenario())
    late_event["demand_response_events"][0]["start_utc"] = "2031-08-20T20:00:00Z"
    huge_block = codec.scenario_to_json(default_scenario())
    huge_block["contract"]["ppa"]["block_mw"] = 1e6
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/scenarios", {"site_id": world.site_id, "scenario": plain}, "scenario.site.interconnect_limit_mw"),
        ("/scenarios", {"site_id": world.site_id, "toml": "name = 3\n"}, "scenario.name"),
        ("/scenarios", {"site_id": world.site_id}, "scenario"),
        ("/scenarios", {"site_id": world.site_id, "scenario": late_event}, "scenario"),
        ("/scenarios", {"site_id": world.site_id, "scenario": huge_block}, "scenario"),
        ("/runs", week_run_body(world.scenario_id, end="2025-06-01"), "end"),
        ("/runs", week_run_body(world.scenario_id, policies=["greedy"]), "policies.0"),
        ("/runs", week_run_body(world.scenario_id, start="2020-01-01", end="2024-01-01"), "end"),
        ("/runs", {"scenario_id": 0}, "scenario_id"),
        ("/sites", {"name": "x", "assessment": {"name": "x", "power": {}}}, "site.location"),
        ("/plans", {"site_id": world.site_id}, "assessment"),
        ("/tenants/1/usage", {"day": "2025-13-01", "gpu_hours": 1}, "day"),
        ("/tenants/1/usage", {"day": "2025-07-01", "gpu_hours": -1}, "gpu_hours"),
        ("/tenants/1/jobs", {"name": "j", "gpu_count": 0, "duration_s": 5}, "gpu_count"),
        ("/tenants/1/jobs", {"name": "j", "gpu_count": 1, "duration_s": 5, "extra": 1}, "extra"),
    ]
    for path, body, field in cases:
        response = client.post(f"{API}{path}", json=body, headers=h)
        assert response.status_code == 422, (path, response.text)
        fields = [e["field"] for e in response.json()["errors"]]
        assert field in fields, (path, fields, response.json()["detail"])
    outside = codec.scenario_to_json(default_scenario())
    outside["signals"]["prices_file"] = "/etc/passwd"
    response = client.post(
        f"{API}/scenarios", json={"site_id": world.site_id, "scenario": outside}, headers=h
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scenario.signals.prices_file"
    response = client.post(
        f"{API}/sites", content=b'{"name": NaN}', headers={**h, "content-type": "application/json"}
    )
    assert response.status_code == 422
    response = client.post(
        f"{API}/sites", content=b'{"name": "x",', headers={**h, "content-type": "application/json"}
    )
    assert response.status_code == 400  # unreadable, as every broken body (test_request_guard.py)
    assert (
        client.post(f"{API}/tenants", json={"name": "Helix AI"}, headers=world.headers("admin")).status_code
        == 409
    )


def test_roles_decide_who_may_do_what(world: World, client: TestClient) -> None:
    site = {"name": "Role test site"}
    assert client.get(f"{API}/sites").status_code == 401
    assert client.get(f"{API}/sites", headers={"X-API-Key": "ws_nope"}).status_code == 401
    assert client.get(f"{API}/sites", headers=world.headers("analyst")).status_code == 200
    assert client.post(f"{API}/sites", json=site, headers=world.headers("analyst")).status_code == 403
    assert (
        client.post(
            f"{API}/keys", json={"name": "k", "role": "admin"}, headers=world.headers("operator")
        ).status_code
        == 403
    )
    assert client.get(f"{API}/keys", headers=world.headers("analyst")).status_code == 403
    assert client.post(f"{API}/sites", json=site, headers=world.headers("operator")).status_code == 201
    assert (
        client.post(
            f"{API}/tenants/{world.tenant_a}/usage",
            json={"day": "2025-07-01", "gpu_hours": 1.0},
            headers=world.headers("tenant_a"),
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{API}/tenants/{world.tenant_a}/jobs",
            json={"name": "mine", "gpu_count": 8, "duration_s": 60},
            headers=world.headers("tenant_a"),
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"{API}/tenants/{world.tenant_a}/jobs",
            json={"name": "j", "gpu_count": 8, "duration_s": 60},
            headers=world.headers("analyst"),
        ).status_code
        == 403
    )
    me = client.get(f"{API}/me", headers=world.headers("tenant_a")).json()
    assert (me["role"], me["tenant_id"]) == ("tenant", world.tenant_a)
    created = client.post(
        f"{API}/keys", json={"name": "temp", "role": "analyst"}, headers=world.headers("admin")
    )
    temp = {"X-API-Key": created.json()["secret"]}
    assert client.get(f"{API}/sites", headers=temp).status_code == 200
    client.delete(f"{API}/keys/{created.json()['key']['id']}", headers=world.headers("admin"))
    assert client.get(f"{API}/sites", headers=temp).status_code == 401
    admin_id = client.get(f"{API}/me", headers=world.headers("admin")).json()["id"]
    assert client.delete(f"{API}/keys/{admin_id}", headers=world.headers("admin")).status_code == 409


def _ids(world: World, owner: str) -> dict[str, int]:
    """Path parameters pointing at ``owner``'s things (tenant A) — or at shared things."""
    if owner == "a":
        return {
            "tenant_id": world.tenant_a,
            "run_id": world.run_a,
            "job_id": world.job_a,
            "site_id": world.site_id,
            "scenario_id": world.scenario_id,
            "plan_id": world.plan_id,
            "key_id": 1,
            "event_id": 1,
        }
    return {
        "tenant_id": world.tenant_b,
        "run_id": world.run_b,
        "job_id": world.job_b,
        "site_id": world.site_id,
        "scenario_id": world.scenario_id,
        "plan_id": world.plan_id,
        "key_id": 1,
        "event_id": 1,
    }


BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/tenants/{tenant_id}/jobs"): {"name": "sneaky", "gpu_count": 1, "duration_s": 60},
    ("POST", "/tenants/{tenant_id}/usage"): {"day": "2025-07-01", "gpu_hours": 1.0},
    ("POST", "/tenants/{tenant_id}/reservations"): {
        "gpu_group": "g",
        "node_count": 1,
        "price_usd_per_gpu_hour": 1.0,
        "starts_on": "2025-07-01",
    },
    ("POST", "/runs"): {"scenario_id": 1},
    ("POST", "/plans"): {"site_id": 1},
    ("POST", "/sites"): {"name": "sneaky"},
    ("POST", "/scenarios"): {"site_id": 1},
    ("POST", "/tenants"): {"name": "sneaky"},
    ("POST", "/keys"): {"name": "sneaky", "role": "admin"},
    ("POST", "/sites/{site_id}/grid-events"): {"target_mw": 1.0, "duration_s": 60},
}
# Routes a tenant may call and what must then hold (everything else must answer 403 or 404).
ALLOWED_FOR_TENANT = {
    ("GET", "/health"),
    ("GET", "/me"),
    ("GET", "/tenants"),
    ("GET", "/runs"),
    ("GET", "/compare"),
}


def _routes(world: World) -> list[tuple[str, str]]:
    """Every API operation, from the app's own OpenAPI document (so a new route is tried too)."""
    paths = world.app.openapi()["paths"]
    return [(method.upper(), path[len(API) :]) for path, item in paths.items() for method in item]


def test_a_tenant_never_reads_another_tenants_things_on_any_route(world: World, client: TestClient) -> None:
    b = world.headers("tenant_b")
    routes = _routes(world)
    assert len(routes) >= 25
    for method, template in routes:
        path = template.format(**_ids(world, "a"))
        params = {"run_ids": [world.run_a]} if template == "/compare" else None
        response = client.request(
            method, f"{API}{path}", headers=b, json=BODIES.get((method, template)), params=params
        )
        text = response.text
        if (method, template) in ALLOWED_FOR_TENANT and template != "/compare":
            assert response.status_code == 200, (method, template, text)
        else:
            assert response.status_code in (403, 404), (method, template, response.status_code, text)
        assert "Helix" not in text, (method, template)
        assert "llama-ft" not in text, (method, template)
        assert f'"id":{world.run_a},' not in text.replace(" ", ""), (method, template)
    runs = client.get(f"{API}/runs", headers=b).json()
    assert [r["id"] for r in runs] == [world.run_b]
    assert [t["id"] for t in client.get(f"{API}/tenants", headers=b).json()] == [world.tenant_b]


def test_a_tenant_reads_its_own_usage_jobs_and_runs(world: World, client: TestClient) -> None:
    a = world.headers("tenant_a")
    for method, template in _routes(world):
        if ("{tenant_id}" not in template and "{run_id}" not in template) or method != "GET":
            continue
        path = template.format(**_ids(world, "a"))
        assert client.get(f"{API}{path}", headers=a).status_code == 200, template
    usage = client.get(f"{API}/tenants/{world.tenant_a}/usage", headers=a).json()
    assert len(usage["days"]) == 7
    assert usage["total_gpu_hours"] == pytest.approx(7 * 2500 + 100 * 28)
    assert usage["sla"]
    assert usage["sla_credits_usd"] >= 0
    assert client.get(f"{API}/runs/{world.run_private}", headers=a).status_code == 404
    assert client.get(f"{API}/sites", headers=a).status_code == 403


def test_openapi_names_every_route_and_the_key_header(client: TestClient) -> None:
    schema = client.get(f"{API}/openapi.json").json()
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert len(schema["paths"]) >= 20
    assert all(re.match(r"^/api/v1/", p) for p in schema["paths"])


def test_runs_left_unfinished_by_a_previous_process_are_marked_failed(tmp_path: Any) -> None:
    from wattswitch.api.app import create_app
    from wattswitch.api.bootstrap import bootstrap
    from wattswitch.api.settings import Settings
    from wattswitch.api.worker import INTERRUPTED
    from wattswitch.store import repo
    from wattswitch.store.db import Store

    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = Store(url)
    store.upgrade()
    bootstrap(store)
    with store.write() as session:
        run_id = repo.create_run(session, 1, ["mpc"], {}).id
    store.dispose()
    app = create_app(Settings(database_url=url))
    with app.state.store.read() as session:
        run = repo.get(session, repo.RunRow, run_id, "run")
        assert (run.status, run.error) == ("failed", INTERRUPTED)
    app.state.store.dispose()


def test_wait_for_run_reports_failures(world: World, client: TestClient) -> None:
    h = world.headers("operator")
    body = week_run_body(world.scenario_id, start="2025-07-01", end="2025-07-02", step_s=300)
    run = client.post(f"{API}/runs", json=body, headers=h).json()
    assert wait_for_run(client, run["id"], h)["status"] == "succeeded"


def test_a_restarted_lifespan_runs_again_and_stopping_cancels_queued_runs(tmp_path: Any) -> None:
    from wattswitch.api.app import create_app
    from wattswitch.api.bootstrap import bootstrap
    from wattswitch.api.settings import Settings

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}", max_run_days=2))
    headers = {"X-API-Key": str(bootstrap(app.state.store).admin_secret)}
    body = week_run_body(1, end="2025-07-02")
    with TestClient(app) as client:
        ids = [client.post(f"{API}/runs", json=body, headers=headers).json()["id"] for _ in range(3)]
    with TestClient(app) as client:  # the first lifespan's stop cancelled what was left
        states = [client.get(f"{API}/runs/{i}", headers=headers).json()["status"] for i in ids]
        assert "queued" not in states
        assert "running" not in states
        again = client.post(f"{API}/runs", json=body, headers=headers).json()["id"]
        assert wait_for_run(client, again, headers)["status"] == "succeeded"
    app.state.store.dispose()
