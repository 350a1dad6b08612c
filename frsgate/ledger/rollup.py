"""Roll-ups of the ledger index: what the oversight reports count, per UTC day and month.

A year-long report (OPR's, the annual one; memo 4.E.4, 4.E.5) counts a year of uses and
refusals a dozen ways. Read from `ledger_index` entry by entry, that grows with the log (a
million uses a year at national scale); read from these roll-ups it grows with the days and the
distinct things counted. The tables (`frsgate.store.schema.ledger`):

- `ledger_use_days`: the `submission:dispatch:intent` entries (a use, memo 4.E.1) per day,
  submission, provider and case: which submissions were used on a day (a lead's or a witness
  probe's use is looked up here by submission).
- `ledger_use_tallies`: uses per facet (who asked, case, provider, match type, exigent or not,
  what the FRS answered, and all of them) and value, per day *and* per month (`bucket`), so a
  period is read as its whole months and the days at its ends. A use is an intent entry,
  counted as the entry describes it (`index.Dispatch`); what the FRS answered is its outcome
  entry's (`index.Answer`), counted in the buckets of the use it answers (the submission's
  latest intent before it): an auditor holding only the log gets the same figures.
- `ledger_refusal_days`: refused decisions per day, actor and citation set, one row per
  distinct (rule, section) of the set: who attempted what a rule refuses.
- `ledger_refusal_tallies`: the same without the actor, per day and month: the refusals by
  set, rule and section. The set is kept whole because "refused outright" or "held for an
  approval" depends on the pack's curable rules when the report runs, not when it was written.

The appender adds each batch's counts in the transaction that writes the entries and their
index rows (`write`, called by `storage.write_batch`), so the roll-ups never disagree with the
log; the migrations fill them from the log (`backfill`, `fill_tallies`), and `frsgate ledger
verify --index` recomputes them and names the first day that differs (`ledger.index_check`).
Every path derives its rows from the same `Rollups.add` and `Rollups.add_fact`, so the
appender, the fills and the check cannot drift apart.

A day is the first ten characters of the entry's `at` (its fixed-width RFC 3339 time,
`entry.format_time`), a month the first seven, which is how a report's whole-day period bounds
`at`. An entry's missing case or provider is stored as '' (`ABSENT`): entries never carry an
empty string (`entry._check_text`), and NOT NULL key columns let an upsert conflict on them on
both backends.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, text

from frsgate.ledger.index import (
    INTENT,
    OUTCOME,
    OUTCOME_UNKNOWN,
    Answer,
    Batch,
    Dispatch,
    IndexRow,
    UseFact,
    fact_of,
)

USE_EVENT = INTENT
ANSWER_EVENTS = (OUTCOME, OUTCOME_UNKNOWN)
ABSENT = ""
DAY_CHARS = 10  # "YYYY-MM-DD" of "YYYY-MM-DDTHH:MM:SS.ccZ"
MONTH_CHARS = 7  # "YYYY-MM"

# The facets of `ledger_use_tallies`: what a use is counted by.
ALL = "all"  # every use, value ''
USER = "user"  # who asked for it (the submission's requester)
CASE = "case"  # its case number ('' for a program's use without a case)
PROVIDER = "provider"
MATCH_TYPE = "match_type"
EXIGENT = "exigent"  # "yes" or "no" (memo 4.C.3)
ANSWERED = "outcome"  # what the FRS answered (`index.Answer`); unanswered uses are not here
YES, NO = "yes", "no"

# (day, submission_id, provider_id, case_number) -> entries
UseKey = tuple[str, str, str, str]
# (day, actor_id, citation_set, rule, section) -> decisions
RefusalKey = tuple[str, str, str, str, str]
# (facet, bucket, value) -> uses
TallyKey = tuple[str, str, str]
# (bucket, citation_set, rule, section) -> decisions
SetKey = tuple[str, str, str, str]

USE_COLUMNS = ("day", "submission_id", "provider_id", "case_number", "entries")
REFUSAL_COLUMNS = ("day", "actor_id", "citation_set", "rule", "section", "decisions")
TALLY_COLUMNS = ("facet", "bucket", "value", "uses")
SET_COLUMNS = ("bucket", "citation_set", "rule", "section", "decisions")

# Where each kind of count is kept: the stored tables, or (for the check) scratch copies.
TABLES = {
    "uses": "ledger_use_days",
    "refusals": "ledger_refusal_days",
    "tallies": "ledger_use_tallies",
    "sets": "ledger_refusal_tallies",
}


def day_of(at: str) -> str:
    return at[:DAY_CHARS]


def buckets_of(at: str) -> tuple[str, str]:
    """The day and the month an entry at `at` is counted in."""
    return at[:DAY_CHARS], at[:MONTH_CHARS]


def use_key(day: str, submission: str, provider: str | None, case_number: str | None) -> UseKey:
    """The `ledger_use_days` row a use of an entry on `day` counts in."""
    return (day, submission, provider or ABSENT, case_number or ABSENT)


def citation_set(pairs: Iterable[tuple[str, str]]) -> str:
    """The key of a decision's citations: SHA-256 of its distinct (rule, section) pairs, sorted,
    as JSON (a hash, not the text: a key column stays short whatever the rules are called)."""
    canonical = json.dumps(sorted(set(pairs)), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# The days of the intents of some submissions: the latest day each was used (an answer is
# counted with the use it answers).
IntentDays = Callable[[Iterable[str]], dict[str, str]]


@dataclass(slots=True)
class Rollups:
    """Roll-up counts of some entries, to be added to (or compared with) the stored ones."""

    uses: Counter[UseKey] = field(default_factory=Counter)
    refusals: Counter[RefusalKey] = field(default_factory=Counter)
    tallies: Counter[TallyKey] = field(default_factory=Counter)
    sets: Counter[SetKey] = field(default_factory=Counter)

    @classmethod
    def of(cls, batch: Batch, stored_days: IntentDays) -> Rollups:
        """The counts of a batch of entries (in log order). An answer to a use stored before
        the batch finds the use's day with `stored_days`."""
        cited: dict[int, list[tuple[str, str]]] = {}
        for seq, _, rule, section in batch.refusals:
            cited.setdefault(int(seq), []).append((rule, section))
        found = cls()
        for row in batch.rows:
            found.add(row, cited.get(int(row[0]), ()))
        answered = {f.submission for f in batch.facts if isinstance(f, Answer)}
        found.add_facts(batch.facts, stored_days(answered) if answered else {})
        return found

    def add(self, row: IndexRow, citations: Sequence[tuple[str, str]]) -> None:
        """Count one entry from its index row and its refusal rows' (rule, section)."""
        at, event, actor_id = row[1], row[2], row[4]
        case_number, submission_id, provider_id = row[7], row[8], row[9]
        day, month = buckets_of(at)
        if event == USE_EVENT and submission_id is not None:
            # memo 4.E.1: a use is its intent entry; one without a submission names no use.
            self.uses[use_key(day, submission_id, provider_id, case_number)] += 1
        if citations:
            distinct = sorted(set(citations))
            key = citation_set(distinct)
            for rule, section in distinct:
                self.refusals[(day, actor_id, key, rule, section)] += 1
                self.sets[(day, key, rule, section)] += 1
                self.sets[(month, key, rule, section)] += 1

    def add_facts(self, facts: Iterable[UseFact], intent_days: dict[str, str]) -> None:
        """Count uses and answers, in log order. `intent_days` holds the day of each
        submission's latest use before the first fact; it is updated as uses are counted (so a
        caller streaming the log keeps passing the same dict)."""
        for fact in facts:
            if isinstance(fact, Dispatch):
                day = day_of(fact.at)
                intent_days[fact.submission] = day
                self._count_use(fact, day)
                continue
            used = intent_days.get(fact.submission)
            if used is not None:  # an answer to no logged use answers no use
                self._tally(used, ANSWERED, fact.outcome)

    def _count_use(self, use: Dispatch, day: str) -> None:
        for facet, value in (
            (ALL, ABSENT),
            (USER, use.requested_by),
            (CASE, use.case_number or ABSENT),
            (PROVIDER, use.provider or ABSENT),
            (MATCH_TYPE, use.match_type),
            (EXIGENT, YES if use.exigent else NO),
        ):
            self._tally(day, facet, value)

    def _tally(self, day: str, facet: str, value: str) -> None:
        self.tallies[(facet, day, value)] += 1
        self.tallies[(facet, day[:MONTH_CHARS], value)] += 1

    def subtract(self, other: Rollups) -> None:
        self.uses.subtract(other.uses)
        self.refusals.subtract(other.refusals)
        self.tallies.subtract(other.tallies)
        self.sets.subtract(other.sets)

    def __bool__(self) -> bool:
        return bool(self.uses or self.refusals or self.tallies or self.sets)


