"""The front-line supervisor's routine review of the logs of their cases, its sign-off, and
referrals of non-compliance to OPR (memo 4.E.4), with OPR's outcome (4.E.5).

- `review_of`: a period's review (every use, refused attempt and read of the supervisor's
  cases in the period, with indicators), computed with SQL over the ledger index against a
  signed checkpoint issued when it is read, which the answer names. Decided as
  `log_review.read` and recorded (`oversight:review:read`): a supervisor reads their own, OPR
  any supervisor's; narrowing to a case the supervisor does not supervise is refused.
- `sign_off`: the supervisor signs off a finished period, once (`log_review.sign_off`); the
  entry (`oversight:review:sign`) names the period and the checkpoint (tree size, base64 root)
  the review was computed against, with the counts it showed. A second sign-off is a 409; two
  at once, one wins (the supervisor's row is locked, and a unique key backs it).
- `refer`: findings referred to OPR with reasons and, optionally, the ledger entries and
  submissions concerned, all of the supervisor's own cases (`log_review.refer`). The reasons
  are kept in the referral record OPR reads; the ledger binds their SHA-256 only.
- `referrals`, `referral`: OPR sees every referral, a supervisor their own (`referral.view`).
  `decide_referral`: OPR records substantiated, unsubstantiated or closed, with a note
  (`referral.decide`), never on a referral it made.

For other services and reports (no decision, no entry: they run inside the caller's own
decided act): `missed_reviews(uow, start, end)` and `referral_counts(uow, start, end)`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from frsgate.domain import User
from frsgate.domain.errors import DomainError
from frsgate.domain.log_review import (
    Referral,
    ReferralOutcome,
    ReviewPeriod,
    containing,
    finished_between,
)
from frsgate.domain.values import new_id
from frsgate.errors import Conflict, FrsGateError, NotFound, ValidationFailed
from frsgate.ledger import EntryDraft, EventTag
from frsgate.policy.facts import (
    Action,
    Context,
    LogReviewFacts,
    ReferralFacts,
    Resource,
    ResourceKind,
)
from frsgate.services.binding import bound, sha
from frsgate.services.gate import Ask, Caller, Gate, Ruling
from frsgate.store.repositories.oversight import (
    INDICATORS,
    KINDS,
    CaseCounts,
    OversightQueries,
    ReviewItem,
    Signoff,
    Window,
)
from frsgate.store.unit import UnitOfWork

COMPONENT = "services.log_review"
DEFAULT_PERIOD_DAYS = 7  # FRSGATE_LOG_REVIEW_PERIOD_DAYS's default
DEFAULT_ITEM_LIMIT = 1000
MAX_ITEM_LIMIT = 10_000
MAX_REFERRED = 100  # seqs or submissions one referral names
# How far back a supervisor's own supervisor is shown missed reviews (in periods).
QUEUE_LOOKBACK_PERIODS = 26


class PeriodNotReviewable(FrsGateError):
    """The period named cannot take this act yet (it has not finished, or not begun): 400."""


@dataclass(frozen=True, slots=True)
class Checkpointed:
    """The signed checkpoint a review was computed against."""

    tree_size: int
    root: str  # base64

    def as_dict(self) -> dict[str, Any]:
        return {"tree_size": self.tree_size, "root": self.root}


@dataclass(frozen=True, slots=True)
class Review:
    """A supervisor's review of one period (memo 4.E.4)."""

    supervisor: User
    period: ReviewPeriod
    finished: bool
    case_number: str | None
    cases: list[str]
    checkpoint: Checkpointed
    per_case: list[CaseCounts]
    denials_by_section: dict[str, int]
    items: list[ReviewItem]
    truncated: bool
    signoff: Signoff | None

    @property
    def totals(self) -> dict[str, Any]:
        kinds = {k: sum(c.kinds.get(k, 0) for c in self.per_case) for k in KINDS}
        indicators = {name: 0 for name in INDICATORS}
        for c in self.per_case:
            for name, n in c.indicators.items():
                indicators[name] += n
        return {**kinds, "indicators": indicators, "denials_by_section": self.denials_by_section}

    def as_dict(self) -> dict[str, Any]:
        return {
            "supervisor": {"id": self.supervisor.id, "username": self.supervisor.username},
            "period": period_json(self.period),
            "finished": self.finished,
            "case": self.case_number,
            "cases": self.cases,
            "checkpoint": self.checkpoint.as_dict(),
            "totals": self.totals,
            "per_case": [c.as_dict() for c in self.per_case],
            "items": [i.as_dict() for i in self.items],
            "truncated": self.truncated,
            "signoff": self.signoff.as_dict() if self.signoff else None,
        }


