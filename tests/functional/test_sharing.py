"""The sharing register (memo 3) and partner-run searches (memo 4.E.1) over HTTP: what the pack
refuses, with its citations on the ledger, what it allows, and the registers that list them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from harness import Gateway
from helpers import DEMO_CASE, probe_for_result, submission_body

SHARES = "/api/v1/shares"
PARTNER = "/api/v1/partner-searches"


def _entries(gateway: Gateway, since: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _use(alice: httpx.Client) -> str:
    probe = probe_for_result(alice, negative=False)
    done = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert done.status_code == 201, done.text
    return str(done.json()["submission"]["id"])


def _share(submission: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case": DEMO_CASE,
        "submission_id": submission,
        "recipient": "Port Authority Police",
        "authority_kind": "agreement",
        "authority": "information-sharing agreement PAP-HSI-2025-3",
        "description": "the candidate list's top three gallery references",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _partner(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case": DEMO_CASE,
        "partner_agency": "New Jersey State Police",
        "partner_system": "NJ ROIC facial recognition",
        "searched_on": "2026-10-03",
        "match_type": "one_to_many",
        "result": "candidates",
        "candidate_count": 4,
        "summary": "NJSP searched the port still on our request; four candidates returned",
        "probe_sha256": "ab" * 32,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _refused_with(gateway: Gateway, response: httpx.Response, rule: str, since: int) -> None:
    """A 403 citing `rule`, whose decision entry on the ledger carries the same citations."""
    assert response.status_code == 403, response.text
    cited = response.json()["decision"]["citations"]
    assert rule in {c["rule"] for c in cited}
    decisions = [e for e in _entries(gateway, since) if e["event"] == "policy:decision:evaluate"]
    [decision] = decisions
    assert decision["outcome"] == "denied"
    assert decision["citations"] == cited


def test_a_share_with_recipient_and_authority_is_entered(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id = _use(alice)
        before = gateway.runtime.ledger.size()
        shared = alice.post(SHARES, json=_share(sub_id), headers={"Idempotency-Key": "s-1"})
        replayed = alice.post(SHARES, json=_share(sub_id), headers={"Idempotency-Key": "s-1"})
    assert shared.status_code == 201, shared.text
    body = shared.json()
    assert body["recipient"] == "Port Authority Police"
    assert body["authority_kind"] == "agreement"
    assert body["shared_by"] == "alice"
    assert body["case"] == DEMO_CASE
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["id"] == body["id"]
    entries = _entries(gateway, before)
    assert [e["event"] for e in entries] == ["policy:decision:evaluate", "share:record:create"]
    record = entries[1]["details"]["record"]
    assert record == {
        "id": body["id"], "case_id": record["case_id"], "lead_id": None,
        "submission_id": sub_id, "recipient": "Port Authority Police",
        "authority_kind": "agreement",
        "authority": "information-sharing agreement PAP-HSI-2025-3",
        "description_sha256": hashlib.sha256(
            b"the candidate list's top three gallery references").hexdigest(),
    }  # fmt: skip
    assert "top three" not in json.dumps(entries)  # free text only by its digest


@pytest.mark.parametrize(
    ("missing", "rule"),
    [
        ({"recipient": None}, "share.recipient"),
        ({"recipient": "   "}, "share.recipient"),
        ({"authority": None}, "share.authority"),
        ({"authority_kind": None}, "share.authority"),
        ({"authority": " "}, "share.authority"),
    ],
    ids=["no-recipient", "blank-recipient", "no-authority", "no-authority-kind", "blank"],
)
def test_a_share_without_recipient_or_authority_is_refused(
    gateway: Gateway, missing: dict[str, Any], rule: str
) -> None:
    with gateway.client("alice") as alice:
        sub_id = _use(alice)
        before = gateway.runtime.ledger.size()
        refused = alice.post(SHARES, json=_share(sub_id, **missing))
        _refused_with(gateway, refused, rule, before)
        assert "3" in {c["section"] for c in refused.json()["decision"]["citations"]}
        assert alice.get(f"/api/v1/cases/{DEMO_CASE}/shares").json()["shares"] == []


def test_a_share_by_someone_not_on_the_case_is_refused(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id = _use(alice)
    before = gateway.runtime.ledger.size()
    with gateway.client("sue") as sue:  # a supervisor, but not of this case
        refused = sue.post(SHARES, json=_share(sub_id))
    _refused_with(gateway, refused, "purpose.case_assignment", before)
    before = gateway.runtime.ledger.size()
    with gateway.client("erin") as erin:  # on the case, but examiners do not share
        refused = erin.post(SHARES, json=_share(sub_id))
    _refused_with(gateway, refused, "duty.share_create", before)


def test_a_share_names_a_record_of_its_case(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id = _use(alice)
        before = gateway.runtime.ledger.size()
        nothing = alice.post(SHARES, json=_share(sub_id, submission_id=None))
        unknown = alice.post(SHARES, json=_share("sub_nope"))
        no_case = alice.post(SHARES, json=_share(sub_id, case="HSI-1999-000000"))
        bad_kind = alice.post(SHARES, json=_share(sub_id, authority_kind="handshake"))
        no_lead = alice.post(SHARES, json=_share(sub_id, lead_id="lead_nope"))
    assert nothing.status_code == 422
    assert "lead_id or submission_id" in nothing.json()["message"]
    assert unknown.status_code == 404
    assert no_case.status_code == 404
    assert "HSI-1999-000000" in no_case.json()["message"]
    assert bad_kind.status_code == 422
    assert no_lead.status_code == 404
    assert _entries(gateway, before) == []  # malformed input: nothing decided or recorded


def test_the_register_lists_the_shares_and_its_reads_are_logged(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id = _use(alice)
        first = alice.post(SHARES, json=_share(sub_id)).json()
        second = alice.post(
            SHARES, json=_share(sub_id, recipient="CBP Newark", authority_kind="statute",
                                authority="19 U.S.C. 1628")
        ).json()  # fmt: skip
    before = gateway.runtime.ledger.size()
    with gateway.client("sam") as sam:  # the case's supervisor
        listed = sam.get(f"/api/v1/cases/{DEMO_CASE}/shares")
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()["shares"]] == [first["id"], second["id"]]
    assert listed.json()["shares"][1]["recipient"] == "CBP Newark"
    [decision, read] = _entries(gateway, before)
    assert decision["details"]["action"] == "candidates.view"
    assert decision["outcome"] == "allowed"
    assert read["event"] == "share:records:view"
    assert read["details"] == {"count": 2, "shares": [first["id"], second["id"]]}
    before = gateway.runtime.ledger.size()
    with gateway.client("sue") as sue:  # not a supervisor of this case
        refused = sue.get(f"/api/v1/cases/{DEMO_CASE}/shares")
    _refused_with(gateway, refused, "purpose.case_assignment", before)


def test_a_partner_search_is_noted_and_listed(gateway: Gateway) -> None:
    before = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        noted = alice.post(PARTNER, json=_partner(), headers={"Idempotency-Key": "p-1"})
        negative = alice.post(
            PARTNER, json=_partner(result="negative", candidate_count=0, probe_sha256=None,
                                   searched_on="2026-10-01", match_type=None)
        )  # fmt: skip
    assert noted.status_code == 201, noted.text
    assert negative.status_code == 201, negative.text
    body = noted.json()
    assert body["partner_agency"] == "New Jersey State Police"
    assert body["recorded_by"] == "alice"
    entries = [e for e in _entries(gateway, before) if e["event"] == "partner:search:record"]
    assert entries[0]["details"]["record"] == {
        "id": body["id"], "case_id": entries[0]["details"]["record"]["case_id"],
        "partner_agency": "New Jersey State Police",
        "partner_system": "NJ ROIC facial recognition", "searched_on": "2026-10-03",
        "match_type": "one_to_many", "result": "candidates", "candidate_count": 4,
        "summary_sha256": hashlib.sha256(_partner()["summary"].encode()).hexdigest(),
        "probe_sha256": "ab" * 32,
    }  # fmt: skip
    assert entries[0]["case"] == DEMO_CASE
    before = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice, gateway.client("otto") as otto:
        mine = alice.get(f"/api/v1/cases/{DEMO_CASE}/partner-searches")
        audited = otto.get(f"/api/v1/cases/{DEMO_CASE}/partner-searches")
    assert mine.status_code == 200, mine.text
    # In the order they were searched.
    assert [p["id"] for p in mine.json()["partner_searches"]] == [negative.json()["id"],
                                                                  body["id"]]  # fmt: skip
    assert audited.status_code == 200, audited.text
    reads = [e for e in _entries(gateway, before) if e["event"] == "partner:records:view"]
    assert [r["actor"]["id"] for r in reads] == [gateway.users["alice"], gateway.users["otto"]]
    assert reads[0]["details"]["count"] == 2


@pytest.mark.parametrize(
    "missing",
    [{"partner_agency": None}, {"partner_system": None}, {"partner_system": "  "}],
    ids=["no-partner", "no-system", "blank-system"],
)
def test_a_partner_search_must_name_the_partner_and_its_frs(
    gateway: Gateway, missing: dict[str, Any]
) -> None:
    before = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        refused = alice.post(PARTNER, json=_partner(**missing))
        _refused_with(gateway, refused, "partner_search.frs_named", before)
        assert "4.E.1" in {c["section"] for c in refused.json()["decision"]["citations"]}
        listed = alice.get(f"/api/v1/cases/{DEMO_CASE}/partner-searches")
    assert listed.json()["partner_searches"] == []


def test_partner_searches_are_the_case_teams(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        assert alice.post(PARTNER, json=_partner()).status_code == 201
        malformed = alice.post(PARTNER, json=_partner(result="negative", candidate_count=3))
        bad_digest = alice.post(PARTNER, json=_partner(probe_sha256="xyz"))
    assert malformed.status_code == 422
    assert "candidate_count" in malformed.json()["message"]
    assert bad_digest.status_code == 422
    before = gateway.runtime.ledger.size()
    with gateway.client("sue") as sue:  # supervises another chain, not this case
        refused = sue.get(f"/api/v1/cases/{DEMO_CASE}/partner-searches")
    _refused_with(gateway, refused, "purpose.case_assignment", before)
    with gateway.client("sam") as sam:  # the case's supervisor (and an agent)
        assert sam.get(f"/api/v1/cases/{DEMO_CASE}/partner-searches").status_code == 200
        assert sam.post(PARTNER, json=_partner()).status_code == 201
    before = gateway.runtime.ledger.size()
    with gateway.client("otto") as otto:  # OPR audits the log; it records nothing
        refused = otto.post(PARTNER, json=_partner())
    _refused_with(gateway, refused, "duty.partner_search_record", before)
