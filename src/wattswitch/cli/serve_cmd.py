"""``wattswitch serve``: the API and the dashboard on one port (127.0.0.1 by default)."""

from __future__ import annotations

from typing import Annotated, Any

import typer


def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8765).", min=1, max=65535)] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="SQLite file or postgresql:// URL (default ./wattswitch.db; "
                     "env WATTSWITCH_DATABASE_URL)."),
    ] = None,
    no_seed: Annotated[
        bool, typer.Option("--no-seed", help="Do not load the default site and scenario.")
    ] = False,
) -> None:
    """Serve the REST API and the dashboard; print the URL and, on first start, an admin key."""
    # The service stack loads only for this command, so the other commands start fast.
    import uvicorn  # noqa: PLC0415

    from wattswitch.api.app import create_app  # noqa: PLC0415
    from wattswitch.api.bootstrap import bootstrap  # noqa: PLC0415
    from wattswitch.api.settings import Settings  # noqa: PLC0415
    from wattswitch.store.db import Store  # noqa: PLC0415

    overrides: dict[str, Any] = {"host": host, "port": port, "database_url": database_url}
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    store = Store(settings.database_url)
    store.upgrade()
    first = bootstrap(store, seed_default=not no_seed)
    app = create_app(settings, store=store)
    url = f"http://{settings.host}:{settings.port}/"
    typer.echo(f"wattswitch {app.version}: database {store.url}")
    if first.site_created:
        typer.echo("loaded the default site and scenario")
    if first.admin_secret is not None:
        typer.echo(f"admin API key (shown once, keep it): {first.admin_secret}")
    typer.echo(f"dashboard {url}  ·  API {url}api/v1/  ·  docs {url}api/v1/docs")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
