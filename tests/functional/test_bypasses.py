"""Regression tests over HTTP for every way around the policy an adversarial review found: each
one is tried as the review tried it, and must now be refused (or held), cited, and on the ledger.

Runs on SQLite, and on PostgreSQL with FRSGATE_TEST_DATABASE_URL (CI runs both)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from harness import Gateway, running_gateway
from helpers import approval_review, exigent_body, post_probe, probe_for_result, submission_body
from images import astronaut_jpeg, rotated_astronaut_jpeg

from frsgate.domain import Role
from frsgate.ledger import Actor
from frsgate.services import admin
from frsgate.store.unit import unit_of_work

HOURS_PAST_DEADLINE = 25  # the demo's exigent approval deadline is 24 hours


def _entries(gateway: Gateway, since: int = 0) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _rules(response: httpx.Response) -> set[str]:
    return {c["rule"] for c in response.json()["decision"]["citations"]}


def _probe(client: httpx.Client, image: bytes | None = None, **overrides: Any) -> dict[str, Any]:
    response = post_probe(client, image or astronaut_jpeg(), **overrides)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@contextmanager
def _later(gateway: Gateway, hours: int) -> Iterator[None]:
    """The gateway's clock `hours` ahead (the deadline of an exigent approval passes)."""
    gate = gateway.runtime.gate
    real = gate.clock
    gate.clock = lambda: real() + timedelta(hours=hours)
    try:
        yield
    finally:
        gate.clock = real


def _exigent_use(gateway: Gateway) -> tuple[str, str]:
    """alice uses the unreviewed demo FRS in exigency, prior approval impracticable; returns
    the submission id and its after-the-fact approval id."""
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        used = alice.post(
            "/api/v1/submissions",
            json=exigent_body(probe["id"], "exigent-unreviewed", "suspect fleeing with evidence"),
        )
    assert used.status_code == 201, used.text
    [approval] = used.json()["approvals"]
    return used.json()["submission"]["id"], approval["id"]


# --- every probe of a submission is decided ------------------------------------------------


def test_a_two_photo_whose_second_probe_awaits_witness_approval_waits(gateway: Gateway) -> None:
    with gateway.client("alice") as alice, gateway.client("sam") as sam:
        first = _probe(alice)
        witness = _probe(
            alice,
            rotated_astronaut_jpeg(),
            subject_role="witness",
            other_methods_exhausted="canvass and records checks found no name",
        )
        assert witness["status"] == "pending_approval"
        body = submission_body(first["id"], match_type="two_photo", second_probe_id=witness["id"])
        waiting = alice.post("/api/v1/submissions", json=body)
        assert waiting.status_code == 202, waiting.text
        assert waiting.json()["submission"]["status"] == "pending_approval"
        assert "probe.witness_approval" in _rules(waiting)
        sub_id = waiting.json()["submission"]["id"]
        assert "submission:dispatch:intent" not in {e["event"] for e in _entries(gateway)}
        # The submission says what it waits for: the second probe's witness approval.
        record = alice.get(f"/api/v1/submissions/{sub_id}").json()
        [approval] = witness["approvals"]
        assert [a["id"] for a in record["waiting_for"]] == [approval["id"]]
        decided = sam.post(
            f"/api/v1/approvals/{approval['id']}/decision",
            json={"approve": True, "note": "other methods exhausted"},
        )
        assert decided.status_code == 200, decided.text
        [dispatched] = decided.json()["dispatched"]
        assert dispatched["id"] == sub_id
        assert dispatched["status"] == "completed"


def test_a_two_photo_whose_second_probe_has_a_flagged_justification_waits(
    gateway: Gateway,
) -> None:
    with gateway.client("alice") as alice:
        first = _probe(alice)
        flagged = _probe(
            alice,
            rotated_astronaut_jpeg(),
            justification="attended the protest at the port and is a suspect in the theft",
        )
        assert flagged["status"] == "pending_approval"
        body = submission_body(first["id"], match_type="two_photo", second_probe_id=flagged["id"])
        waiting = alice.post("/api/v1/submissions", json=body)
    assert waiting.status_code == 202, waiting.text
    assert "probe.justification_flagged" in _rules(waiting)
    assert waiting.json()["submission"]["status"] == "pending_approval"


