"""The ledger's daily roll-ups (`ledger_use_days`, `ledger_refusal_days`) against the index.

A fixture of three stored graphs and a ledger whose entries fall on both sides of midnight
(23:59:59.99 and 00:00:00.00 of the next day), with one submission used on three days, a use
of a program without a case, a use naming no stored submission, refusals citing curable and
uncurable rules, two rules of one section and one rule twice, and a refusal by an actor who is
no user. Over every period of its days and every checkpoint size (so a checkpoint that ends the
window in the middle of a day, before the log's end), the OPR and annual reports computed from
the roll-ups equal the ones computed from the index alone, and their figures equal a count made
here from the drafts themselves. The period of a report is whole UTC days (`Period`), so the
middle of a day is where a checkpoint cuts it.

Then: the appender's roll-ups equal a fill from the index (`backfill`, what revision 0011
runs), that revision fills them on a store that has entries, and `verify --index` names the
day of a changed, removed or added roll-up row. Last, the overdue report-of-investigation
entries, whose query the supervisor's report at 10^7 entries spent a minute on, still leave out
the uses whose exigent approval was refused.
"""

from __future__ import annotations

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
from frsgate.ledger.rollup import backfill
from frsgate.reports.oversight.build import Inputs, PackIdentity, build
from frsgate.reports.oversight.model import Figure, Period, ReportKind, Table
from frsgate.reports.oversight.queries.leads import unfiled_roi
from frsgate.reports.oversight.queries.window import Scope, Window
from frsgate.store.engine import make_engine
from frsgate.store.migrate import downgrade, upgrade
from frsgate.store.schema.core import approvals, roi_entries
from frsgate.store.schema.ledger import ledger_refusal_days, ledger_use_days
from frsgate.store.unit import snapshot, unit_of_work

