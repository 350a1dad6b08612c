"""The main job end to end over HTTP: intake, the gate, approvals, dispatch, candidate lists."""

from __future__ import annotations

import json

from harness import Gateway
from helpers import probe_for_result, submission_body

from frsgate.ledger.verify import verify_ledger


def _events(gateway: Gateway) -> list[dict[str, object]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(0, ledger.size())]


def test_allowed_one_to_many_search(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
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
    assert page["candidate_list"]["negative"] is False
    assert page["candidate_list"]["database"] == "frsgate-sandbox-synthetic"
    ranks = [c["rank"] for c in page["candidates"]]
    assert ranks == list(range(1, len(ranks) + 1))
    assert ranks
    scores = [c["score"] for c in page["candidates"]]
    assert scores == sorted(scores, reverse=True)
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


def test_negative_result_is_a_result_and_is_recorded(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=True)
        sub = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
        assert sub["submission"]["status"] == "completed"
        page = alice.get(f"/api/v1/submissions/{sub['submission']['id']}/candidates").json()
    assert page["candidates"] == []
    assert page["candidate_list"]["negative"] is True
    assert page["investigative_lead_only"] is True
    outcome = next(e for e in _events(gateway) if e["event"] == "submission:dispatch:outcome")
    assert outcome["details"]["negative"] is True  # type: ignore[index]
    assert outcome["details"]["list_size"] == 0  # type: ignore[index]
