"""The ledger's index rows (`ledger_index`, `ledger_refusals`): written with each entry in
the appender's transaction, equal to what the stored entry says, gone with a rolled-back act,
and rebuilt from the entries by revision 0007 on a store that predates them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ORIGIN, make_draft
from sqlalchemy import Engine, select, text

from frsgate.ledger import Actor, Citation, EntryDraft, EventTag, Ledger, Outcome
from frsgate.ledger.index import rows_of_entry
from frsgate.ledger.notes import CheckpointSigner
from frsgate.store.engine import make_engine
from frsgate.store.migrate import downgrade, upgrade
from frsgate.store.schema.ledger import ledger_entries, ledger_index, ledger_refusals
from frsgate.store.unit import unit_of_work

DENIED = dict(
    event=EventTag.SUBMISSION_DISPATCH_INTENT,
    outcome=Outcome.DENIED,
    citations=[
        Citation("purpose.case_assignment", "4.B.1", "not assigned"),
        Citation("probe.witness_approval", "4.B.2", "needs a supervisor"),
    ],
)


def _stored(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        index = [tuple(r) for r in conn.execute(select(ledger_index).order_by("seq"))]
        refusals = [
            tuple(r) for r in conn.execute(select(ledger_refusals).order_by("seq", "ordinal"))
        ]
    return index, refusals


def _expected(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    index: list[tuple[Any, ...]] = []
    refusals: list[tuple[Any, ...]] = []
    with engine.connect() as conn:
        for (entry,) in conn.execute(select(ledger_entries.c.entry).order_by("seq")):
            row, refused = rows_of_entry(json.loads(bytes(entry)))
            index.append(row)
            refusals.extend(refused)
    return index, refusals


def _drafts() -> list[EntryDraft]:
    return [
        make_draft(0),
        make_draft(1, **DENIED),
        make_draft(2, case=None, submission=None, provider=None, program_code="FRS-7"),
        make_draft(3, actor=Actor.system(), outcome=Outcome.UNKNOWN),
    ]


def test_group_commit_writes_one_index_row_per_entry(ledger: Ledger, engine: Engine) -> None:
    ledger.append_many(_drafts())
    ledger.append(make_draft(4, **DENIED))
    index, refusals = _stored(engine)
    assert (index, refusals) == _expected(engine)
    assert [r[0] for r in index] == [0, 1, 2, 3, 4]
    first = index[0]
    assert first[2:] == (
        "submission:dispatch:intent", "allowed", "user-0", "agent", "submission:0",
        "HSI-2026-0001", "s-0", "sandbox", None,
    )  # fmt: skip
    # Only denials repeat their citations, each with its memo section, in order.
    assert [(s, o, sec) for s, o, _, sec in refusals] == [
        (1, 0, "4.B.1"), (1, 1, "4.B.2"), (4, 0, "4.B.1"), (4, 1, "4.B.2"),
    ]  # fmt: skip
    assert index[2][7:] == (None, None, None, "FRS-7")


def test_an_act_and_its_index_rows_commit_or_roll_back_together(
    ledger: Ledger, engine: Engine
) -> None:
    with unit_of_work(engine) as uow:
        ledger.append_in(uow.conn, [make_draft(0)])

    def failing_act() -> None:
        with unit_of_work(engine) as uow:
            ledger.append_in(uow.conn, [make_draft(1, **DENIED)])
            raise RuntimeError("the act failed after its entries were written")

    with pytest.raises(RuntimeError):
        failing_act()
    with unit_of_work(engine) as uow:
        ledger.append_in(uow.conn, [make_draft(2, **DENIED)])
    index, refusals = _stored(engine)
    assert (index, refusals) == _expected(engine)
    assert [r[0] for r in index] == [0, 1]
    assert {r[0] for r in refusals} == {1}


def test_revision_0007_fills_the_index_of_entries_already_stored(
    database_url: str, signer: CheckpointSigner
) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with Ledger(engine, signer=signer, origin=ORIGIN) as led:
            led.append_many([make_draft(n, **(DENIED if n % 3 == 0 else {})) for n in range(25)])
        written = _stored(engine)
        downgrade(engine, "0006")
        with engine.connect() as conn:
            gone = conn.execute(text("SELECT COUNT(*) FROM ledger_entries")).scalar_one()
        assert gone == 25  # going back drops the index, never an entry
        upgrade(engine)
        assert _stored(engine) == written == _expected(engine)
        assert len(written[0]) == 25
        assert len(written[1]) == 2 * 9
    finally:
        engine.dispose()
