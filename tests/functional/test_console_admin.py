"""The administrator's console pages over HTTP, on the backend under test: people, cases,
programs, the PALMS certifications import and FRS providers.

Each act is checked where it lands (the API's own answer, or the store and the ledger); each
form the service refused shows the service's message with what was typed, and left nothing
behind; a user of another role is refused with the memo section, never shown a hidden page;
and a post without the session's CSRF token does nothing.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

import httpx
from harness import Console, Gateway
from helpers import DEMO_CASE

from frsgate.store.unit import read_only

USERS = "/console/admin/users"
CASES = "/console/admin/cases"
PROGRAMS = "/console/admin/programs"
CERTIFICATIONS = "/console/admin/certifications"
PROVIDERS = "/console/admin/providers"
HEADER = "username,course_id,completed_on,best_practices_attested_on,safeguards_attested_on"


def _text(page: httpx.Response) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def _value(page: httpx.Response, name: str) -> str:
    """The value an input of the page's form holds."""
    found = re.search(rf'name="{name}" type="[a-z]+" value="([^"]*)"', page.text)
    assert found is not None, f"no input {name}"
    return html.unescape(found.group(1))


def _entries(gateway: Gateway, since: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _events(gateway: Gateway, since: int) -> list[str]:
    return [e["event"] for e in _entries(gateway, since)]


def _usernames(gateway: Gateway) -> set[str]:
    with read_only(gateway.runtime.engine) as uow:
        return {u.username for u in uow.users.list_all()}


def _day(gateway: Gateway, days_ago: int) -> str:
    return (gateway.runtime.gate.now() - timedelta(days=days_ago)).date().isoformat()


def _row(gateway: Gateway, username: str, days_ago: int = 10, course: str = "ICE-FRS-101") -> str:
    on = _day(gateway, days_ago)
    return f"{username},{course},{on},{on},{on}"


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _upload(console: Console, data: bytes) -> httpx.Response:
    return console.post(CERTIFICATIONS, files={"file": ("palms.csv", data, "text/csv")})


def _certifications(gateway: Gateway, username: str) -> int:
    with read_only(gateway.runtime.engine) as uow:
        return len(uow.certifications.of_user(uow.users.get_by_username(username).id))


def _person(**overrides: Any) -> dict[str, Any]:
    """The "add a person" form as a browser sends it: an agent supervised by sam."""
    form: dict[str, Any] = {
        "username": "nina.agent", "display_name": "Nina Agent", "office": "Newark",
        "email": "Nina.Agent@Example.gov", "roles": ["agent"], "supervisor": "sam",
        "oidc_issuer": "", "oidc_subject": "",
    }  # fmt: skip
    form.update(overrides)
    return form


def _case(**overrides: str) -> dict[str, str]:
    form = {
        "number": "HSI-2026-000555", "title": "Counterfeit pharmaceuticals (synthetic)",
        "statutory_authority": "21 U.S.C. 331 (prohibited acts)", "violation_codes": "21USC331",
        "under_hsi_authority": "yes", "supervisors": "sam", "agents": "",
    }  # fmt: skip
    form.update(overrides)
    return form


# --- people --------------------------------------------------------------------------------------


def test_an_administrator_adds_an_agent_who_then_signs_in(gateway: Gateway) -> None:
    with gateway.console("ada") as ada, gateway.client("ada") as api:
        listed = ada.get(USERS)
        assert listed.status_code == 200, listed.text
        assert 'href="/console/admin/users/alice"' in listed.text
        assert 'href="/console/admin/users"' in listed.text  # the People link of ada's nav
        form = ada.get(f"{USERS}/new")
        assert form.status_code == 200, form.text
        assert 'name="roles" value="agent"' in form.text

        made = ada.post(USERS, _person())
        assert made.status_code == 303, made.text
        assert made.headers["location"] == f"{USERS}/nina.agent?done=created"
        shown = ada.get(made.headers["location"])
        assert shown.status_code == 200, shown.text
        assert "The account nina.agent was created." in _text(shown)
        assert "No certification on file" in _text(shown)

        account = api.get("/api/v1/admin/users/nina.agent").json()
        assert account["display_name"] == "Nina Agent"
        assert account["roles"] == ["agent"]
        assert account["supervisor"] == "sam"
        assert account["email"] == "nina.agent@example.gov"
        assert account["office"] == "Newark"

        imported = _upload(ada, _csv(_row(gateway, "nina.agent", 3)))
        assert imported.status_code == 200, imported.text
        assert "Imported: 1 new certification, 0 already on file" in _text(imported)
        [cert] = api.get("/api/v1/admin/certifications?username=nina.agent").json()[
            "certifications"
        ]
        assert cert["current"] is True
        assert "Current" in _text(ada.get(f"{USERS}/nina.agent"))

    with gateway.console("nina.agent") as nina:
        home = nina.get("/console/")
        assert home.status_code == 200, home.text
        assert "Welcome, Nina Agent" in _text(home)
        assert '<span class="tag">agent</span>' in home.text
        assert 'href="/console/admin/users"' not in home.text  # no administrator's pages
        assert nina.get(USERS).status_code == 403


def test_a_duplicate_username_is_refused_with_the_form_kept_and_nothing_created(
    gateway: Gateway,
) -> None:
    with gateway.console("ada") as ada:
        people = _usernames(gateway)
        start = gateway.runtime.ledger.size()
        refused = ada.post(USERS, _person(username="alice", display_name="Another Alice"))
        assert refused.status_code == 409, refused.text
        assert "username 'alice' is taken by another account" in _text(refused)
        assert _value(refused, "display_name") == "Another Alice"
        assert _value(refused, "email") == "Nina.Agent@Example.gov"
        assert 'value="agent" checked' in refused.text
        assert _usernames(gateway) == people
        assert "user:account:create" not in _events(gateway, start)

        for form, status, said in (
            (_person(email="not-an-address"), 422, "email: 'not-an-address' is not an e-mail"),
            (_person(supervisor="nobody"), 404, "supervisor: user 'nobody' does not exist"),
            (_person(username="Nina Agent"), 422, "is not a username"),
            (_person(oidc_issuer="https://idp.example"), 422, "oidc_subject: an OIDC identity"),
            (_person(roles=["agent", "sheriff"]), 422, "'sheriff' is not a role"),
        ):
            answer = ada.post(USERS, form)
            assert answer.status_code == status, (form, answer.text)
            assert said in _text(answer), (said, _text(answer))
            assert _value(answer, "username") == form["username"]
        assert _usernames(gateway) == people


def test_an_account_is_changed_given_a_role_and_deactivated(gateway: Gateway) -> None:
    with gateway.console("ada") as ada, gateway.client("ada") as api:
        assert ada.post(USERS, _person()).status_code == 303
        page = f"{USERS}/nina.agent"
        changed = ada.post(page, {
            "display_name": "Nina A. Agent", "office": "Boston", "email": "",
            "supervisor": "sam", "oidc_issuer": "https://idp.example/realms/frs",
            "oidc_subject": "5f1c",
        })  # fmt: skip
        assert changed.status_code == 303, changed.text
        account = api.get("/api/v1/admin/users/nina.agent").json()
        assert (account["display_name"], account["office"], account["email"]) == (
            "Nina A. Agent", "Boston", None)  # fmt: skip
        assert account["oidc_subject"] == "5f1c"

        bad = ada.post(page, {"display_name": "Nina", "email": "nope", "supervisor": "sam"})
        assert bad.status_code == 422, bad.text
        assert "email: 'nope' is not an e-mail address" in _text(bad)
        assert _value(bad, "email") == "nope"

        assert ada.post(f"{page}/roles", {"role": "examiner"}).status_code == 303
        assert api.get("/api/v1/admin/users/nina.agent").json()["roles"] == ["agent", "examiner"]
        again = ada.post(f"{page}/roles", {"role": "examiner"})
        assert again.status_code == 409
        assert "already holds the role 'examiner'" in _text(again)
        assert ada.post(f"{page}/roles/agent/revoke").status_code == 303
        assert api.get("/api/v1/admin/users/nina.agent").json()["roles"] == ["examiner"]

        no_reason = ada.post(f"{page}/deactivate", {"reason": " "})
        assert no_reason.status_code == 422
        assert "reason: must not be empty" in _text(no_reason)
        assert api.get("/api/v1/admin/users/nina.agent").json()["status"] == "active"
        done = ada.post(f"{page}/deactivate", {"reason": "left the agency"})
        assert done.status_code == 303, done.text
        assert api.get("/api/v1/admin/users/nina.agent").json()["status"] == "disabled"
        assert "Reactivate the account" in ada.get(page).text


def test_an_administrator_cannot_change_their_own_account(gateway: Gateway) -> None:
    with gateway.console("ada") as ada:
        refused = ada.post(f"{USERS}/ada/roles", {"role": "opr"})
        assert refused.status_code == 403, refused.text
        assert "Memo 4.E.4" in _text(refused)


def test_only_an_administrator_is_shown_the_people_page(gateway: Gateway) -> None:
    with gateway.console("alice") as alice:
        people = _usernames(gateway)
        refused = alice.get(USERS)
        assert refused.status_code == 403, refused.text
        assert "Memo 4.E.4" in _text(refused)
        assert "users.admin_only" in refused.text
        assert "Only an administrator may manage user accounts and roles." in _text(refused)
        assert 'href="/console/admin/users/ada"' not in refused.text
        posted = alice.post(USERS, _person())
        assert posted.status_code == 403, posted.text
        assert _usernames(gateway) == people
        for path in (CASES, PROGRAMS, CERTIFICATIONS, PROVIDERS, f"{USERS}/alice"):
            assert alice.get(path).status_code == 403, path


def test_a_post_without_the_csrf_token_does_nothing(gateway: Gateway) -> None:
    with gateway.console("ada") as ada:
        people = _usernames(gateway)
        start = gateway.runtime.ledger.size()
        bare = ada.client.post(USERS, data=_person())
        assert bare.status_code in (400, 403), bare.text
        assert "security token" in _text(bare)
        wrong = ada.client.post(USERS, data={**_person(), "csrf": "not-the-token"})
        assert wrong.status_code in (400, 403), wrong.text
        upload = ada.client.post(
            CERTIFICATIONS, files={"file": ("palms.csv", _csv(_row(gateway, "aaron")), "text/csv")}
        )
        assert upload.status_code in (400, 403), upload.text
        assign = ada.client.post(f"{CASES}/{DEMO_CASE}/assignments", data={"username": "sam"})
        assert assign.status_code in (400, 403), assign.text
        assert _usernames(gateway) == people
        assert gateway.runtime.ledger.size() == start


# --- cases and programs ------------------------------------------------------------------------


def test_an_administrator_opens_a_case_assigns_alice_and_closes_it(gateway: Gateway) -> None:
    number = "HSI-2026-000555"
    with gateway.console("ada") as ada, gateway.client("ada") as api:
        assert ada.get(f"{CASES}/new").status_code == 200
        unstated = ada.post(CASES, _case(under_hsi_authority=""))
        assert unstated.status_code == 422, unstated.text
        assert "under_hsi_authority: answer whether" in _text(unstated)
        assert _value(unstated, "title") == "Counterfeit pharmaceuticals (synthetic)"
        assert api.get(f"/api/v1/admin/cases/{number}").status_code == 404

        opened = ada.post(CASES, _case())
        assert opened.status_code == 303, opened.text
        assert opened.headers["location"] == f"{CASES}/{number}?done=opened"
        assigned = ada.post(f"{CASES}/{number}/assignments", {"username": "alice"})
        assert assigned.status_code == 303, assigned.text
        page = ada.get(assigned.headers["location"])
        assert "The person was assigned to case HSI-2026-000555." in _text(page)
        assert f"{CASES}/{number}/assignments/alice/remove" in page.text
        case = api.get(f"/api/v1/admin/cases/{number}").json()
        assert case["assigned"] == ["alice"]
        assert case["supervisors"] == ["sam"]
        assert case["opened_by"] == "ada"
        assert case["under_hsi_authority"] is True
        assert number in ada.get(CASES).text

        twice = ada.post(CASES, _case())
        assert twice.status_code == 409
        assert "already exists" in _text(twice)
        not_a_supervisor = ada.post(f"{CASES}/{number}/supervisors", {"username": "alice"})
        assert not_a_supervisor.status_code in (409, 422), not_a_supervisor.text
        assert api.get(f"/api/v1/admin/cases/{number}").json()["supervisors"] == ["sam"]

        closed = ada.post(f"{CASES}/{number}/close", {"reason": "indictment returned"})
        assert closed.status_code == 303, closed.text
        assert api.get(f"/api/v1/admin/cases/{number}").json()["status"] == "closed"
        assert "Reopen the case" in ada.get(f"{CASES}/{number}").text


def test_an_administrator_registers_a_program(gateway: Gateway) -> None:
    with gateway.console("ada") as ada, gateway.client("ada") as api:
        assert ada.get(f"{PROGRAMS}/new").status_code == 200
        made = ada.post(PROGRAMS, {
            "code": "CEU-VID", "name": "Child exploitation video task force",
            "kind": "task_force", "assessment_ref": "PIA-CEU-2026", "supervisor": "sam",
            "members": "alice, aaron",
        })  # fmt: skip
        assert made.status_code == 303, made.text
        shown = ada.get(made.headers["location"])
        assert "Waiting for IGP's approval" in _text(shown)
        program = api.get("/api/v1/admin/programs/CEU-VID").json()
        assert program["kind"] == "task_force"
        assert program["status"] == "pending_assessment"
        assert program["members"] == ["alice", "aaron"]
        assert "CEU-VID" in ada.get(PROGRAMS).text
        unnamed = ada.post(PROGRAMS, {"code": "CEU-VID2", "name": "", "assessment_ref": "x"})
        assert unnamed.status_code == 422
        assert _value(unnamed, "code") == "CEU-VID2"
        assert api.get("/api/v1/admin/programs/CEU-VID2").status_code == 404


# --- certifications ------------------------------------------------------------------------------


def test_an_import_with_a_good_and_a_bad_line_shows_both_and_imports_nothing(
    gateway: Gateway,
) -> None:
    with gateway.console("ada") as ada:
        before = _certifications(gateway, "aaron")
        start = gateway.runtime.ledger.size()
        data = _csv(_row(gateway, "aaron", 5), _row(gateway, "erin", 5, course="X-1"))
        answer = _upload(ada, data)
        assert answer.status_code == 422, answer.text
        text = _text(answer)
        assert "Refused: nothing in this file was imported." in text
        assert "2 aaron,ICE-FRS-101" in text
        assert "Good, but not imported: the file was refused whole" in text
        assert "3 erin,X-1" in text
        assert "course_id: 'X-1' is not an IGP-approved course id" in text
        assert "Memo 4.A.3" in text
        assert "certification.import_well_formed" in answer.text
        assert _certifications(gateway, "aaron") == before
        assert "certification:record:create" not in _events(gateway, start)

        good = _upload(ada, _csv(_row(gateway, "aaron", 5)))
        assert good.status_code == 200, good.text
        assert "2 aaron, ICE-FRS-101" in _text(good)
        assert "Imported current until" in _text(good)
        assert _certifications(gateway, "aaron") == before + 1
        again = _upload(ada, _csv(_row(gateway, "aaron", 5)))
        assert "Already on file (unchanged)" in _text(again)
        assert _certifications(gateway, "aaron") == before + 1

        listed = ada.get(CERTIFICATIONS, params={"username": "aaron"})
        assert listed.status_code == 200
        assert "Certifications on file for aaron" in _text(listed)
        nothing = ada.post(CERTIFICATIONS, files={"file": ("", b"", "text/csv")})
        assert nothing.status_code == 422
        assert "choose the training system's CSV export" in _text(nothing)


def test_nobody_imports_their_own_certification_from_the_console(gateway: Gateway) -> None:
    with gateway.console("ada") as ada:
        refused = _upload(ada, _csv(_row(gateway, "ada")))
        assert refused.status_code == 403, refused.text
        assert "Memo 4.A.3" in _text(refused)
        assert _certifications(gateway, "ada") == 0


# --- providers -----------------------------------------------------------------------------------


def test_an_administrator_registers_a_provider_and_its_terms(gateway: Gateway) -> None:
    key = "vendor-key-0123456789"
    form = {
        "name": "acme-frs", "base_url": gateway.sandbox_url, "api_key": key, "tls_verify": "yes",
        "match_types": ["one_to_many", "one_to_one"], "candidate_cap": "25",
        "law_enforcement_use": "yes", "terms_ref": "Contract ACME-2026-7",
    }  # fmt: skip
    with gateway.console("ada") as ada, gateway.client("ada") as api:
        assert ada.get(f"{PROVIDERS}/new").status_code == 200
        unstated = ada.post(PROVIDERS, {**form, "law_enforcement_use": ""})
        assert unstated.status_code == 422, unstated.text
        assert "terms.law_enforcement_use: answer whether" in _text(unstated)
        assert key not in unstated.text  # the key is never sent back
        assert _value(unstated, "base_url") == gateway.sandbox_url
        assert ">Contract ACME-2026-7</textarea>" in unstated.text
        assert api.get("/api/v1/admin/providers/acme-frs").status_code == 404

        made = ada.post(PROVIDERS, form)
        assert made.status_code == 303, made.text
        shown = ada.get(made.headers["location"])
        assert "Unreviewed" in _text(shown)
        assert key not in shown.text
        record = api.get("/api/v1/admin/providers/acme-frs").json()
        assert record["review_status"] == "unreviewed"
        assert record["terms"]["match_types"] == ["one_to_many", "one_to_one"]
        assert record["terms"]["candidate_cap"] == 25
        assert record["api_key_fingerprint"] in shown.text
        assert "acme-frs" in ada.get(PROVIDERS).text

        taken = ada.post(PROVIDERS, form)
        assert taken.status_code == 409
        assert "provider 'acme-frs' already exists" in _text(taken)
        checked = ada.post(f"{PROVIDERS}/acme-frs/check")
        assert checked.status_code == 200, checked.text
        assert "Check:" in _text(checked)
