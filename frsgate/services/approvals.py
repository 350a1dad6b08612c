"""Deciding approvals, through the decision point, and whatever the approval unblocks.

Who may decide is the pack's alone: a supervisor *of the approval's case* for witness probes
(memo 4.B.2), flagged justifications (4.B.3), exigent use of an FRS OSDM has not approved
(4.C.3) and rate-limit lifts; IGP for a policy-pack version (fn2); nobody their own request.
A witness probe or a flagged justification unblocks the probe and the submissions waiting on
it; exigent use unblocks its submission, or, when the use already happened, settles it: an
approval after the deadline is allowed and recorded as late (4.C.3 "as soon as practicable
thereafter"), and a refusal withholds the use's results for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    ProbeStatus,
    ReviewStatus,
    Submission,
    SubmissionStatus,
)
from frsgate.errors import Conflict, NotFound
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import (
    Action,
    ApprovalRequestFacts,
    Context,
    Resource,
    ResourceKind,
)
from frsgate.services import escalation, log_format, lookup, purposes
from frsgate.services.dispatch import Dispatcher, DispatchResult, begin_dispatch, intent_draft
from frsgate.services.errors import PolicyDenied
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.services.policy_admin import activation_draft
from frsgate.services.records import queue_provider_review, review_queue_draft
from frsgate.store.unit import UnitOfWork, read_only, unit_of_work

COMPONENT = "services.approvals"


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    approval: Approval
    late: bool = False
    dispatched: list[DispatchResult] = field(default_factory=list)
    rejected_submissions: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PendingApproval:
    """An approval waiting in a decider's queue, with what the decider needs beside it: its
    case, whether it is overdue, when an overdue exigent approval escalates (memo 4.C.3), and
    whether it has been escalated, to this decider or by them as a case's supervisor."""

    approval: Approval
    case_number: str | None
    overdue: bool
    escalation_due_at: datetime | None = None
    escalated: bool = False
    escalated_to_decider: bool = False  # in this decider's queue as the next supervisor up


def ask_to_decide(
    uow: UnitOfWork,
    caller: Caller,
    approval: Approval,
    *,
    approve: bool | None = None,
    escalated: bool | None = None,
) -> Ask:
    """The question `approval.decide` (or, for a pack version, `policy_pack.activate`) puts to
    the pack about `caller` deciding `approval`, with the case (or program) it belongs to.
    `escalated`: whether its escalation is recorded, when the caller already knows (None:
    looked up on the ledger)."""
    purpose = purposes.of_approval(uow, approval)
    details: dict[str, Any] = {"kind": approval.kind.value, "approval": approval.id}
    if approve is not None:
        details["approve"] = approve
    if approval.kind is ApprovalKind.policy_pack_activation:
        action = Action.policy_pack_activate
        resource = Resource(
            kind=ResourceKind.policy_pack, id=approval.subject_id, owner_id=approval.requester_id
        )
        context = Context()
    elif approval.kind is ApprovalKind.log_format_approval:
        # memo fn2: IGP approves the log format as it approves a pack version.
        action = Action.log_format_approve
        resource = Resource(
            kind=ResourceKind.log_format, id=approval.subject_id, owner_id=approval.requester_id
        )
        context = Context()
    else:
        action = Action.approval_decide
        resource = Resource(
            kind=ResourceKind.approval, id=approval.id, owner_id=approval.requester_id
        )
        context = Context(
            approval_request=ApprovalRequestFacts(
                kind=approval.kind,
                # The case's (or program's) supervisor; for that supervisor's own request,
                # their own supervisor (chain of command, memo 4.E.4).
                decider_supervises=purpose is not None
                and purpose.decides_for(caller.user_id, uow.users.get(approval.requester_id)),
                decider_escalated=_escalated_to(uow, caller, approval, escalated),
            )
        )
    return Ask(
        action=action,
        resource=resource,
        contexts=[context],
        subject=f"approval:{approval.id}",
        component=COMPONENT,
        case=purpose.case_number if purpose is not None else None,
        submission=_submission_of(approval),
        details=details | ({"purpose": purpose.ref} if purpose is not None else {}),
    )


def _escalated_to(
    uow: UnitOfWork, caller: Caller, approval: Approval, escalated: bool | None
) -> bool:
    """The pack's `decider_escalated`: the approval's escalation is on the ledger and the
    caller is the next supervisor up of those who decide it (memo 4.C.3, 4.E.4)."""
    if approval.kind is not ApprovalKind.exigent_provider:
        return False  # only an exigent use's after-the-fact approval is ever escalated
    if escalated is None:
        escalated = approval.id in escalation.recorded(uow, [approval.id])
    return escalated and caller.user_id in escalation.next_up(uow, approval)


