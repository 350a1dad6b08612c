"""Start-up refuses a database whose durability settings are weaker than required."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from frsgate.config import load_settings
from frsgate.errors import ConfigurationError, StoreError
from frsgate.store.engine import check_durability, make_engine, normalize_url


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
    with pytest.raises(StoreError, match="cannot open database") as caught:
        make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite3'}")
    # The driver's words on one line, without SQLAlchemy's link to its error pages.
    assert "\n" not in caught.value.message
    assert "unable to open database file" in caught.value.message
    assert "sqlalche.me" not in caught.value.message


def test_unreachable_postgres_is_one_line() -> None:
    with pytest.raises(StoreError, match="cannot open database") as caught:
        make_engine("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
    assert "\n" not in caught.value.message
    assert "sqlalche.me" not in caught.value.message
    assert "secret" not in caught.value.message


def test_missing_sqlite_file_is_refused_without_creating_it(tmp_path: Path) -> None:
    missing = tmp_path / "frsgate.sqlite3"
    with pytest.raises(StoreError, match="does not exist; run `frsgate init`"):
        make_engine(f"sqlite:///{missing}", create=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_postgres_aliases_use_psycopg(scheme: str) -> None:
    url = f"{scheme}://u:p@db.example:5433/frs?sslmode=require"
    parsed = normalize_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert parsed.render_as_string(hide_password=False) == (
        "postgresql+psycopg://u:p@db.example:5433/frs?sslmode=require"
    )
    assert load_settings(database_url=url).database_url == url


def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unsupported scheme 'mysql'"):
        make_engine("mysql://localhost/db")
