"""Self-contained HTML report of a simulation or comparison (inline SVG, no scripts).

The page holds: the run's header (scenario, site, horizon, step), a summary table with one
column per policy, the week with the largest real-time price spike (price against the focus
policy's stacked power split and the site limit, at native resolution), the focus policy's
monthly revenue by stream, every policy's cumulative profit (downsampled for drawing), and the
notes on the inputs (data gaps, bridged prices, ...). It opens offline and can be mailed as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

import numpy as np

from wattswitch import __version__
from wattswitch.errors import ModelError
from wattswitch.metrics.ai_outcomes import AI_CLASSES, ai_outcome_rows, bounds_without_jobs, has_ai
from wattswitch.model.scenario import Scenario
from wattswitch.report import svg
from wattswitch.sim.ledger import ENERGY_USES, REVENUE_STREAMS, Ledger
from wattswitch.sim.runner import Comparison

_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;
color:#0f172a;padding:0 1rem;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #e2e8f0;padding-bottom:.3rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem;width:100%}
th,td{border-bottom:1px solid #e2e8f0;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}th.focus,td.focus{background:#eff6ff}
tr.sub td:first-child{padding-left:1.4rem;color:#475569}.muted{color:#64748b;font-size:.85rem}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:.8rem 0}.card{background:#f8fafc;border:1px solid #e2e8f0;
border-radius:6px;padding:.6rem .9rem;min-width:150px}.card b{display:block;font-size:1.2rem}
.bad{color:#b91c1c;font-weight:600}svg{max-width:100%;height:auto}
"""

POLICY_TEXT = {
    "always-on": "everything runs whatever the price (the baseline)",
    "threshold": "curtails ASICs, least efficient first, when the last price exceeds each model's breakeven",
    "mpc": "re-plans a 12-hour window with HiGHS on honest forecasts (day-ahead, recent real-time, 4CP risk)",
    "oracle": "one LP over the whole horizon with perfect information (the upper bound)",
}
STREAM_LABELS = {
    "mining": "mining",
    "reserved": "AI reserved",
    "inference": "AI inference",
    "training": "AI training",
    "ancillary": "ancillary (Non-Spin)",
    "demand_response": "demand response",
}
USE_LABELS = {
    "mining": "mining",
    "ai_reserved": "AI reserved",
    "ai_inference": "AI inference",
    "ai_training": "AI training",
    "ai_idle": "AI idle",
}
MINING_COLORS = ("#f59e0b", "#b45309", "#fde68a", "#ea580c", "#fcd34d", "#78350f")
AI_COLORS = {
    "ai_reserved": "#1d4ed8", "ai_inference": "#8b5cf6", "ai_training": "#10b981", "ai_idle": "#94a3b8"
}
STREAM_COLORS = ("#f59e0b", "#1d4ed8", "#8b5cf6", "#10b981", "#64748b", "#ec4899")
CLASS_COLORS = {"reserved": "#1d4ed8", "inference": "#8b5cf6", "training": "#10b981"}
CLASS_LABELS = {"reserved": "AI reserved", "inference": "AI inference", "training": "AI training + idle GPUs"}
MINING_COLOR = "#f59e0b"
CAP_BINDING_MW = 0.05  # a site drawing within this of the cap in force is held by the cap
ZOOM_AI_MULTIPLE = 1.5  # the zoomed chart shows the top 1.5 × the week's peak AI MW of the site
MAX_LINE_POINTS = 750
BUCKETS_H = (1, 3, 6, 12, 24, 24 * 7)
WEEK_DAYS = 7


def interval_profit_usd(ledger: Ledger) -> np.ndarray:
    """Profit of each interval: revenue − energy cost − 4CP charge, SLA credits booked at month end.

    Sums to ``ledger.totals["profit_usd"]`` (the test checks it), so cumulative curves end on the
    table's figures.
    """
    revenue = np.sum([ledger.revenue_usd[s] for s in REVENUE_STREAMS], axis=0)
    profit = revenue - ledger.energy_cost_usd - ledger.schedule.four_cp_usd_per_mw * ledger.site_mw
    sla = ledger.site.reserved_sla
    if sla is not None and len(profit):
        month = ledger.inputs.local_month
        starts = np.concatenate(([0], np.flatnonzero(np.diff(month) != 0) + 1))
        stops = np.concatenate((starts[1:], [len(month)]))
        bill = ledger.revenue_usd["reserved"]
        for a, b in zip(starts, stops, strict=True):
            credit = sla.credit_fraction(float(ledger.reserved_served[a:b].mean())) * float(bill[a:b].sum())
            profit[b - 1] -= credit
    return np.asarray(profit)


