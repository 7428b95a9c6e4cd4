"""``wattswitch simulate`` and ``wattswitch compare``: backtest dispatch policies on a scenario."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from wattswitch.cli.run_render import print_run
from wattswitch.cli.scenario_cmd import ScenarioOption, resolve_scenario
from wattswitch.data.engine_inputs import site_inputs
from wattswitch.data.io import write_text_atomic
from wattswitch.data.signals import build_signals
from wattswitch.errors import InputError
from wattswitch.metrics.summary import ledger_summary
from wattswitch.model.scenario import Scenario
from wattswitch.report.simulation_report import render_simulation_report
from wattswitch.sim.engine import Progress as ProgressCallback
from wattswitch.sim.engine import SimulatedSite
from wattswitch.sim.runner import POLICY_NAMES, Comparison, compare

PricesOption = Annotated[
    Path | None, typer.Option("--prices", help="Real-time price file (tidy, EIA or ERCOT).")
]
HubOption = Annotated[
    str | None, typer.Option("--hub", help="Price column to use (default: the site's hub).")
]
DayAheadOption = Annotated[Path | None, typer.Option("--day-ahead", help="Day-ahead price file.")]
BitcoinOption = Annotated[
    Path | None, typer.Option("--bitcoin", help="Daily Bitcoin network file (hashprice).")
]
LoadOption = Annotated[Path | None, typer.Option("--load", help="System load file (for 4CP).")]
JobsOption = Annotated[Path | None, typer.Option("--jobs", help="Training job trace.")]
StartOption = Annotated[
    str | None, typer.Option("--start", help="First day, YYYY-MM-DD (site's local time).")
]
EndOption = Annotated[str | None, typer.Option("--end", help="Day after the last, YYYY-MM-DD (exclusive).")]
StepOption = Annotated[int | None, typer.Option("--step", help="Interval in seconds: 300 or 900.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
]


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """What the command line says about the inputs of a run."""

    scenario: Path | None = None
    prices: Path | None = None
    hub: str | None = None
    day_ahead: Path | None = None
    bitcoin: Path | None = None
    load: Path | None = None
    jobs: Path | None = None
    start: str | None = None
    end: str | None = None
    step: int | None = None


def _local_midnight_utc(text: str, option: str, timezone: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError as err:
        raise InputError(option, f"{text!r} is not a date", expected="YYYY-MM-DD") from err
    local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def scenario_for(options: RunOptions) -> Scenario:
    """The scenario the options describe: a file or the default, with files and horizon overridden."""
    scenario = resolve_scenario(options.scenario)
    signals = scenario.signals
    replacements = {
        "prices_file": options.prices,
        "hub": options.hub,
        "day_ahead_prices_file": options.day_ahead,
        "bitcoin_file": options.bitcoin,
        "grid_load_file": options.load,
        "jobs_file": options.jobs,
    }
    overrides: dict[str, Any] = {k: str(v) for k, v in replacements.items() if v is not None}
    signals = dataclasses.replace(signals, **overrides)
    changes: dict[str, Any] = {"signals": signals}
    timezone = scenario.site.timezone
    if options.start:
        changes["start_utc"] = _local_midnight_utc(options.start, "--start", timezone)
    if options.end:
        changes["end_utc"] = _local_midnight_utc(options.end, "--end", timezone)
    if options.step:
        changes["step_s"] = options.step
    if options.hub:
        changes["site"] = dataclasses.replace(scenario.site, hub=options.hub)
    return dataclasses.replace(scenario, **changes)


def _progress_factory(progress: Progress, periods: int) -> Any:
    def factory(name: str) -> ProgressCallback:
        task = progress.add_task(f"{name:<10}", total=periods)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return update

    return factory


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """A finished comparison with what the user should know about its inputs."""

    scenario: Scenario
    site: SimulatedSite
    comparison: Comparison
    notes: tuple[str, ...]


def run_comparison(options: RunOptions, names: list[str], quiet: bool) -> RunOutcome:
    """Build inputs, then run ``names`` (plus always-on and the oracle) with a progress bar."""
    scenario = scenario_for(options)
    signals = build_signals(scenario, show_progress=not quiet)
    site = SimulatedSite(scenario, site_inputs(scenario, signals))
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True, disable=quiet, console=Console(stderr=True)) as progress:
        result = compare(site, names, _progress_factory(progress, scenario.periods))
    notes = list(signals.notes)
    if site.inputs.filled_price_intervals:
        notes.append(
            f"{site.inputs.filled_price_intervals:,} price intervals bridged with the last known price"
        )
    if scenario.periods * scenario.step_s < 365 * 86400 and site.site.four_cp_usd_per_kw_year:
        notes.append(
            "4CP peaks are taken within the simulated horizon: for part of a summer the charge is an estimate"
        )
    if site.schedule.four_cp_months_without_load:
        months = ", ".join(str(m) for m in site.schedule.four_cp_months_without_load)
        notes.append(f"no system load in 4CP month(s) {months}: their 4CP charge is not counted")
    return RunOutcome(scenario, site, result, tuple(notes))


def comparison_payload(result: Comparison, names: list[str]) -> dict[str, Any]:
    """``{"policies": {name: summary}}`` for the names asked (plus baseline and bound)."""
    shown = [n for n in result.ledgers if n in names or n in ("always-on", "oracle")]
    return {"policies": {n: ledger_summary(result.ledgers[n], result.capture[n]) for n in shown}}


def simulate(
    *,
    policy: Annotated[str, typer.Option("--policy", "-p", help=f"One of {', '.join(POLICY_NAMES)}.")] = "mpc",
    scenario: ScenarioOption = None,
    prices: PricesOption = None,
    hub: HubOption = None,
    day_ahead: DayAheadOption = None,
    bitcoin: BitcoinOption = None,
    load: LoadOption = None,
    jobs: JobsOption = None,
    start: StartOption = None,
    end: EndOption = None,
    step: StepOption = None,
    report: ReportOption = None,
    as_json: JsonOption = False,
) -> None:
    """Backtest one policy (graded against always-on and the oracle) and print its money and MWh."""
    if policy not in POLICY_NAMES:
        raise InputError("--policy", f"unknown policy {policy!r}", expected=", ".join(POLICY_NAMES))
    options = RunOptions(scenario, prices, hub, day_ahead, bitcoin, load, jobs, start, end, step)
    outcome = run_comparison(options, [policy], quiet=as_json)
    payload = comparison_payload(outcome.comparison, [policy])
    if report is not None:
        write_report(report, outcome, focus=policy)
    if as_json:
        typer.echo(json.dumps({**payload, "policy": policy, "notes": list(outcome.notes)}, indent=2))
        return
    console = Console()
    print_run(console, outcome.scenario, payload, scenario_path=scenario, notes=outcome.notes, focus=policy)
    if report is not None:
        console.print(f"report: {report}", highlight=False, soft_wrap=True)


def compare_cmd(
    *,
    policies: Annotated[str, typer.Option("--policies", help="Comma-separated policy names.")] = ",".join(
        POLICY_NAMES
    ),
    scenario: ScenarioOption = None,
    prices: PricesOption = None,
    hub: HubOption = None,
    day_ahead: DayAheadOption = None,
    bitcoin: BitcoinOption = None,
    load: LoadOption = None,
    jobs: JobsOption = None,
    start: StartOption = None,
    end: EndOption = None,
    step: StepOption = None,
    report: ReportOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run every policy and the oracle on the same inputs; print profit and capture per policy."""
    names = [n.strip() for n in policies.split(",") if n.strip()]
    unknown = [n for n in names if n not in POLICY_NAMES]
    if unknown:
        raise InputError(
            "--policies", f"unknown policy {', '.join(unknown)}", expected=", ".join(POLICY_NAMES)
        )
    options = RunOptions(scenario, prices, hub, day_ahead, bitcoin, load, jobs, start, end, step)
    outcome = run_comparison(options, names, quiet=as_json)
    payload = comparison_payload(outcome.comparison, names)
    if report is not None:
        honest = [n for n in names if n not in ("always-on", "oracle")]
        focus = honest[0] if honest else (names[0] if names else "always-on")
        write_report(report, outcome, focus=focus)
    if as_json:
        typer.echo(json.dumps({**payload, "notes": list(outcome.notes)}, indent=2))
        return
    console = Console()
    print_run(console, outcome.scenario, payload, scenario_path=scenario, notes=outcome.notes)
    if report is not None:
        console.print(f"report: {report}", highlight=False, soft_wrap=True)


def write_report(path: Path, outcome: RunOutcome, focus: str) -> None:
    """Write the self-contained HTML report atomically."""
    html = render_simulation_report(outcome.scenario, outcome.comparison, focus=focus, notes=outcome.notes)
    write_text_atomic(path, html)
