"""Queues over HTTP: rate limits put before the supervisor, unknown outcomes reviewed, OSDM
reviewing an FRS used in exigency, and the metrics that count it all (overdue exigent approvals:
tests/functional/test_bypasses.py)."""

from __future__ import annotations

import json
from pathlib import Path

from harness import Gateway, running_gateway
from helpers import exigent_body, post_probe, refusal_review, submission_body
from images import astronaut_jpeg

from frsgate.domain import SubmissionStatus
from frsgate.store.unit import unit_of_work


def test_rate_limit_refuses_and_puts_it_before_the_supervisor(
    tmp_path: Path, database_url: str, sandbox_url: str
) -> None:
    with running_gateway(
        tmp_path / "home", database_url, sandbox_url, rate_limit_per_user_per_hour=2
    ) as gw:
        with gw.client("alice") as alice, gw.client("sam") as sam:
            probe = post_probe(alice, astronaut_jpeg()).json()
            for _ in range(2):
                ok = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
                assert ok.status_code == 201, ok.text
            refused = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
            assert refused.status_code == 429, refused.text
            assert "4.B.4" in refused.json()["message"]
            assert refused.headers["Retry-After"] == "3600"
            again = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
            assert again.status_code == 429
            queue = sam.get("/api/v1/queue/supervisor").json()
        kinds = [a["kind"] for a in queue["approvals"]]
        assert kinds.count("rate_limit_override") == 1  # one item, however many refusals
        [item] = [a for a in queue["approvals"] if a["kind"] == "rate_limit_override"]
        with gw.client("alice") as alice, gw.client("sam") as sam:
            own = alice.post(f"/api/v1/approvals/{item['id']}/decision", json={"approve": True})
            assert own.status_code == 403  # nobody lifts their own limit
            lifted = sam.post(
                f"/api/v1/approvals/{item['id']}/decision",
                json={"approve": True, "note": "volume reviewed: one suspect, many stills"},
            )
            assert lifted.status_code == 200, lifted.text
            after = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
            assert after.status_code == 201, after.text
        ledger = gw.runtime.ledger
        events = [json.loads(e)["event"] for e in ledger.entries(0, ledger.size())]
        assert events.count("ratelimit:user:exceeded") == 2
        assert events.count("submission:dispatch:intent") == 3


def test_unknown_outcome_is_queued_and_reviewed(gateway: Gateway) -> None:
    runtime = gateway.runtime
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        sub_id = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()[
            "submission"
        ]["id"]
    with unit_of_work(runtime.engine) as uow:
        table = uow.submissions.table
        uow.conn.execute(table.update().where(table.c.id == sub_id).values(status="dispatching"))
    runtime.dispatcher.recover_interrupted()
    with gateway.client("sam") as sam, gateway.client("sue") as sue:
        queue = sam.get("/api/v1/queue/supervisor").json()
        assert [s["id"] for s in queue["outcome_unknown"]] == [sub_id]
        not_theirs = sue.post(
            f"/api/v1/submissions/{sub_id}/outcome-review", json={"note": "checked"}
        )
        assert not_theirs.status_code == 403
        reviewed = sam.post(
            f"/api/v1/submissions/{sub_id}/outcome-review",
            json={"note": "provider confirms the search ran once; results discarded"},
        )
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["status"] == SubmissionStatus.outcome_reviewed.value
        assert sam.get("/api/v1/queue/supervisor").json()["outcome_unknown"] == []


def test_osdm_reviews_an_frs_used_in_exigency(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        alice.post(
            "/api/v1/submissions",
            json=exigent_body(probe["id"], "exigent-unreviewed", "kidnapping in progress"),
        )
        assert alice.get("/api/v1/queue/osdm").status_code == 403
    with gateway.client("olga") as olga:
        pending = olga.get("/api/v1/queue/osdm").json()["providers"]
        [provider] = [p for p in pending if p["name"] == "exigent-unreviewed"]
        assert provider["review_status"] == "pending"
        reviewed = olga.post(
            f"/api/v1/providers/{provider['id']}/review",
            json=refusal_review("terms allow resale of probe images"),
        )
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["review_status"] == "not_approved"
    with gateway.client("alice") as alice:
        denied = alice.post(
            "/api/v1/submissions",
            json=exigent_body(probe["id"], "exigent-unreviewed", "another emergency"),
        )
    assert denied.status_code == 403
    assert "4.C.3" in {c["section"] for c in denied.json()["decision"]["citations"]}


def test_metrics_count_decisions_and_dispatches(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
    with gateway.client("mona") as mona:  # the monitoring account
        text = mona.get("/metrics").text
    assert 'frsgate_policy_decisions_total{action="submission.create",decision="allow"} 1.0' in text
    assert 'frsgate_frs_dispatches_total{outcome="succeeded"' in text
    assert "frsgate_http_requests_total" in text


def test_case_rate_limit_counts_every_user_of_the_case(
    tmp_path: Path, database_url: str, sandbox_url: str
) -> None:
    with running_gateway(
        tmp_path / "home", database_url, sandbox_url, rate_limit_per_case_per_hour=1
    ) as gw:
        with gw.client("alice") as alice, gw.client("sam") as sam:
            probe = post_probe(alice, astronaut_jpeg()).json()
            assert (
                alice.post("/api/v1/submissions", json=submission_body(probe["id"])).status_code
                == 201
            )
            refused = sam.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert refused.status_code == 429, refused.text
        assert "case HSI-2026-000001" in refused.json()["message"]
        ledger = gw.runtime.ledger
        events = [json.loads(e)["event"] for e in ledger.entries(0, ledger.size())]
        assert "ratelimit:case:exceeded" in events
