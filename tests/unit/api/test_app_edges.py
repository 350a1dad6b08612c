"""The app's edges outside /api/v1's routes: Swagger UI at /docs works offline (every asset it
references comes from the app itself), and an unknown path or method answers in the API's own
error shape rather than Starlette's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from frsgate.api.app import create_app
from frsgate.config import load_settings
from frsgate.connectors.serve import serve_in_thread
from frsgate.services.bootstrap import initialize
from frsgate.services.runtime import Runtime


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[httpx.Client]:
    settings = load_settings(
        home=tmp_path / "home",
        database_url=database_url,
        sandbox_frs=False,
        checkpoint_interval_seconds=0,
    )
    initialize(settings, demo=False)
    with (
        Runtime.open(settings, periodic_checkpoints=False) as runtime,
        serve_in_thread(create_app(runtime)) as url,
        httpx.Client(base_url=url, timeout=30) as anonymous,
    ):
        yield anonymous


def test_docs_reference_only_the_apps_own_assets(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    own_host = urlparse(str(client.base_url)).netloc
    for found in re.findall(r"https?://[^\s\"'<>)]+", html):
        assert urlparse(found).netloc == own_host, f"/docs references {found}"

    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any(a.endswith(".js") for a in assets), html
    assert any(a.endswith(".css") for a in assets), html
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.content, asset
    assert "'/openapi.json'" in html
    assert client.get("/openapi.json").status_code == 200
    # Swagger UI would otherwise report the document's address to validator.swagger.io.
    assert '"validatorUrl": null' in html


def test_docs_are_not_in_the_openapi_document(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith("/docs") for p in paths)


def test_unknown_route_answers_in_the_api_error_shape(client: httpx.Client) -> None:
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": "NotFound",
        "message": "no such resource: /api/v1/nope",
    }
    missing_asset = client.get("/docs/assets/nope.js")
    assert missing_asset.status_code == 404
    assert missing_asset.json()["error"] == "NotFound"


def test_wrong_method_answers_in_the_api_error_shape(client: httpx.Client) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.json() == {
        "error": "MethodNotAllowed",
        "message": "method DELETE not allowed on /healthz",
    }
    assert response.headers["allow"] == "GET"
