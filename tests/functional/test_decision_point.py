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
from helpers import approval_review, exigent_body, probe_for_result, submission_body

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
    disposition: str = ""  # alice's disposition of the list's last candidate
    possible: str = ""  # alice's possible-lead disposition of the first candidate, no lead yet
    lead: str = ""  # alice's corroborated lead on the second candidate
    referral: str = ""  # sam's referral to OPR from the review of 2026-01-05 (memo 4.E.4)


Call = Callable[[httpx.Client, Ids], httpx.Response]


def _get(path: str) -> Call:
    return lambda client, ids: client.get(path.format(**ids.__dict__))


def _post(path: str, body: dict[str, Any] | None = None) -> Call:
    return lambda client, ids: client.post(path.format(**ids.__dict__), json=body or {})


def _patch(path: str, body: dict[str, Any]) -> Call:
    return lambda client, ids: client.patch(path.format(**ids.__dict__), json=body)


def _delete(path: str) -> Call:
    return lambda client, ids: client.delete(path.format(**ids.__dict__))


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
        _post("/api/v1/providers/{provider}/review", approval_review()),
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
    # A case's entries: its supervisor (sam) reads them, another case's supervisor may not.
    ("GET", "/api/v1/cases/{case}/ledger"): (
        _get("/api/v1/cases/HSI-2026-000001/ledger"), "sue", "sam"),
    # Accounts (user.manage): refused to a non-administrator, allowed to ada.
    ("GET", "/api/v1/admin/users"): (_get("/api/v1/admin/users"), "alice", "ada"),
    ("POST", "/api/v1/admin/users"): (
        _post("/api/v1/admin/users", {"username": "newbie", "display_name": "New",
                                      "roles": ["agent"]}), "otto", "ada"),
    ("GET", "/api/v1/admin/users/{username}"): (_get("/api/v1/admin/users/alice"), "alice",
                                                 "ada"),
    ("PATCH", "/api/v1/admin/users/{username}"): (
        lambda client, ids: client.patch("/api/v1/admin/users/alice", json={"office": "HQ"}),
        "sam", "ada"),
    ("POST", "/api/v1/admin/users/{username}/roles"): (
        _post("/api/v1/admin/users/alice/roles", {"role": "examiner"}), "alice", "ada"),
    ("DELETE", "/api/v1/admin/users/{username}/roles/{role}"): (
        lambda client, ids: client.delete("/api/v1/admin/users/sam/roles/agent"), "sue", "ada"),
    ("POST", "/api/v1/admin/users/{username}/disable"): (
        _post("/api/v1/admin/users/aaron/disable", {"reason": "left"}), "otto", "ada"),
    # The demo has no disabled account to enable (enabling is walked in test_admin_users.py).
    ("POST", "/api/v1/admin/users/{username}/enable"): (
        _post("/api/v1/admin/users/aaron/enable"), "alice", ""),
    # Cases: an administrator any, a supervisor their own (sam supervises the demo case).
    ("GET", "/api/v1/admin/cases"): (_get("/api/v1/admin/cases"), "alice", "ada"),
    ("POST", "/api/v1/admin/cases"): (
        _post("/api/v1/admin/cases", {"number": "HSI-2026-000900", "title": "t",
                                      "statutory_authority": "18 U.S.C. 545",
                                      "under_hsi_authority": True, "supervisor": "sam"}),
        "sue", "sam"),
    ("GET", "/api/v1/admin/cases/{number}"): (
        _get("/api/v1/admin/cases/HSI-2026-000001"), "sue", "sam"),
    ("PATCH", "/api/v1/admin/cases/{number}"): (
        _patch("/api/v1/admin/cases/HSI-2026-000001", {"title": "renamed"}), "otto", "sam"),
    ("POST", "/api/v1/admin/cases/{number}/assignments"): (
        _post("/api/v1/admin/cases/HSI-2026-000001/assignments", {"username": "sam"}),
        "sue", "sam"),
    ("DELETE", "/api/v1/admin/cases/{number}/assignments/{username}"): (
        _delete("/api/v1/admin/cases/HSI-2026-000001/assignments/aaron"), "alice", "sam"),
    # A supervisor of the case adds a co-supervisor; one of another case may not.
    ("POST", "/api/v1/admin/cases/{number}/supervisors"): (
        _post("/api/v1/admin/cases/HSI-2026-000001/supervisors", {"username": "sue"}),
        "sue", "sam"),
    # Sam may not take himself off his case; the demo case has no other supervisor to take
    # off (the allowed path is walked in test_admin_cases.py).
    ("DELETE", "/api/v1/admin/cases/{number}/supervisors/{username}"): (
        _delete("/api/v1/admin/cases/HSI-2026-000001/supervisors/sam"), "sam", ""),
    ("POST", "/api/v1/admin/cases/{number}/close"): (
        _post("/api/v1/admin/cases/HSI-2026-000001/close", {"reason": "r"}), "sue", "ada"),
    # The demo case is open: reopening it is a conflict (the allowed path is walked in
    # test_admin_cases.py).
    ("POST", "/api/v1/admin/cases/{number}/reopen"): (
        _post("/api/v1/admin/cases/HSI-2026-000001/reopen", {"reason": "r"}), "sue", ""),
    # Programs: registered by an administrator, assessed by IGP.
    ("GET", "/api/v1/admin/programs"): (_get("/api/v1/admin/programs"), "sam", "ada"),
    ("POST", "/api/v1/admin/programs"): (
        _post("/api/v1/admin/programs", {"code": "TF-NEW", "name": "n",
                                         "assessment_ref": "PIA-1"}), "ivan", "ada"),
    ("GET", "/api/v1/admin/programs/{code}"): (
        _get("/api/v1/admin/programs/FRS-DEMO-01"), "otto", "ada"),
    # The demo program's assessment is approved: approving it again is a conflict (the
    # allowed path is walked in test_admin_cases.py).
    ("POST", "/api/v1/admin/programs/{code}/assessment/approval"): (
        _post("/api/v1/admin/programs/FRS-DEMO-01/assessment/approval",
              {"assessment_ref": "PIA-DEMO-FRS-2026"}), "ada", ""),
    ("POST", "/api/v1/admin/programs/{code}/assessment/revision"): (
        _post("/api/v1/admin/programs/FRS-DEMO-01/assessment/revision",
              {"assessment_ref": "PIA-DEMO-FRS-2026-R1", "reason": "r"}), "ivan", "ada"),
    ("POST", "/api/v1/admin/programs/{code}/members"): (
        _post("/api/v1/admin/programs/FRS-DEMO-01/members", {"username": "erin"}),
        "sam", "ada"),
    ("DELETE", "/api/v1/admin/programs/{code}/members/{username}"): (
        _delete("/api/v1/admin/programs/FRS-DEMO-01/members/alice"), "sam", "ada"),
    # FRS program codes: OSDM.
    ("GET", "/api/v1/admin/program-codes"): (_get("/api/v1/admin/program-codes"), "ada", "olga"),
    ("POST", "/api/v1/admin/program-codes"): (
        _post("/api/v1/admin/program-codes", {"code": "HSI-FRS-NEW", "description": "d"}),
        "ada", "olga"),
    ("GET", "/api/v1/admin/program-codes/{code}"): (
        _get("/api/v1/admin/program-codes/HSI-FRS-DEMO"), "alice", "olga"),
    ("PATCH", "/api/v1/admin/program-codes/{code}"): (
        _patch("/api/v1/admin/program-codes/HSI-FRS-DEMO", {"description": "renamed"}),
        "sam", "olga"),
    # PALMS certifications: only an administrator imports and reads them (the body is CSV).
    ("POST", "/api/v1/admin/certifications/import"): (
        lambda client, ids: client.post(
            "/api/v1/admin/certifications/import", headers={"Content-Type": "text/csv"},
            content=b"username,course_id,completed_on,best_practices_attested_on,"
                    b"safeguards_attested_on\nalice,ICE-FRS-101,2025-06-01,2025-06-01,\n"),
        "alice", "ada"),
    ("GET", "/api/v1/admin/certifications"): (
        _get("/api/v1/admin/certifications?username=alice"), "otto", "ada"),
    # FRS providers: only an administrator registers, reads, changes and checks them.
    ("GET", "/api/v1/admin/providers"): (_get("/api/v1/admin/providers"), "alice", "ada"),
    ("POST", "/api/v1/admin/providers"): (
        _post("/api/v1/admin/providers", {"name": "acme", "base_url": "https://frs.example",
              "terms": {"match_types": ["one_to_many"], "candidate_cap": 5,
                        "law_enforcement_use": True, "terms_ref": "contract 1"}}),
        "olga", "ada"),
    ("GET", "/api/v1/admin/providers/{name}"): (
        _get("/api/v1/admin/providers/sandbox"), "otto", "ada"),
    ("PATCH", "/api/v1/admin/providers/{name}"): (
        _patch("/api/v1/admin/providers/exigent-unreviewed", {"tls": {"verify": True}}),
        "sam", "ada"),
    ("POST", "/api/v1/admin/providers/{name}/api-key"): (
        _post("/api/v1/admin/providers/exigent-unreviewed/api-key",
              {"api_key": "rotated-key-0123456789"}), "otto", "ada"),
    ("POST", "/api/v1/admin/providers/{name}/check"): (
        _post("/api/v1/admin/providers/sandbox/check"), "alice", "ada"),
    # The review of a candidate list (memo 4.D.1, 4.D.2).
    ("POST", "/api/v1/candidates/{candidate_id}/dispositions"): (
        _post("/api/v1/candidates/{candidate}/dispositions",
              {"kind": "no_match", "rationale": "another person"}), "sue", "alice"),
    ("POST", "/api/v1/dispositions/{disposition_id}/verification"): (
        _post("/api/v1/dispositions/{disposition}/verification", {"note": "checked"}),
        "alice", "sam"),
    ("POST", "/api/v1/candidates/{candidate_id}/examinations"): (
        _post("/api/v1/candidates/{candidate}/examinations",
              {"method": "morphological comparison", "conclusion": "inconclusive",
               "limitations": "low-resolution gallery photo"}), "alice", "erin"),
    ("GET", "/api/v1/submissions/{submission_id}/review"): (
        _get("/api/v1/submissions/{submission}/review"), "olga", "alice"),
    # A case's disclosure package (export.run): another case's supervisor is refused.
    ("POST", "/api/v1/cases/{number}/disclosure"): (
        _post("/api/v1/cases/HSI-2026-000001/disclosure", {}), "sue", "sam"),
    # The ROI entry of a use (memo 4.E.2): read like its candidate list; filed by an agent.
    ("GET", "/api/v1/submissions/{submission_id}/roi"): (
        _get("/api/v1/submissions/{submission}/roi"), "olga", "alice"),
    ("POST", "/api/v1/submissions/{submission_id}/roi/filings"): (
        _post("/api/v1/submissions/{submission}/roi/filings", {"case_system_ref": "ROI-1"}),
        "erin", "alice"),
    # The sharing register (memo 3) and partner-run searches (memo 4.E.1).
    ("POST", "/api/v1/shares"): (
        lambda client, ids: client.post("/api/v1/shares", json={
            "case": "HSI-2026-000001", "submission_id": ids.submission,
            "recipient": "CBP Newark", "authority_kind": "statute",
            "authority": "19 U.S.C. 1628", "description": "the top candidate's reference"}),
        "erin", "alice"),
    ("GET", "/api/v1/cases/{number}/shares"): (
        _get("/api/v1/cases/HSI-2026-000001/shares"), "sue", "sam"),
    ("POST", "/api/v1/partner-searches"): (
        _post("/api/v1/partner-searches", {
            "case": "HSI-2026-000001", "partner_agency": "NJ State Police",
            "partner_system": "NJ ROIC FRS", "searched_on": "2026-10-03",
            "result": "negative", "summary": "no candidates"}),
        "otto", "alice"),
    ("GET", "/api/v1/cases/{number}/partner-searches"): (
        _get("/api/v1/cases/HSI-2026-000001/partner-searches"), "sue", "alice"),
    # Oversight reports (report.run): OPR's audit is OPR's, not a supervisor's (memo 4.E.5).
    ("GET", "/api/v1/reports/{report}"): (_get("/api/v1/reports/opr"), "sam", "otto"),
    # Investigative leads (memo 4.D.3): an examiner neither opens, corroborates, marks nor
    # closes one; their reads are candidate-list reads (another case's supervisor is refused).
    ("POST", "/api/v1/leads"): (
        lambda client, ids: client.post("/api/v1/leads", json={
            "disposition_id": ids.possible, "summary": "resembles the suspect"}),
        "erin", "alice"),
    ("GET", "/api/v1/leads/{lead_id}"): (_get("/api/v1/leads/{lead}"), "sue", "alice"),
    ("GET", "/api/v1/cases/{number}/leads"): (
        _get("/api/v1/cases/HSI-2026-000001/leads"), "sue", "alice"),
    ("POST", "/api/v1/leads/{lead_id}/corroborations"): (
        _post("/api/v1/leads/{lead}/corroborations", {
            "kind": "witness_statement", "source": "dock foreman", "obtained_by": "SA Alice",
            "description": "saw the candidate at the port on 2026-10-02"}),
        "erin", "alice"),
    ("POST", "/api/v1/leads/{lead_id}/enforcement-basis"): (
        _post("/api/v1/leads/{lead}/enforcement-basis", {"note": "corroborated"}),
        "erin", "sam"),
    ("POST", "/api/v1/leads/{lead_id}/close"): (
        _post("/api/v1/leads/{lead}/close", {"reason": "excluded"}), "erin", "alice"),
    # The supervisor's log review (memo 4.E.4): a finished period of the past; OPR reads any
    # review but signs off none; OPR alone records a referral's outcome.
    ("GET", "/api/v1/log-reviews/{period}"): (
        _get("/api/v1/log-reviews/2026-01-05"), "alice", "sam"),
    ("POST", "/api/v1/log-reviews/{period}/sign-off"): (
        _post("/api/v1/log-reviews/2026-01-05/sign-off"), "otto", "sam"),
    ("POST", "/api/v1/log-reviews/{period}/referrals"): (
        _post("/api/v1/log-reviews/2026-01-05/referrals", {"reasons": "r"}), "otto", "sam"),
    ("GET", "/api/v1/referrals"): (_get("/api/v1/referrals"), "alice", "otto"),
    ("GET", "/api/v1/referrals/{referral_id}"): (
        _get("/api/v1/referrals/{referral}"), "sue", "otto"),
    ("POST", "/api/v1/referrals/{referral_id}/outcome"): (
        _post("/api/v1/referrals/{referral}/outcome", {"outcome": "closed", "note": "n"}),
        "sam", "otto"),
    # The log format (memo fn2): an administrator submits it, IGP approves it.
    ("GET", "/api/v1/policy/log-format"): (_get("/api/v1/policy/log-format"), "alice", "ada"),
    ("POST", "/api/v1/policy/log-format/approvals"): (
        _post("/api/v1/policy/log-format/approvals", {"reason": "r"}), "alice", "ada"),
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


