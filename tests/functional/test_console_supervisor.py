"""The supervisor's console over HTTP (memo 4.B.2, 4.C.3, 4.E.4, 4.E.5): the queue, an approval
beside its evidence, the weekly log review with its sign-off and referral, and OPR's outcome.

Each act is checked where it takes effect (the API, the store, the ledger), each refusal by
its memo citation and status, and a form posted without the session's CSRF token changes
nothing. Runs on SQLite, and on PostgreSQL with FRSGATE_TEST_DATABASE_URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from harness import Gateway, running_gateway
from helpers import DEMO_CASE, exigent_body, post_probe, probe_for_result, submission_body
from images import astronaut_jpeg, rotated_astronaut_jpeg

from frsgate.domain import ApprovalStatus
from frsgate.domain.log_review import containing
from frsgate.store.unit import read_only, unit_of_work

WEEK = 7
DEADLINE_HOURS = 24  # the demo pack's exigent_approval_deadline_hours
LAWFUL_BASIS = "still from CCTV footage obtained by subpoena 2026-114"
OTHER_METHODS = "canvass of the dock and records checks found no name"


@contextmanager
def _later(gateway: Gateway, by: timedelta) -> Iterator[None]:
    gate = gateway.runtime.gate
    real = gate.clock
    gate.clock = lambda: real() + by
    try:
        yield
    finally:
        gate.clock = real


def _entries(gateway: Gateway, since: int = 0) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _events(gateway: Gateway, event: str, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in _entries(gateway, since) if e["event"] == event]


def _witness_use(gateway: Gateway, username: str = "alice") -> tuple[dict[str, Any], str]:
    """`username`'s witness probe of the demo case and a search waiting on its approval:
    (the probe, the waiting submission's id)."""
    with gateway.client(username) as client:
        probe = post_probe(
            client, rotated_astronaut_jpeg(), subject_role="witness",
            other_methods_exhausted=OTHER_METHODS,
        )  # fmt: skip
        assert probe.status_code == 201, probe.text
        waiting = client.post("/api/v1/submissions", json=submission_body(probe.json()["id"]))
    assert waiting.status_code == 202, waiting.text
    assert waiting.json()["submission"]["status"] == "pending_approval"
    return probe.json(), waiting.json()["submission"]["id"]


def _decisions(gateway: Gateway, approval_id: str) -> list[dict[str, Any]]:
    return [e for e in _events(gateway, "approval:request:decide")
            if e["subject"] == f"approval:{approval_id}"]  # fmt: skip


def _approval_status(gateway: Gateway, approval_id: str) -> ApprovalStatus:
    with read_only(gateway.runtime.engine) as uow:
        return uow.approvals.get(approval_id).status


def _row(html: str, approval_id: str) -> str:
    """The queue table's row of one approval."""
    found = re.search(rf'<tr id="approval-{approval_id}">(.*?)</tr>', html, re.S)
    assert found is not None, f"no row for {approval_id}"
    return found.group(1)


def _refused(response: httpx.Response, status: int, *rules_and_sections: str) -> None:
    assert response.status_code == status, response.text
    for text in rules_and_sections:
        assert text in response.text, (text, response.text)


def test_sam_approves_a_waiting_witness_probe_from_his_queue(gateway: Gateway) -> None:
    probe, waiting = _witness_use(gateway)
    [approval] = probe["approvals"]
    with gateway.console("sam") as sam:
        page = sam.get("/console/queue")
        assert page.status_code == 200, page.text
        assert 'hx-trigger="every 30s"' in page.text
        assert 'hx-get="/console/queue"' in page.text
        row = _row(page.text, approval["id"])
        for shown_in_row in ("Witness probe", DEMO_CASE, "alice"):
            assert shown_in_row in row
        assert f'href="/console/approvals/{approval["id"]}"' in row
        # The refresh HTMX makes: the sections alone, not a whole page.
        part = sam.get("/console/queue", headers={"HX-Request": "true"})
        assert part.status_code == 200
        assert "<html" not in part.text
        assert "<h1" not in part.text
        assert f"approval-{approval['id']}" in part.text

        before = gateway.runtime.ledger.size()
        shown = sam.get(f"/console/approvals/{approval['id']}")
        assert shown.status_code == 200, shown.text
        # Read as deciding it is decided, marked as a read, and recorded as what sam was shown.
        decision, read = _entries(gateway, before)
        assert (decision["event"], decision["outcome"]) == ("policy:decision:evaluate", "allowed")
        assert (decision["details"]["action"], decision["details"]["read"]) == (
            "approval.decide", True)  # fmt: skip
        assert read["event"] == "queue:items:read"
        assert read["details"]["approval"] == approval["id"]
        assert read["details"]["probe_sha256"] == [probe["sha256"]]
        for fact in (probe["sha256"], LAWFUL_BASIS, OTHER_METHODS, DEMO_CASE, "alice",
                     "one to many", "sandbox", waiting, "Approve", "Deny"):  # fmt: skip
            assert fact in shown.text, fact
        assert 'name="decision" value="approve"' in shown.text
        # The photo is shown when asked for, through the console, and the view is recorded.
        assert "/console/approvals/probe-images/" not in shown.text
        with_photo = sam.get(f"/console/approvals/{approval['id']}?photo={probe['id']}")
        assert f'src="/console/approvals/probe-images/{probe["id"]}"' in with_photo.text
        before = gateway.runtime.ledger.size()
        image = sam.get(f"/console/approvals/probe-images/{probe['id']}")
        assert image.status_code == 200
        assert image.headers["content-type"] == probe["media_type"]
        assert image.headers["x-content-sha256"] == probe["sha256"]
        [viewed] = _events(gateway, "probe:image:view", before)
        assert viewed["actor"]["id"] == gateway.users["sam"]

        decided = sam.post(
            f"/console/approvals/{approval['id']}/decision",
            data={"decision": "approve", "note": "other methods exhausted; approved"},
        )
        assert decided.status_code == 303, decided.text
        assert decided.headers["location"] == f"/console/approvals/{approval['id']}?done=approved"
        after = sam.get(decided.headers["location"])
        assert "You approved this request" in after.text
        assert 'name="decision"' not in after.text  # decided: no more forms
        assert f"approval-{approval['id']}" not in sam.get("/console/queue").text
    assert _approval_status(gateway, approval["id"]) is ApprovalStatus.approved
    [entry] = _decisions(gateway, approval["id"])
    assert entry["actor"]["id"] == gateway.users["sam"]
    assert entry["details"]["note"] == "other methods exhausted; approved"
    # The search that waited went on to the FRS.
    with gateway.client("alice") as alice:
        record = alice.get(f"/api/v1/submissions/{waiting}").json()
    assert record["status"] == "completed"


def test_another_cases_supervisor_and_the_requester_are_refused_with_the_citation(
    gateway: Gateway,
) -> None:
    probe, _ = _witness_use(gateway)
    [approval] = probe["approvals"]
    with gateway.console("sue") as sue:
        # sue supervises sam, not the demo case: neither the evidence nor the decision is hers.
        page = sue.get(f"/console/approvals/{approval['id']}")
        _refused(page, 403, "Memo 4.E.4", "approval.case_supervisor")
        assert probe["sha256"] not in page.text
        assert LAWFUL_BASIS not in page.text
        assert f"approval-{approval['id']}" not in sue.get("/console/queue").text
        before = gateway.runtime.ledger.size()
        decided = sue.post(f"/console/approvals/{approval['id']}/decision",
                           data={"decision": "approve", "note": "not mine to give"})  # fmt: skip
        _refused(decided, 403, "Memo 4.E.4", "approval.case_supervisor")
    [denied] = _events(gateway, "policy:decision:evaluate", before)
    assert (denied["outcome"], denied["actor"]["id"]) == ("denied", gateway.users["sue"])
    assert _approval_status(gateway, approval["id"]) is ApprovalStatus.pending
    assert _decisions(gateway, approval["id"]) == []

    # sam works the demo case as an agent too: his own witness probe is not his to approve.
    own, _ = _witness_use(gateway, "sam")
    [own_approval] = own["approvals"]
    with gateway.console("sam") as sam:
        decided = sam.post(f"/console/approvals/{own_approval['id']}/decision",
                           data={"decision": "approve"})  # fmt: skip
        _refused(decided, 403, "Memo 4.B.2", "approval.witness_not_own")
    assert _approval_status(gateway, own_approval["id"]) is ApprovalStatus.pending

    # A user of another role is refused the queue by the policy, not shown an empty page.
    with gateway.console("alice") as alice:
        _refused(alice.get("/console/queue"), 403, "queue.supervisor_only")
        _refused(alice.get("/console/log-review/2026-01-05"), 403, "duty.log_review_read")


def test_an_overdue_exigent_approval_comes_first_and_says_overdue(gateway: Gateway) -> None:
    witness, _ = _witness_use(gateway)
    [waiting] = witness["approvals"]
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        body = exigent_body(probe["id"], "exigent-unreviewed", "fleeing")
        used = alice.post("/api/v1/submissions", json=body)
    assert used.status_code == 201, used.text
    [exigent] = used.json()["approvals"]
    with gateway.console("sam") as sam:
        page = sam.get("/console/queue").text
        assert "Overdue" not in _row(page, exigent["id"])
        with _later(gateway, timedelta(hours=DEADLINE_HOURS + 1)):
            page = sam.get("/console/queue").text
            shown = sam.get(f"/console/approvals/{exigent['id']}").text
    # The exigent request came after the witness probe, but overdue it comes first, and says
    # so in words (not by colour alone).
    assert page.index(f"approval-{exigent['id']}") < page.index(f"approval-{waiting['id']}")
    assert "Overdue" in _row(page, exigent["id"])
    assert "Overdue" not in _row(page, waiting["id"])
    assert "Exigent use of an unreviewed FRS" in _row(page, exigent["id"])
    assert "Overdue" in shown
    assert "never expires" in shown
    assert "no supervisor reachable" in shown  # why nobody could approve before the use


def test_a_rate_limit_lift_is_decided_beside_the_requesters_volume(
    tmp_path: Path, database_url: str, sandbox_url: str
) -> None:
    with running_gateway(
        tmp_path / "home", database_url, sandbox_url, rate_limit_per_user_per_hour=1
    ) as gw:
        with gw.client("alice") as alice:
            probe = post_probe(alice, astronaut_jpeg()).json()
            assert alice.post("/api/v1/submissions",
                              json=submission_body(probe["id"])).status_code == 201  # fmt: skip
            refused = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
            assert refused.status_code == 429, refused.text
        with gw.console("sam") as sam:
            queue = sam.get("/console/queue").text
            assert "Rate-limit lifts (memo 4.B.4)" in queue
            [lift] = re.findall(r'href="/console/approvals/([^"]+)">Review<span class="visually-'
                                r'hidden"> the rate-limit lift for alice', queue)  # fmt: skip
            shown = sam.get(f"/console/approvals/{lift}")
            assert shown.status_code == 200, shown.text
            assert "The requester's volume (memo 4.B.4)" in shown.text
            assert re.search(r"Submissions, last hour</dt><dd>1 \(limit 1\)", shown.text)
            decision = {"decision": "approve", "note": "volume is normal"}
            decided = sam.post(f"/console/approvals/{lift}/decision", data=decision)
            assert decided.status_code == 303, decided.text
        assert _approval_status(gw, lift) is ApprovalStatus.approved
        with gw.client("alice") as alice:
            again = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert again.status_code == 201, again.text


def test_the_weekly_sign_off_is_taken_once(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        assert alice.post("/api/v1/submissions",
                          json=submission_body(probe["id"])).status_code == 201  # fmt: skip
    period = containing(gateway.runtime.gate.now(), WEEK).name
    with gateway.console("sam") as sam:
        running = sam.get(f"/console/log-review/{period}")
        assert running.status_code == 200, running.text
        assert "Sign off this review" not in running.text
        assert "can be signed off once it has ended" in running.text
        with _later(gateway, timedelta(days=WEEK)):
            start = sam.get("/console/log-review")
            assert start.status_code == 303
            assert start.headers["location"] == f"/console/log-review/{period}"
            page = sam.get(start.headers["location"])
            assert page.status_code == 200, page.text
            assert "Sign off this review" in page.text
            assert f"/console/log-review/{period}/sign-off" in page.text
            signed = sam.post(f"/console/log-review/{period}/sign-off")
            assert signed.status_code == 303, signed.text
            after = sam.get(signed.headers["location"])
            assert "Signed off at" in after.text
            assert "Sign off this review" not in after.text
            again = sam.post(f"/console/log-review/{period}/sign-off")
    _refused(again, 409, "already signed off")
    [entry] = _events(gateway, "oversight:review:sign")
    assert entry["details"]["period"] == period
    assert entry["actor"]["id"] == gateway.users["sam"]


def test_a_referral_is_made_and_opr_records_its_outcome(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        used = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
    assert used.status_code == 201, used.text
    sub = used.json()["submission"]["id"]
    [created] = [e for e in _events(gateway, "submission:record:create")
                 if e.get("submission") == sub]  # fmt: skip
    period = containing(gateway.runtime.gate.now(), WEEK).name
    reasons = "alice searched twice in a minute for the same still; please look into it"
    with gateway.console("sam") as sam:
        page = sam.get(f"/console/log-review/{period}")
        assert page.status_code == 200, page.text
        assert f'name="seqs" value="{created["seq"]}"' in page.text
        assert f'name="submissions" value="{sub}"' in page.text
        made = sam.post(f"/console/log-review/{period}/referrals",
                        data={"reasons": reasons, "seqs": [str(created["seq"])],
                              "submissions": [sub]})  # fmt: skip
        assert made.status_code == 303, made.text
        assert made.headers["location"] == "/console/referrals?done=referred"
        mine = sam.get(made.headers["location"])
        assert reasons in mine.text
        assert "Open" in mine.text
        assert 'name="outcome"' not in mine.text
        _refused(sam.get("/console/referrals?scope=all"), 403, "referral.view_own")
    with gateway.client("otto") as otto:
        [referral] = otto.get("/api/v1/referrals").json()["referrals"]
    assert (referral["reasons"], referral["seqs"], referral["submissions"]) == (
        reasons, [created["seq"]], [sub])  # fmt: skip
    with gateway.console("sam") as sam:
        not_opr = sam.post(f"/console/referrals/{referral['id']}/outcome",
                           data={"outcome": "closed", "note": "n"})  # fmt: skip
        _refused(not_opr, 403, "duty.referral_decide")
    with gateway.console("otto") as otto_console:
        home = otto_console.get("/console/").text
        assert 'href="/console/referrals?scope=all"' in home
        # OPR audits sam's review (memo 4.E.5); its forms are sam's own, not shown to OPR.
        audited = otto_console.get(f"/console/log-review/{period}?supervisor=sam")
        assert audited.status_code == 200, audited.text
        assert f'name="seqs" value="{created["seq"]}"' not in audited.text
        assert "Refer to OPR" not in audited.text
        assert f"/console/log-review/{period}/sign-off" not in audited.text
        listed = otto_console.get("/console/referrals?scope=all")
        assert listed.status_code == 200, listed.text
        assert reasons in listed.text
        assert "sam" in listed.text
        assert f'action="/console/referrals/{referral["id"]}/outcome"' in listed.text
        decided = otto_console.post(
            f"/console/referrals/{referral['id']}/outcome",
            data={"outcome": "substantiated", "note": "counselled"},
        )
        assert decided.status_code == 303, decided.text
        after = otto_console.get(decided.headers["location"])
        assert "Substantiated by otto" in after.text
        assert "counselled" in after.text
        twice = otto_console.post(f"/console/referrals/{referral['id']}/outcome",
                                  data={"outcome": "closed", "note": "again"})  # fmt: skip
        _refused(twice, 409, "already has an outcome")
    with gateway.console("sam") as sam:
        assert "Substantiated by otto" in sam.get("/console/referrals").text
    with gateway.client("otto") as otto:
        shown = otto.get(f"/api/v1/referrals/{referral['id']}").json()
    assert (shown["outcome"], shown["outcome_note"]) == ("substantiated", "counselled")


def test_an_unknown_outcome_is_closed_from_the_queue(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        used = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
    sub = used.json()["submission"]["id"]
    # As start-up recovery leaves a dispatch interrupted by a crash.
    with unit_of_work(gateway.runtime.engine) as uow:
        table = uow.submissions.table
        uow.conn.execute(table.update().where(table.c.id == sub).values(status="outcome_unknown"))
    with gateway.console("sam") as sam:
        assert f'href="/console/queue/outcome-unknown/{sub}"' in sam.get("/console/queue").text
        page = sam.get(f"/console/queue/outcome-unknown/{sub}")
        assert page.status_code == 200, page.text
        assert "Close the unknown outcome" in page.text
        closed = sam.post(f"/console/queue/outcome-unknown/{sub}",
                          data={"note": "the provider confirms the search ran once"})  # fmt: skip
        assert closed.status_code == 303, closed.text
        assert f"/console/queue/outcome-unknown/{sub}" not in sam.get("/console/queue").text
    [entry] = _events(gateway, "submission:outcome:review")
    assert entry["details"]["note"] == "the provider confirms the search ran once"


def test_a_post_without_the_csrf_token_does_nothing(gateway: Gateway) -> None:
    probe, _ = _witness_use(gateway)
    [approval] = probe["approvals"]
    period = containing(gateway.runtime.gate.now(), WEEK).name
    with gateway.console("sam") as sam, _later(gateway, timedelta(days=WEEK)):
        before = gateway.runtime.ledger.size()
        posts: list[tuple[str, dict[str, Any]]] = [
            (f"/console/approvals/{approval['id']}/decision", {"decision": "approve"}),
            (f"/console/log-review/{period}/sign-off", {}),
            (f"/console/log-review/{period}/referrals", {"reasons": "forged"}),
        ]
        for path, data in posts:
            bare = sam.client.post(path, data=data)  # no csrf field
            assert bare.status_code == 403, (path, bare.text)
            assert "security token" in bare.text
            wrong = sam.client.post(path, data={**data, "csrf": "not-the-token"})
            assert wrong.status_code == 403, (path, wrong.text)
        assert gateway.runtime.ledger.size() == before
    assert _approval_status(gateway, approval["id"]) is ApprovalStatus.pending
    with gateway.client("otto") as otto:
        assert otto.get("/api/v1/referrals").json()["referrals"] == []