# --- approvals belong to a case ----------------------------------------------------------------


def test_a_supervisor_of_another_case_cannot_decide_this_cases_approvals(
    gateway: Gateway,
) -> None:
    # sue supervises no case of alice's; sam supervises the demo case.
    with gateway.client("alice") as alice, gateway.client("sue") as sue:
        witness = _probe(
            alice, subject_role="witness", other_methods_exhausted="interviews exhausted"
        )
        [approval] = witness["approvals"]
        assert approval["id"] not in {a["id"] for a in sue.get("/api/v1/approvals").json()[
            "approvals"]}  # fmt: skip
        before = gateway.runtime.ledger.size()
        refused = sue.post(f"/api/v1/approvals/{approval['id']}/decision", json={"approve": True})
        assert refused.status_code == 403, refused.text
        assert "approval.case_supervisor" in _rules(refused)
        [entry] = _entries(gateway, before)
        assert entry["event"] == "policy:decision:evaluate"
        assert entry["outcome"] == "denied"
        assert entry["case"] == "HSI-2026-000001"
        assert "approval.case_supervisor" in {c["rule"] for c in entry["citations"]}
    _, exigent = _exigent_use(gateway)
    with gateway.client("sue") as sue:
        refused = sue.post(f"/api/v1/approvals/{exigent}/decision", json={"approve": True})
    assert refused.status_code == 403, refused.text
    assert "approval.case_supervisor" in _rules(refused)


def test_a_supervisor_of_another_case_cannot_lift_a_rate_limit(
    tmp_path: Path, database_url: str, sandbox_url: str
) -> None:
    with (
        running_gateway(
            tmp_path / "home", database_url, sandbox_url, rate_limit_per_user_per_hour=1
        ) as gw,
        gw.client("alice") as alice,
        gw.client("sue") as sue,
        gw.client("sam") as sam,
    ):
        probe = _probe(alice)
        body = submission_body(probe["id"])
        assert alice.post("/api/v1/submissions", json=body).status_code == 201
        assert alice.post("/api/v1/submissions", json=body).status_code == 429
        [item] = [a for a in sam.get("/api/v1/approvals").json()["approvals"]
                  if a["kind"] == "rate_limit_override"]  # fmt: skip
        refused = sue.post(f"/api/v1/approvals/{item['id']}/decision", json={"approve": True})
        assert refused.status_code == 403, refused.text
        assert "approval.case_supervisor" in _rules(refused)
        assert alice.post("/api/v1/submissions", json=body).status_code == 429


# --- a needs_approval on a read is not an allow ------------------------------------------------


def test_results_of_an_overdue_exigent_use_are_withheld_until_approved_late(
    gateway: Gateway,
) -> None:
    sub_id, approval_id = _exigent_use(gateway)
    with gateway.client("alice") as alice:
        assert alice.get(f"/api/v1/submissions/{sub_id}/candidates").status_code == 200
    with _later(gateway, HOURS_PAST_DEADLINE):
        before = gateway.runtime.ledger.size()
        with gateway.client("alice") as alice:
            held = alice.get(f"/api/v1/submissions/{sub_id}/candidates")
        assert held.status_code == 409, held.text
        assert held.json()["decision"]["decision"] == "needs_approval"
        assert "exigent.approval_overdue" in _rules(held)
        assert [a["id"] for a in held.json()["awaiting"]] == [approval_id]
        assert held.json()["awaiting"][0]["overdue"] is True
        # The held read is on the ledger as a decision, and no read happened.
        events = [(e["event"], e["outcome"]) for e in _entries(gateway, before)]
        assert events == [("policy:decision:evaluate", "denied")]
        [decision] = _entries(gateway, before)
        assert decision["details"]["decision"] == "needs_approval"
        # The overdue approval stays in the case supervisor's queue, on top, however often
        # it is looked at; it never expires by itself.
        with gateway.client("sam") as sam:
            for _ in range(2):
                queue = sam.get("/api/v1/queue/supervisor").json()
                assert queue["approvals"][0]["id"] == approval_id
                assert queue["approvals"][0]["overdue"] is True
                assert [a["id"] for a in queue["overdue"]] == [approval_id]
            late = sam.post(
                f"/api/v1/approvals/{approval_id}/decision",
                json={"approve": True, "note": "approved late: I was unreachable"},
            )
        assert late.status_code == 200, late.text
        assert late.json()["late"] is True
        decided = [e for e in _entries(gateway) if e["event"] == "approval:request:decide"]
        assert decided[-1]["details"]["late"] is True
        with gateway.client("alice") as alice:
            released = alice.get(f"/api/v1/submissions/{sub_id}/candidates")
        assert released.status_code == 200, released.text


