"""``wattswitch data``: inspect what a data file holds before a run uses it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wattswitch.cli.render import histogram_table, series_stats_table, step_label
from wattswitch.data.inspect import KINDS, Kind, inspect_file

app = typer.Typer(help="Inspect data files (prices, system load, bitcoin, jobs, inference).",
                  no_args_is_help=True)
UNIT_LABELS = {"usd_per_mwh": "$/MWh", "mw": "MW", "usd_per_ph_day": "$/PH/day"}


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
        typer.echo(json.dumps(summary, indent=2))
        return
    console = Console()
    unit = UNIT_LABELS.get(str(summary.get("unit")), summary.get("unit"))
    what = f"{summary['kind']}, {unit}" if unit and unit != "per_column" else summary["kind"]
    console.print(f"[bold]{escape(str(path))}[/] ({what})", highlight=False)
    if summary["kind"] in ("prices", "load", "bitcoin"):
        console.print(series_line(summary), highlight=False)
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


def duration_text(seconds: float) -> str:
    """``2 h 15 min``, ``43 d 10 h``, ``15 min``, ``45 s``: the two largest units that are not zero."""
    left = round(seconds)
    parts = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if left >= size:
            parts.append(f"{left // size:,} {unit}")
            left %= size
        elif parts:
            break
        if len(parts) == 2:
            break
    return " ".join(parts) or "0 s"


def series_line(summary: dict[str, Any]) -> str:
    """Rows, step and span of a series, and its gaps as lengths of time (not interval counts)."""
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


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"