@dataclass(frozen=True, slots=True)
class MissedReview:
    """A finished period whose review nobody signed off although the supervisor's cases had
    reviewable entries in it (memo 4.E.4)."""

    supervisor_id: str
    supervisor: str  # username
    supervisors_supervisor_id: str | None  # users.supervisor_id: who is shown it
    period: ReviewPeriod
    entries: int  # reviewable entries of their cases in the period

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "log_review_missed",
            "supervisor_id": self.supervisor_id,
            "supervisor": self.supervisor,
            "period": period_json(self.period),
            "entries": self.entries,
        }


@dataclass(frozen=True, slots=True)
class ReferralView:
    referral: Referral
    names: dict[str, str] = field(default_factory=dict)  # user id -> username

    def as_dict(self) -> dict[str, Any]:
        r = self.referral
        return {
            "id": r.id,
            "referred_by": self.names.get(r.referred_by, r.referred_by),
            "referred_by_id": r.referred_by,
            "period": period_json(ReviewPeriod(r.period_start, r.period_days)),
            "reasons": r.reasons,
            "reasons_sha256": sha(r.reasons),
            "seqs": list(r.seqs),
            "submissions": list(r.submission_ids),
            "created_at": r.created_at.isoformat(),
            "status": r.status.value,
            "outcome": r.outcome.value if r.outcome else None,
            "outcome_note": r.outcome_note,
            "outcome_by": self.names.get(r.outcome_by or "", r.outcome_by),
            "outcome_at": r.outcome_at.isoformat() if r.outcome_at else None,
        }


def period_json(p: ReviewPeriod) -> dict[str, Any]:
    return {
        "start": p.name,
        "days": p.days,
        "starts_at": p.starts_at.isoformat(),
        "ends_at": p.ends_at.isoformat(),
    }


def parse_period(text: str, days: int) -> ReviewPeriod:
    """A period named by its start date, "YYYY-MM-DD"; a date that starts no period is a 422
    naming the start of the period that holds it."""
    try:
        start = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"period: {text!r} is not a date (YYYY-MM-DD)") from None
    try:
        return ReviewPeriod(start, days)
    except DomainError as exc:
        raise ValidationFailed(f"period: {exc.message}") from None


def current_period(gate: Gate, days: int) -> ReviewPeriod:
    return containing(gate.now(), days)


def _user(uow: UnitOfWork, ref: str) -> User:
    """A user by id or username (404 naming it)."""
    found = uow.users.find(ref) or uow.users.find_by_username(ref)
    if found is None:
        raise NotFound(f"user {ref!r} does not exist")
    return found


def _checkpoint(gate: Gate) -> Checkpointed:
    """A signed checkpoint of the log as it stands (issued now if the log has grown): at or
    after the end of any finished period, and what the review is computed against."""
    signed = gate.ledger.checkpoint()
    return Checkpointed(signed.tree_size, base64.b64encode(signed.root).decode("ascii"))


