"""One chunk of the full verify, checked in a separate process.

`verify_ledger` hands aligned chunks of 2**16 entries to worker processes when the log is large:
reading rows is as costly as hashing them and the interpreter runs one thread at a time, so a
second process is the way to use a second core. A worker answers only "this chunk agrees" (with
its root and the parts of any root the caller asked for) or "it does not"; the caller then
re-checks a disagreeing chunk itself, with the messages the report needs.

Workers are forked from a single-threaded caller and open their own connection: nothing of the
parent's database connections is used in a child.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

WORKERS = 2

_connection: Any = None
_sqlite = True


@dataclass(frozen=True, slots=True)
class ChunkResult:
    start: int
    ok: bool
    root: bytes = b""
    parts: dict[int, list[bytes]] | None = None  # tree size -> this chunk's subtree hashes


def open_database(dsn: str, sqlite: bool) -> None:
    """Process initializer: one read-only connection per worker."""
    global _connection, _sqlite
    _sqlite = sqlite
    if sqlite:
        _connection = sqlite3.connect(f"file:{dsn}?mode=ro", uri=True, check_same_thread=False)
    else:
        import psycopg

        _connection = psycopg.connect(dsn, autocommit=True)


def _rows(sql: str, params: tuple[int, ...]) -> list[Any]:
    if _sqlite:
        return _connection.execute(sql, params).fetchall()  # type: ignore[no-any-return]
    with _connection.cursor() as cur:
        # Binary results: bytea arrives as its bytes, not as hex text to decode (half the time
        # of a chunk's read at 10^7 entries).
        cur.execute(sql.replace("?", "%s"), params, binary=True)
        return cur.fetchall()  # type: ignore[no-any-return]


def _subtree_keys(start: int, end: int) -> list[tuple[int, int]]:
    # The same greedy split as frsgate.ledger.merkle.subtree_keys (kept here to stay light).
    keys = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start & ((1 << level) - 1):
            level -= 1
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def check_chunk(start: int, level: int, sizes: list[int]) -> ChunkResult:
    """Check the full chunk of 2**level entries from `start`: leaf hashes from the stored bytes
    (RFC 9162 §2.1.1: SHA-256(0x00 || entry)), every stored node inside it (SHA-256(0x01 || l
    || r)); return its root and, for each of `sizes` inside it, the parts of that root."""
    count = 1 << level
    rows = _rows(
        "SELECT entry, leaf_hash FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq",
        (start, start + count),
    )
    if len(rows) != count:
        return ChunkResult(start=start, ok=False)
    sha = hashlib.sha256
    computed = [sha(b"\x00" + bytes(e)).digest() for e, _ in rows]
    if computed != [bytes(h) for _, h in rows]:
        return ChunkResult(start=start, ok=False)
    levels = [computed]
    for lv in range(1, level + 1):
        below = levels[-1]
        here = [sha(b"\x01" + below[i] + below[i + 1]).digest() for i in range(0, len(below), 2)]
        first = start >> lv
        stored = _rows(
            "SELECT hash FROM ledger_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
            (lv, first, first + len(here)),
        )
        if [bytes(r[0]) for r in stored] != here:
            return ChunkResult(start=start, ok=False)
        levels.append(here)
    parts = {
        size: [levels[lv][i - (start >> lv)] for lv, i in _subtree_keys(start, size)]
        for size in sizes
    }
    return ChunkResult(start=start, ok=True, root=levels[level][0], parts=parts)


def can_fork() -> bool:
    """Workers are forked (no re-import, no re-run of the caller's script), which is only safe
    from a process running one thread: a lock another thread held at the fork would stay held
    in the child forever. A multi-threaded caller (a server, a test harness) verifies alone."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


def worker_dsn(engine: Engine) -> str:
    """How a worker process reaches the same database: a SQLite file path, or a libpq URL."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def check_in_workers(
    dsn: str, sqlite: bool, level: int, tasks: list[tuple[int, list[int]]]
) -> Iterator[ChunkResult]:
    """`check_chunk` for each (start, sizes) task in forked workers; results in task order.
    Stopping early (a problem found) cancels what has not started."""
    workers = min(WORKERS, os.cpu_count() or 1)
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=open_database,
        initargs=(dsn, sqlite),
    )
    try:
        futures = [pool.submit(check_chunk, start, level, sizes) for start, sizes in tasks]
        for future in futures:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
