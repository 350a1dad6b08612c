"""The ledger's roll-ups (`ledger_use_days`, `ledger_refusal_days`, the use and refusal
tallies per day and month) against the log, and the reports that sum them.

A fixture of three stored graphs and a ledger whose entries fall on both sides of midnight
(23:59:59.99 and 00:00:00.00 of the next day) and of two month ends, with one submission used
on three days (twice on one of them), answers on the day after the use they answer and past a
month's end, an outcome-unknown answer, a use of a program without a case, a use naming no
stored submission, refusals citing curable and uncurable rules, two rules of one section and
one rule twice, and a refusal by an actor who is no user.

Over every period between its edges (whole February is a month bucket; the days around it are
day buckets) and every checkpoint size (a checkpoint cuts a day, the log's end is past it), the
figures and tables of OPR's and the annual report, which sum the tallies, equal a count made
here from the drafts themselves; so does a supervisor's report, which reads the index, over
its own case.

Then: the appender's roll-ups equal a fill from the log (`backfill`, `fill_tallies`: what
revisions 0011 and 0012 run), revision 0012 fills them on a store that has entries, and
`verify --index` names the day or month of a changed, removed or added row. Last, the overdue
report-of-investigation entries still leave out the uses whose exigent approval was refused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import store_graph
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete, insert, select, text, update

from frsgate.ledger import Actor, Citation, EntryDraft, EventTag, Ledger, Outcome
from frsgate.ledger import log as ledger_log
from frsgate.ledger.entry import format_time
from frsgate.ledger.index_check import check_index
from frsgate.ledger.notes import CheckpointSigner
from frsgate.ledger.rollup import backfill, fill_tallies
from frsgate.reports.oversight.build import (
    CLOSED_CASE_RULES,
    UNASSIGNED_RULES,
    Inputs,
    PackIdentity,
    build,
)
from frsgate.reports.oversight.model import Period, ReportKind
from frsgate.reports.oversight.queries.leads import unfiled_roi
from frsgate.reports.oversight.queries.tallied import period_buckets
from frsgate.reports.oversight.queries.uses import NO_CASE, NO_OFFICE
from frsgate.reports.oversight.queries.window import Scope, Window
from frsgate.store.engine import make_engine
from frsgate.store.migrate import downgrade, upgrade
from frsgate.store.schema.core import approvals, roi_entries, submissions
from frsgate.store.schema.ledger import (
    ledger_refusal_days,
    ledger_refusal_tallies,
    ledger_use_days,
    ledger_use_tallies,
)
from frsgate.store.unit import snapshot, unit_of_work

ORIGIN = "frsgate.test/rollups"
INTENT = EventTag.SUBMISSION_DISPATCH_INTENT
CURES = frozenset({"probe.witness_approval"})
# Both sides of the end of January and of February.
DAYS = [date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 1)]
EDGES = [*DAYS[:2], date(2026, 2, 2), date(2026, 2, 27), *DAYS[2:]]
NOW = datetime(2026, 4, 1, tzinfo=UTC)
ANSWERS = {
    "score": ("comparison score", Outcome.SUCCEEDED, {"comparison_score": 0.93, "list_size": 0}),
    "found": ("candidates returned", Outcome.SUCCEEDED, {"list_size": 2}),
    "negative": ("no candidates (negative)", Outcome.SUCCEEDED, {"list_size": 0}),
    "failed": ("failed", Outcome.FAILED, {"error": "timeout"}),
}


@dataclass(frozen=True)
class Appended:
    """What the fixture wrote: each entry's (seq, time, draft), and the graphs."""

    entries: list[tuple[int, str, EntryDraft]]
    graphs: list[store_graph.Graph]


def _at(day: int, clock: str) -> datetime:
    return datetime.fromisoformat(f"{DAYS[day].isoformat()}T{clock}+00:00")


