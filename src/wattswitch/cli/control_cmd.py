"""``wattswitch control``: drive a live site, post grid events, run the local demo."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from wattswitch import json_safe
from wattswitch.errors import InputError

if TYPE_CHECKING:
    from wattswitch.control.controller import StepReport
    from wattswitch.control.demo import DemoResult

app = typer.Typer(
    help="Live control: the backtested policies driving miners (pyasic), Slurm and a price feed.",
    no_args_is_help=False,
    invoke_without_command=True,
)

ConfigOption = Annotated[Path, typer.Option("--config", help="Live-control TOML file (see docs/control.md).")]
EVENT_KINDS = ("demand-response", "4cp")
MAX_DEADLINE_MIN = 366 * 24 * 60.0  # a year ahead; further is a typo (and overflows a date)
MAX_DURATION_MIN = 30 * 24 * 60.0  # as the API: an event holds at most 30 days


def _logging(verbose: bool, quiet_level: int = logging.WARNING) -> None:
    """Logs to stderr through rich (replacing pyasic's own format set at its import)."""
    logging.basicConfig(
        level=logging.INFO if verbose else quiet_level,
        format="%(message)s",
        handlers=[RichHandler(console=Console(stderr=True), show_path=False)],
        force=True,
    )


@app.callback()
def control(
    ctx: typer.Context,
    *,
    config: Annotated[
        Path | None, typer.Option("--config", help="Live-control TOML file (see docs/control.md).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide and journal every interval, touch no equipment.")
    ] = False,
    intervals: Annotated[
        int | None,
        typer.Option("--intervals", min=1, help="Stop after this many intervals (default: run on)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every step.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each step as one line of JSON (JSON Lines).")
    ] = False,
) -> None:
    """Run the controller on a site: observe, decide, journal, apply, confirm — every interval."""
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        raise InputError("wattswitch control", "no --config given", expected="--config site.toml, or `demo`")
    from wattswitch.control.config import load_control_config  # noqa: PLC0415
    from wattswitch.control.wiring import wire  # noqa: PLC0415

    _logging(verbose)
    settings = load_control_config(config)
    console = Console()

    def show(report: StepReport) -> None:
        if as_json:
            typer.echo(json_safe.dumps(_step_plain(report), indent=None))
            return
        o = report.outcome
        modes = f" [red]safe: {', '.join(report.safe_modes)}[/]" if report.safe_modes else ""
        console.print(
            f"{report.at_utc:%Y-%m-%d %H:%M:%S}Z {report.kind} #{report.decision_id}"
            f"{' (resumed)' if report.resumed else ''}: cap {report.cap_mw:.3f} MW, plan "
            f"{report.plan.planned_mw:.3f} MW, {o.sent} sent / {o.acknowledged} ack / {o.failed} failed, "
            f"measured {o.measured_mw_after:.3f} MW{' (dry run)' if o.dry_run else ''}{modes}",
            highlight=False,
        )

    async def go() -> None:
        wired = await wire(settings, dry_run=dry_run, on_step=show)
        try:
            await wired.controller.run(intervals=intervals)
        finally:
            wired.close()

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        console.print("stopped; the journal holds every decision (a restart resumes from it)")


@app.command()
def event(
    *,
    config: ConfigOption,
    target_mw: Annotated[
        float, typer.Option("--target-mw", metavar="MW", min=0.0, help="Site load to be at or below (MW).")
    ],
    kind: Annotated[
        str, typer.Option("--kind", metavar="KIND", help=f"{' or '.join(EVENT_KINDS)}.")
    ] = "demand-response",
    deadline_min: Annotated[
        float,
        typer.Option("--deadline-min", metavar="MIN", min=0.0, max=MAX_DEADLINE_MIN,
                     help="Minutes from now by which to be under target."),
    ] = 0.0,
    duration_min: Annotated[
        float,
        typer.Option("--duration-min", metavar="MIN", min=1.0, max=MAX_DURATION_MIN,
                     help="Minutes the target holds after the deadline."),
    ] = 60.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored event as JSON.")] = False,
) -> None:
    """Post a demand-response or 4CP event for the site; the running controller meets it at once."""
    if kind not in EVENT_KINDS:
        raise InputError("--kind", f"{kind!r}", expected=" or ".join(EVENT_KINDS))
    from wattswitch.control.config import load_control_config  # noqa: PLC0415
    from wattswitch.control.wiring import open_store  # noqa: PLC0415
    from wattswitch.store import live  # noqa: PLC0415

    settings = load_control_config(config)
    store, site_id = open_store(settings.database, settings.site_name)
    now = datetime.now(UTC)
    deadline = now + timedelta(minutes=deadline_min)
    end = deadline + timedelta(minutes=duration_min)
    try:
        with store.write() as session:
            row = live.add_grid_event(
                session,
                site_id,
                kind=kind,
                target_mw=target_mw,
                deadline_utc=deadline,
                end_utc=end,
                source="wattswitch control event",
            )
            event_id = row.id
    finally:
        store.dispose()
    if as_json:
        typer.echo(json_safe.dumps({
            "id": event_id,
            "site": settings.site_name,
            "kind": kind,
            "target_mw": target_mw,
            "deadline_utc": deadline.isoformat().replace("+00:00", "Z"),
            "end_utc": end.isoformat().replace("+00:00", "Z"),
        }, indent=2))
        return
    typer.echo(
        f"grid event #{event_id} ({kind}): at or below {target_mw:g} MW by {deadline:%H:%M:%S}Z "
        f"for {duration_min:g} min; the controller of {settings.site_name!r} acts on its next poll"
    )


@app.command()
def demo(
    *,
    miners: Annotated[int, typer.Option("--miners", min=1, max=5000, help="Fake miners to start.")] = 100,
    fail: Annotated[
        int, typer.Option("--fail", min=0, help="Miners that answer every command with an error.")
    ] = 0,
    hang: Annotated[int, typer.Option("--hang", min=0, help="Miners that never answer.")] = 0,
    lie: Annotated[int, typer.Option("--lie", min=0, help="Miners that acknowledge but keep mining.")] = 0,
    target_share: Annotated[
        float, typer.Option("--target-share", min=0.0, max=1.0, help="DR target as a share of the limit.")
    ] = 0.3,
    timeout_s: Annotated[
        float | None,
        typer.Option(
            "--timeout-s",
            min=0.001,
            help="Seconds one command or reading may take. Default: 1 s + 1 ms per miner (1.1 s for 100).",
            show_default=False,
        ),
    ] = None,
    discovery_timeout_s: Annotated[
        float | None,
        typer.Option(
            "--discovery-timeout-s",
            min=0.001,
            help="Seconds one identification may take on the first pass (retry passes double it). "
            "Default: scaled, --timeout-s + 20 ms per identification in flight (at most 128), "
            "times the load average per CPU when above 1 (3.1 s for 100 miners on an idle machine).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the measurements as JSON.")] = False,
) -> None:
    """Start fake miners and a replayed price feed locally, run a demand-response event, report."""
    from wattswitch.control.demo import run_demo  # noqa: PLC0415

    _logging(verbose=False, quiet_level=logging.ERROR)  # the demo's own event is no warning

    console = Console()
    say = (lambda _line: None) if as_json else (lambda line: console.print(line, highlight=False))
    if fail + hang + lie > miners:
        raise InputError(
            "--fail/--hang/--lie", f"{fail + hang + lie} faulty miners", expected=f"at most {miners}"
        )
    result = asyncio.run(
        run_demo(
            miners,
            fail=fail,
            hang=hang,
            lie=lie,
            target_share=target_share,
            timeout_s=timeout_s,
            discovery_timeout_s=discovery_timeout_s,
            say=say,
        )
    )
    if as_json:
        typer.echo(json_safe.dumps(asdict(result), indent=2))
    else:
        _print_demo(console, result)
    if not result.target_reached:  # a demo that misses its target says so in its exit code too
        raise typer.Exit(1)



def _print_demo(console: Console, result: DemoResult) -> None:
    """The demo's measurements as a table, its failures and its journal."""
    table = Table(title=f"Demand response on {result.miners} fake miners (pyasic over TCP)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    passes = "pass" if result.discovery_passes == 1 else "passes"
    rows = [
        (
            "miners identified",
            f"{result.identified} of {result.miners} in {result.discovery_s:.2f} s "
            f"({result.discovery_passes} {passes})",
        ),
        ("site limit / DR target", f"{result.limit_mw:.3f} / {result.target_mw:.3f} MW"),
        ("faulty miners", ", ".join(f"{k} {v}" for k, v in result.faulty.items())),
        ("trigger → every reduction answered", _seconds(result.trigger_to_acks_s)),
        ("trigger → metered load under target", _seconds(result.time_to_target_s)),
        ("commands sent / acknowledged / failed", f"{result.sent} / {result.acknowledged} / {result.failed}"),
        ("extra stops for lying miners", str(result.emergency_stops)),
        ("preemptible jobs paused", str(result.jobs_suspended)),
        ("metered load before → after", f"{result.metered_mw_before:.3f} → {result.metered_mw_after:.3f} MW"),
        (
            "over target once reached (max)",
            f"{result.max_over_cap_mw:.3f} MW" if result.target_reached
            else f"— (not reached: {result.metered_mw_after - result.target_mw:.3f} MW over at the end)",
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    for failure in result.failures:
        console.print(f"  failed: {failure}", highlight=False)
    failed = f"; {result.failed} command(s) failed (see above)" if result.failed else ""
    console.print(f"journal: {len(result.decisions)} decisions, state {_states(result.decisions)}{failed}")
    if not result.target_reached:
        console.print("[bold red]the demand-response target was not reached[/] (exit code 1)")


def _step_plain(report: StepReport) -> dict[str, object]:
    """One step as JSON-ready data (``control --json``)."""
    return {
        "at_utc": report.at_utc.isoformat(),
        "kind": report.kind,
        "decision_id": report.decision_id,
        "resumed": report.resumed,
        "safe_modes": list(report.safe_modes),
        "cap_mw": round(report.cap_mw, 6),
        "planned_mw": round(report.plan.planned_mw, 6),
        "training_nodes": report.plan.training_nodes,
        "outcome": report.outcome.plain(),
    }


def _seconds(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.3f} s"


def _states(decisions: list[tuple[str, str, str]]) -> str:
    return ", ".join(sorted({state for _, _, state in decisions})) or "none"
