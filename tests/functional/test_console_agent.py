"""The agent's console pages over HTTP, on the backend under test: their cases, the intake
form (probe and submission in one), and their submissions with what each waits for.

Each act is checked where it lands (the API's own answer, or the store and the ledger), each
refusal by its page's status and memo section, and every refused form by what it left behind:
nothing.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import pytest
from harness import Console, Gateway
from helpers import DEMO_CASE, DEMO_FRS_PROGRAM_CODE, post_probe, submission_body

from frsgate.demo import demo_probe
from frsgate.domain import ProbeStatus
from frsgate.store.schema.core import idempotency_keys
from frsgate.store.unit import unit_of_work

INTAKE = "/console/probes/new"
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')
SUBMISSION_PAGE = re.compile(r"^/console/submissions/(sub_[0-9a-f]+)\?done=submitted$")


def intake_form(**overrides: Any) -> dict[str, str]:
    """The intake form as a browser sends it for a suspect on the demo case, to the sandbox:
    every text field, the empty ones too (unticked boxes are not sent)."""
    form = {
        "case": DEMO_CASE,
        "program": "",
        "other_methods_exhausted": "",
        "target_ref": "",
        "second_probe_id": "",
        "max_candidates": "",
        "exigent_reason": "",
        "impracticable_reason": "",
        "subject_role": "suspect",
        "capture_source": "recorded_video_still",
        "image_edit": "none",
        "lawful_basis": "still from CCTV footage obtained by subpoena 2026-114",
        "traditional_means": "records checks and canvass of the port workers; no identification",
        "attestation": "true",
        "justification": "suspect seen loading undeclared goods at the port on 2026-10-02",
        "provider": "sandbox",
        "match_type": "one_to_many",
        "frs_program_code": DEMO_FRS_PROGRAM_CODE,
        "search_justification": "identify the suspect loading undeclared goods",
    }
    form.update({k: str(v) for k, v in overrides.items()})
    return form


def form_key(console: Console, url: str = INTAKE) -> str:
    """The one-time key a freshly rendered intake form carries."""
    found = FORM_KEY.search(console.get(url).text)
    assert found is not None, "no form key on the intake form"
    return found.group(1)


def take_in(
    console: Console, image: bytes | None = None, key: str | None = None, **overrides: Any
) -> Any:
    """Send a freshly rendered intake form (or the one whose key is `key`)."""
    photo = demo_probe() if image is None else image
    form = intake_form(form_key=key or form_key(console), **overrides)
    return console.post(INTAKE, form, files={"image": ("probe.jpg", photo, "image/jpeg")})


def submitted_id(answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    found = SUBMISSION_PAGE.match(answer.headers["location"])
    assert found is not None, answer.headers["location"]
    return found.group(1)


def stored(gateway: Gateway, username: str) -> tuple[int, int]:
    """How many probes and submissions `username` has in the store."""
    user_id = gateway.users[username]
    with unit_of_work(gateway.runtime.engine) as uow:
        probes = [p for p in uow.probes.with_status(*ProbeStatus) if p.submitted_by == user_id]
        return len(probes), len(uow.submissions.of_user(user_id))


def entries(gateway: Gateway) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(0, ledger.size())]


def test_the_demo_probe_goes_from_the_form_to_its_results(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        form = alice.get(INTAKE)
        assert form.status_code == 200, form.text
        for name in (
            "image",
            "case",
            "subject_role",
            "capture_source",
            "lawful_basis",
            "traditional_means",
            "attestation",
            "justification",
            "provider",
            "match_type",
            "frs_program_code",
            "search_justification",
            "exigent",
        ):
            assert f'name="{name}"' in form.text, name
        assert f'<option value="{DEMO_CASE}" selected>' in form.text
        assert "Memo 4.B.2" in form.text
        assert "Memo 4.E.3" in form.text

        sub_id = submitted_id(take_in(alice))
        page = alice.get(f"/console/submissions/{sub_id}?done=submitted")
        assert page.status_code == 200, page.text
        assert "completed" in page.text
        assert "the FRS answered" in page.text
        assert f'href="/console/submissions/{sub_id}/candidates"' in page.text
        assert "Investigative lead only" in page.text
        listed = alice.get("/console/submissions")
        assert listed.status_code == 200
        assert sub_id in listed.text
        case = alice.get(f"/console/cases/{DEMO_CASE}")
        assert case.status_code == 200
        assert sub_id in case.text
        cases = alice.get("/console/cases")
        assert cases.status_code == 200
        assert f'href="/console/cases/{DEMO_CASE}"' in cases.text
        assert "Open" in cases.text
    # The same record the API answers: sent to the sandbox, with a candidate list.
    with gateway.client("alice") as api:
        record = api.get(f"/api/v1/submissions/{sub_id}").json()
    assert record["status"] == "completed"
    assert record["probe_id"]
    assert record["program_code"] == DEMO_FRS_PROGRAM_CODE
    assert stored(gateway, "alice") == (1, 1)
    with unit_of_work(gateway.runtime.engine) as uow:
        assert uow.candidate_lists.get_by_submission(sub_id).sandbox
    reads = [e for e in entries(gateway) if e["event"] == "case:records:view"
             and e["component"] == "services.caseload"]  # fmt: skip
    assert reads
    assert all(e["actor"]["id"] == gateway.users["alice"] for e in reads)


def test_a_lapsed_certification_is_refused_with_its_memo_section(gateway: Gateway) -> None:
    with gateway.console("aaron") as aaron:
        assert aaron.get(INTAKE).status_code == 200  # the form; the policy decides the act
        refused = take_in(aaron)
    assert refused.status_code == 403, refused.text
    assert "Memo 4.A.3" in refused.text
    assert "PALMS" in refused.text
    assert stored(gateway, "aaron") == (0, 0)


def test_a_witness_probe_shows_it_waits_for_a_supervisor(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        sub_id = submitted_id(
            take_in(
                alice,
                subject_role="witness",
                other_methods_exhausted="interviews and records checks found no name",
            )
        )
        page = alice.get(f"/console/submissions/{sub_id}?done=submitted")
    assert page.status_code == 200, page.text
    assert "pending approval" in page.text
    assert "witness probe" in page.text
    assert "by a supervisor" in page.text
    assert "No results yet" in page.text
    assert "/candidates" not in page.text
    with gateway.client("sam") as sam:
        queue = sam.get("/api/v1/approvals").json()["approvals"]
    waiting = [a for a in queue if a["kind"] == "witness_probe"]
    assert len(waiting) == 1
    assert waiting[0]["id"] in page.text


def test_exigent_use_shows_the_supervisors_approval_and_its_deadline(gateway: Gateway) -> None:
    # memo 4.C.3: an FRS OSDM has not reviewed, prior approval impracticable: it goes ahead,
    # and a supervisor of the case must approve it by the deadline.
    with gateway.console("alice") as alice:
        sub_id = submitted_id(
            take_in(
                alice,
                provider="exigent-unreviewed",
                exigent="true",
                exigent_reason="suspect threatening a witness, leaving the port tonight",
                prior_approval_impracticable="true",
                impracticable_reason="night shift: the case supervisor cannot be reached",
            )
        )
        page = alice.get(f"/console/submissions/{sub_id}")
    assert page.status_code == 200, page.text
    waiting = page.text.split('id="waiting-heading"')[1].split("</section>")[0]
    assert "exigent provider" in waiting
    assert "by a supervisor" in waiting
    assert ", due " in waiting
    with gateway.client("alice") as api:
        record = api.get(f"/api/v1/submissions/{sub_id}").json()
    [approval] = record["waiting_for"]
    assert approval["id"] in waiting
    assert approval["deadline"] is not None


def test_a_refusal_after_intake_keeps_the_probe_and_offers_it_again(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        # An FRS OSDM has not reviewed, outside exigent circumstances (memo 4.C.1).
        refused = take_in(alice, provider="exigent-unreviewed")
        assert refused.status_code == 403, refused.text
        assert "Memo 4.C.1" in refused.text
        assert "Your probe photo was kept" in refused.text
        assert stored(gateway, "alice") == (1, 0)
        found = re.search(r'href="/console/probes/new\?probe=(probe_[0-9a-f]+)"', refused.text)
        assert found is not None, refused.text
        again = alice.get(f"{INTAKE}?probe={found.group(1)}")
        assert again.status_code == 200
        assert 'name="image"' not in again.text
        assert f'name="probe_id" value="{found.group(1)}"' in again.text
        form = {k: v for k, v in intake_form().items() if k in (
            "provider", "match_type", "frs_program_code", "search_justification")}  # fmt: skip
        key = form_key(alice, f"{INTAKE}?probe={found.group(1)}")
        sub_id = submitted_id(
            alice.post(INTAKE, {**form, "probe_id": found.group(1), "form_key": key})
        )
    assert stored(gateway, "alice") == (1, 1)
    with gateway.client("alice") as api:
        assert api.get(f"/api/v1/submissions/{sub_id}").json()["probe_id"] == found.group(1)


def test_a_closed_case_is_refused_at_intake(gateway: Gateway) -> None:
    with gateway.client("sam") as sam:
        closed = sam.post(f"/api/v1/admin/cases/{DEMO_CASE}/close", json={"reason": "case closed"})
        assert closed.status_code == 200, closed.text
    with gateway.console("alice") as alice:
        cases = alice.get("/console/cases")
        assert cases.status_code == 200
        assert "Closed" in cases.text
        assert f'href="/console/cases/{DEMO_CASE}"' not in cases.text
        page = alice.get(f"/console/cases/{DEMO_CASE}")
        assert page.status_code == 403
        assert "Memo 4.A.1" in page.text
        refused = take_in(alice)
    assert refused.status_code == 403, refused.text
    assert "Memo 4.A.1" in refused.text
    assert "closed" in refused.text
    assert stored(gateway, "alice") == (0, 0)


def test_a_form_the_api_would_refuse_stores_nothing(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        refused = take_in(alice, match_type="one_to_one")
    assert refused.status_code == 422, refused.text
    assert "target_ref" in refused.text
    assert stored(gateway, "alice") == (0, 0)


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(gateway: Gateway) -> None:
    before = len(entries(gateway))
    with gateway.console("alice") as alice:
        refused = alice.client.post(
            INTAKE, data=intake_form(),
            files={"image": ("probe.jpg", demo_probe(), "image/jpeg")},
        )  # fmt: skip
    assert refused.status_code in (400, 403), refused.text
    assert "security token" in refused.text
    assert stored(gateway, "alice") == (0, 0)
    # Signing in is on the ledger; no probe intake or decision about one is.
    later = entries(gateway)[before:]
    assert not [e for e in later if e["event"].startswith(("probe:", "submission:"))]


def test_an_agent_cannot_see_another_agents_submission(gateway: Gateway) -> None:
    with gateway.client("alice") as api:
        probe = post_probe(api, demo_probe()).json()
        made = api.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert made.status_code == 201, made.text
    sub_id = made.json()["submission"]["id"]
    with gateway.console("aaron") as aaron:
        refused = aaron.get(f"/console/submissions/{sub_id}")
        mine = aaron.get("/console/submissions")
    assert refused.status_code == 403, refused.text
    assert "Memo 4.E.4" in refused.text
    assert "identify the suspect loading undeclared goods" not in refused.text
    assert mine.status_code == 200
    assert sub_id not in mine.text


def test_a_user_without_the_agents_role_gets_the_refusal(gateway: Gateway) -> None:
    with gateway.console("ada") as ada:
        listed = ada.get("/console/submissions")
        home = ada.get("/console/")
    assert listed.status_code == 403, listed.text
    assert "Memo 4.E.4" in listed.text
    assert 'href="/console/probes/new"' not in home.text  # the agent's links are not hers


# --- one form, one act ---------------------------------------------------------------------


def _events(gateway: Gateway, *prefixes: str) -> int:
    return sum(1 for e in entries(gateway) if e["event"].startswith(prefixes))


def test_sending_the_same_form_again_acts_once_and_shows_the_first_result(
    gateway: Gateway,
) -> None:
    with gateway.console("alice") as alice:
        key = form_key(alice)
        first = take_in(alice, key=key)
        uses = _events(gateway, "probe:", "submission:", "policy:")
        again = take_in(alice, key=key)  # a reload that re-posts, the back button, a 2nd tab
    assert submitted_id(again) == submitted_id(first)
    assert stored(gateway, "alice") == (1, 1)
    assert _events(gateway, "probe:", "submission:", "policy:") == uses


def _sent_then_held(gateway: Gateway, alice: Console) -> tuple[str, str, Any, Any]:
    """Alice sends a form; then its key is put back in progress, as it was while that first
    post ran: the race of a double click, replayed. Returns the key, the first submission,
    the first answer and the claim (to answer it as the first post does)."""
    from frsgate.services import idempotency

    key = form_key(alice)
    first = submitted_id(take_in(alice, key=key))
    user, route = gateway.users["alice"], "console intake"
    with unit_of_work(gateway.runtime.engine) as uow:
        record = uow.idempotency.find_key(user, route, key)
        assert record is not None
        assert record.response is not None
        keys = idempotency_keys.c
        uow.conn.execute(  # forget the answer: the key as it was before the first post ended
            idempotency_keys.delete().where(
                keys.user_id == user, keys.route == route, keys.key == key
            )
        )
    held = idempotency.claim(
        gateway.runtime.engine, user_id=user, route=route, key=key,
        request_sha256=record.request_sha256, at=gateway.runtime.now(),
    )  # fmt: skip
    assert isinstance(held, idempotency.Claim)
    return key, first, json.loads(record.response), held


def test_a_second_click_waits_for_the_first_and_shows_its_result(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click: the second post finds the form in progress, waits for the first's
    answer, and lands on the same page; it acts not at all."""
    from frsgate.services import idempotency
    from frsgate.web import once

    monkeypatch.setattr(once, "WAIT_FOR_FIRST_S", 10.0)
    with gateway.console("alice") as alice:
        key, first, answer, held = _sent_then_held(gateway, alice)
        uses = _events(gateway, "probe:", "submission:", "policy:")
        answered = threading.Timer(0.3, lambda: idempotency.complete(
            gateway.runtime.engine, held, 303, answer, at=gateway.runtime.now()
        ))  # fmt: skip
        answered.start()
        second = take_in(alice, key=key)
        answered.join()
    assert submitted_id(second) == first
    assert stored(gateway, "alice") == (1, 1)
    assert _events(gateway, "probe:", "submission:", "policy:") == uses


