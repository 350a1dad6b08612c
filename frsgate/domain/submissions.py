"""Submissions of probes to an FRS and their lifecycle (memo 4.C and 4.E.1).

The normal path is requested -> (pending_approval ->) approved -> dispatching -> completed. The
ledger records the intent before `dispatch` takes effect outside (log before act): a crash while
`dispatching` leaves an intent that start-up recovery turns into `outcome_unknown` for a
supervisor to review. In exigent circumstances an unreviewed FRS may be used before the
supervisor's approval, which then follows "as soon as practicable" (memo 4.C.3): that is
`dispatch_exigent`, straight from `requested`, with the approval tracked as an `Approval`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from frsgate.domain.errors import InvalidEntity
from frsgate.domain.providers import MatchType, ReviewStatus, require_match_type_name
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.values import require_aware, require_text


class SubmissionStatus(StrEnum):
    requested = "requested"
    pending_approval = "pending_approval"
    approved = "approved"
    denied = "denied"  # the policy refused it (with citations, in the ledger)
    rejected = "rejected"  # the approver refused it
    expired = "expired"  # the approval was not given in time
    withdrawn = "withdrawn"  # the requester withdrew it before dispatch
    dispatching = "dispatching"  # intent logged; the FRS may have received the probe
    completed = "completed"
    failed = "failed"
    outcome_unknown = "outcome_unknown"  # intent without outcome, found at recovery
    outcome_reviewed = "outcome_reviewed"  # a supervisor reviewed the unknown outcome


class SubmissionAct(StrEnum):
    allow = "allow"
    require_approval = "require_approval"
    deny = "deny"
    approve = "approve"
    reject = "reject"
    expire = "expire"
    withdraw = "withdraw"
    dispatch = "dispatch"
    dispatch_exigent = "dispatch_exigent"
    complete = "complete"
    fail = "fail"
    mark_outcome_unknown = "mark_outcome_unknown"
    review_outcome = "review_outcome"


_S = SubmissionStatus
_A = SubmissionAct

SUBMISSION_MACHINE: StateMachine[SubmissionStatus, SubmissionAct] = StateMachine(
    "submission",
    SubmissionStatus,
    SubmissionAct,
    {
        (_S.requested, _A.allow): _S.approved,
        (_S.requested, _A.require_approval): _S.pending_approval,
        (_S.requested, _A.deny): _S.denied,
        (_S.requested, _A.withdraw): _S.withdrawn,
        # memo 4.C.3: exigent use of an unreviewed FRS, supervisor approval to follow.
        (_S.requested, _A.dispatch_exigent): _S.dispatching,
        (_S.pending_approval, _A.approve): _S.approved,
        (_S.pending_approval, _A.reject): _S.rejected,
        (_S.pending_approval, _A.expire): _S.expired,
        (_S.pending_approval, _A.withdraw): _S.withdrawn,
        (_S.approved, _A.dispatch): _S.dispatching,
        (_S.approved, _A.withdraw): _S.withdrawn,
        (_S.dispatching, _A.complete): _S.completed,
        (_S.dispatching, _A.fail): _S.failed,
        (_S.dispatching, _A.mark_outcome_unknown): _S.outcome_unknown,
        (_S.outcome_unknown, _A.review_outcome): _S.outcome_reviewed,
    },
)


@dataclass(slots=True, kw_only=True)
class Submission:
    """One request to run a probe through an FRS (memo 4.E.1: FRS, submitter, case)."""

    id: str
    case_id: str | None = None  # None: the use serves the probe's program (memo 4.A.1)
    probe_id: str
    second_probe_id: str | None = None  # the other image of a two_photo comparison
    target_ref: str | None = None  # the FRS record a one_to_one verification is against
    provider_id: str
    match_type: str  # a MatchType member or a further use named in the provider's terms
    program_code: str  # the mandatory FRS program code (memo 4.E.3)
    justification: str  # why this search is relevant and necessary (memo 4.A.1)
    requested_by: str
    status: SubmissionStatus = SubmissionStatus.requested
    exigent: bool = False
    exigent_reason: str | None = None
    # memo 4.C.3: why no supervisor could approve before use (exigent use without prior
    # approval); shown to the supervisor who approves after the fact.
    impracticable_reason: str | None = None
    # OSDM's review of the provider when the request was decided: the use is judged as it
    # happened, whatever OSDM decides later (memo 4.C.3).
    provider_review_status_at_use: ReviewStatus | None = None
    max_candidates: int | None = None
    # Sent on every attempt so the FRS can de-duplicate retries of this submission.
    idempotency_key: str | None = None
    attempts: int = 0
    status_reason: str | None = None  # why it was denied, rejected, failed...
    created_at: datetime
    decided_at: datetime | None = None
    dispatched_at: datetime | None = None
    finished_at: datetime | None = None

    def __post_init__(self) -> None:
        require_text("submission", "program_code", self.program_code)
        require_text("submission", "justification", self.justification)
        require_match_type_name("submission", "match_type", self.match_type)
        if self.match_type == MatchType.two_photo and self.second_probe_id is None:
            raise InvalidEntity("submission", "second_probe_id", "is required for two_photo")
        if self.match_type != MatchType.two_photo and self.second_probe_id is not None:
            raise InvalidEntity(
                "submission", "second_probe_id", "applies only to two_photo comparisons"
            )
        if self.second_probe_id is not None and self.second_probe_id == self.probe_id:
            raise InvalidEntity("submission", "second_probe_id", "must be a different probe")
        if self.match_type == MatchType.one_to_one:
            require_text("submission", "target_ref", self.target_ref)
        if self.exigent:
            require_text("submission", "exigent_reason", self.exigent_reason)
        require_text("submission", "impracticable_reason", self.impracticable_reason, optional=True)
        if self.max_candidates is not None and self.max_candidates < 1:
            raise InvalidEntity("submission", "max_candidates", "must be at least 1")
        if self.attempts < 0:
            raise InvalidEntity("submission", "attempts", "must not be negative")
        for name in ("created_at", "decided_at", "dispatched_at", "finished_at"):
            require_aware("submission", name, getattr(self, name))

    @property
    def probe_ids(self) -> tuple[str, ...]:
        if self.second_probe_id is None:
            return (self.probe_id,)
        return (self.probe_id, self.second_probe_id)

    @property
    def is_final(self) -> bool:
        return self.status in SUBMISSION_MACHINE.final_states()

    def _go(self, act: SubmissionAct) -> None:
        self.status = SUBMISSION_MACHINE.apply(self.status, act)

    def allow(self, *, at: datetime) -> None:
        self._go(SubmissionAct.allow)
        self.decided_at = at

    def require_approval(self) -> None:
        self._go(SubmissionAct.require_approval)

    def deny(self, *, at: datetime, reason: str) -> None:
        require_text("submission", "status_reason", reason)
        self._go(SubmissionAct.deny)
        self.decided_at, self.status_reason = at, reason

    def approve(self, *, at: datetime) -> None:
        self._go(SubmissionAct.approve)
        self.decided_at = at

    def reject(self, *, at: datetime, reason: str) -> None:
        require_text("submission", "status_reason", reason)
        self._go(SubmissionAct.reject)
        self.decided_at, self.status_reason = at, reason

    def expire(self, *, at: datetime) -> None:
        self._go(SubmissionAct.expire)
        self.decided_at, self.status_reason = at, "approval not given before its deadline"

    def withdraw(self, *, at: datetime, reason: str) -> None:
        require_text("submission", "status_reason", reason)
        self._go(SubmissionAct.withdraw)
        self.finished_at, self.status_reason = at, reason

    def dispatch(self, *, at: datetime) -> None:
        self._go(SubmissionAct.dispatch)
        self.dispatched_at = at

    def dispatch_exigent(self, *, at: datetime) -> None:
        if not self.exigent:
            raise InvalidEntity(
                "submission", "exigent", "must be set (with a reason) for an exigent dispatch"
            )
        self._go(SubmissionAct.dispatch_exigent)
        self.dispatched_at = at

    def record_attempt(self) -> None:
        """One more try at the FRS while dispatching (retries do not change the state)."""
        if self.status is not SubmissionStatus.dispatching:
            raise InvalidEntity("submission", "attempts", "count only while dispatching")
        self.attempts += 1

    def complete(self, *, at: datetime) -> None:
        self._go(SubmissionAct.complete)
        self.finished_at = at

    def fail(self, *, at: datetime, reason: str) -> None:
        require_text("submission", "status_reason", reason)
        self._go(SubmissionAct.fail)
        self.finished_at, self.status_reason = at, reason

    def mark_outcome_unknown(self, *, at: datetime) -> None:
        self._go(SubmissionAct.mark_outcome_unknown)
        self.finished_at = at
        self.status_reason = "intent recorded without an outcome; the FRS may have the probe"

    def review_outcome(self, *, note: str) -> None:
        require_text("submission", "status_reason", note)
        self._go(SubmissionAct.review_outcome)
        self.status_reason = note
