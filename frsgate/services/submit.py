"""The submission gate: one request to use an FRS, decided by the policy before anything moves.

allow          -> the submission is dispatched at once (`services.dispatch`);
needs_approval -> it waits in a supervisor's queue (a witness probe or a flagged justification
                  waits on the probe's approval; exigent use of an FRS OSDM has not approved
                  waits on its own approval);
deny           -> `PolicyDenied` with the citations; nothing but the decision is recorded.
Exigent use where prior approval is impracticable goes ahead and must be approved within the
configured deadline (memo 4.C.3); an unreviewed FRS used so is put in OSDM's review queue.
There is no batch or streaming path (memo 4.B.4): one probe, one request, under rate limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    Case,
    ProbeStatus,
    Provider,
    ReviewStatus,
    Submission,
    SubmissionStatus,
)
from frsgate.domain.values import new_id
from frsgate.errors import Conflict
from frsgate.ledger import EntryDraft, EventTag, Outcome
from frsgate.policy.decision import Decision
from frsgate.policy.decision import Outcome as DecisionOutcome
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import facts, lookup
from frsgate.services.dispatch import DispatchResult, begin_dispatch, intent_draft, send
from frsgate.services.errors import RateLimited
from frsgate.services.gate import (
    Caller,
    decision_draft,
    draft,
    evaluate,
    raise_if_denied,
)
from frsgate.services.runtime import Runtime
from frsgate.store.unit import UnitOfWork, read_only, unit_of_work

COMPONENT = "services.submit"
WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SubmissionRequest:
    probe_id: str
    provider: str  # provider id or name
    match_type: str
    program_code: str
    justification: str
    exigent: bool = False
    exigent_reason: str | None = None
    prior_approval_impracticable: bool = False
    second_probe_id: str | None = None
    target_ref: str | None = None
    max_candidates: int | None = None


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    submission: Submission
    decision: Decision
    approvals: list[Approval] = field(default_factory=list)
    dispatch: DispatchResult | None = None


def _provider(uow: UnitOfWork, ref: str) -> Provider:
    """The provider with id or name `ref` (ids carry the `provider_` prefix)."""
    if ref.startswith("provider_"):
        found = uow.providers.find(ref)
        if found is not None:
            return found
    return uow.providers.get_by_name(ref)


def _override_in_force(runtime: Runtime, caller: Caller) -> bool:
    """A supervisor who approved the caller's rate-limit item lets them go past the limits for
    one window from that decision (the volume was reviewed, memo 4.E.4)."""
    since = runtime.now() - WINDOW
    with read_only(runtime.engine) as uow:
        return any(
            a.kind is ApprovalKind.rate_limit_override
            and a.status is ApprovalStatus.approved
            and a.decided_at is not None
            and a.decided_at >= since
            for a in uow.approvals.requested_by(caller.user_id)
        )


def check_rate_limits(
    runtime: Runtime, caller: Caller, case: Case, *, by_user: int, by_case: int
) -> None:
    """Refuse a submission past the per-user or per-case hourly limit, and put the excess in
    front of the supervisor: searching at volume is what surveillance looks like (memo 4.B.4).
    `by_user` and `by_case` count the submissions of the last hour. A supervisor's approval of
    the resulting queue item lifts the limits for the caller for one window."""
    settings = runtime.settings
    exceeded: tuple[EventTag, str, int] | None = None
    if by_user >= settings.rate_limit_per_user_per_hour:
        exceeded = (EventTag.RATELIMIT_USER_EXCEEDED, "you", settings.rate_limit_per_user_per_hour)
    elif by_case >= settings.rate_limit_per_case_per_hour:
        exceeded = (
            EventTag.RATELIMIT_CASE_EXCEEDED,
            f"case {case.number}",
            settings.rate_limit_per_case_per_hour,
        )
    if exceeded is None or _override_in_force(runtime, caller):
        return
    event, who, limit = exceeded
    message = (
        f"rate limit reached: {who} made {limit} submissions in the last hour (memo 4.B.4: an "
        "FRS is never used to surveil the public); your supervisor has been notified"
    )
    with read_only(runtime.engine) as uow:
        open_items = [
            a
            for a in uow.approvals.requested_by(caller.user_id)
            if a.kind is ApprovalKind.rate_limit_override and a.status is ApprovalStatus.pending
        ]
        item = None
        if not open_items:
            item = Approval(
                id=new_id("approval"),
                kind=ApprovalKind.rate_limit_override,
                subject_kind=ApprovalSubject.user
                if event is EventTag.RATELIMIT_USER_EXCEEDED
                else ApprovalSubject.case,
                subject_id=caller.user_id if event is EventTag.RATELIMIT_USER_EXCEEDED else case.id,
                case_id=case.id,
                requester_id=caller.user_id,
                assigned_to=case.supervisor_id if case.supervisor_id != caller.user_id else None,
                reason=message,
                requested_at=runtime.now(),
            )
    refusal = draft(
        caller,
        event,
        outcome=Outcome.DENIED,
        subject=f"user:{caller.user_id}",
        component=COMPONENT,
        case=case.number,
        details={
            "limit_per_hour": limit,
            "queued_for": "supervisor",
            "approval": item.id if item else open_items[0].id,
        },
    )
    with unit_of_work(runtime.engine) as uow:
        if item is not None:
            uow.approvals.add(item)
        runtime.ledger.append_in(uow.conn, [refusal])
    raise RateLimited(message, retry_after_seconds=int(WINDOW.total_seconds()))


def create_submission(
    runtime: Runtime, caller: Caller, request: SubmissionRequest
) -> SubmissionResult:
    """Decide and, where allowed, dispatch one submission.

    Commits, in order: the decision with the submission's record (one ledger batch), the
    submission (already `dispatching` when it goes out at once), then the dispatch's intent
    and outcome (`services.dispatch.send`). Every step is on the ledger before it takes effect.
    """
    since = runtime.now() - WINDOW
    with read_only(runtime.engine) as uow:
        probe = uow.probes.get(request.probe_id)
        second = uow.probes.get(request.second_probe_id) if request.second_probe_id else None
        case = uow.cases.get(probe.case_id)
        provider = _provider(uow, request.provider)
        program = lookup.program(uow, request.program_code)
        probe_approvals = uow.approvals.for_subject(ApprovalSubject.probe, probe.id)
        approvers = lookup.approvers(uow, probe_approvals)
        by_user, by_case = uow.submissions.counts_since(caller.user_id, case.id, since)
        sealed = [uow.probes.get_image(probe.id).sealed]
        if second is not None:
            sealed.append(uow.probes.get_image(second.id).sealed)
    for p in (probe, second):
        if p is not None and p.status in (ProbeStatus.refused, ProbeStatus.purged):
            raise Conflict(f"probe {p.id} is {p.status.value} and cannot be submitted")
    if second is not None and second.case_id != probe.case_id:
        raise Conflict("both probes of a two_photo comparison must belong to the same case")
    check_rate_limits(runtime, caller, case, by_user=by_user, by_case=by_case)

    at = runtime.now()
    submission = Submission(
        id=new_id("sub"),
        case_id=case.id,
        probe_id=probe.id,
        second_probe_id=request.second_probe_id,
        target_ref=request.target_ref,
        provider_id=provider.id,
        match_type=request.match_type,
        program_code=request.program_code,
        justification=request.justification,
        requested_by=caller.user_id,
        exigent=request.exigent,
        exigent_reason=request.exigent_reason,
        max_candidates=request.max_candidates,
        created_at=at,
    )
    context = Context(
        case=facts.case(case),
        program=facts.program(program, request.program_code),
        probe=facts.stored_probe(probe),
        provider=facts.provider(provider),
        submission=facts.submission(
            submission, prior_approval_impracticable=request.prior_approval_impracticable
        ),
        approvals=facts.approvals(probe_approvals, approvers),
    )
    decision = evaluate(
        runtime,
        caller,
        Action.submission_create,
        Resource(kind=ResourceKind.submission, id=submission.id, owner_id=caller.user_id),
        context,
    )
    drafts = [
        decision_draft(
            caller,
            Action.submission_create,
            decision,
            subject=f"submission:{submission.id}",
            component=COMPONENT,
            case=case.number,
            submission=submission.id,
            provider=provider.id,
            program_code=request.program_code,
            details={"match_type": request.match_type, "exigent": request.exigent},
        )
    ]
    if decision.decision is DecisionOutcome.deny:
        runtime.ledger.append_many(drafts)
        raise_if_denied(decision)

    approvals: list[Approval] = []
    unapproved_provider = provider.review_status is not ReviewStatus.approved
    if decision.decision is DecisionOutcome.needs_approval:
        submission.require_approval()
        approvals = _submission_approvals(submission, case, decision, at, caller)
    elif request.exigent and unapproved_provider:
        # memo 4.C.3: prior approval impracticable; the supervisor approves soon after.
        deadline = at + timedelta(hours=runtime.settings.exigent_approval_deadline_hours)
        approvals = [
            _approval(
                submission, case, ApprovalKind.exigent_provider, at, caller, deadline=deadline
            )
        ]
    else:
        submission.allow(at=at)
    goes_out_now = submission.status in (SubmissionStatus.approved, SubmissionStatus.requested)
    if goes_out_now:
        begin_dispatch(submission, at=at)
    probe_hashes = [probe.sha256] + ([second.sha256] if second else [])
    drafts.append(
        draft(
            caller,
            EventTag.SUBMISSION_RECORD_CREATE,
            action=Action.submission_create,
            subject=f"submission:{submission.id}",
            component=COMPONENT,
            case=case.number,
            submission=submission.id,
            provider=provider.id,
            program_code=request.program_code,
            details={
                "status": submission.status.value,
                "match_type": submission.match_type,
                "probe_sha256": probe_hashes,
                "exigent": submission.exigent,
                "approval_ids": [a.id for a in approvals],
            },
        )
    )
    drafts += [
        draft(
            caller,
            EventTag.APPROVAL_REQUEST_CREATE,
            subject=f"approval:{a.id}",
            component=COMPONENT,
            case=case.number,
            submission=submission.id,
            details={
                "kind": a.kind.value,
                "approver_role": a.approver_role.value,
                "assigned_to": a.assigned_to,
                "deadline": a.deadline.isoformat() if a.deadline else None,
            },
        )
        for a in approvals
    ]
    probes = [probe] + ([second] if second else [])
    if goes_out_now:
        drafts.append(intent_draft(caller, submission, case.number, provider, probes))
    review = request.exigent and provider.review_status is ReviewStatus.unreviewed
    if review:
        drafts.append(review_queue_draft(caller, provider, submission))
    # One transaction: the decision, the record, the approvals asked for, OSDM's review item
    # and (when it goes out now) the intent commit together with the submission itself.
    with unit_of_work(runtime.engine) as uow:
        uow.submissions.add(submission)
        for approval in approvals:
            uow.approvals.add(approval)
        if review:
            queue_provider_review(uow, provider.id)
        runtime.ledger.append_in(uow.conn, drafts)
    result = None
    if goes_out_now:
        result = send(runtime, caller, submission, case_number=case.number, provider=provider,
                      probes=probes, sealed=sealed)  # fmt: skip
        submission = result.submission
    return SubmissionResult(
        submission=submission, decision=decision, approvals=approvals, dispatch=result
    )


def _approval(
    submission: Submission,
    case: Case,
    kind: ApprovalKind,
    at: datetime,
    caller: Caller,
    *,
    deadline: datetime | None = None,
) -> Approval:
    return Approval(
        id=new_id("approval"),
        kind=kind,
        subject_kind=ApprovalSubject.submission,
        subject_id=submission.id,
        case_id=case.id,
        requester_id=caller.user_id,
        assigned_to=case.supervisor_id if case.supervisor_id != caller.user_id else None,
        reason=submission.exigent_reason or submission.justification,
        requested_at=at,
        deadline=deadline,
    )


def _submission_approvals(
    submission: Submission, case: Case, decision: Decision, at: datetime, caller: Caller
) -> list[Approval]:
    """Approvals the submission itself needs. Probe-level cures (witness, flagged
    justification) are the probe's own approval requests, made at intake."""
    kinds = [facts.approval_kind_for_cure(name) for name in decision.approvals]
    return [
        _approval(submission, case, kind, at, caller)
        for kind in kinds
        if kind is ApprovalKind.exigent_provider
    ]


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
