"""The dashboard: server-rendered pages behind a login with an API key (kept in an HttpOnly,
SameSite=Strict cookie). Readers see every site, run and plan; a tenant key sees its own page.

Pages: ``/`` overview, ``/sites/{id}`` (latest run's power split and price, revenue by stream,
capture of each policy; start a run), ``/sites/{id}/live`` (live control: open alerts, grid
events, the decision journal; operators post and cancel grid events), ``/runs/{id}``,
``/plans/{id}`` (cash flows), ``/tenants/{id}`` (usage, SLA credits, jobs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from typing import Annotated, Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wattswitch.api.auth import WRITERS, Principal, principal_for, store_of
from wattswitch.api.run_admission import TooManyRuns, queue_run
from wattswitch.api.schemas import MAX_ID
from wattswitch.api.service import run_scenario
from wattswitch.errors import InputError
from wattswitch.sim.runner import POLICY_NAMES
from wattswitch.store import codec, live, repo
from wattswitch.store.models import (
    GRID_EVENT_KINDS,
    AlertRow,
    DecisionRow,
    GridEventRow,
    PlanRow,
    RunRow,
    ScenarioRow,
    SiteRow,
    TenantRow,
)
from wattswitch.store.series import INPUTS
from wattswitch.store.usage import usage_report
from wattswitch.web import render

router = APIRouter(include_in_schema=False)
COOKIE = "wattswitch_key"
KeyCookie = Annotated[str | None, Cookie(alias=COOKIE)]


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status)


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)


def _who(request: Request, key: str | None) -> Principal | None:
    return principal_for(store_of(request), key)


def _label(who: Principal) -> str:
    return f"{who.name} ({who.role})"


def _not_found(who: Principal, what: str) -> HTMLResponse:
    return _html(render.page("Not found", f"<h1>Not found</h1><p>{escape(what)}</p>", who=_label(who)), 404)


def _valid_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


@router.get("/login", response_class=HTMLResponse)
def login_form(error: str = "") -> HTMLResponse:
    message = f"<p class='bad'>{escape(error)}</p>" if error else ""
    body = (
        "<h1>Sign in</h1><div class='panel' style='max-width:560px'>"
        "<p>Paste an API key. <code>wattswitch serve</code> prints the first admin key when it creates the "
        "database; an admin creates more with <code>POST /api/v1/keys</code>. Lost it? "
        "<code>wattswitch keys reset-admin --database-url …</code> makes a new one.</p>"
        f"{message}<form method='post' action='/login' class='inline'>"
        "<label>API key<input name='key' type='password' size='50' autocomplete='off' autofocus></label>"
        "<button type='submit'>Sign in</button></form></div>"
    )
    return _html(render.page("Sign in", body), 401 if error else 200)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    raw = await request.body()
    form = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=10)
    key = (form.get("key") or [""])[0].strip()
    if _who(request, key) is None:
        return login_form("That key is unknown or revoked.")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, key, httponly=True, samesite="strict", max_age=7 * 86400)
    return response


@router.get("/logout")
def logout() -> Response:
    response = _login_redirect()
    response.delete_cookie(COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, key: KeyCookie = None) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if not who.reads_everything:
        return RedirectResponse(f"/tenants/{who.tenant_id}", status_code=303)
    store = store_of(request)
    with store.read() as session:
        sites = repo.list_sites(session)
        runs = repo.list_runs(session, limit=15)
        plans = repo.list_plans(session)[:10]
        tenants = repo.list_tenants(session)
        site_names = {s.id: s.name for s in sites}
        open_alerts = live.open_alert_counts(session)
    site_rows = [
        [render.link(f"/sites/{s.id}", s.name), escape(s.description[:120]), _live_link(s.id, open_alerts)]
        for s in sites
    ]
    run_rows = [
        [
            render.link(f"/runs/{r.id}", f"run {r.id}"),
            escape(site_names.get(r.site_id, "?")),
            escape(", ".join(r.policies)),
            escape(r.status),
            f"{r.progress:.0%}",
            render.money(_best_profit(r)),
        ]
        for r in runs
    ]
    plan_rows = [
        [
            render.link(f"/plans/{p.id}", f"plan {p.id}"),
            escape(site_names.get(p.site_id, "?")),
            escape(p.recommended),
        ]
        for p in plans
    ]
    tenant_rows = [[render.link(f"/tenants/{t.id}", t.name)] for t in tenants]
    body = (
        "<h1>Overview</h1><div class='grid'>"
        "<div class='panel'><h2>Sites</h2>"
        f"{render.table(['site', 'description', 'live control'], site_rows, 2)}</div>"
        f"<div class='panel'><h2>Recent runs</h2>"
        f"{render.table(['run', 'site', 'policies', 'status', 'progress', 'best profit'], run_rows, 4)}</div>"
        "<div class='panel'><h2>Plans</h2>"
        f"{render.table(['plan', 'site', 'recommended'], plan_rows, 9)}</div>"
        f"<div class='panel'><h2>Tenants</h2>{render.table(['tenant'], tenant_rows, 9)}</div></div>"
    )
    return _html(render.page("Overview", body, who=_label(who)))


def _live_link(site_id: int, open_alerts: dict[int, int]) -> str:
    count = open_alerts.get(site_id, 0)
    alerts = f" · <span class='bad'>{count} open alert{'s' if count != 1 else ''}</span>" if count else ""
    return render.link(f"/sites/{site_id}/live", "live control") + alerts


def _best_profit(run: RunRow) -> float | None:
    if not run.metrics:
        return None
    profits = [s["profit_usd"] for n, s in run.metrics["policies"].items() if n != "oracle"]
    return max(profits) if profits else None


@dataclass(frozen=True)
class Horizon:
    """The local days a run of a scenario may cover: from ``first`` to ``end`` (the day after the
    last), and the days the form proposes (the first week)."""

    first: date
    end: date

    @property
    def last_start(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def default_end(self) -> date:
        return min(self.first + timedelta(days=7), self.end)

    def describe(self) -> str:
        return f"{self.first.isoformat()} to {self.last_start.isoformat()}"


def scenario_horizon(plain: dict[str, Any]) -> Horizon | None:
    """The whole local days inside a stored scenario's horizon (None when it cannot be read)."""
    try:
        scenario = codec.scenario_from_json(plain)
        zone = ZoneInfo(scenario.site.timezone)
    except (InputError, ValueError, KeyError):
        return None
    start = scenario.start_utc.astimezone(zone)
    first = start.date() + timedelta(days=0 if start.time() == time(0) else 1)
    end = scenario.end_utc.astimezone(zone).date()
    return Horizon(first, end) if end > first else None


