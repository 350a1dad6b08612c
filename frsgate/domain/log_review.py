"""The supervisor's routine review of the logs (memo 4.E.4): review periods, sign-offs and
referrals of non-compliance to OPR.

Memo 4.E.4: "HSI front-line supervisors will review logs, case files, and ... entries routinely
to ensure compliance with this guidance. Non-compliance, including inappropriate access and use,
may be referred to the ICE Office of Professional Responsibility (OPR), when appropriate."

A review period is a fixed window of whole UTC days. Periods are laid end to end from the
anchor Monday 1970-01-05 00:00 UTC (the first Monday of the Unix epoch): with the default
length of 7 days every period starts on a Monday at 00:00 UTC, as CJIS AU-6 asks of a weekly
review; with 1 day each UTC day is a period; with 14 days every other Monday, counted from the
anchor; any other length N makes consecutive N-day blocks from the anchor (a period of 30 days
starts wherever the previous one ended, not on the first of a month). A period is named by the
date it starts on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from frsgate.domain.errors import DomainError, InvalidEntity
from frsgate.domain.values import require_aware, require_text

ANCHOR = date(1970, 1, 5)  # a Monday: the first period of every length starts here
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True, slots=True)
class ReviewPeriod:
    """One review period: `[start, end)` in UTC, `days` long."""

    start: date
    days: int

    def __post_init__(self) -> None:
        if not 1 <= self.days <= MAX_PERIOD_DAYS:
            raise InvalidEntity("review period", "days", f"must be 1 to {MAX_PERIOD_DAYS}")
        if (self.start - ANCHOR).days % self.days != 0:
            nearest = containing(datetime.combine(self.start, time(), UTC), self.days).start
            raise DomainError(
                f"{self.start.isoformat()} does not start a {self.days}-day review period; "
                f"periods start every {self.days} days from {ANCHOR.isoformat()} "
                f"(the period holding that day starts {nearest.isoformat()})"
            )

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def ends_at(self) -> datetime:
        """The first instant after the period."""
        return self.starts_at + timedelta(days=self.days)

    @property
    def name(self) -> str:
        return self.start.isoformat()

    def finished(self, at: datetime) -> bool:
        require_aware("review period", "at", at)
        return at >= self.ends_at

    def started(self, at: datetime) -> bool:
        require_aware("review period", "at", at)
        return at >= self.starts_at

    def previous(self) -> ReviewPeriod:
        return ReviewPeriod(self.start - timedelta(days=self.days), self.days)

    def following(self) -> ReviewPeriod:
        return ReviewPeriod(self.start + timedelta(days=self.days), self.days)


def containing(at: datetime, days: int) -> ReviewPeriod:
    """The period of `days` days that holds the instant `at`."""
    require_aware("review period", "at", at)
    day = at.astimezone(UTC).date()
    offset = (day - ANCHOR).days % days
    return ReviewPeriod(day - timedelta(days=offset), days)


def finished_between(start: datetime, end: datetime, days: int) -> list[ReviewPeriod]:
    """The periods that lie wholly inside `[start, end)`, oldest first."""
    first = containing(start, days)
    if first.starts_at < start:
        first = first.following()
    found: list[ReviewPeriod] = []
    period = first
    while period.ends_at <= end:
        found.append(period)
        period = period.following()
    return found


class ReferralOutcome(StrEnum):
    """What OPR found on a referral (memo 4.E.4, 4.E.5)."""

    substantiated = "substantiated"
    unsubstantiated = "unsubstantiated"
    closed = "closed"  # closed without a finding (referred elsewhere, withdrawn...), with a note


class ReferralStatus(StrEnum):
    open = "open"  # with OPR, no outcome yet
    decided = "decided"


@dataclass(slots=True, kw_only=True)
class Referral:
    """A supervisor's referral of findings to OPR, with the reasons they gave and what it
    concerns (ledger entries and submissions), and OPR's outcome once recorded."""

    id: str
    referred_by: str
    period_start: date
    period_days: int
    reasons: str
    seqs: tuple[int, ...] = ()
    submission_ids: tuple[str, ...] = ()
    created_at: datetime
    status: ReferralStatus = ReferralStatus.open
    outcome: ReferralOutcome | None = None
    outcome_note: str | None = None
    outcome_by: str | None = None
    outcome_at: datetime | None = None

    def __post_init__(self) -> None:
        require_text("referral", "reasons", self.reasons)
        require_aware("referral", "created_at", self.created_at)
        require_aware("referral", "outcome_at", self.outcome_at)

    def decide(self, *, outcome: ReferralOutcome, note: str, by: str, at: datetime) -> None:
        """OPR records what it found; once only, never by the supervisor who referred."""
        require_text("referral", "outcome_note", note)
        require_aware("referral", "outcome_at", at)
        if self.status is not ReferralStatus.open:
            raise DomainError(f"referral {self.id} already has an outcome ({self.outcome})")
        if by == self.referred_by:
            raise DomainError(f"referral {self.id}: the referring supervisor cannot decide it")
        self.status = ReferralStatus.decided
        self.outcome, self.outcome_note, self.outcome_by, self.outcome_at = outcome, note, by, at
