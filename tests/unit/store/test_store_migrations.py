"""Migrations build, from an empty database, exactly the tables the code defines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from frsgate.errors import StoreError
from frsgate.store.engine import make_engine
from frsgate.store.migrate import (
    alembic_config,
    check_no_drift,
    current_revision,
    head_revision,
    require_at_head,
    upgrade,
    upgrade_to_head,
)
from frsgate.store.schema import metadata

ROOT = Path(__file__).resolve().parents[3]


def test_empty_database_upgrades_to_head_without_drift(database_url: str) -> None:
    assert upgrade_to_head(database_url) == head_revision()
    check_no_drift(database_url)
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables
        assert tables - set(metadata.tables) == {"alembic_version"}
        require_at_head(engine)
    finally:
        engine.dispose()


def test_upgrade_is_idempotent_and_reversible(database_url: str) -> None:
    upgrade_to_head(database_url)
    assert upgrade_to_head(database_url) == head_revision()
    engine = make_engine(database_url)
    try:
        from alembic import command

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    check_no_drift(database_url)


def test_service_refuses_a_database_not_at_head(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with pytest.raises(StoreError, match="has no FRS Gate schema; run `frsgate init`"):
            require_at_head(engine)
        upgrade_to_head(database_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
        with pytest.raises(StoreError, match=r"at schema revision 'old' but .* needs '"):
            require_at_head(engine)
    finally:
        engine.dispose()


def test_drift_is_detected_and_named(database_url: str) -> None:
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE cases ADD COLUMN nickname VARCHAR(20)"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match=r"schema drift.*nickname"):
        check_no_drift(database_url)


def test_drift_check_needs_a_migrated_database(database_url: str) -> None:
    with pytest.raises(StoreError, match="not up to date"):
        check_no_drift(database_url)


def test_alembic_command_line_from_the_repository_root(database_url: str) -> None:
    env = os.environ | {"FRSGATE_DATABASE_URL": database_url}
    alembic = [sys.executable, "-m", "alembic"]
    for args in (["upgrade", "head"], ["check"], ["current"]):
        done = subprocess.run(
            [*alembic, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    assert head_revision() in done.stdout
