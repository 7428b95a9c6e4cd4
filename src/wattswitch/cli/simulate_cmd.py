"""``wattswitch simulate`` and ``wattswitch compare``: backtest dispatch policies on a scenario."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from wattswitch import json_safe
from wattswitch.cli.options import check_input_files, check_names, check_output_file, given, split_names
from wattswitch.cli.run_render import print_run
from wattswitch.cli.scenario_cmd import ScenarioOption, resolve_scenario
from wattswitch.data.io import write_text_atomic
from wattswitch.data.signals import build_signals
from wattswitch.data.site_build import build_site
from wattswitch.errors import InputError, ModelError, WattswitchError
from wattswitch.metrics.summary import ledger_summary
from wattswitch.model.scenario import ALLOWED_STEPS_S, Scenario
from wattswitch.report.simulation_report import render_simulation_report
from wattswitch.sim.coupled import CoupledSite
from wattswitch.sim.engine import Progress as ProgressCallback
from wattswitch.sim.engine import SimulatedSite
from wattswitch.sim.runner import POLICY_NAMES, Comparison, compare

PricesOption = Annotated[
    Path | None,
    typer.Option("--prices", metavar="FILE",
                 help="Real-time price file (tidy, EIA or ERCOT; default: generated)."),
]
HubOption = Annotated[
    str | None, typer.Option("--hub", metavar="COLUMN", help="Price column to use (default: the site's hub).")
]
DayAheadOption = Annotated[
    Path | None,
    typer.Option("--day-ahead", metavar="FILE", help="Day-ahead price file (default: generated)."),
]
BitcoinOption = Annotated[
    Path | None,
    typer.Option("--bitcoin", metavar="FILE",
                 help="Daily Bitcoin network file, for hashprice (default: generated)."),
]
LoadOption = Annotated[
    Path | None,
    typer.Option("--load", metavar="FILE", help="System load file in MW, for 4CP (default: generated)."),
]
JobsOption = Annotated[
    Path | None,
    typer.Option("--jobs", metavar="FILE",
                 help="Training job trace CSV (default: generated); runs the job-level coupled site."),
]
InferenceOption = Annotated[
    Path | None,
    typer.Option("--inference", metavar="FILE",
                 help="Inference request trace (Azure, Alibaba or Mooncake format; default: generated); "
                      "runs the job-level coupled site."),
]
StartOption = Annotated[
    str | None,
    typer.Option("--start", metavar="YYYY-MM-DD",
                 help="First day, site's local time (default: the scenario's)."),
]
EndOption = Annotated[
    str | None,
    typer.Option("--end", metavar="YYYY-MM-DD",
                 help="Day after the last, exclusive (default: the scenario's)."),
]
StepOption = Annotated[
    int | None,
    typer.Option("--step", metavar="SECONDS", help="Interval: 300 or 900 s (default: the scenario's)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ReportOption = Annotated[
    Path | None, typer.Option("--report", metavar="FILE", help="Write a self-contained HTML report here.")
]
# Dispatch policies, named the same way on simulate and compare (and schedule): --policy NAME, repeated
# or comma-separated.
DEFAULT_POLICY = ["mpc"]
ALL_POLICIES = list(POLICY_NAMES)


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
    inference: Path | None = None


def _local_midnight_utc(text: str, option: str, timezone: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError as err:
        raise InputError(option, f"{text!r} is not a date", expected="YYYY-MM-DD") from err
    local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def scenario_for(options: RunOptions) -> Scenario:
    """The scenario the options describe: a file or the default, with files and horizon overridden.

    A horizon the scenario rejects is reported against the flags that set it (``--start/--end``).
    """
    check_input_files({"--scenario": options.scenario, "--prices": options.prices,
                       "--day-ahead": options.day_ahead, "--bitcoin": options.bitcoin, "--load": options.load,
                       "--jobs": options.jobs, "--inference": options.inference})
    scenario = resolve_scenario(options.scenario)
    signals = scenario.signals
    replacements = {
        "prices_file": options.prices,
        "hub": options.hub,
        "day_ahead_prices_file": options.day_ahead,
        "bitcoin_file": options.bitcoin,
        "grid_load_file": options.load,
        "jobs_file": options.jobs,
        "inference_file": options.inference,
    }
    overrides: dict[str, Any] = {k: str(v) for k, v in replacements.items() if v is not None}
    signals = dataclasses.replace(signals, **overrides)
    changes: dict[str, Any] = {"signals": signals}
    if options.jobs is not None or options.inference is not None:
        changes["ai_simulation"] = "job-level"  # real traces run job by job, request by request
    timezone = scenario.site.timezone
    if options.start:
        changes["start_utc"] = _local_midnight_utc(options.start, "--start", timezone)
    if options.end:
        changes["end_utc"] = _local_midnight_utc(options.end, "--end", timezone)
    if options.step:
        if options.step not in ALLOWED_STEPS_S:
            raise InputError(f"--step {options.step}", "not an interval the simulator steps by",
                             expected=" or ".join(str(s) for s in ALLOWED_STEPS_S) + " (seconds)")
        changes["step_s"] = options.step
    _check_horizon(scenario, options, changes.get("start_utc", scenario.start_utc),
                   changes.get("end_utc", scenario.end_utc))
    if options.hub:
        changes["site"] = dataclasses.replace(scenario.site, hub=options.hub)
    try:
        return dataclasses.replace(scenario, **changes)
    except ModelError as err:
        raise _as_flag_error(err, options) from err


def _local_day(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


def _check_horizon(scenario: Scenario, options: RunOptions, start_utc: datetime, end_utc: datetime) -> None:
    """``--end`` must come after ``--start`` (or after the scenario's start when only one is given)."""
    if end_utc > start_utc or not (options.start or options.end):
        return
    timezone = scenario.site.timezone
    if options.start and options.end:
        raise InputError("--start/--end", f"{options.start} is not before {options.end}",
                         expected="--end later than --start (--end is the day after the last)")
    if options.start:
        raise InputError(f"--start {options.start}",
                         f"not before the scenario's end {_local_day(scenario.end_utc, timezone)}",
                         expected="an earlier --start, or a later --end too")
    raise InputError(f"--end {options.end}",
                     f"not after the scenario's start {_local_day(scenario.start_utc, timezone)}",
                     expected="a later --end, or an earlier --start too (--end is exclusive)")


_SCENARIO_FIELD = re.compile(r"^Scenario .*?\.(start_utc|end_utc|step_s): (.*)$")


def _as_flag_error(err: ModelError, options: RunOptions) -> WattswitchError:
    """A scenario check about a field a flag set, reported against that flag; other errors unchanged."""
    match = _SCENARIO_FIELD.match(str(err))
    if match is None:
        return err
    given = {"--start": options.start, "--end": options.end, "--step": options.step}
    field_flags = {"start_utc": ("--start", "--end"), "end_utc": ("--start", "--end"), "step_s": ("--step",)}
    flags = [flag for flag in field_flags[match.group(1)] if given[flag]]
    if not flags:
        return err
    problem = match.group(2).replace("start_utc", "the start").replace("end_utc", "the end")
    return InputError("/".join(flags), problem)


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
    site: SimulatedSite | CoupledSite
    comparison: Comparison
    notes: tuple[str, ...]


def run_comparison(scenario: Scenario, names: list[str], quiet: bool) -> RunOutcome:
    """Build inputs, then run ``names`` (plus always-on and the oracle) with a progress bar."""
    signals = build_signals(scenario, show_progress=not quiet)
    site = build_site(scenario, signals)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    bar_console = Console(stderr=True)  # no bar (and no blank lines) when stderr is not a terminal
    hidden = quiet or not bar_console.is_terminal
    with Progress(*columns, transient=True, disable=hidden, console=bar_console) as progress:
        result = compare(site, names, _progress_factory(progress, scenario.periods))
    notes = list(signals.notes)
    if site.inputs.filled_price_intervals:
        notes.append(
            f"{site.inputs.filled_price_intervals:,} price intervals bridged with the last known price"
        )
    peak_months_in_run = set(site.site.four_cp_months) & {int(m) for m in site.inputs.local_month}
    part_of_a_year = scenario.periods * scenario.step_s < 365 * 86400
    if part_of_a_year and site.site.four_cp_usd_per_kw_year and peak_months_in_run:
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
    policies: Annotated[
        list[str],
        typer.Option("--policy", "-p", metavar="POLICY",
                     help=f"The one policy to backtest: {', '.join(POLICY_NAMES)}."),
    ] = DEFAULT_POLICY,
    scenario: ScenarioOption = None,
    prices: PricesOption = None,
    hub: HubOption = None,
    day_ahead: DayAheadOption = None,
    bitcoin: BitcoinOption = None,
    load: LoadOption = None,
    jobs: JobsOption = None,
    inference: InferenceOption = None,
    start: StartOption = None,
    end: EndOption = None,
    step: StepOption = None,
    report: ReportOption = None,
    as_json: JsonOption = False,
) -> None:
    """Backtest one policy (graded against always-on and the oracle) and print its money and MWh."""
    names = split_names(policies)
    check_names(names, POLICY_NAMES)
    if len(names) != 1:
        raise InputError("--policy", f"simulate runs one policy, got {len(names)}: {', '.join(names)}",
                         expected="one --policy NAME (use wattswitch compare --policy a,b for several)")
    policy = names[0]
    options = RunOptions(scenario, prices, hub, day_ahead, bitcoin, load, jobs, start, end, step, inference)
    chosen = scenario_for(options)  # bad flags fail here, before the signals are built
    if report is not None:
        check_output_file(report, "--report")
    outcome = run_comparison(chosen, [policy], quiet=as_json)
    payload = comparison_payload(outcome.comparison, [policy])
    if report is not None:
        write_report(report, outcome, focus=policy)
    if as_json:
        typer.echo(json_safe.dumps({**payload, "policy": policy, "notes": list(outcome.notes)}, indent=2))
        return
    console = Console()
    print_run(console, outcome.scenario, payload, scenario_path=scenario, notes=outcome.notes, focus=policy)
    if report is not None:
        console.print(f"report: {report}", highlight=False, soft_wrap=True)


