"""Reads and writes of every stored thing, each on a session the caller opened with
``Store.read()`` or ``Store.write()`` (so a write commits whole or not at all).

Missing rows raise :class:`NotFound`, duplicates :class:`Conflict`, forbidden state changes
:class:`StateError`; the API turns them into 404, 409 and 409.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wattswitch.errors import WattswitchError
from wattswitch.store.models import (
    DECISION_STATES,
    ROLES,
    ApiKeyRow,
    Base,
    DecisionRow,
    JobRow,
    PlanRow,
    ReservationRow,
    RunRow,
    ScenarioRow,
    SeriesRow,
    SiteRow,
    TenantRow,
    UsageRow,
    utc_now,
)
from wattswitch.store.series import Series

R = TypeVar("R", bound=Base)
KEY_PREFIX = "ws_"


UNFINISHED = ("queued", "running")


class NotFound(WattswitchError):  # noqa: N818 - reads as the HTTP status it becomes
    """No such row (or not visible to the caller)."""


class Conflict(WattswitchError):  # noqa: N818
    """The write would duplicate a unique name."""


class StateError(WattswitchError):
    """A state change that is not allowed from the current state."""


def get(session: Session, model: type[R], row_id: int, what: str) -> R:
    """The row of ``model`` with this id, or NotFound naming ``what``."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"no {what} with id {row_id}")
    return row


def _flush_unique(session: Session, what: str, name: str) -> None:
    try:
        session.flush()
    except IntegrityError as err:
        raise Conflict(f"a {what} named {name!r} already exists") from err


# --- sites and scenarios ------------------------------------------------------------------------


def create_site(
    session: Session, name: str, description: str = "", assessment: dict[str, Any] | None = None
) -> SiteRow:
    """A new site (names are unique)."""
    row = SiteRow(name=name, description=description, assessment=assessment)
    session.add(row)
    _flush_unique(session, "site", name)
    return row


def site_by_name(session: Session, name: str) -> SiteRow | None:
    """The site of that name, if any."""
    return session.scalars(select(SiteRow).where(SiteRow.name == name)).first()


def list_sites(session: Session) -> Sequence[SiteRow]:
    """Every site, oldest first."""
    return session.scalars(select(SiteRow).order_by(SiteRow.id)).all()


def create_scenario(session: Session, site_id: int, name: str, plain: dict[str, Any]) -> ScenarioRow:
    """A scenario of an existing site, stored as plain JSON."""
    get(session, SiteRow, site_id, "site")
    row = ScenarioRow(site_id=site_id, name=name, plain=plain)
    session.add(row)
    session.flush()
    return row


def list_scenarios(session: Session, site_id: int | None = None) -> Sequence[ScenarioRow]:
    """Scenarios (of one site when given), oldest first."""
    query = select(ScenarioRow).order_by(ScenarioRow.id)
    if site_id is not None:
        query = query.where(ScenarioRow.site_id == site_id)
    return session.scalars(query).all()


# --- runs and their series ------------------------------------------------------------------------


def create_run(
    session: Session,
    scenario_id: int,
    policies: list[str],
    config: dict[str, Any],
    tenant_id: int | None = None,
    *,
    owner: str | None = None,
    key_id: int | None = None,
) -> RunRow:
    """A queued run of a scenario; ``kind`` is ``simulation`` for one policy, else ``comparison``.

    ``owner`` is the server process that will execute it (its lease starts now); ``key_id`` the
    API key that asked for it (queue caps count per key).
    """
    scenario = get(session, ScenarioRow, scenario_id, "scenario")
    if tenant_id is not None:
        get(session, TenantRow, tenant_id, "tenant")
    row = RunRow(
        scenario_id=scenario_id,
        site_id=scenario.site_id,
        tenant_id=tenant_id,
        kind="simulation" if len(policies) == 1 else "comparison",
        policies=list(policies),
        config=config,
        status="queued",
        progress=0.0,
        owner=owner,
        heartbeat_at=utc_now() if owner is not None else None,
        key_id=key_id,
    )
    session.add(row)
    session.flush()
    return row


def active_runs(session: Session, key_id: int | None = None) -> int:
    """Runs queued or running (of one API key when given), across every server on this database."""
    query = select(func.count()).select_from(RunRow).where(RunRow.status.in_(UNFINISHED))
    if key_id is not None:
        query = query.where(RunRow.key_id == key_id)
    return int(session.scalar(query) or 0)