def test_a_second_click_whose_first_never_answers_does_nothing(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frsgate.web import once

    monkeypatch.setattr(once, "WAIT_FOR_FIRST_S", 0.3)
    with gateway.console("alice") as alice:
        key, _, _, _ = _sent_then_held(gateway, alice)
        uses = _events(gateway, "probe:", "submission:", "policy:")
        second = take_in(alice, key=key)
    assert second.status_code == 409, second.text
    assert "still being sent" in second.text
    assert stored(gateway, "alice") == (1, 1)
    assert _events(gateway, "probe:", "submission:", "policy:") == uses


def test_the_same_form_edited_and_sent_again_is_refused(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        key = form_key(alice)
        submitted_id(take_in(alice, key=key))
        edited = take_in(alice, key=key, provider="exigent-unreviewed")
    assert edited.status_code == 409, edited.text
    assert "open a new form" in edited.text
    assert stored(gateway, "alice") == (1, 1)


def test_a_refused_form_sent_again_is_told_why_and_not_decided_twice(gateway: Gateway) -> None:
    with gateway.client("sam") as sam:
        closed = sam.post(f"/api/v1/admin/cases/{DEMO_CASE}/close", json={"reason": "case closed"})
        assert closed.status_code == 200, closed.text
    with gateway.console("alice") as alice:
        key = form_key(alice)
        refused = take_in(alice, key=key)
        assert refused.status_code == 403, refused.text
        decisions = _events(gateway, "policy:")
        again = take_in(alice, key=key)
    assert again.status_code == 409, again.text
    assert "sent already and was refused" in again.text
    assert "closed" in again.text  # the first refusal's own words
    assert _events(gateway, "policy:") == decisions
    assert stored(gateway, "alice") == (0, 0)


def test_a_refusal_after_intake_sent_again_keeps_one_probe(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        key = form_key(alice)
        refused = take_in(alice, key=key, provider="exigent-unreviewed")
        assert refused.status_code == 403, refused.text
        again = take_in(alice, key=key, provider="exigent-unreviewed")
    assert again.status_code == 409, again.text
    assert "The probe was kept as probe_" in again.text
    assert stored(gateway, "alice") == (1, 0)


def test_a_form_without_its_key_is_refused_and_stores_nothing(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        missing = alice.post(
            INTAKE, intake_form(), files={"image": ("probe.jpg", demo_probe(), "image/jpeg")}
        )
        forged = take_in(alice, key="\x07bell")
    assert missing.status_code == 422, missing.text
    assert "form_key" in missing.text
    assert forged.status_code == 422, forged.text
    assert "reload the form" in forged.text
    assert stored(gateway, "alice") == (0, 0)


def test_one_users_form_key_does_not_answer_for_another(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        key = form_key(alice)
        alices = submitted_id(take_in(alice, key=key))
    with gateway.console("sam") as sam:  # an agent too
        sams = take_in(sam, key=key)
    # Keys are the user's own: sam's form is decided as his act, not answered with alice's.
    assert "sent already" not in sams.text
    assert sams.status_code != 303 or submitted_id(sams) != alices
    assert stored(gateway, "sam")[0] == 1


def test_a_form_waiting_for_approval_sent_again_asks_the_supervisor_once(
    gateway: Gateway,
) -> None:
    """A witness probe's form (memo 4.B.2) answered "waits for a supervisor", sent again with
    its key: the same submission, and one approval request in the supervisor's queue."""
    witness = {
        "subject_role": "witness",
        "other_methods_exhausted": "interviews and records checks found no name",
    }
    with gateway.console("alice") as alice:
        key = form_key(alice)
        first = submitted_id(take_in(alice, key=key, **witness))
        again = submitted_id(take_in(alice, key=key, **witness))
    assert again == first
    assert stored(gateway, "alice") == (1, 1)
    with gateway.client("sam") as sam:
        queue = sam.get("/api/v1/approvals").json()["approvals"]
    assert len([a for a in queue if a["kind"] == "witness_probe"]) == 1
