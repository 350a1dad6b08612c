"""Start-up refuses a database whose durability settings are weaker than required."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from frsgate.errors import ConfigurationError, StoreError
from frsgate.store.engine import check_durability, make_engine


def _with_hook(url: str, statement: str) -> Engine:
    """An engine whose connect hook runs `statement` after ours (the last word wins)."""
    engine = make_engine(url, check=False)

    def weaken(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if engine.dialect.name != "sqlite":
            dbapi_connection.commit()

    event.listen(engine, "connect", weaken)
    return engine


def test_sqlite_defaults_pass(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ok.sqlite3'}")
    check_durability(engine)
    engine.dispose()


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("PRAGMA synchronous=NORMAL", "synchronous is 1; FRS Gate requires FULL"),
        ("PRAGMA synchronous=OFF", "synchronous is 0"),
        ("PRAGMA journal_mode=DELETE", "journal_mode is 'delete'; FRS Gate requires WAL"),
        ("PRAGMA foreign_keys=OFF", "foreign_keys is off"),
    ],
)
def test_sqlite_weaker_setting_is_refused(tmp_path: Path, statement: str, named: str) -> None:
    engine = _with_hook(f"sqlite:///{tmp_path / 'weak.sqlite3'}", statement)
    with pytest.raises(StoreError, match=named):
        check_durability(engine)
    engine.dispose()


@pytest.mark.postgres_only
def test_postgres_defaults_pass(database_url: str) -> None:
    engine = make_engine(database_url)
    engine.dispose()


@pytest.mark.postgres_only
def test_postgres_asynchronous_commit_is_refused(database_url: str) -> None:
    engine = _with_hook(database_url, "SET synchronous_commit = off")
    with pytest.raises(StoreError, match="synchronous_commit is 'off'; FRS Gate requires 'on'"):
        check_durability(engine)
    engine.dispose()


def test_unreachable_database_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite3'}")


def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unsupported scheme 'mysql'"):
        make_engine("mysql://localhost/db")
