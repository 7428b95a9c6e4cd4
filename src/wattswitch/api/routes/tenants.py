"""``/api/v1/tenants``: tenants, reservations, metered GPU-hours (usage and SLA credits) and jobs.

Tenant keys see only their own tenant; another tenant's id answers 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from wattswitch.api.auth import Admin, Caller, Writer
from wattswitch.api.routes.common import JobId, StoreDep, TenantId, visible_tenant
from wattswitch.api.schemas import (
    Day,
    Job,
    JobCreate,
    Reservation,
    ReservationCreate,
    Tenant,
    TenantCreate,
    TenantDetail,
    UsageCreate,
    UsageRecord,
    UsageReport,
)
from wattswitch.errors import InputError
from wattswitch.store import repo
from wattswitch.store.models import JobRow
from wattswitch.store.usage import usage_report

router = APIRouter(prefix="/tenants", tags=["tenants"])
MAX_REPORT_DAYS = 3700


@router.post("", response_model=Tenant, status_code=201, summary="Create a tenant (admin)")
def create_tenant(body: TenantCreate, _who: Admin, store: StoreDep) -> Tenant:
    with store.write() as session:
        return Tenant.model_validate(repo.create_tenant(session, body.name))


@router.get("", response_model=list[Tenant], summary="Tenants (a tenant key sees only itself)")
def list_tenants(who: Caller, store: StoreDep) -> list[Tenant]:
    with store.read() as session:
        rows = repo.list_tenants(session)
        return [Tenant.model_validate(r) for r in rows if who.may_see_tenant(r.id)]


@router.get("/{tenant_id}", response_model=TenantDetail, summary="A tenant and its reservations")
def get_tenant(tenant_id: TenantId, who: Caller, store: StoreDep) -> TenantDetail:
    with store.read() as session:
        row = visible_tenant(session, who, tenant_id)
        return TenantDetail(
            id=row.id,
            name=row.name,
            created_at=row.created_at,
            reservations=[Reservation.model_validate(r) for r in row.reservations],
        )


@router.post(
    "/{tenant_id}/reservations",
    response_model=Reservation,
    status_code=201,
    summary="Add a reservation (admin)",
)
def add_reservation(
    tenant_id: TenantId, body: ReservationCreate, _who: Admin, store: StoreDep
) -> Reservation:
    with store.write() as session:
        return Reservation.model_validate(repo.add_reservation(session, tenant_id, **body.model_dump()))


@router.get("/{tenant_id}/reservations", response_model=list[Reservation], summary="A tenant's reservations")
def list_reservations(tenant_id: TenantId, who: Caller, store: StoreDep) -> list[Reservation]:
    with store.read() as session:
        visible_tenant(session, who, tenant_id)
        return [Reservation.model_validate(r) for r in repo.reservations_of(session, tenant_id)]


@router.post(
    "/{tenant_id}/usage",
    response_model=UsageRecord,
    status_code=201,
    summary="Meter GPU-hours used on a day (operator)",
)
def meter_usage(tenant_id: TenantId, body: UsageCreate, _who: Writer, store: StoreDep) -> UsageRecord:
    with store.write() as session:
        row = repo.meter_usage(
            session,
            tenant_id,
            body.day,
            body.gpu_hours,
            unavailable_gpu_hours=body.unavailable_gpu_hours,
            site_id=body.site_id,
            source=body.source,
        )
        return UsageRecord.model_validate(row)


@router.get(
    "/{tenant_id}/usage", response_model=UsageReport, summary="GPU-hours by day and SLA credits by month"
)
def get_usage(
    tenant_id: TenantId,
    who: Caller,
    store: StoreDep,
    start: Annotated[Day | None, Query(description="First day (default: first metered day)")] = None,
    end: Annotated[Day | None, Query(description="Last day, inclusive (default: last metered day)")] = None,
) -> UsageReport:
    if start is not None and end is not None:
        if end < start:
            raise InputError("query", "end is before start", field="end")
        if (end - start).days > MAX_REPORT_DAYS:
            raise InputError(
                "query", "the range is too long", field="end", expected=f"at most {MAX_REPORT_DAYS} days"
            )
    with store.read() as session:
        visible_tenant(session, who, tenant_id)
        report = usage_report(session, tenant_id, start, end)
    if (date.fromisoformat(report["end"]) - date.fromisoformat(report["start"])).days > MAX_REPORT_DAYS:
        raise InputError(
            "query",
            "the metered range is too long to report at once",
            field="start",
            expected=f"start and end at most {MAX_REPORT_DAYS} days apart",
        )
    return UsageReport.model_validate(report)


@router.post(
    "/{tenant_id}/jobs",
    response_model=Job,
    status_code=201,
    summary="Submit a job (operator, or the tenant itself)",
)
def submit_job(tenant_id: TenantId, body: JobCreate, who: Caller, store: StoreDep) -> Job:
    with store.write() as session:
        visible_tenant(session, who, tenant_id)
        if who.role == "analyst":
            raise HTTPException(403, "role 'analyst' may not do this (it is read-only)")
        if who.role == "tenant" and body.site_id is not None:
            # Sites are not a tenant's to see: 201 vs 404 would tell it which site ids exist.
            raise InputError(
                "request", "a tenant key cannot choose the site", field="site_id",
                expected="no site_id (the operator places the job)",
            )
        return Job.model_validate(repo.create_job(session, tenant_id, **body.model_dump()))


@router.get("/{tenant_id}/jobs", response_model=list[Job], summary="A tenant's jobs, newest first")
def list_jobs(tenant_id: TenantId, who: Caller, store: StoreDep) -> list[Job]:
    with store.read() as session:
        visible_tenant(session, who, tenant_id)
        return [Job.model_validate(j) for j in repo.jobs_of(session, tenant_id)]


@router.get("/{tenant_id}/jobs/{job_id}", response_model=Job, summary="One job of a tenant")
def get_job(tenant_id: TenantId, job_id: JobId, who: Caller, store: StoreDep) -> Job:
    with store.read() as session:
        visible_tenant(session, who, tenant_id)
        job = repo.get(session, JobRow, job_id, "job")
        if job.tenant_id != tenant_id:
            raise repo.NotFound(f"no job with id {job_id} for tenant {tenant_id}")
        return Job.model_validate(job)