def list_pending(*, gate: Gate, caller: Caller) -> list[PendingApproval]:
    """The approvals this caller may decide, overdue first: reading the queue is a decided,
    recorded read (`queue.view`), and each item is one the pack would let them decide. An
    overdue exigent approval due for escalation is escalated by this read if no read did
    before (`frsgate.services.escalation`)."""

    def ask(uow: UnitOfWork) -> Ask:
        return queue_ask(caller, "approvals")

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[list[PendingApproval], list[EntryDraft]]:
        pending = uow.approvals.pending()
        escalated, drafts = escalation.observe(uow, gate, caller, pending)
        items = decidable(uow, gate, caller, pending, escalated=escalated)
        return items, [*drafts, queue_read_draft(caller, "approvals", len(items))]

    return gate.enforce(caller, ask=ask, act=read).result


def decidable(
    uow: UnitOfWork,
    gate: Gate,
    caller: Caller,
    pending: Sequence[Approval],
    *,
    escalated: set[str] | None = None,
) -> list[PendingApproval]:
    """The approvals of `pending` the pack would let `caller` decide, overdue first. Each is a
    preview of `approval.decide` (not recorded: the read of the queue is what is recorded).
    `escalated` holds the ids whose escalation is recorded (None: looked up)."""
    now = gate.now()
    previewer = caller.internal()
    items: list[PendingApproval] = []
    if escalated is None:
        escalated = escalation.recorded(uow, [a.id for a in pending])
    for approval in pending:
        is_escalated = approval.id in escalated
        question = ask_to_decide(uow, previewer, approval, escalated=is_escalated)
        ruling = gate.rule(previewer, question, preview=True)
        if ruling.decision.allowed:
            request = question.contexts[0].approval_request
            items.append(
                PendingApproval(
                    approval,
                    question.case,
                    approval.is_overdue(now),
                    escalation_due_at=escalation.due_at(gate, approval),
                    escalated=is_escalated,
                    escalated_to_decider=request is not None
                    and request.decider_escalated
                    and not request.decider_supervises,
                )
            )
    items.sort(key=lambda p: (not p.overdue, p.approval.requested_at, p.approval.id))
    return items


def queue_ask(caller: Caller, queue: str) -> Ask:
    """`queue.view` of one of the work queues ("approvals", "supervisor", "osdm")."""
    return Ask(
        action=Action.queue_view,
        resource=Resource(kind=ResourceKind.queue, id=queue, owner_id=caller.user_id),
        contexts=[Context(queue=queue)],
        subject=f"queue:{queue}",
        component=COMPONENT,
        details={"queue": queue},
    )


def queue_read_draft(caller: Caller, queue: str, size: int) -> EntryDraft:
    return draft(
        caller,
        EventTag.QUEUE_ITEMS_READ,
        action=Action.queue_view,
        subject=f"queue:{queue}",
        component=COMPONENT,
        details={"queue": queue, "items": size},
    )


def decide_approval(
    *,
    gate: Gate,
    dispatcher: Dispatcher,
    caller: Caller,
    approval_id: str,
    approve: bool,
    note: str | None,
) -> ApprovalOutcome:
    """Approve or deny one pending request, if the pack lets `caller` decide it."""
    held: list[Approval] = []

    def ask(uow: UnitOfWork) -> Ask:
        approval = uow.approvals.get(approval_id, lock=True)
        if approval.status is not ApprovalStatus.pending:
            raise Conflict(f"approval {approval.id} is already {approval.status.value}")
        held.append(approval)
        # A decision observes an escalation that is due as a queue read does: recorded once,
        # before the decision that may rest on it.
        escalated, drafts = escalation.observe(uow, gate, caller, [approval])
        gate.record(uow, drafts)
        return ask_to_decide(
            uow, caller, approval, approve=approve, escalated=approval.id in escalated
        )

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[_Decided, list[EntryDraft]]:
        approval = held[0]
        at = gate.now()
        # memo 4.C.3 "as soon as practicable thereafter": a late decision is still made, and
        # recorded as late for the supervisor's own reviewer and OPR.
        late = approval.is_overdue(at)
        if approve:
            approval.approve(by=caller.user_id, at=at, note=note)
        else:
            approval.deny(by=caller.user_id, at=at, note=note or "")
        uow.approvals.update(approval, expected_status=ApprovalStatus.pending)
        drafts = [
            draft(
                caller,
                EventTag.APPROVAL_REQUEST_DECIDE,
                action=ruling.ask.action,
                subject=f"approval:{approval.id}",
                component=COMPONENT,
                case=ruling.ask.case,
                submission=ruling.ask.submission,
                details={
                    "kind": approval.kind.value,
                    "decision": approval.status.value,
                    "requester_id": approval.requester_id,
                    "subject_kind": approval.subject_kind.value,
                    "subject_id": approval.subject_id,
                    "deadline": approval.deadline.isoformat() if approval.deadline else None,
                    "late": late,
                    # Decided by the next supervisor up, after an escalation (memo 4.C.3).
                    "by_escalation": _by_escalation(ruling),
                    "note": note,
                },
            )
        ]
        activated = False
        if approval.kind is ApprovalKind.policy_pack_activation and approve:
            activation = activation_draft(gate, caller, approval)
            if activation is not None:
                drafts.append(activation)
                activated = True
        if approval.kind is ApprovalKind.log_format_approval and approve:
            drafts.append(log_format.approval_draft(caller, approval))
        waiting: list[Submission] = []
        if approval.subject_kind is ApprovalSubject.probe:
            waiting = _settle_probe(uow, caller, approval, drafts, ruling.ask.case)
        return _Decided(approval, late, activated, waiting), drafts

    decided = gate.enforce(caller, ask=ask, act=act).result
    approval = decided.approval
    if decided.activated:
        gate.mark_active()
    outcome = ApprovalOutcome(approval=approval, late=decided.late)
    if approval.subject_kind is ApprovalSubject.probe:
        return _after_probe_approval(gate, dispatcher, caller, outcome, decided.waiting)
    if approval.subject_kind is ApprovalSubject.submission:
        return _after_submission_approval(gate, dispatcher, caller, outcome)
    return outcome