@dataclass(frozen=True)
class ChosenWeek:
    """The window drawn at native resolution and why it was chosen."""

    start: int
    stop: int
    spike: int
    spike_usd_per_mwh: float


def choose_week(price_usd_per_mwh: np.ndarray, local_hour: np.ndarray, step_s: int) -> ChosenWeek:
    """Seven local days around the highest real-time price (the whole run when shorter).

    The window starts at a local midnight three days before the spike's day where possible and
    is shifted to stay inside the run.
    """
    periods = len(price_usd_per_mwh)
    spike = int(np.argmax(price_usd_per_mwh))
    per_day = 86400 // step_s
    length = WEEK_DAYS * per_day
    if periods <= length:
        return ChosenWeek(0, periods, spike, float(price_usd_per_mwh[spike]))
    midnights = np.flatnonzero(np.isclose(local_hour, 0.0))
    wanted = spike - 3 * per_day
    before = midnights[midnights <= max(wanted, 0)]
    start = int(before[-1]) if len(before) else max(wanted, 0)
    start = min(max(start, 0), periods - length)
    return ChosenWeek(start, start + length, spike, float(price_usd_per_mwh[spike]))


@dataclass(frozen=True)
class CoupledWeek:
    """The week drawn for a coupled run, its cap-binding intervals and its AI swing."""

    start: int
    stop: int
    binding_intervals: int
    ai_swing_mw: float
    by_binding: bool  # chosen for its cap-binding intervals (else for its AI swing: the cap never bound)


def choose_coupled_week(
    binding: np.ndarray, ai_mw: np.ndarray, local_hour: np.ndarray, step_s: int
) -> CoupledWeek:
    """Seven local days, from a local midnight, with the most cap-binding intervals; ties, and runs where
    the cap never binds, go to the largest AI swing (highest − lowest AI MW). The whole run when shorter."""
    periods = len(ai_mw)
    length = WEEK_DAYS * 86400 // step_s
    if periods <= length:
        candidates = [0]
        length = periods
    else:
        midnights = np.flatnonzero(np.isclose(local_hour, 0.0))
        candidates = [int(m) for m in midnights if m + length <= periods] or [0]
    counts = np.concatenate(([0], np.cumsum(binding.astype(int))))

    def score(start: int) -> tuple[int, float]:
        window = ai_mw[start:start + length]
        swing = float(window.max() - window.min()) if len(window) else 0.0
        return int(counts[start + length] - counts[start]), swing

    best = max(candidates, key=score)
    bound, swing = score(best)
    return CoupledWeek(best, best + length, bound, swing, by_binding=bound > 0)