def _review_ask(
    action: Action, caller: Caller, reviewer: User, period: ReviewPeriod, supervises: bool,
    **details: Any,
) -> Ask:  # fmt: skip
    return Ask(
        action=action,
        resource=Resource(
            kind=ResourceKind.log_review, id=f"{reviewer.id}@{period.name}", owner_id=reviewer.id
        ),
        contexts=[
            Context(
                log_review=LogReviewFacts(
                    own_review=reviewer.id == caller.user_id, reviewer_supervises=supervises
                )
            )
        ],
        subject=f"log_review:{reviewer.id}@{period.name}",
        component=COMPONENT,
        details={"period": period.name, "period_days": period.days,
                 "supervisor": reviewer.id, **details},
    )  # fmt: skip


def _compute(
    q: OversightQueries, reviewer: User, period: ReviewPeriod, at: datetime,
    checkpoint: Checkpointed, case_number: str | None, limit: int,
) -> Review:  # fmt: skip
    window = Window(reviewer.id, period.starts_at, period.ends_at, checkpoint.tree_size,
                    case_number)  # fmt: skip
    per_case = q.counts(window)
    items = q.items(window, limit=limit + 1)
    return Review(
        supervisor=reviewer,
        period=period,
        finished=period.finished(at),
        case_number=case_number,
        cases=q.case_numbers(reviewer.id),
        checkpoint=checkpoint,
        per_case=per_case,
        denials_by_section=q.denials_by_section(window),
        items=items[:limit],
        truncated=len(items) > limit,
        signoff=q.signoff(reviewer.id, period.start, period.days),
    )


# --- reading, signing off, referring ------------------------------------------------------


def review_of(
    *,
    gate: Gate,
    caller: Caller,
    period: str,
    days: int = DEFAULT_PERIOD_DAYS,
    supervisor: str | None = None,
    case_number: str | None = None,
    limit: int = DEFAULT_ITEM_LIMIT,
) -> Review:
    """The review of `period` for `supervisor` (default: the caller), optionally narrowed to
    one of their cases; decided as `log_review.read` and recorded."""
    the_period = parse_period(period, days)
    if not 1 <= limit <= MAX_ITEM_LIMIT:
        raise ValidationFailed(f"limit: must be 1 to {MAX_ITEM_LIMIT}")
    if not the_period.started(gate.now()):
        raise ValidationFailed(f"period: {the_period.name} has not begun; nothing to review")
    checkpoint = _checkpoint(gate)
    held: list[User] = []

    def ask(uow: UnitOfWork) -> Ask:
        reviewer = _user(uow, supervisor or caller.user_id)
        if case_number is not None:
            uow.cases.get_by_number(case_number)  # 404 for a case that does not exist
        held.append(reviewer)
        q = OversightQueries(uow.conn)
        supervises = case_number is None or q.supervises_all(reviewer.id, [case_number])
        return _review_ask(Action.log_review_read, caller, reviewer, the_period, supervises,
                           case=case_number)  # fmt: skip

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[Review, list[EntryDraft]]:
        review = _compute(OversightQueries(uow.conn), held[0], the_period, gate.now(),
                          checkpoint, case_number, limit)  # fmt: skip
        entry = ruling.act_entry(
            caller, EventTag.OVERSIGHT_REVIEW_READ,
            details={"period": the_period.name, "period_days": days, "supervisor": held[0].id,
                     "case": case_number, "checkpoint": checkpoint.as_dict(),
                     "totals": review.totals},
        )  # fmt: skip
        return review, [entry]

    return gate.enforce(caller, ask=ask, act=read).result