def _intent(
    g: store_graph.Graph, *, submission: str | None = None, case: bool = True
) -> EntryDraft:
    """An intent as `services.dispatch.intent_draft` writes it: the submission's requester,
    match type and exigence in the details (graph b's use is a plain one-to-many search)."""
    plain = g.agent.id.endswith("_b")
    return EntryDraft(
        event=INTENT, actor=Actor(g.agent.id, "agent"), outcome=Outcome.ALLOWED,
        subject=f"submission:{submission or g.submission.id}", component="services.dispatch",
        source="127.0.0.1", case=g.case.number if case else None,
        submission=submission or g.submission.id, provider=g.provider.id,
        program_code=None if case else g.program.code,
        details={
            "match_type": "one_to_many" if plain else g.submission.match_type,
            "exigent": not plain and g.submission.exigent, "requested_by": g.agent.id,
        },
    )  # fmt: skip


def _answer(g: store_graph.Graph, kind: str) -> EntryDraft:
    if kind == "unknown":
        event, outcome, details = EventTag.SUBMISSION_DISPATCH_OUTCOME_UNKNOWN, Outcome.FAILED, {}
    else:
        _, outcome, details = ANSWERS[kind]
        event = EventTag.SUBMISSION_DISPATCH_OUTCOME
    return EntryDraft(
        event=event, actor=Actor(g.agent.id, "agent"), outcome=outcome,
        subject=f"submission:{g.submission.id}", component="services.dispatch",
        source="127.0.0.1", case=g.case.number, submission=g.submission.id,
        provider=g.provider.id, details=details,
    )  # fmt: skip


def _refused(actor: str, *cited: tuple[str, str]) -> EntryDraft:
    return EntryDraft(
        event=EventTag.SUBMISSION_RECORD_CREATE, actor=Actor(actor, "agent"),
        outcome=Outcome.DENIED, subject="submission:refused", component="services.submit",
        source="127.0.0.1", citations=[Citation(rule, where, "refused") for rule, where in cited],
    )  # fmt: skip


def _schedule(a: store_graph.Graph, b: store_graph.Graph, c: store_graph.Graph) -> list[
    tuple[datetime, list[EntryDraft]]
]:  # fmt: skip
    """(when, drafts appended together), in order."""
    open_case, assignment = ("purpose.case_open", "4.A.1"), ("purpose.case_assignment", "4.A.1")
    member, witness = ("purpose.program_member", "4.A.1"), ("probe.witness_approval", "4.B.2")
    return [
        (_at(0, "12:00:00"), [_intent(a), _intent(b, submission="sub-ghost")]),
        (_at(0, "23:59:59.990000"), [_refused(a.agent.id, open_case), _intent(a)]),
        (_at(1, "00:00:00"), [_answer(a, "score"), _refused(a.agent.id, witness)]),
        (_at(1, "12:00:00"), [_intent(b), _refused(b.agent.id, witness, assignment)]),
        (_at(1, "12:00:00.010000"), [_intent(c, case=False)]),
        (
            _at(1, "23:59:59.990000"),
            [
                _answer(b, "found"),
                _refused(b.agent.id, assignment, member, assignment),
            ],
        ),
        (_at(2, "00:00:00"), [_refused(c.agent.id, ("provider.not_approved", "4.C.3"))]),
        (_at(2, "00:00:00.010000"), [_intent(a), _intent(b)]),
        (_at(2, "06:00:00"), [_refused("usr_nobody", open_case), _answer(c, "failed")]),
        (_at(3, "00:00:00"), [_answer(b, "unknown"), _intent(c, case=False)]),
        (_at(3, "12:00:00"), [_answer(a, "negative")]),
    ]


def _fill(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Appended:
    graphs = [store_graph.build(s) for s in ("a", "b", "c")]
    with unit_of_work(engine) as uow:
        for g in graphs:
            store_graph.store(uow, g)
    with engine.begin() as conn:  # graph b's submission is what its intents say
        conn.execute(
            update(submissions)
            .where(submissions.c.id == graphs[1].submission.id)
            .values(match_type="one_to_many", exigent=False)
        )
    when: list[datetime] = []

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return when[-1]

    monkeypatch.setattr(ledger_log, "datetime", Clock)
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN)
    entries: list[tuple[int, str, EntryDraft]] = []
    with Ledger(engine, signer=signer, origin=ORIGIN) as led:
        for moment, drafts in _schedule(*graphs):
            when.append(moment)
            seqs = led.append_many(drafts)
            entries += [(s, format_time(moment), d) for s, d in zip(seqs, drafts, strict=True)]
    return Appended(entries, graphs)


