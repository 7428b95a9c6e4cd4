"""Rich renderings shared by the CLI commands."""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

from wattswitch.metrics.text import duration_text
from wattswitch.model.scenario import Scenario

MINUS = "−"  # U+2212: a real minus sign, as wide as a digit

#: Words for the identifiers the CLI's tables would otherwise show (ledger streams, energy uses,
#: costs, signal names, planning strategies). Policy names are not here: they are what users type.
LABELS: dict[str, str] = {
    # revenue streams and energy uses (``ledger_summary``'s keys)
    "mining": "Bitcoin mining",
    "reserved": "AI: reserved tenants",
    "ai_reserved": "AI: reserved tenants",
    "inference": "AI: inference",
    "ai_inference": "AI: inference",
    "training": "AI: training jobs",
    "ai_training": "AI: training jobs",
    "ai_idle": "AI: idle GPUs",
    "ancillary": "ancillary services",
    "demand_response": "demand response",
    "site": "whole site (IT + cooling)",
    # costs
    "energy": "energy",
    "four_cp": "4CP charge",
    "sla_credits": "SLA credits",
    # signals on the scenario's grid (``data.signals``)
    "rt_price_usd_per_mwh": "real-time price ($/MWh)",
    "da_price_usd_per_mwh": "day-ahead price ($/MWh)",
    "system_load_mw": "system load (MW)",
    "hashprice_usd_per_ph_day": "hashprice ($/PH/day)",
    "inference_load_fraction": "inference demand (fraction of peak)",
    # columns of the files ``wattswitch data inspect`` reads
    "price_usd": "BTC price ($)",
    "hashrate_th_s": "hashrate (TH/s)",
    "fees_usd": "fees ($)",
    "issuance_usd": "issuance ($)",
    "input_tokens": "input tokens",
    "output_tokens": "output tokens",
    "exec_time_s": "execution time (s)",
    # units of series
    "usd_per_mwh": "$/MWh",
    "usd_per_ph_day": "$/PH/day",
    "mw": "MW",
    # conversion strategies of ``wattswitch plan``
    "keep_mining": "keep mining",
    "convert": "convert all",
    "phased": "phased",
}


def label(key: str) -> str:
    """The words for an identifier (``sla_credits`` → ``SLA credits``); other names (a hub's
    ``HB_WEST``, a file's own column) are data and stay as they are."""
    return LABELS.get(key, key)


def money(usd: float) -> str:
    """An amount of dollars the one way the CLI prints money: millions with two decimals.

    ``$85.13M``, ``−$1.20M`` (a real minus sign), ``$0.12M``, ``$1,260.00M``. Every amount is in
    millions — no ``$k`` or ``$B`` — so the figures of a column compare at a glance and none changes
    unit between rows. An amount that rounds to zero prints ``$0.00M``, never ``−$0.00M``. Rates
    (``$/MWh``, ``$/GPU-h``) are prices, not amounts, and keep their own formats.
    """
    if not math.isfinite(usd):
        return "—"
    millions = round(usd / 1e6, 2)
    if millions == 0:
        return "$0.00M"
    return f"{MINUS if millions < 0 else ''}${abs(millions):,.2f}M"


def number(value: float, decimals: int = 0) -> str:
    """A figure with thousands separators, a real minus sign and no ``−0``: ``−1,234.5``, ``0``."""
    if not math.isfinite(value):
        return "—"
    text = f"{abs(value):,.{decimals}f}"
    negative = value < 0 and any(ch not in "0.," for ch in text)
    return f"{MINUS}{text}" if negative else text


def value_column(table: Table, header: str, **options: Any) -> None:
    """Add a right-aligned column of figures, which the layout never wraps, folds or cuts."""
    options.setdefault("justify", "right")
    table.add_column(header, no_wrap=True, overflow="fold", **options)


def _is_value(column: Column) -> bool:
    return column.no_wrap or column.justify == "right"


_UNBOUNDED = 100_000


def _measure(console: Console, renderable: RenderableType) -> Measurement:
    return Measurement.get(console, console.options.update_width(_UNBOUNDED), renderable)


