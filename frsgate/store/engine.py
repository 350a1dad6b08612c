"""Engines for SQLite and PostgreSQL with the durability the ledger relies on, checked at start.

SQLite runs with WAL, ``synchronous=FULL`` and ``foreign_keys=ON``; PostgreSQL with
``synchronous_commit=on`` and ``fsync=on``. A commit is only durable under these settings, and
`append` in the ledger promises durability, so start-up refuses anything weaker.

A SQLite database file is private to the service: `make_engine` creates it with mode 0600
before SQLite opens it, and tightens an existing database, ``-wal`` or ``-shm`` file that group
or others may access (with a warning naming the file). SQLite's unix VFS creates the ``-wal``
and ``-shm`` files with the database file's own mode, so they are 0600 from their first write
on, without touching the process umask (which is shared by every thread of a server).
With ``create=False`` (commands that only read or extend an installed database), a missing
SQLite file is an error instead: nothing is left behind by a command run before `frsgate init`.

A database that cannot be opened is a `StoreError` whose message is the driver's own words on
one line, without SQLAlchemy's statement echo and link to its error pages.
A store that cannot take a write (disk full, read-only, lock timeout) raises `LedgerUnavailable`
(`frsgate.store.faults`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from frsgate.errors import ConfigurationError, StoreError
from frsgate.store.faults import on_driver_error

log = logging.getLogger(__name__)

PRIVATE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm")


def normalize_url(url: str) -> URL:
    """Map plain `postgresql://` and its common alias `postgres://` to the psycopg 3 driver;
    refuse unknown schemes."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with a terse text
        raise ConfigurationError(f"FRSGATE_DATABASE_URL is not a database URL: {exc}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ConfigurationError(
            f"FRSGATE_DATABASE_URL has unsupported scheme {parsed.drivername!r}; "
            "use sqlite:/// or postgresql://"
        )
    return parsed


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITE_LOCKS_GUARD = threading.Lock()


@contextmanager
def serialized_writes(engine: Engine) -> Iterator[None]:
    """On SQLite, let one thread of this process write at a time, queueing on a lock.

    SQLite has one writer anyway; without this, threads wait for it in SQLite's busy handler,
    which sleeps in steps of up to 100 ms and so turns a 2 ms wait into a 25 ms one. Writers
    in other processes still meet SQLite's own lock. On PostgreSQL this does nothing: rows,
    not the database, are locked there.
    """
    if not is_sqlite(engine):
        yield
        return
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.setdefault(engine, threading.Lock())
    if not lock.acquire(timeout=60):
        raise StoreError("waited 60 s for the database's write lock; is a writer stuck?")
    try:
        yield
    finally:
        lock.release()


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin, so BEGIN IMMEDIATE works.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def tighten_private_file(path: Path, mode: int = PRIVATE_FILE_MODE) -> bool:
    """Restrict an existing file or directory we own to `mode`; warn when it was wider.

    Returns whether the mode was changed. A missing path is not an error (the ``-wal`` and
    ``-shm`` files come and go with the connections).
    """
    try:
        current = path.stat().st_mode
    except FileNotFoundError:
        return False
    if not current & (stat.S_IRWXG | stat.S_IRWXO):
        return False
    path.chmod(mode)
    # The name and the modes only: the file is the service's own, its contents never logged.
    log.warning(
        "tightened permissions of %s from %s to %s (group or others could access it)",
        path,
        stat.filemode(current),
        stat.filemode(stat.S_IFMT(current) | mode),
    )
    return True


def _sqlite_file(parsed: URL) -> Path | None:
    """The database file a SQLite URL names, or None when SQLite interprets the name itself."""
    if str(parsed.query.get("uri", "")).lower() in ("true", "1"):
        return None  # a `file:` URI with its own parameters; leave it to SQLite
    if not parsed.database:
        return None
    return Path(parsed.database)


