"""Tables of the supervisor's routine log review (memo 4.E.4): sign-offs and referrals to OPR.

`log_review_signoffs` holds one row per supervisor and review period signed off; its unique key
is what makes a second sign-off of the same period a conflict even when two arrive at once.
Each row keeps the checkpoint the review was computed against (tree size and base64 root) and
the counts the supervisor was shown, beside the ledger entry that records the sign-off.

`log_referrals` holds a supervisor's referral of findings to OPR: the reasons as written (the
ledger binds only their SHA-256), the ledger entries and submissions it concerns, and OPR's
outcome once recorded.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from frsgate.domain.log_review import ReferralOutcome, ReferralStatus
from frsgate.store.schema.base import metadata
from frsgate.store.schema.types import ID_LENGTH, UtcDateTime, enum_check, enum_string

log_review_signoffs = Table(
    "log_review_signoffs",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("supervisor_id", String(ID_LENGTH), ForeignKey("users.id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_days", Integer, nullable=False),
    Column("signed_at", UtcDateTime(), nullable=False),
    Column("checkpoint_size", BigInteger, nullable=False),
    Column("checkpoint_root", String(44), nullable=False),  # base64 of a SHA-256
    Column("cases", JSON, nullable=False),  # the case numbers reviewed
    Column("counts", JSON, nullable=False),  # what the review showed: uses, denials, reads...
    UniqueConstraint(
        "supervisor_id", "period_start", "period_days", name="uq_log_review_signoffs_period"
    ),
    Index("ix_log_review_signoffs_period_start", "period_start"),
)

log_referrals = Table(
    "log_referrals",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("referred_by", String(ID_LENGTH), ForeignKey("users.id"), nullable=False, index=True),
    Column("period_start", Date, nullable=False),
    Column("period_days", Integer, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("seqs", JSON, nullable=False),
    Column("submission_ids", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("status", enum_string(ReferralStatus), nullable=False),
    Column("outcome", enum_string(ReferralOutcome), nullable=True),
    Column("outcome_note", Text, nullable=True),
    Column("outcome_by", String(ID_LENGTH), ForeignKey("users.id"), nullable=True),
    Column("outcome_at", UtcDateTime(), nullable=True),
    enum_check("status", ReferralStatus),
    enum_check("outcome", ReferralOutcome),
    Index("ix_log_referrals_created_at", "created_at"),
)
