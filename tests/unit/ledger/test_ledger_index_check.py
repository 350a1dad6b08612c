"""`check_index`: every way the index can disagree with the entries is named at its seq."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import make_draft
from sqlalchemy import Engine, delete, insert, update

from frsgate.ledger import Citation, Ledger, Outcome
from frsgate.ledger.index_check import check_index
from frsgate.store.schema.ledger import ledger_index, ledger_refusals

DENIED = {"outcome": Outcome.DENIED, "citations": [Citation("r.x", "4.B.1", "no")]}


@pytest.fixture
def filled(ledger: Ledger, engine: Engine) -> Engine:
    ledger.append_many([make_draft(i, **(DENIED if i % 4 == 0 else {})) for i in range(20)])
    return engine


def test_an_untouched_index_checks(filled: Engine) -> None:
    seen: list[tuple[int, int]] = []
    report = check_index(filled, progress=lambda done, total: seen.append((done, total)))
    assert report.ok, report.summary()
    assert report.size == 20
    assert seen[-1] == (20, 20)


TAMPERS: dict[str, tuple[Callable[[], object], int, str]] = {
    "changed actor": (
        lambda: update(ledger_index).where(ledger_index.c.seq == 6).values(actor_id="someone"),
        6,
        "actor_id",
    ),
    "removed row": (lambda: delete(ledger_index).where(ledger_index.c.seq == 9), 9, "no index"),
    "removed refusal": (
        lambda: delete(ledger_refusals).where(ledger_refusals.c.seq == 8),
        8,
        "refusal rows differ",
    ),
    "refusal added to an allowed entry": (
        lambda: insert(ledger_refusals).values(seq=3, ordinal=0, rule="r.y", section="4.A"),
        3,
        "refusal rows differ",
    ),
    "row beyond the head": (
        lambda: insert(ledger_index).values(
            seq=20,
            at="2026-01-01T00:00:00.00Z",
            event="e",
            outcome="allowed",
            actor_id="a",
            actor_role="agent",
            subject="s",
        ),
        20,
        "names no entry",
    ),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_a_tampered_index_is_named_at_its_seq(filled: Engine, name: str) -> None:
    statement, seq, words = TAMPERS[name]
    with filled.begin() as conn:
        conn.execute(statement())  # type: ignore[call-overload]
    report = check_index(filled)
    assert not report.ok
    assert report.first_bad_seq == seq
    assert words in (report.problem or "")
