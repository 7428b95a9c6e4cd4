"""``/api/v1/runs`` and ``/api/v1/compare``: start background runs, follow their progress, read
their metrics and hourly series, compare runs. Tenants see only runs shared with them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from wattswitch.api.auth import Caller, Writer
from wattswitch.api.errors import TOO_MANY_RUNS
from wattswitch.api.routes.common import RunId, StoreDep, visible_run
from wattswitch.api.run_admission import check_room, queue_run
from wattswitch.api.schemas import (
    MAX_ID,
    ComparedPolicy,
    PolicyName,
    PolicyResult,
    Run,
    RunComparison,
    RunCreate,
    RunMetrics,
    RunSeries,
    RunStatus,
    SeriesOut,
)
from wattswitch.api.service import run_scenario
from wattswitch.store import codec, repo
from wattswitch.store.models import RunRow, ScenarioRow

router = APIRouter(tags=["runs"])
SeriesName = Annotated[str, Query(pattern=r"^[a-z0-9_]{1,100}$")]


def run_out(row: RunRow) -> Run:
    """A run row as a body, with profit and capture per policy once it succeeded."""
    results = None
    if row.metrics is not None:
        results = {
            name: PolicyResult(profit_usd=s["profit_usd"], capture=s["capture"])
            for name, s in row.metrics["policies"].items()
        }
    return Run(
        id=row.id,
        scenario_id=row.scenario_id,
        site_id=row.site_id,
        tenant_id=row.tenant_id,
        kind=row.kind,
        policies=list(row.policies),
        config=dict(row.config),
        status=row.status,  # type: ignore[arg-type]
        progress=row.progress,
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        results=results,
    )


@router.post(
    "/runs",
    response_model=Run,
    status_code=202,
    summary="Start a run in the background (operator); poll GET /runs/{id} for progress",
    responses=TOO_MANY_RUNS,
)
def start_run(body: RunCreate, request: Request, who: Writer, store: StoreDep) -> Run:
    settings = request.app.state.settings
    check_room(store, settings, who.key_id)
    with store.read() as session:
        scenario_row = repo.get(session, ScenarioRow, body.scenario_id, "scenario")
        plain = dict(scenario_row.plain)
    run_scenario(codec.scenario_from_json(plain), body.start, body.end, body.step_s, settings.max_run_days)
    config: dict[str, Any] = {
        "start": None if body.start is None else body.start.isoformat(),
        "end": None if body.end is None else body.end.isoformat(),
        "step_s": body.step_s,
    }
    run_id = queue_run(
        store,
        request.app.state.worker,
        settings,
        scenario_id=body.scenario_id,
        policies=list(dict.fromkeys(body.policies)),
        config=config,
        tenant_id=body.tenant_id,
        key_id=who.key_id,
    )
    with store.read() as session:
        return run_out(repo.get(session, RunRow, run_id, "run"))


@router.get("/runs", response_model=list[Run], summary="Runs, newest first (tenants: only their own)")
def list_runs(  # noqa: PLR0917 - FastAPI passes query parameters by name
    who: Caller,
    store: StoreDep,
    site_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    scenario_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Annotated[RunStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Run]:
    tenant = None if who.reads_everything else who.tenant_id
    if not who.reads_everything and tenant is None:
        return []
    with store.read() as session:
        rows = repo.list_runs(
            session, site_id=site_id, scenario_id=scenario_id, status=status, tenant_id=tenant, limit=limit
        )
        return [run_out(r) for r in rows]


@router.get("/runs/{run_id}", response_model=Run, summary="A run: status, progress, profit and capture")
def get_run(run_id: RunId, who: Caller, store: StoreDep) -> Run:
    with store.read() as session:
        return run_out(visible_run(session, who, run_id))


def _finished(row: RunRow) -> dict[str, Any]:
    if row.status != "succeeded" or row.metrics is None:
        state = f"{row.status} ({row.progress:.0%})" if row.status == "running" else row.status
        raise repo.StateError(f"run {row.id} is {state}; results exist once it has succeeded")
    return row.metrics


@router.get(
    "/runs/{run_id}/metrics",
    response_model=RunMetrics,
    summary="Money, MWh and operational counts per policy (409 until the run succeeded)",
)
def get_metrics(run_id: RunId, who: Caller, store: StoreDep) -> RunMetrics:
    with store.read() as session:
        metrics = _finished(visible_run(session, who, run_id))
        return RunMetrics(run_id=run_id, **metrics)


@router.get(
    "/runs/{run_id}/series",
    response_model=RunSeries,
    summary="Hourly series (power by use, prices, revenue by stream, profit) of a run",
)
def get_series(
    run_id: RunId,
    who: Caller,
    store: StoreDep,
    policy: Annotated[PolicyName | Literal["inputs"] | None, Query()] = None,
    name: Annotated[list[SeriesName] | None, Query(max_length=50)] = None,
) -> RunSeries:
    with store.read() as session:
        _finished(visible_run(session, who, run_id))
        rows = repo.run_series(session, run_id, policy, name)
        return RunSeries(run_id=run_id, series=[SeriesOut.model_validate(r) for r in rows])


@router.get(
    "/compare",
    response_model=RunComparison,
    summary="Compare policies across runs: profit, capture and the streams that differ",
)
def compare_runs(
    who: Caller,
    store: StoreDep,
    run_ids: Annotated[list[Annotated[int, Query(ge=1, le=MAX_ID)]], Query(min_length=1, max_length=20)],
) -> RunComparison:
    rows: list[ComparedPolicy] = []
    with store.read() as session:
        for run_id in dict.fromkeys(run_ids):
            run = visible_run(session, who, run_id)
            metrics = _finished(run)
            for policy, s in metrics["policies"].items():
                rows.append(
                    ComparedPolicy(
                        run_id=run.id,
                        scenario_id=run.scenario_id,
                        policy=policy,
                        profit_usd=s["profit_usd"],
                        capture=s["capture"],
                        revenue_usd=round(sum(s["revenue_usd"].values()), 2),
                        mining_revenue_usd=s["revenue_usd"]["mining"],
                        energy_cost_usd=s["cost_usd"]["energy"],
                        curtailed_fleet_hours=s["curtailed_fleet_hours"],
                    )
                )
    candidates = [r for r in rows if r.policy != "oracle"]
    best = max(candidates, key=lambda r: r.profit_usd) if candidates else None
    return RunComparison(rows=rows, best=best)
