"""Acts several services perform alike: asking for an approval, and putting an FRS used in
exigent circumstances before OSDM (memo 4.C.3)."""

from __future__ import annotations

from typing import Any

from frsgate.domain import Approval, ApprovalSubject, Provider, ReviewStatus, Submission
from frsgate.ledger import EntryDraft, EventTag
from frsgate.services.gate import Caller, Gate, draft
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.records"


def approval_request_draft(
    gate: Gate, caller: Caller, approval: Approval, case_number: str | None, component: str
) -> EntryDraft:
    role = gate.approver_role(approval.kind)
    details: dict[str, Any] = {
        "kind": approval.kind.value,
        "subject_kind": approval.subject_kind.value,
        "subject_id": approval.subject_id,
        "approver_role": role.value if role is not None else None,
        "assigned_to": approval.assigned_to,
        "deadline": approval.deadline.isoformat() if approval.deadline else None,
    }
    return draft(
        caller,
        EventTag.APPROVAL_REQUEST_CREATE,
        subject=f"approval:{approval.id}",
        component=component,
        case=case_number,
        submission=approval.subject_id
        if approval.subject_kind is ApprovalSubject.submission
        else None,
        details=details,
    )


def review_queue_draft(caller: Caller, provider: Provider, submission: Submission) -> EntryDraft:
    return draft(
        caller,
        EventTag.PROVIDER_REVIEW_QUEUE,
        subject=f"provider:{provider.id}",
        component=COMPONENT,
        submission=submission.id,
        provider=provider.id,
        details={"reason": "used in exigent circumstances (memo 4.C.3)", "queued_for": "osdm"},
    )


def queue_provider_review(uow: UnitOfWork, provider_id: str) -> None:
    """memo 4.C.3: any FRS used in exigent circumstances is submitted to OSDM for review."""
    current = uow.providers.get(provider_id, lock=True)
    if current.review_status is ReviewStatus.unreviewed:  # another use may have queued it
        current.submit_for_review()
        uow.providers.update(current, expected_status=ReviewStatus.unreviewed)
