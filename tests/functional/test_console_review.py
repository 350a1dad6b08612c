"""The console's review of a candidate list over HTTP, on the backend under test: the lead-only
notice beside every candidate (memo 4.D.2), on screen and in print; dispositions; leads, which
the policy will not make a basis for enforcement until corroborated (memo 4.D.3), the refusal
page citing the memo; the report-of-investigation entry (memo 4.E.2); an agent not on the case
refused; and forms without the session's CSRF token refused with nothing done."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Console, Gateway
from helpers import DEMO_CASE, certified_agent, searched

from frsgate.policy.engine import DEFAULT_PACK_DIR, load_pack
from frsgate.store.unit import unit_of_work
from frsgate.web.render import LEAD_ONLY_NOTICE

COMPARED = "compared with the port badge photo and the DMV record of the badge holder"


def _entries(gateway: Gateway, since: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _size(gateway: Gateway) -> int:
    return gateway.runtime.ledger.size()


def _use(gateway: Gateway) -> tuple[str, list[dict[str, Any]]]:
    """A search of the demo case the sandbox answered with candidates, made over the API."""
    with gateway.client("alice") as alice:
        sub_id, candidates = searched(alice)
    assert len(candidates) >= 2
    return sub_id, candidates


@pytest.fixture
def use(gateway: Gateway) -> tuple[str, list[dict[str, Any]]]:
    return _use(gateway)


def _page(sub_id: str) -> str:
    return f"/console/submissions/{sub_id}/candidates"


def _notices(html: str) -> int:
    """How many lead-only notices a page shows (each in its own element)."""
    marked = html.count('<div class="lead-only" role="note">')
    assert html.count(LEAD_ONLY_NOTICE) == marked
    return marked


def _cards(html: str) -> list[str]:
    """Each candidate's card, in order."""
    return re.findall(r'<article class="card candidate-card".*?</article>', html, re.S)


def _dispose(console: Console, candidate_id: str, kind: str, **more: str) -> httpx.Response:
    form = {"kind": kind, "rationale": f"reviewed in the console: {kind}"} | more
    return console.post(f"/console/candidates/{candidate_id}/dispositions", data=form)