def test_an_exigent_use_is_judged_by_the_review_status_at_the_time_of_use(
    gateway: Gateway,
) -> None:
    sub_id, _ = _exigent_use(gateway)
    with gateway.client("olga") as olga:
        [provider] = [p for p in olga.get("/api/v1/queue/osdm").json()["providers"]
                      if p["name"] == "exigent-unreviewed"]  # fmt: skip
        approved = olga.post(
            f"/api/v1/providers/{provider['id']}/review",
            json=approval_review("terms reviewed after the exigent use"),
        )
        assert approved.status_code == 200, approved.text
    with _later(gateway, HOURS_PAST_DEADLINE), gateway.client("alice") as alice:
        held = alice.get(f"/api/v1/submissions/{sub_id}/candidates")
    assert held.status_code == 409, held.text
    assert "exigent.approval_overdue" in _rules(held)


def test_a_supervisors_refusal_after_the_fact_withholds_the_results_for_good(
    gateway: Gateway,
) -> None:
    sub_id, approval_id = _exigent_use(gateway)
    with gateway.client("sam") as sam:
        refused = sam.post(
            f"/api/v1/approvals/{approval_id}/decision",
            json={"approve": False, "note": "not an exigency: the suspect was in custody"},
        )
        assert refused.status_code == 200, refused.text
    with gateway.client("alice") as alice:
        denied = alice.get(f"/api/v1/submissions/{sub_id}/candidates")
    assert denied.status_code == 403, denied.text
    assert "exigent.approval_denied" in _rules(denied)
    with _later(gateway, HOURS_PAST_DEADLINE), gateway.client("alice") as alice:
        assert alice.get(f"/api/v1/submissions/{sub_id}/candidates").status_code == 403
    with gateway.client("otto") as otto:  # OPR audits what happened
        assert otto.get(f"/api/v1/submissions/{sub_id}/candidates").status_code == 200


# --- "prior approval impracticable" needs a reason, recorded and shown ---------------------


def test_prior_approval_impracticable_needs_a_reason_that_is_recorded_and_shown(
    gateway: Gateway,
) -> None:
    with gateway.client("alice") as alice, gateway.client("sam") as sam:
        probe = _probe(alice)
        bare = exigent_body(probe["id"], "exigent-unreviewed", "suspect fleeing")
        bare.pop("impracticable_reason")
        refused = alice.post("/api/v1/submissions", json=bare)
        assert refused.status_code == 403, refused.text
        assert _rules(refused) == {"submission.impracticable_reason"}
        reason = "both supervisors of the case on a flight; suspect boarding in 20 minutes"
        used = alice.post("/api/v1/submissions", json=bare | {"impracticable_reason": reason})
        assert used.status_code == 201, used.text
        sub_id = used.json()["submission"]["id"]
        record = alice.get(f"/api/v1/submissions/{sub_id}").json()
        assert record["impracticable_reason"] == reason
        assert record["provider_review_status_at_use"] == "unreviewed"
        [item] = [a for a in sam.get("/api/v1/approvals").json()["approvals"]
                  if a["subject_id"] == sub_id]  # fmt: skip
        assert reason in item["reason"]
    created = [e for e in _entries(gateway) if e["event"] == "submission:record:create"]
    assert created[-1]["details"]["impracticable_reason"] == reason


# --- rate limits hold under concurrency ----------------------------------------------------