# --- writing, in the appender's transaction (and by the fills) ----------------------------

_COLUMNS = {
    "uses": USE_COLUMNS,
    "refusals": REFUSAL_COLUMNS,
    "tallies": TALLY_COLUMNS,
    "sets": SET_COLUMNS,
}
# The upserts name only the tables and columns above (module constants, or the check's
# scratch tables), never a value: every value is a bound parameter.


def _sqlite_upsert(table: str, columns: Sequence[str]) -> str:
    keys, value = columns[:-1], columns[-1]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {value} = {table}.{value} + "
        f"excluded.{value}"
    )


def _pg_upsert(table: str, columns: Sequence[str]) -> str:
    # The batch's keys are distinct (a Counter), as ON CONFLICT DO UPDATE requires.
    keys, value = columns[:-1], columns[-1]
    arrays = ", ".join(f"%({c})s::text[]" for c in keys) + f", %({value})s::integer[]"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {value} = {table}.{value} + "
        f"excluded.{value}"
    )


def write(cur: Any, counts: Rollups, *, sqlite: bool, tables: dict[str, str] | None = None) -> None:
    """Add `counts` to the stored roll-ups (or to `tables`, named as `TABLES`) on a raw DB-API
    cursor: the appender's, inside the transaction that writes the entries."""
    names = tables or TABLES
    for kind, counter in (
        ("uses", counts.uses),
        ("refusals", counts.refusals),
        ("tallies", counts.tallies),
        ("sets", counts.sets),
    ):
        rows = [(*k, n) for k, n in sorted(counter.items()) if n]
        if not rows:
            continue
        columns = _COLUMNS[kind]
        if sqlite:
            cur.executemany(_sqlite_upsert(names[kind], columns), rows)
        else:
            cur.execute(
                _pg_upsert(names[kind], columns),
                {c: [r[i] for r in rows] for i, c in enumerate(columns)},
            )


