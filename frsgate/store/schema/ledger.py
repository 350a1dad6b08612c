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