def check_run_days(start_raw: str, end_raw: str, horizon: Horizon | None) -> tuple[date, date]:
    """The run's first day and the day after its last, inside ``horizon``; else ValueError whose
    message names the form field (``start`` = first day, ``end`` = day after the last)."""
    days: list[date] = []
    for name, label, raw in (("start", "first day", start_raw), ("end", "day after the last", end_raw)):
        try:
            days.append(date.fromisoformat(raw.strip()))
        except ValueError:
            got = raw.strip()[:40]
            raise ValueError(f"{name} ({label}): got {got!r}; expected a date YYYY-MM-DD") from None
    start, end = days
    if end <= start:
        raise ValueError(
            f"end (day after the last): {end.isoformat()} must be after the first day {start.isoformat()}"
        )
    if horizon is not None:
        if not horizon.first <= start <= horizon.last_start:
            raise ValueError(
                f"start (first day): {start.isoformat()} is outside the scenario's horizon "
                f"({horizon.describe()})"
            )
        if end > horizon.end:
            raise ValueError(
                f"end (day after the last): {end.isoformat()} is past the scenario's horizon "
                f"(at most {horizon.end.isoformat()})"
            )
    return start, end


# Keeps the date inputs inside the chosen scenario's horizon: new defaults and bounds when the
# scenario changes, and the last day after the first. The server checks the same on submit.
_RUN_FORM_SCRIPT = """<script>(function(){
var f=document.getElementById('run-form'),s=f.elements.scenario_id,a=f.elements.start,b=f.elements.end;
function shift(d,n){var t=new Date(d+'T00:00:00Z');t.setUTCDate(t.getUTCDate()+n);
return t.toISOString().slice(0,10);}
function chosen(){return s.options[s.selectedIndex].dataset;}
function bounds(){var o=chosen();if(!o.first){return;}a.min=o.first;a.max=shift(o.end,-1);b.max=o.end;
b.min=shift(a.value&&a.value>=o.first?a.value:o.first,1);}
s.addEventListener('change',function(){var o=chosen();if(o.first){a.value=o.first;b.value=o.until;}
bounds();});
a.addEventListener('input',bounds);bounds();})();</script>"""


