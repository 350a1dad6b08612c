"""The report-of-investigation entry over HTTP (memo 4.E.2): what it says about a real use, its
text and PDF, the filing that binds the exact text on the ledger, and the overdue entry in the
case supervisor's queue."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from harness import Gateway
from helpers import DEMO_CASE, DEMO_FRS_PROGRAM_CODE, probe_for_result, submission_body
from pypdf import PdfReader

from frsgate.domain import LEAD_ONLY_NOTICE
from frsgate.services.roi import deadline_days
from frsgate.store.unit import unit_of_work

ROI = "/api/v1/submissions/{}/roi"
FILINGS = "/api/v1/submissions/{}/roi/filings"


def _entries(gateway: Gateway, since: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _use(alice: httpx.Client, *, negative: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """A submission of the demo case the sandbox answered, and its candidates."""
    probe = probe_for_result(alice, negative=negative)
    done = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert done.status_code == 201, done.text
    sub_id = done.json()["submission"]["id"]
    listed = alice.get(f"/api/v1/submissions/{sub_id}/candidates")
    assert listed.status_code == 200, listed.text
    return sub_id, listed.json()["candidates"]


def _worked(gateway: Gateway) -> tuple[str, list[dict[str, Any]]]:
    """A use whose first candidate became a corroborated lead, with an examination of it, a
    no-match disposition of the second, and a share of the lead."""
    with gateway.client("alice") as alice, gateway.client("erin") as erin:
        sub_id, candidates = _use(alice)
        first, second = candidates[0], candidates[1]
        lead_disp = alice.post(
            f"/api/v1/candidates/{first['id']}/dispositions",
            json={"kind": "possible_match_lead",
                  "rationale": "same scar above the left eyebrow",
                  "traditional_means_compared": "port badge photo of the warehouse worker"},
        )  # fmt: skip
        assert lead_disp.status_code == 201, lead_disp.text
        no_match = alice.post(
            f"/api/v1/candidates/{second['id']}/dispositions",
            json={"kind": "no_match", "rationale": "different ear shape and hairline"},
        )
        assert no_match.status_code == 201, no_match.text
        exam = erin.post(
            f"/api/v1/candidates/{first['id']}/examinations",
            json={"method": "morphological comparison (FISWG)",
                  "conclusion": "supports_same_source",
                  "limitations": "probe is a low-resolution video still"},
        )  # fmt: skip
        assert exam.status_code == 201, exam.text
        lead = alice.post(
            "/api/v1/leads",
            json={"disposition_id": lead_disp.json()["disposition"]["id"],
                  "summary": "candidate 1 may be the warehouse worker"},
        )  # fmt: skip
        assert lead.status_code == 201, lead.text
        lead_id = lead.json()["id"]
        corroborated = alice.post(
            f"/api/v1/leads/{lead_id}/corroborations",
            json={"kind": "records_check", "source": "State DMV record",
                  "description": "licence photo and address match the badge holder",
                  "obtained_by": "SA Alice Agent", "obtained_on": "2026-10-05"},
        )  # fmt: skip
        assert corroborated.status_code == 201, corroborated.text
        shared = alice.post(
            "/api/v1/shares",
            json={"case": DEMO_CASE, "lead_id": lead_id, "recipient": "CBP Newark",
                  "authority_kind": "agreement", "authority": "MOU HSI-CBP 2024-07",
                  "description": "lead summary and the candidate's gallery reference"},
        )  # fmt: skip
        assert shared.status_code == 201, shared.text
    return sub_id, candidates


def test_the_entry_notes_every_element_of_the_use(gateway: Gateway) -> None:
    sub_id, candidates = _worked(gateway)
    before = gateway.runtime.ledger.size()
    with gateway.client("alice") as alice:
        text_answer = alice.get(ROI.format(sub_id), params={"format": "text"})
        as_json = alice.get(ROI.format(sub_id))
        pdf = alice.get(ROI.format(sub_id), params={"format": "pdf"})
    assert text_answer.status_code == 200, text_answer.text
    assert text_answer.headers["content-type"] == "text/plain; charset=utf-8"
    text = text_answer.text
    first = candidates[0]
    for element in (
        "sandbox",  # the FRS used
        "Date and time of search",
        DEMO_CASE,
        "18USC545",  # the violation
        "18 U.S.C. 545",  # the statutory authority
        "one to many",  # the match type
        DEMO_FRS_PROGRAM_CODE,
        f"List size:                          {len(candidates)}",
        f"{first['score']:.4f}",
        "possible match: an investigative lead only",  # dispositions
        "no match (not pursued)",
        "supports same source",  # the examination
        "candidate 1 may be the warehouse worker",  # the lead
        "corroborated by information independent of the FRS",
        "State DMV record",  # the corroboration
        "CBP Newark",  # the share
        "MOU HSI-CBP 2024-07",
        LEAD_ONLY_NOTICE,
    ):
        assert element in text, element
    for c in candidates:
        assert f"Candidate ranked {c['rank']} of {len(candidates)}" in text

    assert as_json.status_code == 200, as_json.text
    body = as_json.json()
    assert body["investigative_lead_only"] is True
    assert body["notice"] == LEAD_ONLY_NOTICE
    report = body["report"]
    assert report["list_size"] == len(candidates)
    assert report["negative"] is False
    assert report["program_code"] == DEMO_FRS_PROGRAM_CODE
    assert report["candidates"][0]["disposition"]["kind"] == "possible_match_lead"
    assert report["leads"][0]["corroborations"][0]["source"] == "State DMV record"
    assert body["filings"] == []

    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    assert all(LEAD_ONLY_NOTICE in page.extract_text() for page in pages)

    reads = [e for e in _entries(gateway, before) if e["event"] == "roi:entry:view"]
    assert len(reads) == 3
    assert {r["submission"] for r in reads} == {sub_id}
    assert reads[0]["actor"]["id"] == gateway.users["alice"]


def test_a_negative_result_is_noted_too(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id, candidates = _use(alice, negative=True)
        text = alice.get(ROI.format(sub_id), params={"format": "text"}).text
    assert candidates == []
    assert "Negative result: the FRS returned no candidates." in text
    assert LEAD_ONLY_NOTICE in text


def test_filing_binds_exactly_the_text_returned(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id, _ = _use(alice)
        shown = alice.get(ROI.format(sub_id), params={"format": "text"}).text
        before = gateway.runtime.ledger.size()
        filed = alice.post(
            FILINGS.format(sub_id),
            json={"case_system_ref": "ICM-ROI-2026-0042"},
            headers={"Idempotency-Key": "file-once"},
        )
        again = alice.post(
            FILINGS.format(sub_id),
            json={"case_system_ref": "ICM-ROI-2026-0042"},
            headers={"Idempotency-Key": "file-once"},
        )
        listed = alice.get(ROI.format(sub_id)).json()["filings"]
    assert filed.status_code == 201, filed.text
    body = filed.json()
    digest = hashlib.sha256(body["text"].encode("utf-8")).hexdigest()
    assert body["text"] == shown
    assert body["body_sha256"] == digest
    assert body["status"] == "filed"
    assert body["filed_by"] == "alice"
    assert body["case_system_ref"] == "ICM-ROI-2026-0042"
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [f["id"] for f in listed] == [body["id"]]  # one filing, not two
    [entry] = [e for e in _entries(gateway, before) if e["event"] == "roi:entry:file"]
    assert entry["details"]["record"] == {
        "id": body["id"], "submission_id": sub_id,
        "case_system_ref": "ICM-ROI-2026-0042", "body_sha256": digest,
    }  # fmt: skip
    assert entry["case"] == DEMO_CASE
    assert shown not in json.dumps(entry)  # the text itself is not on the ledger


def test_filing_is_the_agents_act_and_needs_results(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id, _ = _use(alice)
    before = gateway.runtime.ledger.size()
    with gateway.client("erin") as erin:  # an examiner does not file the case's ROI
        refused = erin.post(FILINGS.format(sub_id), json={"case_system_ref": "R-1"})
    assert refused.status_code == 403, refused.text
    cited = refused.json()["decision"]["citations"]
    assert "duty.roi_file" in {c["rule"] for c in cited}
    [decision] = [e for e in _entries(gateway, before) if e["event"] == "policy:decision:evaluate"]
    assert decision["outcome"] == "denied"
    assert decision["citations"] == cited
    with gateway.client("alice") as alice:
        blank = alice.post(FILINGS.format(sub_id), json={"case_system_ref": ""})
        unknown = alice.post(FILINGS.format("sub_nope"), json={"case_system_ref": "R-1"})
        program_probe = probe_for_result(alice, negative=False, case="")
        program_use = alice.post("/api/v1/submissions", json=submission_body(program_probe["id"]))
        assert program_use.status_code == 201, program_use.text
        program_sub = program_use.json()["submission"]["id"]
        no_case = alice.post(FILINGS.format(program_sub), json={"case_system_ref": "R-1"})
        no_case_view = alice.get(ROI.format(program_sub))
    assert blank.status_code == 422
    assert unknown.status_code == 404
    assert no_case.status_code == 409
    assert "case file" in no_case.json()["message"]
    assert no_case_view.status_code == 409


def test_a_use_without_results_has_no_entry_yet(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id, _ = _use(alice)
    # A use still waiting for its results (stored as dispatched, no candidate list yet).
    with unit_of_work(gateway.runtime.engine) as uow:
        lists = uow.candidate_lists.table
        cands = uow.candidates.table
        clist = uow.candidate_lists.get_by_submission(sub_id)
        uow.candidates.delete_images_of_list(clist.id)
        uow.conn.execute(cands.delete().where(cands.c.candidate_list_id == clist.id))
        uow.conn.execute(lists.delete().where(lists.c.id == clist.id))
    with gateway.client("alice") as alice:
        filed = alice.post(FILINGS.format(sub_id), json={"case_system_ref": "R-1"})
        shown = alice.get(ROI.format(sub_id))
    assert filed.status_code == 409
    assert "no results yet" in filed.json()["message"]
    assert shown.status_code == 409


@contextmanager
def _later(gateway: Gateway, days: int) -> Iterator[None]:
    gate = gateway.runtime.gate
    real = gate.clock
    gate.clock = lambda: real() + timedelta(days=days)
    try:
        yield
    finally:
        gate.clock = real


def test_an_overdue_entry_waits_in_the_case_supervisors_queue(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id, _ = _use(alice)
    deadline = deadline_days(gateway.runtime.gate)
    with gateway.client("sam") as sam, gateway.client("sue") as sue:
        assert sam.get("/api/v1/queue/supervisor").json()["roi_unfiled"] == []
        with _later(gateway, deadline - 1):  # not yet overdue
            assert sam.get("/api/v1/queue/supervisor").json()["roi_unfiled"] == []
        with _later(gateway, deadline + 2):
            queue = sam.get("/api/v1/queue/supervisor")
            other = sue.get("/api/v1/queue/supervisor")
    assert queue.status_code == 200, queue.text
    [item] = queue.json()["roi_unfiled"]
    assert item["kind"] == "roi_unfiled"
    assert item["submission"] == sub_id
    assert item["case"] == DEMO_CASE
    assert item["agent"] == "alice"
    assert item["days_overdue"] in (1, 2)
    assert other.status_code == 200, other.text
    assert other.json()["roi_unfiled"] == []  # sue supervises another chain, not this case
    with _later(gateway, deadline + 2):
        with gateway.client("alice") as alice:
            filed = alice.post(FILINGS.format(sub_id), json={"case_system_ref": "ICM-7"})
            assert filed.status_code == 201, filed.text
        with gateway.client("sam") as sam:
            assert sam.get("/api/v1/queue/supervisor").json()["roi_unfiled"] == []
