"""The queues the memo makes people responsible for, and the reviews that empty them.

Supervisors (memo 4.B.2, 4.C.3, 4.E.4): approvals waiting on them, submissions whose outcome is
unknown after a crash, rate-limit excesses. OSDM (memo 4.C.1–4.C.3): providers waiting for
review, including any FRS used in exigent circumstances. Overdue approvals expire on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

from frsgate.domain import (
    Approval,
    ApprovalStatus,
    Provider,
    ReviewStatus,
    Role,
    Submission,
    SubmissionStatus,
)
from frsgate.errors import PermissionDenied
from frsgate.ledger import Actor, EventTag, Outcome
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import admin
from frsgate.services.approvals import list_pending
from frsgate.services.gate import Caller, decision_draft, draft, evaluate, raise_if_denied
from frsgate.services.runtime import Runtime
from frsgate.store.unit import read_only, unit_of_work

COMPONENT = "services.queues"


@dataclass(frozen=True, slots=True)
class SupervisorQueue:
    approvals: list[Approval]
    outcome_unknown: list[Submission]
    expired: list[Approval]


def expire_overdue(runtime: Runtime) -> list[Approval]:
    """Expire pending approvals past their deadline (memo 4.C.3 "as soon as practicable");
    each expiry is a ledger entry, and the expired approval stays in the record."""
    now = runtime.now()
    with read_only(runtime.engine) as uow:
        overdue = uow.approvals.overdue(now)
    expired: list[Approval] = []
    for approval in overdue:
        entry = draft(
            Actor.system(),
            EventTag.APPROVAL_REQUEST_EXPIRE,
            outcome=Outcome.FAILED,
            source="system",
            subject=f"approval:{approval.id}",
            component=COMPONENT,
            details={
                "kind": approval.kind.value,
                "deadline": approval.deadline.isoformat() if approval.deadline else None,
                "subject_id": approval.subject_id,
            },
        )
        approval.expire(at=now)
        with unit_of_work(runtime.engine) as uow:
            uow.approvals.update(approval, expected_status=ApprovalStatus.pending)
            runtime.ledger.append_in(uow.conn, [entry])
        expired.append(approval)
    return expired


def supervisor_queue(runtime: Runtime, caller: Caller) -> SupervisorQueue:
    if Role.supervisor not in caller.user.roles:
        raise PermissionDenied("the supervisor queue is for supervisors (memo 4.E.4)")
    expired = expire_overdue(runtime)
    with read_only(runtime.engine) as uow:
        cases = {c.id for c in uow.cases.supervised_by(caller.user_id)}
        unknown = [
            s
            for s in uow.submissions.with_status(SubmissionStatus.outcome_unknown)
            if s.case_id in cases
        ]
    return SupervisorQueue(
        approvals=list_pending(runtime, caller), outcome_unknown=unknown, expired=expired
    )


def review_outcome(runtime: Runtime, caller: Caller, submission_id: str, note: str) -> Submission:
    """A supervisor of the case closes an `outcome_unknown` item with what they found out."""
    with read_only(runtime.engine) as uow:
        sub = uow.submissions.get(submission_id)
        case = uow.cases.get(sub.case_id)
    if case.supervisor_id != caller.user_id or Role.supervisor not in caller.user.roles:
        raise PermissionDenied(
            f"only the supervisor of case {case.number} may review this outcome (memo 4.E.4)"
        )
    sub.review_outcome(note=note)
    entry = draft(
        caller,
        EventTag.SUBMISSION_OUTCOME_REVIEW,
        subject=f"submission:{sub.id}",
        component=COMPONENT,
        case=case.number,
        submission=sub.id,
        provider=sub.provider_id,
        details={"note": note},
    )
    with unit_of_work(runtime.engine) as uow:
        uow.submissions.update(sub, expected_status=SubmissionStatus.outcome_unknown)
        runtime.ledger.append_in(uow.conn, [entry])
    return sub


def osdm_queue(runtime: Runtime, caller: Caller) -> list[Provider]:
    if Role.osdm not in caller.user.roles:
        raise PermissionDenied("the provider review queue is for OSDM (memo 4.C.1)")
    with read_only(runtime.engine) as uow:
        return uow.providers.by_review_status(ReviewStatus.unreviewed, ReviewStatus.pending)


def review_provider(
    runtime: Runtime, caller: Caller, provider_id: str, *, approve: bool, note: str
) -> Provider:
    """OSDM approves or does not approve an FRS (memo 4.C.1–4.C.3); decided by the policy."""
    with read_only(runtime.engine) as uow:
        provider = uow.providers.get(provider_id)
        used_by = {
            s.requested_by for s in uow.submissions.with_status(*SubmissionStatus)
            if s.provider_id == provider.id and s.exigent
        }  # fmt: skip
    # Whoever used the FRS in exigency asked, in effect, for its review (pack rule fn1).
    owner = caller.user_id if caller.user_id in used_by else (next(iter(used_by), None) or "osdm")
    decision = evaluate(
        runtime,
        caller,
        Action.provider_review,
        Resource(kind=ResourceKind.provider, id=provider.id, owner_id=owner),
        Context(),
    )
    entry = decision_draft(
        caller,
        Action.provider_review,
        decision,
        subject=f"provider:{provider.id}",
        component=COMPONENT,
        provider=provider.id,
        details={"approve": approve},
    )
    if not decision.allowed:
        runtime.ledger.append_many([entry])
        raise_if_denied(decision)
        raise PermissionDenied(f"reviewing provider {provider.id} needs an approval first")
    return admin.review_provider(
        runtime, caller.actor(Action.provider_review), provider, approve=approve, note=note,
        source=caller.source, decision=entry,
    )  # fmt: skip