def _run_form(
    site_id: int,
    scenarios: list[ScenarioRow],
    *,
    chosen: dict[str, Any] | None = None,
    error: str = "",
) -> str:
    """The form to start a run; ``chosen`` (scenario_id, start, end, policies) re-fills it after a
    refused post, whose ``error`` names the field."""
    chosen = chosen or {}
    horizons = {s.id: scenario_horizon(dict(s.plain)) for s in scenarios}
    wanted = chosen.get("scenario_id")
    selected = wanted if isinstance(wanted, int) and wanted in horizons else scenarios[0].id
    options = []
    for s in scenarios:
        h = horizons[s.id]
        data = (
            f" data-first='{h.first.isoformat()}' data-end='{h.end.isoformat()}' "
            f"data-until='{h.default_end.isoformat()}'"
            if h
            else ""
        )
        mark = " selected" if s.id == selected else ""
        options.append(f"<option value='{s.id}'{data}{mark}>{escape(s.name)} (#{s.id})</option>")
    horizon = horizons[selected]
    start = chosen.get("start") or (horizon.first.isoformat() if horizon else "")
    end = chosen.get("end") or (horizon.default_end.isoformat() if horizon else "")
    start_bounds = end_bounds = ""
    if horizon is not None:
        start_bounds = f" min='{horizon.first.isoformat()}' max='{horizon.last_start.isoformat()}'"
        second = horizon.first + timedelta(days=1)
        end_bounds = f" min='{second.isoformat()}' max='{horizon.end.isoformat()}'"
    policies = chosen.get("policies") or ("threshold", "mpc")
    checks = "".join(
        f"<label><span>{escape(p)}</span><input type='checkbox' name='policy' value='{escape(p)}'"
        f"{' checked' if p in policies else ''}></label>"
        for p in POLICY_NAMES
        if p not in ("always-on", "oracle")
    )
    message = f"<p class='bad' role='alert'>{escape(error)}</p>" if error else ""
    return (
        f"{message}<form id='run-form' method='post' action='/sites/{site_id}/runs' class='inline'>"
        f"<label>scenario<select name='scenario_id'>{''.join(options)}</select></label>"
        f"<label>first day<input name='start' type='date' value='{escape(str(start))}'{start_bounds} "
        "required></label>"
        f"<label>day after the last<input name='end' type='date' value='{escape(str(end))}'{end_bounds} "
        "required></label>"
        f"{checks}<button type='submit'>Start a run</button></form>{_RUN_FORM_SCRIPT}"
        "<p class='muted'>always-on and the oracle run too (capture needs both); the days must lie "
        "inside the scenario's horizon.</p>"
    )


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(site_id: int, request: Request, key: KeyCookie = None) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if not who.reads_everything or not _valid_id(site_id):
        return _not_found(who, f"no site {site_id}")
    return _site_page(request, who, site_id)


def _site_page(
    request: Request,
    who: Principal,
    site_id: int,
    *,
    chosen: dict[str, Any] | None = None,
    error: str = "",
) -> HTMLResponse:
    """The site page; after a refused run form, the form again with the posted values and why (422)."""
    with store_of(request).read() as session:
        site = session.get(SiteRow, site_id)
        if site is None:
            return _not_found(who, f"no site {site_id}")
        scenarios = list(repo.list_scenarios(session, site_id))
        latest = repo.list_runs(session, site_id=site_id, status="succeeded", limit=1)
        plans = repo.list_plans(session, site_id)
        runs = repo.list_runs(session, site_id=site_id, limit=10)
        run_html = (
            _run_body(session, latest[0], None)
            if latest
            else ("<p class='muted'>No finished run on this site yet.</p>")
        )
    scenario_rows = [[escape(s.name), str(s.id)] for s in scenarios]
    plan_links = " · ".join(render.link(f"/plans/{p.id}", f"plan {p.id} ({p.recommended})") for p in plans)
    run_links = " · ".join(render.link(f"/runs/{r.id}", f"run {r.id} ({r.status})") for r in runs)
    form = ""
    if who.role in WRITERS and scenarios:
        form = _run_form(site_id, scenarios, chosen=chosen, error=error)
    body = (
        f"<h1>{escape(site.name)}</h1><p class='muted'>{escape(site.description)}</p>"
        f"<p>{render.link(f'/sites/{site_id}/live', 'Live control')}: alerts, grid events and the "
        "decision journal of the controller</p>"
        f"<div class='panel'><h2>Latest run</h2>{run_html}</div>"
        "<div class='grid'><div class='panel'><h2>Scenarios</h2>"
        f"{render.table(['scenario', 'id'], scenario_rows)}"
        f"{form}</div><div class='panel'><h2>Runs</h2><p>{run_links or '—'}</p><h2>Plans</h2>"
        f"<p>{plan_links or '—'}</p></div></div>"
    )
    return _html(render.page(site.name, body, who=_label(who)), 422 if error else 200)


@router.post("/sites/{site_id}/runs", response_class=HTMLResponse)
async def start_site_run(site_id: int, request: Request, key: KeyCookie = None) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if who.role not in WRITERS or not _valid_id(site_id):
        return _not_found(who, "you may not start runs here")
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=20)
    raw_scenario = (form.get("scenario_id") or [""])[0].strip()
    scenario_id = int(raw_scenario) if raw_scenario.isdigit() and len(raw_scenario) < 12 else 0
    policies = [p for p in form.get("policy", []) if p in POLICY_NAMES] or ["mpc"]
    start_raw, end_raw = (form.get("start") or [""])[0], (form.get("end") or [""])[0]
    chosen = {"scenario_id": scenario_id, "start": start_raw[:40], "end": end_raw[:40], "policies": policies}
    store = store_of(request)
    settings = request.app.state.settings
    with store.read() as session:
        scenario = session.get(ScenarioRow, scenario_id) if _valid_id(scenario_id) else None
        if scenario is None or scenario.site_id != site_id:
            return _not_found(who, f"no scenario {raw_scenario[:20]!r} on site {site_id}")
        plain = dict(scenario.plain)
    try:
        start, end = check_run_days(start_raw, end_raw, scenario_horizon(plain))
        run_scenario(codec.scenario_from_json(plain), start, end, None, settings.max_run_days)
    except InputError as err:
        field = f"{err.field}: " if err.field else ""
        return _site_page(request, who, site_id, chosen=chosen, error=f"{field}{err.problem}")
    except ValueError as err:
        return _site_page(request, who, site_id, chosen=chosen, error=str(err))
    config: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat(), "step_s": None}
    try:
        run_id = queue_run(
            store, request.app.state.worker, settings,
            scenario_id=scenario_id, policies=policies, config=config, key_id=who.key_id,
        )
    except TooManyRuns as err:
        return _site_page(request, who, site_id, chosen=chosen, error=str(err))
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


