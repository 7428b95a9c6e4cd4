"""``/api/v1/sites/{site_id}/grid-events`` and ``/alerts``: demand-response and 4CP events for the
live controller (which acts on its next poll, about a second), and the alerts it raised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query

from wattswitch.api.auth import Reader, Writer
from wattswitch.api.routes.common import SiteId, StoreDep
from wattswitch.api.schemas import MAX_ID, Alert, GridEvent, GridEventCreate
from wattswitch.store import live, repo
from wattswitch.store.models import GridEventRow, SiteRow

router = APIRouter(tags=["live control"])
EventId = Annotated[int, Path(ge=1, le=MAX_ID, description="A grid event's id")]


@router.post(
    "/sites/{site_id}/grid-events",
    response_model=GridEvent,
    status_code=201,
    summary="Post a demand-response or 4CP event: be at or below target_mw from the deadline (operator)",
)
def post_grid_event(site_id: SiteId, body: GridEventCreate, who: Writer, store: StoreDep) -> GridEvent:
    deadline = body.deadline_utc or datetime.now(UTC)
    with store.write() as session:
        row = live.add_grid_event(
            session,
            site_id,
            kind=body.kind,
            target_mw=body.target_mw,
            deadline_utc=deadline,
            end_utc=deadline + timedelta(seconds=body.duration_s),
            source=f"API key {who.key_id}",
        )
        return GridEvent.model_validate(row)


@router.get("/sites/{site_id}/grid-events", response_model=list[GridEvent], summary="A site's grid events")
def list_grid_events(site_id: SiteId, _who: Reader, store: StoreDep) -> list[GridEvent]:
    with store.read() as session:
        repo.get(session, SiteRow, site_id, "site")
        return [GridEvent.model_validate(r) for r in live.grid_events_of(session, site_id)]


@router.post(
    "/sites/{site_id}/grid-events/{event_id}/cancel",
    response_model=GridEvent,
    summary="Cancel a grid event (operator); the controller lifts its cap on the next interval",
)
def cancel_grid_event(site_id: SiteId, event_id: EventId, _who: Writer, store: StoreDep) -> GridEvent:
    with store.write() as session:
        row = repo.get(session, GridEventRow, event_id, "grid event")
        if row.site_id != site_id:
            raise repo.NotFound(f"grid event {event_id} does not exist at site {site_id}")
        return GridEvent.model_validate(live.cancel_grid_event(session, event_id))


@router.get(
    "/sites/{site_id}/alerts", response_model=list[Alert], summary="Alerts of live control, newest first"
)
def list_alerts(
    site_id: SiteId,
    _who: Reader,
    store: StoreDep,
    open_only: Annotated[bool, Query(description="Only alerts not cleared yet")] = False,
) -> list[Alert]:
    with store.read() as session:
        repo.get(session, SiteRow, site_id, "site")
        return [Alert.model_validate(a) for a in live.alerts_of(session, site_id, open_only=open_only)]
