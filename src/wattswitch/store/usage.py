"""A tenant's usage report: metered GPU-hours by day, and per month the reserved bill, uptime and
SLA credit of each reservation (computed with the same contract code the engine books)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wattswitch.economics.contracts import reserved_bill
from wattswitch.model.tenants import Reservation, UptimeSla
from wattswitch.store import repo
from wattswitch.store.models import ReservationRow, TenantRow, UsageRow


def _months(start: date, end: date) -> list[tuple[date, date]]:
    """First and last day of each calendar month touching [start, end]."""
    out = []
    first = start.replace(day=1)
    while first <= end:
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        out.append((first, last))
        first = last + timedelta(days=1)
    return out


def _active_days(row: ReservationRow, first: date, last: date) -> int:
    begin = max(first, row.starts_on)
    finish = min(last, row.ends_on) if row.ends_on is not None else last
    return max((finish - begin).days + 1, 0)


def _unavailable(session: Session, tenant_id: int, first: date, last: date) -> float:
    query = select(func.coalesce(func.sum(UsageRow.unavailable_gpu_hours), 0.0)).where(
        UsageRow.tenant_id == tenant_id, UsageRow.day >= first, UsageRow.day <= last
    )
    return float(session.scalar(query) or 0.0)


def sla_by_month(session: Session, tenant_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """Per month touching [start, end] and reservation active in it: bill, uptime and credit.

    Uptime of a month = 1 − unavailable GPU-hours metered that month / GPU-hours reserved that
    month (all the tenant's reservations together); the credit follows each reservation's SLA.
    """
    reservations = repo.reservations_of(session, tenant_id)
    out: list[dict[str, Any]] = []
    for first, last in _months(start, end):
        active = [(r, _active_days(r, first, last)) for r in reservations]
        active = [(r, days) for r, days in active if days > 0]
        if not active:
            continue
        reserved_gpu_hours = sum(r.node_count * r.gpus_per_node * 24.0 * days for r, days in active)
        unavailable = _unavailable(session, tenant_id, first, last)
        uptime = 1.0 - min(unavailable / reserved_gpu_hours, 1.0) if reserved_gpu_hours else 1.0
        for row, days in active:
            sla = UptimeSla(
                row.uptime_target_fraction, row.credit_fraction_per_0_1pct, row.max_credit_fraction
            )
            reservation = Reservation(row.gpu_group, row.node_count, row.price_usd_per_gpu_hour, sla=sla)
            bill = reserved_bill(reservation, 24.0 * days, uptime, gpus_per_node=row.gpus_per_node)
            out.append(
                {
                    "month": first.strftime("%Y-%m"),
                    "reservation_id": row.id,
                    "reserved_gpu_hours": round(row.node_count * row.gpus_per_node * 24.0 * days, 3),
                    "unavailable_gpu_hours": round(unavailable, 3),
                    "uptime_fraction": round(uptime, 6),
                    "bill_usd": round(bill.gross_usd, 2),
                    "credit_usd": round(bill.credit_usd, 2),
                    "net_usd": round(bill.net_usd, 2),
                }
            )
    return out


def usage_report(
    session: Session, tenant_id: int, start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    """GPU-hours by day in [start, end] (default: every metered day) and the SLA months it touches."""
    repo.get(session, TenantRow, tenant_id, "tenant")
    span = repo.usage_span(session, tenant_id)
    if start is None or end is None:
        today = datetime.now(UTC).date()
        first, last = span if span is not None else (today, today)
        start = start or first
        end = end or last
    days = repo.usage_by_day(session, tenant_id, start, end)
    sla = sla_by_month(session, tenant_id, start, end) if start <= end else []
    return {
        "tenant_id": tenant_id,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": [
            {
                "day": d.isoformat(),
                "gpu_hours": round(h, 6),
                "unavailable_gpu_hours": round(u, 6),
                "records": n,
            }
            for d, h, u, n in days
        ],
        "total_gpu_hours": round(sum(h for _, h, _, _ in days), 6),
        "records": sum(n for *_, n in days),
        "sla": sla,
        "sla_credits_usd": round(sum(m["credit_usd"] for m in sla), 2),
    }