def test_concurrent_submissions_cannot_pass_the_rate_limit(
    tmp_path: Path, database_url: str, sandbox_url: str
) -> None:
    limit, attempts = 30, 60
    with running_gateway(
        tmp_path / "home", database_url, sandbox_url, rate_limit_per_user_per_hour=limit
    ) as gw:
        with gw.client("alice") as alice:
            probe = _probe(alice)
        statuses: list[int] = []
        lock = threading.Lock()
        start = threading.Barrier(attempts)

        def submit() -> None:
            with gw.client("alice") as client:
                start.wait()
                response = client.post("/api/v1/submissions", json=submission_body(probe["id"]))
            with lock:
                statuses.append(response.status_code)

        threads = [threading.Thread(target=submit) for _ in range(attempts)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(set(statuses)) == [201, 429], statuses
        assert statuses.count(201) == limit
        assert statuses.count(429) == attempts - limit
        intents = [e for e in _entries(gw) if e["event"] == "submission:dispatch:intent"]
        assert len(intents) == limit


# --- an account disabled while its request waits ----------------------------------------------


def test_a_request_is_decided_again_for_its_requester_when_approved(gateway: Gateway) -> None:
    """The approval does not carry the request through: it is decided again, with the
    requester's facts as they are now (here, an account disabled meanwhile)."""
    gate = gateway.runtime.gate
    extra = admin.create_user(
        gate, Actor.system(), username="zed", display_name="Zed Agent", roles=[Role.agent]
    )
    now = gate.now()
    admin.record_certification(
        gate, Actor.system(), user=extra, completed_at=now - timedelta(days=1),
        best_practices_at=now - timedelta(days=1), safeguards_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=300), palms_reference="PALMS-ZED",
    )  # fmt: skip
    with gateway.runtime.engine.begin() as conn:
        from frsgate.store.repositories.cases import CaseRepository

        cases = CaseRepository(conn)
        case = cases.get_by_number("HSI-2026-000001")
        case.assign(extra.id)
        cases.update(case)
    gateway.users["zed"] = extra.id
    with gateway.client("zed") as zed:
        witness = _probe(zed, subject_role="witness", other_methods_exhausted="none left")
        waiting = zed.post("/api/v1/submissions", json=submission_body(witness["id"]))
        assert waiting.status_code == 202, waiting.text
    admin.disable_user(gate, Actor.system(), user_id=extra.id, reason="left the agency")
    with gateway.client("sam") as sam:
        decided = sam.post(
            f"/api/v1/approvals/{witness['approvals'][0]['id']}/decision",
            json={"approve": True, "note": "approved"},
        )
    assert decided.status_code == 200, decided.text
    assert decided.json()["dispatched"] == []
    assert decided.json()["rejected_submissions"] == [waiting.json()["submission"]["id"]]
    denied = [e for e in _entries(gateway) if e["event"] == "policy:decision:evaluate"]
    assert "account.active" in {c["rule"] for c in denied[-1]["citations"]}


def test_a_supervisors_own_request_goes_up_the_chain_not_sideways(gateway: Gateway) -> None:
    """sam supervises the demo case and works it as an agent: his own witness probe is decided
    by his own supervisor (sue), never by himself, and by no supervisor of another case."""
    gate = gateway.runtime.gate
    sid = admin.create_user(
        gate, Actor.system(), username="sid", display_name="Sid Supervisor",
        roles=[Role.supervisor],
    )  # fmt: skip
    gateway.users["sid"] = sid.id
    with gateway.client("sam") as sam:
        witness = _probe(sam, subject_role="witness", other_methods_exhausted="canvass done")
        [approval] = witness["approvals"]
        assert approval["id"] not in {a["id"] for a in sam.get("/api/v1/approvals").json()[
            "approvals"]}  # fmt: skip
    with gateway.client("sid") as sid_client:
        sideways = sid_client.post(
            f"/api/v1/approvals/{approval['id']}/decision", json={"approve": True}
        )
        assert sideways.status_code == 403, sideways.text
        assert "approval.case_supervisor" in _rules(sideways)
    with gateway.client("sue") as sue:
        queue = sue.get("/api/v1/queue/supervisor").json()["approvals"]
        assert approval["id"] in {a["id"] for a in queue}
        decided = sue.post(
            f"/api/v1/approvals/{approval['id']}/decision",
            json={"approve": True, "note": "witness approved"},
        )
    assert decided.status_code == 200, decided.text


