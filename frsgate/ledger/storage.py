"""Reading and writing the ledger tables: head, entries, complete-subtree nodes, checkpoints.

Reads go through plain DB-API cursors. On SQLite the store engine opens every SQLAlchemy
transaction with BEGIN IMMEDIATE (the write lock), which a reader must not take, so readers
keep one raw autocommit connection per thread; on PostgreSQL they borrow a pooled connection.
Reads need no snapshot: the tree is append-only, so every node and entry below a size read from
the head was committed with that head and never changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from frsgate.errors import StoreError
from frsgate.ledger import rollup
from frsgate.ledger.index import INDEX_COLUMNS, REFUSAL_COLUMNS, Batch
from frsgate.ledger.merkle import EMPTY_ROOT, NodeKey
from frsgate.store.engine import is_sqlite
from frsgate.store.schema.ledger import (
    ledger_checkpoints,
    ledger_head,
)

Row = tuple[Any, ...]


class Reader:
    """Read-only access to the ledger tables that never blocks writers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = is_sqlite(engine)
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        if self._closed:
            raise StoreError("the ledger is closed")
        if self._sqlite:
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self.engine.raw_connection()
                self._local.conn = conn
                with self._lock:
                    self._opened.append(conn)
            cur = conn.cursor()
            try:
                yield cur
            finally:
                cur.close()
            return
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            try:
                yield cur
            finally:
                cur.close()
            conn.rollback()  # end the read transaction psycopg opened
        finally:
            conn.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.cursor() as cur:
            if self._sqlite:
                cur.execute(sql, tuple(params))
            else:  # binary results: bytea as its bytes, not hex text to decode
                cur.execute(self.sql(sql), tuple(params), binary=True)
            return list(cur.fetchall())

    def sql(self, text: str) -> str:
        """Queries are written with `?`; psycopg wants `%s`."""
        return text if self._sqlite else text.replace("?", "%s")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()

    # Queries -----------------------------------------------------------------------------

    def head(self) -> tuple[int, bytes]:
        rows = self.query("SELECT size, root FROM ledger_head WHERE id = 1")
        if not rows:
            return 0, EMPTY_ROOT
        return int(rows[0][0]), bytes(rows[0][1])

    def head_frontier(self) -> bytes:
        rows = self.query("SELECT frontier FROM ledger_head WHERE id = 1")
        return bytes(rows[0][0]) if rows else b""

    def nodes(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        return fetch_nodes(self.query, keys)

    def entries(self, start: int, end: int) -> list[tuple[int, bytes]]:
        rows = self.query(
            "SELECT seq, entry FROM ledger_entries WHERE seq >= ? AND seq < ? ORDER BY seq",
            (start, end),
        )
        return [(int(s), bytes(e)) for s, e in rows]

    def checkpoint_rows(self, *, latest_only: bool = False) -> list[tuple[int, bytes, str]]:
        sql = "SELECT tree_size, root, note FROM ledger_checkpoints ORDER BY tree_size"
        if latest_only:
            sql += " DESC LIMIT 1"
        return [(int(s), bytes(r), str(n)) for s, r, n in self.query(sql)]


_BATCH = 200  # keys per statement, well under every backend's parameter limit


def fetch_nodes(query: Any, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """Hashes of the complete subtrees `keys`: level 0 from the entries, others from nodes."""
    wanted = sorted(set(keys))
    found: dict[NodeKey, bytes] = {}
    for i in range(0, len(wanted), _BATCH):
        chunk = wanted[i : i + _BATCH]
        leaves = [idx for level, idx in chunk if level == 0]
        inner = [(level, idx) for level, idx in chunk if level > 0]
        parts: list[str] = []
        params: list[int] = []
        if leaves:
            # Only placeholders are built here; every value is a bound parameter.
            marks = ",".join("?" * len(leaves))
            parts.append(f"SELECT 0, seq, leaf_hash FROM ledger_entries WHERE seq IN ({marks})")  # noqa: S608
            params.extend(leaves)
        if inner:
            terms = " OR ".join("(level = ? AND idx = ?)" for _ in inner)
            parts.append(f"SELECT level, idx, hash FROM ledger_nodes WHERE {terms}")  # noqa: S608
            params.extend(v for key in inner for v in key)
        for level, idx, value in query(" UNION ALL ".join(parts), params):
            found[(int(level), int(idx))] = bytes(value)
    return found


# Writes (inside the appender's or checkpointer's SQLAlchemy transaction) ----------------------


def ensure_head(engine: Engine) -> None:
    """Create the head row of an empty ledger; a no-op when it exists (any process may race)."""
    dialect_insert = sqlite_insert if is_sqlite(engine) else pg_insert
    stmt = (
        dialect_insert(ledger_head)
        .values(id=1, size=0, root=EMPTY_ROOT, frontier=b"")
        .on_conflict_do_nothing(index_elements=["id"])
    )
    with engine.begin() as conn:
        conn.execute(stmt)


def lock_head(conn: Connection) -> tuple[int, bytes, bytes]:
    """Read size, root and frontier under the appenders' lock, in a SQLAlchemy transaction
    (FOR UPDATE on PostgreSQL; on SQLite its BEGIN IMMEDIATE already holds the write lock)."""
    sql = _HEAD if conn.dialect.name == "sqlite" else _HEAD + " FOR UPDATE"
    return _head_row(conn.exec_driver_sql(sql).one_or_none())


def head_for_update(cur: Any, *, sqlite: bool) -> tuple[int, bytes, bytes]:
    """The same on a raw DB-API cursor inside the appender's transaction."""
    cur.execute(_HEAD if sqlite else _HEAD + " FOR UPDATE")
    return _head_row(cur.fetchone())


_HEAD = "SELECT size, root, frontier FROM ledger_head WHERE id = 1"


def _head_row(row: Any) -> tuple[int, bytes, bytes]:
    if row is None:
        raise StoreError("ledger_head has no row; the ledger tables are not initialised")
    return int(row[0]), bytes(row[1]), bytes(row[2])


# One round trip for a whole batch on PostgreSQL: the appender holds the head lock meanwhile.
_PG_WRITE = """
WITH e AS (
    INSERT INTO ledger_entries (seq, entry, leaf_hash)
    SELECT * FROM unnest(%(seqs)s::bigint[], %(entries)s::bytea[], %(leaves)s::bytea[])
), n AS (
    INSERT INTO ledger_nodes (level, idx, hash)
    SELECT * FROM unnest(%(levels)s::smallint[], %(idxs)s::bigint[], %(hashes)s::bytea[])
)
UPDATE ledger_head SET size = %(size)s, root = %(root)s, frontier = %(frontier)s WHERE id = 1
"""


# Written out, not built from INDEX_COLUMNS, so the statements read as what they are; a test
# checks the stored rows equal `rows_of_entry` of each entry, which catches any column drift.
_SQLITE_INDEX = (
    "INSERT INTO ledger_index (seq, at, event, outcome, actor_id, actor_role, subject, "
    "case_number, submission_id, provider_id, program_code) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_REFUSALS = "INSERT INTO ledger_refusals (seq, ordinal, rule, section) VALUES (?, ?, ?, ?)"
_PG_INDEX = """
INSERT INTO ledger_index (seq, at, event, outcome, actor_id, actor_role, subject, case_number,
                          submission_id, provider_id, program_code)
SELECT * FROM unnest(%(seq)s::bigint[], %(at)s::text[], %(event)s::text[], %(outcome)s::text[],
                     %(actor_id)s::text[], %(actor_role)s::text[], %(subject)s::text[],
                     %(case_number)s::text[], %(submission_id)s::text[],
                     %(provider_id)s::text[], %(program_code)s::text[])
"""
_PG_REFUSALS = """
INSERT INTO ledger_refusals (seq, ordinal, rule, section)
SELECT * FROM unnest(%(seq)s::bigint[], %(ordinal)s::smallint[], %(rule)s::text[],
                     %(section)s::text[])
"""


def write_batch(
    cur: Any,
    entry_rows: list[tuple[int, bytes, bytes]],
    node_rows: list[tuple[int, int, bytes]],
    head: tuple[int, bytes, bytes],
    index: Batch,
    *,
    sqlite: bool,
) -> None:
    """Insert entries (seq, entry, leaf_hash), nodes (level, idx, hash) and the entries' index
    and refusal rows, and move the head, on a raw DB-API cursor inside the appender's
    transaction: an entry, its index row and its share of the daily roll-ups commit together
    or not at all."""
    size, root, frontier = head
    index_rows, refusal_rows = index.rows, index.refusals
    counts = rollup.Rollups.of(index, rollup.stored_intent_days(cur, sqlite=sqlite))
    rollup.write(cur, counts, sqlite=sqlite)
    if sqlite:
        cur.executemany(
            "INSERT INTO ledger_entries (seq, entry, leaf_hash) VALUES (?, ?, ?)", entry_rows
        )
        cur.executemany(_SQLITE_INDEX, index_rows)
        if refusal_rows:
            cur.executemany(_SQLITE_REFUSALS, refusal_rows)
        if node_rows:
            cur.executemany(
                "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)", node_rows
            )
        cur.execute(
            "UPDATE ledger_head SET size = ?, root = ?, frontier = ? WHERE id = 1",
            (size, root, frontier),
        )
        return
    cur.execute(
        _PG_WRITE,
        {
            "seqs": [r[0] for r in entry_rows],
            "entries": [r[1] for r in entry_rows],
            "leaves": [r[2] for r in entry_rows],
            "levels": [r[0] for r in node_rows],
            "idxs": [r[1] for r in node_rows],
            "hashes": [r[2] for r in node_rows],
            "size": size,
            "root": root,
            "frontier": frontier,
        },
    )
    cur.execute(_PG_INDEX, {c: [r[i] for r in index_rows] for i, c in enumerate(INDEX_COLUMNS)})
    if refusal_rows:
        cur.execute(
            _PG_REFUSALS, {c: [r[i] for r in refusal_rows] for i, c in enumerate(REFUSAL_COLUMNS)}
        )


def store_checkpoint(conn: Connection, tree_size: int, root: bytes, note: str) -> None:
    dialect_insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    conn.execute(
        dialect_insert(ledger_checkpoints)
        .values(tree_size=tree_size, root=root, note=note, created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["tree_size"])
    )


def stored_checkpoint(conn: Connection, tree_size: int) -> tuple[bytes, str] | None:
    row = conn.execute(
        select(ledger_checkpoints.c.root, ledger_checkpoints.c.note).where(
            ledger_checkpoints.c.tree_size == tree_size
        )
    ).one_or_none()
    return None if row is None else (bytes(row[0]), str(row[1]))