def sign_off(
    *,
    gate: Gate,
    caller: Caller,
    period: str,
    days: int = DEFAULT_PERIOD_DAYS,
    supervisor: str | None = None,
) -> Signoff:
    """Sign off the review of a finished period (memo 4.E.4), once per supervisor and period."""
    the_period = parse_period(period, days)
    if not the_period.finished(gate.now()):
        raise PeriodNotReviewable(
            f"period {the_period.name} ends {the_period.ends_at.isoformat()}; only a finished "
            "period can be signed off"
        )
    checkpoint = _checkpoint(gate)
    held: list[User] = []

    def ask(uow: UnitOfWork) -> Ask:
        reviewer = _user(uow, supervisor or caller.user_id)
        # Sign-offs of one supervisor are taken one after the other: of two at once, the
        # second finds the first and is a 409 (the unique key backs this on any backend).
        uow.users.lock(reviewer.id)
        held.append(reviewer)
        return _review_ask(Action.log_review_sign_off, caller, reviewer, the_period, True)

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[Signoff, list[EntryDraft]]:
        reviewer = held[0]
        q = OversightQueries(uow.conn)
        done = q.signoff(reviewer.id, the_period.start, days)
        if done is not None:
            raise Conflict(
                f"the review of {the_period.name} by {reviewer.username} was already signed "
                f"off at {done.signed_at.isoformat()} ({done.id})"
            )
        review = _compute(q, reviewer, the_period, gate.now(), checkpoint, None, 1)
        signoff = Signoff(
            id=new_id("signoff"), supervisor_id=reviewer.id, period_start=the_period.start,
            period_days=days, signed_at=gate.now(), checkpoint_size=checkpoint.tree_size,
            checkpoint_root=checkpoint.root, cases=tuple(review.cases), counts=review.totals,
        )  # fmt: skip
        q.add_signoff(signoff)
        entry = ruling.act_entry(
            caller, EventTag.OVERSIGHT_REVIEW_SIGN,
            details={"signoff": signoff.id, "period": the_period.name,
                     "period_ends_at": the_period.ends_at.isoformat(), "period_days": days,
                     "checkpoint": checkpoint.as_dict(), "cases": list(signoff.cases),
                     "counts": signoff.counts},
        )  # fmt: skip
        return signoff, [entry]

    return gate.enforce(caller, ask=ask, act=act).result


def refer(
    *,
    gate: Gate,
    caller: Caller,
    period: str,
    reasons: str,
    days: int = DEFAULT_PERIOD_DAYS,
    seqs: tuple[int, ...] = (),
    submission_ids: tuple[str, ...] = (),
) -> ReferralView:
    """Refer findings of the caller's review of `period` to OPR (memo 4.E.4)."""
    the_period = parse_period(period, days)
    if not reasons.strip():
        raise ValidationFailed("reasons: must not be blank (what was found and why it is referred)")
    if len(seqs) > MAX_REFERRED or len(submission_ids) > MAX_REFERRED:
        raise ValidationFailed(f"seqs, submissions: at most {MAX_REFERRED} each")
    if not the_period.started(gate.now()):
        raise PeriodNotReviewable(f"period {the_period.name} has not begun; nothing to refer")
    held: list[User] = []

    def ask(uow: UnitOfWork) -> Ask:
        reviewer = uow.users.get(caller.user_id)
        held.append(reviewer)
        q = OversightQueries(uow.conn)
        found = q.seq_cases(seqs)
        missing = [s for s in seqs if s not in found]
        if missing:
            raise ValidationFailed(f"seqs: no ledger entry {', '.join(map(str, missing))}")
        numbers: list[str | None] = list(found.values())
        for sid in submission_ids:
            sub = uow.submissions.get(sid)  # 404 naming an unknown submission
            numbers.append(uow.cases.get(sub.case_id).number if sub.case_id else None)
        supervises = q.supervises_all(reviewer.id, numbers)
        return _review_ask(Action.log_review_refer, caller, reviewer, the_period, supervises,
                           seqs=list(seqs), submissions=list(submission_ids))  # fmt: skip

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[ReferralView, list[EntryDraft]]:
        referral = Referral(
            id=new_id("referral"), referred_by=caller.user_id, period_start=the_period.start,
            period_days=days, reasons=reasons, seqs=tuple(seqs),
            submission_ids=tuple(submission_ids), created_at=gate.now(),
        )  # fmt: skip
        OversightQueries(uow.conn).add_referral(referral)
        record = bound(
            id=referral.id, period_start=referral.period_start, period_days=days,
            reasons_sha256=sha(reasons), seqs=list(seqs), submission_ids=list(submission_ids),
        )  # fmt: skip
        entry = ruling.act_entry(
            caller, EventTag.OVERSIGHT_REFERRAL_CREATE, subject=f"referral:{referral.id}",
            details={"record": record},
        )  # fmt: skip
        return ReferralView(referral, {caller.user_id: caller.user.username}), [entry]

    return gate.enforce(caller, ask=ask, act=act).result


