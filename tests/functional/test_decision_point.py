"""Every /api/v1 route decides exactly the action it declares, and every refusal is on the
ledger with the citations the caller was shown.

The table below names, for each route, a caller the pack refuses and one it allows; a test
checks the table covers every route the app serves, so a new route cannot skip this.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from harness import Gateway
from helpers import exigent_body, probe_for_result, submission_body

from frsgate.api.app import ROUTERS
from frsgate.api.deps import declared_actions
from frsgate.policy.facts import Action
from frsgate.services.gate import Caller
from frsgate.store.unit import unit_of_work


@dataclass(frozen=True)
class Ids:
    probe: str
    submission: str
    candidate: str
    approval: str
    provider: str
    lost: str  # a submission whose outcome is unknown


Call = Callable[[httpx.Client, Ids], httpx.Response]


def _get(path: str) -> Call:
    return lambda client, ids: client.get(path.format(**ids.__dict__))


def _post(path: str, body: dict[str, Any] | None = None) -> Call:
    return lambda client, ids: client.post(path.format(**ids.__dict__), json=body or {})


# route (method and path as declared) -> (the call, a caller refused, a caller allowed or "")
ROUTES: dict[tuple[str, str], tuple[Call, str, str]] = {
    ("GET", "/api/v1/probes/{probe_id}/image"): (_get("/api/v1/probes/{probe}/image"),
                                                  "olga", "sam"),
    ("GET", "/api/v1/submissions"): (_get("/api/v1/submissions"), "olga", "alice"),
    ("GET", "/api/v1/submissions/{submission_id}"): (
        _get("/api/v1/submissions/{submission}"), "erin", "sam"),
    ("GET", "/api/v1/submissions/{submission_id}/candidates"): (
        _get("/api/v1/submissions/{submission}/candidates"), "olga", "erin"),
    ("GET", "/api/v1/candidates/{candidate_id}/image"): (
        _get("/api/v1/candidates/{candidate}/image"), "ada", "alice"),
    ("GET", "/api/v1/approvals"): (_get("/api/v1/approvals"), "alice", "sam"),
    ("POST", "/api/v1/approvals/{approval_id}/decision"): (
        _post("/api/v1/approvals/{approval}/decision", {"approve": True, "note": "ok"}),
        "sue", "sam"),
    ("GET", "/api/v1/queue/supervisor"): (_get("/api/v1/queue/supervisor"), "alice", "sam"),
    ("POST", "/api/v1/submissions/{submission_id}/outcome-review"): (
        _post("/api/v1/submissions/{lost}/outcome-review", {"note": "checked"}), "sue", "sam"),
    ("GET", "/api/v1/queue/osdm"): (_get("/api/v1/queue/osdm"), "alice", "olga"),
    ("POST", "/api/v1/providers/{provider_id}/review"): (
        _post("/api/v1/providers/{provider}/review", {"approve": True, "note": "reviewed"}),
        "alice", "olga"),
    # The demo's pack is already approved: asking again is a conflict (the allowed path is
    # walked on a fresh installation in test_pack_walk.py).
    ("POST", "/api/v1/policy/activations"): (
        _post("/api/v1/policy/activations", {"reason": "r"}), "alice", ""),
    ("GET", "/api/v1/ledger/checkpoint"): (_get("/api/v1/ledger/checkpoint"), "alice", "otto"),
    ("GET", "/api/v1/ledger/entries"): (_get("/api/v1/ledger/entries?start=0&end=2"),
                                        "alice", "otto"),
    ("GET", "/api/v1/ledger/proof/inclusion"): (
        _get("/api/v1/ledger/proof/inclusion?index=0"), "alice", "otto"),
    ("GET", "/api/v1/ledger/proof/consistency"): (
        _get("/api/v1/ledger/proof/consistency?first=1&second=2"), "alice", "otto"),
}  # fmt: skip
# The two acts that take a body of their own are driven by their helpers.
POSTED_ACTS = {("POST", "/api/v1/probes"), ("POST", "/api/v1/submissions")}


def _routes() -> dict[tuple[str, str], tuple[Action, ...]]:
    found: dict[tuple[str, str], tuple[Action, ...]] = {}
    for route in (r for router in ROUTERS for r in router.routes):
        assert isinstance(route, APIRoute)
        actions = tuple(
            a for d in route.dependant.dependencies if d.call for a in declared_actions(d.call)
        )
        for method in route.methods:
            found[(method, route.path)] = actions
    return found


def test_the_table_covers_every_route() -> None:
    assert set(_routes()) == set(ROUTES) | POSTED_ACTS


def _ids(gateway: Gateway) -> Ids:
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        done = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
        candidates = alice.get(f"/api/v1/submissions/{done['submission']['id']}/candidates")
        used = alice.post(
            "/api/v1/submissions",
            json=exigent_body(probe["id"], "exigent-unreviewed", "suspect fleeing"),
        ).json()
        lost = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
    with unit_of_work(gateway.runtime.engine) as uow:
        table = uow.submissions.table
        uow.conn.execute(
            table.update().where(table.c.id == lost["submission"]["id"]).values(
                status="dispatching")
        )  # fmt: skip
        provider = uow.providers.get_by_name("exigent-unreviewed")
    gateway.runtime.dispatcher.recover_interrupted()
    return Ids(
        probe=probe["id"],
        submission=done["submission"]["id"],
        candidate=candidates.json()["candidates"][0]["id"],
        approval=used["approvals"][0]["id"],
        provider=provider.id,
        lost=lost["submission"]["id"],
    )


def _decisions(gateway: Gateway, since: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    entries = [json.loads(e) for e in ledger.entries(since, ledger.size())]
    return [e for e in entries if e["event"] == "policy:decision:evaluate"]


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_route_decides_its_declared_action(gateway: Gateway, route: tuple[str, str]) -> None:
    declared = {a.value for a in _routes()[route]}
    call, refused_user, allowed_user = ROUTES[route]
    ids = _ids(gateway)
    before = gateway.runtime.ledger.size()
    with gateway.client(refused_user) as refused:
        response = call(refused, ids)
    assert response.status_code == 403, response.text
    [decision] = _decisions(gateway, before)
    assert decision["details"]["action"] in declared
    assert decision["outcome"] == "denied"
    shown = response.json()["decision"]["citations"]
    assert shown
    assert decision["citations"] == shown
    if not allowed_user:
        return
    before = gateway.runtime.ledger.size()
    with gateway.client(allowed_user) as allowed:
        response = call(allowed, ids)
    assert 200 <= response.status_code < 300, response.text
    decisions = _decisions(gateway, before)
    assert decisions
    assert decisions[0]["details"]["action"] in declared
    assert decisions[0]["outcome"] == "allowed"


@pytest.mark.parametrize("route", sorted(POSTED_ACTS), ids=lambda r: f"{r[0]} {r[1]}")
def test_the_acts_decide_their_declared_action(gateway: Gateway, route: tuple[str, str]) -> None:
    declared = {a.value for a in _routes()[route]}
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
    before = gateway.runtime.ledger.size()
    with gateway.client("erin") as erin:  # an examiner neither collects nor submits
        if route[1] == "/api/v1/probes":
            from helpers import post_probe
            from images import astronaut_jpeg

            response = post_probe(erin, astronaut_jpeg())
        else:
            response = erin.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert response.status_code == 403, response.text
    [decision] = _decisions(gateway, before)
    assert decision["details"]["action"] in declared
    assert decision["citations"] == response.json()["decision"]["citations"]


def test_a_service_cannot_decide_an_action_its_route_did_not_declare(gateway: Gateway) -> None:
    gate = gateway.runtime.gate
    caller = gate.caller(gateway.users["otto"], source="test").acting_for(Action.ledger_read)
    from frsgate.policy.facts import Context, Resource, ResourceKind

    with pytest.raises(RuntimeError, match=r"declared ledger\.read"):
        gate.evaluate(caller, Action.queue_view, Resource(ResourceKind.queue, "osdm"),
                      Context(queue="osdm"))  # fmt: skip
    assert isinstance(caller, Caller)