def _lead_ids(alice: httpx.Client, candidates: list[str]) -> tuple[str, str]:
    """A possible lead on the first candidate with no lead yet, and a corroborated lead on the
    second (memo 4.D.3)."""
    possible = {"kind": "possible_match_lead", "rationale": "resembles the suspect",
                "traditional_means_compared": "compared with the port badge photo"}  # fmt: skip
    first, second = (
        alice.post(f"/api/v1/candidates/{c}/dispositions", json=possible).json()["disposition"]
        for c in candidates[:2]
    )
    lead = alice.post("/api/v1/leads", json={"disposition_id": second["id"],
                                             "summary": "check the badge log"}).json()  # fmt: skip
    alice.post(f"/api/v1/leads/{lead['id']}/corroborations", json={
        "kind": "records_check", "source": "State DMV record", "description": "address matches",
        "obtained_by": "SA Alice Agent"})  # fmt: skip
    return first["id"], lead["id"]


def _ids(gateway: Gateway) -> Ids:
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        done = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
        candidates = alice.get(f"/api/v1/submissions/{done['submission']['id']}/candidates")
        disposed = alice.post(
            f"/api/v1/candidates/{candidates.json()['candidates'][-1]['id']}/dispositions",
            json={"kind": "inconclusive", "rationale": "the gallery photo is too old to tell"},
        )
        possible, lead = _lead_ids(alice, [c["id"] for c in candidates.json()["candidates"]])
        used = alice.post(
            "/api/v1/submissions",
            json=exigent_body(probe["id"], "exigent-unreviewed", "suspect fleeing"),
        ).json()
        lost = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
    with gateway.client("sam") as sam:
        referral = sam.post("/api/v1/log-reviews/2026-01-05/referrals", json={"reasons": "r"})
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
        disposition=disposed.json()["disposition"]["id"],
        possible=possible,
        lead=lead,
        referral=referral.json()["id"],
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