@pytest.fixture
def appended(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Appended:
    return _fill(engine, monkeypatch)


def _report(
    engine: Engine, kind: ReportKind, first: date, last: date, size: int, scope: Scope
) -> tuple[dict[str, Any], dict[str, set[tuple[Any, ...]]]]:
    inputs = Inputs(
        window=Window(Period(first, last), size, NOW), scope=scope, cures=CURES,
        roi_deadline_days=30, pack=PackIdentity("hsi", "1", "ab" * 32, "pack:hsi"),
    )  # fmt: skip
    with snapshot(engine) as uow:
        figures, tables = build(kind, uow.conn, inputs, lambda _: None)
    return {f.key: f.value for f in figures}, {t.key: set(t.rows) for t in tables}


def _periods() -> Iterator[tuple[date, date]]:
    for i, first in enumerate(EDGES):
        for last in EDGES[i:]:
            yield first, last


def _counted(
    appended: Appended, first: date, last: date, size: int, case: str | None = None
) -> dict[str, Any]:
    """What the reports should say, counted here from the drafts: a use is an intent entry
    below `size` whose day is in the period (of `case` only, when given), as its details
    describe it; an answer belongs to its submission's latest use before it."""
    graphs = {g.submission.id: g for g in appended.graphs}
    users = {u.id: u.username for g in appended.graphs for u in (g.agent, g.supervisor)}
    providers = {g.provider.id: g.provider.name for g in appended.graphs}
    below = [(seq, time, d) for seq, time, d in appended.entries if seq < size]
    inside = [
        (seq, d) for seq, time, d in below
        if first.isoformat() <= time[:10] <= last.isoformat()
        and (case is None or d.case == case)
    ]  # fmt: skip
    uses = [(seq, d) for seq, d in inside if d.event is INTENT]
    latest: dict[str | None, int] = {}
    answers: Counter[str] = Counter()
    counted = {seq for seq, _ in uses}
    names = {k: v[0] for k, v in ANSWERS.items()}
    for seq, _, d in below:
        if d.event is INTENT:
            latest[d.submission] = seq
        elif d.submission in latest and latest[d.submission] in counted:
            unknown = d.event is EventTag.SUBMISSION_DISPATCH_OUTCOME_UNKNOWN
            kind = "outcome unknown" if unknown else None
            for key, (_, outcome, details) in ANSWERS.items():
                if kind is None and d.outcome is outcome and dict(d.details) == details:
                    kind = names[key]
            answers[str(kind)] += 1
    if len(uses) > sum(answers.values()):
        answers["no answer yet"] = len(uses) - sum(answers.values())
    by_user: Counter[tuple[str, str]] = Counter()
    by_case: Counter[str] = Counter()
    people: dict[str, set[str]] = {}
    by_provider: Counter[str] = Counter()
    by_match: Counter[str] = Counter()
    by_day: Counter[str] = Counter()
    for seq, d in uses:
        who = str(d.details["requested_by"])
        by_user[(users[who], NO_OFFICE)] += 1
        by_case[d.case or NO_CASE] += 1
        people.setdefault(d.case or NO_CASE, set()).add(who)
        by_provider[providers[str(d.provider)]] += 1
        by_match[str(d.details["match_type"])] += 1
        by_day[next(t for s, t, _ in below if s == seq)[:10]] += 1
    refused = held = 0
    sections: Counter[str] = Counter()
    attempts: Counter[tuple[str, str]] = Counter()
    for _, d in inside:
        if d.outcome is not Outcome.DENIED:
            continue
        cited = [c for c in d.citations if isinstance(c, Citation)]
        for rule in {c.rule for c in cited} & {*CLOSED_CASE_RULES, *UNASSIGNED_RULES}:
            if d.actor.id in users:
                attempts[(users[d.actor.id], rule)] += 1
        if {c.rule for c in cited} <= CURES:
            held += 1
            continue
        refused += 1
        for section in {c.section for c in cited}:
            sections[section] += 1
    stored = {seq for seq, d in uses if d.submission in graphs}
    witness = len(stored)  # every graph's submission is of a witness's probe
    led = {d.submission for seq, d in uses if seq in stored}
    return {
        "uses": len(uses),
        "exigent_uses": sum(1 for _, d in uses if d.details["exigent"]),
        "witness_uses": witness,
        "leads": len(led),
        "refused": refused,
        "held_for_approval": held,
        "uses_by_user": {(*k, n) for k, n in by_user.items()},
        "uses_by_case": {(k, n) for k, n in by_case.items()},
        "uses_by_case_people": {(k, n, len(people[k])) for k, n in by_case.items()},
        "uses_by_provider": set(by_provider.items()),
        "uses_by_match_type": set(by_match.items()),
        "uses_over_time": set(by_day.items()),
        "uses_by_outcome": set(answers.items()),
        "refusals_by_section": set(sections.items()),
        "closed_or_unassigned": {(*k, n) for k, n in attempts.items()},
    }


def test_period_buckets_are_whole_months_and_the_days_at_the_ends() -> None:
    assert period_buckets(Period(date(2026, 1, 31), date(2026, 3, 1))) == [
        "2026-01-31", "2026-02", "2026-03-01",
    ]  # fmt: skip
    assert period_buckets(Period(date(2025, 12, 1), date(2026, 1, 31))) == ["2025-12", "2026-01"]
    assert period_buckets(Period(date(2024, 2, 28), date(2024, 3, 1))) == [
        "2024-02-28", "2024-02-29", "2024-03-01",
    ]  # fmt: skip
    assert period_buckets(Period(date(2026, 2, 2), date(2026, 2, 2))) == ["2026-02-02"]


def test_reports_from_the_tallies_equal_a_count_of_the_drafts(
    engine: Engine, appended: Appended
) -> None:
    total = len(appended.entries)
    seen: set[int] = set()
    for first, last in _periods():
        for size in range(total + 1):
            want = _counted(appended, first, last, size)
            opr, opr_tables = _report(engine, ReportKind.opr, first, last, size, Scope())
            annual, annual_tables = _report(engine, ReportKind.annual, first, last, size, Scope())
            at = (first, last, size)
            for key in ("uses", "exigent_uses", "witness_uses", "refused", "held_for_approval"):
                assert opr[key] == want[key], (key, *at)
                assert annual[key] == want[key], (key, *at)
            assert annual["leads"] == want["leads"], at
            assert annual["leads_corroborated"] == want["leads"], at
            for key in ("uses_by_user", "uses_by_case", "closed_or_unassigned"):
                assert opr_tables[key] == want[key], (key, *at)
            for key in ("uses_by_provider", "uses_by_match_type", "uses_over_time"):
                assert opr_tables[key] == want[key], (key, *at)
                assert annual_tables[key] == want[key], (key, *at)
            assert annual_tables["uses_by_outcome"] == want["uses_by_outcome"], at
            assert annual_tables["refusals_by_section"] == want["refusals_by_section"], at
            offices = {(NO_OFFICE, len(want["uses_by_user"]), want["uses"])}
            assert opr_tables["uses_by_office"] == (offices if want["uses_by_user"] else set())
            seen.add(int(opr["uses"] or 0))
    # The fixture reaches every count of uses from none to all eight intents.
    assert seen == set(range(9))


def test_a_supervisors_report_from_the_index_equals_a_count_of_the_drafts(
    engine: Engine, appended: Appended
) -> None:
    a = appended.graphs[0]
    total = len(appended.entries)
    for first, last in _periods():
        for size in range(0, total + 1, 3):
            want = _counted(appended, first, last, size, case=a.case.number)
            got, tables = _report(
                engine, ReportKind.supervisor, first, last, size, Scope(a.supervisor.id)
            )
            at = (first, last, size)
            for key in ("uses", "exigent_uses", "witness_uses"):
                assert got[key] == want[key], (key, *at)
            assert tables["uses_by_case"] == want["uses_by_case_people"], at
            for key in ("uses_by_user", "uses_by_provider", "uses_over_time"):
                assert tables[key] == want[key], (key, *at)


def _stored(engine: Engine) -> list[list[Any]]:
    with engine.connect() as conn:
        return [
            sorted(tuple(r) for r in conn.execute(select(t)))
            for t in (ledger_use_days, ledger_refusal_days, ledger_use_tallies,
                      ledger_refusal_tallies)
        ]  # fmt: skip


def test_the_appender_keeps_what_a_fill_from_the_log_gives(
    engine: Engine, appended: Appended
) -> None:
    kept = _stored(engine)
    # One submission used twice on one day and once on another is two rows, the first
    # counting two entries; '' stands for a use without a case.
    used = [(r[0], r[4]) for r in kept[0] if r[1] == "sub_a"]
    assert used == [(DAYS[0].isoformat(), 2), (DAYS[2].isoformat(), 1)]
    assert any(r[3] == "" for r in kept[0])
    # An answer is counted on the day (and in the month) of the use it answers.
    answered = {(r[1], r[2]): r[3] for r in kept[2] if r[0] == "outcome"}
    assert answered[("2026-01-31", "comparison score")] == 1
    assert answered[("2026-01", "comparison score")] == 1
    assert answered[("2026-02-28", "no candidates (negative)")] == 1
    assert answered[("2026-02-28", "outcome unknown")] == 1
    assert answered[("2026-02-01", "failed")] == 1
    with engine.begin() as conn:
        for table in (ledger_use_days, ledger_refusal_days, ledger_use_tallies,
                      ledger_refusal_tallies):  # fmt: skip
            conn.execute(delete(table))
        backfill(conn)
        fill_tallies(conn, len(appended.entries))
    assert _stored(engine) == kept
    assert check_index(engine).ok


def test_revision_0012_fills_the_tallies_of_a_store_with_entries(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        appended = _fill(engine, monkeypatch)
        kept = _stored(engine)
        assert all(kept)
        downgrade(engine, "0010")
        upgrade(engine)
        assert _stored(engine) == kept
        report = check_index(engine)
        assert report.ok, report.summary()
        assert report.size == len(appended.entries)
    finally:
        engine.dispose()


TAMPERS: dict[str, tuple[Any, str, str]] = {
    "a use counted twice": (
        lambda: (
            update(ledger_use_days)
            .where(ledger_use_days.c.day == DAYS[1].isoformat())
            .values(entries=ledger_use_days.c.entries + 1)
        ),
        DAYS[1].isoformat(),
        "use count",
    ),
    "a use removed": (
        lambda: delete(ledger_use_days).where(ledger_use_days.c.day == DAYS[2].isoformat()),
        DAYS[2].isoformat(),
        "use count",
    ),
    "a use no entry made": (
        lambda: insert(ledger_use_days).values(
            day="2026-01-30", submission_id="sub_a", provider_id="prv_a", case_number="", entries=1
        ),
        "2026-01-30",
        "names no entries",
    ),
    "a refusal removed": (
        lambda: delete(ledger_refusal_days).where(ledger_refusal_days.c.day == DAYS[2].isoformat()),
        DAYS[2].isoformat(),
        "is missing",
    ),
    "a refusal changed": (
        lambda: (
            update(ledger_refusal_days)
            .where(ledger_refusal_days.c.day == DAYS[0].isoformat())
            .values(decisions=7)
        ),
        DAYS[0].isoformat(),
        "differs",
    ),
    "a month's uses raised": (
        lambda: (
            update(ledger_use_tallies)
            .where(ledger_use_tallies.c.bucket == "2026-02", ledger_use_tallies.c.facet == "user")
            .values(uses=ledger_use_tallies.c.uses + 5)
        ),
        "2026-02",
        "use tally",
    ),
    "an answer moved to another outcome": (
        lambda: (
            update(ledger_use_tallies)
            .where(
                ledger_use_tallies.c.facet == "outcome",
                ledger_use_tallies.c.bucket == "2026-02-28",
                ledger_use_tallies.c.value == "outcome unknown",
            )
            .values(value="failed")
        ),
        "2026-02-28",
        "use tally",
    ),
    "a use tally no entry made": (
        lambda: insert(ledger_use_tallies).values(
            facet="case", bucket="2025-12-31", value="HSI-2026-000123_a", uses=1
        ),
        "2025-12-31",
        "does not hold",
    ),
    "a day's refusal tally removed": (
        lambda: delete(ledger_refusal_tallies).where(
            ledger_refusal_tallies.c.bucket == DAYS[1].isoformat()
        ),
        DAYS[1].isoformat(),
        "refusal tally",
    ),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_verify_index_names_the_bucket_of_a_tampered_rollup(
    engine: Engine, appended: Appended, name: str
) -> None:
    assert check_index(engine).ok
    statement, bucket, words = TAMPERS[name]
    with engine.begin() as conn:
        conn.execute(statement())
    report = check_index(engine)
    assert not report.ok
    assert report.day == bucket, report.summary()
    assert words in (report.problem or "")
    assert bucket in report.summary()


def test_entries_past_the_checkpoint_are_taken_off_the_tallies(
    engine: Engine, appended: Appended
) -> None:
    """The tallies hold the whole log; a checkpoint in the middle of a day counts only what
    precedes it: uses and answers after it are not counted, in a day bucket or a month's."""
    cut = next(s for s, t, d in appended.entries if t.startswith("2026-02-28T00:00:00.01"))
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT sum(uses) FROM ledger_use_tallies WHERE facet = 'all' AND bucket = :b"),
            {"b": "2026-02"},
        ).scalar_one()
    assert stored == 4
    figures, _ = _report(engine, ReportKind.opr, date(2026, 2, 1), date(2026, 2, 28), cut, Scope())
    assert figures["uses"] == 2
    _, tables = _report(
        engine, ReportKind.annual, date(2026, 2, 1), date(2026, 2, 28), cut, Scope()
    )
    # b's answer and c's failure came after the cut; a's answer was before it.
    assert tables["uses_by_outcome"] == {("no answer yet", 1), ("candidates returned", 1)}


def test_overdue_roi_entries_leave_out_uses_whose_exigent_approval_was_refused(
    engine: Engine,
) -> None:
    """memo 4.E.2, 4.C.3: an unfiled result is overdue unless its use's exigent approval was
    refused (its results may not be used), whoever's scope the report covers."""
    graphs = [store_graph.build(s) for s in ("a", "b", "c")]
    with unit_of_work(engine) as uow:
        for g in graphs:
            store_graph.store(uow, g)
    received = graphs[0].candidate_list.received_at
    window = Window(Period(received.date(), received.date()), 0, NOW)
    a, b, _ = graphs
    with engine.begin() as conn:
        conn.execute(delete(roi_entries))
        conn.execute(
            update(approvals).where(approvals.c.id == b.approval.id).values(status="denied")
        )
    with snapshot(engine) as uow:
        everyone = unfiled_roi(uow.conn, window, Scope(), 0, 10)
        own = unfiled_roi(uow.conn, window, Scope(a.supervisor.id), 0, 10)
        refused = unfiled_roi(uow.conn, window, Scope(b.supervisor.id), 0, 10)
    assert everyone[0] == 2
    assert sorted(r[0] for r in everyone[1]) == sorted(
        g.submission.id for g in graphs if g is not b
    )
    assert own[0] == 1
    assert [r[0] for r in own[1]] == [a.submission.id]
    assert refused == (0, [])
