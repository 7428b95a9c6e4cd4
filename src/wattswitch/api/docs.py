"""The interactive API docs, served with no network beyond this server: Swagger UI at
``/api/v1/docs`` and ReDoc at ``/api/v1/redoc``, their JavaScript and CSS from ``/static/api-docs/``.

The files are swagger-ui-dist 5 (Apache-2.0) and Redoc 2 (MIT) as the ``fastapi-offline`` package
(MIT) ships them; FastAPI's own pages would load them from a CDN, and show a blank page offline.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static/api-docs"


def install(app: FastAPI, prefix: str) -> None:
    """Mount the assets and add the two pages under ``prefix`` (the app is made with
    ``docs_url=None, redoc_url=None``)."""
    openapi_url = str(app.openapi_url)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="api-docs-assets")

    @app.get(f"{prefix}/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} {app.version} · API docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(f"{prefix}/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} {app.version} · API reference",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
