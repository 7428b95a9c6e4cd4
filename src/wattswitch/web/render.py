"""HTML of the dashboard pages: a shared frame, tables, cards and the charts (inline SVG from
``report.svg``; no scripts, no external files). Each function takes plain data from the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from wattswitch import __version__
from wattswitch.report import svg
from wattswitch.report.simulation_report import AI_COLORS, STREAM_COLORS, STREAM_LABELS, USE_LABELS
from wattswitch.sim.ledger import ENERGY_USES, REVENUE_STREAMS

STYLE = """
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;
color:#0f172a;background:#f8fafc;line-height:1.4;font-size:14px}header{background:#0f172a;color:#e2e8f0;
padding:.55rem 1.2rem;display:flex;gap:1.2rem;align-items:center}header a{color:#e2e8f0;text-decoration:none}
header b{font-size:1.05rem}
header .who{margin-left:auto;color:#94a3b8}main{max-width:1240px;margin:0 auto;padding:.8rem 1.2rem}
h1{font-size:1.35rem;margin:.3rem 0 .2rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:.8rem}
.panel{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:.6rem .8rem;overflow:hidden}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border-bottom:1px solid #e2e8f0;
padding:.25rem .45rem;text-align:left}td.n,th.n{text-align:right;white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:.5rem 0}.card{background:#fff;border:1px solid #e2e8f0;
border-radius:6px;padding:.4rem .8rem;min-width:140px}.card b{display:block;font-size:1.1rem}
.muted{color:#64748b;font-size:.82rem}.bad{color:#b91c1c}.ok{color:#047857}svg{max-width:100%;height:auto}
.bar{background:#e2e8f0;border-radius:4px;height:14px;width:320px}.bar span{display:block;height:14px;
border-radius:4px;background:#2563eb}nav.tabs a{margin-right:.8rem}form.inline{display:flex;gap:.5rem;
align-items:end;flex-wrap:wrap}label{display:flex;flex-direction:column;font-size:.8rem;color:#475569}
input,select,button{font:inherit;padding:.25rem .4rem}button{background:#2563eb;color:#fff;border:0;
border-radius:4px;padding:.35rem .8rem;cursor:pointer}
.panel.alerting{border:2px solid #dc2626;background:#fef2f2}.panel.alerting h2{color:#b91c1c;margin-top:.2rem}
form.row{display:inline;margin:0}form.row button{padding:.1rem .5rem;font-size:.8rem;background:#64748b}
"""


def page(title: str, body: str, *, who: str = "", refresh_s: int | None = None) -> str:
    """A whole page: header with navigation, then ``body``."""
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    nav = '<a href="/">Overview</a>' if who else ""
    logout = f'<span class="who">{escape(who)} · <a href="/logout">log out</a></span>' if who else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"{refresh}<title>{escape(title)} · wattswitch</title><style>{STYLE}</style></head><body>"
        f"<header><b>wattswitch</b>{nav}{logout}</header><main>{body}"
        f"<p class='muted'>wattswitch {escape(__version__)}</p></main></body></html>"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    """An HTML table; cells are already-escaped HTML; columns from ``numeric_from`` align right."""

    def cls(i: int) -> str:
        return ' class="n"' if i >= numeric_from else ""

    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def cards(items: Sequence[tuple[str, str]]) -> str:
    """A row of labelled figures."""
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><span class="muted">{escape(k)}</span><b>{escape(v)}</b></div>'
            for k, v in items
        )
        + "</div>"
    )


def money(value: float | None) -> str:
    """$1.23M style, or a dash."""
    return "—" if value is None else svg.usd(value)


def fraction(value: float | None, digits: int = 3) -> str:
    """0.835 style, or a dash."""
    return "—" if value is None else f"{value:.{digits}f}"


def link(href: str, text: str) -> str:
    """An anchor with escaped text."""
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def _values(series: dict[str, dict[str, Any]], name: str) -> list[float]:
    found = series.get(name)
    if found is None:
        return []
    return [float("nan") if v is None else float(v) for v in found["values"]]


def _date_axis(start: datetime, days: float) -> svg.ValueFormat:
    if days <= 10:
        return lambda d: f"{start + timedelta(days=d):%a %d %b}"
    return lambda d: f"{start + timedelta(days=d):%d %b}"


def power_chart(
    policy: str, mine: dict[str, dict[str, Any]], inputs: dict[str, dict[str, Any]], width: int = 1180
) -> str:
    """A policy's hourly power by use (stacked), the real-time price (right axis) and the cap."""
    site = mine.get("site_mw")
    if site is None:
        return "<p class='muted'>No series stored for this policy.</p>"
    step_days = int(site["step_s"]) / 86400
    count = len(site["values"])
    x = [i * step_days for i in range(count)]
    layers = {USE_LABELS[u]: _values(mine, f"{u}_mw") for u in ENERGY_USES}
    colors = ["#f59e0b", *(AI_COLORS[u] for u in ENERGY_USES[1:])]
    price = _values(inputs, "rt_price_usd_per_mwh") or [float("nan")] * count
    start = datetime.fromisoformat(str(site["start_utc"]))
    return svg.area_with_line(
        x,
        layers,
        price[:count],
        line_name="real-time price $/MWh",
        reference=_values(mine, "power_cap_mw"),
        reference_name="site limit / DR cap",
        colors=colors,
        title=f"'{policy}': hourly power split (MW) against the real-time price",
        y_label="MW",
        line_label="$/MWh",
        line_format=lambda v: f"${v:,.0f}",
        x_format=_date_axis(start, count * step_days),
        width=width,
        height=360,
    )


def revenue_chart(policies: dict[str, dict[str, Any]], width: int = 580) -> str:
    """Revenue by stream of each policy, energy cost below zero."""
    names = list(policies)
    layers = {STREAM_LABELS[s]: [policies[n]["revenue_usd"][s] for n in names] for s in REVENUE_STREAMS}
    layers["energy cost"] = [-policies[n]["cost_usd"]["energy"] for n in names]
    colors = [*STREAM_COLORS, "#64748b"]
    return svg.stacked_bars(
        names,
        layers,
        colors=colors,
        title="Revenue by stream and energy cost",
        y_label="USD",
        value_format=svg.usd,
        width=width,
        height=360,
    )


def capture_chart(policies: dict[str, dict[str, Any]], width: int = 580) -> str:
    """Capture of each policy (always-on 0, oracle 1)."""
    names = [n for n in policies if policies[n]["capture"] is not None]
    return svg.bar_chart(
        names,
        [policies[n]["capture"] for n in names],
        title="Capture: (profit − always-on) / (oracle − always-on)",
        value_format=lambda v: f"{v:.2f}",
        width=width,
        height=360,
    )


def cumulative_profit_chart(profits: dict[str, dict[str, Any]], width: int = 1180) -> str:
    """Cumulative hourly profit of each policy."""
    curves: dict[str, list[float]] = {}
    x: list[float] = []
    start = datetime.now(UTC)
    for policy, series in profits.items():
        total, points = 0.0, []
        for v in series["values"]:
            total += 0.0 if v is None else float(v)
            points.append(total)
        curves[policy] = points
        step_days = int(series["step_s"]) / 86400
        x = [i * step_days for i in range(len(points))]
        start = datetime.fromisoformat(str(series["start_utc"]))
    if not curves:
        return ""
    return svg.line_chart(
        x,
        curves,
        title="Cumulative profit by policy",
        y_label="USD",
        value_format=svg.usd,
        x_format=_date_axis(start, x[-1] if x else 1.0),
        width=width,
        height=320,
    )


def plan_cash_chart(result: dict[str, Any], width: int = 1180) -> str:
    """The recommended strategy's annual cash flows by component, stacked."""
    strategy = next(
        (s for s in result["strategies"] if s["strategy"] == result["recommended"]), result["strategies"][0]
    )
    annual = strategy["annual_usd"]
    years = [f"Y{i + 1}" for i in range(len(annual["net_cash"]))]
    layers = {
        "mining revenue": annual["mining_revenue"],
        "AI revenue": annual["ai_revenue"],
        "power": [-v for v in annual["power"]],
        "opex": [-v for v in annual["opex"]],
        "capex": [-v for v in annual["capex"]],
    }
    colors = ["#f59e0b", "#1d4ed8", "#64748b", "#94a3b8", "#ef4444"]
    return svg.stacked_bars(
        years,
        layers,
        colors=colors,
        title=f"'{strategy['strategy']}': annual cash flows (bar top: net cash)",
        y_label="USD",
        value_format=svg.usd,
        width=width,
        height=360,
    )


def plan_cumulative_chart(result: dict[str, Any], width: int = 1180) -> str:
    """Cumulative net cash of every strategy by year."""
    curves: dict[str, list[float]] = {}
    for s in result["strategies"]:
        total, points = 0.0, []
        for v in s["annual_usd"]["net_cash"]:
            total += v
            points.append(total)
        curves[s["strategy"]] = points
    length = max((len(v) for v in curves.values()), default=0)
    x = [float(i + 1) for i in range(length)]
    curves = {k: v + [v[-1]] * (length - len(v)) for k, v in curves.items() if v}
    return svg.line_chart(
        x,
        curves,
        title="Cumulative net cash by strategy",
        x_label="year",
        y_label="USD",
        value_format=svg.usd,
        x_format=lambda v: f"{v:g}",
        width=width,
        height=320,
    )


def usage_chart(days: list[dict[str, Any]], width: int = 1180) -> str:
    """Metered GPU-hours per day."""
    if not days:
        return "<p class='muted'>No GPU-hours metered yet.</p>"
    shown = days[-31:]
    labels = [str(d["day"])[5:] for d in shown]
    return svg.bar_chart(
        labels,
        [float(d["gpu_hours"]) for d in shown],
        title="GPU-hours by day",
        y_label="GPU-hours",
        width=width,
        height=300,
    )


def when(value: datetime | None) -> str:
    """A UTC instant as '05 Aug 14:05:00', or a dash."""
    return "—" if value is None else f"{value.astimezone(UTC):%d %b %H:%M:%S}"


def duration(seconds: float | None) -> str:
    """42 s, 3 min 05 s, 2 h 10 min, 3 d 4 h; a dash when unknown."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    sign, whole = ("−", -whole) if whole < 0 else ("", whole)
    if whole < 60:
        return f"{sign}{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{sign}{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{sign}{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{sign}{days} d {hours} h"


def _clock_axis(start: datetime, hours: float) -> svg.ValueFormat:
    if hours <= 1:
        return lambda h: f"{start + timedelta(hours=h):%H:%M:%S}"
    if hours <= 24:
        return lambda h: f"{start + timedelta(hours=h):%H:%M}"
    return lambda h: f"{start + timedelta(hours=h):%d %b %H:%M}"


def control_chart(
    times: Sequence[datetime],
    measured_mw: Sequence[float | None],
    cap_mw: Sequence[float | None],
    price: Sequence[float | None],
    width: int = 1180,
) -> str:
    """Measured site MW after each decision (area) against the cap it planned under (dashed) and
    the price it decided on (right axis), oldest first; each value holds until the next decision."""
    if len(times) < 2:
        return "<p class='muted'>The chart of measured MW against the cap needs two applied decisions.</p>"
    start = times[0]
    hours = [(t - start).total_seconds() / 3600 for t in times]
    x: list[float] = []
    steps: list[int] = []
    for i, h in enumerate(hours):  # a step per decision: its value until the next one
        x.append(h)
        steps.append(i)
        if i + 1 < len(hours):
            x.append(hours[i + 1])
            steps.append(i)

    def held(values: Sequence[float | None]) -> list[float]:
        out: list[float] = []
        for i in steps:
            value = values[i]
            out.append(float("nan") if value is None else float(value))
        return out

    return svg.area_with_line(
        x,
        {"measured MW after the decision": held(measured_mw)},
        held(price),
        line_name="price $/MWh",
        reference=held(cap_mw),
        reference_name="cap MW (site limit / grid event)",
        colors=["#2563eb"],
        title=f"Measured MW against the cap over the last {len(times)} applied decisions (UTC)",
        y_label="MW",
        line_label="$/MWh",
        line_format=lambda v: f"${v:,.0f}",
        x_format=_clock_axis(start, hours[-1]),
        width=width,
        height=300,
    )
