"""Tables of the audit ledger: entries, complete-subtree hashes, head and checkpoints.

`ledger_entries` holds each entry's canonical bytes and its RFC 9162 leaf hash; `ledger_nodes`
the hash of every complete subtree of 2**level leaves (level >= 1), so any root or proof is a
handful of primary-key reads. `ledger_head` is the one row every appender locks: it carries the
current size, root and right-edge subtree hashes, which serializes appends across threads and
processes.
"""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
)

from frsgate.store.schema.base import metadata

# On SQLite an INTEGER PRIMARY KEY is the rowid itself: entries are stored in seq order.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=False),
    Column("entry", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
)

ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", SmallInteger, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    PrimaryKeyConstraint("level", "idx"),
    CheckConstraint("level >= 1", name="level_above_leaves"),
    sqlite_with_rowid=False,
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    # The hashes of the complete subtrees along the right edge (the fold parts of `root`),
    # concatenated: an appender needs nothing else, so it reads them with the lock, in one row.
    Column("frontier", LargeBinary, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("tree_size", _SEQ, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The ledger's columns as an index, one row per entry, written in the appender's transaction
# with the entry itself. Oversight (memo 4.E.4, 4.E.5) reads "who did what to which case when"
# with set-based SQL over these columns instead of parsing entries; the entry stays the record
# (`frsgate ledger verify` checks these rows against the entries they were taken from).
# `at` is the entry's own `time` text (fixed-width RFC 3339, so it sorts and compares as a time
# on both backends, and a day or month is a prefix of it).
ledger_index = Table(
    "ledger_index",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=False),
    Column("at", Text, nullable=False),
    Column("event", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("actor_role", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("case_number", Text),
    Column("submission_id", Text),
    Column("provider_id", Text),
    Column("program_code", Text),
    Index("ix_ledger_index_at", "at"),
    Index("ix_ledger_index_actor_at", "actor_id", "at"),
    # Covering indexes of what the reports and the case pages read, so a count over a year of
    # 10^7 entries reads index pages only, never each entry's row (bench/oversight.py):
    # an event's entries in a period, with their case, submission and provider (the uses);
    Index(
        "ix_ledger_index_event_cover",
        "event",
        "at",
        "case_number",
        "submission_id",
        "provider_id",
    ),
    # and a case's entries in log order, with their time, actor, event, submission and
    # provider (a supervisor's scope: its uses and refusals read its cases' entries only).
    Index(
        "ix_ledger_index_case_cover",
        "case_number",
        "seq",
        "at",
        "actor_id",
        "event",
        "submission_id",
        "provider_id",
    ),
)

# The rules a refusal cited (memo 4.E.5: "denied attempts by section"), one row per citation of
# each denied decision; allowed decisions cite their grants and are not repeated here.
ledger_refusals = Table(
    "ledger_refusals",
    metadata,
    Column("seq", _SEQ, nullable=False),
    Column("ordinal", SmallInteger, nullable=False),
    Column("rule", Text, nullable=False),
    Column("section", Text, nullable=False),
    PrimaryKeyConstraint("seq", "ordinal"),
    Index("ix_ledger_refusals_section", "section"),
)

# Roll-ups of the index, kept in step with it in the appender's transaction (and filled from
# the log by revisions 0011 and 0012): what the year-long oversight reports count (memo 4.E.4,
# 4.E.5), summed over whole UTC days or months instead of read entry by entry
# (`frsgate.ledger.rollup`). A day is the first ten characters of `at`, a month the first seven;
# a case or provider an entry leaves out is '' (an entry never carries an empty string), so
# every key column is NOT NULL and upserts conflict on it.
#
# The uses: `submission:dispatch:intent` entries per day, submission, provider and case: which
# submissions were used in a period (a lead's, a witness probe's), looked up by submission.
ledger_use_days = Table(
    "ledger_use_days",
    metadata,
    Column("day", Text, nullable=False),
    Column("submission_id", Text, nullable=False),
    Column("provider_id", Text, nullable=False),
    Column("case_number", Text, nullable=False),
    Column("entries", Integer, nullable=False),
    PrimaryKeyConstraint("day", "submission_id", "provider_id", "case_number"),
    Index("ix_ledger_use_days_submission", "submission_id", "day"),
)

# The refused decisions per day, actor and citation set (`citation_set`: the SHA-256 of the
# decision's distinct (rule, section) pairs), one row per pair of the set. Decisions are
# additive across days; the whole set is kept because whether a decision was refused outright
# or held for an approval depends on the pack's curable rules when the report runs.
ledger_refusal_days = Table(
    "ledger_refusal_days",
    metadata,
    Column("day", Text, nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("citation_set", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("section", Text, nullable=False),
    Column("decisions", Integer, nullable=False),
    PrimaryKeyConstraint("day", "actor_id", "citation_set", "rule", "section"),
    # Who attempted what given rules refuse (closed cases, unassigned users): those rules'
    # rows only, not a year of every refusal.
    Index("ix_ledger_refusal_days_rule", "rule", "day", "actor_id"),
)

# The uses per facet and value, per day and per month (`bucket`: "YYYY-MM-DD" or "YYYY-MM"):
# a year is read as its whole months and the days at its ends, not as a million uses. The
# facets and what a use is counted as are `frsgate.ledger.rollup`'s.
ledger_use_tallies = Table(
    "ledger_use_tallies",
    metadata,
    Column("facet", Text, nullable=False),
    Column("bucket", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("uses", Integer, nullable=False),
    PrimaryKeyConstraint("facet", "bucket", "value"),
    # Rows in key order (SQLite): a facet's buckets are read as ranges of the table itself.
    sqlite_with_rowid=False,
)

# The refused decisions per day and per month and citation set, one row per (rule, section)
# of the set: `ledger_refusal_days` without the actor, for the counts by section and rule.
ledger_refusal_tallies = Table(
    "ledger_refusal_tallies",
    metadata,
    Column("bucket", Text, nullable=False),
    Column("citation_set", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("section", Text, nullable=False),
    Column("decisions", Integer, nullable=False),
    PrimaryKeyConstraint("bucket", "citation_set", "rule", "section"),
    sqlite_with_rowid=False,
)
