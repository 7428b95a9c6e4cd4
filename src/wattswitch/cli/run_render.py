"""What ``wattswitch simulate`` and ``wattswitch compare`` print for people (``--json`` is elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wattswitch.cli.render import (
    horizon_text,
    label,
    money,
    number,
    print_table,
    print_text,
    value_column,
)
from wattswitch.data.signals import HASHPRICE_SMOOTHING_DAYS, SYSTEM_LOAD_COLUMN
from wattswitch.metrics.ai_outcomes import ai_outcome_rows, bounds_without_jobs, has_ai
from wattswitch.model.scenario import Scenario

BOUNDS = ("always-on", "oracle")
AI_STREAMS = ("reserved", "inference", "training")


def _generated(scenario: Scenario, scenario_path: Path | None) -> str:
    origin = "the embedded default scenario" if scenario_path is None else str(scenario_path)
    return f"generated (seed {scenario.signals.synthetic.seed}, calibration from {origin})"


def signal_sources(scenario: Scenario, scenario_path: Path | None) -> list[tuple[str, str]]:
    """``(signal, where it comes from)`` for each input of a run: a file, or the seeded generator.

    The signal names are those ``data.signals`` uses in its notes, so a note that only repeats a
    file named here can be left out of the human output.
    """
    sources = scenario.signals
    hub = sources.hub or scenario.site.hub
    generated = _generated(scenario, scenario_path)
    files = (
        ("real-time prices", sources.prices_file, f" ({hub})"),
        ("day-ahead prices", sources.day_ahead_prices_file, f" ({hub})"),
        ("system load", sources.grid_load_file, f" ({SYSTEM_LOAD_COLUMN})"),
        ("hashprice", sources.bitcoin_file, f" ({HASHPRICE_SMOOTHING_DAYS}-day mean)"),
        ("training jobs", sources.jobs_file, ""),
    )
    rows = [(name, f"{path}{suffix}" if path else generated) for name, path, suffix in files]
    rows.insert(4, ("inference demand", generated))
    return rows


def run_header(scenario: Scenario, scenario_path: Path | None, policies: Sequence[str]) -> list[str]:
    """Lines (markup) saying what was simulated: site, signals and their sources, horizon, policies."""
    site = scenario.site
    where = "embedded default" if scenario_path is None else str(scenario_path)
    honest = [p for p in policies if p not in BOUNDS]
    lines = [
        f"[bold]Simulated:[/] scenario '{escape(scenario.name)}' ({escape(where)}): "
        f"site {escape(site.name)}, "
        f"{site.market} {site.hub}, {number(site.interconnect_limit_mw, 1)} MW interconnect",
        f"[bold]Horizon:[/] {horizon_text(scenario)}",
        "[bold]Signals:[/]",
    ]
    sources = signal_sources(scenario, scenario_path)
    generated = _generated(scenario, scenario_path)
    lines += [f"  {name}: {escape(source)}" for name, source in sources if source != generated]
    made = [name for name, source in sources if source == generated]
    if made:
        lines.append(f"  {escape(generated)}: {', '.join(made)}")
    graded = "always-on (capture 0) and the oracle, which knows every future price (capture 1)"
    lines.append(f"[bold]Policies:[/] {', '.join(honest)}, graded between {graded}" if honest
                 else f"[bold]Policies:[/] {graded}")
    return lines


def comparison_table(payload: dict[str, Any]) -> Table:
    """Profit, capture and the streams that differ between policies (AI revenue is shown once)."""
    table = Table(title="Policies on the same inputs", title_justify="left")
    table.add_column("policy")
    for header in ("profit", "capture", "mining revenue", "energy cost", label("four_cp"),
                   "curtailed hours"):
        value_column(table, header)
    for name, s in payload["policies"].items():
        table.add_row(
            name,
            money(s["profit_usd"]),
            "—" if s["capture"] is None else f"{s['capture']:.3f}",
            money(s["revenue_usd"]["mining"]),
            money(s["cost_usd"]["energy"]),
            money(s["four_cp_charge_usd"]),
            number(s["curtailed_fleet_hours"]),
        )
    return table


def comparison_footer(payload: dict[str, Any]) -> str:
    """AI revenue and the violation count across policies, in one line."""
    policies = payload["policies"].values()
    ai = [sum(s["revenue_usd"][k] for k in AI_STREAMS) for s in policies]
    violations = sum(s["power_limit_violations"] for s in policies)
    spread = money(min(ai)) if money(min(ai)) == money(max(ai)) else f"{money(min(ai))}–{money(max(ai))}"
    return (
        f"AI revenue (reserved tenants, inference, training jobs): {spread}; "
        f"power-limit violations: {violations}; capture = (profit − always-on) / (oracle − always-on)"
    )


def ai_outcomes_table(payload: dict[str, Any]) -> Table | None:
    """Per-class AI outcomes (training, inference, reserved, checkpoint dips) by policy; None if fluid."""
    outcomes = {name: s.get("ai") for name, s in payload["policies"].items()}
    if not has_ai(outcomes):
        return None
    table = Table(title="AI outcomes by class", title_justify="left")
    table.add_column("outcome")
    for name in outcomes:
        value_column(table, name)
    rows = ai_outcome_rows(outcomes)
    for k, row in enumerate(rows):
        if k == 0 or rows[k - 1].group != row.group:
            table.add_row(f"[bold]{row.group}[/]", *("" for _ in row.cells))
        last = k == len(rows) - 1 or rows[k + 1].group != row.group
        table.add_row(row.label, *row.cells, end_section=last)
    return table


def ai_outcomes_footer(payload: dict[str, Any]) -> str:
    """What the AI table's columns mean, and which policies are bounds without job-level figures."""
    outcomes = {name: s.get("ai") for name, s in payload["policies"].items()}
    bounds = bounds_without_jobs(outcomes)
    text = ("JCT: job completion time (submit to finish) of completed jobs; checkpoint dips: MWh training "
            "did not draw while writing or restoring a checkpoint, and the share of it mining took")
    if bounds:
        text += (f"; {', '.join(bounds)}: a relaxation bound on this site that schedules no job one by one "
                 "(— where it has no figure)")
    return text


