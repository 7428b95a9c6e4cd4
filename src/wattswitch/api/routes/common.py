"""Shared pieces of the routers: id parameters, the session of a request, row → body helpers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from wattswitch.api.auth import Principal, store_of
from wattswitch.api.schemas import MAX_ID
from wattswitch.store import repo
from wattswitch.store.db import Store
from wattswitch.store.models import RunRow, TenantRow


def _id(description: str) -> object:
    return Path(ge=1, le=MAX_ID, description=description)


SiteId = Annotated[int, _id("A site's id")]
ScenarioId = Annotated[int, _id("A scenario's id")]
RunId = Annotated[int, _id("A run's id")]
PlanId = Annotated[int, _id("A plan's id")]
TenantId = Annotated[int, _id("A tenant's id")]
JobId = Annotated[int, _id("A job's id")]
KeyId = Annotated[int, _id("An API key's id")]


StoreDep = Annotated[Store, Depends(store_of)]


def visible_tenant(session: Session, who: Principal, tenant_id: int) -> TenantRow:
    """The tenant if the caller may see it; otherwise 404 as if it did not exist."""
    if not who.may_see_tenant(tenant_id):
        raise repo.NotFound(f"no tenant with id {tenant_id}")
    return repo.get(session, TenantRow, tenant_id, "tenant")


def visible_run(session: Session, who: Principal, run_id: int) -> RunRow:
    """The run if the caller may see it (tenants: only runs shared with them); otherwise 404."""
    run = repo.get(session, RunRow, run_id, "run")
    if not who.reads_everything and (who.role != "tenant" or run.tenant_id != who.tenant_id):
        raise repo.NotFound(f"no run with id {run_id}")
    return run