ORIGIN = "frsgate.test/rollups"
INTENT = EventTag.SUBMISSION_DISPATCH_INTENT
CURES = frozenset({"probe.witness_approval"})
DAYS = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
NOW = datetime(2026, 4, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Appended:
    """What the fixture wrote: each entry's (seq, time, draft), and the graphs' ids."""

    entries: list[tuple[int, str, EntryDraft]]
    submissions: set[str]


def _at(day: int, clock: str) -> datetime:
    return datetime.fromisoformat(f"{DAYS[day].isoformat()}T{clock}+00:00")


def _intent(
    g: store_graph.Graph, *, submission: str | None = None, case: bool = True
) -> EntryDraft:
    return EntryDraft(
        event=INTENT, actor=Actor(g.agent.id, "agent"), outcome=Outcome.ALLOWED,
        subject=f"submission:{submission or g.submission.id}", component="services.dispatch",
        source="127.0.0.1", case=g.case.number if case else None,
        submission=submission or g.submission.id, provider=g.provider.id,
        program_code=None if case else g.program.code, details={"n": 1},
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
    """(when, drafts appended together), in order; midnight on both sides of each day."""
    open_case, assignment = ("purpose.case_open", "4.A.1"), ("purpose.case_assignment", "4.A.1")
    member, witness = ("purpose.program_member", "4.A.1"), ("probe.witness_approval", "4.B.2")
    return [
        (_at(0, "12:00:00"), [_intent(a), _intent(b, submission="sub-ghost")]),
        (_at(0, "23:59:59.990000"), [_refused(a.agent.id, open_case), _intent(a)]),
        (_at(1, "00:00:00"), [_intent(a), _refused(a.agent.id, witness)]),
        (_at(1, "12:00:00"), [_intent(b), _refused(b.agent.id, witness, assignment)]),
        (_at(1, "12:00:00.010000"), [_intent(c, case=False)]),
        (_at(1, "23:59:59.990000"), [_refused(b.agent.id, assignment, member, assignment)]),
        (_at(2, "00:00:00"), [_refused(c.agent.id, ("provider.not_approved", "4.C.3"))]),
        (_at(2, "00:00:00.010000"), [_intent(a), _intent(b)]),
        (_at(2, "06:00:00"), [_refused("usr_nobody", open_case), _intent(c, case=False)]),
    ]


def _fill(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Appended:
    graphs = [store_graph.build(s) for s in ("a", "b", "c")]
    with unit_of_work(engine) as uow:
        for g in graphs:
            store_graph.store(uow, g)
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
    return Appended(entries, {g.submission.id for g in graphs})


@pytest.fixture
def appended(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Appended:
    return _fill(engine, monkeypatch)


def _report(
    engine: Engine, kind: ReportKind, first: date, last: date, size: int, *, rollups: bool
) -> tuple[list[Figure], list[Table]]:
    inputs = Inputs(
        window=Window(Period(first, last), size, NOW), scope=Scope(), cures=CURES,
        roi_deadline_days=30, pack=PackIdentity("hsi", "1", "ab" * 32, "pack:hsi"),
        rollups=rollups,
    )  # fmt: skip
    with snapshot(engine) as uow:
        return build(kind, uow.conn, inputs, lambda _: None)


def _periods() -> Iterator[tuple[date, date]]:
    for i, first in enumerate(DAYS):
        for last in DAYS[i:]:
            yield first, last


def _counted(appended: Appended, first: date, last: date, size: int) -> dict[str, Any]:
    """The figures counted here from the drafts: uses (distinct stored submissions with an
    intent in the window), decisions refused outright and held, refused decisions by section."""
    inside = [
        (seq, d) for seq, time, d in appended.entries
        if seq < size and first.isoformat() <= time[:10] <= last.isoformat()
    ]  # fmt: skip
    used = {d.submission for _, d in inside if d.event is INTENT} & appended.submissions
    refused = held = 0
    sections: dict[str, int] = {}
    for _, d in inside:
        if d.outcome is not Outcome.DENIED:
            continue
        cited = [c for c in d.citations if isinstance(c, Citation)]
        if {c.rule for c in cited} <= CURES:
            held += 1
            continue
        refused += 1
        for section in {c.section for c in cited}:
            sections[section] = sections.get(section, 0) + 1
    return {"uses": len(used), "refused": refused, "held": held, "sections": sections}


@pytest.mark.parametrize("kind", [ReportKind.opr, ReportKind.annual])
def test_reports_from_the_rollups_equal_the_index_and_a_count_of_the_drafts(
    engine: Engine, appended: Appended, kind: ReportKind
) -> None:
    total = len(appended.entries)
    seen_uses: set[int] = set()
    for first, last in _periods():
        for size in range(total + 1):
            rolled = _report(engine, kind, first, last, size, rollups=True)
            direct = _report(engine, kind, first, last, size, rollups=False)
            assert rolled == direct, (first, last, size)
            figures = {f.key: f.value for f in rolled[0]}
            tables = {t.key: t for t in rolled[1]}
            counted = _counted(appended, first, last, size)
            assert figures["uses"] == counted["uses"], (first, last, size)
            assert figures["refused"] == counted["refused"], (first, last, size)
            assert figures["held_for_approval"] == counted["held"], (first, last, size)
            by_section = {str(r[0]): r[1] for r in tables["refusals_by_section"].rows}
            assert by_section == counted["sections"], (first, last, size)
            seen_uses.add(int(figures["uses"] or 0))
    # The fixture reaches every count of uses from none to all three submissions.
    assert seen_uses == {0, 1, 2, 3}


def _stored(engine: Engine) -> tuple[list[Any], list[Any]]:
    with engine.connect() as conn:
        uses = sorted(tuple(r) for r in conn.execute(select(ledger_use_days)))
        refusals = sorted(tuple(r) for r in conn.execute(select(ledger_refusal_days)))
    return uses, refusals


def test_the_appender_keeps_what_a_fill_from_the_index_gives(
    engine: Engine, appended: Appended
) -> None:
    kept = _stored(engine)
    # One submission used on three days is three rows; '' stands for a use without a case.
    days = [r[0] for r in kept[0] if r[1] == "sub_a"]
    assert days == [d.isoformat() for d in DAYS]
    assert any(r[3] == "" for r in kept[0])
    with engine.begin() as conn:
        conn.execute(delete(ledger_use_days))
        conn.execute(delete(ledger_refusal_days))
        backfill(conn)
    assert _stored(engine) == kept
    assert check_index(engine).ok


def test_revision_0011_fills_the_rollups_of_a_store_with_entries(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        appended = _fill(engine, monkeypatch)
        kept = _stored(engine)
        assert kept[0]
        assert kept[1]
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
            day="2026-02-28", submission_id="sub_a", provider_id="prv_a", case_number="", entries=1
        ),
        "2026-02-28",
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
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_verify_index_names_the_day_of_a_tampered_rollup(
    engine: Engine, appended: Appended, name: str
) -> None:
    assert check_index(engine).ok
    statement, day, words = TAMPERS[name]
    with engine.begin() as conn:
        conn.execute(statement())
    report = check_index(engine)
    assert not report.ok
    assert report.day == day, report.summary()
    assert words in (report.problem or "")
    assert day in report.summary()


def test_entries_past_the_checkpoint_are_taken_off_the_rollups(
    engine: Engine, appended: Appended
) -> None:
    """The roll-ups hold the whole log; a checkpoint in the middle of the last day counts only
    what precedes it: the last day's uses after it are not counted."""
    last_day = [s for s, t, _ in appended.entries if t.startswith(DAYS[2].isoformat())]
    cut = last_day[1]  # after the first refusal of the day, before its uses
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM ledger_use_days WHERE day = :d"), {"d": DAYS[2].isoformat()}
        ).scalar_one()
    assert stored > 0
    figures, _ = _report(engine, ReportKind.opr, DAYS[2], DAYS[2], cut, rollups=True)
    assert {f.key: f.value for f in figures}["uses"] == 0


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
