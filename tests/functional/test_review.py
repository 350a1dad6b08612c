"""The review of a candidate list over HTTP (memo 4.D.1, 4.D.2): dispositions, a second
reviewer's verification, facial examinations, review flags, the lead-only marks of every view of
a list, and each refusal the memo governs — cited, and on the ledger with the same citations."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Gateway, running_gateway
from helpers import DEMO_CASE, probe_for_result, submission_body

from frsgate.api.schemas_review import DispositionResultOut, ExaminationResultOut
from frsgate.domain import LEAD_ONLY_NOTICE, Role
from frsgate.ledger import Actor
from frsgate.policy.engine import DEFAULT_PACK_DIR, load_pack
from frsgate.services import admin
from frsgate.store.unit import unit_of_work

COMPARED = "DMV photo and the port's access records of 2026-10-02 checked against the candidate"


def _entries(gateway: Gateway, since: int = 0) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _listed(gateway: Gateway, client: httpx.Client) -> tuple[str, list[dict[str, Any]]]:
    """A completed one-to-many search with candidates: its submission id and candidates."""
    probe = probe_for_result(client, negative=False)
    done = client.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert done.status_code == 201, done.text
    sub_id = done.json()["submission"]["id"]
    page = client.get(f"/api/v1/submissions/{sub_id}/candidates")
    assert page.status_code == 200, page.text
    candidates: list[dict[str, Any]] = page.json()["candidates"]
    assert len(candidates) >= 2
    return sub_id, candidates


def _dispose(
    client: httpx.Client, candidate_id: str, kind: str = "no_match", **more: Any
) -> httpx.Response:
    body = {"kind": kind, "rationale": "the gallery photo differs in the ear and the jaw line"}
    return client.post(f"/api/v1/candidates/{candidate_id}/dispositions", json=body | more)


def _refused(gateway: Gateway, act: Any, rule: str) -> dict[str, Any]:
    """Run `act`; it is refused (403) citing `rule`, and the refusal is on the ledger with the
    citations the caller was shown, and nothing else is. Returns the decision entry."""
    before = gateway.runtime.ledger.size()
    response = act()
    assert response.status_code == 403, response.text
    shown = response.json()["decision"]["citations"]
    assert rule in {c["rule"] for c in shown}, shown
    [decision] = _entries(gateway, before)
    assert decision["event"] == "policy:decision:evaluate"
    assert decision["outcome"] == "denied"
    assert decision["citations"] == shown
    return decision


def test_an_agent_disposes_every_candidate_and_the_list_becomes_reviewed(
    gateway: Gateway,
) -> None:
    with gateway.client("alice") as alice:
        sub_id, candidates = _listed(gateway, alice)
        before = gateway.runtime.ledger.size()
        first, *rest = candidates
        lead = _dispose(
            alice, first["id"], "possible_match_lead", traditional_means_compared=COMPARED
        )
        assert lead.status_code == 201, lead.text
        body = lead.json()
        assert DispositionResultOut.model_validate(body).model_dump(mode="json") == body
        assert body["investigative_lead_only"] is True
        rec = body["disposition"]
        assert rec["kind"] == "possible_match_lead"
        assert rec["decided_by"] == "alice"
        assert rec["supersedes_id"] is None
        assert body["candidate_list"] == {
            "id": body["candidate_list"]["id"],
            "status": "received",
            "reviewed": False,
        }
        answers = [
            _dispose(alice, c["id"], "Inconclusive" if i % 2 else "no match")
            for i, c in enumerate(rest)
        ]
        assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
        last = answers[-1].json()["candidate_list"]
        assert last["status"] == "reviewed"
        assert last["reviewed"] is True
        # A later disposition supersedes the current one; the list stays reviewed.
        again = _dispose(alice, first["id"], "no_match")
        assert again.status_code == 201, again.text
        assert again.json()["disposition"]["supersedes_id"] == rec["id"]
        assert again.json()["candidate_list"]["reviewed"] is True
        review = alice.get(f"/api/v1/submissions/{sub_id}/review")
        assert review.status_code == 200, review.text
        page = alice.get(f"/api/v1/submissions/{sub_id}/candidates").json()
    shown = review.json()
    assert shown["investigative_lead_only"] is True
    assert shown["notice"] == LEAD_ONLY_NOTICE
    assert shown["reviewed"] is True
    assert shown["verification_required"] is False
    assert shown["candidate_list"]["status"] == "reviewed"
    assert shown["candidate_list"]["reviewed_by"] == "alice"
    top = shown["candidates"][0]
    assert top["disposition"]["kind"] == "no_match"
    assert [d["id"] for d in top["superseded"]] == [rec["id"]]
    assert top["superseded"][0]["current"] is False
    assert top["superseded"][0]["traditional_means_compared"] == COMPARED
    assert all(c["disposition"] is not None for c in shown["candidates"])
    # The list read shows each current disposition, in brief.
    assert [c["disposition"]["kind"] for c in page["candidates"]] == [
        c["disposition"]["kind"] for c in shown["candidates"]
    ]
    assert page["candidates"][1]["disposition"]["by"] == "alice"
    assert page["candidates"][1]["disposition"]["verified"] is False

    # Each act's entry binds its record: free text by its SHA-256 only.
    entries = _entries(gateway, before)
    created = [e for e in entries if e["event"] == "disposition:record:create"]
    assert len(created) == len(candidates) + 1
    record = created[0]["details"]["record"]
    assert record == {
        "id": rec["id"],
        "candidate_id": first["id"],
        "kind": "possible_match_lead",
        "rationale_sha256": _sha("the gallery photo differs in the ear and the jaw line"),
        "traditional_means_compared_sha256": _sha(COMPARED),
        "supersedes_id": None,
    }
    assert created[0]["case"] == DEMO_CASE
    assert created[0]["submission"] == sub_id
    assert created[1]["details"]["record"]["traditional_means_compared_sha256"] is None
    assert created[-1]["details"]["record"]["supersedes_id"] == rec["id"]
    assert COMPARED not in json.dumps(entries)
    [viewed] = [e for e in entries if e["event"] == "disposition:records:view"]
    assert viewed["details"]["reviewed"] is True
    decisions = [e for e in entries if e["event"] == "policy:decision:evaluate"]
    assert {d["details"]["action"] for d in decisions} == {"disposition.record", "candidates.view"}


def test_a_candidate_list_is_never_a_positive_identification(gateway: Gateway) -> None:
    with gateway.client("alice") as alice, gateway.client("erin") as erin:
        sub_id, candidates = _listed(gateway, alice)
        target = candidates[0]["id"]
        wordings = [
            "positive_identification",
            "Positive identification",
            "match",
            "identified",
            "positive-match",
            "IDENTIFICATION",
            "confirmed match",
        ]
        for wording in wordings:
            decision = _refused(
                gateway,
                lambda w=wording: _dispose(alice, target, w, traditional_means_compared=COMPARED),
                "disposition.no_positive_identification",
            )
            assert decision["details"]["action"] == "disposition.record"
            assert decision["details"]["kind"] == "positive_identification"
            assert decision["case"] == DEMO_CASE
        # Not even an examiner's conclusion (memo 4.D.2).
        decision = _refused(
            gateway,
            lambda: erin.post(
                f"/api/v1/candidates/{target}/examinations",
                json={
                    "method": "ACE-V morphological comparison",
                    "conclusion": "identification",
                    "limitations": "frontal probe; gallery photo 9 years old",
                },
            ),
            "disposition.no_positive_identification",
        )
        assert decision["details"]["action"] == "examination.record"
        assert decision["details"]["conclusion"] == "positive_identification"
        # A word that is neither a kind nor a claim of identity is malformed: 422, unrecorded.
        before = gateway.runtime.ledger.size()
        odd = _dispose(alice, target, "probably")
        assert odd.status_code == 422, odd.text
        assert "no_match, possible_match_lead, inconclusive" in odd.json()["message"]
        bad = erin.post(
            f"/api/v1/candidates/{target}/examinations",
            json={"method": "m", "conclusion": "strong support", "limitations": "l"},
        )
        assert bad.status_code == 422, bad.text
        assert "supports_same_source" in bad.json()["message"]
        blank = _dispose(alice, target, "no_match", rationale="   ")
        assert blank.status_code == 422, blank.text
        assert gateway.runtime.ledger.size() == before
        review = alice.get(f"/api/v1/submissions/{sub_id}/review").json()
    assert review["candidates"][0]["disposition"] is None


def test_a_possible_lead_needs_a_comparison_by_traditional_means(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        _, candidates = _listed(gateway, alice)
        target = candidates[0]["id"]
        _refused(
            gateway,
            lambda: _dispose(alice, target, "possible_match_lead"),
            "disposition.lead_requires_comparison",
        )
        _refused(
            gateway,
            lambda: _dispose(alice, target, "possible match lead", traditional_means_compared="  "),
            "disposition.lead_requires_comparison",
        )
        ok = _dispose(alice, target, "possible match lead", traditional_means_compared=COMPARED)
        assert ok.status_code == 201, ok.text


def test_only_an_examiner_records_an_examination(gateway: Gateway) -> None:
    with gateway.client("alice") as alice, gateway.client("erin") as erin:
        sub_id, candidates = _listed(gateway, alice)
        target = candidates[0]["id"]
        exam = {
            "method": "morphological comparison of facial features",
            "conclusion": "inconclusive",
            "limitations": "the gallery photo is low resolution",
        }
        decision = _refused(
            gateway,
            lambda: alice.post(f"/api/v1/candidates/{target}/examinations", json=exam),
            "examination.examiner_only",
        )
        assert {c["section"] for c in decision["citations"]} >= {"4.D.1"}
        before = gateway.runtime.ledger.size()
        done = erin.post(
            f"/api/v1/candidates/{target}/examinations",
            json=exam | {"notes": "ask for a better gallery image"},
        )
        assert done.status_code == 201, done.text
        assert ExaminationResultOut.model_validate(done.json()).model_dump(mode="json") == (
            done.json()
        )
        recorded = done.json()["examination"]
        assert recorded["examiner"] == "erin"
        assert recorded["conclusion"] == "inconclusive"
        review = alice.get(f"/api/v1/submissions/{sub_id}/review").json()
    [entry] = [e for e in _entries(gateway, before) if e["event"] == "examination:record:create"]
    assert entry["actor"]["role"] == "examiner"
    assert entry["details"]["record"] == {
        "id": recorded["id"],
        "candidate_id": target,
        "examiner_id": gateway.users["erin"],
        "conclusion": "inconclusive",
        "method_sha256": _sha(exam["method"]),
        "limitations_sha256": _sha(exam["limitations"]),
        "notes_sha256": _sha("ask for a better gallery image"),
    }
    assert [e["id"] for e in review["candidates"][0]["examinations"]] == [recorded["id"]]


def test_who_may_dispose(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        _, candidates = _listed(gateway, alice)
    target = candidates[0]["id"]
    # A supervisor (sue supervises, and is neither agent nor examiner).
    with gateway.client("sue") as sue:
        _refused(gateway, lambda: _dispose(sue, target), "duty.disposition_record")
    # An agent taken off the case.
    with gateway.client("sam") as sam:
        removed = sam.delete(f"/api/v1/admin/cases/{DEMO_CASE}/assignments/alice")
        assert removed.status_code == 200, removed.text
    with gateway.client("alice") as alice:
        _refused(gateway, lambda: _dispose(alice, target), "purpose.case_assignment")
    # The examiner assigned to the case may.
    with gateway.client("erin") as erin:
        assert _dispose(erin, target).status_code == 201


def test_a_second_reviewer_verifies(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        _, candidates = _listed(gateway, alice)
        made = _dispose(
            alice, candidates[0]["id"], "possible_match_lead", traditional_means_compared=COMPARED
        ).json()["disposition"]
        path = f"/api/v1/dispositions/{made['id']}/verification"
        _refused(
            gateway,
            lambda: alice.post(path, json={"note": "looks right to me"}),
            "disposition.verify_not_own",
        )
    with gateway.client("olga") as olga:
        _refused(gateway, lambda: olga.post(path, json={"note": "x"}), "duty.disposition_verify")
    before = gateway.runtime.ledger.size()
    with gateway.client("sam") as sam:
        done = sam.post(path, json={"note": "compared the DMV record myself"})
        assert done.status_code == 201, done.text
        assert DispositionResultOut.model_validate(done.json())
        verified = done.json()["disposition"]
        assert verified["verified"] is True
        assert verified["verified_by"] == "sam"
        assert verified["decided_by"] == "alice"
        assert verified["verification_note"] == "compared the DMV record myself"
        twice = sam.post(path, json={"note": "again"})
        assert twice.status_code == 409, twice.text
    [entry] = [e for e in _entries(gateway, before) if e["event"] == "disposition:record:verify"]
    assert entry["details"]["record"] == {
        "id": made["id"],
        "verified_by": gateway.users["sam"],
        "verification_note_sha256": _sha("compared the DMV record myself"),
    }
    assert entry["actor"]["role"] == "supervisor"
    # A superseded disposition is not verified.
    with gateway.client("alice") as alice, gateway.client("erin") as erin:
        old = _dispose(alice, candidates[1]["id"]).json()["disposition"]
        assert _dispose(alice, candidates[1]["id"], "inconclusive").status_code == 201
        stale = erin.post(f"/api/v1/dispositions/{old['id']}/verification", json={"note": "ok"})
        assert stale.status_code == 409, stale.text
        assert "superseded" in stale.json()["message"]
        unknown = erin.post(
            "/api/v1/dispositions/disposition_nope/verification", json={"note": "ok"}
        )
        assert unknown.status_code == 404


def test_every_view_of_a_list_marks_each_candidate_a_lead_only(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        sub_id, candidates = _listed(gateway, alice)
        assert _dispose(alice, candidates[0]["id"]).status_code == 201
        page = alice.get(f"/api/v1/submissions/{sub_id}/candidates").json()
        before = gateway.runtime.ledger.size()
        as_csv = alice.get(f"/api/v1/submissions/{sub_id}/candidates", params={"format": "csv"})
        bad = alice.get(f"/api/v1/submissions/{sub_id}/candidates", params={"format": "xml"})
    assert page["investigative_lead_only"] is True
    for c in page["candidates"]:
        assert c["investigative_lead_only"] is True
        assert set(c) >= {"flags", "photo_taken_on", "disposition", "image", "score"}
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.text.splitlines()
    assert lines[0] == f"# {LEAD_ONLY_NOTICE}"
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    assert [r["candidate_id"] for r in rows] == [c["id"] for c in page["candidates"]]
    assert {r["investigative_lead_only"] for r in rows} == {"true"}
    for row, c in zip(rows, page["candidates"], strict=True):
        assert row["flags"] == ";".join(f["code"] for f in c["flags"])
        assert row["photo_taken_on"] == (c["photo_taken_on"] or "")
    assert rows[0]["disposition"] == "no_match"
    assert rows[0]["disposition_by"] == "alice"
    assert rows[1]["disposition"] == ""
    # The CSV read is a logged read like the JSON one.
    events = [e["event"] for e in _entries(gateway, before)]
    assert events == ["policy:decision:evaluate", "candidates:list:view"]
    assert bad.status_code == 422


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _expected_flags(candidates: list[dict[str, Any]], searched: date) -> list[list[str]]:
    """The flags of the default settings, worked out here from what the list shows."""
    top = max(c["score"] for c in candidates)
    close = [c for c in candidates if top - c["score"] <= 0.02 + 1e-9]
    crowded = {c["id"] for c in close} if len(close) >= 3 else set()
    expected = []
    for c in candidates:
        codes = []
        taken = c["photo_taken_on"]
        if taken is not None and date.fromisoformat(taken) < _years_before(searched, 5):
            codes.append("photo_old")
        if c["score"] < 0.6:
            codes.append("low_score")
        if c["id"] in crowded:
            codes.append("close_scores")
        expected.append(codes)
    return expected


def test_review_flags_are_shown_with_each_candidate(gateway: Gateway) -> None:
    seen: set[str] = set()
    with gateway.client("alice") as alice:
        for _ in range(2):
            sub_id, _ = _listed(gateway, alice)
            page = alice.get(f"/api/v1/submissions/{sub_id}/candidates").json()
            review = alice.get(f"/api/v1/submissions/{sub_id}/review").json()
            searched = datetime.fromisoformat(page["submission"]["dispatched_at"]).date()
            got = [[f["code"] for f in c["flags"]] for c in page["candidates"]]
            assert got == _expected_flags(page["candidates"], searched)
            assert [[f["code"] for f in c["flags"]] for c in review["candidates"]] == got
            for c in page["candidates"]:
                for flag in c["flags"]:
                    assert flag["detail"]
                    seen.add(flag["code"])
    # The sandbox's gallery has old photos and spread scores: flags do show up.
    assert "photo_old" in seen


def test_flag_thresholds_come_from_the_settings(
    tmp_path: Path, database_url: str, sandbox_url: str
) -> None:
    with (
        running_gateway(
            tmp_path / "home",
            database_url,
            sandbox_url,
            flag_low_score=1.0,
            flag_close_score_margin=1.0,
            flag_close_score_count=2,
            flag_photo_age_years=0,
        ) as gw,
        gw.client("alice") as alice,
    ):
        sub_id, candidates = _listed(gw, alice)
        as_csv = alice.get(f"/api/v1/submissions/{sub_id}/candidates?format=csv").text
    for c in candidates:
        codes = [f["code"] for f in c["flags"]]
        assert codes[-2:] == ["low_score", "close_scores"], codes
        assert ("photo_old" in codes) == (c["photo_taken_on"] is not None)
        assert "below 1" in c["flags"][codes.index("low_score")]["detail"]
    rows = list(csv.DictReader(line for line in io.StringIO(as_csv) if not line.startswith("#")))
    assert all("low_score;close_scores" in r["flags"] for r in rows)


def test_two_reviewers_disposing_one_candidate_at_once_leave_one_current(
    gateway: Gateway,
) -> None:
    with gateway.client("alice") as alice:
        sub_id, candidates = _listed(gateway, alice)
    targets = [c["id"] for c in candidates[:4]]
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def dispose(username: str, kind: str, barrier: threading.Barrier, target: str) -> None:
        with gateway.client(username) as client:
            barrier.wait()
            response = _dispose(client, target, kind)
        with lock:
            answers.append(response)

    for target in targets:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=dispose, args=("alice", "no_match", barrier, target)),
            threading.Thread(target=dispose, args=("erin", "inconclusive", barrier, target)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [a.status_code for a in answers] == [201] * 2 * len(targets), [a.text for a in answers]
    with unit_of_work(gateway.runtime.engine) as uow:
        stored = uow.dispositions.of_candidates(targets)
    for target in targets:
        found = stored[target]
        assert len(found) == 2
        superseded = {d.supersedes_id for d in found}
        current = [d for d in found if d.id not in superseded]
        assert len(current) == 1, found  # never two current dispositions
        assert {d.supersedes_id for d in found} == {
            None,
            next(d.id for d in found if d.supersedes_id is None),
        }
    with gateway.client("sam") as sam:
        review = sam.get(f"/api/v1/submissions/{sub_id}/review").json()
    for c in review["candidates"][: len(targets)]:
        assert c["disposition"] is not None
        assert len(c["superseded"]) == 1


def test_a_disposition_is_recorded_once_per_idempotency_key(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        _, candidates = _listed(gateway, alice)
        path = f"/api/v1/candidates/{candidates[0]['id']}/dispositions"
        body = {"kind": "no_match", "rationale": "different person"}
        first = alice.post(path, json=body, headers={"Idempotency-Key": "dispose-1"})
        again = alice.post(path, json=body, headers={"Idempotency-Key": "dispose-1"})
        other = alice.post(
            path, json=body | {"kind": "inconclusive"}, headers={"Idempotency-Key": "dispose-1"}
        )
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert other.status_code == 409
    with unit_of_work(gateway.runtime.engine) as uow:
        assert len(uow.dispositions.of_candidate(candidates[0]["id"])) == 1


def _pack_requiring_verification(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK_DIR, folder)
    toml = folder / "pack.toml"
    text = toml.read_text()
    assert "disposition_verification_required = false" in text
    toml.write_text(
        text.replace(
            "disposition_verification_required = false", "disposition_verification_required = true"
        )
    )
    return folder


def test_a_pack_requiring_verification_reviews_a_list_only_once_each_is_verified(
    gateway: Gateway, tmp_path: Path
) -> None:
    with gateway.client("alice") as alice:
        sub_id, candidates = _listed(gateway, alice)
    # The agency's pack asks a second reviewer: loaded, then approved by IGP as the product
    # does it (an administrator asks, another user with the igp role approves; memo fn2).
    pack = load_pack(_pack_requiring_verification(tmp_path))
    gate = gateway.runtime.gate
    assert pack.sha256 != gate.policy.sha256
    gate.use_pack(pack)  # active only once IGP approves it
    with gateway.client("alice") as alice:
        _refused(gateway, lambda: _dispose(alice, candidates[0]["id"]), "pack.not_activated")
    with gateway.client("ada") as ada, gateway.client("ivan") as ivan:
        asked = ada.post(
            "/api/v1/policy/activations", json={"reason": "the agency asks a second reviewer"}
        )
        assert asked.status_code == 201, asked.text
        approval = asked.json()["approval"]["id"]
        approved = ivan.post(
            f"/api/v1/approvals/{approval}/decision", json={"approve": True, "note": "reviewed"}
        )
        assert approved.status_code == 200, approved.text
    assert gate.active

    with gateway.client("alice") as alice:
        made = [_dispose(alice, c["id"]) for c in candidates]
        assert all(m.status_code == 201 for m in made), [m.text for m in made]
        assert {m.json()["candidate_list"]["reviewed"] for m in made} == {False}
        review = alice.get(f"/api/v1/submissions/{sub_id}/review").json()
    assert review["verification_required"] is True
    assert review["reviewed"] is False
    assert review["candidate_list"]["status"] == "received"
    ids = [m.json()["disposition"]["id"] for m in made]
    with gateway.client("sam") as sam:
        for disposition_id in ids[:-1]:
            done = sam.post(
                f"/api/v1/dispositions/{disposition_id}/verification", json={"note": "checked"}
            )
            assert done.status_code == 201, done.text
            assert done.json()["candidate_list"]["reviewed"] is False
        last = sam.post(f"/api/v1/dispositions/{ids[-1]}/verification", json={"note": "checked"})
        assert last.status_code == 201, last.text
        assert last.json()["candidate_list"] == {
            "id": last.json()["candidate_list"]["id"],
            "status": "reviewed",
            "reviewed": True,
        }
        review = sam.get(f"/api/v1/submissions/{sub_id}/review").json()
    assert review["reviewed"] is True
    assert review["candidate_list"]["reviewed_by"] == "sam"
    # A new, unverified disposition: the list is not reviewed until it is verified; its stored
    # status keeps when the review was first completed.
    with gateway.client("alice") as alice:
        assert _dispose(alice, candidates[0]["id"], "inconclusive").status_code == 201
        review = alice.get(f"/api/v1/submissions/{sub_id}/review").json()
    assert review["reviewed"] is False
    assert review["candidate_list"]["status"] == "reviewed"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/candidates/cand_nope/dispositions", {"kind": "no_match", "rationale": "r"}),
        (
            "/api/v1/candidates/cand_nope/examinations",
            {"method": "m", "conclusion": "inconclusive", "limitations": "l"},
        ),
    ],
)
def test_an_unknown_candidate_is_404(gateway: Gateway, path: str, body: dict[str, str]) -> None:
    with gateway.client("erin") as erin:
        response = erin.post(path, json=body)
    assert response.status_code == 404, response.text
    with gateway.client("alice") as alice:
        assert alice.get("/api/v1/submissions/sub_nope/review").status_code == 404


def test_a_supervisor_of_another_case_does_not_verify_this_cases_disposition(
    gateway: Gateway,
) -> None:
    """A disposition id read off the ledger is no key: the decision point reads the case the
    disposition belongs to, and a supervisor with no part in it is refused, cited, on record."""
    gate = gateway.runtime.gate
    outsider = admin.create_user(
        gate, Actor.system(), username="vera", display_name="Vera",
        roles=[Role.supervisor], supervisor_id=None,
    )  # fmt: skip
    gateway.users["vera"] = outsider.id
    with gateway.client("alice") as alice:
        _, candidates = _listed(gateway, alice)
        made = _dispose(
            alice, candidates[0]["id"], "possible_match_lead", traditional_means_compared=COMPARED
        ).json()["disposition"]
    path = f"/api/v1/dispositions/{made['id']}/verification"
    with gateway.client("vera") as vera:
        decision = _refused(
            gateway, lambda: vera.post(path, json={"note": "fine"}), "purpose.case_assignment"
        )
    assert decision["actor"]["id"] == outsider.id
    with unit_of_work(gateway.runtime.engine) as uow:
        [stored] = uow.dispositions.of_candidate(candidates[0]["id"])
    assert stored.id == made["id"]
    assert stored.verified_by is None


def test_two_verifications_of_one_disposition_at_once_record_one(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        _, candidates = _listed(gateway, alice)
        made = _dispose(
            alice, candidates[0]["id"], "possible_match_lead", traditional_means_compared=COMPARED
        ).json()["disposition"]
    path = f"/api/v1/dispositions/{made['id']}/verification"
    before = gateway.runtime.ledger.size()
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def verify(username: str) -> None:
        with gateway.client(username) as client:
            barrier.wait()
            response = client.post(path, json={"note": f"checked by {username}"})
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=verify, args=(u,)) for u in ("sam", "erin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    [won] = [a for a in answers if a.status_code == 201]
    verifications = [
        e for e in _entries(gateway, before) if e["event"] == "disposition:record:verify"
    ]
    assert len(verifications) == 1
    winner = won.json()["disposition"]["verified_by"]
    assert verifications[0]["details"]["record"]["verified_by"] == gateway.users[winner]
