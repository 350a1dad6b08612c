"""Request and response models of the supervisor's log review, its sign-off and referrals to
OPR (memo 4.E.4, 4.E.5), and of IGP's approval of the log format (fn2), for the OpenAPI
document. Every response model forbids keys it does not name; every request field is bounded.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from frsgate.api.fields import RecordRef, Text
from frsgate.api.schemas import ApprovalOut, ReviewPeriodOut, Sha256Hex, Timestamp
from frsgate.domain.log_review import ReferralOutcome


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckpointRefOut(_Out):
    """The signed checkpoint a review was computed against: its tree size and base64 root."""

    tree_size: int
    root: str


class IndicatorsOut(_Out):
    witness_use: int = Field(description="Uses of a witness's probe photo (memo 4.B.2)")
    exigent_use: int = Field(description="Exigent uses (memo 4.C.3)")
    probe_view_count: int = Field(description="Reads of a probe image")
    unassigned: int = Field(
        description="Uses and reads by users neither assigned to nor supervising the case"
    )


class TotalsOut(_Out):
    use: int = Field(description="Submissions recorded")
    denial: int = Field(description="Refused attempts")
    read: int = Field(description="Reads of the case's records")
    indicators: IndicatorsOut
    denials_by_section: dict[str, int] = Field(description="Refused attempts by memo section")


class CaseCountsOut(_Out):
    case: str
    use: int
    denial: int
    read: int
    indicators: IndicatorsOut


class ReviewItemOut(_Out):
    """One ledger entry of the review, from the ledger index, with its indicators."""

    seq: int
    at: str
    kind: Literal["use", "denial", "read"]
    event: str
    outcome: str
    actor_id: str
    actor_role: str
    subject: str
    case: str
    submission: str | None
    provider: str | None
    indicators: list[str]


class SignoffOut(_Out):
    """A sign-off of one period's review: when, against which checkpoint, what it showed."""

    id: str
    supervisor_id: str
    period: str
    period_days: int
    signed_at: Timestamp
    checkpoint: CheckpointRefOut
    cases: list[str]
    counts: TotalsOut


class UserRefOut(_Out):
    id: str
    username: str


class LogReviewOut(_Out):
    """A supervisor's review of one period (memo 4.E.4), computed against `checkpoint`."""

    supervisor: UserRefOut
    period: ReviewPeriodOut
    finished: bool
    case: str | None = Field(description="The one case the review was narrowed to, if any")
    cases: list[str] = Field(description="The cases the supervisor supervises")
    checkpoint: CheckpointRefOut
    totals: TotalsOut
    per_case: list[CaseCountsOut]
    items: list[ReviewItemOut]
    truncated: bool = Field(description="More entries than `limit`: the totals count them all")
    signoff: SignoffOut | None


class SignOffIn(_In):
    """Whose review is signed off: the caller's own (leave `supervisor` out)."""

    supervisor: RecordRef | None = Field(
        default=None, description="A supervisor's username or id (default: the caller)"
    )


class ReferralIn(_In):
    """Findings referred to OPR: the reasons (kept for OPR, bound on the ledger by SHA-256)
    and, optionally, the ledger entries and submissions they concern (of the caller's cases)."""

    reasons: Annotated[Text, Field(min_length=1)]
    seqs: Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=100)] = []
    submissions: Annotated[list[RecordRef], Field(max_length=100)] = []


class ReferralOutcomeIn(_In):
    outcome: ReferralOutcome
    note: Annotated[Text, Field(min_length=1)]


class ReferralOut(_Out):
    id: str
    referred_by: str = Field(description="The referring supervisor's username")
    referred_by_id: str
    period: ReviewPeriodOut
    reasons: str
    reasons_sha256: Sha256Hex
    seqs: list[int]
    submissions: list[str]
    created_at: Timestamp
    status: Literal["open", "decided"]
    outcome: ReferralOutcome | None
    outcome_note: str | None
    outcome_by: str | None
    outcome_at: Timestamp | None


class ReferralListOut(_Out):
    referrals: list[ReferralOut]


class LogFormatOut(_Out):
    """Whether the privacy office approved the shipped log format (memo fn2): its version and
    the SHA-256 of its schema. Not approved blocks nothing; the reports state it."""

    version: int
    schema_sha256: Sha256Hex
    subject: str
    status: Literal["approved", "pending", "not approved"]
    approved: bool
    approval_id: str | None
    requested_by: str | None
    requested_at: Timestamp | None
    decided_by: str | None
    decided_at: Timestamp | None


class LogFormatRequestIn(_In):
    reason: Annotated[Text, Field(min_length=1)]


class LogFormatRefOut(_Out):
    version: int
    subject: str = Field(description="v<version>@<SHA-256 of the entry schema>")


class LogFormatRequestOut(_Out):
    """The request to IGP to approve the shipped log format."""

    approval: ApprovalOut
    log_format: LogFormatRefOut
