"""The SQLite database and its ``-wal`` and ``-shm`` files are private (0600), from their
creation on, and wider modes found at start are tightened with a warning naming the file."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from frsgate.config import load_settings
from frsgate.domain import Role
from frsgate.ledger import Actor
from frsgate.services import admin
from frsgate.services.bootstrap import initialize
from frsgate.services.runtime import Runtime
from frsgate.store.engine import make_engine


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture(autouse=True)
def sqlite_only(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("file modes concern the SQLite files; PostgreSQL keeps no files here")


@pytest.fixture
def usual_umask() -> Iterator[None]:
    # The common 022 umask would leave SQLite's own files world-readable (0644); the modes
    # must come from FRS Gate, not from a strict umask the test happens to run under.
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_init_demo_and_a_write_leave_home_and_database_files_private(
    tmp_path: Path, usual_umask: None
) -> None:
    home = tmp_path / "home"
    database = home / "frsgate.sqlite3"
    settings = load_settings(
        home=home, database_url=f"sqlite:///{database}", checkpoint_interval_seconds=0
    )
    initialize(settings, demo=True)
    assert _mode(home) == 0o700
    assert _mode(database) == 0o600
    with Runtime.open(settings, periodic_checkpoints=False) as runtime:
        admin.create_user(
            runtime.gate,
            Actor(id="system", role="system"),
            username="walter",
            display_name="Walter Writes",
            roles=(Role.agent,),
        )
        # The runtime's pooled connections keep the WAL open, so both files exist now.
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert wal.exists()
        assert shm.exists()
        assert {_mode(p) for p in (database, wal, shm)} == {0o600}


def test_a_new_database_file_is_created_0600_before_sqlite_opens_it(
    tmp_path: Path, usual_umask: None
) -> None:
    database = tmp_path / "fresh.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert _mode(database) == 0o600
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        # Created by SQLite on the first write, with the database file's mode.
        for suffix in ("-wal", "-shm"):
            assert _mode(Path(f"{database}{suffix}")) == 0o600, suffix
    finally:
        engine.dispose()


def test_wider_existing_files_are_tightened_on_start_with_a_warning(
    tmp_path: Path, usual_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "old.sqlite3"
    url = f"sqlite:///{database}"
    first = make_engine(url)
    try:
        with first.connect() as held:
            held.execute(text("CREATE TABLE t (x INTEGER)"))
            held.commit()
            # While this connection is open the -wal and -shm files exist; widen all three as
            # an older release (or a careless copy) might have left them.
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            for path in files:
                path.chmod(0o644)
            with caplog.at_level(logging.WARNING, logger="frsgate.store.engine"):
                second = make_engine(url)
            second.dispose()
            assert {_mode(p) for p in files} == {0o600}
            for path in files:
                assert any(str(path) in r.getMessage() for r in caplog.records), path
    finally:
        first.dispose()


def test_private_files_are_left_alone_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'quiet.sqlite3'}"
    make_engine(url).dispose()
    with caplog.at_level(logging.WARNING, logger="frsgate.store.engine"):
        make_engine(url).dispose()
    assert not caplog.records
