"""The queues the memo makes people responsible for, and the reviews that empty them, each
passing the decision point (`queue.view`, `outcome.review`, `provider.review`).

Supervisors (memo 4.B.2, 4.C.3, 4.E.4): the approvals of their cases, overdue first (an overdue
exigent approval stays until a supervisor decides it: it never expires silently), submissions
whose outcome is unknown after a crash. OSDM (memo 4.C.1–4.C.3): providers waiting for review,
including any FRS used in exigent circumstances, and OSDM's structured review of each
(`decide_provider_review`): capabilities, terms, accuracy evidence, data handling, retention,
rationale; a suspension; a re-review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from frsgate.domain import (
    Approval,
    Provider,
    ProviderTerms,
    ReviewStatus,
    Submission,
    SubmissionStatus,
)
from frsgate.domain.providers import AccuracyEvidence, ProviderReview
from frsgate.domain.values import new_id
from frsgate.errors import ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import purposes, roi
from frsgate.services.administration import change_draft
from frsgate.services.approvals import (
    PendingApproval,
    decidable,
    queue_ask,
    queue_read_draft,
)
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.services.providers import domain_checked, record_of, review_json, valid_match_types
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.queues"


@dataclass(frozen=True, slots=True)
class SupervisorQueue:
    approvals: list[PendingApproval]
    outcome_unknown: list[Submission]
    # memo 4.E.2, 4.E.4: results of their cases not noted in a filed ROI entry in time.
    roi_unfiled: list[roi.OverdueEntry] = field(default_factory=list)


def supervisor_queue(*, gate: Gate, caller: Caller) -> SupervisorQueue:
    """What waits on this supervisor: the pending approvals of the cases they supervise that
    the pack lets them decide (overdue first), their cases' unknown outcomes, and their
    cases' FRS results whose report-of-investigation entry is overdue (memo 4.E.2)."""

    def ask(uow: UnitOfWork) -> Ask:
        return queue_ask(caller, "supervisor")

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[SupervisorQueue, list[EntryDraft]]:
        cases = {c.id for c in uow.cases.supervised_by(caller.user_id)}
        programs = {p.id for p in uow.programs.supervised_by(caller.user_id)}
        # Their cases' and programs' requests, and those sent up to them (a supervisor's own).
        mine = [
            a
            for a in uow.approvals.pending()
            if a.case_id in cases
            or a.program_id in programs
            or a.assigned_to == caller.user_id
            or _sent_up_to(uow, caller.user_id, a)
        ]
        items = decidable(uow, gate, caller, mine)
        unknown = [
            s
            for s in uow.submissions.with_status(SubmissionStatus.outcome_unknown)
            if s.case_id in cases
            or (s.case_id is None and purposes.of_submission(uow, s).program_id in programs)
        ]
        unfiled = roi.unfiled(uow, gate, caller.user_id)
        queue = SupervisorQueue(approvals=items, outcome_unknown=unknown, roi_unfiled=unfiled)
        count = len(items) + len(unknown) + len(unfiled)
        return queue, [queue_read_draft(caller, "supervisor", count)]

    return gate.enforce(caller, ask=ask, act=read).result


def _sent_up_to(uow: UnitOfWork, supervisor_id: str, approval: Approval) -> bool:
    """Whether `approval` is a request one of its case's supervisors made, which goes up to
    their own front-line supervisor `supervisor_id` too (memo 4.E.4), whoever it was sent to
    first."""
    requester = uow.users.find(approval.requester_id)
    if requester is None or requester.supervisor_id != supervisor_id:
        return False
    purpose = purposes.of_approval(uow, approval)
    return purpose is not None and purpose.decides_for(supervisor_id, requester)


def review_outcome(*, gate: Gate, caller: Caller, submission_id: str, note: str) -> Submission:
    """A supervisor of the case closes an `outcome_unknown` item with what they found out."""
    held: list[Submission] = []

    def ask(uow: UnitOfWork) -> Ask:
        sub = uow.submissions.get(submission_id, lock=True)
        purpose = purposes.of_submission(uow, sub)
        held.append(sub)
        return Ask(
            action=Action.outcome_review,
            resource=Resource(kind=ResourceKind.submission, id=sub.id, owner_id=sub.requested_by),
            contexts=[purpose.context()],
            subject=f"submission:{sub.id}",
            component=COMPONENT,
            case=purpose.case_number,
            submission=sub.id,
            provider=sub.provider_id,
        )

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[Submission, list[EntryDraft]]:
        sub = held[0]
        sub.review_outcome(note=note)
        uow.submissions.update(sub, expected_status=SubmissionStatus.outcome_unknown)
        entry = draft(
            caller,
            EventTag.SUBMISSION_OUTCOME_REVIEW,
            action=Action.outcome_review,
            subject=f"submission:{sub.id}",
            component=COMPONENT,
            case=ruling.ask.case,
            submission=sub.id,
            provider=sub.provider_id,
            details={"note": note},
        )
        return sub, [entry]

    return gate.enforce(caller, ask=ask, act=act).result


