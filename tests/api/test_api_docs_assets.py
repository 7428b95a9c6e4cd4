"""The interactive docs need no network beyond the server: ``/api/v1/docs`` (Swagger UI) and
``/api/v1/redoc`` (ReDoc) reference only this server's own URLs, and those answer with the files."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from wattswitch.api.app import create_app
from wattswitch.api.settings import Settings


@pytest.fixture(scope="module")
def plain_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("docs") / "w.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}"))
    with TestClient(app) as client:
        yield client
    app.state.store.dispose()


def _references(html: str) -> list[str]:
    attributes = re.findall(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""", html)
    return attributes + re.findall(r"""url\s*:\s*['"]([^'"]+)['"]""", html)


@pytest.mark.parametrize(
    ("page", "kinds"),
    [("/api/v1/docs", {"javascript", "css", "png"}), ("/api/v1/redoc", {"javascript", "png"})],
)
def test_the_docs_pages_load_only_local_files(plain_client: TestClient, page: str, kinds: set[str]) -> None:
    response = plain_client.get(page)
    assert response.status_code == 200
    assert "http://" not in response.text
    assert "https://" not in response.text
    references = _references(response.text)
    assert "/api/v1/openapi.json" in references
    seen = set()
    for url in references:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        asset = plain_client.get(url)
        assert asset.status_code == 200, url
        kind = asset.headers["content-type"].split(";")[0]
        if url.endswith(".js"):
            assert kind in ("text/javascript", "application/javascript"), kind
            assert len(asset.content) > 100_000, url  # the real bundle, not a stub
            seen.add("javascript")
        elif url.endswith(".css"):
            assert kind == "text/css"
            seen.add("css")
        elif url.endswith(".png"):
            assert kind == "image/png"
            seen.add("png")
    assert seen == kinds


def test_an_unknown_asset_is_404(plain_client: TestClient) -> None:
    assert plain_client.get("/static/api-docs/nope.js").status_code == 404
    assert plain_client.get("/static/api-docs/../../etc/passwd").status_code == 404
