"""Approvals that a second person must give: separation of duties as a lifecycle.

Witness probes (memo 4.B.2) and exigent use of an FRS OSDM has not approved (memo 4.C.3) need a
supervisor; a policy-pack version needs the privacy office. Who may decide is the policy pack's
to say (`frsgate.services.gate.Gate.approver_role`); the domain keeps the lifecycle, and that
nobody decides their own request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from frsgate.domain.errors import DomainError, InvalidEntity, SelfApproval
from frsgate.domain.statemachine import StateMachine
from frsgate.domain.values import require_aware, require_text


class ApprovalKind(StrEnum):
    witness_probe = "witness_probe"  # memo 4.B.2
    flagged_justification = "flagged_justification"  # a justification the policy flagged
    exigent_provider = "exigent_provider"  # memo 4.C.3: before use or soon after
    rate_limit_override = "rate_limit_override"
    policy_pack_activation = "policy_pack_activation"  # igp approves the rules (fn2)
    log_format_approval = "log_format_approval"  # igp approves the log format (fn2)


class ApprovalSubject(StrEnum):
    """What an approval is about; `subject_id` holds that thing's id."""

    probe = "probe"
    submission = "submission"
    policy_pack = "policy_pack"
    log_format = "log_format"  # a log-format version (fn2): "v<N>@<sha256>"
    user = "user"
    case = "case"


class ApprovalStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    denied = "denied"
    expired = "expired"  # the deadline passed without a decision
    withdrawn = "withdrawn"


class ApprovalAct(StrEnum):
    approve = "approve"
    deny = "deny"
    expire = "expire"
    withdraw = "withdraw"


APPROVAL_MACHINE: StateMachine[ApprovalStatus, ApprovalAct] = StateMachine(
    "approval",
    ApprovalStatus,
    ApprovalAct,
    {
        (ApprovalStatus.pending, ApprovalAct.approve): ApprovalStatus.approved,
        (ApprovalStatus.pending, ApprovalAct.deny): ApprovalStatus.denied,
        (ApprovalStatus.pending, ApprovalAct.expire): ApprovalStatus.expired,
        (ApprovalStatus.pending, ApprovalAct.withdraw): ApprovalStatus.withdrawn,
    },
)


@dataclass(slots=True, kw_only=True)
class Approval:
    """A request for a decision by someone other than the requester."""

    id: str
    kind: ApprovalKind
    subject_kind: ApprovalSubject
    subject_id: str
    case_id: str | None = None  # the case the request serves, or
    program_id: str | None = None  # the program, for a use without a case (memo 4.A.1)
    requester_id: str
    assigned_to: str | None = None  # the expected approver (e.g. the case supervisor)
    reason: str  # the requester's case for approval
    status: ApprovalStatus = ApprovalStatus.pending
    approver_id: str | None = None  # who decided
    decision_note: str | None = None
    requested_at: datetime
    deadline: datetime | None = None
    decided_at: datetime | None = None

    def __post_init__(self) -> None:
        require_text("approval", "subject_id", self.subject_id)
        require_text("approval", "reason", self.reason)
        for name in ("requested_at", "deadline", "decided_at"):
            require_aware("approval", name, getattr(self, name))
        if self.deadline is not None and self.deadline <= self.requested_at:
            raise InvalidEntity("approval", "deadline", "must be after requested_at")
        if self.assigned_to is not None and self.assigned_to == self.requester_id:
            raise SelfApproval(self.requester_id, self.id)

    def is_overdue(self, at: datetime) -> bool:
        return (
            self.status is ApprovalStatus.pending
            and self.deadline is not None
            and at >= self.deadline
        )

    def approve(self, *, by: str, at: datetime, note: str | None = None) -> None:
        self._decide(ApprovalAct.approve, by=by, at=at, note=note)

    def deny(self, *, by: str, at: datetime, note: str) -> None:
        require_text("approval", "decision_note", note)
        self._decide(ApprovalAct.deny, by=by, at=at, note=note)

    def expire(self, *, at: datetime) -> None:
        require_aware("approval", "decided_at", at)
        if not self.is_overdue(at) and self.status is ApprovalStatus.pending:
            raise DomainError(
                f"approval {self.id} cannot expire at {at.isoformat()}: its deadline is "
                f"{self.deadline.isoformat() if self.deadline else 'not set'}"
            )
        self.status = APPROVAL_MACHINE.apply(self.status, ApprovalAct.expire)
        self.decided_at = at

    def withdraw(self, *, by: str, at: datetime) -> None:
        if by != self.requester_id:
            raise DomainError(f"only the requester may withdraw approval {self.id}")
        self.status = APPROVAL_MACHINE.apply(self.status, ApprovalAct.withdraw)
        self.decided_at = at

    def _decide(self, act: ApprovalAct, *, by: str, at: datetime, note: str | None) -> None:
        require_aware("approval", "decided_at", at)
        if by == self.requester_id:
            raise SelfApproval(by, self.id)
        self.status = APPROVAL_MACHINE.apply(self.status, act)
        self.approver_id, self.decided_at, self.decision_note = by, at, note
