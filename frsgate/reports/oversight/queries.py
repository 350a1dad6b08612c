"""The set-based SQL behind the oversight reports (SQLAlchemy Core; SQLite and PostgreSQL alike).

Every query aggregates in the database and returns a few rows: no entry of the ledger is ever
read into Python. The ledger side is `ledger_index` (one row per entry: time, event, outcome,
actor, case, submission, provider) and `ledger_refusals` (the citations of each refusal), always
bounded to the report's checkpoint (`seq < size`) and period (`at`, fixed-width RFC 3339 text);
the domain tables give what the entries point to (a submission's match type and requester, a
user's office, a case's violations).

A *use* is one dispatch of a submission to an FRS: its `submission:dispatch:intent` entry,
written before the probe leaves (memo 4.E.1; log before act). Counting the intents rather than
the submissions' statuses counts every use that reached a provider, whatever became of it.

A report over every case reads the period's uses and refusals from the daily roll-ups
(`ledger_use_days`, `ledger_refusal_days`; `frsgate.ledger.rollup`) instead: whole days summed,
less the entries past the report's checkpoint, which only the index can tell apart. The rows it
copies have the shape the direct queries give, so every count below reads either alike and
gives the same figures. A supervisor's scope (a few hundred cases) is read from the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    Select,
    String,
    Subquery,
    Table,
    and_,
    case,
    cast,
    desc,
    distinct,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from frsgate.domain import (
    ApprovalKind,
    ApprovalStatus,
    ApprovalSubject,
    RoiStatus,
    SubmissionStatus,
)
from frsgate.ledger import rollup
from frsgate.ledger.events import EventTag
from frsgate.reports.oversight.model import Period
from frsgate.store.schema.core import (
    approvals,
    candidate_lists,
    candidates,
    case_supervisors,
    cases,
    leads,
    partner_searches,
    probes,
    programs,
    providers,
    roi_entries,
    shares,
    submissions,
    users,
)
from frsgate.store.schema.ledger import (
    ledger_index,
    ledger_refusal_days,
    ledger_refusals,
    ledger_use_days,
)

Rows = list[tuple[Any, ...]]
# What a report's counts read: the window's rows as a subquery, or copied into a table.
Rowset = Subquery | Table
NO_OFFICE = "(no office recorded)"
NO_CASE = "(no case: program use)"

# Approvals about a request of casework; any other subject (a policy-pack version, a
# log-format version, whatever IGP is asked to approve next) is governance, read generically.
OPERATIONAL_SUBJECTS = frozenset(
    {ApprovalSubject.probe, ApprovalSubject.submission, ApprovalSubject.user, ApprovalSubject.case}
)


@dataclass(frozen=True, slots=True)
class Window:
    """What a report counts: ledger entries below `size` inside `period`; `now` is when it
    runs (an approval pending past its deadline is pending past it now)."""

    period: Period
    size: int
    now: datetime


@dataclass(frozen=True, slots=True)
class Scope:
    """The cases a report covers: every one, or those `supervisor_id` supervises (memo 4.E.4).
    A supervisor's scope holds no program use without a case."""

    supervisor_id: str | None = None

    @property
    def everything(self) -> bool:
        return self.supervisor_id is None

    def case_ids(self) -> Select[tuple[str]]:
        return select(case_supervisors.c.case_id).where(
            case_supervisors.c.user_id == self.supervisor_id
        )

    def case_numbers(self) -> Select[tuple[str]]:
        return select(cases.c.number).where(cases.c.id.in_(self.case_ids()))


def _rows(conn: Connection, stmt: Any) -> Rows:
    return [tuple(row) for row in conn.execute(stmt).all()]


def _scalar(conn: Connection, stmt: Any) -> int:
    value = conn.execute(stmt).scalar()
    return int(value or 0)


def materialized(conn: Connection, rows: Subquery, name: str) -> Table:
    """The rows of `rows` copied, once, into a temporary table of this transaction.

    A report counts the window's uses (or refusals) a dozen ways; as a subquery each count
    would join the ledger index to the submissions again over the whole period. Copied once,
    each count scans only the window's rows. The table lives in the report's transaction (and
    connection) only: dropped at commit on PostgreSQL, and before any reuse on both.
    """
    table = Table(
        name,
        MetaData(),
        *(Column(c.name, c.type) for c in rows.c),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    _create_temporary(conn, table)
    conn.execute(table.insert().from_select([c.name for c in rows.c], select(rows)))
    return table


def _create_temporary(conn: Connection, table: Table) -> None:
    temp = "temp" if conn.dialect.name == "sqlite" else "pg_temp"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp}.{table.name}")
    table.create(conn)


def _ledger_bounds(w: Window) -> list[ColumnElement[bool]]:
    li = ledger_index.c
    return [li.seq < w.size, li.at >= w.period.start_at, li.at < w.period.end_at]


# --- uses --------------------------------------------------------------------------------


