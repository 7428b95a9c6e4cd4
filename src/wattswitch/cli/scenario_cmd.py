"""``wattswitch scenario``: show the embedded default scenario (or a TOML file) and save it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from wattswitch import json_safe
from wattswitch.cli.options import check_output_file
from wattswitch.cli.render import (
    print_all,
    print_table,
    print_text,
    scenario_tables,
    series_overview,
    series_stats_table,
)
from wattswitch.data.inspect import summarize_jobs, summarize_series
from wattswitch.data.scenario_file import load_scenario, save_scenario
from wattswitch.data.signals import build_signals
from wattswitch.model import scenario_bounds
from wattswitch.model.codec import to_plain
from wattswitch.model.default_scenario import default_scenario
from wattswitch.model.scenario import Scenario

app = typer.Typer(help="Show, save and check scenarios.", no_args_is_help=True)

ScenarioOption = Annotated[
    Path | None,
    typer.Option("--scenario", "-s", metavar="FILE",
                 help="Scenario TOML file (default: the embedded scenario)."),
]


def resolve_scenario(path: Path | None) -> Scenario:
    """The scenario in ``path``, or the embedded default when no path is given."""
    return default_scenario() if path is None else load_scenario(path)


def _jsonable(value: object) -> object:
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    raise TypeError(f"not JSON serialisable: {value!r}")


@app.command()
def show(
    scenario: ScenarioOption = None,
    signals: Annotated[
        bool, typer.Option("--signals", help="Also build the scenario's signals and summarise them.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the scenario: site, fleets, contracts, tenants, workloads and horizon."""
    chosen = resolve_scenario(scenario)
    built = build_signals(chosen, show_progress=not as_json) if signals else None
    if as_json:
        payload: dict[str, object] = {
            "scenario": to_plain(chosen),
            "derived": {
                "facility_nameplate_mw": round(chosen.facility_nameplate_mw, 4),
                "asic_nameplate_mw": round(chosen.asic_nameplate_mw, 4),
                "gpu_nameplate_mw": round(chosen.gpu_nameplate_mw, 4),
                "periods": chosen.periods,
            },
        }
        if built is not None:
            payload["signals"] = {name: summarize_series(s) for name, s in built.series.items()}
            if built.training_jobs is not None:
                payload["training_jobs"] = summarize_jobs(built.training_jobs)
        typer.echo(json_safe.dumps(payload, indent=2, default=_jsonable))
        return
    console = Console()
    print_all(console, scenario_tables(chosen, scenario))
    if built is not None:
        summaries = {name: summarize_series(s) for name, s in built.series.items()}
        first = next(iter(summaries.values()))
        print_text(console, f"Signals on the scenario's grid: {escape(series_overview(first))}", indent=2)
        print_table(console, series_stats_table("", summaries))
        if built.training_jobs is not None:
            jobs = summarize_jobs(built.training_jobs)
            print_text(
                console,
                f"training jobs: {jobs['jobs']:,} jobs, {jobs['total_gpu_hours']:,.0f} GPU-hours, "
                f"median {jobs['duration_s']['median']:,.0f} s",
                indent=2,
            )
        for line in built.notes:
            print_text(console, f"[yellow]note:[/] {escape(line)}", indent=2)


@app.command()
def save(
    out: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write the TOML file.")],
    scenario: ScenarioOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write the scenario (default: the embedded one) to a TOML file you can edit."""
    check_output_file(out, "", overwrite=force, example="scenario.toml")
    chosen = resolve_scenario(scenario)
    save_scenario(chosen, out)
    typer.echo(f"wrote scenario '{chosen.name}' to {out}")


@app.command()
def check(path: Annotated[Path, typer.Argument(metavar="FILE", help="Scenario TOML file.")]) -> None:
    """Validate a scenario file; exit 0 and say so when it is good."""
    chosen = load_scenario(path)
    for note in scenario_bounds.unusual(chosen):
        typer.echo(f"warning: {path}: {note}", err=True)
    typer.echo(
        f"ok: scenario '{chosen.name}', {chosen.periods:,} intervals, "
        f"nameplate {chosen.facility_nameplate_mw:.1f} MW vs limit {chosen.site.interconnect_limit_mw:g} MW"
    )
