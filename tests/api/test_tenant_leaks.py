"""What a tenant key can learn about objects outside its tenant: nothing, not even whether they exist."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service_testing import World

API = "/api/v1"


def test_a_tenant_cannot_probe_site_ids_through_its_jobs(world: World, client: TestClient) -> None:
    url = f"{API}/tenants/{world.tenant_a}/jobs"
    job = {"name": "probe", "gpu_count": 8, "duration_s": 60}
    answers = [
        client.post(url, json={**job, "site_id": site}, headers=world.headers("tenant_a"))
        for site in (world.site_id, 987_654)
    ]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["errors"][0]["field"] == "site_id"
    placed = client.post(url, json={**job, "site_id": world.site_id}, headers=world.headers("operator"))
    assert placed.status_code == 201, placed.text


def test_a_day_is_a_date_not_a_unix_time(world: World, client: TestClient) -> None:
    url = f"{API}/tenants/{world.tenant_a}/usage"
    for bad in ("0", "20250701", "1e9"):
        response = client.get(url, params={"end": bad}, headers=world.headers("tenant_a"))
        assert response.status_code == 422, (bad, response.text)
        assert "YYYY-MM-DD" in response.text
    week = {"start": "2025-07-01", "end": "2025-07-07"}
    good = client.get(url, params=week, headers=world.headers("tenant_a"))
    assert good.status_code == 200, good.text
