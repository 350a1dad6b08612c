"""Deciding approvals: separation of duties, then whatever the approval unblocks.

A witness probe (memo 4.B.2) or a flagged justification (4.B.3) unblocks the probe and the
submissions waiting on it; exigent use of an FRS OSDM has not approved (4.C.3) unblocks its
submission, or, when the use already happened, completes its record. Nobody decides their own
request: the pack forbids it and the domain refuses it as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from frsgate.domain import (
    APPROVER_ROLE,
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    ProbeStatus,
    Submission,
    SubmissionStatus,
)
from frsgate.domain.errors import SelfApproval
from frsgate.errors import Conflict, PermissionDenied
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.decision import Outcome as DecisionOutcome
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import facts, lookup
from frsgate.services.dispatch import DispatchResult, dispatch
from frsgate.services.gate import (
    Caller,
    decision_draft,
    draft,
    evaluate,
    raise_if_denied,
)
from frsgate.services.policy_admin import activation_draft
from frsgate.services.runtime import Runtime
from frsgate.store.unit import UnitOfWork, read_only, unit_of_work

COMPONENT = "services.approvals"


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    approval: Approval
    dispatched: list[DispatchResult] = field(default_factory=list)
    rejected_submissions: list[str] = field(default_factory=list)


def list_pending(runtime: Runtime, caller: Caller) -> list[Approval]:
    """The approvals this caller may decide (never their own)."""
    with read_only(runtime.engine) as uow:
        pending = uow.approvals.pending_for(caller.user_id)
    return [a for a in pending if a.approver_role in caller.user.roles]


def decide_approval(
    runtime: Runtime, caller: Caller, approval_id: str, *, approve: bool, note: str | None
) -> ApprovalOutcome:
    with read_only(runtime.engine) as uow:
        approval = uow.approvals.get(approval_id)
        case = uow.cases.get(approval.case_id) if approval.case_id else None
    if approval.status is not ApprovalStatus.pending:
        raise Conflict(f"approval {approval.id} is already {approval.status.value}")
    case_number = case.number if case else None
    drafts = _authorize(runtime, caller, approval, approve=approve, case_number=case_number)
    at = runtime.now()
    if approve:
        approval.approve(by=caller.user_id, at=at, note=note)
    else:
        approval.deny(by=caller.user_id, at=at, note=note or "")
    drafts.append(
        draft(
            caller,
            EventTag.APPROVAL_REQUEST_DECIDE,
            action=Action.approval_decide,
            subject=f"approval:{approval.id}",
            component=COMPONENT,
            case=case_number,
            submission=approval.subject_id
            if approval.subject_kind is ApprovalSubject.submission
            else None,
            details={
                "kind": approval.kind.value,
                "decision": approval.status.value,
                "requester_id": approval.requester_id,
                "subject_kind": approval.subject_kind.value,
                "subject_id": approval.subject_id,
                "note": note,
            },
        )
    )
    activation = (
        activation_draft(runtime, caller, approval)
        if approval.kind is ApprovalKind.policy_pack_activation and approve
        else None
    )
    if activation is not None:
        drafts.append(activation)
    waiting: list[Submission] = []
    with unit_of_work(runtime.engine) as uow:
        uow.approvals.update(approval, expected_status=ApprovalStatus.pending)
        if approval.subject_kind is ApprovalSubject.probe:
            waiting = _settle_probe(uow, caller, approval, drafts, case_number)
        runtime.ledger.append_in(uow.conn, drafts)
    if activation is not None:
        runtime.policy_active = True
    if approval.subject_kind is ApprovalSubject.probe:
        return _after_probe_approval(runtime, caller, approval, waiting)
    if approval.subject_kind is ApprovalSubject.submission:
        return _after_submission_approval(runtime, caller, approval)
    return ApprovalOutcome(approval=approval)


def _authorize(
    runtime: Runtime,
    caller: Caller,
    approval: Approval,
    *,
    approve: bool,
    case_number: str | None,
) -> list[EntryDraft]:
    """Who may decide this approval: the pack for the kinds it knows (its decision entry is
    returned, to commit with the act), the domain's approver table for the others. A denial is
    recorded at once and raised."""
    request_facts = facts.approval_request(approval)
    if approval.kind is ApprovalKind.policy_pack_activation:
        action = Action.policy_pack_activate
        resource = Resource(
            kind=ResourceKind.policy_pack, id=approval.subject_id, owner_id=approval.requester_id
        )
        context = Context()
    elif request_facts is not None:
        action = Action.approval_decide
        resource = Resource(
            kind=ResourceKind.approval, id=approval.id, owner_id=approval.requester_id
        )
        context = Context(approval_request=request_facts)
    else:
        # Kinds outside the pack's vocabulary (rate-limit review): the domain's table of
        # approver roles decides who may, and nobody decides their own.
        if caller.user_id == approval.requester_id:
            raise SelfApproval(caller.user_id, approval.id)
        if APPROVER_ROLE[approval.kind] not in caller.user.roles:
            raise PermissionDenied(
                f"only a {APPROVER_ROLE[approval.kind].value} may decide a "
                f"{approval.kind.value} approval"
            )
        return []
    decision = evaluate(runtime, caller, action, resource, context)
    entry = decision_draft(
        caller,
        action,
        decision,
        subject=f"approval:{approval.id}",
        component=COMPONENT,
        case=case_number,
        details={"kind": approval.kind.value, "approve": approve},
    )
    if decision.decision is not DecisionOutcome.allow:
        runtime.ledger.append_many([entry])
        raise_if_denied(decision)
        raise PermissionDenied(f"deciding approval {approval.id} itself needs approval")
    return [entry]


def _settle_probe(
    uow: UnitOfWork,
    caller: Caller,
    approval: Approval,
    drafts: list[EntryDraft],
    case_number: str | None,
) -> list[Submission]:
    """In the approval's own transaction: a probe whose approvals are all given becomes usable,
    one whose approval is denied is refused. Returns the submissions waiting on the probe."""
    probe = uow.probes.get(approval.subject_id, lock=True)
    if probe.status is not ProbeStatus.pending_approval:
        return []
    siblings = uow.approvals.for_subject(ApprovalSubject.probe, probe.id)
    if approval.status is ApprovalStatus.denied:
        probe.refuse()
    elif all(a.status is ApprovalStatus.approved for a in siblings):
        probe.approve()
    else:
        return []  # another approval of this probe is still pending
    uow.probes.update(probe, expected_status=ProbeStatus.pending_approval)
    drafts.append(
        draft(
            caller,
            EventTag.PROBE_STATUS_CHANGE,
            subject=f"probe:{probe.id}",
            component=COMPONENT,
            case=case_number,
            details={
                "from": ProbeStatus.pending_approval.value,
                "to": probe.status.value,
                "approval": approval.id,
                "probe_sha256": probe.sha256,
            },
        )
    )
    return [
        s
        for s in uow.submissions.of_probe(probe.id)
        if s.status is SubmissionStatus.pending_approval
    ]


def _after_probe_approval(
    runtime: Runtime, caller: Caller, approval: Approval, waiting: list[Submission]
) -> ApprovalOutcome:
    dispatched: list[DispatchResult] = []
    rejected: list[str] = []
    for sub in waiting:
        if approval.status is ApprovalStatus.denied:
            _reject(runtime, caller, sub.id, f"probe approval {approval.id} was denied")
            rejected.append(sub.id)
            continue
        outcome = _redecide_and_dispatch(runtime, caller, sub.id)
        if outcome is not None:
            dispatched.append(outcome)
    return ApprovalOutcome(approval=approval, dispatched=dispatched, rejected_submissions=rejected)


def _after_submission_approval(
    runtime: Runtime, caller: Caller, approval: Approval
) -> ApprovalOutcome:
    with read_only(runtime.engine) as uow:
        sub = uow.submissions.get(approval.subject_id)
    if sub.status is not SubmissionStatus.pending_approval:
        # The exigent use already happened (memo 4.C.3 "as soon as practicable thereafter"):
        # the decision is on the ledger; a denial there is for the supervisor and OPR to follow.
        return ApprovalOutcome(approval=approval)
    if approval.status is ApprovalStatus.denied:
        _reject(runtime, caller, sub.id, f"approval {approval.id} was denied")
        return ApprovalOutcome(approval=approval, rejected_submissions=[sub.id])
    outcome = _redecide_and_dispatch(runtime, caller, sub.id)
    return ApprovalOutcome(approval=approval, dispatched=[outcome] if outcome else [])


def _status_draft(
    who: Caller, sub: Submission, before: SubmissionStatus, reason: str, case_number: str
) -> EntryDraft:
    return draft(
        who,
        EventTag.SUBMISSION_STATUS_CHANGE,
        subject=f"submission:{sub.id}",
        component=COMPONENT,
        case=case_number,
        submission=sub.id,
        provider=sub.provider_id,
        program_code=sub.program_code,
        details={"from": before.value, "to": sub.status.value, "reason": reason},
    )


def _reject(runtime: Runtime, who: Caller, submission_id: str, reason: str) -> None:
    with unit_of_work(runtime.engine) as uow:
        sub = uow.submissions.get(submission_id, lock=True)
        case = uow.cases.get(sub.case_id)
        sub.reject(at=runtime.now(), reason=reason)
        uow.submissions.update(sub, expected_status=SubmissionStatus.pending_approval)
        runtime.ledger.append_in(
            uow.conn,
            [_status_draft(who, sub, SubmissionStatus.pending_approval, reason, case.number)],
        )


def _redecide_and_dispatch(
    runtime: Runtime, approver: Caller, submission_id: str
) -> DispatchResult | None:
    """Decide the waiting submission again, for its requester, now that approvals are given;
    dispatch it when the policy allows (other facts, a certification say, may have changed)."""
    with read_only(runtime.engine) as uow:
        sub = uow.submissions.get(submission_id)
        requester = uow.users.get(sub.requested_by)
        certification = lookup.certification(uow, requester.id, runtime.now())
        context, case, provider = lookup.use_context(uow, sub)
    requester_caller = Caller(user=requester, certification=certification, source=approver.source)
    decision = evaluate(
        runtime,
        requester_caller,
        Action.submission_create,
        Resource(kind=ResourceKind.submission, id=sub.id, owner_id=requester.id),
        context,
    )
    entry = decision_draft(
        requester_caller,
        Action.submission_create,
        decision,
        subject=f"submission:{sub.id}",
        component=COMPONENT,
        case=case.number,
        submission=sub.id,
        provider=provider.id,
        program_code=sub.program_code,
        details={"reason": "approval given", "approved_by": approver.user_id},
    )
    if decision.decision is DecisionOutcome.needs_approval:
        runtime.ledger.append_many([entry])
        return None  # still waiting on another approval
    with unit_of_work(runtime.engine) as uow:
        current = uow.submissions.get(sub.id, lock=True)
        if decision.decision is DecisionOutcome.deny:
            reason = "the policy denied the submission when it was decided again"
            current.reject(at=runtime.now(), reason=reason)
        else:
            reason = f"approved by {approver.user_id}"
            current.approve(at=runtime.now())
        uow.submissions.update(current, expected_status=SubmissionStatus.pending_approval)
        runtime.ledger.append_in(
            uow.conn,
            [entry, _status_draft(approver, current, SubmissionStatus.pending_approval, reason,
                                  case.number)],
        )  # fmt: skip
    if decision.decision is DecisionOutcome.deny:
        return None
    return dispatch(runtime, approver, sub.id)


__all__ = ["ApprovalKind", "ApprovalOutcome", "decide_approval", "list_pending"]
