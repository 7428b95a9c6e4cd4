"""The dashboard in Debian's headless Chromium (Playwright driving /usr/bin/chromium): log in,
open each page at a laptop's 1366×768, check the charts and figures are there and nothing
overflows sideways, and take screenshots (set WATTSWITCH_SCREENSHOTS to keep them)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service_testing import ServerThread, World

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def server(service_world: tuple[World, TestClient]) -> Iterator[tuple[World, ServerThread]]:
    world, _client = service_world
    running = ServerThread(world.app)
    yield world, running
    running.stop()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _login(page: Any, base: str, key: str) -> None:
    page.goto(f"{base}/")
    assert page.url.endswith("/login")
    page.fill("input[name=key]", key)
    page.click("button[type=submit]")


def _check_page(page: Any, shot: Path, texts: list[str], min_charts: int) -> None:
    for text in texts:
        assert page.get_by_text(text, exact=False).first.is_visible(), text
    assert page.locator("svg").count() >= min_charts
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= LAPTOP["width"], f"page is {width}px wide"
    page.screenshot(path=str(shot), full_page=True)
    w, h = _png_size(shot)
    assert w == LAPTOP["width"]
    assert h >= LAPTOP["height"]
    assert shot.stat().st_size > 30_000  # a blank or unstyled page compresses far below this


def test_an_analyst_sees_power_split_revenue_capture_and_cash_flows(
    server: tuple[World, ServerThread], browser: Any, shots: Path
) -> None:
    world, running = server
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    _login(page, running.url, world.keys["analyst"])
    assert page.url == f"{running.url}/"
    _check_page(page, shots / "overview.png", ["Sites", "Recent runs", "Permian Flats"], 0)
    page.click("text=Permian Flats")
    _check_page(page, shots / "site.png", ["Latest run", "power split", "Revenue by stream", "Capture"], 3)
    page.goto(f"{running.url}/runs/{world.run_a}?policy=mpc")
    _check_page(page, shots / "run.png", ["'mpc': hourly power split", "Cumulative profit", "oracle"], 4)
    assert page.locator("text=Start a run").count() == 0  # analysts are read-only
    page.goto(f"{running.url}/plans/{world.plan_id}")
    _check_page(page, shots / "plan.png", ["annual cash flows", "Cumulative net cash", "recommended"], 2)
    page.goto(f"{running.url}/tenants/{world.tenant_a}")
    _check_page(page, shots / "tenant.png", ["Helix AI", "GPU-hours by day", "SLA by month"], 1)
    context.close()


def test_a_tenant_sees_only_its_own_page(
    server: tuple[World, ServerThread], browser: Any, shots: Path
) -> None:
    world, running = server
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    _login(page, running.url, world.keys["tenant_b"])
    assert page.url == f"{running.url}/tenants/{world.tenant_b}"
    _check_page(page, shots / "tenant-b.png", ["Other Corp", "GPU-hours by day"], 1)
    for path in (
        f"/tenants/{world.tenant_a}",
        f"/runs/{world.run_a}",
        f"/sites/{world.site_id}",
        f"/plans/{world.plan_id}",
    ):
        response = page.goto(f"{running.url}{path}")
        assert response is not None, path
        assert response.status == 404, path
        assert "Helix" not in page.content()
    context.close()


def test_an_operator_starts_a_run_from_the_site_page(
    server: tuple[World, ServerThread], browser: Any, shots: Path
) -> None:
    world, running = server
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    _login(page, running.url, world.keys["operator"])
    page.goto(f"{running.url}/sites/{world.site_id}")
    page.fill("input[name=start]", "2025-08-04")
    page.fill("input[name=end]", "2025-08-06")
    page.click("text=Start a run")
    assert "/runs/" in page.url
    page.wait_for_selector("text=Cumulative profit", timeout=120_000)  # the page refreshes until done
    _check_page(page, shots / "operator-run.png", ["Cumulative profit"], 4)
    page.goto(f"{running.url}/logout")
    assert page.url.endswith("/login")
    context.close()


def test_bad_keys_and_ids_never_fail_the_server(server: tuple[World, ServerThread], browser: Any) -> None:
    world, running = server
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(f"{running.url}/login")
    page.fill("input[name=key]", "not-a-key")
    page.click("button[type=submit]")
    assert page.get_by_text("unknown or revoked").is_visible()
    _login(page, running.url, world.keys["admin"])
    for path in (
        "/runs/999999",
        "/runs/0",
        "/runs/99999999999999999999",
        "/plans/-1",
        "/sites/abc",
        "/tenants/4294967296",
    ):
        response = page.goto(f"{running.url}{path}")
        assert response is not None, path
        assert 400 <= response.status < 500, path
    response = page.goto(f"{running.url}/runs/{world.run_a}?policy=%00%ff")  # unknown policy: the default
    assert response is not None
    assert response.status == 200
    context.close()
