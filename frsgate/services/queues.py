"""The queues the memo makes people responsible for, and the reviews that empty them, each
passing the decision point (`queue.view`, `outcome.review`, `provider.review`).

Supervisors (memo 4.B.2, 4.C.3, 4.E.4): the approvals of their cases, overdue first (an overdue
exigent approval stays until a supervisor decides it: it never expires silently), submissions
whose outcome is unknown after a crash. OSDM (memo 4.C.1–4.C.3): providers waiting for review,
including any FRS used in exigent circumstances.
"""

from __future__ import annotations

from dataclasses import dataclass

from frsgate.domain import Provider, ReviewStatus, Submission, SubmissionStatus
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import Action, Context, Resource, ResourceKind
from frsgate.services import admin, purposes
from frsgate.services.approvals import (
    PendingApproval,
    decidable,
    queue_ask,
    queue_read_draft,
)
from frsgate.services.gate import Ask, Caller, Gate, Ruling, draft
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.queues"


@dataclass(frozen=True, slots=True)
class SupervisorQueue:
    approvals: list[PendingApproval]
    outcome_unknown: list[Submission]


def supervisor_queue(*, gate: Gate, caller: Caller) -> SupervisorQueue:
    """What waits on this supervisor: the pending approvals of the cases they supervise that
    the pack lets them decide (overdue first), and their cases' unknown outcomes."""

    def ask(uow: UnitOfWork) -> Ask:
        return queue_ask(caller, "supervisor")

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[SupervisorQueue, list[EntryDraft]]:
        cases = {c.id for c in uow.cases.supervised_by(caller.user_id)}
        programs = {p.id for p in uow.programs.supervised_by(caller.user_id)}
        # Their cases' and programs' requests, and those sent up to them (a supervisor's own).
        mine = [
            a
            for a in uow.approvals.pending()
            if a.case_id in cases or a.program_id in programs or a.assigned_to == caller.user_id
        ]
        items = decidable(uow, gate, caller, mine)
        unknown = [
            s
            for s in uow.submissions.with_status(SubmissionStatus.outcome_unknown)
            if s.case_id in cases
            or (s.case_id is None and purposes.of_submission(uow, s).program_id in programs)
        ]
        queue = SupervisorQueue(approvals=items, outcome_unknown=unknown)
        return queue, [queue_read_draft(caller, "supervisor", len(items) + len(unknown))]

    return gate.enforce(caller, ask=ask, act=read).result


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


def review_provider(
    *, gate: Gate, caller: Caller, provider_id: str, approve: bool, note: str
) -> Provider:
    """OSDM approves or does not approve an FRS (memo 4.C.1–4.C.3); decided by the policy.
    Whoever used the FRS in exigency asked, in effect, for its review: they may not decide it
    (pack rule `review.not_own_request`, fn1)."""
    held: list[Provider] = []

    def ask(uow: UnitOfWork) -> Ask:
        provider = uow.providers.get(provider_id, lock=True)
        held.append(provider)
        users = uow.submissions.exigent_users_of(provider.id)
        owner = caller.user_id if caller.user_id in users else (users[0] if users else None)
        return Ask(
            action=Action.provider_review,
            resource=Resource(kind=ResourceKind.provider, id=provider.id, owner_id=owner),
            contexts=[Context()],
            subject=f"provider:{provider.id}",
            component=COMPONENT,
            provider=provider.id,
            details={"approve": approve},
        )

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[Provider, list[EntryDraft]]:
        provider = held[0]
        drafts = admin.review_provider_in(
            uow, gate, caller.actor(Action.provider_review), provider, approve=approve,
            note=note, source=caller.source,
        )  # fmt: skip
        return provider, drafts

    return gate.enforce(caller, ask=ask, act=act).result
