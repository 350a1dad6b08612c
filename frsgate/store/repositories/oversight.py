"""The queries of the supervisor's log review (memo 4.E.4), and its sign-offs and referrals.

Every count is set-based SQL over `ledger_index` (one row per ledger entry: its time `at`,
event, outcome, actor and case number), joined to the cases a supervisor supervises
(`case_supervisors`) and, for the indicators, to the submission, its probes and the case's
assignments: the ledger is never loaded into Python. A review is computed against a checkpoint:
only entries with `seq` below its tree size count, so the numbers shown and signed name the
exact log they came from.

`at` is the entry's RFC 3339 time with centiseconds (`2026-01-05T00:00:00.00Z`): fixed width,
so a period's bounds compare as text on both backends, and its first ten characters are the day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError

from frsgate.domain.log_review import Referral, ReferralOutcome, ReferralStatus
from frsgate.errors import Conflict, NotFound
from frsgate.ledger.entry import format_time
from frsgate.store.schema.core import (
    case_assignments,
    case_supervisors,
    cases,
    probes,
    submissions,
    users,
)
from frsgate.store.schema.ledger import ledger_index, ledger_refusals
from frsgate.store.schema.oversight import log_referrals, log_review_signoffs

# What a review shows (memo 4.E.4 "review logs"): every use (a submission recorded), every
# refused attempt, and every read of a case's records (probe images, candidate lists, the ROI
# entry, a submission's record, dispositions, leads, shares, partner searches, case records).
USE_EVENTS = ("submission:record:create",)
READ_EVENTS = (
    "probe:image:view",
    "candidates:list:view",
    "roi:entry:view",
    "submission:record:view",
    "disposition:records:view",
    "lead:records:view",
    "share:records:view",
    "partner:records:view",
    "case:records:view",
)
PROBE_IMAGE_READ = "probe:image:view"
# Reads by an auditor or the privacy office are oversight, not case work: never "unassigned".
_OVERSIGHT_ROLES = ("opr", "igp", "system")
KINDS = ("use", "denial", "read")
INDICATORS = ("witness_use", "exigent_use", "probe_view_count", "unassigned")


def at_text(moment: datetime) -> str:
    """`moment` as the ledger index writes `at`, for comparing with it."""
    return format_time(moment)


def _kind() -> ColumnElement[Any]:
    li = ledger_index.c
    return case(
        (li.outcome == "denied", literal("denial")),
        (li.event.in_(USE_EVENTS), literal("use")),
        (li.event.in_(READ_EVENTS), literal("read")),
        else_=literal(None),
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 where `condition` holds, else 0: summed into counts on both backends."""
    return case((condition, 1), else_=0)


def _in_review() -> ColumnElement[bool]:
    li = ledger_index.c
    return or_(li.outcome == "denied", li.event.in_(USE_EVENTS + READ_EVENTS))


@dataclass(frozen=True, slots=True)
class Window:
    """What a review covers: the supervisor's cases (or one of them), a period's bounds, and
    the tree size of the checkpoint it is computed against."""

    supervisor_id: str
    starts_at: datetime
    ends_at: datetime
    tree_size: int
    case_number: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One ledger entry of a review, with its indicators."""

    seq: int
    at: str
    kind: str  # use | denial | read
    event: str
    outcome: str
    actor_id: str
    actor_role: str
    subject: str
    case_number: str
    submission_id: str | None
    provider_id: str | None
    indicators: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "at": self.at, "kind": self.kind, "event": self.event,
            "outcome": self.outcome, "actor_id": self.actor_id, "actor_role": self.actor_role,
            "subject": self.subject, "case": self.case_number, "submission": self.submission_id,
            "provider": self.provider_id, "indicators": list(self.indicators),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class CaseCounts:
    """A case's entries in the review, by kind, and its indicators."""

    case_number: str
    kinds: dict[str, int] = field(default_factory=dict)
    indicators: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case_number, **self.kinds, "indicators": self.indicators}


@dataclass(frozen=True, slots=True)
class Signoff:
    id: str
    supervisor_id: str
    period_start: date
    period_days: int
    signed_at: datetime
    checkpoint_size: int
    checkpoint_root: str
    cases: tuple[str, ...]
    counts: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "supervisor_id": self.supervisor_id,
            "period": self.period_start.isoformat(),
            "period_days": self.period_days,
            "signed_at": self.signed_at.isoformat(),
            "checkpoint": {"tree_size": self.checkpoint_size, "root": self.checkpoint_root},
            "cases": list(self.cases),
            "counts": self.counts,
        }