def _names(uow: UnitOfWork, referrals: list[Referral]) -> dict[str, str]:
    ids = {r.referred_by for r in referrals} | {r.outcome_by for r in referrals if r.outcome_by}
    return {u: found.username for u in ids if (found := uow.users.find(u)) is not None}


def referrals(*, gate: Gate, caller: Caller, referred_by: str | None = None) -> list[ReferralView]:
    """The referrals made by `referred_by` (a username or id), or all; decided as
    `referral.view`: OPR sees all, a supervisor the ones they made."""
    held: list[list[Referral]] = []

    def ask(uow: UnitOfWork) -> Ask:
        referrer = None
        if referred_by is not None:
            found_user = uow.users.find(referred_by) or uow.users.find_by_username(referred_by)
            if found_user is None:
                raise ValidationFailed(f"referred_by: no user {referred_by!r}")
            referrer = found_user.id
        found = OversightQueries(uow.conn).referrals(referred_by=referrer)
        held.append(found)
        return Ask(
            action=Action.referral_view,
            resource=Resource(kind=ResourceKind.referral, id="referrals", owner_id=referrer),
            contexts=[Context(referral=ReferralFacts(own_referral=referrer == caller.user_id))],
            subject="referrals",
            component=COMPONENT,
            details={"referred_by": referrer},
        )

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[list[ReferralView], list[EntryDraft]]:
        found = held[0]
        names = _names(uow, found)
        entry = ruling.act_entry(caller, EventTag.OVERSIGHT_REFERRALS_READ,
                                 details={"referrals": len(found)})  # fmt: skip
        return [ReferralView(r, names) for r in found], [entry]

    return gate.enforce(caller, ask=ask, act=read).result


def _referral_ask(action: Action, caller: Caller, r: Referral, **details: Any) -> Ask:
    context = Context(referral=ReferralFacts(own_referral=r.referred_by == caller.user_id))
    return Ask(
        action=action,
        resource=Resource(kind=ResourceKind.referral, id=r.id, owner_id=r.referred_by),
        contexts=[context],
        subject=f"referral:{r.id}",
        component=COMPONENT,
        details=details,
    )


def referral(*, gate: Gate, caller: Caller, referral_id: str) -> ReferralView:
    """One referral with its reasons (`referral.view`)."""
    held: list[Referral] = []

    def ask(uow: UnitOfWork) -> Ask:
        found = OversightQueries(uow.conn).referral(referral_id)
        held.append(found)
        return _referral_ask(Action.referral_view, caller, found)

    def read(uow: UnitOfWork, ruling: Ruling) -> tuple[ReferralView, list[EntryDraft]]:
        entry = ruling.act_entry(caller, EventTag.OVERSIGHT_REFERRALS_READ,
                                 details={"referrals": 1})  # fmt: skip
        return ReferralView(held[0], _names(uow, held)), [entry]

    return gate.enforce(caller, ask=ask, act=read).result


