"""The ledger over a real database: appends, roots, proofs and checkpoints agree with the
pure Merkle math, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select

from frsgate.errors import NotFound, StoreError, ValidationFailed
from frsgate.ledger import (
    EntryDraft,
    Ledger,
    leaf_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from frsgate.ledger.entry import entry_seq
from frsgate.ledger.log import PeriodicCheckpointer
from frsgate.ledger.merkle import EMPTY_ROOT, complete_levels
from frsgate.ledger.notes import CheckpointSigner, open_checkpoint
from frsgate.store.schema.ledger import ledger_checkpoints, ledger_nodes

Draft = Callable[..., EntryDraft]


def test_empty_ledger(ledger: Ledger) -> None:
    assert ledger.size() == 0
    assert ledger.root() == EMPTY_ROOT
    assert ledger.root(0) == EMPTY_ROOT
    assert ledger.latest_checkpoint() is None
    with pytest.raises(NotFound):
        ledger.entry(0)


def test_appends_are_numbered_and_entries_canonical(ledger: Ledger, draft: Draft) -> None:
    seqs = [ledger.append(draft(i)) for i in range(5)]
    assert seqs == [0, 1, 2, 3, 4]
    assert ledger.append_many([draft(5), draft(6)]) == [5, 6]
    assert ledger.append_many([]) == []
    for seq in range(7):
        raw = ledger.entry(seq)
        body = json.loads(raw)
        assert body["seq"] == seq == entry_seq(raw)
        assert body["v"] == 1
        assert body["details"]["n"] == seq
        assert json.dumps(body, sort_keys=True, separators=(",", ":")).encode() == raw
        assert body["time"].endswith("Z")
        assert len(body["time"]) == len("2026-11-26T06:31:35.12Z")
    assert ledger.entries(2, 4) == [ledger.entry(2), ledger.entry(3)]
    assert [s for s, _ in ledger.iter_entries(1, 6)] == [1, 2, 3, 4, 5]


def test_roots_and_proofs_match_a_recomputation(ledger: Ledger, draft: Draft) -> None:
    ledger.append_many([draft(i) for i in range(37)])
    for i in range(37, 70):
        ledger.append(draft(i))
    size = ledger.size()
    leaves = [leaf_hash(ledger.entry(s)) for s in range(size)]
    assert ledger.root() == root_from_leaves(leaves)
    for tree_size in (1, 2, 3, 16, 33, 64, 69, 70):
        root = ledger.root(tree_size)
        assert root == root_from_leaves(leaves[:tree_size])
        for index in {0, tree_size // 2, tree_size - 1}:
            proof = ledger.inclusion_proof(index, tree_size)
            verify_inclusion(index, tree_size, leaves[index], proof.hashes, root)
        for first in {1, tree_size // 3 or 1, tree_size}:
            cproof = ledger.consistency_proof(first, tree_size)
            verify_consistency(first, tree_size, cproof.hashes, ledger.root(first), root)


def test_every_complete_subtree_is_stored(ledger: Ledger, engine: Engine, draft: Draft) -> None:
    ledger.append_many([draft(i) for i in range(21)])
    leaves = [leaf_hash(ledger.entry(s)) for s in range(21)]
    levels = complete_levels(leaves)
    with engine.connect() as conn:
        rows = conn.execute(select(ledger_nodes.c.level, ledger_nodes.c.idx, ledger_nodes.c.hash))
        stored = {(lv, i): bytes(h) for lv, i, h in rows}
    expected = {(lv, i): h for lv in range(1, len(levels)) for i, h in enumerate(levels[lv])}
    assert stored == expected


def test_bad_ranges_are_refused(ledger: Ledger, draft: Draft) -> None:
    ledger.append_many([draft(i) for i in range(4)])
    with pytest.raises(ValidationFailed):
        ledger.inclusion_proof(4)
    with pytest.raises(ValidationFailed):
        ledger.inclusion_proof(0, 5)
    with pytest.raises(ValidationFailed):
        ledger.consistency_proof(0, 4)
    with pytest.raises(ValidationFailed):
        ledger.consistency_proof(3, 2)
    with pytest.raises(ValidationFailed):
        ledger.root(9)
    with pytest.raises(ValidationFailed):
        ledger.entries(3, 1)


def test_checkpoint_is_signed_stored_and_reissued_identically(
    ledger: Ledger, engine: Engine, signer: CheckpointSigner, draft: Draft
) -> None:
    ledger.append_many([draft(i) for i in range(3)])
    signed = ledger.checkpoint()
    assert signed.tree_size == 3
    assert signed.root == ledger.root()
    lines = signed.note.split("\n")
    assert lines[:3] == [ledger.origin, "3", signed.to_json()["root"]]
    assert lines[3] == ""
    assert lines[4].startswith("\u2014 " + signer.name + " ")
    assert open_checkpoint(signer.verifier, signed.note, origin=ledger.origin) == signed
    assert ledger.checkpoint() == signed  # same size: the stored one, not a second row
    assert ledger.latest_checkpoint() == signed
    ledger.append(draft(3))
    assert ledger.checkpoint().tree_size == 4
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ledger_checkpoints)).scalar() == 2


def test_periodic_checkpointer_issues_only_when_grown(ledger: Ledger, draft: Draft) -> None:
    checkpointer = PeriodicCheckpointer(ledger, interval_seconds=0.05)
    assert checkpointer.run_once() is not None  # first one, even of the empty tree
    assert checkpointer.run_once() is None
    ledger.append(draft(0))
    issued = checkpointer.run_once()
    assert issued is not None
    assert issued.tree_size == 1
    ledger.append(draft(1))
    checkpointer.start()
    try:
        for _ in range(200):
            latest = ledger.latest_checkpoint()
            if latest is not None and latest.tree_size == 2:
                break
            threading.Event().wait(0.02)
    finally:
        checkpointer.stop()
    latest = ledger.latest_checkpoint()
    assert latest is not None
    assert latest.tree_size == 2


def test_two_ledgers_on_one_database_share_one_sequence(
    engine: Engine, signer: CheckpointSigner, draft: Draft
) -> None:
    with (
        Ledger(engine, signer=signer, origin="o") as a,
        Ledger(engine, signer=signer, origin="o") as b,
    ):
        got = [a.append(draft(0)), b.append(draft(1)), a.append(draft(2)), b.append(draft(3))]
        assert got == [0, 1, 2, 3]
        leaves = [leaf_hash(a.entry(s)) for s in range(4)]
        assert a.root() == b.root() == root_from_leaves(leaves)


def test_closed_ledger_refuses_appends(
    engine: Engine, signer: CheckpointSigner, draft: Draft
) -> None:
    led = Ledger(engine, signer=signer, origin="o")
    led.close()
    led.close()
    with pytest.raises(StoreError):
        led.append(draft(0))
