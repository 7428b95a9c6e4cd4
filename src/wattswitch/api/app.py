"""The FastAPI application: ``create_app(settings)`` wires the store, the run worker, the API
routers under ``/api/v1`` and the dashboard pages. Nothing is configured at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from wattswitch import __version__
from wattswitch.api import docs, errors
from wattswitch.api.request_guard import RequestGuard
from wattswitch.api.routes import control, keys, plans, runs, sites, tenants
from wattswitch.api.schemas import Health
from wattswitch.api.settings import Settings
from wattswitch.api.worker import RunWorker
from wattswitch.store.db import Store
from wattswitch.web import pages

API_PREFIX = "/api/v1"

DESCRIPTION = """Where a power-first data center's megawatts go: sites, scenarios, background
backtests of dispatch policies, conversion plans, GPU tenants with metered usage and SLA credits.

Authenticate with an API key in the `X-API-Key` header. Roles: **admin** (everything, keys and
tenants), **operator** (sites, scenarios, runs, plans, metering), **analyst** (read-only),
**tenant** (its own usage, jobs and the runs shared with it). Errors carry `detail` and `errors`
(one entry per field at fault)."""


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """The app on ``settings.database_url`` (migrated to the newest schema before it serves).

    Runs left queued or running by a process that no longer renews their lease are marked failed
    (they cannot resume); those of another live server on the same database are left to it.
    """
    store = store or Store(settings.database_url)
    store.upgrade()
    worker = RunWorker(
        store,
        workers=settings.run_workers,
        max_run_days=settings.max_run_days,
        progress_interval_s=settings.progress_interval_s,
        data_dir=settings.data_dir,
        lease_s=settings.run_lease_s,
    )
    worker.sweep_orphans()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker.resume()
        yield
        worker.stop()

    app = FastAPI(
        title="wattswitch",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # docs.install serves Swagger UI and ReDoc from local files instead of a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.worker = worker
    errors.install(app)
    app.add_middleware(
        RequestGuard, store=store, api_prefix=API_PREFIX, max_body_bytes=settings.max_body_bytes
    )
    docs.install(app, API_PREFIX)

    api = APIRouter(prefix=API_PREFIX, responses=errors.ERROR_RESPONSES)

    @api.get("/health", response_model=Health, tags=["service"], summary="Liveness (no key needed)")
    def health() -> Health:
        return Health(status="ok", version=__version__, database=store.backend)

    for router in (keys.router, sites.router, runs.router, plans.router, tenants.router, control.router):
        api.include_router(router)
    app.include_router(api)
    app.include_router(pages.router)
    return app
