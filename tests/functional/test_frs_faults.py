"""FRS faults: a timeout, a 5xx, a malformed body, a slow answer, a breach of the provider's
terms. Each leaves the intent and the outcome in the ledger and a clear submission status; a
crash between the two becomes `outcome_unknown` at the next start."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import Gateway, Sandbox
from helpers import post_probe, submission_body
from images import astronaut_jpeg

from frsgate.domain import SubmissionStatus
from frsgate.ledger.verify import verify_ledger
from frsgate.store.unit import unit_of_work


def _outcomes(gateway: Gateway, submission_id: str) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    entries = [json.loads(e) for e in ledger.entries(0, ledger.size())]
    return [e for e in entries if e.get("submission") == submission_id]


FAULTS = [
    ("timeout", "delay_ms=3000", "frs_timeout"),
    ("server error", "status=500", "frs_unavailable"),
    ("unavailable", "status=503", "frs_unavailable"),
    ("malformed body", "malformed", "frs_protocol_error"),
    ("wrong schema", "wrong_schema", "frs_protocol_error"),
    ("slow trickle", "trickle_ms=900", "frs_timeout"),
    ("over the cap", "extra_candidates=50", "frs_terms_violation"),
]


@pytest.mark.parametrize(("label", "spec", "code"), FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_leaves_intent_outcome_and_status(
    gateway: Gateway, sandbox: Sandbox, label: str, spec: str, code: str
) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        sandbox.inject(spec)
        response = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        sandbox.inject("")
    assert response.status_code == 201, response.text
    sub = response.json()["submission"]
    assert sub["status"] == "failed", (label, sub)
    assert sub["status_reason"].startswith(code), (label, sub["status_reason"])
    events = [(e["event"], e["outcome"]) for e in _outcomes(gateway, sub["id"])]
    assert ("submission:dispatch:intent", "succeeded") in events
    assert ("submission:dispatch:outcome", "failed") in events
    failed = next(e for e in _outcomes(gateway, sub["id"]) if e["outcome"] == "failed")
    assert failed["details"]["error"] == code


def test_retry_after_503_reuses_the_idempotency_key_and_succeeds(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        sandbox.inject("status=503,fail_times=1")
        response = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert response.json()["submission"]["status"] == "completed", response.text
    assert response.json()["submission"]["attempts"] == 2


def test_crash_between_intent_and_outcome_becomes_outcome_unknown(gateway: Gateway) -> None:
    runtime = gateway.runtime
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        done = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
    # Simulate a process that died after marking the submission dispatching.
    with unit_of_work(runtime.engine) as uow:
        sub = uow.submissions.get(done["submission"]["id"])
        uow.conn.execute(
            uow.submissions.table.update()
            .where(uow.submissions.table.c.id == sub.id)
            .values(status=SubmissionStatus.dispatching.value)
        )
    assert runtime.dispatcher.recover_interrupted() == [sub.id]
    with unit_of_work(runtime.engine) as uow:
        assert uow.submissions.get(sub.id).status is SubmissionStatus.outcome_unknown
    unknown = [e for e in _outcomes(gateway, sub.id) if e["outcome"] == "unknown"]
    assert unknown[0]["event"] == "submission:dispatch:outcome_unknown"
    assert unknown[0]["details"]["queued_for"] == "supervisor"
    assert verify_ledger(runtime.engine, runtime.ledger.signer.verifier).ok


def test_ledger_that_cannot_append_sends_nothing(gateway: Gateway, sandbox: Sandbox) -> None:
    runtime = gateway.runtime
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        before = len(sandbox.app.state.sandbox.seen)
        runtime.ledger.close()  # a ledger that refuses appends
        response = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert response.status_code == 503, response.text
    assert "ledger" in response.json()["message"]
    assert len(sandbox.app.state.sandbox.seen) == before
