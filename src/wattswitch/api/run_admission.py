"""Admitting a run: the queue caps (over every server on the database, and per API key), then the
row leased to this server and handed to its worker. The API and the dashboard both queue through here."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from wattswitch.api.settings import Settings
from wattswitch.api.worker import RunWorker
from wattswitch.errors import WattswitchError
from wattswitch.store import repo
from wattswitch.store.db import Store

SECONDS_PER_QUEUED_RUN = 15.0  # a week-long comparison on the default site, on this class of machine


class TooManyRuns(WattswitchError):  # noqa: N818 - reads as the HTTP status it becomes
    """The run queue is full (for everyone, or for this key): try again after ``retry_after_s``."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def check_room(store: Store, settings: Settings, key_id: int | None) -> None:
    """TooManyRuns when the queue is full, overall or for this key: two counts, checked before any
    costly validation, so a flood is refused cheaply."""
    with store.read() as session:
        _check_room(session, settings, key_id)


def queue_run(
    store: Store,
    worker: RunWorker,
    settings: Settings,
    *,
    scenario_id: int,
    policies: list[str],
    config: dict[str, Any],
    tenant_id: int | None = None,
    key_id: int | None = None,
) -> int:
    """Store a queued run and hand it to the worker; TooManyRuns when a cap is reached."""
    with store.write() as session:
        _check_room(session, settings, key_id)  # again, in the transaction that adds the run
        run_id = repo.create_run(
            session, scenario_id, policies, config, tenant_id, owner=worker.owner, key_id=key_id
        ).id
    worker.submit(run_id)
    return run_id


def _check_room(session: Session, settings: Settings, key_id: int | None) -> None:
    active = repo.active_runs(session)
    wait_s = _retry_after_s(active, settings.run_workers)
    if active >= settings.max_active_runs:
        raise TooManyRuns(
            f"{active} runs are queued or running (at most {settings.max_active_runs}); "
            f"try again in {wait_s} s",
            wait_s,
        )
    if key_id is not None:
        mine = repo.active_runs(session, key_id)
        if mine >= settings.max_active_runs_per_key:
            raise TooManyRuns(
                f"this key has {mine} runs queued or running (at most "
                f"{settings.max_active_runs_per_key}); try again in {wait_s} s",
                wait_s,
            )


def _retry_after_s(active_runs: int, workers: int) -> int:
    return int(min(600, max(5, math.ceil(active_runs / workers) * SECONDS_PER_QUEUED_RUN)))
