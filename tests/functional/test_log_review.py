"""The supervisor's routine log review over HTTP (memo 4.E.4, 4.E.5, fn2), on the backend under
test: a weekly review counted against a hand-made fixture, its sign-off naming the checkpoint,
a second and a concurrent sign-off, a missed review shown to the supervisor's own supervisor,
a referral that OPR sees and decides, refusals that are cited and recorded, and IGP's approval
of the log format.

The entries' times are the ledger's own (the wall clock); the gateway's clock is moved past the
end of the period they fall in, so the period is finished without waiting.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from harness import Gateway
from helpers import DEMO_CASE, exigent_body, post_probe, submission_body
from images import astronaut_jpeg, rotated_astronaut_jpeg

from frsgate.domain.log_review import containing
from frsgate.services import log_review
from frsgate.store.unit import read_only

WEEK = 7


def _entries(gw: Gateway, since: int = 0) -> list[dict[str, Any]]:
    ledger = gw.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


@contextmanager
def _later(gw: Gateway, by: timedelta) -> Iterator[None]:
    gate = gw.runtime.gate
    real = gate.clock
    gate.clock = lambda: real() + by
    try:
        yield
    finally:
        gate.clock = real


def _cited(response: httpx.Response) -> set[str]:
    return {c["rule"] for c in response.json()["decision"]["citations"]}


def _activity(gw: Gateway) -> dict[str, Any]:
    """The fixture: in the demo case, alice's ordinary use, her exigent use, her witness
    probe's use (waiting for approval), one read of a probe image, and aaron's refused intake
    (his certification lapsed). Nothing else touches the case in a review's kinds."""
    with gw.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        ordinary = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
        assert ordinary.status_code == 201, ordinary.text
        exigent = alice.post(
            "/api/v1/submissions", json=exigent_body(probe["id"], "exigent-unreviewed", "fleeing")
        )
        assert exigent.status_code == 201, exigent.text
        witness = post_probe(
            alice, rotated_astronaut_jpeg(), subject_role="witness",
            other_methods_exhausted="canvass of the dock done",
        ).json()  # fmt: skip
        waiting = alice.post("/api/v1/submissions", json=submission_body(witness["id"]))
        assert waiting.status_code == 202, waiting.text
        assert alice.get(f"/api/v1/probes/{probe['id']}/image").status_code == 200
    with gw.client("aaron") as aaron:
        refused = post_probe(aaron, astronaut_jpeg())
        assert refused.status_code == 403, refused.text
    return {
        "ordinary": ordinary.json()["submission"]["id"],
        "exigent": exigent.json()["submission"]["id"],
        "witness": waiting.json()["submission"]["id"],
        "probe": probe["id"],
    }


def _period_of_fixture(gw: Gateway, submission_id: str) -> str:
    [entry] = [
        e for e in _entries(gw)
        if e["event"] == "submission:record:create" and e.get("submission") == submission_id
    ]  # fmt: skip
    at = datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return containing(at, WEEK).name


def test_weekly_review_sign_off_and_missed_review(gateway: Gateway) -> None:
    gw = gateway
    ids = _activity(gw)
    period = _period_of_fixture(gw, ids["ordinary"])
    with gw.client("sam") as sam:
        review = sam.get(f"/api/v1/log-reviews/{period}")
        assert review.status_code == 200, review.text
        shown = review.json()
        # Signing off a running period is bad input: 400, nothing recorded.
        before = gw.runtime.ledger.size()
        running = sam.post(f"/api/v1/log-reviews/{period}/sign-off", json={})
        assert running.status_code == 400, running.text
        assert "only a finished period" in running.json()["message"]
        assert gw.runtime.ledger.size() == before
    assert shown["period"]["start"] == period
    assert datetime.fromisoformat(shown["period"]["starts_at"]).weekday() == 0  # a Monday
    assert shown["finished"] is False
    assert shown["cases"] == [DEMO_CASE]
    totals = shown["totals"]
    # Hand count: three submissions recorded; one refused intake (aaron, memo 4.A.3) plus the
    # witness submission's decision waiting for approval (recorded as refused: it did not take
    # effect) and the witness probe's; one read of a probe image.
    assert (totals["use"], totals["read"]) == (3, 1)
    assert totals["denial"] == 3
    assert totals["indicators"] == {
        "witness_use": 1, "exigent_use": 1, "probe_view_count": 1, "unassigned": 0,
    }  # fmt: skip
    assert totals["denials_by_section"]["4.A.3"] == 1
    kinds = {i["submission"]: i["indicators"] for i in shown["items"] if i["kind"] == "use"}
    assert kinds == {ids["ordinary"]: [], ids["exigent"]: ["exigent_use"],
                     ids["witness"]: ["witness_use"]}  # fmt: skip
    # The read is recorded with the checkpoint it was computed against.
    [read] = [e for e in _entries(gw) if e["event"] == "oversight:review:read"]
    assert read["details"]["checkpoint"] == shown["checkpoint"]
    assert read["details"]["totals"]["use"] == 3

    with _later(gw, timedelta(days=WEEK)):
        with gw.client("sue") as sue:
            queue = sue.get("/api/v1/queue/supervisor").json()
        [missed] = [m for m in queue["missed_reviews"] if m["period"]["start"] == period]
        assert missed["supervisor"] == "sam"
        assert missed["entries"] >= 7
        with gw.client("sam") as sam:
            signed = sam.post(f"/api/v1/log-reviews/{period}/sign-off", json={})
            assert signed.status_code == 201, signed.text
            again = sam.post(f"/api/v1/log-reviews/{period}/sign-off", json={})
            assert again.status_code == 409, again.text
        with gw.client("sue") as sue:
            queue = sue.get("/api/v1/queue/supervisor").json()
        assert [m for m in queue["missed_reviews"] if m["period"]["start"] == period] == []
    body = signed.json()
    assert body["counts"]["use"] == 3
    [entry] = [e for e in _entries(gw) if e["event"] == "oversight:review:sign"]
    assert entry["details"]["period"] == period
    assert entry["details"]["checkpoint"] == body["checkpoint"]
    # The checkpoint named is a signed one, stored, of the log as it stood: its root is the
    # ledger's root at that size.
    size = body["checkpoint"]["tree_size"]
    root = base64.b64decode(body["checkpoint"]["root"])
    assert gw.runtime.ledger.root(size) == root
    assert entry["seq"] >= size  # taken at or after the period's end, before the sign-off