def uses(w: Window, scope: Scope) -> Subquery:
    """One row per use in the window, with what its submission says about it."""
    li, s = ledger_index.c, submissions.c
    stmt = (
        select(
            li.submission_id.label("submission_id"),
            li.at.label("at"),
            li.provider_id.label("provider_id"),
            li.case_number.label("case_number"),
            s.requested_by.label("requested_by"),
            s.match_type.label("match_type"),
            s.exigent.label("exigent"),
            s.probe_id.label("probe_id"),
            s.second_probe_id.label("second_probe_id"),
            s.case_id.label("case_id"),
            s.program_code.label("program_code"),
            s.status.label("status"),
        )
        .select_from(ledger_index.join(submissions, s.id == li.submission_id))
        .where(*_ledger_bounds(w))
    )
    intent = EventTag.SUBMISSION_DISPATCH_INTENT.value
    if scope.everything:
        return stmt.where(li.event == intent).subquery("uses")
    # `event || ''` is no term the event index can serve: a supervisor's uses are read from
    # their cases' entries (ix_ledger_index_case_cover holds the event), not picked out of a
    # year of every case's intents.
    scoped = stmt.where(li.case_number.in_(scope.case_numbers()), (li.event + "") == intent)
    return scoped.subquery("uses")


def _period_days(w: Window) -> tuple[str, str]:
    return w.period.first.isoformat(), w.period.last.isoformat()


def _day(at: Any) -> ColumnElement[str]:
    return func.substr(at, 1, rollup.DAY_CHARS, type_=ledger_index.c.at.type)


def uses_by_day(w: Window) -> Subquery:
    """`uses` of every case from the daily roll-up: one row per day a submission was used (per
    provider and case its intents name), with the day in `at`. Each count reads distinct
    submissions and `at` only as a day or month prefix, so the figures equal those of `uses`.

    The roll-up holds every entry the appender wrote; the intents at or past the checkpoint's
    size (the few written since it was signed) are counted from the index and taken off their
    day's row, which is left out when none remain."""
    d, li, s = ledger_use_days.c, ledger_index.c, submissions.c
    first, last = _period_days(w)
    day = _day(li.at)
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
            s.requested_by.label("requested_by"),
            s.match_type.label("match_type"),
            s.exigent.label("exigent"),
            s.probe_id.label("probe_id"),
            s.second_probe_id.label("second_probe_id"),
            s.case_id.label("case_id"),
            s.program_code.label("program_code"),
            s.status.label("status"),
        )
        .select_from(
            ledger_use_days.outerjoin(past, same_key).join(submissions, s.id == d.submission_id)
        )
        .where(d.day >= first, d.day <= last, d.entries - func.coalesce(past.c.n, 0) > 0)
        .subquery("uses")
    )


def _count(u: Rowset) -> ColumnElement[int]:
    return func.count(distinct(u.c.submission_id))


def use_totals(conn: Connection, u: Rowset) -> tuple[int, int, int]:
    """(uses, exigent uses, uses of a witness's probe) — memo 4.C.3, 4.B.2."""
    total, exigent = conn.execute(
        select(_count(u), func.count(distinct(case((u.c.exigent == true(), u.c.submission_id)))))
    ).one()
    witness = _scalar(
        conn,
        select(_count(u))
        .select_from(
            u.join(probes, or_(probes.c.id == u.c.probe_id, probes.c.id == u.c.second_probe_id))
        )
        .where(probes.c.subject_role == "witness"),
    )
    return int(total or 0), int(exigent or 0), witness


