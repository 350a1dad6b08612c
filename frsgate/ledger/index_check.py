"""Check the ledger's index against the entries it was taken from.

The index (`ledger_index`, `ledger_refusals`) is derived data that oversight reports count
with SQL; the entries are the record the Merkle tree protects. An index row changed, removed or
added behind the appender's back would skew a report without breaking the tree, so
`frsgate ledger verify --index` re-derives every row from its entry (`ledger.index.rows_of_entry`,
the function the appender itself uses) and compares. It names the first seq that disagrees.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from frsgate.ledger import storage
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

    def summary(self) -> str:
        if self.ok:
            return f"ledger index OK: {self.size} entries indexed as they read"
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
        return IndexReport(True, size)
    finally:
        reader.close()


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