def test_refusals_are_cited_and_recorded(gateway: Gateway) -> None:
    gw = gateway
    period = containing(gw.runtime.gate.now(), WEEK).previous().name
    cases = [
        ("sue", "get", f"/api/v1/log-reviews/{period}?supervisor=sam", None,
         "log_review.own_review"),
        ("sue", "get", f"/api/v1/log-reviews/{period}?case={DEMO_CASE}", None,
         "log_review.own_cases"),
        ("sue", "post", f"/api/v1/log-reviews/{period}/sign-off", {"supervisor": "sam"},
         "log_review.own_sign_off"),
        ("alice", "get", f"/api/v1/log-reviews/{period}", None, "duty.log_review_read"),
        ("otto", "post", f"/api/v1/log-reviews/{period}/sign-off", {},
         "duty.log_review_sign_off"),
    ]  # fmt: skip
    for user, method, path, body, rule in cases:
        before = gw.runtime.ledger.size()
        with gw.client(user) as client:
            response = client.request(method, path, json=body)
        assert response.status_code == 403, (path, response.text)
        assert rule in _cited(response)
        [decision] = [e for e in _entries(gw, before) if e["event"] == "policy:decision:evaluate"]
        assert decision["outcome"] == "denied"
        assert rule in {c["rule"] for c in decision["citations"]}
    with gw.client("sam") as sam:
        assert sam.get(f"/api/v1/log-reviews/{period}?case={DEMO_CASE}").status_code == 200
        bad = sam.get("/api/v1/log-reviews/2026-01-06")  # a Tuesday
        assert bad.status_code == 422
        assert "2026-01-05" in bad.json()["message"]
    with gw.client("otto") as otto:  # OPR audits any supervisor's review
        assert otto.get(f"/api/v1/log-reviews/{period}?supervisor=sam").status_code == 200


def test_concurrent_sign_offs_one_wins(gateway: Gateway) -> None:
    gw = gateway
    period = containing(gw.runtime.gate.now(), WEEK).previous().name
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def sign() -> None:
        with gw.client("sam") as sam:
            barrier.wait()
            statuses.append(sam.post(f"/api/v1/log-reviews/{period}/sign-off", json={}).status_code)

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409]
    signs = [e for e in _entries(gw) if e["event"] == "oversight:review:sign"]
    assert len(signs) == 1


