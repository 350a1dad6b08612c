"""/metrics: only a monitoring account (role `metrics`) reads the service metrics; everyone else
is refused with a cited 403 (memo fn2), a caller without a token with a 401. Every read and
every refusal is on the ledger."""

from __future__ import annotations

import json
from typing import Any

from harness import Gateway

from frsgate.domain import Role
from frsgate.ledger import Actor
from frsgate.services import admin


def _entries(gateway: Gateway, start: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(start, ledger.size())]


def test_the_monitoring_account_reads_the_metrics_and_the_read_is_recorded(
    gateway: Gateway,
) -> None:
    start = gateway.runtime.ledger.size()
    with gateway.client("mona") as mona:
        response = mona.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE frsgate_http_requests_total counter" in response.text
    assert 'frsgate_policy_decisions_total{action="metrics.read",decision="allow"}' in (
        _second_read(gateway)
    )
    entries = _entries(gateway, start)
    reads = [e for e in entries if e["event"] == "metrics:records:read"]
    assert reads, [e["event"] for e in entries]
    assert reads[0]["actor"] == {"id": gateway.users["mona"], "role": "metrics"}
    assert reads[0]["subject"] == "metrics:service"
    decisions = [
        e for e in entries
        if e["event"] == "policy:decision:evaluate" and e["actor"]["id"] == gateway.users["mona"]
    ]  # fmt: skip
    assert decisions, entries
    assert decisions[0]["details"]["decision"] == "allow", decisions


def _second_read(gateway: Gateway) -> str:
    with gateway.client("mona") as mona:
        return mona.get("/metrics").text


def test_an_agent_and_an_administrator_are_refused_with_a_citation_on_the_ledger(
    gateway: Gateway,
) -> None:
    for username in ("alice", "ada", "otto"):
        start = gateway.runtime.ledger.size()
        with gateway.client(username) as client:
            response = client.get("/metrics")
        assert response.status_code == 403, (username, response.text)
        body = response.json()
        assert "frsgate_" not in response.text
        citations = body["decision"]["citations"]
        assert {c["rule"] for c in citations} == {"duty.metrics_read"}, citations
        assert {c["section"] for c in citations} == {"fn2"}
        entries = _entries(gateway, start)
        assert "metrics:records:read" not in {e["event"] for e in entries}
        refused = [
            e for e in entries
            if e["event"] == "policy:decision:evaluate" and e["outcome"] == "denied"
        ]  # fmt: skip
        assert len(refused) == 1, entries
        assert refused[0]["actor"]["id"] == gateway.users[username]
        assert refused[0]["subject"] == "metrics:service"


def test_no_token_is_a_401_and_nothing_is_served(gateway: Gateway) -> None:
    with gateway.anonymous() as anon:
        response = anon.get("/metrics")
        bad = anon.get("/metrics", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert bad.status_code == 401
    assert "frsgate_" not in response.text + bad.text


def test_a_role_granted_later_opens_the_metrics_and_a_disabled_account_is_refused(
    gateway: Gateway,
) -> None:
    gate = gateway.runtime.gate
    user = admin.create_user(
        gate, Actor.system(), username="probe-monitor", display_name="Monitor", roles=[Role.metrics]
    )
    gateway.users["probe-monitor"] = user.id
    with gateway.client("probe-monitor") as monitor:
        assert monitor.get("/metrics").status_code == 200
        admin.disable_user(gate, Actor.system(), user_id=user.id, reason="decommissioned")
        refused = monitor.get("/metrics")
    assert refused.status_code == 401, refused.text
    assert "disabled" in refused.json()["message"]