def stored_intent_days(cur: Any, *, sqlite: bool) -> IntentDays:
    """`IntentDays` read from `ledger_use_days` on a raw DB-API cursor (the appender's): the
    latest day each submission was used, by `ix_ledger_use_days_submission`."""

    def days(submissions: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(submissions))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            if sqlite:
                marks = ", ".join("?" for _ in part)
                cur.execute(
                    "SELECT submission_id, max(day) FROM ledger_use_days "  # noqa: S608
                    f"WHERE submission_id IN ({marks}) GROUP BY submission_id",
                    part,
                )
            else:
                cur.execute(
                    "SELECT submission_id, max(day) FROM ledger_use_days "
                    "WHERE submission_id = ANY(%(ids)s::text[]) GROUP BY submission_id",
                    {"ids": part},
                )
            found.update((str(s), str(d)) for s, d in cur.fetchall())
        return found

    return days


# --- filling from the log, and recomputing it for the check -------------------------------

CHUNK = 1 << 16  # seqs per read when the roll-ups are recomputed

# The uses roll-up is a GROUP BY of the index; the same expression fills it and checks it.
USES_FROM_INDEX = (
    "SELECT substr(at, 1, 10) AS day, submission_id, coalesce(provider_id, '') AS provider_id, "
    "coalesce(case_number, '') AS case_number, count(*) AS entries FROM ledger_index "
    "WHERE event = :event AND submission_id IS NOT NULL AND seq < :size "
    "GROUP BY substr(at, 1, 10), submission_id, coalesce(provider_id, ''), "
    "coalesce(case_number, '')"
)


def refusals_from_index(conn: Connection, size: int, start: int = 0) -> Iterator[Rollups]:
    """The refusal roll-ups (with and without the actor) of the entries from `start` to below
    `size`, recomputed from the index, a chunk of seqs at a time (each chunk's counts; a caller
    sums them)."""
    for first in range(start, size, CHUNK):
        end = min(first + CHUNK, size)
        found = Rollups()
        rows = conn.execute(
            text(
                "SELECT r.seq, li.at, li.actor_id, r.rule, r.section FROM ledger_refusals r "
                "JOIN ledger_index li ON li.seq = r.seq "
                "WHERE r.seq >= :start AND r.seq < :end ORDER BY r.seq, r.ordinal"
            ),
            {"start": first, "end": end},
        ).all()
        decision: list[tuple[str, str]] = []
        for i, (seq, at, actor, rule, section) in enumerate(rows):
            decision.append((rule, section))
            if i + 1 == len(rows) or rows[i + 1][0] != seq:
                row: IndexRow = (seq, at, "", "", actor, "", "", None, None, None, None)
                found.add(row, decision)
                decision = []
        yield found


