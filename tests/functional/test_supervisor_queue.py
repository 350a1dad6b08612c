"""The supervisor's queue over HTTP (memo 4.B.4, 4.C.3, 4.E.4): an overdue exigent approval
stays on top until decided and, FRSGATE_EXIGENT_ESCALATION_HOURS past its deadline, is escalated
once to the next supervisor up, who may decide it; rate-limit lifts come with the requester's
volume; and nothing of another case ever appears in, or may be decided from, a queue.

Runs on SQLite, and on PostgreSQL with FRSGATE_TEST_DATABASE_URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from harness import Gateway, running_gateway
from helpers import exigent_body, post_probe, probe_for_result, submission_body
from images import astronaut_jpeg

from frsgate.domain import Role
from frsgate.ledger import Actor
from frsgate.services import admin
from frsgate.store.unit import unit_of_work

OTHER_CASE = "HSI-2026-000777"
DEADLINE_HOURS = 24  # the demo pack's exigent_approval_deadline_hours
ESCALATION_HOURS = 24  # FRSGATE_EXIGENT_ESCALATION_HOURS' default


@contextmanager
def _later(gateway: Gateway, hours: float) -> Iterator[None]:
    gate = gateway.runtime.gate
    real = gate.clock
    gate.clock = lambda: real() + timedelta(hours=hours)
    try:
        yield
    finally:
        gate.clock = real


def _entries(gateway: Gateway, since: int = 0) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _escalations(gateway: Gateway, approval_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in _entries(gateway)
        if e["event"] == "approval:request:escalate" and e["subject"] == f"approval:{approval_id}"
    ]


def _rules(response: httpx.Response) -> set[str]:
    return {c["rule"] for c in response.json()["decision"]["citations"]}


def _queue(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/api/v1/queue/supervisor")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [a["id"] for a in items]


def _other_chain(gateway: Gateway) -> None:
    """A second case and chain of command: sid supervises OTHER_CASE and answers to bea; alice
    works both cases. The demo case's chain is sam, who answers to sue."""
    gate, system = gateway.runtime.gate, Actor.system()
    bea = admin.create_user(gate, system, username="bea", display_name="Bea Boss",
                            roles=[Role.supervisor])  # fmt: skip
    sid = admin.create_user(gate, system, username="sid", display_name="Sid Supervisor",
                            roles=[Role.supervisor], supervisor_id=bea.id)  # fmt: skip
    gateway.users |= {"bea": bea.id, "sid": sid.id}
    with unit_of_work(gate.engine) as uow:
        alice = uow.users.get_by_username("alice")
    admin.create_case(
        gate, system, number=OTHER_CASE, title="another office's case",
        statutory_authority="18 U.S.C. 545", violation_codes=("18USC545",), supervisor=sid,
        assigned=[alice], opened_by=sid.id, under_hsi_authority=True,
    )  # fmt: skip


def _exigent_use(gateway: Gateway, **form: Any) -> dict[str, Any]:
    """alice uses the unreviewed demo FRS in exigency, no supervisor reachable first; returns
    the after-the-fact approval (deadline set, memo 4.C.3)."""
    with gateway.client("alice") as alice:
        probe = probe_for_result(alice, negative=False, **form)
        used = alice.post(
            "/api/v1/submissions",
            json=exigent_body(probe["id"], "exigent-unreviewed", "suspect fleeing with evidence"),
        )
    assert used.status_code == 201, used.text
    [approval] = used.json()["approvals"]
    assert approval["deadline"] is not None
    return dict(approval)


