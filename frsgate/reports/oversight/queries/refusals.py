"""The refusals a report counts: the window's refused decisions and their citations, counted
as refused outright or held for an approval, by memo section, by rule, and by who attempted
what a rule refuses.

A supervisor's scope is read from the index (`refusals`); a report over every case copies rows
of the same shape from the tallies (`queries.tallied`), so every count below reads either alike
and gives the same figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    Subquery,
    case,
    desc,
    func,
    literal,
    select,
)

from frsgate.reports.oversight.queries.window import (
    Rows,
    Rowset,
    Scope,
    Window,
    fetch_rows,
    ledger_bounds,
)
from frsgate.store.schema.core import users
from frsgate.store.schema.ledger import ledger_index, ledger_refusals


def refusals(w: Window, scope: Scope) -> Subquery:
    """The citations of every refused decision in the window, as (decision, rule, section,
    actor, decisions): here each decision is its own group (`gid` its seq, `decisions` 1)."""
    r, li = ledger_refusals.c, ledger_index.c
    stmt = (
        select(
            r.seq.label("gid"),
            r.rule,
            r.section,
            li.actor_id,
            literal(1, Integer).label("decisions"),
        )
        .select_from(ledger_refusals.join(ledger_index, li.seq == r.seq))
        .where(*ledger_bounds(w))
    )
    if not scope.everything:
        stmt = stmt.where(li.case_number.in_(scope.case_numbers()))
    return stmt.subquery("refusals")


def _groups(rf: Rowset, cures: Iterable[str]) -> Subquery:
    """One row per group of refused decisions: (gid, decisions, outright), where `outright` is
    1 when the group cites a rule no approval cures. A decision citing only curable rules
    waited for an approval (recorded as refused: the act did not take effect, DESIGN "One
    decision point")."""
    cites_uncurable = case((rf.c.rule.not_in(sorted(cures)), 1), else_=0)
    return (
        select(
            rf.c.gid,
            func.max(rf.c.decisions).label("decisions"),
            func.max(cites_uncurable).label("outright"),
        )
        .group_by(rf.c.gid)
        .subquery("groups")
    )


def _outright(rf: Rowset, cures: Iterable[str]) -> Select[tuple[int]]:
    """The groups of decisions refused outright: citing a rule no approval cures."""
    return select(rf.c.gid).where(rf.c.rule.not_in(sorted(cures)))


def refusal_totals(conn: Connection, rf: Rowset, cures: Iterable[str]) -> tuple[int, int]:
    """(decisions refused outright, decisions held for an approval)."""
    g = _groups(rf, cures)
    refused, held = conn.execute(
        select(
            func.sum(case((g.c.outright == 1, g.c.decisions), else_=0)),
            func.sum(case((g.c.outright == 0, g.c.decisions), else_=0)),
        )
    ).one()
    return int(refused or 0), int(held or 0)


def refusals_by_section(conn: Connection, rf: Rowset, cures: Iterable[str]) -> Rows:
    """(memo section, decisions refused outright citing it)."""
    per = (
        select(rf.c.gid, rf.c.section, rf.c.decisions)
        .where(rf.c.gid.in_(_outright(rf, cures)))
        .distinct()
        .subquery("per_section")
    )
    n = func.sum(per.c.decisions).label("n")
    return fetch_rows(
        conn,
        select(per.c.section, n).group_by(per.c.section).order_by(desc(n), per.c.section),
    )


def refusals_by_rule(conn: Connection, rf: Rowset, cures: Iterable[str]) -> Rows:
    """(rule, memo section, decisions refused outright citing it)."""
    per = (
        select(rf.c.gid, rf.c.rule, rf.c.section, rf.c.decisions)
        .where(rf.c.gid.in_(_outright(rf, cures)))
        .distinct()
        .subquery("per_rule")
    )
    n = func.sum(per.c.decisions).label("n")
    return fetch_rows(
        conn,
        select(per.c.rule, per.c.section, n)
        .group_by(per.c.rule, per.c.section)
        .order_by(desc(n), per.c.rule),
    )


def attempts_citing(conn: Connection, rf: Rowset, rules: Sequence[str]) -> Rows:
    """(username, rule, refused decisions): who tried what these rules refuse."""
    per = (
        select(rf.c.gid, rf.c.actor_id, rf.c.rule, rf.c.decisions)
        .where(rf.c.rule.in_(list(rules)))
        .distinct()
        .subquery("per_attempt")
    )
    n = func.sum(per.c.decisions).label("n")
    return fetch_rows(
        conn,
        select(users.c.username, per.c.rule, n)
        .select_from(per.join(users, users.c.id == per.c.actor_id))
        .group_by(users.c.username, per.c.rule)
        .order_by(desc(n), users.c.username, per.c.rule),
    )