def _table(headers: Sequence[str], rows: Iterable[tuple[str, Sequence[str]]], focus_col: int | None) -> str:
    def cls(i: int) -> str:
        return ("n" if i else "") + (" focus" if focus_col is not None and i == focus_col else "")

    head = "".join(f'<th class="{cls(i)}">{escape(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        f'<tr class="{row_cls}">'
        + "".join(f'<td class="{cls(i)}">{c}</td>' for i, c in enumerate(cells))
        + "</tr>"
        for row_cls, cells in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _money(value: float) -> str:
    return ("−$" if value < 0 else "$") + f"{abs(value):,.0f}"


class _Clock:
    """Interval index ↔ local time of the run."""

    def __init__(self, scenario: Scenario, ledger: Ledger) -> None:
        self.zone = ZoneInfo(scenario.site.timezone)
        self.start_utc = ledger.start_utc
        self.step_s = ledger.site.step_s

    def local(self, t: float) -> datetime:
        return (self.start_utc + timedelta(seconds=t * self.step_s)).astimezone(self.zone)


def _header(scenario: Scenario, comparison: Comparison, focus: str, clock: _Clock) -> str:
    ledger = comparison.ledgers[focus]
    periods = len(ledger.site_mw)
    first, last = clock.local(0), clock.local(periods)
    site = scenario.site
    capture = comparison.capture.get(focus)
    totals = ledger.totals
    ai = sum(totals[f"revenue_{s}_usd"] for s in ("reserved", "inference", "training"))
    cards = [
        ("Profit", svg.usd(totals["profit_usd"])),
        ("Capture vs oracle", "—" if capture is None else f"{capture:.3f}"),
        ("Mining revenue", svg.usd(totals["revenue_mining_usd"])),
        ("AI revenue", svg.usd(ai)),
        ("Energy cost", svg.usd(totals["cost_energy_usd"])),
        ("4CP charge", svg.usd(totals["cost_four_cp_usd"])),
        ("Curtailed fleet-hours", f"{totals['curtailed_fleet_hours']:,.0f}"),
    ]
    card_html = '<div class="cards">' + "".join(
        f'<div class="card"><span class="muted">{escape(k)}</span><b>{escape(v)}</b></div>' for k, v in cards
    ) + "</div>"
    return (
        f"<h1>Simulation: {escape(scenario.name)}</h1>"
        f"<p class='muted'>wattswitch {escape(__version__)} · focus policy <b>{escape(focus)}</b></p>"
        f"<p><b>{escape(site.name)}</b> on {escape(site.market)} {escape(site.hub)} "
        f"({site.interconnect_limit_mw:,.0f} MW interconnect, {escape(site.timezone)}). Horizon "
        f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} local, {periods:,} intervals of "
        f"{ledger.site.step_s // 60} min.</p>"
        f"<p class='muted'>{escape(scenario.description)}</p>" + card_html
    )


def _summary(comparison: Comparison, focus: str) -> str:
    names = list(comparison.ledgers)
    focus_col = names.index(focus) + 1
    totals = {n: comparison.ledgers[n].totals for n in names}

    def row(label: str, key: str, fmt: str = "money", sub: bool = False) -> tuple[str, list[str]]:
        cells = []
        for n in names:
            value = totals[n][key]
            if fmt == "money":
                cells.append(_money(value))
            elif fmt == "mwh":
                cells.append(f"{value:,.0f}")
            elif fmt == "hours":
                cells.append(f"{value:,.1f}")
            else:
                text = f"{int(value):,}"
                bad = fmt == "violations" and value != 0
                cells.append(f'<span class="bad">{text}</span>' if bad else text)
        return ("sub" if sub else "", [escape(label), *cells])

    capture_row = ("", ["<b>capture</b>", *("—" if comparison.capture.get(n) is None
                                             else f"{comparison.capture[n]:.3f}" for n in names)])
    profit = row("profit", "profit_usd")
    profit = (profit[0], [f"<b>{c}</b>" for c in profit[1]])
    rows = [
        profit,
        capture_row,
        row("revenue", "revenue_usd"),
        *(row(STREAM_LABELS[s], f"revenue_{s}_usd", sub=True) for s in REVENUE_STREAMS),
        row("costs", "cost_usd"),
        row("energy", "cost_energy_usd", sub=True),
        row("4CP transmission", "cost_four_cp_usd", sub=True),
        row("SLA credits", "cost_sla_credits_usd", sub=True),
        row("site energy (MWh)", "energy_site_mwh", "mwh"),
        *(row(f"{USE_LABELS[u]} (MWh)", f"energy_{u}_mwh", "mwh", sub=True) for u in ENERGY_USES),
        row("curtailed fleet-hours", "curtailed_fleet_hours", "hours"),
        row("peak site MW", "peak_site_mw", "hours"),
        row("intervals clipped by the simulator", "clipped_intervals", "count"),
        row("power-limit violations", "power_limit_violations", "violations"),
    ]
    described = "".join(
        f"<li><b>{escape(n)}</b>: {escape(POLICY_TEXT[n])}</li>" for n in names if n in POLICY_TEXT
    )
    return (
        "<section><h2>Summary by policy</h2>"
        + _table(["", *names], rows, focus_col)
        + "<p class='muted'>capture = (profit − always-on) / (oracle − always-on). Curtailed fleet-hours: "
          "hours of the whole ASIC fleet's nameplate not drawn. Violations must stay 0.</p>"
        + f"<ul class='muted'>{described}</ul></section>"
    )