def single_tables(name: str, summary: dict[str, Any]) -> list[Table]:
    """Revenue by stream, costs and MWh by use of one policy."""
    money_table = Table(title=f"'{name}': profit {money(summary['profit_usd'])}", title_justify="left")
    money_table.add_column("stream")
    value_column(money_table, "USD")
    for stream, value in summary["revenue_usd"].items():
        money_table.add_row(f"revenue: {label(stream)}", money(value))
    for cost, value in summary["cost_usd"].items():
        money_table.add_row(f"cost: {label(cost)}", money(-value))
    energy = Table(title="Energy by use", title_justify="left")
    energy.add_column("use")
    value_column(energy, "MWh")
    for use, value in summary["energy_mwh"].items():
        energy.add_row(label(use), number(value))
    facts = Table(title="Operations", title_justify="left", show_header=False)
    facts.add_column("fact")
    value_column(facts, "value")
    facts.add_row("curtailed (fleet-equivalent hours)", number(summary["curtailed_fleet_hours"], 1))
    facts.add_row(label("four_cp"), money(summary["four_cp_charge_usd"]))
    facts.add_row("peak site load", f"{number(summary['peak_site_mw'], 2)} MW")
    facts.add_row("power-limit violations", str(summary["power_limit_violations"]))
    facts.add_row("capture vs oracle", "—" if summary["capture"] is None else f"{summary['capture']:.3f}")
    return [money_table, energy, facts]


def print_run(
    console: Console,
    scenario: Scenario,
    payload: dict[str, Any],
    *,
    scenario_path: Path | None,
    notes: Sequence[str],
    focus: str | None = None,
) -> None:
    """The human output of a run: what was simulated, the focus policy's tables (``simulate``),
    the comparison, its footer and the notes a user should read."""
    for line in run_header(scenario, scenario_path, list(payload["policies"])):
        print_text(console, line, indent=4)
    console.print()
    if focus is not None:
        for table in single_tables(focus, payload["policies"][focus]):
            print_table(console, table)
            console.print()
    print_table(console, comparison_table(payload))
    print_text(console, comparison_footer(payload), indent=2)
    ai_table = ai_outcomes_table(payload)
    if ai_table is not None:
        console.print()
        print_table(console, ai_table)
        print_text(console, ai_outcomes_footer(payload), indent=2)
    from_files = {f"{name}: {source}" for name, source in signal_sources(scenario, scenario_path)}
    for note in notes:
        if note not in from_files:  # the header already named that file
            print_text(console, f"[yellow]note:[/] {escape(_in_words(note))}", indent=2)


def _in_words(note: str) -> str:
    """A note that starts with a signal's identifier (``rt_price_usd_per_mwh: …``) starts with its words."""
    key, sep, rest = note.partition(": ")
    return f"{label(key)}{sep}{rest}" if sep else note
