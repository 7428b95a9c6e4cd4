"""``wattswitch data``: inspect what a data file holds before a run uses it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wattswitch.cli.render import histogram_table, series_overview, series_stats_table
from wattswitch.data.inspect import Kind, inspect_file

app = typer.Typer(help="Inspect data files (prices, bitcoin, jobs, inference).", no_args_is_help=True)


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(help="CSV / CSV.GZ / JSONL file to read.")],
    kind: Annotated[
        Kind | None,
        typer.Option("--kind", "-k", help="What the file holds (guessed from its header if omitted)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Read a file with the project's loader and print rows, span, step, gaps and statistics."""
    summary = inspect_file(path, kind)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console = Console()
    console.print(f"[bold]{path}[/] ({summary['kind']})", highlight=False)
    if summary["kind"] in ("prices", "bitcoin"):
        console.print(series_overview(summary), highlight=False)
        console.print(series_stats_table("", {"": summary}))
    elif summary["kind"] == "jobs":
        duration = summary["duration_s"]
        console.print(
            f"{summary['jobs']:,} jobs over {summary['span_s'] / 86400:,.1f} days, "
            f"{summary['total_gpu_hours']:,.0f} GPU-hours; duration mean {duration['mean']:,.0f} s, "
            f"median {duration['median']:,.0f} s, max {duration['max']:,.0f} s",
            highlight=False,
        )
        console.print(histogram_table("jobs by GPU count", summary["gpu_count_histogram"]))
    else:
        console.print(
            f"{summary['requests']:,} requests over {summary['span_s']:,.0f} s "
            f"({summary['mean_requests_per_s']} per s)",
            highlight=False,
        )
        table = Table(show_header=True)
        for header in ("field", "mean", "min", "max"):
            table.add_column(header)
        for field, stats in summary["series"].items():
            table.add_row(field, *(_num(stats[k]) for k in ("mean", "min", "max")))
        console.print(table)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"