def facts_from_log(conn: Connection, size: int, start: int = 0) -> Iterator[list[UseFact]]:
    """The uses and answers of the entries from `start` to below `size`, from the entries
    themselves (what they say of a use is in their details, not the index), a chunk of seqs
    at a time, in log order."""
    events = {"intent": USE_EVENT, "outcome": OUTCOME, "unknown": OUTCOME_UNKNOWN}
    for first in range(start, size, CHUNK):
        end = min(first + CHUNK, size)
        rows = conn.execute(
            text(
                # `event || ''`: no term the event index can serve, so a chunk is read by
                # its seqs, not picked out of every intent of the log (SQLite chose the
                # event index: 4.8 s a chunk at 10^7 entries instead of 0.08 s).
                "SELECT e.entry FROM ledger_index li JOIN ledger_entries e ON e.seq = li.seq "
                "WHERE (li.event || '') IN (:intent, :outcome, :unknown) "
                "AND li.seq >= :start AND li.seq < :end ORDER BY li.seq"
            ),
            {**events, "start": first, "end": end},
        ).all()
        facts: list[UseFact] = []
        for (data,) in rows:
            entry = json.loads(bytes(data))
            fact = fact_of(entry, str(entry["time"]))
            if fact is not None:
                facts.append(fact)
        yield facts


def fill_tallies(conn: Connection, size: int, tables: dict[str, str] | None = None) -> None:
    """Add the use and refusal tallies of the entries below `size` to the stored ones (or to
    `tables`): streamed a chunk at a time, so memory holds one chunk's counts and the day of
    each submission's latest use."""
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    sqlite = conn.dialect.name == "sqlite"
    days: dict[str, str] = {}
    for facts, refused in zip(
        facts_from_log(conn, size), refusals_from_index(conn, size), strict=True
    ):
        counts = Rollups(sets=refused.sets)
        counts.add_facts(facts, days)
        write(cur, counts, sqlite=sqlite, tables=tables)


def backfill(conn: Connection) -> None:
    """Fill `ledger_use_days` and `ledger_refusal_days` from the whole index (revision 0011; a
    generated store). They must be empty; the index must be complete (it is the appender's,
    written with each entry)."""
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


def since(conn: Connection, size: int) -> Rollups:
    """The roll-up counts of the entries at or past `size` (up to the head of the
    connection's snapshot): what a report computed at the checkpoint of that size takes off
    the stored counts. An answer past `size` is counted with the latest use of its submission
    before it, as the appender did."""
    head = int(conn.execute(text("SELECT size FROM ledger_head WHERE id = 1")).scalar() or 0)
    found = Rollups()
    if head <= size:
        return found
    for chunk in refusals_from_index(conn, head, start=size):
        found.refusals.update(chunk.refusals)
        found.sets.update(chunk.sets)
    facts = [f for chunk in facts_from_log(conn, head, start=size) for f in chunk]
    for fact in facts:
        if isinstance(fact, Dispatch):
            found.uses[
                use_key(day_of(fact.at), fact.submission, fact.provider, fact.case_number)
            ] += 1
    # The day of each answered submission's latest use before `size`: its stored use days,
    # less the uses past `size` (the appender had not written those when it counted them).
    answered = sorted({f.submission for f in facts if isinstance(f, Answer)})
    stored: Counter[tuple[str, str]] = Counter()
    for start in range(0, len(answered), 500):
        for submission, day, entries in conn.execute(
            text(
                "SELECT submission_id, day, sum(entries) FROM ledger_use_days "
                "WHERE submission_id IN :ids GROUP BY submission_id, day"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": answered[start : start + 500]},
        ):
            stored[(str(submission), str(day))] += int(entries)
    for (day, submission, _, _), n in found.uses.items():
        stored[(submission, day)] -= n
    before: dict[str, str] = {}
    for (submission, day), n in sorted(stored.items()):
        if n > 0:
            before[submission] = day  # sorted: the latest day is the last kept
    found.add_facts(facts, before)
    return found
