"""The queues the memo makes people responsible for, and the reviews that empty them, each
passing the decision point (`queue.view`, `outcome.review`, `provider.review`).

Supervisors (memo 4.B.2, 4.C.3, 4.E.4): the approvals of their cases, overdue first (an overdue
exigent approval stays until a supervisor decides it: it never expires silently, and past
FRSGATE_EXIGENT_ESCALATION_HOURS it is escalated to the next supervisor up, whose queue shows it
too: `frsgate.services.escalation`), the rate-limit lifts asked of them with the requester's
recent volume, submissions whose outcome is unknown after a crash, and results whose
report-of-investigation entry is overdue. Everything is scoped to the supervisor's own cases
and programs (and to what was sent or escalated up to them).

OSDM (memo 4.C.1–4.C.3): providers waiting for review, including any FRS used in exigent
circumstances, and OSDM's structured review of each (`decide_provider_review`): capabilities,
terms, accuracy evidence, data handling, retention, rationale; a suspension; a re-review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from frsgate.domain import (
    Approval,
    ApprovalKind,
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
from frsgate.ledger.entry import format_time
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import escalation, log_review, purposes, roi
from frsgate.services.administration import change_draft
from frsgate.services.approvals import (
    PendingApproval,
    decidable,
    queue_ask,
    queue_read_draft,
)
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.services.providers import domain_checked, record_of, review_json, valid_match_types
from frsgate.services.submit import SubmissionLimits
from frsgate.store.schema.ledger import ledger_index
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.queues"


@dataclass(frozen=True, slots=True)
class Volume:
    """What a supervisor judges a rate-limit lift on (memo 4.B.4: volume is what surveillance
    looks like): the requester's submissions in the last hour (the limit's window), day and
    week, the case's in the last hour, the refusals the limit gave the requester in the last
    day, and the limits themselves."""

    requester_last_hour: int
    requester_last_day: int
    requester_last_week: int
    case_last_hour: int | None  # None: a program's use, which has no case
    refused_last_day: int
    limit_per_user_per_hour: int | None = None
    limit_per_case_per_hour: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {
            "requester_last_hour": self.requester_last_hour,
            "requester_last_day": self.requester_last_day,
            "requester_last_week": self.requester_last_week,
            "case_last_hour": self.case_last_hour,
            "refused_last_day": self.refused_last_day,
            "limit_per_user_per_hour": self.limit_per_user_per_hour,
            "limit_per_case_per_hour": self.limit_per_case_per_hour,
        }


@dataclass(frozen=True, slots=True)
class RateLimitItem:
    """A rate-limit lift asked of this supervisor, with the volume to judge it on."""

    pending: PendingApproval
    volume: Volume


@dataclass(frozen=True, slots=True)
class SupervisorQueue:
    approvals: list[PendingApproval]
    outcome_unknown: list[Submission]
    # memo 4.E.2, 4.E.4: results of their cases not noted in a filed ROI entry in time.
    roi_unfiled: list[roi.OverdueEntry] = field(default_factory=list)
    # memo 4.B.4: the rate-limit lifts among `approvals`, with the requester's volume.
    rate_limits: list[RateLimitItem] = field(default_factory=list)
    # memo 4.E.4: finished periods the supervisors under this one did not sign off although
    # their cases had activity (`frsgate.services.log_review`).
    missed_reviews: list[log_review.MissedReview] = field(default_factory=list)

    @property
    def overdue(self) -> list[PendingApproval]:
        return [p for p in self.approvals if p.overdue]

    @property
    def escalated(self) -> list[PendingApproval]:
        """Overdue exigent approvals escalated to this supervisor as the next one up."""
        return [p for p in self.approvals if p.escalated_to_decider]


def supervisor_queue(
    *,
    gate: Gate,
    caller: Caller,
    limits: SubmissionLimits | None = None,
    review_period_days: int = log_review.DEFAULT_PERIOD_DAYS,
) -> SupervisorQueue:
    """What waits on this supervisor: the pending approvals of the cases they supervise that
    the pack lets them decide, overdue first, with those escalated to them as the next
    supervisor up (memo 4.C.3, 4.E.4); the rate-limit lifts among them with the requester's
    volume (`limits`: the configured limits, shown beside it); their cases' unknown outcomes;
    and their cases' FRS results whose report-of-investigation entry is overdue (4.E.2); and
    the log reviews the supervisors under them missed (4.E.4; `review_period_days`: the
    setting FRSGATE_LOG_REVIEW_PERIOD_DAYS).
    Reading it records, once, the escalation of each overdue exigent approval it shows that is
    due (`frsgate.services.escalation`)."""

    def ask(uow: UnitOfWork) -> Ask:
        return queue_ask(caller, "supervisor")

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[SupervisorQueue, list[EntryDraft]]:
        cases = {c.id for c in uow.cases.supervised_by(caller.user_id)}
        programs = {p.id for p in uow.programs.supervised_by(caller.user_id)}
        pending = uow.approvals.pending()
        # Their cases' and programs' requests, and those sent up to them (a supervisor's own).
        mine = [
            a
            for a in pending
            if a.case_id in cases
            or a.program_id in programs
            or a.assigned_to == caller.user_id
            or _sent_up_to(uow, caller.user_id, a)
        ]
        # Overdue exigent approvals of other cases escalated up to this supervisor: only those
        # whose deciders answer to them (users.supervisor_id), never another chain's.
        ids = {a.id for a in mine}
        now = gate.now()
        up = [
            a
            for a in pending
            if a.id not in ids
            and escalation.is_due(gate, a, now)
            and caller.user_id in escalation.next_up(uow, a)
        ]
        shown = mine + up
        escalated, drafts = escalation.observe(uow, gate, caller, shown)
        items = decidable(uow, gate, caller, shown, escalated=escalated)
        lifts = [
            RateLimitItem(p, _volume(uow, gate, p.approval, limits))
            for p in items
            if p.approval.kind is ApprovalKind.rate_limit_override
        ]
        unknown = [
            s
            for s in uow.submissions.with_status(SubmissionStatus.outcome_unknown)
            if s.case_id in cases
            or (s.case_id is None and purposes.of_submission(uow, s).program_id in programs)
        ]
        unfiled = roi.unfiled(uow, gate, caller.user_id)
        missed = log_review.missed_for_queue(uow, gate, caller.user_id, review_period_days)
        queue = SupervisorQueue(
            approvals=items,
            outcome_unknown=unknown,
            roi_unfiled=unfiled,
            rate_limits=lifts,
            missed_reviews=missed,
        )
        count = len(items) + len(unknown) + len(unfiled) + len(missed)
        return queue, [*drafts, queue_read_draft(caller, "supervisor", count)]

    return gate.enforce(caller, ask=ask, act=read).result


def _volume(
    uow: UnitOfWork, gate: Gate, approval: Approval, limits: SubmissionLimits | None
) -> Volume:
    """The requester's recent volume, counted with SQL (indexed columns), never loaded."""
    now = gate.now()
    requester = approval.requester_id
    hour, _ = uow.submissions.counts_since(requester, approval.case_id, now - timedelta(hours=1))
    day = uow.submissions.count_by_user_since(requester, now - timedelta(days=1))
    week = uow.submissions.count_by_user_since(requester, now - timedelta(days=7))
    case_hour = (
        uow.submissions.count_by_case_since(approval.case_id, now - timedelta(hours=1))
        if approval.case_id is not None
        else None
    )
    since = format_time(now - timedelta(days=1))
    refused = uow.conn.execute(
        select(func.count())
        .select_from(ledger_index)
        .where(
            ledger_index.c.actor_id == requester,
            ledger_index.c.at >= since,
            ledger_index.c.event.in_(
                [EventTag.RATELIMIT_USER_EXCEEDED.value, EventTag.RATELIMIT_CASE_EXCEEDED.value]
            ),
        )
    ).scalar_one()
    return Volume(
        requester_last_hour=hour,
        requester_last_day=day,
        requester_last_week=week,
        case_last_hour=case_hour,
        refused_last_day=int(refused),
        limit_per_user_per_hour=limits.per_user_per_hour if limits is not None else None,
        limit_per_case_per_hour=limits.per_case_per_hour if limits is not None else None,
    )


def volume_of(
    uow: UnitOfWork, gate: Gate, approval: Approval, limits: SubmissionLimits | None
) -> Volume:
    """The requester's recent volume beside a rate-limit lift, for a read already decided in
    `uow`'s transaction (the approval page shows what the queue shows, memo 4.B.4)."""
    return _volume(uow, gate, approval, limits)


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
