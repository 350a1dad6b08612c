"""Escalating an overdue exigent-use approval up the chain of command (memo 4.C.3, 4.E.4).

An exigent use of an FRS that OSDM has not approved goes ahead when no supervisor could approve
first, and a supervisor of the case approves it "as soon as practicable thereafter" (4.C.3):
the pack's `exigent_approval_deadline_hours`. Past that deadline the approval stays pending
and on top of the case supervisors' queue until one of them decides it; it never expires.
If it is still pending `Gate.exigent_escalation` (FRSGATE_EXIGENT_ESCALATION_HOURS) after the
deadline, it is escalated: it appears also in the queue of the next supervisor up — the
front-line supervisor (`users.supervisor_id`) of each who decides it — marked as escalated,
and the pack (`approval.case_supervisor`) lets that supervisor decide it.

The escalation is a stored record: one `approval:request:escalate` ledger entry per approval,
written the first time a queue read or a decision observes that it is due (so no background
job is needed for it to take effect: the item is shown, and may be decided, only through
those paths). The pack's fact `decider_escalated` is read from that entry, never from the
clock alone. Writing it once under concurrent reads: the observer locks the approval's row,
then looks for the entry in the ledger index; a second observer waits for the row and then
finds the first one's entry (both backends: SQLite serializes writers, PostgreSQL reads
committed rows after the lock is granted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from frsgate.domain import Approval, ApprovalKind, ApprovalStatus, ApprovalSubject
from frsgate.ledger import Actor, EntryDraft, EventTag
from frsgate.services import purposes
from frsgate.services.gate import Caller, Gate, draft
from frsgate.store.schema.ledger import ledger_index
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.escalation"


def due_at(gate: Gate, approval: Approval) -> datetime | None:
    """When `approval` escalates if still pending: an exigent-use approval with a deadline
    (the use already happened, memo 4.C.3) escalates the configured time after it."""
    if approval.kind is not ApprovalKind.exigent_provider or approval.deadline is None:
        return None
    return approval.deadline + gate.exigent_escalation


def is_due(gate: Gate, approval: Approval, at: datetime) -> bool:
    when = due_at(gate, approval)
    return approval.status is ApprovalStatus.pending and when is not None and at >= when


def next_up(uow: UnitOfWork, approval: Approval) -> tuple[str, ...]:
    """The supervisors an escalation of `approval` goes to: the front-line supervisor of each
    who decides it (its case's or program's supervisors; for a supervisor's own request, the
    deciders `Purpose.deciders_for` names), read from the stored accounts now. Never one of
    those deciders themselves, nor the requester."""
    purpose = purposes.of_approval(uow, approval)
    requester = uow.users.find(approval.requester_id)
    if purpose is None or requester is None:
        return ()  # a missing record escalates to nobody (fail closed)
    deciders = purpose.deciders_for(requester)
    found: list[str] = []
    for user_id in deciders:
        user = uow.users.find(user_id)
        boss = user.supervisor_id if user is not None else None
        if boss is None or boss in deciders or boss == requester.id or boss in found:
            continue
        found.append(boss)
    return tuple(found)


def _subject(approval_id: str) -> str:
    return f"approval:{approval_id}"


def recorded(uow: UnitOfWork, approval_ids: Iterable[str]) -> set[str]:
    """The ids among `approval_ids` whose escalation is on the ledger (one indexed query)."""
    subjects = {_subject(i): i for i in approval_ids}
    if not subjects:
        return set()
    stmt = select(ledger_index.c.subject).where(
        ledger_index.c.event == EventTag.APPROVAL_REQUEST_ESCALATE.value,
        ledger_index.c.subject.in_(sorted(subjects)),
    )
    return {subjects[s] for s in uow.conn.execute(stmt).scalars()}


def observe(
    uow: UnitOfWork, gate: Gate, observer: Caller, approvals: Sequence[Approval]
) -> tuple[set[str], list[EntryDraft]]:
    """The ids of `approvals` that are escalated, and the entries recording those escalated by
    this observation (to be appended in the observer's transaction). Locks the row of each
    approval escalated now, so concurrent observers record it once."""
    now = gate.now()
    due = {a.id: a for a in approvals if is_due(gate, a, now)}
    escalated = recorded(uow, due)
    drafts: list[EntryDraft] = []
    for approval_id in sorted(set(due) - escalated):  # one lock order for every observer
        current = uow.approvals.get(approval_id, lock=True)
        if not is_due(gate, current, now):
            continue  # decided meanwhile
        if recorded(uow, [approval_id]):
            escalated.add(approval_id)  # another observer recorded it while we waited
            continue
        drafts.append(_draft(uow, gate, observer, current))
        escalated.add(approval_id)
    return escalated, drafts


def _draft(uow: UnitOfWork, gate: Gate, observer: Caller, approval: Approval) -> EntryDraft:
    purpose = purposes.of_approval(uow, approval)
    when = due_at(gate, approval)
    assert approval.deadline is not None  # is_due checked it
    assert when is not None
    submission = (
        approval.subject_id if approval.subject_kind is ApprovalSubject.submission else None
    )
    return draft(
        Actor.system(),
        EventTag.APPROVAL_REQUEST_ESCALATE,
        subject=_subject(approval.id),
        component=COMPONENT,
        source=observer.source,
        case=purpose.case_number if purpose is not None else None,
        submission=submission,
        details={
            "kind": approval.kind.value,
            "requester_id": approval.requester_id,
            "deadline": approval.deadline.isoformat(),
            "escalation_due_at": when.isoformat(),
            "escalation_after_hours": gate.exigent_escalation.total_seconds() / 3600,
            "escalated_to": list(next_up(uow, approval)),
            "deciders": list(
                purpose.deciders_for(uow.users.get(approval.requester_id))
                if purpose is not None
                else ()
            ),
            "observed_by": observer.user_id,
        },
    )
