"""The JSON shapes of approvals, submissions and the supervisor's queue, as the API and the
command line both show them: plain dictionaries built from domain records, with no web
framework, so `frsgate queue supervisor` prints what `GET /api/v1/queue/supervisor` answers
without loading the HTTP edge."""

from __future__ import annotations

from typing import Any

from frsgate.domain import Approval, Submission
from frsgate.services import queues
from frsgate.services.approvals import PendingApproval
from frsgate.services.gate import Gate


def submission_json(sub: Submission) -> dict[str, Any]:
    return {
        "id": sub.id,
        "case_id": sub.case_id,
        "probe_id": sub.probe_id,
        "second_probe_id": sub.second_probe_id,
        "provider_id": sub.provider_id,
        "match_type": sub.match_type,
        "program_code": sub.program_code,
        "status": sub.status.value,
        "status_reason": sub.status_reason,
        "exigent": sub.exigent,
        "impracticable_reason": sub.impracticable_reason,
        "provider_review_status_at_use": (
            sub.provider_review_status_at_use.value if sub.provider_review_status_at_use else None
        ),
        "attempts": sub.attempts,
        "created_at": sub.created_at.isoformat(),
        "dispatched_at": sub.dispatched_at.isoformat() if sub.dispatched_at else None,
        "finished_at": sub.finished_at.isoformat() if sub.finished_at else None,
    }


def approver_role(a: Approval, gate: Gate) -> str | None:
    """Who decides `a`: the role the policy pack grants its decision."""
    role = gate.approver_role(a.kind)
    return role.value if role is not None else None


def pending_json(p: PendingApproval, gate: Gate) -> dict[str, Any]:
    extra = {
        "case_number": p.case_number,
        "overdue": p.overdue,
        "escalation_due_at": p.escalation_due_at.isoformat() if p.escalation_due_at else None,
        "escalated": p.escalated,
        "escalated_to_you": p.escalated_to_decider,
    }
    return approval_json(p.approval, gate) | extra


def approval_json(a: Approval, gate: Gate) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind.value,
        "status": a.status.value,
        "subject_kind": a.subject_kind.value,
        "subject_id": a.subject_id,
        "case_id": a.case_id,
        "requester_id": a.requester_id,
        "assigned_to": a.assigned_to,
        "approver_role": approver_role(a, gate),
        "approver_id": a.approver_id,
        "reason": a.reason,
        "requested_at": a.requested_at.isoformat(),
        "deadline": a.deadline.isoformat() if a.deadline else None,
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
    }


def supervisor_queue_json(queue: queues.SupervisorQueue, gate: Gate) -> dict[str, Any]:
    """The supervisor's queue as the API and the command line show it."""
    return {
        "approvals": [pending_json(p, gate) for p in queue.approvals],
        "overdue": [pending_json(p, gate) for p in queue.overdue],
        "escalated": [pending_json(p, gate) for p in queue.escalated],
        "rate_limits": [
            {
                "kind": "rate_limit_override",
                "approval": pending_json(item.pending, gate),
                "volume": item.volume.as_dict(),
            }
            for item in queue.rate_limits
        ],
        "outcome_unknown": [submission_json(s) for s in queue.outcome_unknown],
        "roi_unfiled": [e.as_dict() for e in queue.roi_unfiled],
        "missed_reviews": [m.as_dict() for m in queue.missed_reviews],
    }
