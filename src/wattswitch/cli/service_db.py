"""The service's database and address for the commands that use them (``serve``, ``keys``): opened,
migrated and bound up front, or one :class:`~wattswitch.errors.WattswitchError` naming the flag at
fault and the fix (the CLI prints it as one line and exits 2, never a traceback).

The service stack (SQLAlchemy, Alembic) is imported inside the functions, so the other commands
start fast.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wattswitch.errors import WattswitchError

if TYPE_CHECKING:
    from wattswitch.api.settings import Settings
    from wattswitch.store.db import Store

DATABASE_ENV = "WATTSWITCH_DATABASE_URL"
URL_FORMS = "a SQLite file path, sqlite:////abs/path.db or postgresql://USER@HOST:PORT/DB"

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        metavar="URL",
        help="SQLite file or postgresql:// URL (default ./wattswitch.db; env WATTSWITCH_DATABASE_URL).",
    ),
]


class ServiceStartError(WattswitchError):
    """The service cannot start: says which flag (or variable) is at fault and how to fix it."""


def database_source(flag_given: bool) -> str:
    """Where the database URL came from: the flag, the environment variable, or the default."""
    if flag_given or DATABASE_ENV not in os.environ:
        return "--database-url"
    return DATABASE_ENV


def settings_from(**flags: object) -> Settings:
    """The service settings: the flags given (not None) over the environment, or one line naming the
    flag or variable that is invalid."""
    from pydantic import ValidationError  # noqa: PLC0415

    from wattswitch.api.settings import Settings  # noqa: PLC0415

    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as err:
        problem = err.errors()[0]
        name = str(problem["loc"][0]) if problem["loc"] else "setting"
        env = "WATTSWITCH_DATA" if name == "data_dir" else f"WATTSWITCH_{name.upper()}"
        where = f"--{name.replace('_', '-')}" if name in given else env
        raise ServiceStartError(
            f"{where}: {problem['msg']} (got {problem.get('input')!r}); fix the value"
        ) from err


def shown_url(url: str) -> str:
    """The URL with any password masked."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _first_line(err: BaseException) -> str:
    """The driver's own first line (``connection refused``, ``unable to open database file`` …)."""
    cause = getattr(err, "orig", None) or err
    lines = [line.strip() for line in str(cause).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def _sqlite_fix(path: Path, reason: str) -> str:
    folder = path.parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist; create it or pass another --database-url"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return (
            f"{path} and its folder must be writable by this user; fix the permissions or pass another "
            "--database-url"
        )
    if "not a database" in reason:
        return f"{path} is not a SQLite database (or is damaged); pass another --database-url"
    return f"check {path} and its folder (permissions, free space), or pass another --database-url"


def open_store(url: str, *, source: str = "--database-url", existing: bool = False) -> Store:
    """A :class:`Store` on ``url``, connected and migrated to the newest schema. With ``existing``
    the database must already be a wattswitch database (a mistyped path is not created empty).

    Raises :class:`ServiceStartError` for a malformed URL, an unknown driver, a database that cannot
    be reached or opened, or a schema this version does not know.
    """
    from alembic.util.exc import CommandError  # noqa: PLC0415
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from wattswitch.errors import InputError  # noqa: PLC0415
    from wattswitch.store.db import Store  # noqa: PLC0415

    try:
        store = Store(url)
    except InputError as err:
        raise ServiceStartError(f"{source} {url!r}: {err.problem}; give {URL_FORMS}") from err
    shown = shown_url(url if "://" in url else store.url)
    database = store.engine.url.database or ""
    if existing and store.backend == "sqlite" and not Path(database).is_file():
        store.dispose()
        raise ServiceStartError(
            f"{source} {shown}: no such file; give the database `wattswitch serve` uses (--database-url)"
        )
    try:
        if existing and "api_keys" not in store.tables():
            store.dispose()
            raise ServiceStartError(
                f"{source} {shown}: not a wattswitch database (no api_keys table); give the database "
                "`wattswitch serve` uses (--database-url)"
            )
        store.upgrade()
    except CommandError as err:
        store.dispose()
        raise ServiceStartError(
            f"{source} {shown}: its schema is not one this wattswitch knows ({_first_line(err)}); "
            "upgrade wattswitch or pass another --database-url"
        ) from err
    except SQLAlchemyError as err:
        store.dispose()
        reason = _first_line(err)
        if store.backend == "sqlite":
            fix = _sqlite_fix(Path(database), reason) if database else "pass a file path with --database-url"
            raise ServiceStartError(
                f"{source} {shown}: cannot open the SQLite file ({reason}); {fix}"
            ) from err
        raise ServiceStartError(
            f"{source} {shown}: cannot reach the database ({reason}); start the server, check the host, "
            "port, user and database name, or pass another --database-url"
        ) from err
    return store


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (not yet listening), or :class:`ServiceStartError`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as err:
        raise ServiceStartError(
            f"--host {host!r}: not an address of this machine ({err}); give an IP address such as "
            "127.0.0.1 or 0.0.0.0"
        ) from err
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as err:
        sock.close()
        reason = err.strerror or str(err)
        if err.errno == errno.EADDRINUSE:
            raise ServiceStartError(
                f"--port {port}: {host}:{port} is already in use; stop what listens there or pass "
                "another --port"
            ) from err
        if err.errno == errno.EACCES:  # ports below 1024 need privileges
            raise ServiceStartError(
                f"--port {port}: not allowed to bind {host}:{port} ({reason}); pass a --port above 1023"
            ) from err
        raise ServiceStartError(
            f"--host {host} --port {port}: cannot bind ({reason}); pass an address of this machine "
            "with --host (127.0.0.1, 0.0.0.0) or another --port"
        ) from err
    sock.set_inheritable(True)
    return sock
