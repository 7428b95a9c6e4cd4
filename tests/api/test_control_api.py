"""Grid events and alerts of live control through the API: who may post, what is refused, what reads back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service_testing import World
from wattswitch.store import live

API = "/api/v1"


def test_an_operator_posts_a_demand_response_event_and_cancels_it(world: World, client: TestClient) -> None:
    url = f"{API}/sites/{world.site_id}/grid-events"
    body = {"kind": "4cp", "target_mw": 12.5, "deadline_utc": "2025-08-20T20:00:00Z", "duration_s": 3600}
    created = client.post(url, json=body, headers=world.headers("operator"))
    assert created.status_code == 201, created.text
    event = created.json()
    assert event["kind"] == "4cp"
    assert event["target_mw"] == 12.5
    assert event["end_utc"].startswith("2025-08-20T21:00:00")
    assert event["acknowledged_at"] is None
    listed = client.get(url, headers=world.headers("analyst")).json()
    assert event["id"] in [e["id"] for e in listed]
    cancelled = client.post(f"{url}/{event['id']}/cancel", headers=world.headers("operator"))
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled_at"] is not None
    other_site = client.post(
        f"{API}/sites/999/grid-events/{event['id']}/cancel", headers=world.headers("operator")
    )
    assert other_site.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_mw": -1, "duration_s": 60}, "target_mw"),
        ({"target_mw": 1, "duration_s": 0}, "duration_s"),
        ({"target_mw": 1, "duration_s": 60, "deadline_utc": "2025-08-20T20:00:00"}, "time zone"),
        ({"target_mw": 1, "duration_s": 60, "kind": "brownout"}, "kind"),
        ({"target_mw": 1, "duration_s": 60, "cap": 3}, "cap"),
        # once 500s: the end overflowed, or the store could not convert the time to UTC
        ({"target_mw": 1, "duration_s": 60, "deadline_utc": "9999-12-31T00:00:00Z"}, "deadline_utc must be"),
        ({"target_mw": 1, "duration_s": 60, "deadline_utc": "0001-01-01T00:00:00+05:00"}, "must be from"),
    ],
)
def test_bad_grid_events_are_refused_naming_the_field(
    world: World, client: TestClient, body: dict[str, object], field: str
) -> None:
    response = client.post(
        f"{API}/sites/{world.site_id}/grid-events", json=body, headers=world.headers("operator")
    )
    assert response.status_code == 422
    assert field in response.text


def test_analysts_and_tenants_may_not_post_events(world: World, client: TestClient) -> None:
    url = f"{API}/sites/{world.site_id}/grid-events"
    body = {"target_mw": 1.0, "duration_s": 60}
    assert client.post(url, json=body, headers=world.headers("analyst")).status_code == 403
    assert client.post(url, json=body, headers=world.headers("tenant_a")).status_code == 403
    assert (
        client.post(f"{API}/sites/999/grid-events", json=body, headers=world.headers("operator")).status_code
        == 404
    )


def test_alerts_read_back_open_and_cleared(world: World, client: TestClient) -> None:
    store = world.app.state.store
    with store.write() as session:
        live.raise_alert(session, world.site_id, "price-feed", "feed stale for 40 min")
        live.raise_alert(session, world.site_id, "price-feed", "still stale")  # no duplicate while open
        live.raise_alert(session, world.site_id, "fleet", "30 % of miners silent")
        live.clear_alert(session, world.site_id, "fleet")
    url = f"{API}/sites/{world.site_id}/alerts"
    everything = client.get(url, headers=world.headers("analyst")).json()
    open_only = client.get(url, params={"open_only": True}, headers=world.headers("analyst")).json()
    assert [a["kind"] for a in open_only] == ["price-feed"]
    assert open_only[0]["message"] == "feed stale for 40 min"
    assert {a["kind"] for a in everything} >= {"price-feed", "fleet"}
