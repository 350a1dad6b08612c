"""Check the ledger's index against the entries it was taken from.

The index (`ledger_index`, `ledger_refusals`) is derived data that oversight reports count
with SQL; the entries are the record the Merkle tree protects. An index row changed, removed or
added behind the appender's back would skew a report without breaking the tree, so
`frsgate ledger verify --index` re-derives every row from its entry (`ledger.index.rows_of_entry`,
the function the appender itself uses) and compares. It names the first seq that disagrees.

Then the roll-ups the year-long reports sum (`ledger_use_days`, `ledger_refusal_days`,
`ledger_use_tallies`, `ledger_refusal_tallies`; `frsgate.ledger.rollup`) are recomputed, in one
snapshot with the head, and compared with the stored ones: the per-day ones from the index, the
tallies from the entries themselves (into scratch tables, with the function the migration fills
them with), and a mismatch is named with its day or month.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from frsgate.ledger import rollup, storage
from frsgate.ledger.index import INDEX_COLUMNS, rows_of_entry

CHUNK = 1 << 14
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class IndexReport:
    """`ok` when every entry below `size` has exactly the index and refusal rows it implies."""

    ok: bool
    size: int
    first_bad_seq: int | None = None
    problem: str | None = None
    day: str | None = None  # the first day whose roll-ups differ from the index

    def summary(self) -> str:
        if self.ok:
            return (
                f"ledger index OK: {self.size} entries indexed as they read, "
                "daily roll-ups as the index sums"
            )
        if self.day is not None:
            return f"ledger roll-ups DIFFER on {self.day}: {self.problem}"
        return f"ledger index DIFFERS at seq {self.first_bad_seq}: {self.problem}"


def _norm(row: Any) -> tuple[Any, ...]:
    return tuple(int(v) if i == 0 else v for i, v in enumerate(row))


def check_index(engine: Engine, *, progress: Progress | None = None) -> IndexReport:
    """Compare the index rows of every entry below the head with what its entry says."""
    reader = storage.Reader(engine)
    try:
        size, _ = reader.head()
        extra = reader.query(
            "SELECT MIN(seq) FROM ledger_index WHERE seq >= ? OR seq < 0", (size,)
        )[0][0]
        if extra is not None:
            return IndexReport(False, size, int(extra), "an index row names no entry")
        extra = reader.query(
            "SELECT MIN(seq) FROM ledger_refusals WHERE seq >= ? OR seq < 0", (size,)
        )[0][0]
        if extra is not None:
            return IndexReport(False, size, int(extra), "a refusal row names no entry")
        for start in range(0, size, CHUNK):
            end = min(start + CHUNK, size)
            found = _chunk(reader, start, end)
            if found is not None:
                return IndexReport(False, size, *found)
            if progress is not None:
                progress(end, size)
    finally:
        reader.close()
    with engine.connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        at = int(conn.exec_driver_sql("SELECT size FROM ledger_head WHERE id = 1").scalar_one())
        differs = _rollups(conn, at)
    if differs is not None:
        return IndexReport(False, size, None, differs[1], differs[0])
    return IndexReport(True, size)


def _rollups(conn: Connection, size: int) -> tuple[str, str] | None:
    """(day, problem) of the first day whose stored roll-ups differ from the index's entries
    below `size` (read in the same snapshot as `size`), or None."""
    found: list[tuple[str, str]] = []
    stored_uses = (
        "SELECT day, submission_id, provider_id, case_number, entries FROM ledger_use_days"
    )
    params = {"event": rollup.USE_EVENT, "size": size}
    for first, second, problem in (
        (rollup.USES_FROM_INDEX, stored_uses, "a use count is missing or differs from the index"),
        (stored_uses, rollup.USES_FROM_INDEX, "a use count names no entries of the index"),
    ):
        day = conn.execute(
            text(f"SELECT min(day) FROM ({first} EXCEPT {second}) AS differing"),  # noqa: S608
            params,
        ).scalar()
        if day is not None:
            found.append((str(day), problem))
    expected: Counter[rollup.RefusalKey] = Counter()
    for chunk in rollup.refusals_from_index(conn, size):
        expected.update(chunk.refusals)
    stored: Counter[rollup.RefusalKey] = Counter()
    for *cols, n in conn.execute(
        text(
            "SELECT day, actor_id, citation_set, rule, section, decisions FROM ledger_refusal_days"
        )
    ):
        stored[(str(cols[0]), str(cols[1]), str(cols[2]), str(cols[3]), str(cols[4]))] = int(n)
    found += _tallies(conn, size)
    wrong = [k for k in expected.keys() | stored.keys() if expected[k] != stored[k]]
    if wrong:
        day, actor, _, rule, section = min(wrong)
        what = "is missing" if not stored[min(wrong)] else "differs from the index"
        if not expected[min(wrong)]:
            what = "names no refusal of the index"
        found.append((day, f"the refused decisions of {actor} citing {rule} ({section}) {what}"))
    return min(found) if found else None


# Scratch copies of the tallies, filled from the log in the check's transaction.
_SCRATCH = {
    "tallies": ("check_use_tallies", "ledger_use_tallies", rollup.TALLY_COLUMNS),
    "sets": ("check_refusal_tallies", "ledger_refusal_tallies", rollup.SET_COLUMNS),
}


def _tallies(conn: Connection, size: int) -> list[tuple[str, str]]:
    """(bucket, problem) of each tally table's first bucket that differs from the log below
    `size`, recomputed into scratch tables."""
    drop_at_commit = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    for scratch, _, columns in _SCRATCH.values():
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {scratch}")
        keys = ", ".join(f"{c} TEXT NOT NULL" for c in columns[:-1])
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {scratch} ({keys}, {columns[-1]} INTEGER NOT NULL, "
            f"PRIMARY KEY ({', '.join(columns[:-1])})){drop_at_commit}"
        )
    scratch_names = {**rollup.TABLES, **{k: v[0] for k, v in _SCRATCH.items()}}
    rollup.fill_tallies(conn, size, tables=scratch_names)
    found: list[tuple[str, str]] = []
    for kind, (scratch, stored, columns) in _SCRATCH.items():
        what = "use tally" if kind == "tallies" else "refusal tally"
        listed = ", ".join(columns)
        for first, second, problem in (
            (scratch, stored, f"a {what} is missing or differs from the log"),
            (stored, scratch, f"a {what} counts what the log does not hold"),
        ):
            bucket = conn.exec_driver_sql(
                f"SELECT min(bucket) FROM (SELECT {listed} FROM {first} "  # noqa: S608
                f"EXCEPT SELECT {listed} FROM {second}) AS differing"
            ).scalar()
            if bucket is not None:
                found.append((str(bucket), problem))
    for scratch, _, _ in _SCRATCH.values():
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {scratch}")
    return found


def _chunk(reader: storage.Reader, start: int, end: int) -> tuple[int, str] | None:
    index = {
        int(r[0]): _norm(r)
        for r in reader.query(
            "SELECT seq, at, event, outcome, actor_id, actor_role, subject, case_number, "
            "submission_id, provider_id, program_code FROM ledger_index "
            "WHERE seq >= ? AND seq < ?",
            (start, end),
        )
    }
    refusals: dict[int, list[tuple[Any, ...]]] = {}
    for r in reader.query(
        "SELECT seq, ordinal, rule, section FROM ledger_refusals "
        "WHERE seq >= ? AND seq < ? ORDER BY seq, ordinal",
        (start, end),
    ):
        refusals.setdefault(int(r[0]), []).append(_norm(r))
    for seq, entry in reader.entries(start, end):
        try:
            row, refused = rows_of_entry(json.loads(entry))
        except (ValueError, KeyError, TypeError) as exc:
            return seq, f"the entry cannot be indexed ({exc}); run `frsgate ledger verify`"
        have = index.pop(seq, None)
        if have is None:
            return seq, "the entry has no index row"
        if have != row:
            fields = [name for name, a, b in zip(INDEX_COLUMNS, have, row, strict=True) if a != b]
            return seq, f"the index row's {', '.join(fields)} differ from the entry"
        if refusals.pop(seq, []) != refused:
            return seq, "the refusal rows differ from the entry's citations"
    if index:
        return min(index), "an index row names no entry"
    if refusals:
        return min(refusals), "a refusal row names no entry or an allowed decision"
    return None