def test_referral_seen_and_decided_by_opr(gateway: Gateway) -> None:
    gw = gateway
    ids = _activity(gw)
    period = _period_of_fixture(gw, ids["ordinary"])
    [refusal] = [
        e for e in _entries(gw)
        if e["event"] == "policy:decision:evaluate" and e["actor"]["id"] == gw.users["aaron"]
    ]  # fmt: skip
    reasons = "aaron tried to collect a probe with a lapsed certification; please look into it"
    with gw.client("sam") as sam:
        made = sam.post(
            f"/api/v1/log-reviews/{period}/referrals",
            json={"reasons": reasons, "seqs": [refusal["seq"]], "submissions": [ids["exigent"]]},
        )
        assert made.status_code == 201, made.text
        referral = made.json()
        own = sam.get(f"/api/v1/referrals?referred_by={gw.users['sam']}")
        assert [r["id"] for r in own.json()["referrals"]] == [referral["id"]]
        refused = sam.post(f"/api/v1/referrals/{referral['id']}/outcome",
                           json={"outcome": "substantiated", "note": "n"})  # fmt: skip
        assert refused.status_code == 403
        assert "duty.referral_decide" in _cited(refused)
        # A seq of a system entry (no case) is not the supervisor's to refer: fail closed.
        other = sam.post(f"/api/v1/log-reviews/{period}/referrals",
                         json={"reasons": "r", "seqs": [0]})  # fmt: skip
        assert other.status_code == 403
        assert "log_review.own_cases" in _cited(other)
    [created] = [e for e in _entries(gw) if e["event"] == "oversight:referral:create"]
    record = created["details"]["record"]
    assert record["reasons_sha256"] == referral["reasons_sha256"]
    assert reasons not in json.dumps(created)  # the ledger binds the text, never holds it
    with gw.client("sue") as sue:
        hidden = sue.get(f"/api/v1/referrals/{referral['id']}")
        assert hidden.status_code == 403
        assert "referral.view_own" in _cited(hidden)
    with gw.client("otto") as otto:
        listed = otto.get("/api/v1/referrals").json()["referrals"]
        assert [(r["id"], r["reasons"], r["seqs"]) for r in listed] == [
            (referral["id"], reasons, [refusal["seq"]])
        ]
        decided = otto.post(f"/api/v1/referrals/{referral['id']}/outcome",
                            json={"outcome": "substantiated", "note": "counselled"})  # fmt: skip
        assert decided.status_code == 200, decided.text
        assert decided.json()["outcome"] == "substantiated"
        twice = otto.post(f"/api/v1/referrals/{referral['id']}/outcome",
                          json={"outcome": "closed", "note": "again"})  # fmt: skip
        assert twice.status_code == 409
    now = gw.runtime.gate.now()
    with read_only(gw.runtime.engine) as uow:
        counts = log_review.referral_counts(uow, now - timedelta(days=1), now + timedelta(days=1))
        missed = log_review.missed_reviews(
            uow, now - timedelta(days=30), now + timedelta(days=WEEK + 1)
        )
    assert counts == {"open": 0, "substantiated": 1, "unsubstantiated": 0, "closed": 0}
    assert [(m.supervisor, m.period.name) for m in missed] == [("sam", period)]
    # OPR's audit report over that week, run after it ended, shows both (memo 4.E.4, 4.E.5).
    first = date.fromisoformat(period)
    window = {"from": period, "to": (first + timedelta(days=WEEK - 1)).isoformat()}
    with _later(gw, timedelta(days=WEEK + 1)), gw.client("otto") as otto:
        audit = otto.get("/api/v1/reports/opr", params=window)
        assert audit.status_code == 200, audit.text
    tables = audit.json()["tables"]
    assert {r["outcome"]: r["referrals"] for r in tables["referrals"]["rows"]} == {
        "open": 0, "substantiated": 1, "unsubstantiated": 0, "closed": 0,
    }  # fmt: skip
    [late] = tables["missed_reviews"]["rows"]
    assert (late["supervisor"], late["period_start"][:10]) == ("sam", period)
    assert late["entries"] >= 3


def test_log_format_approval(gateway: Gateway) -> None:
    gw = gateway
    with gw.client("ada") as ada:
        state = ada.get("/api/v1/policy/log-format").json()
        assert state["status"] == "not approved"
        assert state["version"] == 1
        asked = ada.post("/api/v1/policy/log-format/approvals", json={"reason": "go live"})
        assert asked.status_code == 201, asked.text
        assert ada.post("/api/v1/policy/log-format/approvals",
                        json={"reason": "again"}).status_code == 409  # fmt: skip
        approval = asked.json()["approval"]
        assert approval["approver_role"] == "igp"
        assert ada.get("/api/v1/policy/log-format").json()["status"] == "pending"
        refused = ada.post(f"/api/v1/approvals/{approval['id']}/decision",
                           json={"approve": True})  # fmt: skip
        assert refused.status_code == 403
        assert "log_format.igp_only" in _cited(refused)
    with gw.client("alice") as alice:
        assert alice.get("/api/v1/policy/log-format").status_code == 403
    with gw.client("ivan") as ivan:
        decided = ivan.post(f"/api/v1/approvals/{approval['id']}/decision",
                            json={"approve": True, "note": "format reviewed"})  # fmt: skip
        assert decided.status_code == 200, decided.text
        state = ivan.get("/api/v1/policy/log-format").json()
    assert state["status"] == "approved"
    assert state["schema_sha256"] == state["subject"].split("@")[1]
    [entry] = [e for e in _entries(gw) if e["event"] == "ledger:format:approve"]
    assert entry["details"]["schema_sha256"] == state["schema_sha256"]