def _week(ledger: Ledger, focus: str, clock: _Clock) -> str:
    inputs, site = ledger.inputs, ledger.site
    price = inputs.rt_price_usd_per_mwh
    week = choose_week(price, inputs.local_hour, site.step_s)
    span = slice(week.start, week.stop)
    x = list((np.arange(week.start, week.stop) - week.start) * site.step_s / 86400.0)
    layers: dict[str, list[float]] = {}
    for g, name in enumerate(site.asic_names):
        layers[f"mining {name}"] = list(ledger.asic_mw[g, span])
    for use in ENERGY_USES[1:]:
        layers[USE_LABELS[use]] = list(ledger.energy_use_mw[use][span])
    colors = [MINING_COLORS[g % len(MINING_COLORS)] for g in range(site.asic_count)]
    colors += [AI_COLORS[u] for u in ENERGY_USES[1:]]
    first = clock.local(week.start)
    cap = ledger.schedule.power_cap_mw[span]
    limit_name = "site limit" if np.all(cap == site.interconnect_limit_mw) else "site limit / DR cap"
    chart = svg.area_with_line(
        x, layers, list(price[span]), line_name="real-time price", reference=list(cap),
        reference_name=limit_name, colors=colors,
        title=f"'{focus}': power split against the real-time price",
        y_label="MW", line_label="$/MWh", line_format=lambda v: f"${v:,.0f}",
        x_format=lambda d: f"{first + timedelta(days=d):%a %d %b}",
    )
    spike_at = clock.local(week.spike)
    full_week = week.stop - week.start == WEEK_DAYS * 86400 // site.step_s
    curtailed = float(
        ((site.asic_power_mw.sum() - ledger.asic_mw[:, span].sum(axis=0)) * site.step_h).sum()
    )
    why = (
        f"It holds the run's highest real-time price: <b>${week.spike_usd_per_mwh:,.0f}/MWh</b> at "
        f"{spike_at:%H:%M %a %d %b %Y} local (the week's mean ${float(price[span].mean()):,.0f}/MWh, "
        f"the run's ${float(price.mean()):,.0f}/MWh), where curtailing pays most."
    )
    last = clock.local(week.stop)
    shown = "the week" if full_week else "the whole run (shorter than a week)"
    return (
        "<section><h2>The week with the largest price spike</h2>"
        f"<p>Shown: {shown}, {first:%a %d %b %Y %H:%M} to {last:%a %d %b %Y %H:%M} local, at the "
        f"run's {site.step_s // 60}-minute resolution. {why} In it '{escape(focus)}' left "
        f"{curtailed:,.0f} MWh of ASIC nameplate undrawn.</p>" + chart + "</section>"
    )


