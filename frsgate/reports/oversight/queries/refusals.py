"""The refusals a report counts: the window's refused decisions and their citations, counted
as refused outright or held for an approval, by memo section, by rule, and by who attempted
what a rule refuses.

A report over every case reads the period's refusals from the daily roll-up
(`ledger_refusal_days`, `refusals_by_day`), a supervisor's scope from the index (`refusals`);
both give rows of one shape, so every count below reads either alike and gives the same
figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    Select,
    Subquery,
    Table,
    case,
    desc,
    func,
    literal,
    select,
)

from frsgate.ledger import rollup
from frsgate.reports.oversight.queries.window import (
    Rows,
    Rowset,
    Scope,
    Window,
    create_temporary,
    day_of,
    fetch_rows,
    ledger_bounds,
    period_days,
)
from frsgate.store.schema.core import users
from frsgate.store.schema.ledger import ledger_index, ledger_refusal_days, ledger_refusals


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


def refusals_by_day(conn: Connection, w: Window, name: str) -> Table:
    """The refusals of every case from the daily roll-up, copied into a temporary table of
    the shape `refusals` gives: a group (`gid`) is the decisions of one actor citing one set of
    (rule, section), `decisions` how many, with a row per pair of the set. The counts below
    sum `decisions` over distinct groups, which for `refusals` counts distinct decisions.

    Past the checkpoint's size the index gives each decision's citations, which are taken off
    their group again."""
    d, r, li = ledger_refusal_days.c, ledger_refusals.c, ledger_index.c
    first, last = period_days(w)
    counts: dict[tuple[str, str, str, str], int] = {}
    for actor, key, rule, section, n in conn.execute(
        select(d.actor_id, d.citation_set, d.rule, d.section, func.sum(d.decisions))
        .where(d.day >= first, d.day <= last)
        .group_by(d.actor_id, d.citation_set, d.rule, d.section)
    ):
        counts[(actor, key, rule, section)] = int(n)
    day = day_of(li.at)
    past = rollup.Rollups()
    cited: dict[int, tuple[str, str, list[tuple[str, str]]]] = {}
    for seq, at, actor, rule, section in conn.execute(
        select(r.seq, li.at, li.actor_id, r.rule, r.section)
        .select_from(ledger_refusals.join(ledger_index, li.seq == r.seq))
        .where(r.seq >= w.size, day >= first, day <= last)
        .order_by(r.seq, r.ordinal)
    ):
        cited.setdefault(int(seq), (at, actor, []))[2].append((rule, section))
    for at, actor, pairs in cited.values():
        past.add(at, "", actor, None, None, None, pairs)
    for (_, actor, key, rule, section), n in past.refusals.items():
        counts[(actor, key, rule, section)] = counts.get((actor, key, rule, section), 0) - n
    groups: dict[tuple[str, str], int] = {}
    rows = [
        {
            "gid": groups.setdefault((actor, key), len(groups)),
            "rule": rule,
            "section": section,
            "actor_id": actor,
            "decisions": n,
        }
        for (actor, key, rule, section), n in sorted(counts.items())
        if n > 0
    ]
    # The columns (and types) of `refusals`: the counts below are the same statements for
    # both, and PostgreSQL refuses a prepared statement whose result types change under it.
    table = Table(
        name,
        MetaData(),
        *(Column(c.name, c.type) for c in refusals(w, Scope()).c),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    create_temporary(conn, table)
    if rows:
        conn.execute(table.insert(), rows)
    return table


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
