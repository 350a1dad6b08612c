"""Daily roll-ups of the ledger index: what the oversight reports count, per UTC day.

A year-long report (OPR's, the annual one; memo 4.E.4, 4.E.5) counts a year of uses and
refusals a dozen ways. Read from `ledger_index` entry by entry, that grows with the log; read
from these roll-ups it grows with the days and the distinct things counted. Two tables
(`frsgate.store.schema.ledger`):

- `ledger_use_days`: the `submission:dispatch:intent` entries (a use, memo 4.E.1) per day,
  submission, provider and case. The reports count *distinct* submissions; a count per day
  cannot be added up across days (one submission dispatched on two days is one use), so the
  grain keeps the submission, and a report reads a year of these rows instead of a year of
  entries, then joins the submissions once per distinct one a day.
- `ledger_refusal_days`: refused decisions per day, actor and citation set, one row per
  distinct (rule, section) of the set. Counts of decisions add up across days (each entry is
  in one day). The set is kept whole because "refused outright" or "held for an approval"
  depends on the pack's curable rules when the report runs, not when the entry was written.

The appender adds each batch's counts in the transaction that writes the entries and their
index rows (`write`, called by `storage.write_batch`), so the roll-ups never disagree with the
index; revision 0011 fills them from the index (`backfill`), and `frsgate ledger verify
--index` recomputes them from the index and names the first day that differs
(`ledger.index_check`). Every function here derives the rows from the same `Rollups.add`, so
the appender, the backfill and the check cannot drift apart.

A day is the first ten characters of the entry's `at` (its fixed-width RFC 3339 time,
`entry.format_time`), which is how a report's whole-day period bounds `at`. An entry's missing
case or provider is stored as '' (`ABSENT`): entries never carry an empty string
(`entry._check_text`), and NOT NULL key columns let an upsert conflict on them on both backends.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from frsgate.ledger.events import EventTag
from frsgate.ledger.index import IndexRow, RefusalRow

USE_EVENT = EventTag.SUBMISSION_DISPATCH_INTENT.value
ABSENT = ""
DAY_CHARS = 10  # "YYYY-MM-DD" of "YYYY-MM-DDTHH:MM:SS.ccZ"

# (day, submission_id, provider_id, case_number) -> entries
UseKey = tuple[str, str, str, str]
# (day, actor_id, citation_set, rule, section) -> decisions
RefusalKey = tuple[str, str, str, str, str]

USE_COLUMNS = ("day", "submission_id", "provider_id", "case_number", "entries")
REFUSAL_COLUMNS = ("day", "actor_id", "citation_set", "rule", "section", "decisions")


def day_of(at: str) -> str:
    return at[:DAY_CHARS]


def citation_set(pairs: Iterable[tuple[str, str]]) -> str:
    """The key of a decision's citations: SHA-256 of its distinct (rule, section) pairs, sorted,
    as JSON (a hash, not the text: a key column stays short whatever the rules are called)."""
    canonical = json.dumps(sorted(set(pairs)), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Rollups:
    """Roll-up counts of some entries, to be added to (or compared with) the stored ones."""

    uses: Counter[UseKey] = field(default_factory=Counter)
    refusals: Counter[RefusalKey] = field(default_factory=Counter)

    @classmethod
    def of(cls, index_rows: Sequence[IndexRow], refusal_rows: Sequence[RefusalRow]) -> Rollups:
        """The counts of a batch: its index rows and the refusal rows of those entries."""
        cited: dict[int, list[tuple[str, str]]] = {}
        for seq, _, rule, section in refusal_rows:
            cited.setdefault(int(seq), []).append((rule, section))
        found = cls()
        for row in index_rows:
            found.add(row[1], row[2], row[4], row[7], row[8], row[9], cited.get(int(row[0]), ()))
        return found

    def add(
        self,
        at: str,
        event: str,
        actor_id: str,
        case_number: str | None,
        submission_id: str | None,
        provider_id: str | None,
        citations: Sequence[tuple[str, str]],
    ) -> None:
        """Count one entry from its index columns and its refusal rows' (rule, section)."""
        day = day_of(at)
        if event == USE_EVENT and submission_id is not None:
            # memo 4.E.1: a use is its intent entry; one without a submission names no use.
            self.uses[(day, submission_id, provider_id or ABSENT, case_number or ABSENT)] += 1
        if citations:
            distinct = sorted(set(citations))
            key = citation_set(distinct)
            for rule, section in distinct:
                self.refusals[(day, actor_id, key, rule, section)] += 1

    def __bool__(self) -> bool:
        return bool(self.uses or self.refusals)


# --- writing, in the appender's transaction ---------------------------------------------

