"""Information that left the agency or came in through partners: shares outside the agency by
authority (memo 3) and the searches partners ran for our cases (memo 4.E.1).
"""

from __future__ import annotations

from sqlalchemy import Connection, desc, func, select

from frsgate.reports.oversight.queries.window import (
    Rows,
    Scope,
    Window,
    cases_in,
    fetch_rows,
    in_period,
)
from frsgate.store.schema.core import partner_searches, shares


def shares_by_authority(conn: Connection, w: Window, scope: Scope) -> Rows:
    """(authority kind, shares) of information shared outside the agency (memo 3)."""
    sh = shares.c
    n = func.count().label("n")
    return fetch_rows(
        conn,
        select(sh.authority_kind, n)
        .where(in_period(sh.created_at, w.period), *cases_in(sh.case_id, scope))
        .group_by(sh.authority_kind)
        .order_by(desc(n), sh.authority_kind),
    )


def partner_searches_by_agency(conn: Connection, w: Window, scope: Scope) -> Rows:
    """(partner agency, result, searches) run for our cases by partners (memo 4.E.1)."""
    p = partner_searches.c
    n = func.count().label("n")
    return fetch_rows(
        conn,
        select(p.partner_agency, p.result, n)
        .where(in_period(p.created_at, w.period), *cases_in(p.case_id, scope))
        .group_by(p.partner_agency, p.result)
        .order_by(desc(n), p.partner_agency, p.result),
    )
