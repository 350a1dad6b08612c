"""Shared fixtures: one database per test on SQLite, or on PostgreSQL when
FRSGATE_TEST_DATABASE_URL is set (a fresh schema per test, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
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


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the backend under test."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'frsgate-test.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database holding every table at head."""
    eng = make_engine(database_url)
    metadata.create_all(eng)
    yield eng
    eng.dispose()
