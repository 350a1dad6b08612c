"""What IGP's report reads (memo fn2): the approvals of governance subjects (anything that is
not casework), the programs and their assessments (memo 4.A.1), and the window's entries of
given events.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from frsgate.domain import ApprovalSubject
from frsgate.ledger.events import EventTag
from frsgate.reports.oversight.queries.window import Rows, Window, fetch_rows, ledger_bounds
from frsgate.store.schema.core import approvals, programs, users
from frsgate.store.schema.ledger import ledger_index

# Approvals about a request of casework; any other subject (a policy-pack version, a
# log-format version, whatever IGP is asked to approve next) is governance, read generically.
OPERATIONAL_SUBJECTS = frozenset(
    {ApprovalSubject.probe, ApprovalSubject.submission, ApprovalSubject.user, ApprovalSubject.case}
)


def governance_approvals(conn: Connection, w: Window) -> Rows:
    """(subject kind, subject, kind, status, requester, requested_at, approver, decided_at,
    note) of every approval that is not casework, asked for before the period ended."""
    a = approvals.c
    requester, approver = users.alias("requester"), users.alias("approver")
    return fetch_rows(
        conn,
        select(
            a.subject_kind,
            a.subject_id,
            a.kind,
            a.status,
            requester.c.username,
            a.requested_at,
            approver.c.username,
            a.decided_at,
            a.decision_note,
        )
        .select_from(
            approvals.join(requester, requester.c.id == a.requester_id).outerjoin(
                approver, approver.c.id == a.approver_id
            )
        )
        .where(
            a.subject_kind.not_in(sorted(s.value for s in OPERATIONAL_SUBJECTS)),
            a.requested_at < w.period.end,
        )
        .order_by(a.subject_kind, a.requested_at, a.id),
    )


def program_assessments(conn: Connection, w: Window) -> Rows:
    """(code, name, kind, status, assessment, approved by, approved at, registered) of every
    program registered before the period ended (memo 4.A.1)."""
    p = programs.c
    approver = users.alias("assessor")
    return fetch_rows(
        conn,
        select(
            p.code,
            p.name,
            p.kind,
            p.status,
            p.assessment_ref,
            approver.c.username,
            p.assessment_approved_at,
            p.created_at,
        )
        .select_from(programs.outerjoin(approver, approver.c.id == p.assessment_approved_by))
        .where(p.created_at < w.period.end)
        .order_by(p.code),
    )


def entries_of(conn: Connection, w: Window, events: Sequence[EventTag]) -> Rows:
    """(event, entries) of these events in the window."""
    li = ledger_index.c
    n = func.count().label("n")
    return fetch_rows(
        conn,
        select(li.event, n)
        .where(li.event.in_([e.value for e in events]), *ledger_bounds(w))
        .group_by(li.event)
        .order_by(li.event),
    )