def _coupled_week(ledger: Ledger, focus: str, clock: _Clock) -> str:
    """The week of AI by class and mining under the cap, with the price, for a coupled run."""
    inputs, site = ledger.inputs, ledger.site
    series = ledger.ai_series_mw
    ai_mw = np.sum([series[c] for c in AI_CLASSES], axis=0)
    cap = ledger.schedule.power_cap_mw
    binding = ledger.site_mw >= cap - CAP_BINDING_MW
    week = choose_coupled_week(binding, ai_mw, inputs.local_hour, site.step_s)
    span = slice(week.start, week.stop)
    x = list((np.arange(week.start, week.stop) - week.start) * site.step_s / 86400.0)
    first, last = clock.local(week.start), clock.local(week.stop)
    mining_mw = list(ledger.energy_use_mw["mining"][span])
    price = list(inputs.rt_price_usd_per_mwh[span])
    layers = {CLASS_LABELS[c]: list(series[c][span]) for c in AI_CLASSES}
    colors = [CLASS_COLORS[c] for c in AI_CLASSES]

    def day(d: float) -> str:
        return f"{first + timedelta(days=d):%a %d %b}"

    def dollars(v: float) -> str:
        return f"${v:,.0f}"

    whole = svg.area_with_line(
        x, {**layers, "mining": mining_mw}, price, line_name="real-time price", reference=list(cap[span]),
        reference_name="cap in force", colors=[*colors, MINING_COLOR],
        title=f"'{focus}': facility MW of AI by class and mining", y_label="MW", line_label="$/MWh",
        line_format=dollars, x_format=day,
    )
    floor_mw = max(0.0, float(cap[span].max()) - ZOOM_AI_MULTIPLE * float(ai_mw[span].max()))
    zoom = svg.area_with_line(
        x, {"mining": mining_mw, **layers}, price, line_name="real-time price", reference=list(cap[span]),
        reference_name="cap in force", colors=[MINING_COLOR, *colors],
        title=f"'{focus}': the top of the site, mining drawn below AI", y_label="MW", line_label="$/MWh",
        line_format=dollars, x_format=day, height=320, y_floor=floor_mw,
    )
    full_week = week.stop - week.start == WEEK_DAYS * 86400 // site.step_s
    shown = "the week" if full_week else "the whole run (shorter than a week)"
    why = (f"Chosen for the most cap-binding intervals: {week.binding_intervals:,} of "
           f"{week.stop - week.start:,} draw within {CAP_BINDING_MW} MW of the cap in force"
           if week.by_binding else "Chosen for the largest AI swing, as the cap never binds in this run")
    dips, filled = series.get("checkpoint_dips"), series.get("dip_filled_by_mining")
    dip_text = ""
    if dips is not None and filled is not None:
        dip_mwh = float(dips[span].sum() * site.step_h)
        filled_mwh = float(filled[span].sum() * site.step_h)
        share = f" ({filled_mwh / dip_mwh:.0%})" if dip_mwh > 0 else ""
        dip_text = (f" Checkpoint writes and restarts left {dip_mwh:,.1f} MWh of training draw unused; "
                    f"mining took {filled_mwh:,.1f} MWh of it{share}.")
    return (
        "<section id='coupled-week'><h2>AI by class and mining under the cap</h2>"
        f"<p>Shown: {shown}, {first:%a %d %b %Y %H:%M} to {last:%a %d %b %Y %H:%M} local, at the run's "
        f"{site.step_s // 60}-minute resolution. {escape(why)} (the AI draw swings by "
        f"{week.ai_swing_mw:,.2f} MW in it). Mining takes what AI leaves under the cap unless the price "
        f"makes it curtail.{escape(dip_text)}</p>" + whole
        + f"<p class='muted'>Below, the top of the same site (from {floor_mw:,.0f} MW) with mining drawn "
          "first: where inference's nightly trough or a training checkpoint lowers the AI draw, mining rises "
          "into the room it leaves; where the price spikes, mining drops out and the site falls below the "
          "cap.</p>" + zoom + "</section>"
    )


def _ai_outcomes(comparison: Comparison, focus: str) -> str:
    """Per-class AI outcomes of every policy (coupled runs)."""
    names = list(comparison.ledgers)
    outcomes = {n: comparison.ledgers[n].ai_outcome for n in names}
    rows: list[tuple[str, list[str]]] = []
    previous = ""
    for row in ai_outcome_rows(outcomes):
        if row.group != previous:
            rows.append(("", [f"<b>{escape(row.group)}</b>", *("" for _ in names)]))
            previous = row.group
        rows.append(("sub", [escape(row.label), *(escape(c) for c in row.cells)]))
    bounds = bounds_without_jobs(outcomes)
    bound_text = (f" {escape(', '.join(bounds))}: a relaxation bound on this site that schedules no job "
                  "one by one (— where it has no figure)." if bounds else "")
    return (
        "<section id='ai-outcomes'><h2>AI outcomes by class</h2>"
        + _table(["", *names], rows, names.index(focus) + 1)
        + "<p class='muted'>JCT: job completion time (submit to finish) of completed jobs. Checkpoint dips: "
          "MWh training did not draw while writing or restoring a checkpoint, and the share mining took."
        + bound_text + "</p></section>"
    )


def _month_keys(ledger: Ledger, clock: _Clock) -> tuple[np.ndarray, list[str]]:
    """Run-length month index per interval and one label per local month."""
    month = ledger.inputs.local_month
    starts = np.concatenate(([0], np.flatnonzero(np.diff(month) != 0) + 1)) if len(month) else np.zeros(0)
    index = np.cumsum(np.isin(np.arange(len(month)), starts)) - 1
    years = {clock.local(int(s)).year for s in starts}
    fmt = "%b" if len(years) == 1 else "%b %y"
    return index, [f"{clock.local(int(s)):{fmt}}" for s in starts]


