"""The submission gate over HTTP: witness approvals, exigent use, denials with citations,
separation of duties, authentication, and the record each leaves in the ledger."""

from __future__ import annotations

import json
from typing import Any

import httpx
from harness import Gateway
from helpers import DEMO_PROGRAM, exigent_body, post_probe, submission_body
from images import astronaut_jpeg

from frsgate.ledger.verify import verify_ledger


def _entries(gateway: Gateway) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(0, ledger.size())]


def _probe(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = post_probe(client, astronaut_jpeg(), **overrides)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _sections(response: httpx.Response) -> set[str]:
    return {c["section"] for c in response.json()["decision"]["citations"]}


def test_witness_probe_needs_approval_then_is_dispatched(gateway: Gateway) -> None:
    with gateway.client("alice") as alice, gateway.client("sam") as sam:
        probe = _probe(
            alice,
            subject_role="witness",
            other_methods_exhausted="interviews and records checks found no name",
        )
        assert probe["status"] == "pending_approval"
        assert probe["decision"]["decision"] == "needs_approval"
        assert probe["decision"]["approver_role"] == "supervisor"
        [approval] = probe["approvals"]

        waiting = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert waiting.status_code == 202, waiting.text
        assert waiting.json()["decision"]["decision"] == "needs_approval"
        sub_id = waiting.json()["submission"]["id"]
        assert waiting.json()["submission"]["status"] == "pending_approval"

        queue = sam.get("/api/v1/approvals").json()["approvals"]
        assert approval["id"] in {a["id"] for a in queue}
        decided = sam.post(
            f"/api/v1/approvals/{approval['id']}/decision",
            json={"approve": True, "note": "other methods exhausted; approved"},
        )
        assert decided.status_code == 200, decided.text
        [dispatched] = decided.json()["dispatched"]
        assert dispatched["id"] == sub_id
        assert dispatched["status"] == "completed"
        assert alice.get(f"/api/v1/submissions/{sub_id}/candidates").status_code == 200
    assert verify_ledger(gateway.runtime.engine, gateway.runtime.ledger.signer.verifier).ok


def test_self_approval_is_refused(gateway: Gateway) -> None:
    # sam is both an agent and a supervisor: he may not approve his own witness probe.
    with gateway.client("sam") as sam:
        probe = _probe(
            sam, subject_role="witness", other_methods_exhausted="records checks exhausted"
        )
        [approval] = probe["approvals"]
        refused = sam.post(f"/api/v1/approvals/{approval['id']}/decision", json={"approve": True})
    assert refused.status_code == 403, refused.text
    assert "4.B.2" in _sections(refused)
    decisions = [e for e in _entries(gateway) if e["event"] == "policy:decision:evaluate"]
    assert decisions[-1]["outcome"] == "denied"
    assert decisions[-1]["actor"]["id"] == gateway.users["sam"]


def test_not_approved_provider_is_denied_even_in_exigency(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = _probe(alice)
        denied = alice.post(
            "/api/v1/submissions",
            json=exigent_body(
                probe["id"],
                "not-approved-vendor",
                "suspect threatening a witness, leaving the port tonight",
            ),
        )
    assert denied.status_code == 403, denied.text
    assert "4.C.3" in _sections(denied)
    assert denied.json()["decision"]["decision"] == "deny"
    events = [e["event"] for e in _entries(gateway)]
    assert "submission:dispatch:intent" not in events


def test_lapsed_certification_is_denied(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = _probe(alice)
    with gateway.client("aaron") as aaron:
        denied = aaron.post("/api/v1/submissions", json=submission_body(probe["id"]))
        intake = post_probe(aaron, astronaut_jpeg())
    assert denied.status_code == 403, denied.text
    assert "4.A.3" in _sections(denied)
    assert intake.status_code == 403
    assert "4.A.3" in _sections(intake)


def test_exigent_unreviewed_provider_goes_ahead_and_queues_reviews(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = _probe(alice)
        used = alice.post(
            "/api/v1/submissions",
            json=exigent_body(
                probe["id"], "exigent-unreviewed", "hostage held; suspect's identity needed now"
            ),
        )
    assert used.status_code == 201, used.text
    body = used.json()
    assert body["submission"]["status"] == "completed"
    [approval] = body["approvals"]
    assert approval["kind"] == "exigent_provider"
    assert approval["deadline"] is not None
    events = [e["event"] for e in _entries(gateway)]
    assert "provider:review:queue" in events
    with gateway.client("sam") as sam:
        ok = sam.post(f"/api/v1/approvals/{approval['id']}/decision", json={"approve": True})
    assert ok.status_code == 200, ok.text


def test_exigent_unreviewed_provider_waits_for_prior_approval_when_possible(
    gateway: Gateway,
) -> None:
    with gateway.client("alice") as alice, gateway.client("sam") as sam:
        probe = _probe(alice)
        waiting = alice.post(
            "/api/v1/submissions",
            json=submission_body(
                probe["id"],
                provider="exigent-unreviewed",
                exigent=True,
                exigent_reason="suspect about to board a flight",
            ),
        )
        assert waiting.status_code == 202, waiting.text
        assert waiting.json()["submission"]["status"] == "pending_approval"
        [approval] = waiting.json()["approvals"]
        decided = sam.post(f"/api/v1/approvals/{approval['id']}/decision", json={"approve": True})
        assert decided.status_code == 200, decided.text
        assert decided.json()["dispatched"][0]["status"] == "completed"
    # memo 4.C.3: an FRS used in exigency goes to OSDM, approved before the use or after it.
    assert "provider:review:queue" in [e["event"] for e in _entries(gateway)]


def test_denied_approval_rejects_the_waiting_submission(gateway: Gateway) -> None:
    with gateway.client("alice") as alice, gateway.client("sam") as sam:
        probe = _probe(alice, subject_role="witness", other_methods_exhausted="none left")
        waiting = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        [approval] = probe["approvals"]
        decided = sam.post(
            f"/api/v1/approvals/{approval['id']}/decision",
            json={"approve": False, "note": "other methods not exhausted"},
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["rejected_submissions"] == [waiting.json()["submission"]["id"]]
        again = sam.post(f"/api/v1/approvals/{approval['id']}/decision", json={"approve": True})
        assert again.status_code == 409


def test_missing_program_code_is_denied_with_its_citation(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = _probe(alice)
        denied = alice.post(
            "/api/v1/submissions", json=submission_body(probe["id"], program_code=" ")
        )
    assert denied.status_code in (403, 422), denied.text
    if denied.status_code == 403:
        assert "4.E.3" in _sections(denied)


def test_no_token_no_access(gateway: Gateway) -> None:
    with gateway.anonymous() as anon:
        for method, path in (
            ("GET", "/api/v1/approvals"),
            ("POST", "/api/v1/submissions"),
            ("GET", "/api/v1/ledger/checkpoint"),
            ("GET", "/metrics"),
        ):
            response = anon.request(method, path)
            assert response.status_code == 401, (path, response.text)
        bad = anon.get("/api/v1/approvals", headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401
        assert anon.get("/healthz").status_code == 200
        assert anon.get("/readyz").json() == {"status": "ready"}


def test_every_api_route_declares_its_policy_action(gateway: Gateway) -> None:
    from fastapi.routing import APIRoute

    from frsgate.api.app import ROUTERS
    from frsgate.api.deps import declared_actions

    checked = 0
    for route in (r for router in ROUTERS for r in router.routes):
        assert isinstance(route, APIRoute)
        assert route.path.startswith("/api/v1/"), route.path
        actions = [a for d in route.dependant.dependencies if d.call
                   for a in declared_actions(d.call)]  # fmt: skip
        assert actions, f"{route.path} declares no policy action"
        checked += 1
    assert checked >= 8


def test_ledger_http_contract(gateway: Gateway) -> None:
    with gateway.client("otto") as otto, gateway.client("alice") as alice:
        denied = alice.get("/api/v1/ledger/checkpoint")
        assert denied.status_code == 403
        checkpoint = otto.get("/api/v1/ledger/checkpoint")
        assert checkpoint.status_code == 200, checkpoint.text
        size = checkpoint.json()["tree_size"]
        proof = otto.get("/api/v1/ledger/proof/inclusion", params={"index": 0, "tree_size": size})
        assert set(proof.json()) >= {"leaf_index", "tree_size", "hashes"}
        cons = otto.get("/api/v1/ledger/proof/consistency", params={"first": 1, "second": size})
        assert cons.status_code == 200, cons.text
        page = otto.get("/api/v1/ledger/entries", params={"start": 0, "end": 3})
        assert len(page.json()["entries"]) == 3
        bad = otto.get("/api/v1/ledger/entries", params={"start": 5, "end": 2})
        assert bad.status_code == 422
    assert DEMO_PROGRAM
