"""Backup and restore on SQLite: the online backup API both ways.

The backup copies the live database (its WAL included) into one self-contained file while the
service keeps running, and reads the ledger head and schema revision from the copy; the restore
copies the archived file into the configured database file (created 0600 if absent) and puts it
back in WAL mode. Also here: what a SQLite target holds, for the check that it is empty.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from frsgate.errors import ConfigurationError
from frsgate.services.backup.archive import LedgerState, create_private
from frsgate.store.engine import normalize_url, prepare_sqlite_files


def snapshot_sqlite(engine: Engine, target: Path) -> tuple[LedgerState, str]:
    """Copy the live database into `target` with SQLite's online backup API; the ledger head
    and schema revision are read from the copy, so they are the snapshot's own."""
    source_file = engine.url.database
    if not source_file:
        raise ConfigurationError("the SQLite database has no file name")
    os.close(create_private(target))
    # Read-only source: the backup API reads one consistent snapshot (WAL included) in one
    # read transaction, so writers carry on and the copy is as of one commit.
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(copy)  # all pages in one step: one snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        size, root = copy.execute("SELECT size, root FROM ledger_head WHERE id = 1").fetchone()
        (revision,) = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        copy.close()
        source.close()
    return LedgerState(int(size), bytes(root)), str(revision)


def sqlite_target(url: str) -> Path:
    database = normalize_url(url).database
    if not database or database == ":memory:":
        raise ConfigurationError("FRSGATE_DATABASE_URL names no SQLite database file")
    return Path(database)


def sqlite_contents(database: Path) -> list[str]:
    if not database.exists() or database.stat().st_size == 0:
        return []
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
    finally:
        conn.close()
    return [str(r[0]) for r in rows]


def restore_sqlite(engine: Engine, extracted: Path) -> None:
    database = Path(str(engine.url.database))
    engine.dispose()  # no pooled connection of ours may hold the file during the copy
    prepare_sqlite_files(database)  # created 0600 if absent
    source = sqlite3.connect(f"file:{extracted}?mode=ro", uri=True)
    target = sqlite3.connect(database)
    try:
        target.execute("PRAGMA busy_timeout=30000")
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()
