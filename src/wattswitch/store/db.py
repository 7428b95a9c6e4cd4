"""The database: an engine for a URL (SQLite file by default, PostgreSQL by URL), sessions whose
writes commit whole or not at all, and the Alembic upgrade run programmatically.

SQLite: WAL journal, a busy timeout, and write transactions opened with ``BEGIN IMMEDIATE`` so
that concurrent writers queue for the lock instead of failing half-way ("database is locked" on
a read-to-write upgrade). PostgreSQL: psycopg 3 (``postgresql://`` URLs are mapped to it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from wattswitch.errors import InputError

ALEMBIC_DIR = Path(__file__).parent / "alembic"
_IMMEDIATE = "wattswitch_immediate"


def normalise_url(url: str) -> str:
    """``postgresql://`` / ``postgres://`` → the psycopg 3 driver; a bare path → a SQLite file URL."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_database_url() -> str:
    """A SQLite file ``wattswitch.db`` in the working directory."""
    return normalise_url("wattswitch.db")


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        if url not in ("sqlite://", "sqlite:///:memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (see :func:`normalise_url`); a malformed URL is an InputError."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise InputError(
            "database URL",
            f"cannot parse {url!r}",
            expected="sqlite:///FILE or postgresql://USER@HOST:PORT/DB",
        ) from err
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        # libpq waits for an unreachable host as long as TCP does; give up after 10 s (unless the
        # URL says otherwise: ?connect_timeout=N).
        timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=timeout)
    except (NoSuchModuleError, ArgumentError, ImportError) as err:
        raise InputError(
            "database URL",
            f"no database driver for {parsed.drivername!r}",
            expected="sqlite:///FILE or postgresql://USER@HOST:PORT/DB",
        ) from err


class Store:
    """One database: sessions for reading and for writing, and the schema upgrade."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.backend = self.engine.dialect.name
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        writer_engine = self.engine.execution_options(**{_IMMEDIATE: True})
        self._writer = sessionmaker(writer_engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (creates it on an empty database)."""
        with self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def tables(self) -> set[str]:
        """Names of the tables in the database."""
        return set(inspect(self.engine).get_table_names())

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (rolled back at the end)."""
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes are committed together when the block ends, or not at all."""
        with self._writer() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the package's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
