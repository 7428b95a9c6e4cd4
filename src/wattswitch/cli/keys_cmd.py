"""``wattswitch keys reset-admin``: a new admin API key straight in the database, for when the first
one (printed once by ``wattswitch serve``) is lost. Optionally revokes every older admin key."""

from __future__ import annotations

from typing import Annotated

import typer

from wattswitch import json_safe
from wattswitch.cli import service_db

app = typer.Typer(
    help="API keys of the service, straight in its database (no server needed).", no_args_is_help=True
)


@app.command("reset-admin")
def reset_admin(
    database_url: service_db.DatabaseUrlOption = None,
    revoke_old: Annotated[
        bool, typer.Option("--revoke-old", help="Revoke every other admin key (a leaked key stops working).")
    ] = False,
    name: Annotated[
        str, typer.Option("--name", help="Name of the new key.")
    ] = "admin (wattswitch keys reset-admin)",
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"key": ..., "role": "admin"} instead.')
    ] = False,
) -> None:
    """Create a new admin API key and print it once (only its hash is stored)."""
    from wattswitch.store import repo  # noqa: PLC0415

    settings = service_db.settings_from(database_url=database_url)
    source = service_db.database_source(database_url is not None)
    store = service_db.open_store(settings.database_url, source=source, existing=True)
    try:
        with store.write() as session:
            old = [k.id for k in repo.list_keys(session) if k.role == "admin" and k.revoked_at is None]
            row, secret = repo.create_key(session, name.strip()[:200] or "admin", "admin")
            if revoke_old:
                for key_id in old:
                    repo.revoke_key(session, key_id)
            key_id = row.id
            revoked = len(old) if revoke_old else 0
    finally:
        store.dispose()
    if as_json:
        answer = {"key": secret, "role": "admin", "id": key_id, "revoked": revoked}
        typer.echo(json_safe.dumps(answer, indent=None))
        return
    typer.echo(f"admin API key (shown once, keep it): {secret}")
    if revoke_old:
        typer.echo(f"revoked {revoked} older admin key{'' if revoked == 1 else 's'}", err=True)
