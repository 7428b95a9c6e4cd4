"""Rich renderings shared by the CLI commands."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from wattswitch.model.scenario import Scenario


def _mw(value: float) -> str:
    return f"{value:,.2f}"


def scenario_tables(scenario: Scenario) -> list[Table]:
    """Site, fleets, contract, tenants and workloads of a scenario as tables."""
    site = scenario.site
    overview = Table(title=f"Scenario '{scenario.name}'", show_header=False, title_justify="left")
    overview.add_column("field", style="bold")
    overview.add_column("value")
    overview.add_row("description", scenario.description)
    overview.add_row("site", f"{site.name} — {site.market} {site.hub}, {site.timezone}")
    overview.add_row("interconnect limit", f"{_mw(site.interconnect_limit_mw)} MW")
    overview.add_row(
        "nameplate (with cooling)",
        f"{_mw(scenario.facility_nameplate_mw)} MW "
        f"(ASIC {_mw(scenario.asic_nameplate_mw)} MW IT, GPU {_mw(scenario.gpu_nameplate_mw)} MW IT)",
    )
    overview.add_row(
        "horizon",
        f"{scenario.start_utc.isoformat()} → {scenario.end_utc.isoformat()}, "
        f"{scenario.step_s // 60}-min steps ({scenario.periods:,} intervals)",
    )
    overview.add_row("cooling", ", ".join(f"{z.name} PUE {z.pue:.2f}" for z in site.cooling_zones))

    asics = Table(title="ASIC groups", title_justify="left")
    for header in ("group", "model", "count", "TH/s each", "W each", "J/TH", "MW", "PH/s", "zone"):
        asics.add_column(header, justify="right" if header not in ("group", "model", "zone") else "left")
    for g in scenario.asic_groups:
        asics.add_row(
            g.name,
            g.model,
            f"{g.count:,}",
            f"{g.hashrate_th_s:g}",
            f"{g.power_w:g}",
            f"{g.efficiency_j_per_th:.1f}",
            _mw(g.nameplate_power_mw),
            f"{g.nameplate_hashrate_ph_s:,.0f}",
            g.cooling_zone,
        )

    gpus = Table(title="GPU node groups", title_justify="left")
    for header in ("group", "GPU", "nodes", "GPUs", "idle kW/node", "busy kW/node", "MW", "min cap"):
        gpus.add_column(header)
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
            f"{event.start_utc.isoformat()} for {event.duration_s / 3600:g} h: cap {event.cap_mw:g} MW",
        )
    return [overview, asics, gpus, commercial]


def step_label(step_s: int) -> str:
    """``15 min``, ``1 h``, ``1 d`` or seconds."""
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if step_s % size == 0:
            return f"{step_s // size} {unit}"
    return f"{step_s} s"


def series_overview(summary: dict[str, Any]) -> str:
    """One line: rows, step, span and gaps of a series summary."""
    gaps = summary["gaps"]
    text = (
        f"{summary['rows']:,} rows, {step_label(summary['step_s'])} step, "
        f"{summary['start_utc']} → {summary['end_utc']}; {gaps['count']} gaps"
    )
    if gaps["longest"]:
        text += (
            f" ({gaps['missing_intervals']:,} missing intervals; longest "
            f"{gaps['longest']['intervals']:,} from {gaps['longest']['first_missing_utc']})"
        )
    return text


def series_stats_table(title: str, summaries: dict[str, dict[str, Any]]) -> Table:
    """Mean/min/max/missing per series of one or more series summaries.

    The unit column is left out when every series name already ends with its unit.
    """
    rows = []
    for name, summary in summaries.items():
        for column, stats in summary["series"].items():
            label = name if len(summary["series"]) == 1 and name else column
            unit = "" if summary["unit"] == "per_column" else summary["unit"]
            rows.append((label, unit, stats))
    show_unit = any(unit and not label.endswith(unit) for label, unit, _ in rows)
    table = Table(title=title, title_justify="left")
    table.add_column("series")
    if show_unit:
        table.add_column("unit")
    for header in ("mean", "min", "max", "missing"):
        table.add_column(header, justify="right")
    for label, unit, stats in rows:
        cells = [_fmt(stats["mean"]), _fmt(stats["min"]), _fmt(stats["max"]), f"{stats['missing']:,}"]
        table.add_row(label, *([unit] if show_unit else []), *cells)
    return table


def histogram_table(title: str, counts: dict[str, int], width: int = 30) -> Table:
    """A horizontal bar chart of counts (e.g. jobs per GPU count)."""
    table = Table(title=title, title_justify="left")
    table.add_column("value", justify="right")
    table.add_column("count", justify="right")
    table.add_column("", no_wrap=True)
    peak = max(counts.values(), default=0) or 1
    for key, count in counts.items():
        table.add_row(key, f"{count:,}", "█" * max(1, round(width * count / peak)))
    return table


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def print_all(console: Console, tables: list[Table]) -> None:
    """Print tables separated by a blank line."""
    for table in tables:
        console.print(table)
        console.print()