def compare_cmd(
    ctx: typer.Context,
    *,
    policy: Annotated[
        list[str],
        typer.Option("--policy", "-p", metavar="POLICY",
                     help="Policy to run; repeat or comma-separate for several (always-on and the oracle "
                          "always run: they grade the others)."),
    ] = ALL_POLICIES,
    policies: Annotated[
        str | None,
        typer.Option("--policies", metavar="POLICY,...", hidden=True,
                     help="Deprecated spelling of --policy a,b."),
    ] = None,
    scenario: ScenarioOption = None,
    prices: PricesOption = None,
    hub: HubOption = None,
    day_ahead: DayAheadOption = None,
    bitcoin: BitcoinOption = None,
    load: LoadOption = None,
    jobs: JobsOption = None,
    inference: InferenceOption = None,
    start: StartOption = None,
    end: EndOption = None,
    step: StepOption = None,
    report: ReportOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run every policy and the oracle on the same inputs; print profit and capture per policy."""
    if policies is not None and given(ctx, "policy"):
        raise InputError("--policies", "is the old spelling of --policy and both were given",
                         expected="only --policy NAME (repeated or comma-separated)")
    flag = "--policies" if policies is not None else "--policy"
    names = split_names([policies] if policies is not None else policy)
    check_names(names, POLICY_NAMES, flag)
    if policies is not None:  # after the names are checked: an error stays one line
        typer.echo("warning: --policies is deprecated; write --policy a,b (or repeat --policy)", err=True)
    options = RunOptions(scenario, prices, hub, day_ahead, bitcoin, load, jobs, start, end, step, inference)
    chosen = scenario_for(options)  # bad flags fail here, before the signals are built
    if report is not None:
        check_output_file(report, "--report")
    outcome = run_comparison(chosen, names, quiet=as_json)
    payload = comparison_payload(outcome.comparison, names)
    if report is not None:
        honest = [n for n in names if n not in ("always-on", "oracle")]
        focus = honest[0] if honest else (names[0] if names else "always-on")
        write_report(report, outcome, focus=focus)
    if as_json:
        typer.echo(json_safe.dumps({**payload, "notes": list(outcome.notes)}, indent=2))
        return
    console = Console()
    print_run(console, outcome.scenario, payload, scenario_path=scenario, notes=outcome.notes)
    if report is not None:
        console.print(f"report: {report}", highlight=False, soft_wrap=True)


def write_report(path: Path, outcome: RunOutcome, focus: str) -> None:
    """Write the self-contained HTML report atomically."""
    html = render_simulation_report(outcome.scenario, outcome.comparison, focus=focus, notes=outcome.notes)
    write_text_atomic(path, html)
