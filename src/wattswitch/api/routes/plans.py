"""``/api/v1/plans``: conversion plans of sites (computed at once; the planner takes milliseconds)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from wattswitch.api.auth import Reader, Writer
from wattswitch.api.routes.common import PlanId, StoreDep
from wattswitch.api.schemas import MAX_ID, Plan, PlanCreate, PlanDetail, StrategySummary
from wattswitch.api.service import compute_plan, parse_assessment
from wattswitch.errors import InputError
from wattswitch.store import codec, repo
from wattswitch.store.models import PlanRow, SiteRow

router = APIRouter(prefix="/plans", tags=["plans"])


def plan_out(row: PlanRow) -> Plan:
    """A plan row as a body with one line per strategy."""
    strategies: list[dict[str, Any]] = row.result.get("strategies", [])
    return Plan(
        id=row.id,
        site_id=row.site_id,
        recommended=row.recommended,
        created_at=row.created_at,
        strategies=[
            StrategySummary(
                strategy=s["strategy"],
                feasible=s["feasible"],
                npv_usd=s["npv_usd"],
                incremental_npv_usd=s["incremental_npv_usd"],
                irr=s["irr"],
                payback_years=s["payback_years"],
                capex_usd=s["capex_usd"],
            )
            for s in strategies
        ],
    )


@router.post(
    "",
    response_model=Plan,
    status_code=201,
    summary="Plan a site's conversion (operator): its stored assessment, or the one given",
)
def create_plan(body: PlanCreate, _who: Writer, store: StoreDep) -> Plan:
    assessment = parse_assessment(body.assessment, body.assessment_toml)
    if assessment is None:
        with store.read() as session:
            stored = repo.get(session, SiteRow, body.site_id, "site").assessment
        if stored is None:
            raise InputError(
                "request",
                "the site has no stored assessment",
                field="assessment",
                expected="an assessment in the request, or one stored with the site",
            )
        assessment = codec.site_from_json(stored)
    result = compute_plan(assessment)
    with store.write() as session:
        return plan_out(repo.create_plan(session, body.site_id, codec.site_to_json(assessment), result))


@router.get("", response_model=list[Plan], summary="Plans (of one site when given), newest first")
def list_plans(
    _who: Reader,
    store: StoreDep,
    site_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[Plan]:
    with store.read() as session:
        return [plan_out(r) for r in repo.list_plans(session, site_id)]


@router.get("/{plan_id}", response_model=PlanDetail, summary="A plan in full (what `plan --json` prints)")
def get_plan(plan_id: PlanId, _who: Reader, store: StoreDep) -> PlanDetail:
    with store.read() as session:
        row = repo.get(session, PlanRow, plan_id, "plan")
        return PlanDetail(**plan_out(row).model_dump(), assessment=row.assessment, result=row.result)
