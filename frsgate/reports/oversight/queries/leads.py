"""The uses' results still without a filed report-of-investigation entry past the pack's
deadline (memo 4.E.2). The leads opened from the uses (memo 4.D.3) are counted with them
(`queries.tallied`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, exists, func, not_, select
from sqlalchemy.sql.elements import ColumnElement

from frsgate.domain import ApprovalKind, ApprovalStatus, ApprovalSubject, RoiStatus
from frsgate.reports.oversight.queries.window import (
    Rows,
    Scope,
    Window,
    cases_in,
    fetch_int,
    fetch_rows,
    in_period,
)
from frsgate.store.schema.core import (
    approvals,
    candidate_lists,
    cases,
    roi_entries,
    submissions,
    users,
)


def _unfiled(w: Window, scope: Scope, deadline_days: int) -> list[ColumnElement[bool]]:
    """Results of uses of a case received in the period and more than the pack's deadline
    ago, with no filed report-of-investigation entry (memo 4.E.2). A use whose exigent
    approval a supervisor refused is left out: its results may not be used (memo 4.C.3)."""
    s, cl = submissions.c, candidate_lists.c
    filed = exists().where(
        roi_entries.c.submission_id == s.id, roi_entries.c.status == RoiStatus.filed.value
    )
    # The refused approvals as one list, not a lookup per submission: correlated, SQLite took
    # the (kind, requested_at) index and read every exigent approval for each submission of
    # the scope (a minute at 10^7 entries, bench/oversight.py). `subject_id` is NOT NULL, so
    # NOT IN means "not among them".
    refused = s.id.in_(
        select(approvals.c.subject_id).where(
            approvals.c.subject_kind == ApprovalSubject.submission.value,
            approvals.c.kind == ApprovalKind.exigent_provider.value,
            approvals.c.status == ApprovalStatus.denied.value,
        )
    )
    return [
        s.case_id.is_not(None),
        in_period(cl.received_at, w.period),
        cl.received_at < w.now - timedelta(days=deadline_days),
        not_(filed),
        not_(refused),
        *cases_in(s.case_id, scope),
    ]


def unfiled_roi(
    conn: Connection, w: Window, scope: Scope, deadline_days: int, limit: int
) -> tuple[int, Rows]:
    """(overdue entries, the oldest `limit` of them as (submission, case, agent, received))."""
    s, cl = submissions.c, candidate_lists.c
    joined = submissions.join(candidate_lists, cl.submission_id == s.id)
    where = _unfiled(w, scope, deadline_days)
    total = fetch_int(conn, select(func.count()).select_from(joined).where(*where))
    rows = fetch_rows(
        conn,
        select(s.id, cases.c.number, users.c.username, cl.received_at)
        .select_from(
            joined.join(cases, cases.c.id == s.case_id).join(users, users.c.id == s.requested_by)
        )
        .where(*where)
        .order_by(cl.received_at, s.id)
        .limit(limit),
    )
    return total, rows