def _by_escalation(ruling: Ruling) -> bool:
    request = ruling.ask.contexts[0].approval_request
    return request is not None and request.decider_escalated and not request.decider_supervises


@dataclass(frozen=True, slots=True)
class _Decided:
    approval: Approval
    late: bool
    activated: bool
    waiting: list[Submission]


def _submission_of(approval: Approval) -> str | None:
    return approval.subject_id if approval.subject_kind is ApprovalSubject.submission else None


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
    gate: Gate,
    dispatcher: Dispatcher,
    caller: Caller,
    outcome: ApprovalOutcome,
    waiting: list[Submission],
) -> ApprovalOutcome:
    approval = outcome.approval
    dispatched: list[DispatchResult] = []
    rejected: list[str] = []
    for sub in waiting:
        if approval.status is ApprovalStatus.denied:
            _reject(gate, caller, sub.id, f"probe approval {approval.id} was denied")
            rejected.append(sub.id)
            continue
        result = _redecide_and_dispatch(gate, dispatcher, caller, sub.id)
        if isinstance(result, DispatchResult):
            dispatched.append(result)
        elif result == "rejected":
            rejected.append(sub.id)
    return ApprovalOutcome(
        approval=approval, late=outcome.late, dispatched=dispatched, rejected_submissions=rejected
    )


def _after_submission_approval(
    gate: Gate, dispatcher: Dispatcher, caller: Caller, outcome: ApprovalOutcome
) -> ApprovalOutcome:
    approval = outcome.approval
    with read_only(gate.engine) as uow:
        sub = uow.submissions.get(approval.subject_id)
    if sub.status is not SubmissionStatus.pending_approval:
        # The exigent use already happened (memo 4.C.3 "as soon as practicable thereafter"):
        # the decision is on the ledger, and it is a fact of every later read of the results
        # (a refusal withholds them for good; an approval releases them).
        return outcome
    if approval.status is ApprovalStatus.denied:
        _reject(gate, caller, sub.id, f"approval {approval.id} was denied")
        return ApprovalOutcome(approval=approval, late=outcome.late,
                               rejected_submissions=[sub.id])  # fmt: skip
    result = _redecide_and_dispatch(gate, dispatcher, caller, sub.id)
    return ApprovalOutcome(
        approval=approval,
        late=outcome.late,
        dispatched=[result] if isinstance(result, DispatchResult) else [],
        rejected_submissions=[sub.id] if result == "rejected" else [],
    )


