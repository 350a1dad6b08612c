"""A case with several supervisors, over HTTP on the real app (memo 4.E.4): any of them decides
the case's approvals and sees them in their queue, a supervisor of another case decides none,
a supervisor's own request goes to the case's other supervisors and up to their own supervisor
(never to themself); the supervisors are added, replaced and taken off through the decision
point, each change on the ledger with the record before and after, and the last one stays."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from harness import Gateway
from helpers import post_probe
from images import astronaut_jpeg

from frsgate.domain import Role
from frsgate.ledger import Actor
from frsgate.services import admin

CASES = "/api/v1/admin/cases"
SHARED = "HSI-2026-000701"  # supervised by sam (lead) and sid
OTHER = "HSI-2026-000702"  # stu's case


def _entries(gateway: Gateway, since: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _events(gateway: Gateway, since: int, event: str) -> list[dict[str, Any]]:
    return [e for e in _entries(gateway, since) if e["event"] == event]


def _rules(response: httpx.Response) -> set[str]:
    return {c["rule"] for c in response.json()["decision"]["citations"]}


def _size(gateway: Gateway) -> int:
    return gateway.runtime.ledger.size()


def _case(number: str, supervisors: list[str], **more: Any) -> dict[str, Any]:
    return {
        "number": number,
        "title": "Port smuggling (synthetic)",
        "statutory_authority": "18 U.S.C. 545",
        "under_hsi_authority": True,
        "supervisors": supervisors,
        **more,
    }


def _supervisor(gateway: Gateway, username: str, boss: str | None = None) -> None:
    """A supervisor account of the test's own (their front-line supervisor `boss`)."""
    user = admin.create_user(
        gateway.runtime.gate, Actor.system(), username=username,
        display_name=username.title(), roles=[Role.supervisor],
        supervisor_id=gateway.users[boss] if boss else None,
    )  # fmt: skip
    gateway.users[username] = user.id


@pytest.fixture
def shared(gateway: Gateway) -> Gateway:
    """sam (lead) and sid supervise SHARED, alice works it; stu supervises OTHER."""
    _supervisor(gateway, "sid", boss="sue")
    _supervisor(gateway, "stu")
    with gateway.client("ada") as ada:
        made = ada.post(CASES, json=_case(SHARED, ["sam", "sid"], agents=["alice"]))
        assert made.status_code == 201, made.text
        other = ada.post(CASES, json=_case(OTHER, ["stu"]))
        assert other.status_code == 201, other.text
    return gateway


def _witness(client: httpx.Client) -> dict[str, Any]:
    response = post_probe(
        client, astronaut_jpeg(), case=SHARED, program_code="", subject_role="witness",
        other_methods_exhausted="canvass and records checks done",
    )  # fmt: skip
    assert response.status_code == 201, response.text
    [approval] = response.json()["approvals"]
    assert approval["kind"] == "witness_probe"
    return dict(approval)


