"""``wattswitch data``: inspect what a data file holds before a run uses it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from wattswitch import json_safe
from wattswitch.cli.render import (
    field_stats_table,
    histogram_table,
    label,
    print_table,
    print_text,
    series_overview,
    series_stats_table,
)
from wattswitch.data.inspect import KINDS, Kind, inspect_file

app = typer.Typer(help="Inspect data files (prices, system load, bitcoin, jobs, inference).",
                  no_args_is_help=True)


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="CSV / CSV.GZ / JSONL file to read.")],
    kind: Annotated[
        Kind | None,
        typer.Option("--kind", "-k", metavar="KIND",
                     help=f"What the file holds: {', '.join(KINDS)} (default: guessed from its header)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Read a file with the project's loader and print rows, span, step, gaps and statistics."""
    summary = inspect_file(path, kind)
    if as_json:
        typer.echo(json_safe.dumps(summary, indent=2))
        return
    console = Console()
    unit = label(str(summary["unit"])) if summary.get("unit") else None
    what = f"{summary['kind']}, {unit}" if unit and unit != "per_column" else summary["kind"]
    print_text(console, f"[bold]{escape(str(path))}[/] ({escape(str(what))})", indent=4)
    if summary["kind"] in ("prices", "load", "bitcoin"):
        print_text(console, escape(series_overview(summary)), indent=2)
        print_table(console, series_stats_table("", {"": summary}))
    elif summary["kind"] == "jobs":
        duration = summary["duration_s"]
        print_text(
            console,
            f"{summary['jobs']:,} jobs over {summary['span_s'] / 86400:,.1f} days, "
            f"{summary['total_gpu_hours']:,.0f} GPU-hours; duration mean {duration['mean']:,.0f} s, "
            f"median {duration['median']:,.0f} s, max {duration['max']:,.0f} s",
            indent=2,
        )
        print_table(console, histogram_table("jobs by GPU count", summary["gpu_count_histogram"]))
    else:
        print_text(
            console,
            f"{summary['requests']:,} requests over {summary['span_s']:,.0f} s "
            f"({summary['mean_requests_per_s']} per s)",
            indent=2,
        )
        print_table(console, field_stats_table(summary["series"]))
