"""The plain functions behind `GET /api/v1/ledger/...` return the contract's JSON shapes."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from frsgate.errors import ValidationFailed
from frsgate.ledger import EntryDraft, Ledger, verify_consistency, verify_inclusion
from frsgate.ledger.http import (
    MAX_ENTRIES_PER_PAGE,
    checkpoint_json,
    consistency_json,
    entries_json,
    inclusion_json,
)
from frsgate.ledger.merkle import leaf_hash
from frsgate.ledger.notes import CheckpointSigner, open_checkpoint

Draft = Callable[..., EntryDraft]


def test_checkpoint_follows_the_head(
    ledger: Ledger, signer: CheckpointSigner, draft: Draft
) -> None:
    first = checkpoint_json(ledger)
    assert first["tree_size"] == 0
    ledger.append(draft(0))
    second = checkpoint_json(ledger)
    assert second["tree_size"] == 1
    assert checkpoint_json(ledger) == second
    opened = open_checkpoint(signer.verifier, second["note"], origin=ledger.origin)
    assert base64.b64encode(opened.root).decode() == second["root"]


def test_entries_pages(ledger: Ledger, draft: Draft) -> None:
    ledger.append_many([draft(i) for i in range(5)])
    page = entries_json(ledger, 1, 3)
    assert (page["start"], page["end"], page["tree_size"]) == (1, 3, 5)
    assert [e["seq"] for e in page["entries"]] == [1, 2]
    for item in page["entries"]:
        raw = item["entry"].encode()
        assert raw == ledger.entry(item["seq"])
        assert base64.b64decode(item["leaf_hash"]) == leaf_hash(raw)
    assert entries_json(ledger, 4)["end"] == 5
    assert entries_json(ledger, 9)["entries"] == []
    for start, end in ((-1, 2), (3, 2), (0, MAX_ENTRIES_PER_PAGE + 1)):
        with pytest.raises(ValidationFailed):
            entries_json(ledger, start, end)


def test_proofs(ledger: Ledger, draft: Draft) -> None:
    ledger.append_many([draft(i) for i in range(11)])
    inc = inclusion_json(ledger, 4, 10)
    assert set(inc) == {"leaf_index", "tree_size", "hashes"}
    verify_inclusion(
        4,
        10,
        leaf_hash(ledger.entry(4)),
        [base64.b64decode(h) for h in inc["hashes"]],
        ledger.root(10),
    )
    con = consistency_json(ledger, 6, 11)
    assert (con["first_size"], con["tree_size"]) == (6, 11)
    verify_consistency(
        6, 11, [base64.b64decode(h) for h in con["hashes"]], ledger.root(6), ledger.root(11)
    )
    with pytest.raises(ValidationFailed):
        inclusion_json(ledger, 11)