def uses_by_user(conn: Connection, u: Rowset) -> Rows:
    """(username, office, uses), most uses first."""
    n = _count(u).label("n")
    office = func.coalesce(users.c.office, NO_OFFICE)
    return _rows(
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
    return _rows(
        conn,
        select(office, func.count(distinct(u.c.requested_by)), n)
        .select_from(u.join(users, users.c.id == u.c.requested_by))
        .group_by(office)
        .order_by(desc(n), office),
    )


def uses_by_provider(conn: Connection, u: Rowset) -> Rows:
    """(provider name, uses)."""
    n = _count(u).label("n")
    return _rows(
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
    return _rows(
        conn,
        select(where, n, func.count(distinct(u.c.requested_by)))
        .group_by(where)
        .order_by(desc(n), where),
    )


def uses_by_match_type(conn: Connection, u: Rowset) -> Rows:
    n = _count(u).label("n")
    return _rows(
        conn, select(u.c.match_type, n).group_by(u.c.match_type).order_by(desc(n), u.c.match_type)
    )


def uses_over_time(conn: Connection, u: Rowset, *, monthly: bool) -> Rows:
    """(day "YYYY-MM-DD" or month "YYYY-MM", uses): a prefix of the entry's time text."""
    bucket = func.substr(u.c.at, 1, 7 if monthly else 10).label("bucket")
    return _rows(conn, select(bucket, _count(u)).group_by(bucket).order_by(bucket))


def uses_by_case_id(conn: Connection, u: Rowset) -> Rows:
    """(violation codes of the case or None for a program use, uses): one row per case, so a
    case's crime categories are read once however many uses it had."""
    per_case = (
        select(u.c.case_id.label("case_id"), _count(u).label("n")).group_by(u.c.case_id)
    ).subquery("per_case")
    return _rows(
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
    return _rows(
        conn,
        select(per_use.c.outcome, n).group_by(per_use.c.outcome).order_by(desc(n), "outcome"),
    )


def lead_counts(conn: Connection, u: Rowset) -> tuple[int, int, int]:
    """(leads opened from the window's uses, corroborated, marked a basis for enforcement),
    memo 4.D.3; as the leads stand now."""
    l_ = leads.c
    opened, corroborated, enforcement = conn.execute(
        select(
            func.count(l_.id), func.count(l_.corroborated_at), func.count(l_.enforcement_basis_at)
        ).where(l_.submission_id.in_(select(u.c.submission_id)))
    ).one()
    return int(opened or 0), int(corroborated or 0), int(enforcement or 0)


# --- refusals ----------------------------------------------------------------------------


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
        .where(*_ledger_bounds(w))
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
    first, last = _period_days(w)
    counts: dict[tuple[str, str, str, str], int] = {}
    for actor, key, rule, section, n in conn.execute(
        select(d.actor_id, d.citation_set, d.rule, d.section, func.sum(d.decisions))
        .where(d.day >= first, d.day <= last)
        .group_by(d.actor_id, d.citation_set, d.rule, d.section)
    ):
        counts[(actor, key, rule, section)] = int(n)
    day = _day(li.at)
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
    _create_temporary(conn, table)
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
    return _rows(
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
    return _rows(
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
    return _rows(
        conn,
        select(users.c.username, per.c.rule, n)
        .select_from(per.join(users, users.c.id == per.c.actor_id))
        .group_by(users.c.username, per.c.rule)
        .order_by(desc(n), users.c.username, per.c.rule),
    )


# --- approvals, shares, partner searches, ROI entries ------------------------------------


def _in_period(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _cases_in(column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    return [] if scope.everything else [column.in_(scope.case_ids())]


def exigent_after_use(w: Window, scope: Scope) -> ColumnElement[bool]:
    """Exigent-use approvals asked for after the use (prior approval impracticable, memo
    4.C.3), requested in the period: the ones that carry a deadline."""
    a = approvals.c
    return and_(
        a.kind == ApprovalKind.exigent_provider.value,
        a.deadline.is_not(None),
        _in_period(a.requested_at, w.period),
        *_cases_in(a.case_id, scope),
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
    total = _scalar(conn, select(func.count()).select_from(approvals).where(base))
    late = _scalar(
        conn, select(func.count()).select_from(approvals).where(base, late_or_missing(w))
    )
    return total, late


def late_or_missing_approvals(conn: Connection, w: Window, scope: Scope, limit: int) -> Rows:
    """(submission, case, requester, requested_at, deadline, status, decided_at), oldest
    deadline first, at most `limit` rows."""
    a = approvals.c
    return _rows(
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


def shares_by_authority(conn: Connection, w: Window, scope: Scope) -> Rows:
    """(authority kind, shares) of information shared outside the agency (memo 3)."""
    sh = shares.c
    n = func.count().label("n")
    return _rows(
        conn,
        select(sh.authority_kind, n)
        .where(_in_period(sh.created_at, w.period), *_cases_in(sh.case_id, scope))
        .group_by(sh.authority_kind)
        .order_by(desc(n), sh.authority_kind),
    )


def partner_searches_by_agency(conn: Connection, w: Window, scope: Scope) -> Rows:
    """(partner agency, result, searches) run for our cases by partners (memo 4.E.1)."""
    p = partner_searches.c
    n = func.count().label("n")
    return _rows(
        conn,
        select(p.partner_agency, p.result, n)
        .where(_in_period(p.created_at, w.period), *_cases_in(p.case_id, scope))
        .group_by(p.partner_agency, p.result)
        .order_by(desc(n), p.partner_agency, p.result),
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
        _in_period(cl.received_at, w.period),
        cl.received_at < w.now - timedelta(days=deadline_days),
        not_(filed),
        not_(refused),
        *_cases_in(s.case_id, scope),
    ]


def unfiled_roi(
    conn: Connection, w: Window, scope: Scope, deadline_days: int, limit: int
) -> tuple[int, Rows]:
    """(overdue entries, the oldest `limit` of them as (submission, case, agent, received))."""
    s, cl = submissions.c, candidate_lists.c
    joined = submissions.join(candidate_lists, cl.submission_id == s.id)
    where = _unfiled(w, scope, deadline_days)
    total = _scalar(conn, select(func.count()).select_from(joined).where(*where))
    rows = _rows(
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


# --- IGP: approvals of governance subjects, program assessments --------------------------


def governance_approvals(conn: Connection, w: Window) -> Rows:
    """(subject kind, subject, kind, status, requester, requested_at, approver, decided_at,
    note) of every approval that is not casework, asked for before the period ended."""
    a = approvals.c
    requester, approver = users.alias("requester"), users.alias("approver")
    return _rows(
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
    return _rows(
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
    return _rows(
        conn,
        select(li.event, n)
        .where(li.event.in_([e.value for e in events]), *_ledger_bounds(w))
        .group_by(li.event)
        .order_by(li.event),
    )
