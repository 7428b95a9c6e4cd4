"""The ``wattswitch`` command: builds configuration once, calls the core, prints results."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from wattswitch import __version__
from wattswitch.cli import (
    control_cmd,
    data_cmd,
    plan_cmd,
    scenario_cmd,
    schedule_cmd,
    serve_cmd,
    simulate_cmd,
)
from wattswitch.errors import WattswitchError

app = typer.Typer(
    name="wattswitch",
    help="Decide where a power-first data center's megawatts go: AI compute, Bitcoin mining or the grid.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(scenario_cmd.app, name="scenario")
app.add_typer(data_cmd.app, name="data")
app.command(name="plan")(plan_cmd.plan)
app.command(name="simulate")(simulate_cmd.simulate)
app.command(name="compare")(simulate_cmd.compare_cmd)
app.command(name="schedule")(schedule_cmd.schedule)
app.command(name="serve")(serve_cmd.serve)
app.add_typer(control_cmd.app, name="control")
app.add_typer(serve_cmd.keys_app, name="keys")


@app.command()
def version() -> None:
    """Print the installed version."""
    typer.echo(__version__)


def main() -> None:
    """Entry point: run the app; known errors become one red line and exit code 2."""
    try:
        app(standalone_mode=False)
    except WattswitchError as err:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        Console(stderr=True).print("[red]aborted[/]")
        sys.exit(1)
    except Exception as err:  # click usage errors arrive here in non-standalone mode
        import click  # noqa: PLC0415

        if isinstance(err, click.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise
