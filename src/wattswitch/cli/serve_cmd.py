"""``wattswitch serve``: the API and the dashboard on one port (127.0.0.1 by default)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from wattswitch.cli import keys_cmd, service_db


def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8765).", min=1, max=65535)] = None,
    database_url: service_db.DatabaseUrlOption = None,
    no_seed: Annotated[
        bool, typer.Option("--no-seed", help="Do not load the default site and scenario.")
    ] = False,
) -> None:
    """Serve the REST API and the dashboard; print the URL and, on first start, an admin key.

    The port is bound and the database opened and migrated before anything is announced: when either
    fails, one line names the flag and the fix (exit 2). Logs go to stderr; stdout carries only the
    URL and the first admin key.
    """
    # The service stack loads only for this command, so the other commands start fast.
    import uvicorn  # noqa: PLC0415

    from wattswitch.api.app import create_app  # noqa: PLC0415
    from wattswitch.api.bootstrap import bootstrap  # noqa: PLC0415

    settings = service_db.settings_from(host=host, port=port, database_url=database_url)
    sock = service_db.bind(settings.host, settings.port)
    try:
        source = service_db.database_source(database_url is not None)
        store = service_db.open_store(settings.database_url, source=source)
        first = bootstrap(store, seed_default=not no_seed)
        app = create_app(settings, store=store)
    except BaseException:
        sock.close()
        raise
    bound_port = int(sock.getsockname()[1])
    url = f"http://{_url_host(settings.host)}:{bound_port}/"
    typer.echo(f"wattswitch {app.version}: database {service_db.shown_url(store.url)}", err=True)
    if first.site_created:
        typer.echo("loaded the default site and scenario", err=True)
    if first.admin_secret is not None:
        typer.echo(f"admin API key (shown once, keep it): {first.admin_secret}")
    typer.echo(f"dashboard {url}  ·  API {url}api/v1/  ·  docs {url}api/v1/docs")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# ``wattswitch keys …`` (replace a lost admin key) lives beside serve: registered from here so that
# cli/main.py needs one line for it.
keys_app = keys_cmd.app