# --- live control ----------------------------------------------------------------------------------

JOURNAL_ROWS = 50  # decisions in the journal table
CHART_DECISIONS = 288  # a day of 5-minute intervals
RECENT_EVENTS = 20
RECENT_ALERTS = 20
ALERT_HEADERS = ["kind", "message", "raised (UTC)", "cleared"]
MAX_EVENT_MIN = 30 * 24 * 60.0  # as the API: an event lasts at most 30 days


def _start_control(site_name: str) -> str:
    """What to do when a site has no decisions yet."""
    return (
        "No decisions yet — start <code>wattswitch control --config site.toml</code> with "
        f'<code>site_name = "{escape(site_name)}"</code> and <code>database</code> set to this '
        "server's database; every interval it journals here what it decided, what it commanded and "
        "what it measured."
    )


def _number(value: Any) -> float | None:
    """A finite number from journaled JSON, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _fixed(value: Any, digits: int = 2, prefix: str = "") -> str:
    number = _number(value)
    return "—" if number is None else f"{prefix}{number:,.{digits}f}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _titled(text: str, names: list[str], css: str = "") -> str:
    """Text with the names as its hover title (the first 20), all escaped."""
    if not names:
        return escape(text) if not css else f"<span class='{css}'>{escape(text)}</span>"
    shown = ", ".join(names[:20]) + (f", … ({len(names)} in all)" if len(names) > 20 else "")
    klass = f" class='{css}'" if css else ""
    return f"<span{klass} title='{escape(shown)}'>{escape(text)}</span>"


def _decision_row(row: DecisionRow) -> list[str]:
    decision = _dict(row.decision)
    plan = _dict(decision.get("plan"))
    miners = _dict(plan.get("miners"))
    outcome = row.outcome if isinstance(row.outcome, dict) else None
    kind = escape(str(decision.get("kind", "?")))
    if decision.get("dry_run"):
        kind += " <span class='muted'>(dry run)</span>"
    modes = _items(decision.get("safe_modes"))
    state_class = {"confirmed": "ok", "superseded": "muted"}.get(row.state, "")
    state = f"<span class='{state_class}'>{escape(row.state)}</span>" if state_class else escape(row.state)
    if outcome is None:
        measured = commands = jobs = "—"
    else:
        before, after = outcome.get("measured_mw_before"), outcome.get("measured_mw_after")
        measured = f"{_fixed(before)} → {_fixed(after)}"
        failed = int(_number(outcome.get("failed")) or 0)
        counts = f"{_fixed(outcome.get('sent'), 0)} / {_fixed(outcome.get('acknowledged'), 0)} / {failed}"
        commands = _titled(counts, _items(outcome.get("failed_addresses")), "bad" if failed else "")
        stops = int(_number(outcome.get("emergency_stops")) or 0)
        if stops:
            commands += f" <span class='bad'>· {stops} stop{'s' if stops != 1 else ''}</span>"
        paused, resumed = _items(outcome.get("jobs_suspended")), _items(outcome.get("jobs_resumed"))
        jobs = _titled(f"{len(paused)} / {len(resumed)}", paused + resumed)
    return [
        render.when(row.interval_start_utc),
        kind,
        escape(str(decision.get("policy", "?"))),
        state,
        f"<span class='bad'>{escape(', '.join(modes))}</span>" if modes else "—",
        _fixed(decision.get("price_usd_per_mwh"), 2, "$"),
        _fixed(decision.get("hashprice_usd_per_ph_day"), 2, "$"),
        _fixed(plan.get("cap_mw")),
        _fixed(plan.get("planned_mw")),
        measured,
        commands,
        jobs,
        " / ".join(str(len(_items(miners.get(state_name)))) for state_name in ("off", "low", "mining")),
    ]


def _journal_chart(decisions: list[DecisionRow]) -> str:
    """The chart of the applied decisions among ``decisions`` (newest first)."""
    applied = [d for d in reversed(decisions) if isinstance(d.outcome, dict)]
    return render.control_chart(
        [d.interval_start_utc for d in applied],
        [_number(_dict(d.outcome).get("measured_mw_after")) for d in applied],
        [_number(_dict(_dict(d.decision).get("plan")).get("cap_mw")) for d in applied],
        [_number(_dict(d.decision).get("price_usd_per_mwh")) for d in applied],
    )


def _active(event: GridEventRow, now: datetime) -> bool:
    return event.cancelled_at is None and event.end_utc > now


def _event_status(event: GridEventRow, now: datetime) -> str:
    if event.cancelled_at is not None:
        return f"<span class='muted'>cancelled {escape(render.when(event.cancelled_at))}</span>"
    phase = "active" if event.end_utc > now else "ended"
    if event.met_at is not None:
        late = (event.met_at - event.deadline_utc).total_seconds()
        met = "met by the deadline" if late <= 0 else f"met {render.duration(late)} after the deadline"
        return f"<span class='ok'>{escape(met)}</span> · {phase}"
    if phase == "ended":
        return "<span class='bad'>ended, target never met</span>"
    if event.deadline_utc <= now:
        return "<b class='bad'>past the deadline, target not met</b>"
    waiting = "" if event.acknowledged_at is not None else " · not acknowledged yet"
    left = render.duration((event.deadline_utc - now).total_seconds())
    return f"pending: deadline in {escape(left)}{waiting}"


def _event_row(event: GridEventRow, now: datetime, may_cancel: bool) -> list[str]:
    acknowledged, met = event.acknowledged_at, event.met_at
    to_met = (met - acknowledged).total_seconds() if met is not None and acknowledged is not None else None
    cancel = ""
    if may_cancel and _active(event, now):
        cancel = (
            f"<form method='post' action='/sites/{event.site_id}/grid-events/{event.id}/cancel' class='row'>"
            "<button type='submit'>cancel</button></form>"
        )
    return [
        f"#{event.id}",
        escape(event.kind),
        _event_status(event, now),
        f"{event.target_mw:,.2f}",
        render.when(event.deadline_utc),
        render.when(event.end_utc),
        render.when(acknowledged),
        render.when(met),
        render.duration(to_met),
        escape(event.source or "—"),
        cancel,
    ]


def _event_form(site_id: int) -> str:
    kinds = "".join(f"<option value='{escape(k)}'>{escape(k)}</option>" for k in GRID_EVENT_KINDS)
    return (
        "<h2>Post a grid event</h2>"
        f"<form method='post' action='/sites/{site_id}/grid-events' class='inline'>"
        f"<label>kind<select name='kind'>{kinds}</select></label>"
        "<label>target MW (at or below)<input name='target_mw' type='number' step='any' min='0' "
        "required></label>"
        "<label>deadline in (min)<input name='deadline_min' type='number' step='any' min='0' value='0'>"
        "</label>"
        "<label>lasting (min)<input name='duration_min' type='number' step='any' min='0' value='60'>"
        "</label><button type='submit'>Post event</button></form>"
        "<p class='muted'>Deadline 0: at once. A running controller re-plans within about a second "
        "and stamps the event acknowledged, then met once the metered load is at or under the target.</p>"
    )


def _alert_rows(alerts: list[AlertRow], now: datetime) -> list[list[str]]:
    return [
        [
            escape(a.kind),
            escape(a.message),
            render.when(a.raised_at),
            render.when(a.cleared_at) if a.cleared_at else "<b class='bad'>open</b>",
            render.duration(((a.cleared_at or now) - a.raised_at).total_seconds()),
        ]
        for a in alerts
    ]


@router.get("/sites/{site_id}/live", response_class=HTMLResponse)
def live_page(
    site_id: int,
    request: Request,
    key: KeyCookie = None,
    refresh: Annotated[int, Query(ge=0, le=3600)] = 0,
) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if not who.reads_everything or not _valid_id(site_id):
        return _not_found(who, f"no site {site_id}")
    now = datetime.now(UTC)
    refresh = max(refresh, 5) if refresh else 0
    may_post = who.role in WRITERS
    with store_of(request).read() as session:
        site = session.get(SiteRow, site_id)
        if site is None:
            return _not_found(who, f"no site {site_id}")
        open_alerts = list(live.alerts_of(session, site_id, open_only=True))
        alerts = list(live.alerts_of(session, site_id, limit=RECENT_ALERTS))
        active = list(live.grid_events_of(session, site_id, active_at=now))
        shown = {e.id for e in active}
        recent = [e for e in live.grid_events_of(session, site_id, limit=RECENT_EVENTS) if e.id not in shown]
        events = active + recent
        decisions = list(repo.decisions_of(session, site_id, limit=CHART_DECISIONS))
        journal_rows = [_decision_row(d) for d in decisions[:JOURNAL_ROWS]]
        chart = _journal_chart(decisions) if decisions else ""
        event_rows = [_event_row(e, now, may_post) for e in events]
        last_cards = _last_decision_cards(decisions, now)
    alert_panel = ""
    if open_alerts:
        count = len(open_alerts)
        alert_panel = (
            f"<div class='panel alerting'><h2>{count} open alert{'s' if count != 1 else ''}</h2>"
            + render.table([*ALERT_HEADERS, "open for"], _alert_rows(open_alerts, now), 4)
            + "</div>"
        )
    if refresh:
        toggle = f"refreshes every {refresh} s · " + render.link(
            f"/sites/{site_id}/live", "stop auto-refresh"
        )
    else:
        toggle = render.link(f"/sites/{site_id}/live?refresh=15", "auto-refresh every 15 s")
    if journal_rows:
        journal = chart + render.table(
            [
                "interval (UTC)",
                "kind",
                "policy",
                "state",
                "safe modes",
                "price",
                "hashprice",
                "cap MW",
                "planned MW",
                "measured MW",
                "commands",
                "jobs",
                "miners",
            ],
            journal_rows,
            5,
        )
        journal += (
            "<p class='muted'>price: the last settled, per MWh · hashprice: the one the decision used, "
            "per PH/s per day · measured MW: before → after applying · commands: sent / acknowledged / "
            "failed (hover for the miners that failed), extra stops to miners over their target · "
            "jobs: preemptible jobs paused / resumed · miners: planned off / low power / mining.</p>"
        )
        if len(decisions) > JOURNAL_ROWS:
            journal += (
                f"<p class='muted'>The newest {JOURNAL_ROWS} decisions; all of them: "
                f"<code>GET /api/v1/sites/{site_id}/decisions</code>.</p>"
            )
    else:
        journal = f"<p>{_start_control(site.name)}</p>"
    if event_rows:
        events_html = render.table(
            [
                "event",
                "kind",
                "status",
                "target MW",
                "deadline (UTC)",
                "end",
                "acknowledged",
                "met",
                "ack → met",
                "posted by",
                "",
            ],
            event_rows,
            3,
        )
    else:
        events_html = (
            "<p class='muted'>No grid events yet. Operators post demand-response and 4CP events on this "
            "page, with <code>wattswitch control event --config site.toml --target-mw 20</code> or "
            f"<code>POST /api/v1/sites/{site_id}/grid-events</code>.</p>"
        )
    if may_post:
        form = _event_form(site_id)
    else:
        form = "<p class='muted'>Operators post and cancel grid events here.</p>" if event_rows else ""
    history = (
        render.table([*ALERT_HEADERS, "lasted"], _alert_rows(alerts, now), 4)
        if alerts
        else "<p class='muted'>No alerts raised yet.</p>"
    )
    body = (
        f"<h1>{escape(site.name)}: live control</h1>"
        f"<p class='muted'>{render.link(f'/sites/{site_id}', 'site')} · times in UTC · {toggle}</p>"
        + alert_panel
        + render.cards(
            [
                ("open alerts", str(len(open_alerts))),
                ("active grid events", str(len(active))),
                *last_cards,
            ]
        )
        + f"<div class='panel'><h2>Grid events</h2>{events_html}{form}</div>"
        + f"<div class='panel'><h2>Decision journal</h2>{journal}</div>"
        + f"<div class='panel'><h2>Alerts</h2>{history}</div>"
    )
    return _html(render.page(f"{site.name}: live control", body, who=_label(who), refresh_s=refresh or None))


def _last_decision_cards(decisions: list[DecisionRow], now: datetime) -> list[tuple[str, str]]:
    """Cards of the newest decision (newest first in ``decisions``) and the newest measurement."""
    if not decisions:
        return [("last decision", "none yet")]
    last = decisions[0]
    decision = _dict(last.decision)
    outcome = next((_dict(d.outcome) for d in decisions if isinstance(d.outcome, dict)), {})
    modes = _items(decision.get("safe_modes"))
    cap = _fixed(_dict(decision.get("plan")).get("cap_mw"), 1)
    return [
        ("last decision", f"{render.duration((now - last.interval_start_utc).total_seconds())} ago"),
        ("state", last.state),
        ("policy", str(decision.get("policy", "?"))),
        ("cap", f"{cap} MW"),
        ("measured (last applied)", f"{_fixed(outcome.get('measured_mw_after'), 1)} MW"),
        ("safe modes", ", ".join(modes) or "none"),
    ]


def _form_number(form: dict[str, list[str]], name: str, default: str = "") -> float:
    """A finite number from a posted form, or ValueError naming the field."""
    raw = (form.get(name) or [default])[0].strip()
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw[:40]!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    return value


def _bad_request(who: Principal, message: str, back: str) -> HTMLResponse:
    body = f"<h1>Bad request</h1><p>{escape(message)}</p><p>{render.link(back, 'back')}</p>"
    return _html(render.page("Bad request", body, who=_label(who)), 422)


@router.post("/sites/{site_id}/grid-events", response_class=HTMLResponse)
async def post_grid_event(site_id: int, request: Request, key: KeyCookie = None) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if who.role not in WRITERS or not _valid_id(site_id):
        return _not_found(who, "you may not post grid events here")
    back = f"/sites/{site_id}/live"
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
    kind = (form.get("kind") or ["demand-response"])[0]
    try:
        if kind not in GRID_EVENT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(GRID_EVENT_KINDS)}")
        target_mw = _form_number(form, "target_mw")
        deadline_min = _form_number(form, "deadline_min", "0")
        duration_min = _form_number(form, "duration_min", "60")
        if not 0 <= target_mw <= 1e5:
            raise ValueError("target_mw must be between 0 and 100000 MW")
        if not 0 <= deadline_min <= MAX_EVENT_MIN:
            raise ValueError("deadline_min must be between 0 and 30 days (in minutes)")
        if not 0 < duration_min <= MAX_EVENT_MIN:
            raise ValueError("duration_min must be more than 0 and at most 30 days (in minutes)")
    except ValueError as err:
        return _bad_request(who, str(err), back)
    deadline = datetime.now(UTC) + timedelta(minutes=deadline_min)
    with store_of(request).write() as session:
        if session.get(SiteRow, site_id) is None:
            return _not_found(who, f"no site {site_id}")
        live.add_grid_event(
            session,
            site_id,
            kind=kind,
            target_mw=target_mw,
            deadline_utc=deadline,
            end_utc=deadline + timedelta(minutes=duration_min),
            source=f"dashboard, key {who.key_id} ({who.name})"[:200],
        )
    return RedirectResponse(back, status_code=303)


@router.post("/sites/{site_id}/grid-events/{event_id}/cancel", response_class=HTMLResponse)
def cancel_grid_event(site_id: int, event_id: int, request: Request, key: KeyCookie = None) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if who.role not in WRITERS or not _valid_id(site_id) or not _valid_id(event_id):
        return _not_found(who, "you may not cancel grid events here")
    with store_of(request).write() as session:
        event = session.get(GridEventRow, event_id)
        if event is None or event.site_id != site_id:
            return _not_found(who, f"no grid event {event_id} at site {site_id}")
        live.cancel_grid_event(session, event_id)
    return RedirectResponse(f"/sites/{site_id}/live", status_code=303)


def _run_body(session: Any, run: RunRow, policy: str | None) -> str:
    metrics = run.metrics or {}
    policies: dict[str, dict[str, Any]] = metrics.get("policies", {})
    chosen = [p for p in run.policies if p in policies]
    focus = policy if policy in policies else (chosen[0] if chosen else next(iter(policies), ""))
    rows = repo.run_series(session, run.id)
    by_policy: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_policy.setdefault(r.policy, {})[r.name] = {
            "values": r.values,
            "step_s": r.step_s,
            "start_utc": r.start_utc.isoformat(),
        }
    focus_summary = policies.get(focus, {})
    ai = sum(focus_summary.get("revenue_usd", {}).get(k, 0.0) for k in ("reserved", "inference", "training"))
    tabs = " ".join(render.link(f"/runs/{run.id}?policy={p}", p) for p in policies)
    summary_rows = [
        [
            escape(n),
            render.money(s["profit_usd"]),
            render.fraction(s["capture"]),
            render.money(s["revenue_usd"]["mining"]),
            render.money(s["cost_usd"]["energy"]),
            render.money(s["four_cp_charge_usd"]),
            f"{s['curtailed_fleet_hours']:,.0f}",
            str(s["power_limit_violations"]),
        ]
        for n, s in policies.items()
    ]
    profits = {p: series["profit_usd"] for p, series in by_policy.items() if "profit_usd" in series}
    return (
        f"<p>{render.link(f'/runs/{run.id}', f'Run {run.id}')} · "
        f"{escape(str(metrics.get('start_utc', '')))} → "
        f"{escape(str(metrics.get('end_utc', '')))} · step {metrics.get('step_s', '?')} s · "
        f"<nav class='tabs' style='display:inline'>policy: {tabs}</nav></p>"
        + render.cards(
            [
                (f"{focus}: profit", render.money(focus_summary.get("profit_usd"))),
                ("capture", render.fraction(focus_summary.get("capture"))),
                ("mining revenue", render.money(focus_summary.get("revenue_usd", {}).get("mining"))),
                ("AI revenue", render.money(ai)),
                ("energy cost", render.money(focus_summary.get("cost_usd", {}).get("energy"))),
                ("peak site MW", f"{focus_summary.get('peak_site_mw', 0):,.1f}"),
            ]
        )
        + render.power_chart(focus, by_policy.get(focus, {}), by_policy.get(INPUTS, {}))
        + "<div class='grid'>"
        + f"<div>{render.revenue_chart(policies)}</div><div>{render.capture_chart(policies)}</div></div>"
        + render.table(
            ["policy", "profit", "capture", "mining", "energy", "4CP", "curtailed h", "violations"],
            summary_rows,
        )
        + render.cumulative_profit_chart(profits)
        + "".join(f"<p class='muted'>note: {escape(n)}</p>" for n in metrics.get("notes", []))
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(
    run_id: int,
    request: Request,
    key: KeyCookie = None,
    policy: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if not _valid_id(run_id):
        return _not_found(who, f"no run {run_id}")
    with store_of(request).read() as session:
        run = session.get(RunRow, run_id)
        visible = run is not None and (who.reads_everything or run.tenant_id == who.tenant_id)
        if run is None or not visible:
            return _not_found(who, f"no run {run_id}")
        if run.status == "succeeded":
            body = f"<h1>Run {run.id}</h1>" + _run_body(session, run, policy)
            return _html(render.page(f"Run {run.id}", body, who=_label(who)))
        width = round(run.progress * 100)
        error = f"<p class='bad'>{escape(run.error or '')}</p>" if run.status == "failed" else ""
        body = (
            f"<h1>Run {run.id}: {escape(run.status)}</h1><div class='bar'><span style='width:{width}%'>"
            f"</span></div><p>{width}% · policies {escape(', '.join(run.policies))}</p>{error}"
        )
        refresh = 2 if run.status in ("queued", "running") else None
        return _html(render.page(f"Run {run.id}", body, who=_label(who), refresh_s=refresh))


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(plan_id: int, request: Request, key: KeyCookie = None) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if not who.reads_everything or not _valid_id(plan_id):
        return _not_found(who, f"no plan {plan_id}")
    with store_of(request).read() as session:
        plan = session.get(PlanRow, plan_id)
        if plan is None:
            return _not_found(who, f"no plan {plan_id}")
        site = session.get(SiteRow, plan.site_id)
        result = plan.result
    rows = [
        [
            escape(s["strategy"]),
            render.money(s["npv_usd"]),
            render.money(s["incremental_npv_usd"]),
            "—" if s["irr"] is None else f"{s['irr']:.1%}",
            "—" if s["payback_years"] is None else f"{s['payback_years']:.1f} y",
            render.money(s["capex_usd"]),
        ]
        for s in result["strategies"]
    ]
    timeline = result["timeline"]["parallel"]
    body = (
        f"<h1>Plan {plan.id}: {escape(site.name if site else '?')}</h1>"
        + render.cards(
            [
                ("recommended", plan.recommended),
                ("convertible IT MW", f"{result['feasibility']['convertible_it_mw'] or 0:,.0f}"),
                ("capex (mid, ex GPU)", render.money(result["capex"]["total_ex_gpu_usd"]["mid"])),
                ("build (parallel)", f"{timeline['total_months'] or 0:.0f} months"),
            ]
        )
        + f"<div class='panel'>{render.plan_cash_chart(result)}</div>"
        + f"<div class='panel'>{render.plan_cumulative_chart(result)}"
        + render.table(["strategy", "NPV", "NPV gained", "IRR", "payback", "capex"], rows)
        + "</div>"
    )
    return _html(render.page(f"Plan {plan.id}", body, who=_label(who)))


@router.get("/tenants/{tenant_id}", response_class=HTMLResponse)
def tenant_page(tenant_id: int, request: Request, key: KeyCookie = None) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if not _valid_id(tenant_id) or not who.may_see_tenant(tenant_id):
        return _not_found(who, f"no tenant {tenant_id}")
    with store_of(request).read() as session:
        tenant = session.get(TenantRow, tenant_id)
        if tenant is None:
            return _not_found(who, f"no tenant {tenant_id}")
        span = repo.usage_span(session, tenant_id)
        start = max(span[0], span[1] - timedelta(days=90)) if span else None
        report = usage_report(session, tenant_id, start, span[1] if span else None)
        jobs = repo.jobs_of(session, tenant_id, limit=50)
        runs = repo.list_runs(session, tenant_id=tenant_id, limit=20)
    sla_rows = [
        [
            escape(m["month"]),
            str(m["reservation_id"]),
            f"{m['uptime_fraction']:.4f}",
            render.money(m["bill_usd"]),
            render.money(m["credit_usd"]),
        ]
        for m in report["sla"]
    ]
    job_rows = [
        [
            escape(j.name),
            str(j.gpu_count),
            f"{j.duration_s / 3600:,.1f} h",
            escape(j.state),
            f"{j.submitted_at:%Y-%m-%d %H:%M}",
        ]
        for j in jobs
    ]
    run_links = " · ".join(render.link(f"/runs/{r.id}", f"run {r.id} ({r.status})") for r in runs) or "—"
    body = (
        f"<h1>{escape(tenant.name)}</h1>"
        + render.cards(
            [
                ("GPU-hours shown", f"{report['total_gpu_hours']:,.0f}"),
                ("SLA credits", render.money(report["sla_credits_usd"])),
            ]
        )
        + f"<div class='panel'>{render.usage_chart(report['days'])}</div><div class='grid'>"
        + "<div class='panel'><h2>SLA by month</h2>"
        + render.table(["month", "reservation", "uptime", "bill", "credit"], sla_rows)
        + "</div>"
        + "<div class='panel'><h2>Jobs</h2>"
        + render.table(["job", "GPUs", "duration", "state", "submitted"], job_rows)
        + "</div></div>"
        + f"<div class='panel'><h2>Runs shared with this tenant</h2><p>{run_links}</p></div>"
    )
    return _html(render.page(tenant.name, body, who=_label(who)))
