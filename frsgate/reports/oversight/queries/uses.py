"""The uses a report counts: the window's uses, and their counts by user, office, provider,
case, match type, outcome, crime category and over time.

A *use* is one dispatch of a submission to an FRS: its `submission:dispatch:intent` entry,
written before the probe leaves (memo 4.E.1; log before act). Counting the intents rather than
the submissions' statuses counts every use that reached a provider, whatever became of it.

A report over every case reads the period's uses from the daily roll-up (`ledger_use_days`,
`uses_by_day`), a supervisor's scope from the index (`uses`); both give rows of one shape, so
every count below reads either alike and gives the same figures.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Connection,
    String,
    Subquery,
    and_,
    case,
    cast,
    desc,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from frsgate.domain import SubmissionStatus
from frsgate.ledger import rollup
from frsgate.ledger.events import EventTag
from frsgate.reports.oversight.queries.window import (
    Rows,
    Rowset,
    Scope,
    Window,
    day_of,
    fetch_int,
    fetch_rows,
    ledger_bounds,
    period_days,
)
from frsgate.store.schema.core import (
    candidate_lists,
    candidates,
    cases,
    probes,
    providers,
    submissions,
    users,
)
from frsgate.store.schema.ledger import ledger_index, ledger_use_days

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


def uses_by_day(w: Window) -> Subquery:
    """`uses` of every case from the daily roll-up: one row per day a submission was used (per
    provider and case its intents name), with the day in `at`. Each count reads distinct
    submissions and `at` only as a day or month prefix, so the figures equal those of `uses`.

    The roll-up holds every entry the appender wrote; the intents at or past the checkpoint's
    size (the few written since it was signed) are counted from the index and taken off their
    day's row, which is left out when none remain."""
    d, li, s = ledger_use_days.c, ledger_index.c, submissions.c
    first, last = period_days(w)
    day = day_of(li.at)
    provider = func.coalesce(li.provider_id, rollup.ABSENT)
    case_number = func.coalesce(li.case_number, rollup.ABSENT)
    past = (
        select(
            day.label("day"),
            li.submission_id.label("submission_id"),
            provider.label("provider_id"),
            case_number.label("case_number"),
            func.count().label("n"),
        )
        .where(
            li.seq >= w.size,
            # `event || ''`: not a term the event index can serve, so the entries past the
            # checkpoint are found by seq (a few), not among a year of intents.
            (li.event + "") == rollup.USE_EVENT,
            li.submission_id.is_not(None),
            day >= first,
            day <= last,
        )
        .group_by(day, li.submission_id, provider, case_number)
        .subquery("past_checkpoint")
    )
    # Key columns are NOT NULL on both sides ('' for an absent case or provider): plain
    # equality matches them.
    same_key = and_(
        past.c.day == d.day,
        past.c.submission_id == d.submission_id,
        past.c.provider_id == d.provider_id,
        past.c.case_number == d.case_number,
    )
    # Typed as the index's columns `uses` reads (the roll-up's are Text too): the counts are
    # the same statements for both, and PostgreSQL refuses a prepared statement whose result
    # types change under it.
    li_type = ledger_index.c.case_number.type
    return (
        select(
            d.submission_id.label("submission_id"),
            d.day.label("at"),
            func.nullif(d.provider_id, rollup.ABSENT, type_=li_type).label("provider_id"),
            func.nullif(d.case_number, rollup.ABSENT, type_=li_type).label("case_number"),
            *_submission_columns(),
        )
        .select_from(
            ledger_use_days.outerjoin(past, same_key).join(submissions, s.id == d.submission_id)
        )
        .where(d.day >= first, d.day <= last, d.entries - func.coalesce(past.c.n, 0) > 0)
        .subquery("uses")
    )


def _count(u: Rowset) -> ColumnElement[int]:
    return func.count(distinct(u.c.submission_id))


def use_totals(conn: Connection, u: Rowset, *, every_case: bool) -> tuple[int, int, int]:
    """(uses, exigent uses, uses of a witness's probe) — memo 4.C.3, 4.B.2."""
    total, exigent = conn.execute(
        select(_count(u), func.count(distinct(case((u.c.exigent == true(), u.c.submission_id)))))
    ).one()
    role = probes.c.subject_role
    if every_case:
        # A year of every case's uses (a million at national scale): the witness probes (a few
        # in a hundred) are listed once and each use looked up in that list, rather than each
        # use's probes read by a join whose OR condition the planner cannot hash.
        witnesses = select(probes.c.id).where(role == "witness")
        stmt = select(_count(u)).where(
            or_(u.c.probe_id.in_(witnesses), u.c.second_probe_id.in_(witnesses))
        )
    else:  # a supervisor's few hundred cases: each use's probes, by primary key
        on_probe = or_(probes.c.id == u.c.probe_id, probes.c.id == u.c.second_probe_id)
        stmt = select(_count(u)).select_from(u.join(probes, on_probe)).where(role == "witness")
    return int(total or 0), int(exigent or 0), fetch_int(conn, stmt)


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


def uses_by_office(conn: Connection, u: Rowset) -> Rows:
    """(office, users, uses)."""
    n = _count(u).label("n")
    office = func.coalesce(users.c.office, NO_OFFICE).label("office")
    return fetch_rows(
        conn,
        select(office, func.count(distinct(u.c.requested_by)), n)
        .select_from(u.join(users, users.c.id == u.c.requested_by))
        .group_by(office)
        .order_by(desc(n), office),
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


def uses_by_case_id(conn: Connection, u: Rowset) -> Rows:
    """(violation codes of the case or None for a program use, uses): one row per case, so a
    case's crime categories are read once however many uses it had."""
    per_case = (
        select(u.c.case_id.label("case_id"), _count(u).label("n")).group_by(u.c.case_id)
    ).subquery("per_case")
    return fetch_rows(
        conn,
        select(cases.c.violation_codes, per_case.c.n).select_from(
            per_case.outerjoin(cases, cases.c.id == per_case.c.case_id)
        ),
    )


def uses_by_outcome(conn: Connection, u: Rowset) -> Rows:
    """(outcome, uses): what each use's FRS answered, as stored now."""
    cl = candidate_lists.c
    answered = exists().where(candidates.c.candidate_list_id == cl.id)
    outcome = case(
        (
            u.c.status.in_(
                [SubmissionStatus.outcome_unknown.value, SubmissionStatus.outcome_reviewed.value]
            ),
            "outcome unknown",
        ),
        (u.c.status == SubmissionStatus.failed.value, "failed"),
        (cl.id.is_(None), "no answer yet"),
        (cl.comparison_score.is_not(None), "comparison score"),
        (answered, "candidates returned"),
        else_="no candidates (negative)",
    )
    per_use = (
        select(u.c.submission_id, cast(outcome, String).label("outcome"))
        .select_from(u.outerjoin(candidate_lists, cl.submission_id == u.c.submission_id))
        .distinct()
        .subquery("per_use")
    )
    n = func.count().label("n")
    return fetch_rows(
        conn,
        select(per_use.c.outcome, n).group_by(per_use.c.outcome).order_by(desc(n), "outcome"),
    )
