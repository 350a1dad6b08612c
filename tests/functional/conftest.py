"""A whole FRS Gate over HTTP: demo data, the sandbox FRS and the gateway, each on a real
local port, on the backend under test (SQLite, or PostgreSQL with FRSGATE_TEST_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Gateway, Sandbox, running_gateway

from frsgate.connectors.sandbox import create_sandbox_app
from frsgate.connectors.serve import serve_in_thread


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    app = create_sandbox_app(seed=7, warm=True)
    with serve_in_thread(app) as url:
        yield Sandbox(url=url, app=app)


@pytest.fixture
def sandbox_url(sandbox: Sandbox) -> Iterator[str]:
    yield sandbox.url
    sandbox.inject("")


@pytest.fixture
def gateway(tmp_path: Path, database_url: str, sandbox_url: str) -> Iterator[Gateway]:
    with running_gateway(tmp_path / "home", database_url, sandbox_url) as gw:
        yield gw
