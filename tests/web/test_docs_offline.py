"""The interactive API docs render in Chromium with every request to anywhere but this server
blocked: Swagger UI lists the operations and ReDoc the reference, from local files alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from service_testing import ServerThread
from wattswitch.api.app import create_app
from wattswitch.api.settings import Settings

pytestmark = pytest.mark.browser
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    path = tmp_path_factory.mktemp("docs-offline") / "w.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}"))
    running = ServerThread(app)
    yield running
    running.stop()
    app.state.store.dispose()


def _offline_page(browser: Any) -> tuple[Any, Any, list[str]]:
    """A page whose requests to any host but 127.0.0.1 are aborted (and recorded)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    blocked: list[str] = []

    def only_localhost(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_localhost)
    return context, context.new_page(), blocked


def test_swagger_ui_lists_the_operations_offline(
    docs_server: ServerThread, browser: Any, shots: Path
) -> None:
    context, page, blocked = _offline_page(browser)
    page.goto(f"{docs_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() >= 20
    assert page.get_by_text("/api/v1/runs", exact=True).first.is_visible()
    assert page.locator(".opblock-tag").filter(has_text="keys").count() == 1
    page.screenshot(path=str(shots / "api-docs.png"))
    assert blocked == []
    context.close()


def test_redoc_renders_the_reference_offline(docs_server: ServerThread, browser: Any, shots: Path) -> None:
    context, page, blocked = _offline_page(browser)
    page.goto(f"{docs_server.url}/api/v1/redoc")
    page.locator("h2", has_text="Liveness (no key needed)").first.wait_for(timeout=30_000)
    assert page.locator("h1").filter(has_text="wattswitch").count() >= 1
    page.screenshot(path=str(shots / "api-redoc.png"))
    # Redoc's bundle asks for its own "API docs by Redocly" logo from its CDN; offline the <img>
    # removes itself (onError) and nothing else is missing.
    assert [url for url in blocked if url != REDOCLY_LOGO] == []
    context.close()
