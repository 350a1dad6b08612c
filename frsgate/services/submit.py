"""The submission gate: one request to use an FRS, decided by the policy before anything moves.

`create_submission` reads as load → decide → record → dispatch. In one transaction
(`Gate.enforce`) it locks the caller's and the case's rows, counts their recent submissions
(rate limits: count and insert are atomic), gathers the facts of *every* probe of the
submission from the stored records, asks the pack, and records the decision with the act:

allow          -> the submission and its dispatch intent are stored; it goes out at once;
needs_approval -> it is stored waiting: on the probes' own approvals (witness probe, flagged
                  justification, asked for at intake) and/or on a supervisor's approval of
                  exigent use of an FRS OSDM has not approved (asked for here);
deny           -> `PolicyDenied` with the citations; nothing but the decision is recorded.

Exigent use where prior approval is impracticable (a reason is required and recorded) goes
ahead and must be approved by a supervisor of the case; past the deadline its results are
withheld until one does (memo 4.C.3). An unreviewed FRS used so is put in OSDM's review queue.
There is no batch or streaming path (memo 4.B.4): one request, under rate limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from frsgate.config import Settings
from frsgate.domain import (
    Approval,
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    MatchType,
    Probe,
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
from frsgate.policy.engine import PolicyPack
from frsgate.policy.facts import Action, Resource, ResourceKind, SubmissionFacts
from frsgate.services import facts, lookup, purposes
from frsgate.services.dispatch import Dispatcher, DispatchResult, begin_dispatch, intent_draft
from frsgate.services.errors import PolicyDenied, RateLimited
from frsgate.services.gate import Ask, Caller, Gate, Refusal, Ruling, draft
from frsgate.services.purposes import Purpose
from frsgate.services.records import (
    approval_request_draft,
    queue_provider_review,
    review_queue_draft,
)
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.submit"


@dataclass(frozen=True, slots=True)
class SubmissionLimits:
    """The volume limits (memo 4.B.4: no surveillance of the public) and the deadline of an
    after-the-fact exigent approval (memo 4.C.3)."""

    per_user_per_hour: int
    per_case_per_hour: int
    exigent_approval_deadline: timedelta
    window: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, settings: Settings, policy: PolicyPack) -> SubmissionLimits:
        """The configured limits, and the deadline the active pack sets (one source: the
        requests are dated by the same deadline the pack judges the results by)."""
        return cls(
            per_user_per_hour=settings.rate_limit_per_user_per_hour,
            per_case_per_hour=settings.rate_limit_per_case_per_hour,
            exigent_approval_deadline=policy.exigent_approval_deadline,
        )


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
    impracticable_reason: str | None = None
    second_probe_id: str | None = None
    target_ref: str | None = None
    max_candidates: int | None = None


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    submission: Submission
    decision: Decision
    approvals: list[Approval] = field(default_factory=list)
    dispatch: DispatchResult | None = None


@dataclass
class _Loaded:
    """The records a submission is decided on, read inside its transaction."""

    purpose: Purpose
    provider: Provider
    probes: list[Probe]
    submission_id: str
    at: datetime


def create_submission(
    *,
    gate: Gate,
    dispatcher: Dispatcher,
    limits: SubmissionLimits,
    caller: Caller,
    request: SubmissionRequest,
) -> SubmissionResult:
    """Decide and, where allowed, dispatch one submission (see the module docstring)."""
    loaded: list[_Loaded] = []

    def ask(uow: UnitOfWork) -> Ask:
        state = _load(uow, gate, caller, request)
        loaded.append(state)
        _check_rate_limits(uow, gate, limits, caller, state)
        return _ask(uow, caller, request, state)

    claimed: list[str] = []

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[_Stored, list[EntryDraft]]:
        stored, drafts = _store(uow, gate, limits, caller, request, loaded[0], ruling,
                                waiting=False)  # fmt: skip
        if stored.submission.status is SubmissionStatus.dispatching:
            # Claimed before `dispatching` commits: no other process's recovery takes it.
            dispatcher.claims.take(stored.submission.id)
            claimed.append(stored.submission.id)
        return stored, drafts

    def wait(uow: UnitOfWork, ruling: Ruling) -> tuple[_Stored, list[EntryDraft]]:
        return _store(uow, gate, limits, caller, request, loaded[0], ruling, waiting=True)

    try:
        ruled = gate.enforce(caller, ask=ask, act=act, wait=wait)
    except PolicyDenied as denied:
        raise _naming_offered_match_types(denied, loaded) from None
    except BaseException:
        for submission_id in claimed:  # the transaction rolled back: nothing to dispatch
            dispatcher.claims.release(submission_id)
        raise
    stored, state = ruled.result, loaded[0]
    result = None
    submission = stored.submission
    if submission.status is SubmissionStatus.dispatching:
        result = dispatcher.send(caller, submission, case_number=state.purpose.case_number,
                                 provider=state.provider, probes=state.probes)  # fmt: skip
        submission = result.submission
    return SubmissionResult(
        submission=submission, decision=ruled.decision, approvals=stored.approvals,
        dispatch=result,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Stored:
    submission: Submission
    approvals: list[Approval]


def _load(uow: UnitOfWork, gate: Gate, caller: Caller, request: SubmissionRequest) -> _Loaded:
    # Lock the caller's row and the purpose's (the case, or the program of a use without a
    # case): concurrent submissions by the same user or on the same case queue here, so the
    # rate-limit count below and the insert are one atomic step (PostgreSQL row locks;
    # SQLite's writer lock already serializes write transactions).
    uow.users.lock(caller.user_id)
    probe = uow.probes.get(request.probe_id)
    purpose = purposes.of_probe(uow, probe, lock=True)
    probes = [probe]
    if request.second_probe_id is not None:
        probes.append(uow.probes.get(request.second_probe_id))
    for p in probes:
        if p.status in (ProbeStatus.refused, ProbeStatus.purged):
            raise Conflict(f"probe {p.id} is {p.status.value} and cannot be submitted")
        if _purpose_key(p) != _purpose_key(probe):
            raise Conflict(
                "both probes of a two_photo comparison must serve the same case or program"
            )
    provider = lookup.provider(uow, request.provider)
    return _Loaded(purpose=purpose, provider=provider, probes=probes,
                   submission_id=new_id("sub"), at=gate.now())  # fmt: skip


_MATCH_TYPE_RULES = frozenset({"submission.match_type", "provider.terms_match_type"})


def _naming_offered_match_types(denied: PolicyDenied, loaded: list[_Loaded]) -> PolicyDenied:
    """A refusal of the match type (memo 2, 4.C.4) names the ones the provider's terms offer
    among those the memo defines, so the caller can choose one; any other refusal as it is."""
    rules = {c.get("rule") for c in denied.decision.get("citations", [])}
    if not loaded or not rules & _MATCH_TYPE_RULES:
        return denied
    provider = loaded[0].provider
    offered = sorted(set(provider.terms.match_types) & {m.value for m in MatchType})
    hint = (
        f"provider {provider.name!r} offers {', '.join(offered)}"
        if offered
        else f"provider {provider.name!r} offers none of {', '.join(m.value for m in MatchType)}"
    )
    return PolicyDenied(denied.decision, hint=hint)


def _purpose_key(probe: Probe) -> tuple[str | None, str | None]:
    """What a probe serves: its case, or (without one) its program."""
    return (probe.case_id, None) if probe.case_id else (None, probe.program_code)


def _ask(uow: UnitOfWork, caller: Caller, request: SubmissionRequest, state: _Loaded) -> Ask:
    """The submission's facts as requested, one context per probe (each probe is decided)."""
    purpose, provider = state.purpose, state.provider
    submission_facts = SubmissionFacts(
        match_type=request.match_type,
        program_code=request.program_code,
        program_code_established=facts.program_code_established(
            uow, request.program_code, state.at
        ),
        exigent=request.exigent,
        exigent_reason=request.exigent_reason,
        prior_approval_impracticable=request.prior_approval_impracticable,
        impracticable_reason=request.impracticable_reason,
        requested_candidates=request.max_candidates or 0,
        provider_review_status_at_use=provider.review_status,
    )
    contexts = []
    for probe in state.probes:
        granted = facts.probe_approvals(uow, probe.id)
        contexts.append(
            purpose.context(
                probe=facts.stored_probe(probe),
                provider=facts.provider(provider),
                submission=submission_facts,
                approvals=facts.approvals(granted, facts.approvers(uow, granted)),
            )
        )
    return Ask(
        action=Action.submission_create,
        resource=Resource(
            kind=ResourceKind.submission, id=state.submission_id, owner_id=caller.user_id
        ),
        contexts=contexts,
        subject=f"submission:{state.submission_id}",
        component=COMPONENT,
        case=purpose.case_number,
        submission=state.submission_id,
        provider=provider.id,
        program_code=request.program_code.strip() or None,
        details={
            "purpose": purpose.ref,
            "match_type": request.match_type,
            "exigent": request.exigent,
            "probe_sha256": [p.sha256 for p in state.probes],
        },
    )