def list_runs(
    session: Session,
    *,
    site_id: int | None = None,
    scenario_id: int | None = None,
    status: str | None = None,
    tenant_id: int | None = None,
    limit: int = 100,
) -> Sequence[RunRow]:
    """Runs, newest first, filtered by whichever of site, scenario, status and tenant are given."""
    query = select(RunRow).order_by(RunRow.id.desc()).limit(limit)
    if site_id is not None:
        query = query.where(RunRow.site_id == site_id)
    if scenario_id is not None:
        query = query.where(RunRow.scenario_id == scenario_id)
    if status is not None:
        query = query.where(RunRow.status == status)
    if tenant_id is not None:
        query = query.where(RunRow.tenant_id == tenant_id)
    return session.scalars(query).all()


def start_run(session: Session, run_id: int, owner: str | None = None) -> bool:
    """Mark a queued run running; False when it is not queued any more or not ``owner``'s."""
    query = update(RunRow).where(RunRow.id == run_id, RunRow.status == "queued")
    if owner is not None:
        query = query.where(RunRow.owner == owner)
    result = session.execute(query.values(status="running", started_at=utc_now(), progress=0.0))
    return bool(getattr(result, "rowcount", 0))


def set_progress(session: Session, run_id: int, progress: float, owner: str | None = None) -> None:
    """Record how far a running run is (0–1)."""
    query = update(RunRow).where(RunRow.id == run_id, RunRow.status == "running")
    if owner is not None:
        query = query.where(RunRow.owner == owner)
    session.execute(query.values(progress=min(max(progress, 0.0), 1.0)))


def finish_run(
    session: Session, run_id: int, metrics: dict[str, Any], series: Sequence[Series], owner: str | None = None
) -> bool:
    """Store the metrics and every series and mark the run succeeded, in the caller's transaction.

    False, and nothing written, when the run is no longer running under ``owner`` (another server
    declared it orphaned meanwhile): a run ends exactly once.
    """
    query = update(RunRow).where(RunRow.id == run_id, RunRow.status == "running")
    if owner is not None:
        query = query.where(RunRow.owner == owner)
    done = session.execute(
        query.values(metrics=metrics, status="succeeded", progress=1.0, finished_at=utc_now(), error=None)
    )
    if not getattr(done, "rowcount", 0):
        return False
    session.add_all(
        SeriesRow(
            run_id=run_id,
            policy=s.policy,
            name=s.name,
            unit=s.unit,
            start_utc=s.start_utc,
            step_s=s.step_s,
            values=s.values,
        )
        for s in series
    )
    session.flush()
    return True


def fail_run(session: Session, run_id: int, error: str, owner: str | None = None) -> bool:
    """Mark an unfinished run failed with the reason (its partial results are never written)."""
    query = update(RunRow).where(RunRow.id == run_id, RunRow.status.in_(UNFINISHED))
    if owner is not None:
        query = query.where(RunRow.owner == owner)
    result = session.execute(query.values(status="failed", error=error[:4000], finished_at=utc_now()))
    return bool(getattr(result, "rowcount", 0))


def fail_unfinished_runs(session: Session, reason: str, owner: str | None = None) -> int:
    """Mark every queued or running run (of ``owner`` when given) failed; returns how many."""
    query = update(RunRow).where(RunRow.status.in_(UNFINISHED))
    if owner is not None:
        query = query.where(RunRow.owner == owner)
    result = session.execute(query.values(status="failed", error=reason, finished_at=utc_now()))
    return int(getattr(result, "rowcount", 0))


def renew_leases(session: Session, owner: str) -> int:
    """``owner`` still holds its unfinished runs: their heartbeat is now."""
    result = session.execute(
        update(RunRow)
        .where(RunRow.owner == owner, RunRow.status.in_(UNFINISHED))
        .values(heartbeat_at=utc_now())
    )
    return int(getattr(result, "rowcount", 0))


def fail_orphaned_runs(session: Session, stale_before: datetime, reason: str) -> int:
    """Mark failed the unfinished runs no live server holds: no owner, or no heartbeat since
    ``stale_before``; returns how many. One conditional UPDATE: two servers sweeping at once fail
    each run once, and a run whose owner renewed its lease meanwhile is left alone."""
    result = session.execute(
        update(RunRow)
        .where(
            RunRow.status.in_(UNFINISHED),
            RunRow.owner.is_(None) | RunRow.heartbeat_at.is_(None) | (RunRow.heartbeat_at < stale_before),
        )
        .values(status="failed", error=reason, finished_at=utc_now())
    )
    return int(getattr(result, "rowcount", 0))


