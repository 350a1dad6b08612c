"""When the store under the ledger cannot take a write: recognise it, name it, check for it.

The ledger entry of an act commits before the act takes effect (log before act), so a store
that refuses writes must stop every act. The driver says why it refused in its own terms;
`ledger_fault` turns the causes that are faults of the installation rather than of FRS Gate
into one typed error, `LedgerUnavailable` (an HTTP 503 with Retry-After at the edge):

- disk full: SQLite SQLITE_FULL ("database or disk is full"); PostgreSQL 53100 disk_full
  ("could not extend file");
- read-only database: SQLite SQLITE_READONLY ("attempt to write a readonly database");
  PostgreSQL 25006 read_only_sql_transaction (default_transaction_read_only, a standby);
- lock timeout: SQLite SQLITE_BUSY or SQLITE_LOCKED ("database is locked", once the busy
  timeout ran out); PostgreSQL 55P03 lock_not_available (lock_timeout);
- statement timeout: PostgreSQL 57014 query_canceled (statement_timeout).

`make_engine` installs `on_driver_error` on every engine, so any statement or commit made
through SQLAlchemy raises `LedgerUnavailable` for these; the ledger's own raw-cursor paths call
`ledger_fault` themselves. Everything else stays what it was (a defect is still a 500).

Readiness (`check_writable`) asks the store whether it could take a write now, without writing:
a write transaction opened on the ledger head and rolled back (read-only, lock), and on SQLite
the room left for the database to grow (its page limit, and the free space of its file system).
A full PostgreSQL disk shows only when a write needs a new page, so there a disk-full refusal
seen in the last `DISK_FULL_MEMORY_SECONDS` keeps readiness down that long after it. Nothing
else is remembered and nothing blocks a request: the first write after the fault clears
simply succeeds.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError

from frsgate.errors import LedgerFault, LedgerUnavailable

log = logging.getLogger(__name__)

# SQLite primary result codes (sqlite3.h); an extended code keeps its primary in the low byte.
_SQLITE_CODES = {
    13: LedgerFault.disk_full,  # SQLITE_FULL
    8: LedgerFault.read_only,  # SQLITE_READONLY
    5: LedgerFault.lock_timeout,  # SQLITE_BUSY: the busy timeout ran out
    6: LedgerFault.lock_timeout,  # SQLITE_LOCKED
}
# The same by message, for a driver that does not expose the code.
_SQLITE_MESSAGES = (
    ("database or disk is full", LedgerFault.disk_full),
    ("readonly database", LedgerFault.read_only),
    ("database is locked", LedgerFault.lock_timeout),
    ("database table is locked", LedgerFault.lock_timeout),
)
_PG_SQLSTATES = {
    "53100": LedgerFault.disk_full,  # disk_full
    "25006": LedgerFault.read_only,  # read_only_sql_transaction
    "55P03": LedgerFault.lock_timeout,  # lock_not_available (lock_timeout)
    "57014": LedgerFault.statement_timeout,  # query_canceled (statement_timeout)
}

DISK_FULL_MEMORY_SECONDS = 10.0
# How long readiness waits for the write lock before it calls the database locked.
PROBE_LOCK_TIMEOUT_MS = 2000
# Below this much free space on the SQLite database's file system the disk counts as full:
# a write needs a few pages of WAL and the -shm index beside it.
MIN_FREE_BYTES = 1 << 20

_disk_full_seen: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
_seen_guard = threading.Lock()


def classify(exc: BaseException) -> LedgerFault | None:
    """The ledger fault a driver error reports, or None when it is not one of them."""
    detail = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    sqlstate = getattr(detail, "sqlstate", None)
    if isinstance(sqlstate, str):
        return _PG_SQLSTATES.get(sqlstate)
    if isinstance(detail, sqlite3.Error):
        code = getattr(detail, "sqlite_errorcode", None)
        if isinstance(code, int):
            return _SQLITE_CODES.get(code & 0xFF)
        text = str(detail).lower()
        return next((cause for words, cause in _SQLITE_MESSAGES if words in text), None)
    return None


def ledger_fault(engine: Engine, exc: BaseException) -> LedgerUnavailable | None:
    """`LedgerUnavailable` for a driver error that is a ledger fault (logged, and a full disk
    remembered for readiness), or None."""
    cause = classify(exc)
    if cause is None:
        return None
    if cause is LedgerFault.disk_full:
        with _seen_guard:
            _disk_full_seen[engine] = time.monotonic()
    detail = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    # The driver's words on one line (no SQL, no parameters): what an operator needs to fix it.
    words = "; ".join(line.strip() for line in str(detail).splitlines() if line.strip())
    log.warning("the database refused a write (%s): %s", cause.value, words)
    return LedgerUnavailable(cause)


def on_driver_error(context: ExceptionContext) -> BaseException | None:
    """SQLAlchemy `handle_error` listener: raise `LedgerUnavailable` instead of the driver's
    error for a ledger fault (installed by `make_engine`)."""
    if context.is_pre_ping or context.engine is None:
        return None
    fault = ledger_fault(context.engine, context.original_exception)
    if fault is None:
        return None
    if fault.cause is LedgerFault.read_only and context.connection is not None:
        from frsgate.store.engine import READ_ONLY  # here: engine.py imports this module

        if context.connection.get_execution_options().get(READ_ONLY):
            # A write inside `read_only` is a defect of the code, not of the installation.
            return None
    return fault


def check_writable(engine: Engine) -> None:
    """Raise `LedgerUnavailable` unless the store could take a ledger write now (readiness).

    Writes nothing: the write transaction it opens on the ledger head is rolled back.
    """
    if engine.dialect.name == "sqlite":
        _check_sqlite(engine)  # sees its size limit and the free space itself
        return
    with _seen_guard:
        seen = _disk_full_seen.get(engine)
    if seen is not None and time.monotonic() - seen < DISK_FULL_MEMORY_SECONDS:
        raise LedgerUnavailable(LedgerFault.disk_full)
    _check_postgres(engine)


def _check_sqlite(engine: Engine) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        try:
            busy = cur.execute("PRAGMA busy_timeout").fetchone()[0]
            cur.execute(f"PRAGMA busy_timeout = {PROBE_LOCK_TIMEOUT_MS}")
            try:
                # The write lock, as every writer takes it: a read-only database or another
                # writer holding the lock past the timeout fails here.
                cur.execute("BEGIN IMMEDIATE")
                cur.execute("UPDATE ledger_head SET size = size WHERE id = 1")
                pages, limit, free = (
                    cur.execute(f"PRAGMA {name}").fetchone()[0]
                    for name in ("page_count", "max_page_count", "freelist_count")
                )
                if free == 0 and pages >= limit:
                    raise LedgerUnavailable(LedgerFault.disk_full)  # at its size limit
                database = _database_file(engine)
                if database is not None and _free_bytes(database.parent) < MIN_FREE_BYTES:
                    raise LedgerUnavailable(LedgerFault.disk_full)
            finally:
                if raw.driver_connection is not None and raw.driver_connection.in_transaction:
                    cur.execute("ROLLBACK")
                cur.execute(f"PRAGMA busy_timeout = {int(busy)}")
        except sqlite3.Error as exc:
            fault = ledger_fault(engine, exc)
            if fault is None:
                raise
            raise fault from exc
        finally:
            cur.close()
    finally:
        raw.close()


def _check_postgres(engine: Engine) -> None:
    # Through SQLAlchemy, so `on_driver_error` names the fault; rolled back when the block ends.
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {PROBE_LOCK_TIMEOUT_MS}")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {2 * PROBE_LOCK_TIMEOUT_MS}")
        conn.exec_driver_sql("UPDATE ledger_head SET size = size WHERE id = 1")
        conn.rollback()


def _database_file(engine: Engine) -> Path | None:
    name = engine.url.database
    if not name or name == ":memory:" or str(engine.url.query.get("uri", "")) in ("true", "1"):
        return None
    return Path(name)


def _free_bytes(folder: Path) -> int:
    try:
        stats = os.statvfs(folder)
    except OSError:
        return MIN_FREE_BYTES  # cannot tell: leave it to the writes to say
    return stats.f_bavail * stats.f_frsize
