"""Stored state of live control: grid events, alerts, decision outcomes and crash recovery.

Each function works on a session the caller opened with ``Store.read()`` / ``Store.write()``.
The decision journal itself (``journal_decision``, ``advance_decision``) lives in ``repo``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wattswitch.store.models import (
    ALERT_KINDS,
    GRID_EVENT_KINDS,
    SUPERSEDED,
    AlertRow,
    DecisionRow,
    GridEventRow,
    SiteRow,
    utc_now,
)
from wattswitch.store.repo import NotFound, StateError, get


def add_grid_event(
    session: Session,
    site_id: int,
    *,
    kind: str,
    target_mw: float,
    deadline_utc: datetime,
    end_utc: datetime,
    source: str,
) -> GridEventRow:
    """Record a demand-response or 4CP alert for a site (checked: kind, target ≥ 0, end after deadline)."""
    get(session, SiteRow, site_id, "site")
    if kind not in GRID_EVENT_KINDS:
        raise StateError(f"grid event kind {kind!r}; choose from {', '.join(GRID_EVENT_KINDS)}")
    if not math.isfinite(target_mw) or target_mw < 0:
        raise StateError(f"grid event target_mw must be a finite number ≥ 0, got {target_mw}")
    if end_utc <= deadline_utc:
        raise StateError("grid event must end after its deadline (duration > 0)")
    row = GridEventRow(
        site_id=site_id,
        kind=kind,
        target_mw=target_mw,
        deadline_utc=deadline_utc,
        end_utc=end_utc,
        source=source,
    )
    session.add(row)
    session.flush()
    return row


def grid_events_of(
    session: Session, site_id: int, *, active_at: datetime | None = None, limit: int | None = None
) -> Sequence[GridEventRow]:
    """A site's grid events, newest first; with ``active_at``, only those not cancelled nor ended then;
    with ``limit``, at most that many."""
    query = select(GridEventRow).where(GridEventRow.site_id == site_id).order_by(GridEventRow.id.desc())
    if active_at is not None:
        query = query.where(GridEventRow.cancelled_at.is_(None), GridEventRow.end_utc > active_at)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def mark_grid_event(
    session: Session, event_id: int, *, acknowledged: bool = False, met: bool = False
) -> None:
    """Stamp when the controller first saw an event and first met its target (first stamp wins)."""
    row = get(session, GridEventRow, event_id, "grid event")
    now = utc_now()
    if acknowledged and row.acknowledged_at is None:
        row.acknowledged_at = now
    if met and row.met_at is None:
        row.met_at = now


def cancel_grid_event(session: Session, event_id: int) -> GridEventRow:
    """Cancel an event (idempotent)."""
    row = get(session, GridEventRow, event_id, "grid event")
    if row.cancelled_at is None:
        row.cancelled_at = utc_now()
    return row


def raise_alert(session: Session, site_id: int, kind: str, message: str) -> AlertRow:
    """Open an alert, or return the open one of the same kind (no duplicates while it lasts)."""
    if kind not in ALERT_KINDS:
        raise StateError(f"alert kind {kind!r}; choose from {', '.join(ALERT_KINDS)}")
    open_row = session.scalars(
        select(AlertRow).where(
            AlertRow.site_id == site_id, AlertRow.kind == kind, AlertRow.cleared_at.is_(None)
        )
    ).first()
    if open_row is not None:
        return open_row
    row = AlertRow(site_id=site_id, kind=kind, message=message)
    session.add(row)
    session.flush()
    return row


def clear_alert(session: Session, site_id: int, kind: str) -> int:
    """Clear the open alert of a kind; returns how many were cleared (0 or 1)."""
    rows = session.scalars(
        select(AlertRow).where(
            AlertRow.site_id == site_id, AlertRow.kind == kind, AlertRow.cleared_at.is_(None)
        )
    ).all()
    for row in rows:
        row.cleared_at = utc_now()
    return len(rows)


def alerts_of(
    session: Session, site_id: int, *, open_only: bool = False, limit: int = 200
) -> Sequence[AlertRow]:
    """A site's alerts, newest first."""
    query = select(AlertRow).where(AlertRow.site_id == site_id)
    if open_only:
        query = query.where(AlertRow.cleared_at.is_(None))
    return session.scalars(query.order_by(AlertRow.id.desc()).limit(limit)).all()


def open_alert_counts(session: Session) -> dict[int, int]:
    """How many alerts are open at each site that has any (site id → count)."""
    rows = session.execute(
        select(AlertRow.site_id, func.count(AlertRow.id))
        .where(AlertRow.cleared_at.is_(None))
        .group_by(AlertRow.site_id)
    ).all()
    return {int(site_id): int(count) for site_id, count in rows}


def decision_at(session: Session, site_id: int, interval_start_utc: datetime) -> DecisionRow | None:
    """The journaled decision of one interval, if any."""
    return session.scalars(
        select(DecisionRow).where(
            DecisionRow.site_id == site_id, DecisionRow.interval_start_utc == interval_start_utc
        )
    ).first()


def record_outcome(session: Session, decision_id: int, outcome: dict[str, Any]) -> None:
    """Attach what applying a decision did (commands sent/acknowledged/failed, measured MW)."""
    row = session.get(DecisionRow, decision_id)
    if row is None:
        raise NotFound(f"decision {decision_id} does not exist")
    row.outcome = outcome


def supersede_unfinished(session: Session, site_id: int, before_utc: datetime) -> list[int]:
    """Close decisions of intervals before ``before_utc`` that a crash left journaled or applied.

    They are not re-applied (their interval is over; the next decision sets the target state);
    they are kept, marked ``superseded``, so the journal shows every decision ever made.
    """
    rows = session.scalars(
        select(DecisionRow).where(
            DecisionRow.site_id == site_id,
            DecisionRow.interval_start_utc < before_utc,
            DecisionRow.state.in_(("journaled", "applied")),
        )
    ).all()
    for row in rows:
        row.state = SUPERSEDED
    return [row.id for row in rows]
