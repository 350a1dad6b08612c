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
    SubmissionStatus,
)
from frsgate.domain.errors import SelfApproval
from frsgate.errors import Conflict, PermissionDenied
from frsgate.ledger import EventTag
from frsgate.policy.decision import Outcome as DecisionOutcome
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import facts, lookup
from frsgate.services.dispatch import DispatchResult, dispatch
from frsgate.services.gate import Caller, decide, record
from frsgate.services.policy_admin import record_activation
from frsgate.services.runtime import Runtime
from frsgate.store.unit import read_only, unit_of_work

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
    request_facts = facts.approval_request(approval)
    if approval.kind is ApprovalKind.policy_pack_activation:
        decide(
            runtime,
            caller,
            Action.policy_pack_activate,
            Resource(
                kind=ResourceKind.policy_pack,
                id=approval.subject_id,
                owner_id=approval.requester_id,
            ),
            Context(),
            subject=f"approval:{approval.id}",
            component=COMPONENT,
            details={"kind": approval.kind.value, "approve": approve},
        )
    elif request_facts is not None:
        decide(
            runtime,
            caller,
            Action.approval_decide,
            Resource(kind=ResourceKind.approval, id=approval.id, owner_id=approval.requester_id),
            Context(approval_request=request_facts),
            subject=f"approval:{approval.id}",
            component=COMPONENT,
            case=case.number if case else None,
            details={"kind": approval.kind.value, "approve": approve},
        )
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
    at = runtime.now()
    if approve:
        approval.approve(by=caller.user_id, at=at, note=note)
    else:
        approval.deny(by=caller.user_id, at=at, note=note or "")
    record(
        runtime,
        caller,
        EventTag.APPROVAL_REQUEST_DECIDE,
        action=Action.approval_decide,
        subject=f"approval:{approval.id}",
        component=COMPONENT,
        case=case.number if case else None,
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
    with unit_of_work(runtime.engine) as uow:
        uow.approvals.update(approval, expected_status=ApprovalStatus.pending)
    if approval.kind is ApprovalKind.policy_pack_activation and approve:
        record_activation(runtime, caller, approval)
    if approval.subject_kind is ApprovalSubject.probe:
        return _after_probe_approval(runtime, caller, approval)
    if approval.subject_kind is ApprovalSubject.submission:
        return _after_submission_approval(runtime, caller, approval)
    return ApprovalOutcome(approval=approval)


def _after_probe_approval(runtime: Runtime, caller: Caller, approval: Approval) -> ApprovalOutcome:
    with unit_of_work(runtime.engine) as uow:
        probe = uow.probes.get(approval.subject_id, lock=True)
        siblings = uow.approvals.for_subject(ApprovalSubject.probe, probe.id)
        if probe.status is not ProbeStatus.pending_approval:
            return ApprovalOutcome(approval=approval)
        refused = approval.status is ApprovalStatus.denied
        if refused:
            probe.refuse()
        elif all(a.status is ApprovalStatus.approved for a in siblings):
            probe.approve()
        else:
            return ApprovalOutcome(approval=approval)  # another approval is still pending
        uow.probes.update(probe, expected_status=ProbeStatus.pending_approval)
        waiting = [
            s
            for s in uow.submissions.of_probe(probe.id)
            if s.status is SubmissionStatus.pending_approval
        ]
    dispatched: list[DispatchResult] = []
    rejected: list[str] = []
    for sub in waiting:
        if refused:
            _reject(runtime, sub.id, f"probe approval {approval.id} was denied")
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
        _reject(runtime, sub.id, f"approval {approval.id} was denied")
        return ApprovalOutcome(approval=approval, rejected_submissions=[sub.id])
    outcome = _redecide_and_dispatch(runtime, caller, sub.id)
    return ApprovalOutcome(approval=approval, dispatched=[outcome] if outcome else [])


def _reject(runtime: Runtime, submission_id: str, reason: str) -> None:
    with unit_of_work(runtime.engine) as uow:
        sub = uow.submissions.get(submission_id, lock=True)
        sub.reject(at=runtime.now(), reason=reason)
        uow.submissions.update(sub, expected_status=SubmissionStatus.pending_approval)


def _redecide_and_dispatch(
    runtime: Runtime, approver: Caller, submission_id: str
) -> DispatchResult | None:
    """Decide the waiting submission again, for its requester, now that approvals are given;
    dispatch it when the policy allows (other facts, a certification say, may have changed)."""
    with read_only(runtime.engine) as uow:
        sub = uow.submissions.get(submission_id)
        requester = uow.users.get(sub.requested_by)
        certification = uow.certifications.current_for(requester.id, runtime.now())
        if certification is None:
            certification = uow.certifications.latest_for(requester.id)
        case = uow.cases.get(sub.case_id)
        probe = uow.probes.get(sub.probe_id)
        provider = uow.providers.get(sub.provider_id)
        program = lookup.program(uow, sub.program_code)
        granted = uow.approvals.for_subject(ApprovalSubject.probe, probe.id)
        granted += uow.approvals.for_subject(ApprovalSubject.submission, sub.id)
        approvers = {a.approver_id: uow.users.get(a.approver_id) for a in granted if a.approver_id}
    requester_caller = Caller(user=requester, certification=certification, source=approver.source)
    decision = decide(
        runtime,
        requester_caller,
        Action.submission_create,
        Resource(kind=ResourceKind.submission, id=sub.id, owner_id=requester.id),
        Context(
            case=facts.case(case),
            program=facts.program(program, sub.program_code),
            probe=facts.stored_probe(probe),
            provider=facts.provider(provider),
            submission=facts.submission(sub, prior_approval_impracticable=False),
            approvals=facts.approvals(granted, approvers),
        ),
        subject=f"submission:{sub.id}",
        component=COMPONENT,
        case=case.number,
        submission=sub.id,
        provider=provider.id,
        program_code=sub.program_code,
        details={"reason": "approval given", "approved_by": approver.user_id},
        raise_on_deny=False,
    )
    if decision.decision is DecisionOutcome.deny:
        _reject(runtime, sub.id, "the policy denied the submission when it was decided again")
        return None
    if decision.decision is DecisionOutcome.needs_approval:
        return None  # still waiting on another approval
    with unit_of_work(runtime.engine) as uow:
        current = uow.submissions.get(sub.id, lock=True)
        current.approve(at=runtime.now())
        uow.submissions.update(current, expected_status=SubmissionStatus.pending_approval)
    return dispatch(runtime, approver, sub.id)


__all__ = ["ApprovalKind", "ApprovalOutcome", "decide_approval", "list_pending"]