def _review(gateway: Gateway, sub_id: str) -> dict[str, Any]:
    with gateway.client("alice") as alice:
        answer = alice.get(f"/api/v1/submissions/{sub_id}/review")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _lead_api(gateway: Gateway, lead_id: str) -> dict[str, Any]:
    with gateway.client("alice") as alice:
        answer = alice.get(f"/api/v1/leads/{lead_id}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _open_lead(gateway: Gateway, console: Console, candidate_id: str) -> str:
    """A possible-match disposition and a lead from it, both made in the console."""
    made = _dispose(console, candidate_id, "possible_match_lead",
                    traditional_means_compared=COMPARED)  # fmt: skip
    assert made.status_code == 303, made.text
    [current] = [
        c["disposition"] for c in _review(gateway, _sub_of(gateway, candidate_id))["candidates"]
        if c["id"] == candidate_id
    ]  # fmt: skip
    opened = console.post(
        "/console/leads",
        data={"disposition_id": current["id"], "summary": "badge photo resembles candidate"},
    )
    assert opened.status_code == 303, opened.text
    found = re.fullmatch(r"/console/leads/([^?]+)\?done=lead", opened.headers["location"])
    assert found is not None, opened.headers["location"]
    return found.group(1)


def _sub_of(gateway: Gateway, candidate_id: str) -> str:
    with unit_of_work(gateway.runtime.engine) as uow:
        candidate = uow.candidates.get(candidate_id)
        return uow.candidate_lists.get(candidate.candidate_list_id).submission_id


# --- the candidate list -----------------------------------------------------------------------


def test_the_candidate_page_marks_every_candidate_a_lead_only(
    gateway: Gateway, use: tuple[str, list[dict[str, Any]]]
) -> None:
    sub_id, candidates = use
    with gateway.console("alice") as alice:
        before = _size(gateway)
        page = alice.get(_page(sub_id))
        assert page.status_code == 200, page.text
        html = page.text
        # The list read is decided and recorded as the API's is (candidates.view).
        entries = _entries(gateway, before)
        assert entries[0]["event"] == "policy:decision:evaluate"
        assert entries[0]["details"]["action"] == "candidates.view"
        assert entries[0]["outcome"] == "allowed"
        assert entries[1]["event"] == "candidates:list:view"
        assert entries[1]["submission"] == sub_id

        # Once atop the list and once beside each candidate.
        assert _notices(html) == len(candidates) + 1
        cards = _cards(html)
        assert len(cards) == len(candidates)
        for card, c in zip(cards, candidates, strict=True):
            assert f'id="candidate-{c["id"]}"' in card
            assert card.count(LEAD_ONLY_NOTICE) == 1
            assert f"{c['score']:.4f}" in card
            assert c["gallery_ref"] in card
        assert html.count("<h1>") == 1

        # Images come through the console, a decided and recorded read each, with alt text.
        with_image = [c for c in candidates if c["image"]]
        assert with_image, "the sandbox sends candidate images"
        c = with_image[0]
        assert f'src="/console/candidates/{c["id"]}/image"' in html
        assert f'alt="Gallery photo of candidate {c["rank"]} ' in html
        before = _size(gateway)
        image = alice.get(f"/console/candidates/{c['id']}/image")
        assert image.status_code == 200, image.text
        assert image.headers["content-type"].startswith("image/")
        decision, read = _entries(gateway, before)
        assert decision["details"]["action"] == "candidates.view"
        assert read["event"] == "candidates:list:view"
        assert read["subject"] == f"candidate:{c['id']}"
    with gateway.client("alice") as api:
        assert image.content == api.get(f"/api/v1/candidates/{c['id']}/image").content


def test_the_print_view_carries_the_notice_beside_every_candidate(
    gateway: Gateway, use: tuple[str, list[dict[str, Any]]]
) -> None:
    sub_id, candidates = use
    with gateway.console("alice") as alice:
        assert _dispose(alice, candidates[0]["id"], "no_match").status_code == 303
        before = _size(gateway)
        printed = alice.get(_page(sub_id), params={"print": "1"})
    assert printed.status_code == 200, printed.text
    html = printed.text
    assert _notices(html) == len(candidates) + 1
    cards = _cards(html)
    assert len(cards) == len(candidates)
    assert all(card.count(LEAD_ONLY_NOTICE) == 1 for card in cards)
    assert "no match (not pursued)" in cards[0]
    assert "/dispositions" not in html  # no forms in print
    assert [e["event"] for e in _entries(gateway, before)] == [
        "policy:decision:evaluate", "candidates:list:view",
    ]  # fmt: skip


def test_an_agent_not_on_the_case_is_refused(
    gateway: Gateway, use: tuple[str, list[dict[str, Any]]]
) -> None:
    sub_id, candidates = use
    certified_agent(gateway, "andy")
    with gateway.console("andy") as andy:
        before = _size(gateway)
        page = andy.get(_page(sub_id))
        assert page.status_code == 403, page.text
        assert "purpose.case_assignment" in page.text
        assert "Memo 4." in page.text
        assert candidates[0]["gallery_ref"] not in page.text
        [decision] = _entries(gateway, before)
        assert decision["outcome"] == "denied"
        image = andy.get(f"/console/candidates/{candidates[0]['id']}/image")
        assert image.status_code == 403
        assert not image.headers["content-type"].startswith("image/")
        refused = _dispose(andy, candidates[0]["id"], "no_match")
        assert refused.status_code == 403, refused.text
        assert "purpose.case_assignment" in refused.text
        roi = andy.get(f"/console/submissions/{sub_id}/roi")
        assert roi.status_code == 403
    assert all(c["disposition"] is None for c in _review(gateway, sub_id)["candidates"])


# --- dispositions and leads -------------------------------------------------------------------


def test_a_disposition_is_recorded_and_shown(
    gateway: Gateway, use: tuple[str, list[dict[str, Any]]]
) -> None:
    sub_id, candidates = use
    target = candidates[1]
    with gateway.console("alice") as alice:
        made = _dispose(alice, target["id"], "no_match")
        assert made.status_code == 303, made.text
        assert made.headers["location"] == (
            f"{_page(sub_id)}?done=disposition#candidate-{target['id']}"
        )
        page = alice.get(made.headers["location"])
        assert page.status_code == 200
        assert "Disposition recorded." in page.text
        [card] = [c for c in _cards(page.text) if f'id="candidate-{target["id"]}"' in c]
        assert "no match (not pursued)" in card
        assert "reviewed in the console: no_match" in card
        # A possible match without its comparison with traditional means: the pack refuses it.
        before = _size(gateway)
        refused = _dispose(alice, target["id"], "possible_match_lead")
        assert refused.status_code == 403, refused.text
        assert "disposition.lead_requires_comparison" in refused.text
        assert "Memo 4.D.2" in refused.text
        [decision] = _entries(gateway, before)
        assert decision["outcome"] == "denied"
        # A claim of identity is the pack's refusal too, never stored.
        claimed = _dispose(alice, target["id"], "positive identification")
        assert claimed.status_code == 403, claimed.text
        assert "disposition.no_positive_identification" in claimed.text
    [shown] = [c for c in _review(gateway, sub_id)["candidates"] if c["id"] == target["id"]]
    assert shown["disposition"]["kind"] == "no_match"
    assert shown["disposition"]["decided_by"] == "alice"
    assert shown["superseded"] == []


def test_a_lead_is_an_enforcement_basis_only_once_corroborated(
    gateway: Gateway, use: tuple[str, list[dict[str, Any]]]
) -> None:
    sub_id, candidates = use
    with gateway.console("alice") as alice:
        lead_id = _open_lead(gateway, alice, candidates[0]["id"])
        assert _lead_api(gateway, lead_id)["status"] == "investigative_lead"
        page = alice.get(f"/console/leads/{lead_id}?done=lead")
        assert page.status_code == 200, page.text
        assert _notices(page.text) == 1
        assert "Lead opened." in page.text
        assert "investigative lead (not corroborated)" in page.text
        # The candidate page links the lead and offers no second one on its disposition.
        listed = alice.get(_page(sub_id)).text
        [card] = [c for c in _cards(listed) if f'id="candidate-{candidates[0]["id"]}"' in c]
        assert f'href="/console/leads/{lead_id}"' in card
        assert 'action="/console/leads"' not in card

        # Not corroborated: the policy refuses, and the page cites memo 4.D.3.
        before = _size(gateway)
        refused = alice.post(
            f"/console/leads/{lead_id}/enforcement-basis", data={"note": "warrant sought"}
        )
        assert refused.status_code == 403, refused.text
        assert "Memo 4.D.3" in refused.text
        assert "lead.corroborated" in refused.text
        [decision] = _entries(gateway, before)
        assert decision["outcome"] == "denied"
        assert {c["section"] for c in decision["citations"]} == {"4.D.3"}
        assert _lead_api(gateway, lead_id)["status"] == "investigative_lead"

        corroborated = alice.post(f"/console/leads/{lead_id}/corroborations", data={
            "kind": "records_check", "source": "State DMV record",
            "description": "licence address matches the port badge holder",
            "obtained_by": "SA Alice Agent", "obtained_on": "2026-10-05",
        })  # fmt: skip
        assert corroborated.status_code == 303, corroborated.text
        shown = _lead_api(gateway, lead_id)
        assert shown["status"] == "corroborated"
        assert [c["kind"] for c in shown["corroborations"]] == ["records_check"]
        page = alice.get(corroborated.headers["location"])
        assert "State DMV record" in page.text

        marked = alice.post(
            f"/console/leads/{lead_id}/enforcement-basis", data={"note": "warrant sought"}
        )
        assert marked.status_code == 303, marked.text
        assert marked.headers["location"] == f"/console/leads/{lead_id}?done=enforcement"
    shown = _lead_api(gateway, lead_id)
    assert shown["status"] == "enforcement_basis"
    assert shown["enforcement_marked_by"] == gateway.users["alice"]
    assert shown["enforcement_note"] == "warrant sought"


def test_a_second_reviewers_verification_is_what_a_lead_waits_for(
    gateway: Gateway, use: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    sub_id, candidates = use
    # The agency's pack asks a second reviewer, approved by IGP as the product does it.
    folder = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK_DIR, folder)
    toml = folder / "pack.toml"
    text = toml.read_text()
    assert "disposition_verification_required = false" in text
    toml.write_text(text.replace("disposition_verification_required = false",
                                 "disposition_verification_required = true"))  # fmt: skip
    gateway.runtime.gate.use_pack(load_pack(folder))
    with gateway.client("ada") as ada, gateway.client("ivan") as ivan:
        asked = ada.post("/api/v1/policy/activations", json={"reason": "a second reviewer"})
        assert asked.status_code == 201, asked.text
        approved = ivan.post(
            f"/api/v1/approvals/{asked.json()['approval']['id']}/decision",
            json={"approve": True, "note": "reviewed"},
        )
        assert approved.status_code == 200, approved.text
    target = candidates[0]["id"]
    with gateway.console("alice") as alice:
        made = _dispose(alice, target, "possible_match_lead", traditional_means_compared=COMPARED)
        assert made.status_code == 303, made.text
        card = next(c for c in _cards(alice.get(_page(sub_id)).text) if target in c)
        assert "Waits for:" in card
        assert "before a lead can be opened" in card
        [current] = [c["disposition"] for c in _review(gateway, sub_id)["candidates"]
                     if c["id"] == target]  # fmt: skip
        refused = alice.post("/console/leads", data={
            "disposition_id": current["id"], "summary": "resembles the suspect"})  # fmt: skip
        assert refused.status_code == 403, refused.text
        assert "lead.disposition_verified" in refused.text
    with gateway.console("sam") as sam:
        verified = sam.post(
            f"/console/dispositions/{current['id']}/verification", data={"note": "checked"}
        )
        assert verified.status_code == 303, verified.text
        card = next(c for c in _cards(sam.get(_page(sub_id)).text) if target in c)
        assert "Waits for:" not in card
        assert "; verified" in card
    with gateway.console("alice") as alice:
        opened = alice.post("/console/leads", data={
            "disposition_id": current["id"], "summary": "resembles the suspect"})  # fmt: skip
        assert opened.status_code == 303, opened.text


# --- the report-of-investigation entry --------------------------------------------------------


def test_the_roi_entry_is_shown_downloaded_and_filed(
    gateway: Gateway, use: tuple[str, list[dict[str, Any]]]
) -> None:
    sub_id, candidates = use
    with gateway.console("alice") as alice:
        before = _size(gateway)
        page = alice.get(f"/console/submissions/{sub_id}/roi")
        assert page.status_code == 200, page.text
        assert [e["event"] for e in _entries(gateway, before)] == [
            "policy:decision:evaluate", "roi:entry:view",
        ]  # fmt: skip
        assert DEMO_CASE in page.text
        assert f"{candidates[0]['score']:.4f}" in page.text
        assert _notices(page.text) == 1
        assert "Not filed yet." in page.text
        pdf = alice.get(f"/console/submissions/{sub_id}/roi/pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        text = alice.get(f"/console/submissions/{sub_id}/roi/text")
        assert text.status_code == 200
        filed = alice.post(
            f"/console/submissions/{sub_id}/roi/filings", data={"case_system_ref": "ROI-7"}
        )
        assert filed.status_code == 303, filed.text
        page = alice.get(filed.headers["location"])
        assert "ROI-7" in page.text
    with gateway.client("alice") as api:
        shown = api.get(f"/api/v1/submissions/{sub_id}/roi").json()
        as_text = api.get(f"/api/v1/submissions/{sub_id}/roi", params={"format": "text"}).text
    [filing] = shown["filings"]
    assert filing["case_system_ref"] == "ROI-7"
    assert filing["filed_by"] == "alice"
    assert filing["body_sha256"] in page.text
    assert text.text == as_text  # the console serves the text that is filed, byte for byte


# --- CSRF -------------------------------------------------------------------------------------


def test_a_form_without_the_csrf_token_is_refused_and_nothing_is_done(
    gateway: Gateway, use: tuple[str, list[dict[str, Any]]]
) -> None:
    sub_id, candidates = use
    with gateway.console("alice") as alice:
        lead_id = _open_lead(gateway, alice, candidates[0]["id"])
        before = _size(gateway)
        posts = [
            (f"/console/candidates/{candidates[1]['id']}/dispositions",
             {"kind": "no_match", "rationale": "different person"}),
            (f"/console/leads/{lead_id}/corroborations",
             {"kind": "records_check", "source": "DMV", "description": "address matches",
              "obtained_by": "SA Alice Agent"}),
            (f"/console/leads/{lead_id}/enforcement-basis", {"note": "warrant"}),
            (f"/console/submissions/{sub_id}/roi/filings", {"case_system_ref": "ROI-1"}),
        ]  # fmt: skip
        for path, form in posts:
            bare = alice.client.post(path, data=form)
            assert bare.status_code in (400, 403), (path, bare.text)
            assert "nothing was done" in bare.text
            wrong = alice.client.post(path, data=form | {"csrf": "not-the-token"})
            assert wrong.status_code in (400, 403), (path, wrong.text)
    assert _size(gateway) == before  # not even a decision was asked for
    assert _review(gateway, sub_id)["candidates"][1]["disposition"] is None
    lead = _lead_api(gateway, lead_id)
    assert lead["status"] == "investigative_lead"
    assert lead["corroborations"] == []
    with gateway.client("alice") as api:
        assert api.get(f"/api/v1/submissions/{sub_id}/roi").json()["filings"] == []
