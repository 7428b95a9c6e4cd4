"""Service settings (pydantic-settings): built once at the entry point and passed to
:func:`wattswitch.api.app.create_app`, never read at import time.

Environment variables: ``WATTSWITCH_DATABASE_URL``, ``WATTSWITCH_HOST``, ``WATTSWITCH_PORT``,
``WATTSWITCH_RUN_WORKERS``, ``WATTSWITCH_MAX_RUN_DAYS``, ``WATTSWITCH_RUN_LEASE_S``,
``WATTSWITCH_MAX_ACTIVE_RUNS``, ``WATTSWITCH_MAX_ACTIVE_RUNS_PER_KEY``, ``WATTSWITCH_MAX_BODY_BYTES``,
and ``WATTSWITCH_DATA`` (the folder
scenario files may read price/bitcoin/load/job files from; without it only generated signals run).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from wattswitch.store.db import default_database_url


class Settings(BaseSettings):
    """Where the database is, where to listen, and the limits of background runs."""

    model_config = SettingsConfigDict(env_prefix="WATTSWITCH_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    run_workers: int = Field(default=1, ge=1, le=16)
    max_run_days: int = Field(default=366, ge=1, le=3660)
    progress_interval_s: float = Field(default=0.25, ge=0.0)
    # A server renews its runs' lease every third of this; another server fails them once it lapses.
    run_lease_s: float = Field(default=30.0, ge=0.5, le=3600.0)
    # Runs queued or running at once, over every server on the database and per API key (429 beyond).
    max_active_runs: int = Field(default=32, ge=1, le=10_000)
    max_active_runs_per_key: int = Field(default=8, ge=1, le=10_000)
    # A request body above this is refused (413) before it is read; a scenario file is ~10 kB.
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=1024**3)
    data_dir: Path | None = Field(default=None, validation_alias=AliasChoices("WATTSWITCH_DATA", "data_dir"))
