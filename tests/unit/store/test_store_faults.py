"""A store that cannot take a write is named: the driver's disk-full, read-only and timeout
errors become `LedgerUnavailable` with their cause on every write path (SQLAlchemy statements
and commits, the ledger's raw appends inside a caller's transaction and its group commit), a
503 with Retry-After at the edge; any other driver error stays what it was. Readiness sees the
faults without writing. The functional test (`tests/functional/test_ledger_unavailable.py`)
runs the same faults through the HTTP API."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg.errors
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

from frsgate.api.errors import status_for
from frsgate.errors import LedgerFault, LedgerUnavailable, StoreError
from frsgate.ledger import Actor, EntryDraft, EventTag, Ledger, Outcome
from frsgate.ledger.notes import CheckpointSigner
from frsgate.store.faults import check_writable, classify
from frsgate.store.unit import read_only, unit_of_work


def _draft(n: int) -> EntryDraft:
    return EntryDraft(
        event=EventTag.SUBMISSION_DISPATCH_INTENT,
        actor=Actor(id="user-1", role="agent"),
        outcome=Outcome.SUCCEEDED,
        subject=f"submission:{n}",
        component="tests",
        source="127.0.0.1",
        details={"n": n},
    )


@contextmanager
def _read_only_database(engine: Engine) -> Iterator[None]:
    """Every connection checked out meanwhile refuses writes, as a read-only file or a
    standby does (and is reset when checked out afterwards)."""
    sqlite = engine.dialect.name == "sqlite"

    def on_checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
        cur = dbapi.cursor()
        if sqlite:
            cur.execute("PRAGMA query_only = 1")
        else:
            cur.execute("SET default_transaction_read_only = on")
            dbapi.commit()
        cur.close()

    def on_reset(dbapi: Any, _record: Any, _proxy: Any) -> None:
        cur = dbapi.cursor()
        if sqlite:
            cur.execute("PRAGMA query_only = 0")
        else:
            cur.execute("SET default_transaction_read_only = off")
            dbapi.commit()
        cur.close()

    engine.pool.dispose()
    event.listen(engine, "checkout", on_checkout)
    try:
        yield
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.listen(engine, "checkout", on_reset)
        engine.pool.dispose()


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (psycopg.errors.DiskFull("could not extend file"), LedgerFault.disk_full),
        (psycopg.errors.ReadOnlySqlTransaction("read-only transaction"), LedgerFault.read_only),
        (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
         LedgerFault.lock_timeout),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
         LedgerFault.statement_timeout),
        (psycopg.errors.UniqueViolation("duplicate key"), None),
        (psycopg.errors.SyntaxError("syntax error"), None),
        (sqlite3.OperationalError("database or disk is full"), LedgerFault.disk_full),
        (sqlite3.OperationalError("attempt to write a readonly database"), LedgerFault.read_only),
        (sqlite3.OperationalError("database is locked"), LedgerFault.lock_timeout),
        (sqlite3.IntegrityError("UNIQUE constraint failed: users.username"), None),
        (ValueError("database is locked"), None),  # not a driver's error
    ],
)  # fmt: skip
def test_driver_errors_are_classified(error: Exception, cause: LedgerFault | None) -> None:
    assert classify(error) is cause
    wrapped = DBAPIError.instance("UPDATE t", {}, error, type(error))
    assert classify(wrapped) is cause


def test_sqlite_result_codes_are_classified(tmp_path: Path) -> None:
    """The errors SQLite itself raises, by their result code."""
    db = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE t (x BLOB)")
    db.execute("PRAGMA max_page_count = 1")  # the current size: a disk with no room left
    with pytest.raises(sqlite3.OperationalError) as full:
        db.execute("INSERT INTO t VALUES (zeroblob(100000))")
    db.execute("PRAGMA max_page_count = 4294967294")
    db.execute("PRAGMA query_only = 1")
    with pytest.raises(sqlite3.OperationalError) as read_only_error:
        db.execute("INSERT INTO t VALUES (1)")
    db.execute("PRAGMA query_only = 0")
    holder = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    db.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(sqlite3.OperationalError) as locked:
        db.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
    holder.close()
    with pytest.raises(sqlite3.OperationalError) as syntax:
        db.execute("INSERT INTO nowhere VALUES (1)")
    db.close()
    assert classify(full.value) is LedgerFault.disk_full
    assert classify(read_only_error.value) is LedgerFault.read_only
    assert classify(locked.value) is LedgerFault.lock_timeout
    assert classify(syntax.value) is None


@pytest.mark.parametrize("cause", list(LedgerFault))
def test_the_error_names_its_cause_and_maps_to_503(cause: LedgerFault) -> None:
    error = LedgerUnavailable(cause)
    assert isinstance(error, StoreError)
    assert error.cause is cause
    assert error.message.startswith("the audit ledger cannot be written: ")
    assert "nothing was done" in error.message
    assert error.retry_after_seconds > 0
    assert status_for(error) == 503
    assert "disk is full" in LedgerUnavailable(LedgerFault.disk_full).message


def test_a_write_refused_by_the_database_is_ledger_unavailable(engine: Engine) -> None:
    with (
        _read_only_database(engine),
        pytest.raises(LedgerUnavailable) as refused,
        unit_of_work(engine) as uow,
    ):
        uow.conn.exec_driver_sql("UPDATE ledger_head SET size = size")
    assert refused.value.cause is LedgerFault.read_only
    with unit_of_work(engine) as uow:  # cleared: the same write succeeds
        uow.conn.exec_driver_sql("UPDATE ledger_head SET size = size")


def test_a_write_inside_a_read_only_transaction_is_a_defect_not_a_fault(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's read transactions are not declared READ ONLY")
    with pytest.raises(DBAPIError), read_only(engine) as uow:
        uow.conn.exec_driver_sql("UPDATE ledger_head SET size = size")


def test_ledger_appends_name_the_fault_and_resume(engine: Engine) -> None:
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), "frsgate.test/ledger")
    with Ledger(engine, signer=signer, origin="frsgate.test/ledger") as ledger:
        # Inside a caller's transaction.
        if engine.dialect.name == "sqlite":
            # Read-only once the write lock is held: the ledger's raw cursor meets the fault,
            # which the engine's listener never sees.
            with pytest.raises(LedgerUnavailable) as inside, unit_of_work(engine) as uow:  # noqa: PT012
                uow.conn.exec_driver_sql("PRAGMA query_only = 1")
                ledger.append_in(uow.conn, [_draft(0)])
            engine.pool.dispose()  # that connection is read-only for good
        else:
            with (
                _read_only_database(engine),
                pytest.raises(LedgerUnavailable) as inside,
                unit_of_work(engine) as uow,
            ):
                ledger.append_in(uow.conn, [_draft(0)])
        # The group commit, on its own connection.
        with _read_only_database(engine), pytest.raises(LedgerUnavailable) as grouped:
            ledger.append(_draft(0))
        assert inside.value.cause is LedgerFault.read_only
        assert grouped.value.cause is LedgerFault.read_only
        assert ledger.size() == 0
        assert ledger.append(_draft(0)) == 0
        with unit_of_work(engine) as uow:
            assert ledger.append_in(uow.conn, [_draft(1)]) == [1]
        assert ledger.size() == 2


def test_readiness_sees_a_read_only_database(engine: Engine) -> None:
    check_writable(engine)
    with _read_only_database(engine), pytest.raises(LedgerUnavailable) as refused:
        check_writable(engine)
    assert refused.value.cause is LedgerFault.read_only
    check_writable(engine)


def test_readiness_sees_a_sqlite_database_at_its_size_limit(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("a page limit is SQLite's")

    def full(dbapi: Any, _record: Any, _proxy: Any) -> None:
        dbapi.execute("PRAGMA max_page_count = 1")

    def room(dbapi: Any, _record: Any, _proxy: Any) -> None:
        dbapi.execute("PRAGMA max_page_count = 4294967294")

    engine.pool.dispose()
    event.listen(engine, "checkout", full)
    with pytest.raises(LedgerUnavailable) as refused:
        check_writable(engine)
    assert refused.value.cause is LedgerFault.disk_full
    event.remove(engine, "checkout", full)
    event.listen(engine, "checkout", room)
    check_writable(engine)