_SQLITE_USES = (
    "INSERT INTO ledger_use_days (day, submission_id, provider_id, case_number, entries) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (day, submission_id, provider_id, case_number) "
    "DO UPDATE SET entries = ledger_use_days.entries + excluded.entries"
)
_SQLITE_REFUSALS = (
    "INSERT INTO ledger_refusal_days (day, actor_id, citation_set, rule, section, decisions) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, actor_id, citation_set, rule, section) "
    "DO UPDATE SET decisions = ledger_refusal_days.decisions + excluded.decisions"
)
# The batch's keys are distinct (a Counter), as ON CONFLICT DO UPDATE requires on PostgreSQL.
_PG_USES = """
INSERT INTO ledger_use_days (day, submission_id, provider_id, case_number, entries)
SELECT * FROM unnest(%(day)s::text[], %(submission_id)s::text[], %(provider_id)s::text[],
                     %(case_number)s::text[], %(entries)s::integer[])
ON CONFLICT (day, submission_id, provider_id, case_number)
DO UPDATE SET entries = ledger_use_days.entries + excluded.entries
"""
_PG_REFUSALS = """
INSERT INTO ledger_refusal_days (day, actor_id, citation_set, rule, section, decisions)
SELECT * FROM unnest(%(day)s::text[], %(actor_id)s::text[], %(citation_set)s::text[],
                     %(rule)s::text[], %(section)s::text[], %(decisions)s::integer[])
ON CONFLICT (day, actor_id, citation_set, rule, section)
DO UPDATE SET decisions = ledger_refusal_days.decisions + excluded.decisions
"""


def write(cur: Any, counts: Rollups, *, sqlite: bool) -> None:
    """Add `counts` to the stored roll-ups on the appender's raw DB-API cursor."""
    uses = [(*k, n) for k, n in sorted(counts.uses.items())]
    refusals = [(*k, n) for k, n in sorted(counts.refusals.items())]
    if sqlite:
        if uses:
            cur.executemany(_SQLITE_USES, uses)
        if refusals:
            cur.executemany(_SQLITE_REFUSALS, refusals)
        return
    if uses:
        cur.execute(_PG_USES, {c: [r[i] for r in uses] for i, c in enumerate(USE_COLUMNS)})
    if refusals:
        cur.execute(
            _PG_REFUSALS, {c: [r[i] for r in refusals] for i, c in enumerate(REFUSAL_COLUMNS)}
        )


# --- filling from the index, and recomputing it for the check ----------------------------

CHUNK = 1 << 16  # seqs per read when the refusals are recomputed

# The uses roll-up is a GROUP BY of the index; the same expression fills it and checks it.
USES_FROM_INDEX = (
    "SELECT substr(at, 1, 10) AS day, submission_id, coalesce(provider_id, '') AS provider_id, "
    "coalesce(case_number, '') AS case_number, count(*) AS entries FROM ledger_index "
    "WHERE event = :event AND submission_id IS NOT NULL AND seq < :size "
    "GROUP BY substr(at, 1, 10), submission_id, coalesce(provider_id, ''), "
    "coalesce(case_number, '')"
)


def refusals_from_index(conn: Connection, size: int) -> Iterator[Rollups]:
    """The refusal roll-up of the entries below `size`, recomputed from the index, a chunk of
    seqs at a time (each chunk's counts; a caller sums them)."""
    for start in range(0, size, CHUNK):
        end = min(start + CHUNK, size)
        found = Rollups()
        rows = conn.execute(
            text(
                "SELECT r.seq, li.at, li.actor_id, r.rule, r.section FROM ledger_refusals r "
                "JOIN ledger_index li ON li.seq = r.seq "
                "WHERE r.seq >= :start AND r.seq < :end ORDER BY r.seq, r.ordinal"
            ),
            {"start": start, "end": end},
        ).all()
        decision: list[tuple[str, str]] = []
        for i, (seq, at, actor, rule, section) in enumerate(rows):
            decision.append((rule, section))
            if i + 1 == len(rows) or rows[i + 1][0] != seq:
                found.add(at, "", actor, None, None, None, decision)
                decision = []
        yield found


def backfill(conn: Connection) -> None:
    """Fill both roll-ups from the whole index (revision 0010; a generated store). They must be
    empty; the index must be complete (it is the appender's, written with each entry)."""
    size = conn.execute(text("SELECT coalesce(max(seq) + 1, 0) FROM ledger_index")).scalar_one()
    conn.execute(
        text(
            "INSERT INTO ledger_use_days (day, submission_id, provider_id, case_number, entries) "
            + USES_FROM_INDEX
        ),
        {"event": USE_EVENT, "size": int(size)},
    )
    total: Counter[RefusalKey] = Counter()
    for chunk in refusals_from_index(conn, int(size)):
        total.update(chunk.refusals)
    rows = [dict(zip(REFUSAL_COLUMNS, (*k, n), strict=True)) for k, n in sorted(total.items())]
    for start in range(0, len(rows), 10_000):
        conn.execute(
            text(
                "INSERT INTO ledger_refusal_days (day, actor_id, citation_set, rule, section, "
                "decisions) VALUES (:day, :actor_id, :citation_set, :rule, :section, :decisions)"
            ),
            rows[start : start + 10_000],
        )
