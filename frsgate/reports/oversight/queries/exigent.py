"""The exigent-use approvals asked for after the use (memo 4.C.3): how many were asked for in
the period, and which were decided late, are still pending past their deadline, or expired.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from frsgate.domain import ApprovalKind, ApprovalStatus
from frsgate.reports.oversight.queries.window import (
    Rows,
    Scope,
    Window,
    cases_in,
    fetch_int,
    fetch_rows,
    in_period,
)
from frsgate.store.schema.core import approvals, cases, users


def exigent_after_use(w: Window, scope: Scope) -> ColumnElement[bool]:
    """Exigent-use approvals asked for after the use (prior approval impracticable, memo
    4.C.3), requested in the period: the ones that carry a deadline."""
    a = approvals.c
    return and_(
        a.kind == ApprovalKind.exigent_provider.value,
        a.deadline.is_not(None),
        in_period(a.requested_at, w.period),
        *cases_in(a.case_id, scope),
    )


def late_or_missing(w: Window) -> ColumnElement[bool]:
    """Decided after the deadline, still pending past it now, or expired undecided."""
    a = approvals.c
    return or_(
        a.decided_at > a.deadline,
        and_(a.status == ApprovalStatus.pending.value, a.deadline < w.now),
        a.status == ApprovalStatus.expired.value,
    )


def exigent_approval_totals(conn: Connection, w: Window, scope: Scope) -> tuple[int, int]:
    """(after-use exigent approvals asked for in the period, of them late or missing)."""
    base = exigent_after_use(w, scope)
    total = fetch_int(conn, select(func.count()).select_from(approvals).where(base))
    late = fetch_int(
        conn, select(func.count()).select_from(approvals).where(base, late_or_missing(w))
    )
    return total, late


def late_or_missing_approvals(conn: Connection, w: Window, scope: Scope, limit: int) -> Rows:
    """(submission, case, requester, requested_at, deadline, status, decided_at), oldest
    deadline first, at most `limit` rows."""
    a = approvals.c
    return fetch_rows(
        conn,
        select(
            a.subject_id,
            cases.c.number,
            users.c.username,
            a.requested_at,
            a.deadline,
            a.status,
            a.decided_at,
        )
        .select_from(
            approvals.outerjoin(cases, cases.c.id == a.case_id).join(
                users, users.c.id == a.requester_id
            )
        )
        .where(exigent_after_use(w, scope), late_or_missing(w))
        .order_by(a.deadline, a.id)
        .limit(limit),
    )