def _monthly(ledger: Ledger, focus: str, clock: _Clock) -> str:
    index, labels = _month_keys(ledger, clock)
    layers = {}
    for stream in REVENUE_STREAMS:
        sums = np.bincount(index, weights=ledger.revenue_usd[stream], minlength=len(labels))
        if np.any(sums):
            layers[STREAM_LABELS[stream]] = list(sums)
    colors = [STREAM_COLORS[REVENUE_STREAMS.index(s)] for s in REVENUE_STREAMS
              if STREAM_LABELS[s] in layers]
    chart = svg.stacked_bars(labels, layers, colors=colors, value_format=svg.usd, y_label="USD",
                             title=f"'{focus}': revenue by stream and local month")
    energy = np.bincount(index, weights=ledger.energy_cost_usd, minlength=len(labels))
    rows = [("", [escape(label), *(_money(layers[k][i]) for k in layers), _money(float(energy[i]))])
            for i, label in enumerate(labels)]
    table = _table(["month", *layers, "energy cost"], rows, None)
    return ("<section><h2>Monthly revenue by stream</h2>"
            "<p class='muted'>Partial months at the run's edges hold only their simulated days.</p>"
            + chart + table + "</section>")


def bucket_intervals(periods: int, step_s: int) -> int:
    """Intervals per drawn point: the smallest of 1 h, 3 h, 6 h, 12 h, 1 d, 1 w keeping ≤ 750 points."""
    per_hour = max(1, 3600 // step_s)
    for hours in BUCKETS_H:
        if periods / (hours * per_hour) <= MAX_LINE_POINTS:
            return hours * per_hour
    return BUCKETS_H[-1] * per_hour


def _cumulative(comparison: Comparison, clock: _Clock) -> str:
    first = next(iter(comparison.ledgers.values()))
    periods, step_s = len(first.site_mw), first.site.step_s
    bucket = bucket_intervals(periods, step_s)
    ends = np.unique(np.minimum(np.arange(bucket, periods + bucket, bucket), periods)) - 1
    x = [0.0, *((ends + 1) * step_s / 86400.0)]
    series = {}
    for name, ledger in comparison.ledgers.items():
        cumulative = np.cumsum(interval_profit_usd(ledger))
        series[name] = [0.0, *cumulative[ends]]
    start = clock.local(0)
    chart = svg.line_chart(x, series, title="Cumulative profit of each policy", value_format=svg.usd,
                           x_format=lambda d: f"{start + timedelta(days=d):%d %b}", y_label="USD",
                           width=900, height=360)
    hours = bucket * step_s / 3600
    every = f"{hours:g} h" if hours < 24 else f"{hours / 24:g} d"
    return ("<section><h2>Cumulative profit</h2>"
            f"<p class='muted'>Drawn every {every} (the lines end on the table's profits); the 4CP charge "
            "falls on the system-peak intervals, SLA credits at each month's end.</p>" + chart + "</section>")


def _notes(notes: Sequence[str], ledger: Ledger, clock: _Clock) -> str:
    items = list(notes)
    peaks = ledger.schedule.four_cp_peaks
    if peaks:
        items.append("4CP system peaks used: " + ", ".join(f"{clock.local(p):%d %b %H:%M}" for p in peaks))
    body = "".join(f"<li>{escape(n)}</li>" for n in items) or "<li>none</li>"
    return f"<section><h2>Notes on the inputs</h2><ul>{body}</ul></section>"


def render_simulation_report(
    scenario: Scenario, comparison: Comparison, focus: str, notes: Sequence[str] = ()
) -> str:
    """The report's HTML text."""
    if focus not in comparison.ledgers:
        known = ", ".join(comparison.ledgers)
        raise ModelError(f"report focus {focus!r} is not among the policies run ({known})")
    ledger = comparison.ledgers[focus]
    clock = _Clock(scenario, ledger)
    title = f"wattswitch simulation: {scenario.name} ({focus})"
    outcomes = {n: comparison.ledgers[n].ai_outcome for n in comparison.ledgers}
    coupled = has_ai(outcomes) and all(c in ledger.ai_series_mw for c in AI_CLASSES)
    body = (
        _header(scenario, comparison, focus, clock)
        + _summary(comparison, focus)
        + _week(ledger, focus, clock)
        + (_coupled_week(ledger, focus, clock) + _ai_outcomes(comparison, focus) if coupled else "")
        + _monthly(ledger, focus, clock)
        + _cumulative(comparison, clock)
        + _notes(notes, ledger, clock)
    )
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body>{body}</body></html>\n")