def _status_draft(
    who: Caller, sub: Submission, before: SubmissionStatus, reason: str, case_number: str | None
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


def _reject(gate: Gate, who: Caller, submission_id: str, reason: str) -> None:
    with unit_of_work(gate.engine) as uow:
        sub = uow.submissions.get(submission_id, lock=True)
        if sub.status is not SubmissionStatus.pending_approval:
            return  # decided meanwhile by another approval
        number = purposes.of_submission(uow, sub).case_number
        sub.reject(at=gate.now(), reason=reason)
        uow.submissions.update(sub, expected_status=SubmissionStatus.pending_approval)
        gate.record(
            uow, [_status_draft(who, sub, SubmissionStatus.pending_approval, reason, number)]
        )


def _redecide_and_dispatch(
    gate: Gate, dispatcher: Dispatcher, approver: Caller, submission_id: str
) -> DispatchResult | str | None:
    """Decide the waiting submission again, for its requester, now that an approval is given;
    dispatch it when the policy allows (other facts, a certification say, may have changed).
    Returns the dispatch, "rejected" when the policy now denies it, or None while it waits."""
    sub = _pending(gate, submission_id)
    if sub is None:
        return None
    with read_only(gate.engine) as uow:
        requester = uow.users.get(sub.requested_by)
        certification = lookup.certification(uow, requester.id, gate.now())
    requester_caller = Caller(user=requester, certification=certification, source=approver.source)
    held: list[tuple[Submission, str | None]] = []
    claimed: list[str] = []

    def ask(uow: UnitOfWork) -> Ask:
        current = uow.submissions.get(submission_id, lock=True)
        if current.status is not SubmissionStatus.pending_approval:
            raise Conflict(f"submission {current.id} is {current.status.value} by now")
        contexts, purpose, provider = purposes.use_contexts(uow, current, gate.now())
        held.append((current, purpose.case_number))
        return Ask(
            action=Action.submission_create,
            resource=Resource(kind=ResourceKind.submission, id=current.id, owner_id=requester.id),
            contexts=contexts,
            subject=f"submission:{current.id}",
            component=COMPONENT,
            case=purpose.case_number,
            submission=current.id,
            provider=provider.id,
            program_code=current.program_code,
            details={"reason": "approval given", "approved_by": approver.user_id},
        )

    def go(uow: UnitOfWork, ruling: Ruling) -> tuple[Submission | None, list[EntryDraft]]:
        current, case_number = held[0]
        provider = uow.providers.get(current.provider_id)
        probes = [uow.probes.get(pid) for pid in current.probe_ids]
        current.approve(at=gate.now())
        reason = f"approved by {approver.user_id}"
        status = _status_draft(approver, current, SubmissionStatus.pending_approval, reason,
                               case_number)  # fmt: skip
        # The use is judged as it happens: OSDM's review status now, when it goes out.
        current.provider_review_status_at_use = provider.review_status
        begin_dispatch(current, at=gate.now())
        uow.submissions.update(current, expected_status=SubmissionStatus.pending_approval)
        # Claimed before `dispatching` commits: no other process's recovery takes it.
        dispatcher.claims.take(current.id)
        claimed.append(current.id)
        drafts = [status, intent_draft(approver, current, case_number, provider, probes)]
        if current.exigent and provider.review_status is ReviewStatus.unreviewed:
            # memo 4.C.3: any FRS used in exigent circumstances goes to OSDM for review,
            # whether the supervisor approved before the use or after it.
            queue_provider_review(uow, provider.id)
            drafts.append(review_queue_draft(approver, provider, current))
        return current, drafts

    def still_waiting(uow: UnitOfWork, ruling: Ruling) -> tuple[Submission | None, list[Any]]:
        return None, []  # another approval is still outstanding; the decision is recorded

    def give_up() -> None:
        for claim in claimed:  # nothing of it was committed: nothing to dispatch
            dispatcher.claims.release(claim)

    try:
        ruled = gate.enforce(requester_caller, ask=ask, act=go, wait=still_waiting)
    except PolicyDenied:
        give_up()
        _reject(gate, approver, submission_id,
                "the policy denied the submission when it was decided again")  # fmt: skip
        return "rejected"
    except Conflict:
        give_up()
        return None
    except BaseException:
        give_up()
        raise
    current = ruled.result
    if current is None:
        return None
    try:
        with read_only(gate.engine) as uow:
            number = purposes.of_submission(uow, current).case_number
            provider = uow.providers.get(current.provider_id)
            probes = [uow.probes.get(pid) for pid in current.probe_ids]
    except BaseException:
        give_up()  # the submission stays `dispatching`: start-up recovery surfaces it
        raise
    return dispatcher.send(approver, current, case_number=number, provider=provider,
                           probes=probes)  # fmt: skip


def _pending(gate: Gate, submission_id: str) -> Submission | None:
    with read_only(gate.engine) as uow:
        try:
            sub = uow.submissions.get(submission_id)
        except NotFound:
            return None
    return sub if sub.status is SubmissionStatus.pending_approval else None


__all__ = [
    "ApprovalKind",
    "ApprovalOutcome",
    "PendingApproval",
    "ask_to_decide",
    "decide_approval",
    "list_pending",
]
