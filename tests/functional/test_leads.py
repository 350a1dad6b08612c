"""Leads over HTTP (memo 4.D.3): a possible lead becomes an investigative lead, is corroborated
by information independent of the FRS, and only then becomes a basis for enforcement. Every
refusal the memo governs is the pack's, with its citation shown and on the ledger.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from harness import Gateway
from helpers import DEMO_CASE, certified_agent, exigent_body, probe_for_result, searched
from pydantic import BaseModel

from frsgate.api.schemas_leads import CorroborationResultOut, LeadListOut, LeadOut
from frsgate.domain import NOT_INDEPENDENT
from frsgate.store.unit import unit_of_work

LEADS = "/api/v1/leads"


# --- helpers ---------------------------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entries(gateway: Gateway, since: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _size(gateway: Gateway) -> int:
    return gateway.runtime.ledger.size()


def _rules(response: httpx.Response) -> set[str]:
    return {c["rule"] for c in response.json()["decision"]["citations"]}


def _refused(gateway: Gateway, since: int, response: httpx.Response, rule: str) -> None:
    """A 403 citing `rule`, whose one decision on the ledger is denied with the same
    citations, and nothing else recorded."""
    assert response.status_code == 403, response.text
    assert rule in _rules(response), response.text
    entries = _entries(gateway, since)
    [decision] = entries
    assert decision["event"] == "policy:decision:evaluate"
    assert decision["outcome"] == "denied"
    assert decision["citations"] == response.json()["decision"]["citations"]


def _fits(model: type[BaseModel], body: dict[str, Any]) -> None:
    """The documented response model reads the body and writes it out the same."""
    assert model.model_validate(body).model_dump(mode="json", exclude_unset=True) == body


def _dispose(client: httpx.Client, candidate_id: str, kind: str) -> str:
    body: dict[str, Any] = {"kind": kind, "rationale": f"reviewed: {kind}"}
    if kind == "possible_match_lead":
        body["traditional_means_compared"] = "compared with the port badge photo and DMV record"
    made = client.post(f"/api/v1/candidates/{candidate_id}/dispositions", json=body)
    assert made.status_code == 201, made.text
    disposition_id: str = made.json()["disposition"]["id"]
    return disposition_id


def _open(client: httpx.Client, disposition_id: str, **more: Any) -> httpx.Response:
    body = {"disposition_id": disposition_id, "summary": "candidate resembles the suspect"}
    return client.post(LEADS, json=body | more)


def _corroborate(client: httpx.Client, lead_id: str, **more: Any) -> httpx.Response:
    body = {
        "kind": "records_check",
        "source": "State DMV record",
        "description": "licence address matches the port badge holder",
        "obtained_by": "SA Alice Agent",
        "obtained_on": "2026-10-05",
    }
    return client.post(f"{LEADS}/{lead_id}/corroborations", json=body | more)


def _mark(client: httpx.Client, lead_id: str) -> httpx.Response:
    return client.post(
        f"{LEADS}/{lead_id}/enforcement-basis", json={"note": "corroborated; warrant sought"}
    )


def _close(client: httpx.Client, lead_id: str) -> httpx.Response:
    return client.post(f"{LEADS}/{lead_id}/close", json={"reason": "excluded by records"})


def _lead(client: httpx.Client, candidate_id: str) -> str:
    opened = _open(client, _dispose(client, candidate_id, "possible_match_lead"))
    assert opened.status_code == 201, opened.text
    lead_id: str = opened.json()["id"]
    return lead_id


@pytest.fixture
def candidates(gateway: Gateway) -> list[dict[str, Any]]:
    with gateway.client("alice") as alice:
        _, found = searched(alice)
    assert len(found) >= 3
    return found


# --- the path --------------------------------------------------------------------------------


def test_a_possible_lead_becomes_an_enforcement_basis_only_once_corroborated(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    candidate = candidates[0]
    with gateway.client("alice") as alice:
        disposition = _dispose(alice, candidate["id"], "possible_match_lead")
        before = _size(gateway)
        opened = _open(alice, disposition, summary="badge photo resembles candidate 1")
        assert opened.status_code == 201, opened.text
        lead = opened.json()
        _fits(LeadOut, lead)
        assert lead["status"] == "investigative_lead"
        assert lead["case"] == DEMO_CASE
        assert lead["candidate_id"] == candidate["id"]
        assert lead["disposition_id"] == disposition
        assert lead["opened_by"] == gateway.users["alice"]
        assert lead["notice"].startswith("Not a positive identification")
        decision, created = _entries(gateway, before)
        assert decision["outcome"] == "allowed"
        assert decision["details"]["action"] == "lead.open"
        assert created["event"] == "lead:record:create"
        assert created["case"] == DEMO_CASE
        assert created["submission"] == lead["submission_id"]
        assert created["details"]["record"] == {
            "id": lead["id"], "case_id": lead["case_id"], "submission_id": lead["submission_id"],
            "candidate_id": candidate["id"], "disposition_id": disposition,
            "summary_sha256": _sha("badge photo resembles candidate 1"),
        }  # fmt: skip
        assert "badge photo" not in json.dumps(created)  # free text only as its hash

        before = _size(gateway)
        corroborated = _corroborate(alice, lead["id"])
        assert corroborated.status_code == 201, corroborated.text
        body = corroborated.json()
        _fits(CorroborationResultOut, body)
        assert body["lead"]["status"] == "corroborated"
        item = body["corroboration"]
        assert item["kind"] == "records_check"
        assert item["independent_of_frs"] is True
        decision, recorded = _entries(gateway, before)
        assert decision["details"]["action"] == "corroboration.record"
        assert recorded["event"] == "corroboration:record:create"
        assert recorded["details"]["lead_status"] == "corroborated"
        assert recorded["details"]["record"] == {
            "id": item["id"], "lead_id": lead["id"], "kind": "records_check",
            "source_sha256": _sha("State DMV record"),
            "description_sha256": _sha("licence address matches the port badge holder"),
            "obtained_by_sha256": _sha("SA Alice Agent"), "obtained_on": "2026-10-05",
        }  # fmt: skip

        before = _size(gateway)
        marked = _mark(alice, lead["id"])
        assert marked.status_code == 201, marked.text
        _fits(LeadOut, marked.json())
        assert marked.json()["status"] == "enforcement_basis"
        assert marked.json()["enforcement_marked_by"] == gateway.users["alice"]
        decision, mark = _entries(gateway, before)
        assert decision["details"]["action"] == "lead.mark_enforcement_basis"
        assert decision["details"]["corroborations"] == [item["id"]]
        assert mark["event"] == "lead:enforcement:mark"
        assert mark["details"]["record"] == {
            "id": lead["id"], "status": "enforcement_basis",
            "enforcement_note_sha256": _sha("corroborated; warrant sought"),
        }  # fmt: skip

        # Reads are decided as candidates.view and recorded as lead:records:view.
        before = _size(gateway)
        shown = alice.get(f"{LEADS}/{lead['id']}")
        assert shown.status_code == 200, shown.text
        assert shown.json()["status"] == "enforcement_basis"
        assert [c["id"] for c in shown.json()["corroborations"]] == [item["id"]]
        listed = alice.get(f"/api/v1/cases/{DEMO_CASE}/leads")
        assert listed.status_code == 200, listed.text
        _fits(LeadListOut, listed.json())
        assert [x["id"] for x in listed.json()["leads"]] == [lead["id"]]
        reads = _entries(gateway, before)
        assert [e["event"] for e in reads] == [
            "policy:decision:evaluate", "lead:records:view",
            "policy:decision:evaluate", "lead:records:view",
        ]  # fmt: skip
        assert {e["details"]["action"] for e in reads[::2]} == {"candidates.view"}
        assert reads[3]["details"]["leads"] == [lead["id"]]

        # A corroborated lead may still gain corroboration; a closed one may not.
        more = _corroborate(alice, lead["id"], kind="witness_statement")
        assert more.status_code == 201, more.text
        assert more.json()["lead"]["status"] == "enforcement_basis"
        again = _mark(alice, lead["id"])
        assert again.status_code == 409, again.text
        closed = _close(alice, lead["id"])
        assert closed.status_code == 200, closed.text
        _fits(LeadOut, closed.json())
        assert closed.json()["status"] == "closed"
        [close_entry] = [e for e in _entries(gateway, before) if e["event"] == "lead:record:close"]
        assert close_entry["details"]["record"] == {
            "id": lead["id"], "status": "closed",
            "close_reason_sha256": _sha("excluded by records"),
        }  # fmt: skip
        assert _corroborate(alice, lead["id"]).status_code == 409
        assert _close(alice, lead["id"]).status_code == 409
        assert _mark(alice, lead["id"]).status_code == 409


def test_the_case_supervisor_marks_and_other_readers_are_decided(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    with gateway.client("alice") as alice:
        lead = _lead(alice, candidates[0]["id"])
        assert _corroborate(alice, lead).status_code == 201
    with gateway.client("sue") as sue:  # supervises another case, not this one
        before = _size(gateway)
        _refused(gateway, before, _mark(sue, lead), "purpose.case_assignment")
        before = _size(gateway)
        _refused(gateway, before, sue.get(f"{LEADS}/{lead}"), "purpose.case_assignment")
    with gateway.client("otto") as otto:  # OPR reads every candidate list, so every lead
        assert otto.get(f"/api/v1/cases/{DEMO_CASE}/leads").status_code == 200
    with gateway.client("sam") as sam:
        marked = _mark(sam, lead)
        assert marked.status_code == 201, marked.text
        assert marked.json()["enforcement_marked_by"] == gateway.users["sam"]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["no_match", "inconclusive", "superseded"])
def test_a_lead_comes_only_from_a_current_possible_lead(
    gateway: Gateway, candidates: list[dict[str, Any]], kind: str
) -> None:
    candidate = candidates[0]["id"]
    with gateway.client("alice") as alice:
        if kind == "superseded":
            disposition = _dispose(alice, candidate, "possible_match_lead")
            _dispose(alice, candidate, "no_match")  # a later judgement supersedes it
        else:
            disposition = _dispose(alice, candidate, kind)
        before = _size(gateway)
        refused = _open(alice, disposition)
    _refused(gateway, before, refused, "lead.requires_possible_lead")
    assert {c["section"] for c in refused.json()["decision"]["citations"]} == {"4.D.3"}


@pytest.mark.parametrize("kind", sorted(k.value for k in NOT_INDEPENDENT))
def test_corroboration_from_the_frs_itself_is_refused(
    gateway: Gateway, candidates: list[dict[str, Any]], kind: str
) -> None:
    with gateway.client("alice") as alice:
        lead = _lead(alice, candidates[0]["id"])
        before = _size(gateway)
        refused = _corroborate(alice, lead, kind=kind)
        _refused(gateway, before, refused, "corroboration.independent_source")
        assert _rules(refused) == {"corroboration.independent_source"}
        shown = alice.get(f"{LEADS}/{lead}").json()
    assert shown["status"] == "investigative_lead"
    assert shown["corroborations"] == []


def test_a_kind_stated_in_words_reaches_the_policy(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    with gateway.client("alice") as alice:
        lead = _lead(alice, candidates[0]["id"])
        before = _size(gateway)
        refused = _corroborate(alice, lead, kind="FRS result")
    _refused(gateway, before, refused, "corroboration.independent_source")


@pytest.mark.parametrize("description", ["", "   "])
def test_corroboration_must_be_described(
    gateway: Gateway, candidates: list[dict[str, Any]], description: str
) -> None:
    with gateway.client("alice") as alice:
        lead = _lead(alice, candidates[0]["id"])
        before = _size(gateway)
        refused = _corroborate(alice, lead, description=description)
    _refused(gateway, before, refused, "corroboration.described")


def test_an_unknown_kind_is_malformed_and_names_the_kinds(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    with gateway.client("alice") as alice:
        lead = _lead(alice, candidates[0]["id"])
        before = _size(gateway)
        bad = _corroborate(alice, lead, kind="hunch")
        assert bad.status_code == 422, bad.text
        assert "records_check" in bad.json()["message"]
        assert "hunch" in bad.json()["message"]
        assert _size(gateway) == before  # malformed: nothing recorded
        blank = _corroborate(alice, lead, source="")
        assert blank.status_code == 422, blank.text
        assert "source" in blank.text


def test_enforcement_before_corroboration_is_refused_and_logged(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    with gateway.client("alice") as alice:
        lead = _lead(alice, candidates[0]["id"])
        before = _size(gateway)
        refused = _mark(alice, lead)
        _refused(gateway, before, refused, "lead.corroborated")
        [citation] = [
            c for c in refused.json()["decision"]["citations"] if c["rule"] == "lead.corroborated"
        ]
        assert citation["section"] == "4.D.3"
        assert alice.get(f"{LEADS}/{lead}").json()["status"] == "investigative_lead"


def test_an_examiner_does_not_mark_a_lead(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    with gateway.client("alice") as alice:
        lead = _lead(alice, candidates[0]["id"])
        assert _corroborate(alice, lead).status_code == 201
    with gateway.client("erin") as erin:  # assigned to the case, but an examiner
        before = _size(gateway)
        _refused(gateway, before, _mark(erin, lead), "duty.lead_enforcement_basis")
        before = _size(gateway)
        _refused(gateway, before, _corroborate(erin, lead), "duty.corroboration_record")
        before = _size(gateway)
        _refused(gateway, before, _close(erin, lead), "duty.lead_close")


def test_an_agent_not_on_the_case_is_refused(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    certified_agent(gateway, "andy")
    with gateway.client("alice") as alice:
        disposition = _dispose(alice, candidates[0]["id"], "possible_match_lead")
        lead = _lead(alice, candidates[1]["id"])
        assert _corroborate(alice, lead).status_code == 201
    with gateway.client("andy") as andy:
        for call in (
            lambda: _open(andy, disposition),
            lambda: _corroborate(andy, lead),
            lambda: _mark(andy, lead),
            lambda: _close(andy, lead),
            lambda: andy.get(f"{LEADS}/{lead}"),
            lambda: andy.get(f"/api/v1/cases/{DEMO_CASE}/leads"),
        ):
            before = _size(gateway)
            _refused(gateway, before, call(), "purpose.case_assignment")


def test_corroboration_of_one_lead_does_not_count_for_another(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    with gateway.client("alice") as alice:
        lead_a = _lead(alice, candidates[0]["id"])
        lead_b = _lead(alice, candidates[1]["id"])
        assert _corroborate(alice, lead_a).status_code == 201
        before = _size(gateway)
        _refused(gateway, before, _mark(alice, lead_b), "lead.corroborated")
        assert _mark(alice, lead_a).status_code == 201
        listed = alice.get(f"/api/v1/cases/{DEMO_CASE}/leads").json()["leads"]
    assert {x["id"]: x["status"] for x in listed} == {
        lead_a: "enforcement_basis",
        lead_b: "investigative_lead",
    }
    assert [len(x["corroborations"]) for x in listed] == [1, 0]


def test_one_open_lead_per_disposition(gateway: Gateway, candidates: list[dict[str, Any]]) -> None:
    with gateway.client("alice") as alice:
        disposition = _dispose(alice, candidates[0]["id"], "possible_match_lead")
        first = _open(alice, disposition)
        assert first.status_code == 201, first.text
        before = _size(gateway)
        second = _open(alice, disposition)
        assert second.status_code == 409, second.text
        assert first.json()["id"] in second.json()["message"]
        assert _size(gateway) == before
    with gateway.client("erin") as erin:  # whoever the pack refuses is refused, and recorded
        before = _size(gateway)
        _refused(gateway, before, _open(erin, disposition), "duty.lead_open")
    with gateway.client("alice") as alice:
        # Once that lead is closed, the disposition may carry a new one.
        assert _close(alice, first.json()["id"]).status_code == 200
        assert _open(alice, disposition).status_code == 201


def test_a_closed_case_takes_no_more_lead_work(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    with gateway.client("alice") as alice:
        lead = _lead(alice, candidates[0]["id"])
        corroborated = _lead(alice, candidates[1]["id"])
        assert _corroborate(alice, corroborated).status_code == 201
        disposition = _dispose(alice, candidates[2]["id"], "possible_match_lead")
    with gateway.client("sam") as sam:
        closed = sam.post(
            f"/api/v1/admin/cases/{DEMO_CASE}/close", json={"reason": "investigation ended"}
        )
        assert closed.status_code == 200, closed.text
    with gateway.client("alice") as alice:
        for call in (
            lambda: _open(alice, disposition),
            lambda: _corroborate(alice, lead),
            lambda: _mark(alice, corroborated),
            lambda: _close(alice, lead),
        ):
            before = _size(gateway)
            _refused(gateway, before, call(), "purpose.case_open")


def test_opening_a_lead_is_idempotent_with_a_key(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    with gateway.client("alice") as alice:
        disposition = _dispose(alice, candidates[0]["id"], "possible_match_lead")
        body = {"disposition_id": disposition, "summary": "candidate resembles the suspect"}
        headers = {"Idempotency-Key": "lead-open-1"}
        first = alice.post(LEADS, json=body, headers=headers)
        assert first.status_code == 201, first.text
        size = _size(gateway)
        again = alice.post(LEADS, json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert _size(gateway) == size
        other = alice.post(LEADS, json=body | {"summary": "else"}, headers=headers)
        assert other.status_code == 409


def test_bad_requests_name_the_field(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        assert alice.post(LEADS, json={"disposition_id": "x"}).status_code == 422
        missing = _open(alice, "disposition_missing")
        assert missing.status_code == 404, missing.text
        assert alice.get(f"{LEADS}/lead_missing").status_code == 404
        assert _mark(alice, "lead_missing").status_code == 404
        bad_date = _corroborate(alice, "lead_missing", obtained_on="5 October")
        assert bad_date.status_code == 422
        assert "obtained_on" in bad_date.text
        assert alice.get("/api/v1/cases/HSI-NOPE/leads").status_code == 404


def test_leads_of_a_use_held_for_its_exigent_approval_are_held_too(gateway: Gateway) -> None:
    """memo 4.C.3: results of an exigent use of an unreviewed FRS, not approved in time, are
    held until a supervisor approves; the leads drawn from them are held alike."""
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        used = alice.post(
            "/api/v1/submissions",
            json=exigent_body(probe["id"], "exigent-unreviewed", "suspect fleeing the port"),
        )
        assert used.status_code == 201, used.text
        approval = used.json()["approvals"][0]["id"]
        sub = used.json()["submission"]["id"]
        listed = alice.get(f"/api/v1/submissions/{sub}/candidates").json()["candidates"]
        lead = _lead(alice, listed[0]["id"])
        gate = gateway.runtime.gate
        real = gate.clock
        gate.clock = lambda: real() + timedelta(hours=25)  # past the pack's 24 hours
        try:
            for response in (
                alice.get(f"{LEADS}/{lead}"),
                alice.get(f"/api/v1/cases/{DEMO_CASE}/leads"),
                _corroborate(alice, lead),
            ):
                assert response.status_code == 409, response.text
                assert response.json()["decision"]["decision"] == "needs_approval"
                assert [a["id"] for a in response.json()["awaiting"]] == [approval]
            with gateway.client("sam") as sam:
                decided = sam.post(
                    f"/api/v1/approvals/{approval}/decision",
                    json={"approve": True, "note": "exigency confirmed"},
                )
                assert decided.status_code == 200, decided.text
            assert alice.get(f"{LEADS}/{lead}").status_code == 200
            assert _corroborate(alice, lead).status_code == 201
        finally:
            gate.clock = real


# --- concurrency -----------------------------------------------------------------------------


def _race(gateway: Gateway, lead: str) -> dict[str, int]:
    """Mark and close `lead` at once, from two clients; the status each got."""
    answers: dict[str, int] = {}
    start = threading.Barrier(2)

    def run(name: str) -> None:
        with gateway.client("alice") as client:
            start.wait()
            act = _mark if name == "mark" else _close
            answers[name] = act(client, lead).status_code

    threads = [threading.Thread(target=run, args=(n,)) for n in ("mark", "close")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_marking_racing_a_close_never_leaves_a_closed_lead_marked_after(
    gateway: Gateway, candidates: list[dict[str, Any]]
) -> None:
    with gateway.client("alice") as alice:
        leads = [_lead(alice, c["id"]) for c in candidates[:3]]
        for lead in leads:
            assert _corroborate(alice, lead).status_code == 201
    for lead in leads:
        answers = _race(gateway, lead)
        # The close always lands (any state but closed may be closed); the mark either came
        # first (201) or found the lead closed (409). Never both marked after the close.
        assert answers["close"] == 200, answers
        assert answers["mark"] in (201, 409), answers
        with unit_of_work(gateway.runtime.engine) as uow:
            stored = uow.leads.get(lead)
        assert stored.status.value == "closed"
        events = [
            e["event"]
            for e in _entries(gateway, 0)
            if e.get("subject") == f"lead:{lead}" and e["event"] != "policy:decision:evaluate"
        ]
        expected = ["lead:record:create", "lead:record:close"]
        if answers["mark"] == 201:
            expected = ["lead:record:create", "lead:enforcement:mark", "lead:record:close"]
            assert stored.enforcement_basis_at is not None
        else:
            assert stored.enforcement_basis_at is None
        assert events == expected