def _store(
    uow: UnitOfWork,
    gate: Gate,
    limits: SubmissionLimits,
    caller: Caller,
    request: SubmissionRequest,
    state: _Loaded,
    ruling: Ruling,
    *,
    waiting: bool,
) -> tuple[_Stored, list[EntryDraft]]:
    """Store the submission as the decision says: waiting for its approvals, or (allowed)
    going out now with its intent; exigent use without prior approval asks for the
    supervisor's approval after the fact."""
    purpose, provider, at = state.purpose, state.provider, state.at
    submission = Submission(
        id=state.submission_id,
        case_id=purpose.case.id if purpose.case is not None else None,
        probe_id=state.probes[0].id,
        second_probe_id=request.second_probe_id,
        target_ref=request.target_ref,
        provider_id=provider.id,
        match_type=request.match_type,
        program_code=request.program_code.strip(),
        justification=request.justification,
        requested_by=caller.user_id,
        exigent=request.exigent,
        exigent_reason=request.exigent_reason,
        impracticable_reason=(
            request.impracticable_reason if request.prior_approval_impracticable else None
        ),
        provider_review_status_at_use=provider.review_status,
        max_candidates=request.max_candidates,
        created_at=at,
    )
    approvals: list[Approval] = []
    unapproved_provider = provider.review_status is not ReviewStatus.approved
    if waiting:
        submission.require_approval()
        kinds = [facts.approval_kind_for_cure(name) for name in ruling.decision.approvals]
        # Probe-level cures (witness, flagged justification) are the probes' own approval
        # requests, made at intake; the submission asks only for what is its own.
        if ApprovalKind.exigent_provider in kinds:
            approvals.append(
                _approval(submission, purpose, ApprovalKind.exigent_provider, at, caller)
            )
    else:
        submission.allow(at=at)
        if request.exigent and unapproved_provider:
            # memo 4.C.3: prior approval impracticable; a supervisor approves soon after.
            deadline = at + limits.exigent_approval_deadline
            approvals.append(
                _approval(submission, purpose, ApprovalKind.exigent_provider, at, caller,
                          deadline=deadline)
            )  # fmt: skip
        begin_dispatch(submission, at=at)
    drafts = [
        draft(
            caller,
            EventTag.SUBMISSION_RECORD_CREATE,
            action=Action.submission_create,
            subject=f"submission:{submission.id}",
            component=COMPONENT,
            case=purpose.case_number,
            submission=submission.id,
            provider=provider.id,
            program_code=submission.program_code,
            details={
                "purpose": purpose.ref,
                "status": submission.status.value,
                "match_type": submission.match_type,
                "probe_sha256": [p.sha256 for p in state.probes],
                "exigent": submission.exigent,
                "impracticable_reason": submission.impracticable_reason,
                "provider_review_status_at_use": provider.review_status.value,
                "approval_ids": [a.id for a in approvals],
            },
        )
    ]
    drafts += [
        approval_request_draft(gate, caller, a, purpose.case_number, COMPONENT) for a in approvals
    ]
    if submission.status is SubmissionStatus.dispatching:
        drafts.append(intent_draft(caller, submission, purpose.case_number, provider, state.probes))
    uow.submissions.add(submission)
    for approval in approvals:
        uow.approvals.add(approval)
    if request.exigent and provider.review_status is ReviewStatus.unreviewed and not waiting:
        drafts.append(review_queue_draft(caller, provider, submission))
        queue_provider_review(uow, provider.id)
    return _Stored(submission=submission, approvals=approvals), drafts


