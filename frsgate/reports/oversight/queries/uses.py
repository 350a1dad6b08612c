"""A supervisor's uses, from the index: the window's uses in the scope's cases, and their
counts by user, provider, case, match type and over time.

A *use* is one dispatch of a submission to an FRS: its `submission:dispatch:intent` entry,
written before the probe leaves (memo 4.E.1; log before act). Counting the intents rather than
the submissions' statuses counts every use that reached a provider, whatever became of it.
A report over every case counts the same from the tallies (`queries.tallied`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Connection,
    Subquery,
    case,
    desc,
    distinct,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from frsgate.ledger.events import EventTag
from frsgate.reports.oversight.queries.window import (
    Rows,
    Rowset,
    Scope,
    Window,
    fetch_int,
    fetch_rows,
    ledger_bounds,
)
from frsgate.store.schema.core import (
    probes,
    providers,
    submissions,
    users,
)
from frsgate.store.schema.ledger import ledger_index

NO_OFFICE = "(no office recorded)"
NO_CASE = "(no case: program use)"


def _submission_columns() -> list[ColumnElement[Any]]:
    """What a use's submission says about it: the columns both kinds of use rows carry."""
    s = submissions.c
    return [
        s.requested_by.label("requested_by"),
        s.match_type.label("match_type"),
        s.exigent.label("exigent"),
        s.probe_id.label("probe_id"),
        s.second_probe_id.label("second_probe_id"),
        s.case_id.label("case_id"),
        s.program_code.label("program_code"),
        s.status.label("status"),
    ]


def uses(w: Window, scope: Scope) -> Subquery:
    """One row per use in the window, with what its submission says about it."""
    li, s = ledger_index.c, submissions.c
    stmt = (
        select(
            li.submission_id.label("submission_id"),
            li.at.label("at"),
            li.provider_id.label("provider_id"),
            li.case_number.label("case_number"),
            *_submission_columns(),
        )
        .select_from(ledger_index.join(submissions, s.id == li.submission_id))
        .where(*ledger_bounds(w))
    )
    intent = EventTag.SUBMISSION_DISPATCH_INTENT.value
    if scope.everything:
        return stmt.where(li.event == intent).subquery("uses")
    # `event || ''` is no term the event index can serve: a supervisor's uses are read from
    # their cases' entries (ix_ledger_index_case_cover holds the event), not picked out of a
    # year of every case's intents.
    scoped = stmt.where(li.case_number.in_(scope.case_numbers()), (li.event + "") == intent)
    return scoped.subquery("uses")


def _count(u: Rowset) -> ColumnElement[int]:
    # A use is an intent entry: one row of `uses` each.
    return func.count()


def use_totals(conn: Connection, u: Rowset) -> tuple[int, int, int]:
    """(uses, exigent uses, uses of a witness's probe) — memo 4.C.3, 4.B.2."""
    total, exigent = conn.execute(
        select(_count(u), func.count(case((u.c.exigent == true(), 1))))
    ).one()
    # The witness probes listed once and each use looked up in that list (a use whose two
    # probes are both a witness's is one use).
    witnesses = select(probes.c.id).where(probes.c.subject_role == "witness")
    witness = select(_count(u)).where(
        or_(u.c.probe_id.in_(witnesses), u.c.second_probe_id.in_(witnesses))
    )
    return int(total or 0), int(exigent or 0), fetch_int(conn, witness)


def uses_by_user(conn: Connection, u: Rowset) -> Rows:
    """(username, office, uses), most uses first."""
    n = _count(u).label("n")
    office = func.coalesce(users.c.office, NO_OFFICE)
    return fetch_rows(
        conn,
        select(users.c.username, office, n)
        .select_from(u.join(users, users.c.id == u.c.requested_by))
        .group_by(users.c.username, users.c.office)
        .order_by(desc(n), users.c.username),
    )


def uses_by_provider(conn: Connection, u: Rowset) -> Rows:
    """(provider name, uses)."""
    n = _count(u).label("n")
    return fetch_rows(
        conn,
        select(providers.c.name, n)
        .select_from(u.join(providers, providers.c.id == u.c.provider_id))
        .group_by(providers.c.name)
        .order_by(desc(n), providers.c.name),
    )


def uses_by_case(conn: Connection, u: Rowset) -> Rows:
    """(case number, uses, users); the uses of programs without a case on one row."""
    n = _count(u).label("n")
    where = func.coalesce(u.c.case_number, literal(NO_CASE)).label("case")
    return fetch_rows(
        conn,
        select(where, n, func.count(distinct(u.c.requested_by)))
        .group_by(where)
        .order_by(desc(n), where),
    )


def uses_by_match_type(conn: Connection, u: Rowset) -> Rows:
    n = _count(u).label("n")
    return fetch_rows(
        conn, select(u.c.match_type, n).group_by(u.c.match_type).order_by(desc(n), u.c.match_type)
    )


def uses_over_time(conn: Connection, u: Rowset, *, monthly: bool) -> Rows:
    """(day "YYYY-MM-DD" or month "YYYY-MM", uses): a prefix of the entry's time text."""
    bucket = func.substr(u.c.at, 1, 7 if monthly else 10).label("bucket")
    return fetch_rows(conn, select(bucket, _count(u)).group_by(bucket).order_by(bucket))
