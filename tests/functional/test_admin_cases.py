"""Cases, programs and FRS program codes administered over HTTP, on the real app: each act
decided by the pack and recorded with the record before and after it, each refusal cited and
on the ledger, and the records' effect on what agents may then do (a closed case, an agent
not assigned, a program code outside its validity)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from harness import Gateway
from helpers import DEMO_CASE, DEMO_PROGRAM, post_probe, submission_body
from images import astronaut_jpeg

from frsgate.domain import Role
from frsgate.ledger import Actor
from frsgate.services import admin

CASES = "/api/v1/admin/cases"
PROGRAMS = "/api/v1/admin/programs"
CODES = "/api/v1/admin/program-codes"


def _case_body(number: str = "HSI-2026-000777", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": number,
        "title": "Counterfeit pharmaceuticals (synthetic)",
        "statutory_authority": "21 U.S.C. 331 (prohibited acts)",
        "violation_codes": ["21USC331"],
        "under_hsi_authority": True,
        "supervisor": "sam",
        "agents": [],
    }
    body.update(overrides)
    return body


def _entries(gateway: Gateway, since: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _events(gateway: Gateway, since: int, event: str) -> list[dict[str, Any]]:
    return [e for e in _entries(gateway, since) if e["event"] == event]


def _refused(
    gateway: Gateway, response: httpx.Response, rule: str, since: int, *, only: bool = True
) -> None:
    """A 403 citing `rule`, whose decision is on the ledger with the citations shown (and,
    with `only`, nothing else was recorded)."""
    assert response.status_code == 403, response.text
    shown = response.json()["decision"]["citations"]
    assert rule in {c["rule"] for c in shown}, shown
    [decision] = _events(gateway, since, "policy:decision:evaluate")
    assert decision["outcome"] == "denied"
    assert decision["citations"] == shown
    if only:
        assert [e["event"] for e in _entries(gateway, since)] == ["policy:decision:evaluate"]


def _size(gateway: Gateway) -> int:
    return gateway.runtime.ledger.size()


def _user_id(gateway: Gateway, username: str) -> str:
    return gateway.users[username]


# --- cases -----------------------------------------------------------------------------------


def test_a_case_is_opened_staffed_changed_closed_and_reopened(gateway: Gateway) -> None:
    with gateway.client("ada") as ada:
        start = _size(gateway)
        made = ada.post(CASES, json=_case_body(agents=["alice"]))
        assert made.status_code == 201, made.text
        case = made.json()
        assert case["status"] == "open"
        assert case["supervisor"] == "sam"
        assert case["assigned"] == ["alice"]
        assert case["opened_by"] == "ada"
        assert case["under_hsi_authority"] is True
        [created] = _events(gateway, start, "case:record:create")
        assert created["case"] == "HSI-2026-000777"
        assert created["actor"] == {"id": _user_id(gateway, "ada"), "role": "admin"}
        assert created["details"]["before"] is None
        assert created["details"]["after"]["supervisor_ids"] == [_user_id(gateway, "sam")]
        assert created["details"]["after"]["under_hsi_authority"] is True
        [added] = _events(gateway, start, "case:assignment:add")
        assert added["details"]["after"]["assigned_user_ids"] == [_user_id(gateway, "alice")]

        # The supervisor manages their own case.
    with gateway.client("sam") as sam:
        shown = sam.get(f"{CASES}/HSI-2026-000777")
        assert shown.status_code == 200, shown.text
        assert shown.json() == case
        start = _size(gateway)
        patched = sam.patch(
            f"{CASES}/HSI-2026-000777", json={"title": "Counterfeit insulin (synthetic)"}
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["title"] == "Counterfeit insulin (synthetic)"
        [updated] = _events(gateway, start, "case:record:update")
        assert updated["details"]["before"]["title"] == "Counterfeit pharmaceuticals (synthetic)"
        assert updated["details"]["after"]["title"] == "Counterfeit insulin (synthetic)"
        assert updated["case"] == "HSI-2026-000777"

        start = _size(gateway)
        assigned = sam.post(f"{CASES}/HSI-2026-000777/assignments", json={"username": "erin"})
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["assigned"] == ["alice", "erin"]
        again = sam.post(f"{CASES}/HSI-2026-000777/assignments", json={"username": "erin"})
        assert again.status_code == 409, again.text
        removed = sam.delete(f"{CASES}/HSI-2026-000777/assignments/alice")
        assert removed.status_code == 200, removed.text
        assert removed.json()["assigned"] == ["erin"]
        gone = sam.delete(f"{CASES}/HSI-2026-000777/assignments/alice")
        assert gone.status_code == 404
        assert "alice is not assigned" in gone.json()["message"]
        [remove] = _events(gateway, start, "case:assignment:remove")
        assert remove["details"]["username"] == "alice"
        assert remove["details"]["before"]["assigned_user_ids"] == [
            _user_id(gateway, "alice"),
            _user_id(gateway, "erin"),
        ]

        start = _size(gateway)
        closed = sam.post(f"{CASES}/HSI-2026-000777/close", json={"reason": "indicted"})
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == "closed"
        assert closed.json()["closed_at"]
        twice = sam.post(f"{CASES}/HSI-2026-000777/close", json={"reason": "again"})
        assert twice.status_code == 409, twice.text
        reopened = sam.post(f"{CASES}/HSI-2026-000777/reopen", json={"reason": "new lead"})
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["status"] == "open"
        assert reopened.json()["closed_at"] is None
        changes = _events(gateway, start, "case:status:change")
        assert [(c["details"]["before"]["status"], c["details"]["after"]["status"],
                 c["details"]["reason"]) for c in changes] == [
            ("open", "closed", "indicted"), ("closed", "open", "new lead")]  # fmt: skip

        listed = sam.get(CASES, params={"supervisor": "sam"})
        assert listed.status_code == 200, listed.text
        numbers = [c["number"] for c in listed.json()["cases"]]
        assert numbers == [DEMO_CASE, "HSI-2026-000777"]
        reads = _events(gateway, start, "case:records:view")
        assert reads
        assert reads[-1]["details"]["cases"] == numbers


def test_bad_case_input_is_named_and_nothing_is_written(gateway: Gateway) -> None:
    with gateway.client("ada") as ada:
        start = _size(gateway)
        body = _case_body()
        del body["under_hsi_authority"]
        missing = ada.post(CASES, json=body)
        assert missing.status_code == 422, missing.text
        assert "under_hsi_authority" in missing.json()["message"]
        bad_number = ada.post(CASES, json=_case_body("hsi 2026/1"))
        assert bad_number.status_code == 422, bad_number.text
        assert "number" in bad_number.json()["message"]
        nobody = ada.post(CASES, json=_case_body(supervisor="nobody"))
        assert nobody.status_code == 404, nobody.text
        assert "nobody" in nobody.json()["message"]
        not_a_supervisor = ada.post(CASES, json=_case_body(supervisor="alice"))
        assert not_a_supervisor.status_code == 422, not_a_supervisor.text
        assert "does not hold the supervisor role" in not_a_supervisor.json()["message"]
        not_an_agent = ada.post(CASES, json=_case_body(agents=["olga"]))
        assert not_an_agent.status_code == 422, not_an_agent.text
        assert "olga is neither an agent nor an examiner" in not_an_agent.json()["message"]
        duplicate = ada.post(CASES, json=_case_body(DEMO_CASE))
        assert duplicate.status_code == 409, duplicate.text
        assert DEMO_CASE in duplicate.json()["message"]
        # Refused before or rolled back with the act: no case, no entry of a change.
        events = {e["event"] for e in _entries(gateway, start)}
        assert events <= {"policy:decision:evaluate"}
        assert ada.get(f"{CASES}/HSI-2026-000777").status_code == 404
        osdm = ada.post(f"{CASES}/{DEMO_CASE}/assignments", json={"username": "olga"})
        assert osdm.status_code == 422
        assert "olga" in osdm.json()["message"]
        unknown = ada.post(f"{CASES}/HSI-2099-000001/close", json={"reason": "x"})
        assert unknown.status_code == 404
        assert "HSI-2099-000001" in unknown.json()["message"]
        empty = ada.patch(f"{CASES}/{DEMO_CASE}", json={})
        assert empty.status_code == 422


def test_case_refusals_are_cited_and_recorded(gateway: Gateway) -> None:
    # Sue supervises sam, not sam's case.
    with gateway.client("sue") as sue:
        start = _size(gateway)
        _refused(gateway, sue.post(f"{CASES}/{DEMO_CASE}/close", json={"reason": "mine now"}),
                 "case.supervisor_own", start)  # fmt: skip
        start = _size(gateway)
        _refused(gateway, sue.get(f"{CASES}/{DEMO_CASE}"), "case.supervisor_own", start)
        start = _size(gateway)
        _refused(gateway, sue.get(CASES), "case.supervisor_own", start)
        own = sue.get(CASES, params={"supervisor": "sue"})
        assert own.status_code == 200
        assert own.json()["cases"] == []
    with gateway.client("sam") as sam:
        # Opening a case for another supervisor, or handing one's case over, is not theirs.
        start = _size(gateway)
        _refused(gateway, sam.post(CASES, json=_case_body(supervisor="sue")),
                 "case.supervisor_own", start)  # fmt: skip
        start = _size(gateway)
        _refused(gateway, sam.patch(f"{CASES}/{DEMO_CASE}", json={"supervisor": "sue"}),
                 "case.supervisor_own", start)  # fmt: skip
    with gateway.client("alice") as alice:
        start = _size(gateway)
        _refused(gateway, alice.post(f"{CASES}/{DEMO_CASE}/assignments",
                                     json={"username": "alice"}),
                 "duty.case_manage", start)  # fmt: skip
    with gateway.client("otto") as otto:
        start = _size(gateway)
        _refused(gateway, otto.post(CASES, json=_case_body()), "opr.read_only", start)
    with gateway.client("ada") as ada:
        handed = ada.patch(f"{CASES}/{DEMO_CASE}", json={"supervisor": "sue"})
        assert handed.status_code == 200, handed.text
        assert handed.json()["supervisor"] == "sue"


def test_assignment_and_closing_govern_the_agents_probes(gateway: Gateway) -> None:
    number = "HSI-2026-000888"
    with gateway.client("ada") as ada:
        assert ada.post(CASES, json=_case_body(number)).status_code == 201
    with gateway.client("alice") as alice:
        response = post_probe(alice, astronaut_jpeg(), case=number, program_code="")
        assert response.status_code == 403, response.text
        cited = {c["rule"] for c in response.json()["decision"]["citations"]}
        assert "purpose.case_assignment" in cited
    with gateway.client("sam") as sam:
        assigned = sam.post(f"{CASES}/{number}/assignments", json={"username": "alice"})
        assert assigned.status_code == 200, assigned.text
    with gateway.client("alice") as alice:
        allowed = post_probe(alice, astronaut_jpeg(), case=number, program_code="")
        assert allowed.status_code == 201, allowed.text
    with gateway.client("sam") as sam:
        assert sam.post(f"{CASES}/{number}/close", json={"reason": "done"}).status_code == 200
    with gateway.client("alice") as alice:
        closed = post_probe(alice, astronaut_jpeg(), case=number, program_code="")
        assert closed.status_code == 403, closed.text
        cited = {c["rule"] for c in closed.json()["decision"]["citations"]}
        assert "purpose.case_open" in cited
    with gateway.client("sam") as sam:
        removed = sam.post(f"{CASES}/{number}/reopen", json={"reason": "appeal"})
        assert removed.status_code == 200
        assert sam.delete(f"{CASES}/{number}/assignments/alice").status_code == 200
    with gateway.client("alice") as alice:
        off = post_probe(alice, astronaut_jpeg(), case=number, program_code="")
        assert off.status_code == 403, off.text
        assert "purpose.case_assignment" in {c["rule"] for c in off.json()["decision"]["citations"]}


# --- programs ------------------------------------------------------------------------------


def _program_body(code: str = "TF-PORTS", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": "Port security task force (synthetic)",
        "kind": "task_force",
        "assessment_ref": "PIA-TF-PORTS-2026",
        "use_without_case": True,
        "supervisor": "sam",
        "members": ["alice"],
    }
    body.update(overrides)
    return body


def test_a_program_is_registered_assessed_revised_and_staffed(gateway: Gateway) -> None:
    with gateway.client("ada") as ada:
        start = _size(gateway)
        made = ada.post(PROGRAMS, json=_program_body())
        assert made.status_code == 201, made.text
        program = made.json()
        assert program["status"] == "pending_assessment"
        assert program["registered_by"] == "ada"
        assert program["kind"] == "task_force"
        [created] = _events(gateway, start, "program:record:create")
        assert created["program_code"] == "TF-PORTS"
        assert created["details"]["after"]["registered_by"] == _user_id(gateway, "ada")
        assert ada.post(PROGRAMS, json=_program_body()).status_code == 409
    # Not a purpose until IGP approved its assessment.
    with gateway.client("alice") as alice:
        pending = post_probe(alice, astronaut_jpeg(), case="", program_code="TF-PORTS")
        assert pending.status_code == 403, pending.text
        assert "purpose.program_assessed" in {
            c["rule"] for c in pending.json()["decision"]["citations"]
        }
    with gateway.client("ivan") as ivan:
        stale = ivan.post(f"{PROGRAMS}/TF-PORTS/assessment/approval",
                          json={"assessment_ref": "PIA-SOMETHING-ELSE"})  # fmt: skip
        assert stale.status_code == 409, stale.text
        assert "PIA-TF-PORTS-2026" in stale.json()["message"]
        start = _size(gateway)
        approved = ivan.post(f"{PROGRAMS}/TF-PORTS/assessment/approval",
                             json={"assessment_ref": "PIA-TF-PORTS-2026"})  # fmt: skip
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert body["status"] == "assessed"
        assert body["assessment_approved_by"] == "ivan"
        assert body["assessment_approved_at"]
        [entry] = _events(gateway, start, "program:assessment:approve")
        assert entry["actor"]["role"] == "igp"
        assert entry["details"]["before"]["status"] == "pending_assessment"
        assert entry["details"]["after"]["assessment_approved_by"] == _user_id(gateway, "ivan")
        assert entry["details"]["assessment_ref"] == "PIA-TF-PORTS-2026"
    with gateway.client("alice") as alice:
        usable = post_probe(alice, astronaut_jpeg(), case="", program_code="TF-PORTS")
        assert usable.status_code == 201, usable.text
    with gateway.client("ada") as ada:
        start = _size(gateway)
        revised = ada.post(f"{PROGRAMS}/TF-PORTS/assessment/revision",
                           json={"assessment_ref": "PIA-TF-PORTS-2026-R1",
                                 "reason": "facial examiners added"})  # fmt: skip
        assert revised.status_code == 200, revised.text
        assert revised.json()["status"] == "pending_assessment"
        assert revised.json()["assessment_approved_by"] is None
        [update] = _events(gateway, start, "program:record:update")
        assert update["details"]["before"]["assessment_ref"] == "PIA-TF-PORTS-2026"
        assert update["details"]["after"]["assessment_ref"] == "PIA-TF-PORTS-2026-R1"
    with gateway.client("alice") as alice:
        again = post_probe(alice, astronaut_jpeg(), case="", program_code="TF-PORTS")
        assert again.status_code == 403, again.text
    with gateway.client("ivan") as ivan:
        reapproved = ivan.post(f"{PROGRAMS}/TF-PORTS/assessment/approval",
                               json={"assessment_ref": "PIA-TF-PORTS-2026-R1"})  # fmt: skip
        assert reapproved.status_code == 200, reapproved.text
    with gateway.client("ada") as ada:
        member = ada.post(f"{PROGRAMS}/TF-PORTS/members", json={"username": "erin"})
        assert member.status_code == 200, member.text
        assert member.json()["members"] == ["alice", "erin"]
        assert (
            ada.post(f"{PROGRAMS}/TF-PORTS/members", json={"username": "olga"}).status_code == 422
        )
        out = ada.delete(f"{PROGRAMS}/TF-PORTS/members/alice")
        assert out.status_code == 200, out.text
        assert out.json()["members"] == ["erin"]
        listed = ada.get(PROGRAMS, params={"status": "assessed"})
        assert [p["code"] for p in listed.json()["programs"]] == [DEMO_PROGRAM, "TF-PORTS"]
        assert ada.get(f"{PROGRAMS}/TF-NOPE").status_code == 404
    with gateway.client("alice") as alice:
        not_member = post_probe(alice, astronaut_jpeg(), case="", program_code="TF-PORTS")
        assert "purpose.program_member" in {
            c["rule"] for c in not_member.json()["decision"]["citations"]
        }


def test_program_refusals_are_cited_and_recorded(gateway: Gateway) -> None:
    # One account with both the igp and the admin role registers a program: another IGP
    # approver must approve its assessment.
    pat = admin.create_user(
        gateway.runtime.gate,
        Actor.system(),
        username="pat",
        display_name="Pat Privacy-Admin",
        roles=(Role.igp, Role.admin),
    )
    gateway.users["pat"] = pat.id  # fmt: skip
    with gateway.client("pat") as pat_client:
        made = pat_client.post(PROGRAMS, json=_program_body("TF-PAT"))
        assert made.status_code == 201, made.text
        start = _size(gateway)
        _refused(gateway, pat_client.post(f"{PROGRAMS}/TF-PAT/assessment/approval",
                                          json={"assessment_ref": "PIA-TF-PORTS-2026"}),
                 "program.assess_not_own", start)  # fmt: skip
    with gateway.client("ada") as ada:
        start = _size(gateway)
        _refused(gateway, ada.post(f"{PROGRAMS}/TF-PAT/assessment/approval",
                                   json={"assessment_ref": "PIA-TF-PORTS-2026"}),
                 "program.assess_igp_only", start)  # fmt: skip
    with gateway.client("sam") as sam:
        start = _size(gateway)
        _refused(gateway, sam.post(PROGRAMS, json=_program_body("TF-SAM")),
                 "duty.program_manage", start)  # fmt: skip
    with gateway.client("otto") as otto:
        start = _size(gateway)
        _refused(gateway, otto.post(f"{PROGRAMS}/TF-PAT/members", json={"username": "erin"}),
                 "opr.read_only", start)  # fmt: skip
    with gateway.client("ivan") as ivan:
        ok = ivan.post(f"{PROGRAMS}/TF-PAT/assessment/approval",
                       json={"assessment_ref": "PIA-TF-PORTS-2026"})  # fmt: skip
        assert ok.status_code == 200, ok.text


# --- FRS program codes -------------------------------------------------------------------


def _submit(client: httpx.Client, probe_id: str, code: str) -> httpx.Response:
    return client.post("/api/v1/submissions", json=submission_body(probe_id, program_code=code))


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_program_codes_govern_submissions(gateway: Gateway) -> None:
    now = datetime.now(UTC)
    with gateway.client("alice") as alice:
        probe = post_probe(alice, astronaut_jpeg()).json()
        start = _size(gateway)
        unknown = _submit(alice, probe["id"], "HSI-FRS-NEW")
        _refused(gateway, unknown, "submission.program_code_established", start, only=False)
    with gateway.client("ada") as ada:
        start = _size(gateway)
        _refused(gateway, ada.post(CODES, json={"code": "HSI-FRS-NEW", "description": "new"}),
                 "duty.program_code_establish", start)  # fmt: skip
    with gateway.client("olga") as olga:
        backwards = olga.post(CODES, json={
            "code": "HSI-FRS-NEW", "description": "new", "valid_from": _iso(now),
            "valid_until": _iso(now - timedelta(days=1))})  # fmt: skip
        assert backwards.status_code == 422, backwards.text
        assert "valid_until" in backwards.json()["message"]
        naive = olga.post(CODES, json={"code": "HSI-FRS-NEW", "description": "new",
                                       "valid_from": "2026-01-01T00:00:00"})  # fmt: skip
        assert naive.status_code == 422, naive.text
        later = olga.post(CODES, json={"code": "HSI-FRS-LATER", "description": "from tomorrow",
                                       "valid_from": _iso(now + timedelta(days=1))})  # fmt: skip
        assert later.status_code == 201, later.text
        assert later.json()["valid_now"] is False
        start = _size(gateway)
        made = olga.post(CODES, json={"code": "HSI-FRS-NEW", "description": "a new code"})
        assert made.status_code == 201, made.text
        assert made.json()["valid_now"] is True
        assert made.json()["established_by"] == "olga"
        [entry] = _events(gateway, start, "program:code:establish")
        assert entry["program_code"] == "HSI-FRS-NEW"
        assert entry["details"]["before"] is None
        assert entry["details"]["after"]["established_by"] == _user_id(gateway, "olga")
        assert olga.post(CODES, json={"code": "HSI-FRS-NEW", "description": "x"}).status_code == 409
    with gateway.client("alice") as alice:
        start = _size(gateway)
        future = _submit(alice, probe["id"], "HSI-FRS-LATER")
        _refused(gateway, future, "submission.program_code_established", start, only=False)
        ok = _submit(alice, probe["id"], "HSI-FRS-NEW")
        assert ok.status_code == 201, ok.text
    with gateway.client("olga") as olga:
        early = olga.patch(
            f"{CODES}/HSI-FRS-NEW", json={"valid_until": _iso(now - timedelta(days=1))}
        )
        assert early.status_code == 422, early.text  # before valid_from
        start = _size(gateway)
        closed = olga.patch(f"{CODES}/HSI-FRS-NEW", json={"valid_until": _iso(datetime.now(UTC))})
        assert closed.status_code == 200, closed.text
        assert closed.json()["valid_now"] is False
        [entry] = _events(gateway, start, "program:code:establish")
        assert entry["details"]["before"]["valid_until"] is None
        assert entry["details"]["after"]["valid_until"]
        listed = olga.get(CODES)
        assert listed.status_code == 200, listed.text
        codes = [c["code"] for c in listed.json()["program_codes"]]
        assert codes == sorted(["HSI-FRS-DEMO", "HSI-FRS-LATER", "HSI-FRS-NEW"])
        assert olga.get(f"{CODES}/HSI-FRS-NOPE").status_code == 404
    with gateway.client("alice") as alice:
        start = _size(gateway)
        after = _submit(alice, probe["id"], "HSI-FRS-NEW")
        _refused(gateway, after, "submission.program_code_established", start, only=False)
