"""Appends inside the caller's transaction: the act and its record commit together or not at
all, and they interleave with group-committed appends without a gap, fork or duplicate seq."""

from __future__ import annotations

import json
import threading

import pytest
from conftest import make_draft
from sqlalchemy import Engine, text

from frsgate.ledger import Ledger
from frsgate.ledger.merkle import leaf_hash, root_from_leaves
from frsgate.ledger.notes import CheckpointSigner
from frsgate.ledger.verify import verify_ledger


def _seqs(ledger: Ledger) -> list[int]:
    return [json.loads(e)["seq"] for e in ledger.entries(0, ledger.size())]


def test_commits_with_the_callers_transaction(engine: Engine, ledger: Ledger) -> None:
    ledger.append(make_draft(0))
    with engine.begin() as conn:
        seqs = ledger.append_in(conn, [make_draft(1), make_draft(2)])
        assert seqs == [1, 2]
        assert ledger.size() == 1  # not visible outside the transaction yet
    assert ledger.size() == 3
    assert ledger.append(make_draft(3)) == 3
    assert _seqs(ledger) == [0, 1, 2, 3]


def test_rolls_back_with_the_callers_transaction(
    engine: Engine, ledger: Ledger, signer: CheckpointSigner
) -> None:
    ledger.append(make_draft(0))

    def act_that_fails() -> None:
        with engine.begin() as conn:
            ledger.append_in(conn, [make_draft(1)])
            conn.execute(text("SELECT 1"))
            raise RuntimeError("the act failed: neither it nor its record may remain")

    with pytest.raises(RuntimeError):
        act_that_fails()
    assert ledger.size() == 1
    assert ledger.append(make_draft(2)) == 1  # the number was never handed out
    with engine.begin() as conn:
        assert ledger.append_in(conn, [make_draft(3)]) == [2]
    entries = ledger.entries(0, 3)
    assert ledger.root() == root_from_leaves([leaf_hash(e) for e in entries])
    assert verify_ledger(engine, signer.verifier).ok


def test_interleaves_with_group_commits(
    engine: Engine, ledger: Ledger, signer: CheckpointSigner
) -> None:
    errors: list[BaseException] = []

    def grouped(base: int) -> None:
        try:
            for i in range(40):
                ledger.append(make_draft(base + i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def in_transaction(base: int) -> None:
        try:
            for i in range(40):
                with engine.begin() as conn:
                    ledger.append_in(conn, [make_draft(base + i), make_draft(base + i + 1000)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=grouped, args=(k * 100,)) for k in range(3)]
    threads += [threading.Thread(target=in_transaction, args=(10_000 + k * 100,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    size = ledger.size()
    assert size == 3 * 40 + 3 * 80
    assert _seqs(ledger) == list(range(size))
    assert ledger.root() == root_from_leaves([leaf_hash(e) for e in ledger.entries(0, size)])
    ledger.checkpoint()
    assert verify_ledger(engine, signer.verifier).ok
