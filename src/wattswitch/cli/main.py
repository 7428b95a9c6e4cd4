"""The ``wattswitch`` command: builds configuration once, calls the core, prints results."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

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
from wattswitch.cli.usage import (
    USAGE_EXIT_CODE,
    CommandLineError,
    WattswitchGroup,
    explain,
    is_abort,
    is_click_error,
    is_exit,
    message_of,
)
from wattswitch.errors import WattswitchError

app = typer.Typer(
    name="wattswitch",
    cls=WattswitchGroup,
    help="Decide where a power-first data center's megawatts go: AI compute, Bitcoin mining or the grid.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(scenario_cmd.app, name="scenario", cls=WattswitchGroup)
app.add_typer(data_cmd.app, name="data", cls=WattswitchGroup)
app.command(name="plan")(plan_cmd.plan)
app.command(name="simulate")(simulate_cmd.simulate)
app.command(name="compare")(simulate_cmd.compare_cmd)
app.command(name="schedule")(schedule_cmd.schedule)
app.command(name="serve")(serve_cmd.serve)
app.add_typer(control_cmd.app, name="control", cls=WattswitchGroup)
app.add_typer(serve_cmd.keys_app, name="keys", cls=WattswitchGroup)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the installed version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Decide where a power-first data center's megawatts go: AI compute, Bitcoin mining or the grid."""


@app.command()
def version() -> None:
    """Print the installed version."""
    typer.echo(__version__)


def _error_line(message: str) -> None:
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the app; usage mistakes and known errors become one red line and exit code 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        outcome = app(args=args, prog_name="wattswitch", standalone_mode=False)
    except CommandLineError as err:
        if err.usage:
            typer.echo(err.usage, err=True)
        _error_line(str(err))
        sys.exit(USAGE_EXIT_CODE)
    except WattswitchError as err:
        _error_line(str(err))
        sys.exit(USAGE_EXIT_CODE)
    except Exception as err:  # typer/click exceptions of either hierarchy (see cli/usage.py)
        if is_exit(err):
            sys.exit(getattr(err, "exit_code", 0))
        if is_abort(err):
            Console(stderr=True).print("[red]aborted[/]")
            sys.exit(1)
        if is_click_error(err):
            code = getattr(err, "exit_code", 1)
            root = typer.main.get_command(app) if isinstance(app, typer.Typer) else None
            _error_line(explain(err, args, root) if code == USAGE_EXIT_CODE else message_of(err))
            sys.exit(code)
        raise
    sys.exit(outcome if isinstance(outcome, int) else 0)