def test_a_missing_program_code_is_a_cited_refusal_on_the_ledger(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = _probe(alice)
        body = submission_body(probe["id"])
        body.pop("program_code")
        before = gateway.runtime.ledger.size()
        missing = alice.post("/api/v1/submissions", json=body)
        unknown = alice.post("/api/v1/submissions", json=body | {"program_code": "NO-SUCH"})
    assert missing.status_code == 403, missing.text
    assert _rules(missing) == {"submission.program_code"}
    assert unknown.status_code == 403, unknown.text
    assert _rules(unknown) == {"submission.program_code_established"}
    decisions = [e for e in _entries(gateway, before) if e["event"] == "policy:decision:evaluate"]
    assert [c["section"] for e in decisions for c in e["citations"]] == ["4.E.3", "4.E.3"]


# --- an adversary with a valid token ---------------------------------------------------------


def test_another_cases_supervisor_reads_none_of_this_cases_records(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False)
        done = alice.post("/api/v1/submissions", json=submission_body(probe["id"])).json()
    sub_id = done["submission"]["id"]
    with gateway.client("sue") as sue:
        for path, rule in (
            (f"/api/v1/submissions/{sub_id}", "submission.view_own_or_oversight"),
            (f"/api/v1/submissions/{sub_id}/candidates", "purpose.case_assignment"),
            (f"/api/v1/probes/{probe['id']}/image", "purpose.case_assignment"),
        ):
            refused = sue.get(path)
            assert refused.status_code == 403, (path, refused.text)
            assert rule in _rules(refused)
        assert sub_id not in {s["id"] for s in sue.get("/api/v1/submissions").json()[
            "submissions"]}  # fmt: skip


def test_opr_reads_but_never_decides(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        witness = _probe(alice, subject_role="witness", other_methods_exhausted="canvass done")
    with gateway.client("otto") as otto:
        refused = otto.post(
            f"/api/v1/approvals/{witness['approvals'][0]['id']}/decision",
            json={"approve": True},
        )
    assert refused.status_code == 403, refused.text
    assert "opr.read_only" in _rules(refused)


def test_two_concurrent_decisions_of_one_approval_act_once(gateway: Gateway) -> None:
    with gateway.client("alice") as alice:
        witness = _probe(alice, subject_role="witness", other_methods_exhausted="canvass done")
        waiting = alice.post("/api/v1/submissions", json=submission_body(witness["id"]))
        assert waiting.status_code == 202, waiting.text
    approval = witness["approvals"][0]["id"]
    statuses: list[int] = []
    start = threading.Barrier(2)

    def decide() -> None:
        with gateway.client("sam") as sam:
            start.wait()
            answer = sam.post(f"/api/v1/approvals/{approval}/decision", json={"approve": True})
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=decide) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [200, 409], statuses
    entries = _entries(gateway)
    decided = [e for e in entries if e["event"] == "approval:request:decide"
               and e["subject"] == f"approval:{approval}"]  # fmt: skip
    assert len(decided) == 1
    assert [e["event"] for e in entries].count("submission:dispatch:intent") == 1


def test_a_second_probe_from_another_case_is_refused_with_nothing_recorded(
    gateway: Gateway,
) -> None:
    gate = gateway.runtime.gate
    with unit_of_work(gate.engine) as uow:
        sam = uow.users.get_by_username("sam")
        alice = uow.users.get_by_username("alice")
    admin.create_case(
        gate, Actor.system(), number="HSI-2026-000009", title="Another case",
        statutory_authority="18 U.S.C. 545", violation_codes=(), supervisor=sam,
        assigned=[alice], opened_by=sam.id, under_hsi_authority=True,
    )  # fmt: skip
    with gateway.client("alice") as client:
        first = _probe(client)
        other = _probe(client, rotated_astronaut_jpeg(), case="HSI-2026-000009")
        before = gateway.runtime.ledger.size()
        body = submission_body(first["id"], match_type="two_photo", second_probe_id=other["id"])
        refused = client.post("/api/v1/submissions", json=body)
    assert refused.status_code == 409, refused.text
    assert gateway.runtime.ledger.size() == before
