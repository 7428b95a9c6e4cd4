"""The tables (SQLAlchemy 2 typed ORM). The schema itself is created by the Alembic migrations in
``store/alembic/versions``; a test checks that the migrations and these classes agree.

Times are stored as naive UTC and handed out timezone-aware (:class:`UtcDateTime`), so SQLite and
PostgreSQL behave alike. JSON columns hold plain data only (finite numbers, strings, lists, dicts).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "operator", "analyst", "tenant")
RUN_STATES = ("queued", "running", "succeeded", "failed")
JOB_STATES = ("queued", "running", "completed", "cancelled")
DECISION_STATES = ("journaled", "applied", "confirmed")
# A decision left unfinished by a crash, for an interval already past when control resumed.
SUPERSEDED = "superseded"
GRID_EVENT_KINDS = ("demand-response", "4cp")
ALERT_KINDS = (
    "price-feed",
    "cluster",
    "fleet",
    "commands",
    "power-limit",
    "grid-event",
    "load-feed",
    "hashprice-feed",
)


def utc_now() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime stored as naive UTC (portable across SQLite and PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable names for migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class SiteRow(Base):
    """A physical site: its name and, for planning, its assessment (a site file as plain data)."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ScenarioRow(Base):
    """A scenario of a site, stored as plain JSON (the shape ``scenario show --json`` prints)."""

    __tablename__ = "scenarios"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    plain: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class TenantRow(Base):
    """A GPU-cloud customer."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    reservations: Mapped[list[ReservationRow]] = relationship(
        back_populates="tenant", order_by="ReservationRow.id", cascade="all, delete-orphan"
    )


class ReservationRow(Base):
    """Reserved GPU nodes a tenant pays for (take-or-pay) with an uptime SLA, from a day to a day."""

    __tablename__ = "reservations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"), nullable=True)
    gpu_group: Mapped[str] = mapped_column(String(200))
    node_count: Mapped[int] = mapped_column(Integer)
    gpus_per_node: Mapped[int] = mapped_column(Integer, default=8)
    price_usd_per_gpu_hour: Mapped[float] = mapped_column(Float)
    uptime_target_fraction: Mapped[float] = mapped_column(Float, default=0.999)
    credit_fraction_per_0_1pct: Mapped[float] = mapped_column(Float, default=0.05)
    max_credit_fraction: Mapped[float] = mapped_column(Float, default=0.30)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    tenant: Mapped[TenantRow] = relationship(back_populates="reservations")


class UsageRow(Base):
    """One metering record: GPU-hours a tenant used on a day (and reserved GPU-hours unavailable).

    Records are appended, never updated, so concurrent meters lose nothing; usage by day is a sum.
    """

    __tablename__ = "gpu_usage"
    __table_args__ = (Index("ix_gpu_usage_tenant_day", "tenant_id", "day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"), nullable=True)
    day: Mapped[date] = mapped_column(Date)
    gpu_hours: Mapped[float] = mapped_column(Float)
    unavailable_gpu_hours: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class JobRow(Base):
    """A GPU job of a tenant (training or batch inference)."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    gpu_count: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    preemptible: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    submitted_at: Mapped[datetime] = mapped_column(default=utc_now)


class RunRow(Base):
    """A simulation or comparison run: what was asked, how far it got, and its metrics."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_site_status", "site_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    policies: Mapped[list[Any]] = mapped_column(JSON)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The lease: the server process that accepted the run and the last time it said it still has it.
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(nullable=True)
    key_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class SeriesRow(Base):
    """One per-interval series of one policy of a run, downsampled to ``step_s`` (JSON array)."""

    __tablename__ = "run_series"
    __table_args__ = (UniqueConstraint("run_id", "policy", "name", name="uq_run_series_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    policy: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(50))
    start_utc: Mapped[datetime] = mapped_column()
    step_s: Mapped[int] = mapped_column(Integer)
    values: Mapped[list[Any]] = mapped_column(JSON)


class PlanRow(Base):
    """A conversion plan of a site: the assessment it was computed from and the full result."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    recommended: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ApiKeyRow(Base):
    """An API key: only its SHA-256 hash is stored; tenant keys are bound to one tenant."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class DecisionRow(Base):
    """The decision journal of live control: written before a decision is applied, then confirmed."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("site_id", "interval_start_utc", name="uq_decisions_site_interval"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    interval_start_utc: Mapped[datetime] = mapped_column()
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="journaled")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    applied_at: Mapped[datetime | None] = mapped_column(nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class GridEventRow(Base):
    """A demand-response or 4CP alert for live control: be at or below ``target_mw`` by the deadline,
    for ``duration_s``. ``met_at`` is when the controller first measured the site under target."""

    __tablename__ = "grid_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    target_mw: Mapped[float] = mapped_column(Float)
    deadline_utc: Mapped[datetime] = mapped_column()
    end_utc: Mapped[datetime] = mapped_column()
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    met_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AlertRow(Base):
    """Something live control wants a human to know (safe mode entered, feed stale, commands failing)."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(default=utc_now)
    cleared_at: Mapped[datetime | None] = mapped_column(nullable=True)
