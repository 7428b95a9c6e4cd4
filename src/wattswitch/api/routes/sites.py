"""``/api/v1/sites`` and ``/api/v1/scenarios``: sites (with their planning attributes) and the
scenarios simulated on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from wattswitch.api.auth import Reader, Writer
from wattswitch.api.routes.common import ScenarioId, SiteId, StoreDep
from wattswitch.api.schemas import (
    MAX_ID,
    Decision,
    Scenario,
    ScenarioCreate,
    ScenarioDetail,
    Site,
    SiteCreate,
    SiteDetail,
)
from wattswitch.api.service import parse_assessment, parse_scenario
from wattswitch.data.scenario_file import scenario_to_toml
from wattswitch.model.scenario import Scenario as ScenarioModel
from wattswitch.store import codec, repo
from wattswitch.store.models import DECISION_STATES, PlanRow, ScenarioRow, SiteRow

router = APIRouter(tags=["sites"])


def site_out(row: SiteRow) -> Site:
    """A site row as a body."""
    return Site(
        id=row.id,
        name=row.name,
        description=row.description,
        has_assessment=row.assessment is not None,
        created_at=row.created_at,
    )


def scenario_out(row: ScenarioRow, model: ScenarioModel) -> Scenario:
    """A scenario row (and its parsed scenario) as a body."""
    return Scenario(
        id=row.id,
        site_id=row.site_id,
        name=row.name,
        description=model.description,
        start_utc=model.start_utc,
        end_utc=model.end_utc,
        step_s=model.step_s,
        periods=model.periods,
        facility_nameplate_mw=round(model.facility_nameplate_mw, 4),
        interconnect_limit_mw=model.site.interconnect_limit_mw,
        created_at=row.created_at,
    )


@router.post("/sites", response_model=Site, status_code=201, summary="Create a site (operator)")
def create_site(body: SiteCreate, _who: Writer, store: StoreDep) -> Site:
    assessment = parse_assessment(body.assessment, body.assessment_toml)
    plain = None if assessment is None else codec.site_to_json(assessment)
    with store.write() as session:
        return site_out(repo.create_site(session, body.name, body.description, plain))


@router.get("/sites", response_model=list[Site], summary="Every site")
def list_sites(_who: Reader, store: StoreDep) -> list[Site]:
    with store.read() as session:
        return [site_out(r) for r in repo.list_sites(session)]


@router.get(
    "/sites/{site_id}", response_model=SiteDetail, summary="A site, its scenarios, plans and last run"
)
def get_site(site_id: SiteId, _who: Reader, store: StoreDep) -> SiteDetail:
    with store.read() as session:
        row = repo.get(session, SiteRow, site_id, "site")
        scenarios = [s.id for s in repo.list_scenarios(session, site_id)]
        plans = list(
            session.scalars(select(PlanRow.id).where(PlanRow.site_id == site_id).order_by(PlanRow.id))
        )
        latest = repo.list_runs(session, site_id=site_id, status="succeeded", limit=1)
        return SiteDetail(
            **site_out(row).model_dump(),
            assessment=row.assessment,
            scenario_ids=scenarios,
            plan_ids=plans,
            latest_run_id=latest[0].id if latest else None,
        )


@router.get(
    "/sites/{site_id}/decisions",
    response_model=list[Decision],
    summary="The site's decision journal (live control), newest first",
)
def list_decisions(
    site_id: SiteId,
    _who: Reader,
    store: StoreDep,
    state: Annotated[str | None, Query(pattern="^(" + "|".join(DECISION_STATES) + ")$")] = None,
) -> list[Decision]:
    with store.read() as session:
        repo.get(session, SiteRow, site_id, "site")
        return [Decision.model_validate(d) for d in repo.decisions_of(session, site_id, state)]


@router.post(
    "/scenarios",
    response_model=Scenario,
    status_code=201,
    summary="Store a scenario of a site (JSON or TOML; errors name the field)",
)
def create_scenario(body: ScenarioCreate, request: Request, _who: Writer, store: StoreDep) -> Scenario:
    model = parse_scenario(body.scenario, body.toml, request.app.state.settings.data_dir)
    with store.write() as session:
        row = repo.create_scenario(session, body.site_id, model.name, codec.scenario_to_json(model))
        return scenario_out(row, model)


@router.get("/scenarios", response_model=list[Scenario], summary="Scenarios (of one site when given)")
def list_scenarios(
    _who: Reader,
    store: StoreDep,
    site_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[Scenario]:
    with store.read() as session:
        rows = repo.list_scenarios(session, site_id)
        return [scenario_out(r, codec.scenario_from_json(r.plain)) for r in rows]


@router.get("/scenarios/{scenario_id}", response_model=ScenarioDetail, summary="A scenario as JSON and TOML")
def get_scenario(scenario_id: ScenarioId, _who: Reader, store: StoreDep) -> ScenarioDetail:
    with store.read() as session:
        row = repo.get(session, ScenarioRow, scenario_id, "scenario")
        model = codec.scenario_from_json(row.plain)
        return ScenarioDetail(
            **scenario_out(row, model).model_dump(), scenario=row.plain, toml=scenario_to_toml(model)
        )