def run_series(
    session: Session, run_id: int, policy: str | None = None, names: Sequence[str] | None = None
) -> Sequence[SeriesRow]:
    """Stored series of a run (of one policy and/or some names when given)."""
    query = select(SeriesRow).where(SeriesRow.run_id == run_id).order_by(SeriesRow.id)
    if policy is not None:
        query = query.where(SeriesRow.policy == policy)
    if names:
        query = query.where(SeriesRow.name.in_(list(names)))
    return session.scalars(query).all()


# --- plans ----------------------------------------------------------------------------------------


def create_plan(
    session: Session, site_id: int, assessment: dict[str, Any], result: dict[str, Any]
) -> PlanRow:
    """A computed plan of a site."""
    get(session, SiteRow, site_id, "site")
    row = PlanRow(
        site_id=site_id, assessment=assessment, result=result, recommended=str(result.get("recommended", ""))
    )
    session.add(row)
    session.flush()
    return row


def list_plans(session: Session, site_id: int | None = None) -> Sequence[PlanRow]:
    """Plans (of one site when given), newest first."""
    query = select(PlanRow).order_by(PlanRow.id.desc())
    if site_id is not None:
        query = query.where(PlanRow.site_id == site_id)
    return session.scalars(query).all()


# --- tenants, reservations, usage and jobs -----------------------------------------------------------


def create_tenant(session: Session, name: str) -> TenantRow:
    """A new tenant (names are unique)."""
    row = TenantRow(name=name)
    session.add(row)
    _flush_unique(session, "tenant", name)
    return row


def list_tenants(session: Session) -> Sequence[TenantRow]:
    """Every tenant, oldest first."""
    return session.scalars(select(TenantRow).order_by(TenantRow.id)).all()


def add_reservation(session: Session, tenant_id: int, **fields: Any) -> ReservationRow:
    """A reservation of a tenant (fields as in :class:`ReservationRow`)."""
    get(session, TenantRow, tenant_id, "tenant")
    if fields.get("site_id") is not None:
        get(session, SiteRow, int(fields["site_id"]), "site")
    row = ReservationRow(tenant_id=tenant_id, **fields)
    session.add(row)
    session.flush()
    return row


def reservations_of(session: Session, tenant_id: int) -> Sequence[ReservationRow]:
    """A tenant's reservations, oldest first."""
    query = select(ReservationRow).where(ReservationRow.tenant_id == tenant_id).order_by(ReservationRow.id)
    return session.scalars(query).all()


def meter_usage(
    session: Session,
    tenant_id: int,
    day: date,
    gpu_hours: float,
    *,
    unavailable_gpu_hours: float = 0.0,
    site_id: int | None = None,
    source: str = "",
) -> UsageRow:
    """Append one metering record (records are never updated: concurrent meters lose nothing)."""
    get(session, TenantRow, tenant_id, "tenant")
    if site_id is not None:
        get(session, SiteRow, site_id, "site")
    row = UsageRow(
        tenant_id=tenant_id,
        site_id=site_id,
        day=day,
        gpu_hours=gpu_hours,
        unavailable_gpu_hours=unavailable_gpu_hours,
        source=source,
    )
    session.add(row)
    session.flush()
    return row


def usage_by_day(
    session: Session, tenant_id: int, start: date | None = None, end: date | None = None
) -> list[tuple[date, float, float, int]]:
    """``(day, gpu_hours, unavailable_gpu_hours, records)`` per day with records, in [start, end]."""
    query = (
        select(
            UsageRow.day,
            func.sum(UsageRow.gpu_hours),
            func.sum(UsageRow.unavailable_gpu_hours),
            func.count(UsageRow.id),
        )
        .where(UsageRow.tenant_id == tenant_id)
        .group_by(UsageRow.day)
        .order_by(UsageRow.day)
    )
    if start is not None:
        query = query.where(UsageRow.day >= start)
    if end is not None:
        query = query.where(UsageRow.day <= end)
    return [(d, float(h), float(u), int(n)) for d, h, u, n in session.execute(query).all()]


