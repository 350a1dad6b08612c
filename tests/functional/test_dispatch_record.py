"""The dispatch outcome entry binds the stored result (`details.record`): the list, whether it
is negative, the probe hashes and each candidate with its gallery reference as a SHA-256; and
the gallery photo date the FRS gave is stored with each candidate."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from harness import Gateway, Sandbox
from helpers import probe_for_result, submission_body

from frsgate.store.unit import read_only


def _outcome(gateway: Gateway, submission_id: str) -> dict[str, Any]:
    ledger = gateway.runtime.ledger
    entries = [json.loads(e) for e in ledger.entries(0, ledger.size())]
    (entry,) = [
        e
        for e in entries
        if e["event"] == "submission:dispatch:outcome" and e.get("submission") == submission_id
    ]
    return entry


def _submit(gateway: Gateway, *, negative: bool) -> tuple[str, list[str]]:
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=negative)
        sub = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert sub.status_code == 201, sub.text
    return sub.json()["submission"]["id"], [probe["sha256"]]


def test_outcome_entry_binds_every_stored_candidate(gateway: Gateway, sandbox: Sandbox) -> None:
    submission_id, probe_hashes = _submit(gateway, negative=False)
    entry = _outcome(gateway, submission_id)
    with read_only(gateway.runtime.engine) as uow:
        stored_list = uow.candidate_lists.get_by_submission(submission_id)
        stored = uow.candidates.of_list(stored_list.id)
    assert stored
    record = entry["details"]["record"]
    assert record == {
        "candidate_list_id": stored_list.id,
        "negative": False,
        "probe_sha256": probe_hashes,
        "candidates": [
            {
                "id": c.id,
                "rank": c.rank,
                "score": c.score,
                "gallery_ref_sha256": hashlib.sha256(c.gallery_ref.encode("utf-8")).hexdigest(),
                "image_sha256": c.image_sha256,
                "photo_taken_on": c.photo_taken_on.isoformat() if c.photo_taken_on else None,
            }
            for c in stored
        ],
    }
    # The earlier detail keys stay as they were.
    assert entry["details"]["candidate_list"] == stored_list.id
    assert entry["details"]["scores"] == [c.score for c in stored]
    # The gallery reference itself never enters the ledger.
    assert all(c.gallery_ref not in json.dumps(entry) for c in stored)
    # The sandbox's photo dates are stored with the candidates.
    gallery = sandbox.app.state.sandbox.gallery
    for c in stored:
        index = gallery.index_of(c.gallery_ref)
        assert index is not None
        assert c.photo_taken_on == gallery.photo_taken_on(index)


def test_a_negative_outcome_binds_an_empty_list(gateway: Gateway) -> None:
    submission_id, probe_hashes = _submit(gateway, negative=True)
    record = _outcome(gateway, submission_id)["details"]["record"]
    with read_only(gateway.runtime.engine) as uow:
        stored_list = uow.candidate_lists.get_by_submission(submission_id)
    assert record == {
        "candidate_list_id": stored_list.id,
        "negative": True,
        "probe_sha256": probe_hashes,
        "candidates": [],
    }