@dataclass(frozen=True, slots=True)
class Activity:
    """A supervisor's cases had reviewable entries on `day` (for missed reviews)."""

    supervisor_id: str
    day: date
    entries: int


class OversightQueries:
    """The log review's reads and writes, on the caller's connection (one transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- the cases a supervisor answers for -----------------------------------------------

    def case_numbers(self, supervisor_id: str) -> list[str]:
        stmt = (
            select(cases.c.number)
            .join(case_supervisors, case_supervisors.c.case_id == cases.c.id)
            .where(case_supervisors.c.user_id == supervisor_id)
            .order_by(cases.c.number)
        )
        return [str(n) for n in self.conn.execute(stmt).scalars()]

    def supervises_all(self, supervisor_id: str, numbers: Iterable[str | None]) -> bool:
        """Whether `supervisor_id` supervises every case named (None: an entry without a
        case, which no supervisor answers for: fail closed)."""
        wanted = set(numbers)
        if None in wanted:
            return False
        return wanted <= set(self.case_numbers(supervisor_id))

    def seq_cases(self, seqs: Sequence[int]) -> dict[int, str | None]:
        """The case number of each indexed entry among `seqs` (missing seqs are absent)."""
        if not seqs:
            return {}
        stmt = select(ledger_index.c.seq, ledger_index.c.case_number).where(
            ledger_index.c.seq.in_(list(seqs))
        )
        return {int(s): c for s, c in self.conn.execute(stmt).all()}

    # --- the review -----------------------------------------------------------------------

    def _window(self, w: Window) -> Any:
        """The review's rows with their indicators, as a subquery (one row per entry)."""
        li = ledger_index.c
        theirs = (
            select(cases.c.number)
            .join(case_supervisors, case_supervisors.c.case_id == cases.c.id)
            .where(case_supervisors.c.user_id == w.supervisor_id)
        )
        the_case = cases.alias("the_case")
        assigned = case_assignments.alias("assigned")
        supervising = case_supervisors.alias("supervising")
        first = probes.alias("first_probe")
        second = probes.alias("second_probe")
        kind = _kind().label("kind")
        witness = or_(first.c.subject_role == "witness", second.c.subject_role == "witness")
        is_use = li.event.in_(USE_EVENTS)
        unassigned = and_(
            li.actor_role.not_in(_OVERSIGHT_ROLES),
            assigned.c.user_id.is_(None),
            supervising.c.user_id.is_(None),
        )
        stmt = (
            select(
                li.seq,
                li.at,
                li.event,
                li.outcome,
                li.actor_id,
                li.actor_role,
                li.subject,
                li.case_number,
                li.submission_id,
                li.provider_id,
                kind,
                _flag(and_(is_use, witness)).label("witness_use"),
                _flag(and_(is_use, submissions.c.exigent == true())).label("exigent_use"),
                _flag(li.event == PROBE_IMAGE_READ).label("probe_view_count"),
                _flag(unassigned).label("unassigned"),
            )
            .select_from(
                ledger_index.join(the_case, the_case.c.number == li.case_number)
                .outerjoin(
                    assigned,
                    and_(assigned.c.case_id == the_case.c.id, assigned.c.user_id == li.actor_id),
                )
                .outerjoin(
                    supervising,
                    and_(
                        supervising.c.case_id == the_case.c.id,
                        supervising.c.user_id == li.actor_id,
                    ),
                )
                .outerjoin(submissions, submissions.c.id == li.submission_id)
                .outerjoin(first, first.c.id == submissions.c.probe_id)
                .outerjoin(second, second.c.id == submissions.c.second_probe_id)
            )
            .where(li.case_number.in_(theirs))
            .where(li.at >= at_text(w.starts_at), li.at < at_text(w.ends_at))
            .where(li.seq < w.tree_size)
            .where(_in_review())
        )
        if w.case_number is not None:
            stmt = stmt.where(li.case_number == w.case_number)
        return stmt.subquery("review")

    def counts(self, w: Window) -> list[CaseCounts]:
        """Per case: entries by kind, and the indicators (one grouped statement)."""
        r = self._window(w)
        stmt = (
            select(
                r.c.case_number,
                r.c.kind,
                func.count().label("n"),
                *(func.sum(r.c[i]).label(i) for i in INDICATORS),
            )
            .group_by(r.c.case_number, r.c.kind)
            .order_by(r.c.case_number, r.c.kind)
        )
        found: dict[str, CaseCounts] = {}
        for row in self.conn.execute(stmt).mappings():
            number = str(row["case_number"])
            counts = found.setdefault(
                number, CaseCounts(number, {k: 0 for k in KINDS}, {i: 0 for i in INDICATORS})
            )
            counts.kinds[str(row["kind"])] = int(row["n"])
            for name in INDICATORS:
                counts.indicators[name] += int(row[name] or 0)
        return list(found.values())

    def denials_by_section(self, w: Window) -> dict[str, int]:
        """The refused attempts of the review by the memo section their rules cite."""
        r = self._window(w)
        stmt = (
            select(ledger_refusals.c.section, func.count(func.distinct(r.c.seq)))
            .select_from(r.join(ledger_refusals, ledger_refusals.c.seq == r.c.seq))
            .where(r.c.kind == "denial")
            .group_by(ledger_refusals.c.section)
            .order_by(ledger_refusals.c.section)
        )
        return {str(s): int(n) for s, n in self.conn.execute(stmt).all()}

    def items(self, w: Window, *, limit: int) -> list[ReviewItem]:
        """The review's entries in log order, at most `limit` of them."""
        r = self._window(w)
        stmt = select(r).order_by(r.c.seq).limit(limit)
        return [
            ReviewItem(
                seq=int(row["seq"]),
                at=str(row["at"]),
                kind=str(row["kind"]),
                event=str(row["event"]),
                outcome=str(row["outcome"]),
                actor_id=str(row["actor_id"]),
                actor_role=str(row["actor_role"]),
                subject=str(row["subject"]),
                case_number=str(row["case_number"]),
                submission_id=row["submission_id"],
                provider_id=row["provider_id"],
                indicators=tuple(i for i in INDICATORS if row[i]),
            )
            for row in self.conn.execute(stmt).mappings()
        ]

    # --- missed reviews ---------------------------------------------------------------------

    def activity(
        self, starts_at: datetime, ends_at: datetime, *, supervisors_of: str | None = None
    ) -> list[Activity]:
        """Per supervisor and day: how many reviewable entries their cases had in
        `[starts_at, ends_at)` (optionally only supervisors whose own supervisor is
        `supervisors_of`). One grouped statement: supervisors times days rows at most."""
        li = ledger_index.c
        day = func.substr(li.at, 1, 10).label("day")
        stmt = (
            select(case_supervisors.c.user_id, day, func.count().label("n"))
            .select_from(
                ledger_index.join(cases, cases.c.number == li.case_number).join(
                    case_supervisors, case_supervisors.c.case_id == cases.c.id
                )
            )
            .where(li.at >= at_text(starts_at), li.at < at_text(ends_at))
            .where(_in_review())
            .group_by(case_supervisors.c.user_id, day)
        )
        if supervisors_of is not None:
            theirs = select(users.c.id).where(users.c.supervisor_id == supervisors_of)
            stmt = stmt.where(case_supervisors.c.user_id.in_(theirs))
        return [
            Activity(str(user), date.fromisoformat(str(d)), int(n))
            for user, d, n in self.conn.execute(stmt).all()
        ]

    # --- sign-offs --------------------------------------------------------------------------

    def add_signoff(self, s: Signoff) -> None:
        try:
            self.conn.execute(
                log_review_signoffs.insert().values(
                    id=s.id,
                    supervisor_id=s.supervisor_id,
                    period_start=s.period_start,
                    period_days=s.period_days,
                    signed_at=s.signed_at,
                    checkpoint_size=s.checkpoint_size,
                    checkpoint_root=s.checkpoint_root,
                    cases=list(s.cases),
                    counts=s.counts,
                )
            )
        except IntegrityError:
            # Two sign-offs of one period raced past the row lock (or there is none): the
            # unique key keeps the second out.
            raise Conflict(
                f"the review of {s.period_start.isoformat()} is already signed off"
            ) from None

    def signoff(self, supervisor_id: str, period_start: date, days: int) -> Signoff | None:
        t = log_review_signoffs.c
        row = (
            self.conn.execute(
                select(log_review_signoffs).where(
                    t.supervisor_id == supervisor_id,
                    t.period_start == period_start,
                    t.period_days == days,
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else _signoff(row)

    def signed(self, first: date, last: date, days: int) -> set[tuple[str, date]]:
        """(supervisor, period start) of every sign-off of a period starting in [first, last]."""
        t = log_review_signoffs.c
        stmt = select(t.supervisor_id, t.period_start).where(
            t.period_days == days, t.period_start >= first, t.period_start <= last
        )
        return {(str(s), p) for s, p in self.conn.execute(stmt).all()}

    # --- referrals --------------------------------------------------------------------------

    def add_referral(self, r: Referral) -> None:
        self.conn.execute(log_referrals.insert().values(**_referral_row(r)))

    def update_referral(self, r: Referral) -> None:
        t = log_referrals.c
        row = _referral_row(r)
        done = self.conn.execute(
            log_referrals.update()
            .where(t.id == r.id, t.status == ReferralStatus.open.value)
            .values({k: v for k, v in row.items() if k != "id"})
        )
        if done.rowcount != 1:
            raise Conflict(f"referral {r.id} changed meanwhile: it already has an outcome")

    def referral(self, referral_id: str, *, lock: bool = False) -> Referral:
        stmt = select(log_referrals).where(log_referrals.c.id == referral_id)
        if lock:
            stmt = stmt.with_for_update(key_share=True)
        row = self.conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFound(f"referral {referral_id!r} does not exist")
        return _referral(row)

    def referrals(self, *, referred_by: str | None = None) -> list[Referral]:
        stmt = select(log_referrals).order_by(log_referrals.c.created_at, log_referrals.c.id)
        if referred_by is not None:
            stmt = stmt.where(log_referrals.c.referred_by == referred_by)
        return [_referral(row) for row in self.conn.execute(stmt).mappings()]

    def referral_counts(self, starts_at: datetime, ends_at: datetime) -> dict[str, int]:
        """Referrals made in `[starts_at, ends_at)` by outcome ("open": none recorded yet)."""
        t = log_referrals.c
        outcome = func.coalesce(t.outcome, literal("open")).label("outcome")
        stmt = (
            select(outcome, func.count())
            .where(t.created_at >= starts_at, t.created_at < ends_at)
            .group_by(outcome)
        )
        counts = {"open": 0, **{o.value: 0 for o in ReferralOutcome}}
        counts.update({str(o): int(n) for o, n in self.conn.execute(stmt).all()})
        return counts


def _signoff(row: Any) -> Signoff:
    return Signoff(
        id=row["id"],
        supervisor_id=row["supervisor_id"],
        period_start=row["period_start"],
        period_days=int(row["period_days"]),
        signed_at=row["signed_at"],
        checkpoint_size=int(row["checkpoint_size"]),
        checkpoint_root=row["checkpoint_root"],
        cases=tuple(row["cases"]),
        counts=dict(row["counts"]),
    )


def _referral_row(r: Referral) -> dict[str, Any]:
    return {
        "id": r.id, "referred_by": r.referred_by, "period_start": r.period_start,
        "period_days": r.period_days, "reasons": r.reasons, "seqs": list(r.seqs),
        "submission_ids": list(r.submission_ids), "created_at": r.created_at,
        "status": r.status.value, "outcome": r.outcome.value if r.outcome else None,
        "outcome_note": r.outcome_note, "outcome_by": r.outcome_by, "outcome_at": r.outcome_at,
    }  # fmt: skip


def _referral(row: Any) -> Referral:
    return Referral(
        id=row["id"],
        referred_by=row["referred_by"],
        period_start=row["period_start"],
        period_days=int(row["period_days"]),
        reasons=row["reasons"],
        seqs=tuple(int(s) for s in row["seqs"]),
        submission_ids=tuple(row["submission_ids"]),
        created_at=row["created_at"],
        status=ReferralStatus(row["status"]),
        outcome=ReferralOutcome(row["outcome"]) if row["outcome"] else None,
        outcome_note=row["outcome_note"],
        outcome_by=row["outcome_by"],
        outcome_at=row["outcome_at"],
    )