def test_an_overdue_exigent_approval_stays_then_escalates_once_to_the_next_supervisor(
    gateway: Gateway,
) -> None:
    _other_chain(gateway)
    mine = _exigent_use(gateway)
    theirs = _exigent_use(gateway, case=OTHER_CASE)
    deadline = datetime.fromisoformat(mine["deadline"])
    # Overdue, not yet escalated: on top of sam's queue, nowhere else.
    with _later(gateway, DEADLINE_HOURS + 1):
        with gateway.client("sam") as sam:
            queue = _queue(sam)
        first = queue["approvals"][0]
        assert first["id"] == mine["id"]
        assert (first["overdue"], first["escalated"], first["escalated_to_you"]) == (
            True, False, False)  # fmt: skip
        assert datetime.fromisoformat(first["escalation_due_at"]) == deadline + timedelta(
            hours=ESCALATION_HOURS
        )
        assert _ids(queue["overdue"]) == [mine["id"]]
        assert theirs["id"] not in _ids(queue["approvals"])
        with gateway.client("sue") as sue:
            assert _queue(sue)["approvals"] == []
            early = sue.post(f"/api/v1/approvals/{mine['id']}/decision", json={"approve": True})
        assert early.status_code == 403, early.text
        assert "approval.case_supervisor" in _rules(early)
        assert _escalations(gateway, mine["id"]) == []
    with _later(gateway, DEADLINE_HOURS + ESCALATION_HOURS + 1):
        # sam's read observes it due: escalated, recorded once, still on top of his queue.
        with gateway.client("sam") as sam:
            for _ in range(2):
                queue = _queue(sam)
                assert queue["approvals"][0]["id"] == mine["id"]
                assert queue["approvals"][0]["escalated"] is True
                assert queue["approvals"][0]["escalated_to_you"] is False
                assert queue["escalated"] == []
        [recorded] = _escalations(gateway, mine["id"])
        assert recorded["case"] == "HSI-2026-000001"
        assert recorded["details"]["escalated_to"] == [gateway.users["sue"]]
        assert recorded["details"]["deciders"] == [gateway.users["sam"]]
        # sue, sam's own supervisor, sees it marked as escalated, and nothing of the other
        # chain's case; bea sees the other case's only; sid and sam never see each other's.
        with gateway.client("sue") as sue:
            queue = _queue(sue)
        assert _ids(queue["approvals"]) == [mine["id"]]
        assert _ids(queue["escalated"]) == [mine["id"]]
        assert queue["approvals"][0]["escalated_to_you"] is True
        with gateway.client("bea") as bea:
            queue = _queue(bea)
            assert _ids(queue["escalated"]) == [theirs["id"]]
            assert mine["id"] not in _ids(queue["approvals"])
            not_hers = bea.post(f"/api/v1/approvals/{mine['id']}/decision",
                                json={"approve": True})  # fmt: skip
        assert not_hers.status_code == 403, not_hers.text
        assert "approval.case_supervisor" in _rules(not_hers)
        with gateway.client("sid") as sid:
            queue = _queue(sid)
            assert _ids(queue["approvals"]) == [theirs["id"]]
            assert queue["approvals"][0]["escalated_to_you"] is False
            refused = sid.post(f"/api/v1/approvals/{mine['id']}/decision",
                               json={"approve": True})  # fmt: skip
        assert refused.status_code == 403
        with gateway.client("sue") as sue:
            # Escalated, but not to sue: another chain's approval stays theirs.
            other = sue.post(f"/api/v1/approvals/{theirs['id']}/decision",
                             json={"approve": True})  # fmt: skip
            assert other.status_code == 403, other.text
            assert "approval.case_supervisor" in _rules(other)
            decided = sue.post(
                f"/api/v1/approvals/{mine['id']}/decision",
                json={"approve": True, "note": "approved on escalation: sam was unreachable"},
            )
        assert decided.status_code == 200, decided.text
        assert decided.json()["late"] is True
        [entry] = [e for e in _entries(gateway) if e["event"] == "approval:request:decide"
                   and e["subject"] == f"approval:{mine['id']}"]  # fmt: skip
        assert entry["actor"]["id"] == gateway.users["sue"]
        assert entry["details"]["by_escalation"] is True
        assert len(_escalations(gateway, mine["id"])) == 1
        with gateway.client("sam") as sam, gateway.client("sue") as sue:
            assert mine["id"] not in _ids(_queue(sam)["approvals"])
            assert _queue(sue)["approvals"] == []
        with gateway.client("sid") as sid:
            assert _ids(_queue(sid)["approvals"]) == [theirs["id"]]  # never expires