def prepare_sqlite_files(database: Path) -> None:
    """Create the database file 0600 if absent; tighten it and its ``-wal``/``-shm`` if wider.

    Creating the (empty) file ourselves, rather than letting SQLite create it, is what makes it
    private: SQLite would use 0644 minus the umask, and it gives the ``-wal`` and ``-shm``
    files the database file's mode. An absent parent directory is left for SQLite to report.
    """
    if not database.exists() and database.parent.is_dir():
        try:
            fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        except FileExistsError:
            pass  # another process created it first; tightened below like any existing file
        else:
            os.close(fd)
    for path in (database, *(Path(f"{database}{suffix}") for suffix in SQLITE_SIDE_FILES)):
        try:
            tighten_private_file(path)
        except PermissionError as exc:
            raise StoreError(
                f"database file {path} may be read by group or others and cannot be made "
                f"0600: {exc.strerror or exc}"
            ) from None


READ_ONLY = "frsgate_read_only"


def _sqlite_on_begin(conn: Any) -> None:
    # A writer takes the write lock at BEGIN (IMMEDIATE), so two writers never deadlock on a
    # lock upgrade. A reader (see `frsgate.store.unit.read_only`) begins DEFERRED: under WAL it
    # reads a consistent snapshot without taking or waiting for the write lock.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET synchronous_commit = on")
    cursor.close()
    dbapi_connection.commit()


def make_engine(url: str, *, check: bool = True, create: bool = True, **kwargs: Any) -> Engine:
    """Create an engine for `url` with our pragmas; with `check`, verify durability settings.

    Without `create`, a SQLite database file that does not exist yet is refused (StoreError)
    before anything creates it.
    """
    parsed = normalize_url(url)
    if parsed.drivername.startswith("sqlite"):
        if parsed.database in (None, "", ":memory:"):
            raise ConfigurationError(
                "FRSGATE_DATABASE_URL names an in-memory SQLite database; FRS Gate needs a file "
                "(its ledger must survive the process)"
            )
        database = _sqlite_file(parsed)
        if database is not None:
            if not create and not database.exists():
                raise StoreError(
                    f"database file {database} does not exist; run `frsgate init` to create it"
                )
            prepare_sqlite_files(database)
        # A pool keeps connections (and their pragmas) across transactions; each connection
        # is used by one thread at a time, which is what check_same_thread guards against.
        kwargs.setdefault("pool_size", 8)
        kwargs.setdefault("max_overflow", 64)
        kwargs.setdefault("pool_timeout", 60)
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _postgres_on_connect)
    # A full disk, a read-only database or a lock timeout is `LedgerUnavailable` (a 503 that
    # names it), not the driver's error: see `frsgate.store.faults`.
    event.listen(engine, "handle_error", on_driver_error)
    if check:
        check_durability(engine)
    return engine


def check_durability(engine: Engine) -> None:
    """Refuse to run on settings under which a commit might not survive a crash."""
    try:
        with engine.connect() as conn:
            if is_sqlite(engine):
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
                fks = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
                if str(mode).lower() != "wal":
                    raise StoreError(f"SQLite journal_mode is {mode!r}; FRS Gate requires WAL")
                if sync != 2:  # 2 = FULL; NORMAL (1) may lose the last commits on power loss
                    raise StoreError(f"SQLite synchronous is {sync}; FRS Gate requires FULL (2)")
                if fks != 1:
                    raise StoreError("SQLite foreign_keys is off; FRS Gate requires ON")
            else:
                sync = conn.execute(text("SHOW synchronous_commit")).scalar()
                fsync = conn.execute(text("SHOW fsync")).scalar()
                if sync != "on":
                    raise StoreError(
                        f"PostgreSQL synchronous_commit is {sync!r}; FRS Gate requires 'on'"
                    )
                if fsync != "on":
                    raise StoreError(f"PostgreSQL fsync is {fsync!r}; FRS Gate requires 'on'")
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot open database {engine.url!r}: {describe_error(exc)}") from exc


def describe_error(exc: BaseException) -> str:
    """The driver's message about a database error, on one line.

    SQLAlchemy's own text adds the SQL statement and a "Background on this error at:" link on
    further lines, which tell an operator nothing about what to fix; drivers such as psycopg
    put a hint on a second line, which is kept.
    """
    detail = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = [line.strip() for line in str(detail).splitlines() if line.strip()]
    return "; ".join(lines) or type(detail).__name__
