"""The dashboard: server-rendered pages behind a login with an API key (kept in an HttpOnly,
SameSite=Strict cookie). Readers see every site, run and plan; a tenant key sees its own page.

Pages: ``/`` overview, ``/sites/{id}`` (latest run's power split and price, revenue by stream,
capture of each policy; start a run), ``/runs/{id}``, ``/plans/{id}`` (cash flows),
``/tenants/{id}`` (usage, SLA credits, jobs).
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wattswitch.api.auth import WRITERS, Principal, principal_for, store_of
from wattswitch.api.schemas import MAX_ID
from wattswitch.api.service import run_scenario
from wattswitch.errors import InputError
from wattswitch.sim.runner import POLICY_NAMES
from wattswitch.store import codec, repo
from wattswitch.store.models import PlanRow, RunRow, ScenarioRow, SiteRow, TenantRow
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
        "database; an admin creates more with <code>POST /api/v1/keys</code>.</p>"
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
    site_rows = [[render.link(f"/sites/{s.id}", s.name), escape(s.description[:120])] for s in sites]
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
        f"<div class='panel'><h2>Sites</h2>{render.table(['site', 'description'], site_rows, 9)}</div>"
        f"<div class='panel'><h2>Recent runs</h2>"
        f"{render.table(['run', 'site', 'policies', 'status', 'progress', 'best profit'], run_rows, 4)}</div>"
        "<div class='panel'><h2>Plans</h2>"
        f"{render.table(['plan', 'site', 'recommended'], plan_rows, 9)}</div>"
        f"<div class='panel'><h2>Tenants</h2>{render.table(['tenant'], tenant_rows, 9)}</div></div>"
    )
    return _html(render.page("Overview", body, who=_label(who)))


def _best_profit(run: RunRow) -> float | None:
    if not run.metrics:
        return None
    profits = [s["profit_usd"] for n, s in run.metrics["policies"].items() if n != "oracle"]
    return max(profits) if profits else None


def _run_form(site_id: int, scenarios: list[ScenarioRow]) -> str:
    options = "".join(f"<option value='{s.id}'>{escape(s.name)} (#{s.id})</option>" for s in scenarios)
    checks = "".join(
        f"<label><span>{escape(p)}</span><input type='checkbox' name='policy' value='{escape(p)}'"
        f"{' checked' if p in ('threshold', 'mpc') else ''}></label>"
        for p in POLICY_NAMES
        if p not in ("always-on", "oracle")
    )
    return (
        f"<form method='post' action='/sites/{site_id}/runs' class='inline'>"
        f"<label>scenario<select name='scenario_id'>{options}</select></label>"
        "<label>first day<input name='start' type='date' value='2025-07-01'></label>"
        "<label>day after the last<input name='end' type='date' value='2025-07-08'></label>"
        f"{checks}<button type='submit'>Start a run</button></form>"
        "<p class='muted'>always-on and the oracle run too (capture needs both).</p>"
    )


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(site_id: int, request: Request, key: KeyCookie = None) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if not who.reads_everything or not _valid_id(site_id):
        return _not_found(who, f"no site {site_id}")
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
    form = _run_form(site_id, scenarios) if who.role in WRITERS and scenarios else ""
    body = (
        f"<h1>{escape(site.name)}</h1><p class='muted'>{escape(site.description)}</p>"
        f"<div class='panel'><h2>Latest run</h2>{run_html}</div>"
        "<div class='grid'><div class='panel'><h2>Scenarios</h2>"
        f"{render.table(['scenario', 'id'], scenario_rows)}"
        f"{form}</div><div class='panel'><h2>Runs</h2><p>{run_links or '—'}</p><h2>Plans</h2>"
        f"<p>{plan_links or '—'}</p></div></div>"
    )
    return _html(render.page(site.name, body, who=_label(who)))


@router.post("/sites/{site_id}/runs", response_class=HTMLResponse)
async def start_site_run(site_id: int, request: Request, key: KeyCookie = None) -> Response:
    who = _who(request, key)
    if who is None:
        return _login_redirect()
    if who.role not in WRITERS or not _valid_id(site_id):
        return _not_found(who, "you may not start runs here")
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=20)
    try:
        scenario_id = int((form.get("scenario_id") or ["0"])[0])
        start = date.fromisoformat((form.get("start") or [""])[0])
        end = date.fromisoformat((form.get("end") or [""])[0])
    except ValueError:
        return _html(
            render.page(
                "Bad request",
                "<h1>Bad request</h1><p>scenario, start and end are needed (dates as YYYY-MM-DD).</p>",
                who=_label(who),
            ),
            422,
        )
    policies = [p for p in form.get("policy", []) if p in POLICY_NAMES] or ["mpc"]
    store = store_of(request)
    settings = request.app.state.settings
    with store.read() as session:
        scenario = session.get(ScenarioRow, scenario_id) if _valid_id(scenario_id) else None
        if scenario is None or scenario.site_id != site_id:
            return _not_found(who, f"no scenario {scenario_id} on site {site_id}")
        plain = dict(scenario.plain)
    try:
        run_scenario(codec.scenario_from_json(plain), start, end, None, settings.max_run_days)
    except InputError as err:
        return _html(
            render.page("Bad request", f"<h1>Bad request</h1><p>{escape(str(err))}</p>", who=_label(who)), 422
        )
    config: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat(), "step_s": None}
    with store.write() as session:
        run_id = repo.create_run(session, scenario_id, policies, config).id
    request.app.state.worker.submit(run_id)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


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
