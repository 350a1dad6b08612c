"""The main job end to end over HTTP: intake, the gate, approvals, dispatch, candidate lists."""

from __future__ import annotations

import json

from conftest import Gateway
from helpers import post_probe, submission_body
from images import astronaut_jpeg

from frsgate.ledger.verify import verify_ledger


def _events(gateway: Gateway) -> list[dict[str, object]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(0, ledger.size())]


def test_allowed_one_to_many_search(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        created = post_probe(alice, astronaut_jpeg())
        assert created.status_code == 201, created.text
        probe = created.json()
        assert probe["status"] == "active"
        assert probe["decision"]["decision"] == "allow"

        sub = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert sub.status_code == 201, sub.text
        body = sub.json()
        assert body["submission"]["status"] == "completed"

        listing = alice.get(f"/api/v1/submissions/{body['submission']['id']}/candidates")
        assert listing.status_code == 200, listing.text
        page = listing.json()
    assert page["investigative_lead_only"] is True
    assert page["notice"] == "Not a positive identification — memo 4.D.2"
    assert page["candidate_list"]["sandbox"] is True
    events = [e["event"] for e in _events(gateway)]
    for tag in (
        "probe:record:create",
        "submission:dispatch:intent",
        "submission:dispatch:outcome",
        "candidates:list:view",
    ):
        assert tag in events
    assert events.index("submission:dispatch:intent") < events.index("submission:dispatch:outcome")
    report = verify_ledger(gateway.runtime.engine, gateway.runtime.ledger.signer.verifier)
    assert report.ok, report