def osdm_queue(*, gate: Gate, caller: Caller) -> list[Provider]:
    def ask(uow: UnitOfWork) -> Ask:
        return queue_ask(caller, "osdm")

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[list[Provider], list[EntryDraft]]:
        found = uow.providers.by_review_status(ReviewStatus.unreviewed, ReviewStatus.pending)
        return found, [queue_read_draft(caller, "osdm", len(found))]

    return gate.enforce(caller, ask=ask, act=read).result


def _review_ask(uow: UnitOfWork, caller: Caller, provider: Provider, **details: Any) -> Ask:
    """`provider.review` of `provider`: whoever used the FRS in exigency asked, in effect, for
    its review and may not decide it (pack rule `review.not_own_request`, fn1)."""
    users = uow.submissions.exigent_users_of(provider.id)
    owner = caller.user_id if caller.user_id in users else (users[0] if users else None)
    return Ask(
        action=Action.provider_review,
        resource=Resource(kind=ResourceKind.provider, id=provider.id, owner_id=owner),
        contexts=[Context()],
        subject=f"provider:{provider.id}",
        component=COMPONENT,
        provider=provider.id,
        details=details,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewStatement:
    """What OSDM states in a structured review (memo 4.C.1-4.C.3, fn1). `decision` is
    approved, not_approved or suspended; or pending, which takes an approved FRS off the list
    for a re-review (nothing but the rationale is needed then). An approval states everything;
    `terms` left out of a refusal or a suspension means the provider's terms as they stand."""

    decision: ReviewStatus
    rationale: str
    capabilities: str = ""
    terms: ProviderTerms | None = None
    accuracy_evidence: tuple[AccuracyEvidence, ...] = field(default_factory=tuple)
    demographic_differentials: str = ""
    data_handling: str = ""
    retention: str = ""


@dataclass(frozen=True, slots=True)
class ReviewDecided:
    provider: Provider
    review: ProviderReview | None  # None for a re-review (pending): nothing decided yet


_DECISION_EVENTS = {
    ReviewStatus.approved: EventTag.PROVIDER_REVIEW_DECIDE,
    ReviewStatus.not_approved: EventTag.PROVIDER_REVIEW_DECIDE,
    ReviewStatus.suspended: EventTag.PROVIDER_REVIEW_SUSPEND,
    ReviewStatus.pending: EventTag.PROVIDER_REVIEW_START,
}


def decide_provider_review(
    *,
    gate: Gate,
    caller: Caller,
    statement: ReviewStatement,
    provider_id: str | None = None,
    name: str | None = None,
) -> ReviewDecided:
    """OSDM's structured review of an FRS, decided as `provider.review` and recorded with the
    provider's record before and after. An approval or a refusal ends a review (an unreviewed
    FRS is put under review first); a suspension takes the FRS out of use at once, exigent use
    included (pack rule `provider.suspended`), until OSDM approves it again; pending puts an
    approved FRS back under review. The terms of an approval or a refusal become the
    provider's terms (memo 4.C.4)."""
    if statement.decision is ReviewStatus.approved and statement.terms is None:
        raise ValidationFailed("terms: an approval must state the terms OSDM accepts")
    if statement.terms is not None:
        valid_match_types(statement.terms.match_types, field="terms.match_types")
    if not statement.rationale.strip():
        raise ValidationFailed("rationale: must not be blank")
    if statement.decision not in _DECISION_EVENTS:
        raise ValidationFailed(
            f"decision: {statement.decision.value!r} is not one of "
            f"{', '.join(d.value for d in _DECISION_EVENTS)}"
        )
    held: list[Provider] = []

    def ask(uow: UnitOfWork) -> Ask:
        # By id (HTTP) or by name (the command line).
        some_id = (
            provider_id if provider_id is not None else uow.providers.get_by_name(name or "").id
        )
        provider = uow.providers.get(some_id, lock=True)
        held.append(provider)
        return _review_ask(uow, caller, provider, decision=statement.decision.value)

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[ReviewDecided, list[EntryDraft]]:
        provider = held[0]
        before_status = provider.review_status
        before = record_of(provider)
        review: ProviderReview | None = None
        details: dict[str, Any] = {"rationale": statement.rationale}
        with domain_checked():
            if statement.decision is ReviewStatus.pending:
                provider.submit_for_review()  # memo 4.C.2: off the approved list until decided
            else:
                review = ProviderReview(
                    id=new_id("review"),
                    provider_id=provider.id,
                    decision=statement.decision,
                    reviewer_id=caller.user_id,
                    decided_at=gate.now(),
                    capabilities=statement.capabilities,
                    terms=statement.terms or provider.terms,
                    accuracy_evidence=statement.accuracy_evidence,
                    demographic_differentials=statement.demographic_differentials,
                    data_handling=statement.data_handling,
                    retention=statement.retention,
                    rationale=statement.rationale,
                )
                provider.take_review(review)
        if review is not None:
            uow.provider_reviews.add(review)
            details = {"review": review_json(review)}
        uow.providers.update(provider, expected_status=before_status)
        entry = change_draft(
            caller, Action.provider_review, _DECISION_EVENTS[statement.decision],
            subject=f"provider:{provider.id}", before=before, after=record_of(provider),
            provider=provider.id, details=details, component=COMPONENT,
        )  # fmt: skip
        return ReviewDecided(provider=provider, review=review), [entry]

    return gate.enforce(caller, ask=ask, act=act).result
