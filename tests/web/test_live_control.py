"""The live-control page of the dashboard (``/sites/{id}/live``): open alerts, grid events and the
decision journal the controller wrote, with a chart of measured MW against the cap.

The store is filled with the store functions the controller uses (no runs are needed, so the app
is a small one of its own); the page is checked over the ASGI test client and in Debian's
headless Chromium at a laptop's 1366×768 (set WATTSWITCH_SCREENSHOTS to keep the screenshots)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service_testing import ServerThread
from wattswitch.api.app import create_app
from wattswitch.api.bootstrap import bootstrap
from wattswitch.api.settings import Settings
from wattswitch.store import live, repo
from wattswitch.store.models import GridEventRow

LAPTOP = {"width": 1366, "height": 768}
HOSTILE = "miner <script>alert(1)</script> 10.0.1.7 did not answer"


@dataclass
class LiveWorld:
    app: Any
    keys: dict[str, str]
    site_id: int  # a controller has run here
    quiet_id: int  # nothing yet
    other_event: int  # a grid event of a third site


def _decision(kind: str, price: float | None, cap: float, planned: float, modes: list[str]) -> dict[str, Any]:
    """A payload shaped as the controller journals it (controller._decide)."""
    return {
        "kind": kind,
        "policy": "threshold",
        "decision": {"asic_normal_fraction": [1.0], "asic_low_fraction": [0.0], "training_nodes": None},
        "price_usd_per_mwh": price,
        "price_interval_utc": None,
        "hashprice_usd_per_ph_day": 46.08,
        "safe_modes": modes,
        "dry_run": False,
        "plan": {
            "cap_mw": cap,
            "planned_mw": planned,
            "trimmed_mw": 0.0,
            "training_nodes": 4,
            "miners": {
                "off": ["10.0.1.1", "10.0.1.2"],
                "mining": ["10.0.1.3"],
                "low": [["10.0.1.4", 2500.0]],
            },
        },
    }


def _outcome(before: float, after: float, *, failed: list[str], paused: list[str]) -> dict[str, Any]:
    """What applying it did (live_site.Outcome.plain())."""
    return {
        "sent": 40,
        "acknowledged": 40 - len(failed),
        "failed": len(failed),
        "failed_addresses": failed,
        "jobs_suspended": paused,
        "jobs_resumed": [],
        "job_errors": [],
        "measured_mw_before": before,
        "measured_mw_after": after,
        "max_measured_mw": after,
        "cap_mw": 0.0,
        "stages": 1,
        "emergency_stops": 1 if failed else 0,
        "dry_run": False,
        "ack_s": 0.4,
    }


def _fill(app: Any, site_id: int, now: datetime) -> None:
    store = app.state.store
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=40)
    rows = [  # (minutes after start, kind, price, cap, planned, measured before → after, failed, paused)
        (0, "interval", 31.5, 200.0, 185.0, 150.0, 184.2, [], []),
        (5, "interval", 28.0, 200.0, 190.0, 184.2, 189.6, [], []),
        (10, "interval", 160.0, 200.0, 120.0, 189.6, 121.3, [], []),
        (12, "grid-event", 160.0, 60.0, 58.0, 121.3, 57.9, ["10.0.1.9", "10.0.1.10"], ["4711", "4712"]),
        (15, "interval", 170.0, 60.0, 58.5, 57.9, 58.2, [], []),
        (20, "interval", None, 60.0, 40.0, 58.2, 41.0, [], []),
    ]
    with store.write() as session:
        for minute, kind, price, cap, planned, before, after, failed, paused in rows:
            modes = ["price-feed"] if price is None else []
            at = start + timedelta(minutes=minute)
            row = repo.journal_decision(session, site_id, at, _decision(kind, price, cap, planned, modes))
            repo.advance_decision(session, row.id, "applied")
            live.record_outcome(session, row.id, _outcome(before, after, failed=failed, paused=paused))
            repo.advance_decision(session, row.id, "confirmed")
        # the newest interval is journaled, not applied yet
        repo.journal_decision(
            session, site_id, start + timedelta(minutes=25), _decision("interval", 90.0, 60, 55, [])
        )
        dr = live.add_grid_event(
            session,
            site_id,
            kind="demand-response",
            target_mw=60.0,
            deadline_utc=start + timedelta(minutes=12),
            end_utc=now + timedelta(hours=2),
            source="API key 2",
        )
        dr.acknowledged_at = start + timedelta(minutes=12, seconds=1)
        dr.met_at = start + timedelta(minutes=12, seconds=43)
        cp = live.add_grid_event(
            session,
            site_id,
            kind="4cp",
            target_mw=30.0,
            deadline_utc=now + timedelta(hours=3),
            end_utc=now + timedelta(hours=4),
            source="ercot-4cp-feed",
        )
        live.cancel_grid_event(session, cp.id)
        live.raise_alert(session, site_id, "commands", HOSTILE)
        live.raise_alert(session, site_id, "price-feed", "no price for 35 min")
        live.clear_alert(session, site_id, "price-feed")


@pytest.fixture(scope="module")
def live_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveWorld, TestClient]]:
    path = tmp_path_factory.mktemp("live") / "wattswitch.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", progress_interval_s=0.0))
    with TestClient(app) as client:
        first = bootstrap(app.state.store)
        assert first.admin_secret is not None
        keys = {"admin": first.admin_secret}
        with app.state.store.write() as session:
            site_id = repo.list_sites(session)[0].id
            quiet_id = repo.create_site(session, "Quiet Hollow", "no controller yet").id
            far_id = repo.create_site(session, "Far Mesa", "another site").id
            for role in ("operator", "analyst"):
                keys[role] = repo.create_key(session, role, role)[1]
            tenant = repo.create_tenant(session, "Helix AI").id
            keys["tenant"] = repo.create_key(session, "t", "tenant", tenant)[1]
            soon = datetime.now(UTC) + timedelta(days=1)
            other_event = live.add_grid_event(
                session,
                far_id,
                kind="demand-response",
                target_mw=5.0,
                deadline_utc=soon,
                end_utc=soon + timedelta(hours=1),
                source="t",
            ).id
        _fill(app, site_id, datetime.now(UTC))
        yield LiveWorld(app, keys, site_id, quiet_id, other_event), client


def _as(client: TestClient, world: LiveWorld, who: str) -> TestClient:
    client.cookies.set("wattswitch_key", world.keys[who])
    return client


# --- over the ASGI test client -------------------------------------------------------------------


def test_the_page_shows_alerts_events_and_the_journal_escaped(
    live_world: tuple[LiveWorld, TestClient],
) -> None:
    world, client = live_world
    html = _as(client, world, "analyst").get(f"/sites/{world.site_id}/live").text
    assert "1 open alert" in html
    assert "<script>alert(1)" not in html
    assert "miner &lt;script&gt;alert(1)&lt;/script&gt; 10.0.1.7 did not answer" in html
    assert "no price for 35 min" in html  # cleared: in the history, not the open panel
    assert "met 43 s after the deadline" in html
    assert "42 s" in html  # acknowledged → met
    assert "cancelled" in html
    assert html.count("<td>grid-event</td>") == 1
    assert "40 / 38 / 2" in html  # commands sent / acknowledged / failed
    assert "title='10.0.1.9, 10.0.1.10'" in html
    assert "2 / 0" in html  # jobs paused / resumed
    assert "2 / 1 / 1" in html  # miners off / low / mining
    assert "price-feed" in html
    assert "121.30 → 57.90" in html
    assert "<td class=\"n\">$46.08</td>" in html  # the hashprice the decision used
    assert ">journaled<" in html
    assert "Measured MW against the cap over the last 6 applied decisions" in html
    assert "Post a grid event" not in html  # analysts are read-only
    overview = client.get("/").text
    assert f'href="/sites/{world.site_id}/live"' in overview
    assert "1 open alert" in overview


def test_empty_states_say_what_to_start(live_world: tuple[LiveWorld, TestClient]) -> None:
    world, client = live_world
    html = _as(client, world, "analyst").get(f"/sites/{world.quiet_id}/live").text
    assert "No decisions yet — start <code>wattswitch control --config site.toml</code>" in html
    assert "No alerts raised yet." in html
    assert "class='panel alerting'" not in html  # no red panel
    assert "none yet" in html
    assert "<svg" not in html


def test_who_may_see_and_post(live_world: tuple[LiveWorld, TestClient]) -> None:
    world, client = live_world
    client.cookies.clear()
    assert client.get(f"/sites/{world.site_id}/live", follow_redirects=False).status_code == 303
    tenant = _as(client, world, "tenant")
    assert tenant.get(f"/sites/{world.site_id}/live").status_code == 404
    analyst = _as(client, world, "analyst")
    for path in ("/sites/999/live", "/sites/0/live", "/sites/99999999999999/live"):
        assert analyst.get(path).status_code == 404, path
    assert analyst.get(f"/sites/{world.site_id}/live?refresh=-1").status_code == 422
    form = {"kind": "demand-response", "target_mw": "10", "deadline_min": "0", "duration_min": "30"}
    assert analyst.post(f"/sites/{world.site_id}/grid-events", data=form).status_code == 404
    operator = _as(client, world, "operator")
    assert "Post a grid event" in operator.get(f"/sites/{world.site_id}/live?refresh=15").text
    for bad in ({"target_mw": "lots"}, {"target_mw": "-1"}, {"duration_min": "0"}, {"kind": "brownout"}):
        response = operator.post(f"/sites/{world.site_id}/grid-events", data={**form, **bad})
        assert response.status_code == 422, bad
    assert operator.post("/sites/999/grid-events", data=form).status_code == 404
    cancel = operator.post(f"/sites/{world.site_id}/grid-events/{world.other_event}/cancel")
    assert cancel.status_code == 404  # the event is another site's
    with world.app.state.store.read() as session:
        event = session.get(GridEventRow, world.other_event)
        assert event is not None
        assert event.cancelled_at is None


def test_odd_journal_rows_still_render(live_world: tuple[LiveWorld, TestClient]) -> None:
    world, client = live_world
    with world.app.state.store.write() as session:
        far = repo.site_by_name(session, "Far Mesa")
        assert far is not None
        at = datetime(2025, 8, 20, 20, 0, tzinfo=UTC)
        for minute, payload in enumerate([{}, {"plan": "x", "safe_modes": "price-feed", "kind": 3}]):
            row = repo.journal_decision(session, far.id, at + timedelta(minutes=minute), payload)
            repo.advance_decision(session, row.id, "applied")
            live.record_outcome(session, row.id, {"sent": "many", "measured_mw_after": float("nan")})
        far_id = far.id
    response = _as(client, world, "analyst").get(f"/sites/{far_id}/live")
    assert response.status_code == 200
    assert "Measured MW against the cap over the last 2 applied decisions" in response.text


# --- in headless Chromium ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(live_world: tuple[LiveWorld, TestClient]) -> Iterator[tuple[LiveWorld, ServerThread]]:
    world, _client = live_world
    running = ServerThread(world.app)
    yield world, running
    running.stop()


def _login(page: Any, base: str, key: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=key]", key)
    page.click("button[type=submit]")


def _fits(page: Any, shot: Path) -> None:
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 30_000  # a blank or unstyled page compresses far below this
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= LAPTOP["width"], f"page is {width}px wide"
    clipped = page.evaluate(
        "[...document.querySelectorAll('.panel')].filter(p => p.scrollWidth > p.clientWidth + 1)"
        ".map(p => `${p.querySelector('h2')?.textContent}: ${p.scrollWidth} > ${p.clientWidth}`)"
    )
    assert clipped == [], f"content wider than its panel: {clipped}"


@pytest.mark.browser
def test_an_analyst_watches_live_control(
    server: tuple[LiveWorld, ServerThread], browser: Any, shots: Path
) -> None:
    world, running = server
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _login(page, running.url, world.keys["analyst"])
    page.locator("tr", has_text="1 open alert").get_by_role("link", name="live control").click()
    assert page.url == f"{running.url}/sites/{world.site_id}/live"
    alerts = page.locator(".panel.alerting")
    assert alerts.get_by_text("1 open alert").is_visible()
    assert alerts.get_by_text(HOSTILE).is_visible()  # shown as text, never run
    assert dialogs == []
    events = page.locator(".panel", has_text="Grid events").locator("tbody tr")
    assert events.count() == 2
    assert events.nth(0).get_by_text("met 43 s after the deadline").is_visible()
    assert events.nth(0).get_by_text("42 s", exact=True).is_visible()
    assert events.nth(1).get_by_text("cancelled").is_visible()
    journal = page.locator(".panel", has_text="Decision journal")
    rows = journal.locator("tbody tr")
    assert rows.count() == 7
    assert rows.nth(0).get_by_text("journaled").is_visible()
    assert rows.nth(1).get_by_text("price-feed").is_visible()
    assert rows.nth(3).get_by_text("40 / 38 / 2").is_visible()
    chart = journal.locator("svg[aria-label^='Measured MW against the cap']")
    assert chart.count() == 1
    assert chart.locator("polygon").count() >= 1  # measured MW
    assert chart.locator("polyline[stroke-dasharray]").count() == 1  # the cap
    assert page.locator("form[action$='/cancel']").count() == 0  # analysts are read-only
    _fits(page, shots / "live-control.png")
    page.goto(f"{running.url}/sites/{world.quiet_id}/live")
    assert page.get_by_text("No decisions yet — start").is_visible()
    assert page.get_by_text("No grid events yet.").is_visible()
    _fits(page, shots / "live-control-empty.png")
    context.close()


@pytest.mark.browser
def test_an_operator_posts_and_cancels_a_demand_response_event(
    server: tuple[LiveWorld, ServerThread], browser: Any, shots: Path
) -> None:
    world, running = server
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    _login(page, running.url, world.keys["operator"])
    page.goto(f"{running.url}/sites/{world.quiet_id}/live")
    page.select_option("select[name=kind]", "demand-response")
    page.fill("input[name=target_mw]", "12.5")
    page.fill("input[name=deadline_min]", "30")
    page.fill("input[name=duration_min]", "90")
    page.click("text=Post event")
    assert page.url == f"{running.url}/sites/{world.quiet_id}/live"
    row = page.locator(".panel", has_text="Grid events").locator("tbody tr", has_text="12.50")
    assert row.get_by_text("pending: deadline in").is_visible()
    assert row.get_by_text("not acknowledged yet").is_visible()
    assert row.get_by_text("dashboard, key").is_visible()
    row.get_by_role("button", name="cancel").click()
    row = page.locator(".panel", has_text="Grid events").locator("tbody tr", has_text="12.50")
    assert row.get_by_text("cancelled").is_visible()
    assert row.get_by_role("button", name="cancel").count() == 0
    _fits(page, shots / "live-control-operator.png")
    context.close()