def usage_span(session: Session, tenant_id: int) -> tuple[date, date] | None:
    """First and last metered day of a tenant, or None without records."""
    first, last = session.execute(
        select(func.min(UsageRow.day), func.max(UsageRow.day)).where(UsageRow.tenant_id == tenant_id)
    ).one()
    return None if first is None or last is None else (first, last)


def create_job(session: Session, tenant_id: int, **fields: Any) -> JobRow:
    """A job of a tenant (fields as in :class:`JobRow`)."""
    get(session, TenantRow, tenant_id, "tenant")
    if fields.get("site_id") is not None:
        get(session, SiteRow, int(fields["site_id"]), "site")
    row = JobRow(tenant_id=tenant_id, **fields)
    session.add(row)
    session.flush()
    return row


def jobs_of(session: Session, tenant_id: int, limit: int = 500) -> Sequence[JobRow]:
    """A tenant's jobs, newest first."""
    query = select(JobRow).where(JobRow.tenant_id == tenant_id).order_by(JobRow.id.desc()).limit(limit)
    return session.scalars(query).all()


# --- API keys ---------------------------------------------------------------------------------------


def hash_key(secret: str) -> str:
    """SHA-256 of a key (keys are 256-bit random tokens, so a fast hash is enough)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str, role: str, tenant_id: int | None = None) -> tuple[ApiKeyRow, str]:
    """A new key and its secret (shown once; only the hash is stored). Tenant keys need a tenant."""
    if role not in ROLES:
        raise StateError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    if (role == "tenant") != (tenant_id is not None):
        raise StateError("a tenant key needs tenant_id, and only a tenant key may have one")
    if tenant_id is not None:
        get(session, TenantRow, tenant_id, "tenant")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(name=name, prefix=secret[:10], key_hash=hash_key(secret), role=role, tenant_id=tenant_id)
    session.add(row)
    session.flush()
    return row, secret


def key_for_secret(session: Session, secret: str) -> ApiKeyRow | None:
    """The live (not revoked) key with this secret, if any."""
    row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(secret))).first()
    return None if row is None or row.revoked_at is not None else row


def list_keys(session: Session) -> Sequence[ApiKeyRow]:
    """Every key (hashes only), oldest first."""
    return session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)).all()


def count_live_admin_keys(session: Session) -> int:
    """How many admin keys are not revoked."""
    query = select(func.count(ApiKeyRow.id)).where(ApiKeyRow.role == "admin", ApiKeyRow.revoked_at.is_(None))
    return int(session.scalar(query) or 0)


def revoke_key(session: Session, key_id: int) -> ApiKeyRow:
    """Revoke a key (idempotent)."""
    row = get(session, ApiKeyRow, key_id, "API key")
    if row.revoked_at is None:
        row.revoked_at = utc_now()
    return row


# --- the decision journal ------------------------------------------------------------------------------


def journal_decision(
    session: Session, site_id: int, interval_start_utc: datetime, decision: dict[str, Any]
) -> DecisionRow:
    """Write a decision before it is applied (one per site and interval)."""
    get(session, SiteRow, site_id, "site")
    row = DecisionRow(
        site_id=site_id, interval_start_utc=interval_start_utc, decision=decision, state="journaled"
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as err:
        when = interval_start_utc.isoformat()
        raise Conflict(f"a decision for site {site_id} at {when} already exists") from err
    return row


def advance_decision(session: Session, decision_id: int, state: str) -> DecisionRow:
    """Move a decision journaled → applied → confirmed (one step at a time)."""
    row = get(session, DecisionRow, decision_id, "decision")
    if state not in DECISION_STATES:
        raise StateError(f"unknown state {state!r}; choose from {', '.join(DECISION_STATES)}")
    current = DECISION_STATES.index(row.state)
    if DECISION_STATES.index(state) != current + 1:
        raise StateError(f"decision {decision_id} is {row.state}; it cannot become {state}")
    row.state = state
    if state == "applied":
        row.applied_at = utc_now()
    else:
        row.confirmed_at = utc_now()
    return row


def decisions_of(
    session: Session, site_id: int, state: str | None = None, limit: int = 1000
) -> Sequence[DecisionRow]:
    """A site's journal, newest interval first (only one state when given)."""
    query = (
        select(DecisionRow)
        .where(DecisionRow.site_id == site_id)
        .order_by(DecisionRow.interval_start_utc.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(DecisionRow.state == state)
    return session.scalars(query).all()