def _check_rate_limits(
    uow: UnitOfWork, gate: Gate, limits: SubmissionLimits, caller: Caller, state: _Loaded
) -> None:
    """Refuse a submission past the per-user or per-case hourly limit, and put the excess in
    front of a supervisor of the case: searching at volume is what surveillance looks like
    (memo 4.B.4). A supervisor's approval of that item lifts the limits for the caller for one
    window. Runs inside the submission's transaction, after its rows are locked. A program's
    own use counts against the per-user limit."""
    purpose = state.purpose
    case = purpose.case
    since = state.at - limits.window
    by_user, by_case = uow.submissions.counts_since(
        caller.user_id, case.id if case is not None else None, since
    )
    exceeded: tuple[EventTag, str, int] | None = None
    if by_user >= limits.per_user_per_hour:
        exceeded = (EventTag.RATELIMIT_USER_EXCEEDED, "you", limits.per_user_per_hour)
    elif case is not None and by_case >= limits.per_case_per_hour:
        exceeded = (EventTag.RATELIMIT_CASE_EXCEEDED, f"case {case.number}",
                    limits.per_case_per_hour)  # fmt: skip
    if exceeded is None:
        return
    mine = [a for a in uow.approvals.requested_by(caller.user_id)
            if a.kind is ApprovalKind.rate_limit_override]  # fmt: skip
    if any(
        a.status is ApprovalStatus.approved and a.decided_at is not None and a.decided_at >= since
        for a in mine
    ):
        return  # a supervisor reviewed the volume and lifted the limit for this window
    event, who, limit = exceeded
    message = (
        f"rate limit reached: {who} made {limit} submissions in the last hour (memo 4.B.4: an "
        "FRS is never used to surveil the public); a supervisor of the case has been notified"
    )
    pending = [
        a
        for a in mine
        if a.status is ApprovalStatus.pending
        and (a.case_id, a.program_id) == (purpose.case and purpose.case.id, purpose.program_id)
    ]
    if pending:
        item = pending[0]
        drafts: list[EntryDraft] = []
    else:
        user_limit = event is EventTag.RATELIMIT_USER_EXCEEDED or case is None
        item = Approval(
            id=new_id("approval"),
            kind=ApprovalKind.rate_limit_override,
            subject_kind=ApprovalSubject.user if user_limit else ApprovalSubject.case,
            subject_id=caller.user_id if user_limit or case is None else case.id,
            case_id=case.id if case is not None else None,
            program_id=purpose.program_id,
            requester_id=caller.user_id,
            assigned_to=purpose.approver_for(caller.user),
            reason=message,
            requested_at=state.at,
        )
        uow.approvals.add(item)
        drafts = [approval_request_draft(gate, caller, item, purpose.case_number, COMPONENT)]
    refusal = draft(
        caller,
        event,
        outcome=Outcome.DENIED,
        subject=f"user:{caller.user_id}",
        component=COMPONENT,
        case=purpose.case_number,
        details={
            "limit_per_hour": limit,
            "queued_for": "supervisor",
            "approval": item.id,
            "purpose": purpose.ref,
        },
    )
    error = RateLimited(message, retry_after_seconds=int(limits.window.total_seconds()))
    raise Refusal(error, [refusal, *drafts])


def _approval(
    submission: Submission,
    purpose: Purpose,
    kind: ApprovalKind,
    at: datetime,
    caller: Caller,
    *,
    deadline: datetime | None = None,
) -> Approval:
    # What the supervisor sees: the exigent circumstances and, where the use went ahead before
    # approval, why no supervisor could approve first (memo 4.C.3).
    reason = submission.exigent_reason or submission.justification
    if submission.impracticable_reason:
        reason = f"{reason} — prior approval impracticable: {submission.impracticable_reason}"
    return Approval(
        id=new_id("approval"),
        kind=kind,
        subject_kind=ApprovalSubject.submission,
        subject_id=submission.id,
        case_id=submission.case_id,
        program_id=purpose.program_id,
        requester_id=caller.user_id,
        assigned_to=purpose.approver_for(caller.user),
        reason=reason,
        requested_at=at,
        deadline=deadline,
    )