def fit_widths(console: Console, table: Table, width: int) -> list[int] | None:
    """Content widths that fit ``table`` in ``width`` cells with every figure whole, or None.

    Columns of figures (``no_wrap`` or right-aligned) keep their widest cell; other columns may
    shrink to their longest word (their text wraps at spaces, never inside a word). Their headers
    wrap at spaces too. None when even that does not fit.
    """
    natural: list[int] = []
    body: list[int] = []  # without wrapping a header
    least: list[int] = []
    for column in table.columns:
        header = _measure(console, column.header)
        cells = [_measure(console, cell) for cell in column.cells]
        widest = max([0, *(c.maximum for c in cells)])
        words = max([header.minimum, *(c.minimum for c in cells)])
        natural.append(max(header.maximum, widest))
        least.append(max(words, widest) if _is_value(column) else words)
        body.append(max(least[-1], widest))
    overhead = _measure(console, table).maximum - sum(natural)
    room = width - overhead
    if sum(least) > room:
        return None
    widths = list(natural)
    for floor in (body, least):  # wrap long headers first, then the widest text, one cell at a time
        while sum(widths) > room and any(w > f for w, f in zip(widths, floor, strict=True)):
            i = max((k for k in range(len(widths)) if widths[k] > floor[k]), key=lambda k: widths[k])
            widths[i] -= 1
    return widths


def print_table(console: Console, table: Table) -> None:
    """Print a table so that no figure is ever cut, whatever the width or the output.

    When the table fits the console's width (the terminal's, or ``COLUMNS``/80 when stdout is a
    pipe or a file) with each figure on one line and words wrapped only at spaces, it is drawn as
    a table. Otherwise it is printed as records: the title, then for each row its first cell and
    one ``header: value`` line per other cell (label/value tables print ``label: value`` lines).
    """
    widths = fit_widths(console, table, console.width)
    if widths is None:
        _print_records(console, table)
        return
    saved = [(column.width, column.header) for column in table.columns]
    try:
        for column, fitted in zip(table.columns, widths, strict=True):
            column.width = fitted
            if isinstance(column.header, str):  # headers wrap at spaces even over figures
                header = Text.from_markup(column.header)
                header.no_wrap = False
                column.header = header
        console.print(table)
    finally:
        for column, (width, original) in zip(table.columns, saved, strict=True):
            column.width = width
            column.header = original


def _plain(console: Console, renderable: RenderableType) -> str:
    if isinstance(renderable, Text):
        return renderable.plain
    if isinstance(renderable, str):
        return console.render_str(renderable, highlight=False).plain
    return str(renderable)


def _print_records(console: Console, table: Table) -> None:
    if table.title:
        print_text(console, Text(_plain(console, table.title), style="bold"))
    columns = table.columns
    headers = [_plain(console, c.header) for c in columns]
    rows = list(zip(*([_plain(console, cell) for cell in c.cells] for c in columns), strict=True))
    for row in rows:
        if not table.show_header:
            print_text(console, ": ".join(cell for cell in row if cell), indent=2)
            continue
        key = row[0] or "—"
        if _is_value(columns[0]) and headers[0]:  # "rank 1", not a bare "1"
            key = f"{headers[0]} {key}"
        print_text(console, Text(key, style="bold"), indent=2)
        for header, cell in zip(headers[1:], row[1:], strict=True):
            if cell:
                print_text(console, f"  {header}: {cell}" if header else f"  {cell}", indent=4)


def print_text(console: Console, text: str | Text, indent: int = 0) -> None:
    """Print prose wrapped at spaces to the console's width; a word wider than that stays whole.

    ``str`` is read as markup; continuation lines are indented by ``indent`` spaces.
    """
    line = console.render_str(text, highlight=False) if isinstance(text, str) else text
    for k, piece in enumerate(wrap_text(line, console.width, indent)):
        console.print(Text(" " * indent) + piece if k else piece, soft_wrap=True, highlight=False)


def wrap_text(text: Text, width: int, indent: int = 0) -> list[Text]:
    """Split ``text`` into lines at spaces: the first at most ``width`` cells, the others
    ``width - indent``; a word longer than a line gets a line of its own, whole."""
    plain = text.plain
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", plain)]
    if not words:
        return [text]
    lines: list[Text] = []
    begin = 0  # the first line keeps its leading spaces
    last_end = words[0][1]
    for start, end in words[1:]:
        room = width if not lines else width - indent
        if end - begin > room:
            lines.append(text[begin:last_end])
            begin = start
        last_end = end
    lines.append(text[begin:last_end])
    return lines


def _mw(value: float) -> str:
    return f"{value:,.2f}"


