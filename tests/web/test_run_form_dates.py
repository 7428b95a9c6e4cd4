"""The dashboard's run form takes its days from the chosen scenario: defaults and bounds from the
scenario's horizon (updated when another scenario is chosen, in Chromium), and a post whose days
are reversed, malformed or outside the horizon comes back as the form with a message naming the
field (422) — no run is queued that would fail."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import httpx
import pytest

from service_testing import ServerThread
from wattswitch.api.app import create_app
from wattswitch.api.bootstrap import bootstrap
from wattswitch.api.settings import Settings
from wattswitch.model.default_scenario import default_scenario
from wattswitch.store import codec, repo
from wattswitch.web.pages import COOKIE

# the default scenario covers the local days 2025-01-01 .. 2025-12-31 (America/Chicago);
# "spring" covers 2024-03-01 .. 2024-03-31.
SPRING_START = datetime(2024, 3, 1, 6, tzinfo=UTC)  # local midnight in Chicago (CST)
SPRING_END = datetime(2024, 4, 1, 5, tzinfo=UTC)  # local midnight in Chicago (CDT)


@dataclasses.dataclass
class FormSite:
    server: ServerThread
    app: Any
    operator: str
    site_id: int
    default_id: int
    spring_id: int

    def run_count(self) -> int:
        with self.app.state.store.read() as session:
            return len(repo.list_runs(session, limit=500))


@pytest.fixture(scope="module")
def form_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FormSite]:
    path = tmp_path_factory.mktemp("run-form") / "w.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", progress_interval_s=0.0))
    store = app.state.store
    bootstrap(store)
    spring = dataclasses.replace(
        default_scenario(), name="spring", start_utc=SPRING_START, end_utc=SPRING_END
    )
    with store.write() as session:
        site_id = repo.list_sites(session)[0].id
        default_id = repo.list_scenarios(session, site_id)[0].id
        spring_id = repo.create_scenario(session, site_id, "spring", codec.scenario_to_json(spring)).id
        _row, operator = repo.create_key(session, "operator", "operator")
    running = ServerThread(app)
    yield FormSite(running, app, operator, site_id, default_id, spring_id)
    running.stop()
    store.dispose()


def _post(site: FormSite, **fields: str) -> httpx.Response:
    with httpx.Client(base_url=site.server.url, cookies={COOKIE: site.operator}, timeout=60) as client:
        return client.post(f"/sites/{site.site_id}/runs", data={"policy": "threshold", **fields})


@pytest.mark.parametrize(
    ("scenario", "days", "field", "why"),
    [
        ("default", ("2025-07-08", "2025-07-01"), "end (day after the last)", "must be after the first day"),
        ("default", ("2025-07-08", "2025-07-08"), "end (day after the last)", "must be after the first day"),
        ("default", ("2024-12-20", "2025-01-03"), "start (first day)", "outside the scenario's horizon"),
        ("default", ("2025-12-30", "2026-01-05"), "end (day after the last)", "past the scenario's horizon"),
        ("spring", ("2025-07-01", "2025-07-08"), "start (first day)", "2024-03-01 to 2024-03-31"),
        ("spring", ("2024-03-01", ""), "end (day after the last)", "expected a date YYYY-MM-DD"),
        ("spring", ("1 March", "2024-03-08"), "start (first day)", "expected a date YYYY-MM-DD"),
    ],
)
def test_a_bad_post_re_renders_the_form_naming_the_field(
    form_site: FormSite, scenario: str, days: tuple[str, str], field: str, why: str
) -> None:
    start, end = days
    scenario_id = form_site.default_id if scenario == "default" else form_site.spring_id
    before = form_site.run_count()
    response = _post(form_site, scenario_id=str(scenario_id), start=start, end=end)
    assert response.status_code == 422
    assert f"{field}:" in response.text
    assert escape(why) in response.text
    assert "id='run-form'" in response.text  # the form again, with what was posted
    if start:
        assert f"value='{start}'" in response.text
    assert f"value='{scenario_id}' data-first" in response.text
    assert form_site.run_count() == before


def test_the_form_proposes_the_first_week_of_each_scenario(form_site: FormSite) -> None:
    with httpx.Client(base_url=form_site.server.url, cookies={COOKIE: form_site.operator}, timeout=60) as c:
        page = c.get(f"/sites/{form_site.site_id}").text
    assert "name='start' type='date' value='2025-01-01' min='2025-01-01' max='2025-12-31'" in page
    assert "name='end' type='date' value='2025-01-08' min='2025-01-02' max='2026-01-01'" in page
    assert (
        f"value='{form_site.spring_id}' data-first='2024-03-01' data-end='2024-04-01' data-until='2024-03-08'"
        in page
    )


def test_a_good_post_queues_the_run(form_site: FormSite) -> None:
    before = form_site.run_count()
    with httpx.Client(base_url=form_site.server.url, cookies={COOKIE: form_site.operator}, timeout=60) as c:
        response = c.post(
            f"/sites/{form_site.site_id}/runs",
            data={"scenario_id": str(form_site.spring_id), "start": "2024-03-30", "end": "2024-04-01"},
        )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/runs/")
    assert form_site.run_count() == before + 1


@pytest.mark.browser
def test_the_dates_follow_the_chosen_scenario_in_the_browser(
    form_site: FormSite, browser: Any, shots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    base = form_site.server.url
    page.goto(f"{base}/login")
    page.fill("input[name=key]", form_site.operator)
    page.click("button[type=submit]")
    page.goto(f"{base}/sites/{form_site.site_id}")
    start, end = page.locator("input[name=start]"), page.locator("input[name=end]")

    def state() -> tuple[str, ...]:
        return tuple(
            str(page.evaluate(f"document.querySelector('input[name={n}]').{a}"))
            for n in ("start", "end")
            for a in ("value", "min", "max")
        )

    assert state() == ("2025-01-01", "2025-01-01", "2025-12-31", "2025-01-08", "2025-01-02", "2026-01-01")
    page.select_option("select[name=scenario_id]", str(form_site.spring_id))
    assert state() == ("2024-03-01", "2024-03-01", "2024-03-31", "2024-03-08", "2024-03-02", "2024-04-01")
    start.fill("2024-03-10")
    assert end.evaluate("e => e.min") == "2024-03-11"

    before = form_site.run_count()
    end.fill("2024-03-05")  # before the first day: the browser refuses to submit
    page.click("text=Start a run")
    assert page.url == f"{base}/sites/{form_site.site_id}"
    assert page.evaluate("document.getElementById('run-form').checkValidity()") is False
    end.fill("2024-04-20")  # past the horizon
    assert page.evaluate("document.getElementById('run-form').checkValidity()") is False

    # with the browser's checks off, the server refuses it the same way and says which field
    page.evaluate("document.getElementById('run-form').noValidate = true")
    page.click("text=Start a run")
    assert page.get_by_role("alert").inner_text().startswith("end (day after the last): 2024-04-20")
    assert page.locator("select[name=scenario_id]").input_value() == str(form_site.spring_id)
    assert start.input_value() == "2024-03-10"
    page.screenshot(path=str(shots / "run-form-refused.png"), full_page=True)
    assert form_site.run_count() == before

    end.fill("2024-03-12")
    page.click("text=Start a run")
    page.wait_for_url("**/runs/*")
    assert form_site.run_count() == before + 1
    context.close()