def _queue(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """The approvals in the caller's supervisor queue, by id."""
    response = client.get("/api/v1/queue/supervisor")
    assert response.status_code == 200, response.text
    return {a["id"]: a for a in response.json()["approvals"]}


def _decide(client: httpx.Client, approval_id: str) -> httpx.Response:
    return client.post(
        f"/api/v1/approvals/{approval_id}/decision",
        json={"approve": True, "note": "other methods exhausted; witness approved"},
    )


def test_either_supervisor_decides_the_cases_approvals(shared: Gateway) -> None:
    gw = shared
    with gw.client("alice") as alice:
        first, second = _witness(alice), _witness(alice)
    with gw.client("sam") as sam, gw.client("sid") as sid, gw.client("stu") as stu:
        assert {first["id"], second["id"]} <= set(_queue(sam))
        # The lead receives them by default.
        assert _queue(sam)[first["id"]]["assigned_to"] == gw.users["sam"]
        assert {first["id"], second["id"]} <= set(_queue(sid))
        listed = {a["id"] for a in sid.get("/api/v1/approvals").json()["approvals"]}
        assert {first["id"], second["id"]} <= listed
        # A supervisor of another case neither sees nor decides them.
        assert not {first["id"], second["id"]} & set(_queue(stu))
        start = _size(gw)
        sideways = _decide(stu, first["id"])
        assert sideways.status_code == 403, sideways.text
        assert "approval.case_supervisor" in _rules(sideways)
        [refusal] = _events(gw, start, "policy:decision:evaluate")
        assert refusal["outcome"] == "denied"
        assert refusal["citations"] == sideways.json()["decision"]["citations"]

        by_sam = _decide(sam, first["id"])
        assert by_sam.status_code == 200, by_sam.text
        by_sid = _decide(sid, second["id"])
        assert by_sid.status_code == 200, by_sid.text
        assert by_sid.json()["approval"]["approver_id"] == gw.users["sid"]
        assert not {first["id"], second["id"]} & (set(_queue(sam)) | set(_queue(sid)))


def test_a_supervisors_own_request_goes_to_the_co_supervisor_and_up(shared: Gateway) -> None:
    gw = shared
    with gw.client("sam") as sam:
        own = _witness(sam)
        assert own["id"] not in _queue(sam)
        start = _size(gw)
        self_decided = _decide(sam, own["id"])
        assert self_decided.status_code == 403, self_decided.text
        assert "approval.witness_not_own" in _rules(self_decided)
        [refusal] = _events(gw, start, "policy:decision:evaluate")
        assert refusal["outcome"] == "denied"
    # sam's own supervisor may decide it too (up the chain); another case's may not.
    with gw.client("sue") as sue, gw.client("stu") as stu:
        assert own["id"] in _queue(sue)
        assert own["id"] not in _queue(stu)
        sideways = _decide(stu, own["id"])
        assert sideways.status_code == 403, sideways.text
        assert "approval.case_supervisor" in _rules(sideways)
    with gw.client("sid") as sid:
        # Sent to the case's other supervisor first; never to sam himself.
        assert _queue(sid)[own["id"]]["assigned_to"] == gw.users["sid"]
        decided = _decide(sid, own["id"])
        assert decided.status_code == 200, decided.text
        assert decided.json()["approval"]["approver_id"] == gw.users["sid"]


def test_supervisors_are_added_replaced_and_removed_on_the_ledger(shared: Gateway) -> None:
    gw = shared
    ids = gw.users
    one = f"{CASES}/{SHARED}"
    with gw.client("ada") as ada:
        shown = ada.get(one).json()
        assert shown["supervisors"] == ["sam", "sid"]
        assert shown["supervisor"] == "sam"
    [created] = [e for e in _events(gw, 0, "case:record:create") if e["case"] == SHARED]
    assert created["details"]["after"]["supervisor_ids"] == [ids["sam"], ids["sid"]]

    with gw.client("sam") as sam:
        start = _size(gw)
        added = sam.post(f"{one}/supervisors", json={"username": "stu"})
        assert added.status_code == 200, added.text
        assert added.json()["supervisors"] == ["sam", "sid", "stu"]
        [entry] = _events(gw, start, "case:record:update")
        assert entry["actor"]["id"] == ids["sam"]
        assert entry["details"]["before"]["supervisor_ids"] == [ids["sam"], ids["sid"]]
        assert entry["details"]["after"]["supervisor_ids"] == [ids["sam"], ids["sid"], ids["stu"]]
        assert entry["details"]["supervisor_added"] == {"user_id": ids["stu"], "username": "stu"}
        again = sam.post(f"{one}/supervisors", json={"username": "stu"})
        assert again.status_code == 409, again.text
        assert "stu already supervises" in again.json()["message"]
        agent = sam.post(f"{one}/supervisors", json={"username": "alice"})
        assert agent.status_code == 422, agent.text
        assert "alice does not hold the supervisor role" in agent.json()["message"]
        nobody = sam.post(f"{one}/supervisors", json={"username": "nobody"})
        assert nobody.status_code == 404, nobody.text

        start = _size(gw)
        removed = sam.delete(f"{one}/supervisors/sid")
        assert removed.status_code == 200, removed.text
        assert removed.json()["supervisors"] == ["sam", "stu"]
        [entry] = _events(gw, start, "case:record:update")
        assert entry["details"]["before"]["supervisor_ids"] == [ids["sam"], ids["sid"], ids["stu"]]
        assert entry["details"]["after"]["supervisor_ids"] == [ids["sam"], ids["stu"]]
        assert entry["details"]["supervisor_removed"] == {"user_id": ids["sid"], "username": "sid"}
        gone = sam.delete(f"{one}/supervisors/sid")
        assert gone.status_code == 404, gone.text
        assert "sid is not a supervisor" in gone.json()["message"]

        # A supervisor may not take themself off (giving the case away), nor hand it over.
        start = _size(gw)
        himself = sam.delete(f"{one}/supervisors/sam")
        assert himself.status_code == 403, himself.text
        assert "case.supervisor_own" in _rules(himself)
        handed = sam.patch(one, json={"supervisors": ["stu"]})
        assert handed.status_code == 403, handed.text
        assert "case.supervisor_own" in _rules(handed)
        assert [e["event"] for e in _entries(gw, start)] == ["policy:decision:evaluate"] * 2
    # sid, no longer a supervisor of the case, manages it no more.
    with gw.client("sid") as sid:
        refused = sid.post(f"{one}/supervisors", json={"username": "sid"})
        assert refused.status_code == 403, refused.text
        assert "case.supervisor_own" in _rules(refused)

    with gw.client("ada") as ada:
        start = _size(gw)
        replaced = ada.patch(one, json={"supervisors": ["stu", "sam"]})
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["supervisors"] == ["stu", "sam"]
        assert replaced.json()["supervisor"] == "stu"
        [entry] = _events(gw, start, "case:record:update")
        assert entry["details"]["before"]["supervisor_ids"] == [ids["sam"], ids["stu"]]
        assert entry["details"]["after"]["supervisor_ids"] == [ids["stu"], ids["sam"]]
        assert ada.delete(f"{one}/supervisors/stu").status_code == 200
        # The last supervisor stays: a conflict, rolled back with its decision.
        start = _size(gw)
        last = ada.delete(f"{one}/supervisors/sam")
        assert last.status_code == 409, last.text
        assert "last supervisor" in last.json()["message"]
        assert _size(gw) == start
        assert ada.get(one).json()["supervisors"] == ["sam"]


def test_bad_supervisor_lists_are_named(shared: Gateway) -> None:
    gw = shared
    with gw.client("ada") as ada:
        start = _size(gw)
        empty = ada.post(CASES, json=_case("HSI-2026-000703", []))
        assert empty.status_code == 422, empty.text
        assert "supervisors" in empty.json()["message"]
        neither = ada.post(CASES, json=_case("HSI-2026-000703", ["sam"]) | {"supervisors": None})
        assert neither.status_code == 422, neither.text
        assert "supervisors" in neither.json()["message"]
        both = ada.post(CASES, json=_case("HSI-2026-000703", ["sam"], supervisor="sid"))
        assert both.status_code == 422, both.text
        assert "not both" in both.json()["message"]
        twice = ada.post(CASES, json=_case("HSI-2026-000703", ["sam", "sam"]))
        assert twice.status_code == 422, twice.text
        assert "twice" in twice.json()["message"]
        not_one = ada.post(CASES, json=_case("HSI-2026-000703", ["sam", "alice"]))
        assert not_one.status_code == 422, not_one.text
        assert "alice does not hold the supervisor role" in not_one.json()["message"]
        assert {e["event"] for e in _entries(gw, start)} <= {"policy:decision:evaluate"}
        assert ada.get(f"{CASES}/HSI-2026-000703").status_code == 404
    # A supervisor opens a case only as one of its supervisors.
    with gw.client("sam") as sam:
        theirs = sam.post(CASES, json=_case("HSI-2026-000704", ["sid", "stu"]))
        assert theirs.status_code == 403, theirs.text
        assert "case.supervisor_own" in _rules(theirs)
        shared_case = sam.post(CASES, json=_case("HSI-2026-000704", ["sid", "sam"]))
        assert shared_case.status_code == 201, shared_case.text
        assert shared_case.json()["supervisors"] == ["sid", "sam"]
    with gw.client("sid") as sid:
        mine = sid.get(CASES, params={"supervisor": "sid"})
        assert mine.status_code == 200, mine.text
        assert [c["number"] for c in mine.json()["cases"]] == [SHARED, "HSI-2026-000704"]