def decide_referral(
    *, gate: Gate, caller: Caller, referral_id: str, outcome: ReferralOutcome, note: str
) -> ReferralView:
    """OPR records what it found on a referral (memo 4.E.5): once; never its own referral."""
    if not note.strip():
        raise ValidationFailed("note: must not be blank (what OPR found, or why it closed it)")
    held: list[Referral] = []

    def ask(uow: UnitOfWork) -> Ask:
        found = OversightQueries(uow.conn).referral(referral_id, lock=True)
        if found.outcome is not None:
            raise Conflict(f"referral {found.id} already has an outcome ({found.outcome.value})")
        held.append(found)
        return _referral_ask(Action.referral_decide, caller, found, outcome=outcome.value)

    def act(uow: UnitOfWork, ruling: Ruling) -> tuple[ReferralView, list[EntryDraft]]:
        r = held[0]
        try:
            r.decide(outcome=outcome, note=note, by=caller.user_id, at=gate.now())
        except DomainError as exc:
            raise Conflict(exc.message) from None
        OversightQueries(uow.conn).update_referral(r)
        record = bound(id=r.id, outcome=outcome, outcome_note_sha256=sha(note),
                       referred_by=r.referred_by)  # fmt: skip
        entry = ruling.act_entry(caller, EventTag.OVERSIGHT_REFERRAL_DECIDE,
                                 details={"record": record})  # fmt: skip
        return ReferralView(r, _names(uow, [r])), [entry]

    return gate.enforce(caller, ask=ask, act=act).result


# --- for other services and the reports (no decision of their own) -------------------------


def missed_reviews(
    uow: UnitOfWork,
    start: datetime,
    end: datetime,
    *,
    period_days: int = DEFAULT_PERIOD_DAYS,
    supervisors_of: str | None = None,
) -> list[MissedReview]:
    """The missed log reviews (memo 4.E.4) of the periods that lie wholly in `[start, end)`:
    for each such period and each supervisor whose cases (as `case_supervisors` holds them
    now) had a use, a refused attempt or a read in it, and who has not signed it off. Oldest
    period first, then by username. `start` and `end` are aware datetimes; pass `end` no later
    than now (a period still running is never missed). `period_days`: the installation's
    `FRSGATE_LOG_REVIEW_PERIOD_DAYS`; `supervisors_of`: only the supervisors whose own
    supervisor (`users.supervisor_id`) is this user. Reads only; call it inside the act that
    decided the report or queue it feeds."""
    periods = finished_between(start, end, period_days)
    if not periods:
        return []
    q = OversightQueries(uow.conn)
    active: dict[tuple[str, date], int] = {}
    for a in q.activity(periods[0].starts_at, periods[-1].ends_at, supervisors_of=supervisors_of):
        moment = datetime(a.day.year, a.day.month, a.day.day, tzinfo=UTC)
        key = (a.supervisor_id, containing(moment, period_days).start)
        active[key] = active.get(key, 0) + a.entries
    signed = q.signed(periods[0].start, periods[-1].start, period_days)
    found: list[MissedReview] = []
    for (user_id, start_day), entries in active.items():
        if (user_id, start_day) in signed:
            continue
        user = uow.users.find(user_id)
        found.append(
            MissedReview(
                supervisor_id=user_id,
                supervisor=user.username if user else user_id,
                supervisors_supervisor_id=user.supervisor_id if user else None,
                period=ReviewPeriod(start_day, period_days),
                entries=entries,
            )
        )
    found.sort(key=lambda m: (m.period.start, m.supervisor))
    return found


def referral_counts(uow: UnitOfWork, start: datetime, end: datetime) -> dict[str, int]:
    """Referrals to OPR made in `[start, end)` by outcome: `open` (no outcome yet),
    `substantiated`, `unsubstantiated`, `closed`; every key present. Reads only."""
    return OversightQueries(uow.conn).referral_counts(start, end)


def missed_for_queue(uow: UnitOfWork, gate: Gate, boss_id: str, days: int) -> list[MissedReview]:
    """Missed reviews of the supervisors whose own supervisor is `boss_id`, over the last
    `QUEUE_LOOKBACK_PERIODS` finished periods (a late sign-off takes one off)."""
    now = gate.now()
    current = containing(now, days)
    first = current.starts_at - (current.ends_at - current.starts_at) * QUEUE_LOOKBACK_PERIODS
    return missed_reviews(uow, first, current.starts_at, period_days=days, supervisors_of=boss_id)