def test_concurrent_reads_record_an_escalation_once(gateway: Gateway) -> None:
    approval = _exigent_use(gateway)
    with _later(gateway, DEADLINE_HOURS + ESCALATION_HOURS + 1):
        clients = [gateway.client(name) for name in ("sam", "sue", "sam", "sue")]
        barrier = threading.Barrier(len(clients))
        answers: list[int] = []

        def read(client: httpx.Client) -> None:
            barrier.wait()
            answers.append(client.get("/api/v1/queue/supervisor").status_code)

        threads = [threading.Thread(target=read, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for c in clients:
            c.close()
        assert answers == [200] * len(clients)
        assert len(_escalations(gateway, approval["id"])) == 1
        with gateway.client("sue") as sue:
            assert _ids(_queue(sue)["escalated"]) == [approval["id"]]
    assert len(_escalations(gateway, approval["id"])) == 1


def test_a_decision_observes_a_due_escalation_itself(gateway: Gateway) -> None:
    """The next supervisor up may decide by id without reading a queue first: the decision
    records the escalation it rests on, once, before it."""
    approval = _exigent_use(gateway)
    with _later(gateway, DEADLINE_HOURS + ESCALATION_HOURS + 1):
        before = gateway.runtime.ledger.size()
        with gateway.client("sue") as sue:
            decided = sue.post(
                f"/api/v1/approvals/{approval['id']}/decision",
                json={"approve": False, "note": "refused on escalation: no exigency shown"},
            )
        assert decided.status_code == 200, decided.text
        events = [e["event"] for e in _entries(gateway, before)]
        assert events[:2] == ["approval:request:escalate", "policy:decision:evaluate"]
        assert "approval:request:decide" in events
    assert len(_escalations(gateway, approval["id"])) == 1


def test_escalation_waits_the_configured_time(
    tmp_path: Path, database_url: str, sandbox_url: str
) -> None:
    with running_gateway(
        tmp_path / "home", database_url, sandbox_url, exigent_escalation_hours=2
    ) as gw:
        approval = _exigent_use(gw)
        with _later(gw, DEADLINE_HOURS + 1), gw.client("sue") as sue:
            assert _queue(sue)["approvals"] == []
        with _later(gw, DEADLINE_HOURS + 2.5), gw.client("sue") as sue:
            queue = _queue(sue)
        assert _ids(queue["escalated"]) == [approval["id"]]
        assert datetime.fromisoformat(
            queue["escalated"][0]["escalation_due_at"]
        ) == datetime.fromisoformat(approval["deadline"]) + timedelta(hours=2)


def test_a_rate_limit_lift_comes_with_the_requesters_volume(
    tmp_path: Path, database_url: str, sandbox_url: str
) -> None:
    with running_gateway(
        tmp_path / "home", database_url, sandbox_url, rate_limit_per_user_per_hour=3
    ) as gw:
        _other_chain(gw)
        with gw.client("alice") as alice:
            probe = post_probe(alice, astronaut_jpeg()).json()
            for _ in range(3):
                ok = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
                assert ok.status_code == 201, ok.text
            for _ in range(2):
                refused = alice.post("/api/v1/submissions", json=submission_body(probe["id"]))
                assert refused.status_code == 429, refused.text
        with gw.client("sam") as sam:
            queue = _queue(sam)
        [item] = queue["rate_limits"]
        assert item["kind"] == "rate_limit_override"
        assert item["approval"]["requester_id"] == gw.users["alice"]
        assert item["approval"]["id"] in _ids(queue["approvals"])
        assert item["volume"] == {
            "requester_last_hour": 3,
            "requester_last_day": 3,
            "requester_last_week": 3,
            "case_last_hour": 3,
            "refused_last_day": 2,
            "limit_per_user_per_hour": 3,
            "limit_per_case_per_hour": gw.settings.rate_limit_per_case_per_hour,
        }
        # Another case's supervisor (and his own supervisor) sees none of it.
        for name in ("sid", "bea"):
            with gw.client(name) as other:
                assert _queue(other)["rate_limits"] == []
                denied = other.post(f"/api/v1/approvals/{item['approval']['id']}/decision",
                                    json={"approve": True})  # fmt: skip
            assert denied.status_code == 403, denied.text
            assert "approval.case_supervisor" in _rules(denied)