def local_time(moment: datetime, timezone: str) -> str:
    """``2025-07-01 00:00 CDT``: a UTC instant in the site's local time."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def horizon_text(scenario: Scenario) -> str:
    """Local start → end, step and number of intervals of a scenario."""
    timezone = scenario.site.timezone
    return (
        f"{local_time(scenario.start_utc, timezone)} → {local_time(scenario.end_utc, timezone)} "
        f"({timezone}), {step_label(scenario.step_s)} steps, {scenario.periods:,} intervals"
    )


def scenario_tables(scenario: Scenario, path: Path | None = None) -> list[Table]:
    """Site, fleets, contract, tenants and workloads of a scenario (read from ``path``) as tables."""
    site = scenario.site
    overview = Table(title=f"Scenario '{scenario.name}'", show_header=False, title_justify="left")
    overview.add_column("field", style="bold")
    overview.add_column("value")
    overview.add_row("from", "the embedded default scenario" if path is None else str(path))
    overview.add_row("description", scenario.description)
    overview.add_row("site", f"{site.name} — {site.market} {site.hub}, {site.timezone}")
    overview.add_row("interconnect limit", f"{_mw(site.interconnect_limit_mw)} MW")
    overview.add_row(
        "nameplate (with cooling)",
        f"{_mw(scenario.facility_nameplate_mw)} MW "
        f"(ASIC {_mw(scenario.asic_nameplate_mw)} MW IT, GPU {_mw(scenario.gpu_nameplate_mw)} MW IT)",
    )
    overview.add_row("horizon", horizon_text(scenario))
    overview.add_row("cooling", ", ".join(f"{z.name} PUE {z.pue:.2f}" for z in site.cooling_zones))

    zones = sorted({g.cooling_zone for g in scenario.asic_groups})
    one_zone = len(zones) == 1
    asics = Table(title="ASIC groups" + (f" (cooling zone {zones[0]})" if one_zone else ""),
                  title_justify="left")
    asics.add_column("group")
    asics.add_column("model")
    for header in ("count", "TH/s each", "W each", "J/TH", "MW", "PH/s"):
        value_column(asics, header)
    if not one_zone:
        asics.add_column("cooling zone")
    for g in scenario.asic_groups:
        asics.add_row(
            g.name,
            g.model,
            f"{g.count:,}",
            f"{g.hashrate_th_s:g}",
            number(g.power_w),
            f"{g.efficiency_j_per_th:.1f}",
            _mw(g.nameplate_power_mw),
            number(g.nameplate_hashrate_ph_s),
            *([] if one_zone else [g.cooling_zone]),
        )

    gpus = Table(title="GPU node groups", title_justify="left")
    gpus.add_column("group")
    gpus.add_column("GPU")
    for header in ("nodes", "GPUs", "idle kW/node", "busy kW/node", "MW", "min power cap"):
        value_column(gpus, header)
    for gg in scenario.gpu_groups:
        gpus.add_row(
            gg.name,
            gg.gpu_model,
            f"{gg.node_count:,}",
            f"{gg.gpu_count:,}",
            f"{gg.idle_node_power_w / 1000:.1f}",
            f"{gg.busy_node_power_w / 1000:.1f}",
            _mw(gg.nameplate_power_mw),
            f"{gg.min_power_cap_fraction:.0%}",
        )

    commercial = Table(title="Contracts, tenants and workloads", title_justify="left", show_header=False)
    commercial.add_column("item", style="bold")
    commercial.add_column("terms")
    contract = scenario.contract
    if contract.ppa is not None:
        commercial.add_row(
            "PPA block",
            f"{contract.ppa.block_mw:g} MW at ${contract.ppa.price_usd_per_mwh:g}/MWh"
            + (", unused energy resold at real-time price" if contract.ppa.resell_unused else ""),
        )
    commercial.add_row(
        "real-time", f"hub price + ${contract.real_time.adder_usd_per_mwh:g}/MWh above the block"
    )
    if contract.four_cp is not None:
        commercial.add_row(
            "4CP",
            f"${contract.four_cp.rate_usd_per_kw_year:g}/kW-year on months "
            f"{', '.join(str(m) for m in contract.four_cp.months)}",
        )
    for service in contract.ancillary:
        commercial.add_row(
            "ancillary",
            f"{service.service}: {service.capacity_mw:g} MW at ${service.price_usd_per_mw_hour:g}/MW-h",
        )
    for tenant in scenario.tenants:
        for r in tenant.reservations:
            commercial.add_row(
                f"tenant {tenant.name}",
                f"{r.node_count} nodes of {r.gpu_group} at ${r.price_usd_per_gpu_hour:g}/GPU-h, "
                f"SLA {r.sla.uptime_target_fraction:.1%} uptime",
            )
    if scenario.training_queue is not None:
        q = scenario.training_queue
        commercial.add_row(
            "training queue",
            f"on-demand on {q.gpu_group} at ${q.price_usd_per_gpu_hour:g}/GPU-h, "
            f"~{q.mean_jobs_per_day:g} jobs/day, checkpoint every {q.checkpoint_interval_s / 60:g} min",
        )
    for svc in scenario.inference_services:
        commercial.add_row(
            f"inference {svc.name}",
            f"peak {svc.peak_requests_per_s:g} req/s on {svc.gpus_per_replica}-GPU replicas "
            f"({svc.tokens_per_s_per_replica:g} tok/s each), ${svc.price_usd_per_million_tokens:g}/M tokens, "
            f"TTFT SLO {svc.ttft_slo_s:g} s",
        )
    for event in scenario.demand_response_events:
        commercial.add_row(
            "demand response",
            f"{local_time(event.start_utc, site.timezone)} for {event.duration_s / 3600:g} h: "
            f"cap {event.cap_mw:g} MW",
        )
    return [overview, asics, gpus, commercial]


def step_label(step_s: int) -> str:
    """``15 min``, ``1 h``, ``1 d`` or seconds."""
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if step_s % size == 0:
            return f"{step_s // size} {unit}"
    return f"{step_s} s"


def series_overview(summary: dict[str, Any]) -> str:
    """One line: rows, step and span of a series, and its gaps as lengths of time (not interval counts)."""
    gaps = summary["gaps"]
    text = (
        f"{summary['rows']:,} rows, {step_label(summary['step_s'])} step, "
        f"{summary['start_utc']} → {summary['end_utc']}; "
    )
    if not gaps["count"]:
        return text + "no gaps"
    longest = gaps["longest"]
    count = f"{gaps['count']:,} gap{'s' if gaps['count'] > 1 else ''}"
    return text + (
        f"{count}, {duration_text(gaps['missing_s'])} missing in all; longest gap "
        f"{duration_text(gaps['longest_s'])} from {longest['first_missing_utc']}"
    )


def series_stats_table(title: str, summaries: dict[str, dict[str, Any]]) -> Table:
    """Mean/min/max/missing per series of one or more series summaries.

    Series are named in words (:data:`LABELS`); the unit column is left out when every name
    already says its unit.
    """
    rows = []
    for name, summary in summaries.items():
        for column, stats in summary["series"].items():
            key = name if len(summary["series"]) == 1 and name else column
            unit = "" if summary["unit"] == "per_column" else label(summary["unit"])
            named = label(key)
            rows.append((named, unit if unit not in named else "", stats))
    show_unit = any(unit for _, unit, _ in rows)
    table = Table(title=title, title_justify="left")
    table.add_column("series")
    if show_unit:
        table.add_column("unit")
    for header in ("mean", "min", "max", "missing"):
        value_column(table, header)
    for named, unit, stats in rows:
        cells = [_fmt(stats["mean"]), _fmt(stats["min"]), _fmt(stats["max"]), f"{stats['missing']:,}"]
        table.add_row(named, *([unit] if show_unit else []), *cells)
    return table


def field_stats_table(series: dict[str, dict[str, float | None]]) -> Table:
    """Mean/min/max per field (e.g. the tokens of an inference trace)."""
    table = Table()
    table.add_column("field")
    for header in ("mean", "min", "max"):
        value_column(table, header)
    for field, stats in series.items():
        table.add_row(label(field), *(_fmt(stats[k]) for k in ("mean", "min", "max")))
    return table


def histogram_table(title: str, counts: dict[str, int], width: int = 30) -> Table:
    """A horizontal bar chart of counts (e.g. jobs per GPU count)."""
    table = Table(title=title, title_justify="left")
    value_column(table, "value")
    value_column(table, "count")
    value_column(table, "", justify="left")
    peak = max(counts.values(), default=0) or 1
    for key, count in counts.items():
        table.add_row(key, f"{count:,}", "█" * max(1, round(width * count / peak)))
    return table


def _fmt(value: float | None) -> str:
    return "—" if value is None else number(value, 2)


def print_all(console: Console, tables: list[Table]) -> None:
    """Print tables (each with :func:`print_table`) separated by a blank line."""
    for table in tables:
        print_table(console, table)
        console.print()
