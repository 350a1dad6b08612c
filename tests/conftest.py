"""Shared fixtures: one database per test on SQLite, or on PostgreSQL when
FRSGATE_TEST_DATABASE_URL is set (a fresh schema per test, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, create_engine, text

from frsgate.store.engine import make_engine
from frsgate.store.schema import metadata

PG_URL = os.environ.get("FRSGATE_TEST_DATABASE_URL", "")


def backend_name() -> str:
    return "postgresql" if PG_URL else "sqlite"


def pytest_report_header(config: pytest.Config) -> str:
    where = PG_URL if PG_URL else "a temporary SQLite file per test"
    return f"frsgate store backend: {backend_name()} ({where})"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres_only") and not PG_URL:
        pytest.skip("needs PostgreSQL: set FRSGATE_TEST_DATABASE_URL (CI always does)")


@contextmanager
def _empty_database(folder: Path, name: str) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the backend under test."""
    with _empty_database(tmp_path, "frsgate-test") as url:
        yield url


@pytest.fixture
def second_database_url(tmp_path: Path) -> Iterator[str]:
    """Another empty database of the backend under test (a second installation)."""
    with _empty_database(tmp_path, "frsgate-second") as url:
        yield url


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of the backend under test shared by one module's tests (the browser
    tests drive one gateway per module: starting one per test would dominate their time)."""
    with _empty_database(tmp_path_factory.mktemp("module-db"), "frsgate-module") as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database holding every table at head."""
    eng = make_engine(database_url)
    metadata.create_all(eng)
    yield eng
    eng.dispose()
