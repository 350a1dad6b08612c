"""User administration over HTTP (`/api/v1/admin/users`) and the command line (`frsgate users`),
the first administrator (`frsgate init --admin`) and `frsgate token issue`, on the real app.

Every act is decided as `user.manage` and recorded: a change as one ledger entry holding the
account before and after, a refusal as a cited 403 whose decision is on the ledger.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Gateway, gateway_settings
from typer.testing import CliRunner

from frsgate.api.app import create_app
from frsgate.cli.main import app as cli
from frsgate.connectors.serve import serve_in_thread
from frsgate.services.runtime import Runtime
from frsgate.services.tokens import issue_local_token
from frsgate.store.unit import read_only

ROLES = ["agent", "supervisor", "examiner", "osdm", "igp", "opr", "admin"]


def _entries(gateway: Gateway, since: int) -> list[dict[str, Any]]:
    ledger = gateway.runtime.ledger
    return [json.loads(e) for e in ledger.entries(since, ledger.size())]


def _only(entries: list[dict[str, Any]], event: str) -> dict[str, Any]:
    [found] = [e for e in entries if e["event"] == event]
    return found


def _cited(response: httpx.Response, rule: str) -> set[str]:
    assert response.status_code == 403, response.text
    rules = {c["rule"] for c in response.json()["decision"]["citations"]}
    assert rule in rules, rules
    return rules


def _refused_on_ledger(gateway: Gateway, since: int, response: httpx.Response) -> None:
    """The refusal's decision is the only entry since `since`, citing what the caller saw."""
    entries = _entries(gateway, since)
    [decision] = entries
    assert decision["event"] == "policy:decision:evaluate"
    assert decision["outcome"] == "denied"
    assert decision["details"]["action"] == "user.manage"
    assert decision["citations"] == response.json()["decision"]["citations"]


def test_an_account_over_http_from_creation_to_disabling(gateway: Gateway) -> None:
    users = "/api/v1/admin/users"
    with gateway.client("ada") as ada:
        before = gateway.runtime.ledger.size()
        made = ada.post(users, json={
            "username": "ivy.agent", "display_name": "Ivy Agent", "roles": ["agent"],
            "office": "Newark", "email": "Ivy@Example.gov", "supervisor": "sam",
        })  # fmt: skip
        assert made.status_code == 201, made.text
        ivy = made.json()
        assert ivy["username"] == "ivy.agent"
        assert ivy["email"] == "ivy@example.gov"  # stored lower-case
        assert ivy["supervisor"] == "sam"
        assert ivy["supervisor_id"] == gateway.users["sam"]
        assert ivy["roles"] == ["agent"]
        assert ivy["status"] == "active"
        entries = _entries(gateway, before)
        assert entries[0]["event"] == "policy:decision:evaluate"
        assert entries[0]["outcome"] == "allowed"
        created = _only(entries, "user:account:create")
        assert created["actor"]["id"] == gateway.users["ada"]
        assert created["subject"] == f"user:{ivy['id']}"
        assert created["details"]["before"] is None
        assert created["details"]["after"]["office"] == "Newark"
        grant = _only(entries, "user:role:grant")
        assert grant["details"]["before"]["roles"] == []
        assert grant["details"]["after"]["roles"] == ["agent"]

        listed = ada.get(users)
        assert listed.status_code == 200, listed.text
        assert "ivy.agent" in {u["username"] for u in listed.json()["users"]}
        before = gateway.runtime.ledger.size()
        shown = ada.get(f"{users}/ivy.agent")
        assert shown.json() == ivy
        assert _only(_entries(gateway, before), "user:records:view")["subject"] == (
            f"user:{ivy['id']}"
        )

        before = gateway.runtime.ledger.size()
        patched = ada.patch(f"{users}/ivy.agent", json={
            "office": "Boston", "email": None, "oidc_issuer": "https://idp.example/realms/frs",
            "oidc_subject": "5f1c", "display_name": "Ivy A. Agent",
        })  # fmt: skip
        assert patched.status_code == 200, patched.text
        assert patched.json()["office"] == "Boston"
        assert patched.json()["email"] is None
        assert patched.json()["supervisor"] == "sam"  # left out: kept
        update = _only(_entries(gateway, before), "user:account:update")
        assert update["details"]["before"]["office"] == "Newark"
        assert update["details"]["after"]["office"] == "Boston"
        assert update["details"]["before"]["email"] == "ivy@example.gov"
        assert update["details"]["after"]["email"] is None
        assert set(update["details"]["changed"]) == {
            "office", "email", "oidc_issuer", "oidc_subject", "display_name"}  # fmt: skip

        before = gateway.runtime.ledger.size()
        granted = ada.post(f"{users}/ivy.agent/roles", json={"role": "examiner"})
        assert granted.status_code == 200, granted.text
        assert granted.json()["roles"] == ["agent", "examiner"]
        grant = _only(_entries(gateway, before), "user:role:grant")
        assert grant["details"]["before"]["roles"] == ["agent"]
        assert grant["details"]["after"]["roles"] == ["agent", "examiner"]

        before = gateway.runtime.ledger.size()
        revoked = ada.delete(f"{users}/ivy.agent/roles/agent")
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["roles"] == ["examiner"]
        revoke = _only(_entries(gateway, before), "user:role:revoke")
        assert revoke["details"]["after"]["roles"] == ["examiner"]

    gateway.users["ivy.agent"] = ivy["id"]
    with gateway.client("ivy.agent") as ivy_client:
        assert ivy_client.get("/api/v1/approvals").status_code == 403  # signed in, refused
        with gateway.client("ada") as ada:
            before = gateway.runtime.ledger.size()
            disabled = ada.post(f"{users}/ivy.agent/disable", json={"reason": "left the unit"})
            assert disabled.status_code == 200, disabled.text
            assert disabled.json()["status"] == "disabled"
            off = _only(_entries(gateway, before), "user:account:deactivate")
            assert off["details"]["before"]["status"] == "active"
            assert off["details"]["after"]["status"] == "disabled"
            assert off["details"]["reason"] == "left the unit"
            # The same token, still unexpired, is refused now.
            refused = ivy_client.get("/api/v1/approvals")
            assert refused.status_code == 401, refused.text
            assert "disabled" in refused.json()["message"]
            again = ada.post(f"{users}/ivy.agent/disable", json={"reason": "twice"})
            assert again.status_code == 409, again.text
            before = gateway.runtime.ledger.size()
            enabled = ada.post(f"{users}/ivy.agent/enable")
            assert enabled.status_code == 200, enabled.text
            on = _only(_entries(gateway, before), "user:account:activate")
            assert on["details"]["after"]["status"] == "active"
        assert ivy_client.get("/api/v1/approvals").status_code == 403  # signed in again


def test_refusals_are_cited_and_on_the_ledger(gateway: Gateway) -> None:
    users = "/api/v1/admin/users"
    ledger = gateway.runtime.ledger
    with gateway.client("ada") as ada:
        # memo 4.E.4: nobody administers their own standing; reading one's account is fine.
        before = ledger.size()
        own = ada.post(f"{users}/ada/roles", json={"role": "igp"})
        _cited(own, "users.not_self")
        _refused_on_ledger(gateway, before, own)
        for call in (
            lambda: ada.patch(f"{users}/ada", json={"office": "HQ"}),
            lambda: ada.post(f"{users}/ada/disable", json={"reason": "r"}),
            lambda: ada.delete(f"{users}/ada/roles/admin"),
        ):
            _cited(call(), "users.not_self")
        assert ada.get(f"{users}/ada").status_code == 200
        # memo 4.E.5: the auditor's and the administrator's roles never share an account.
        before = ledger.size()
        both = ada.post(f"{users}/otto/roles", json={"role": "admin"})
        _cited(both, "users.opr_not_admin")
        _refused_on_ledger(gateway, before, both)
        before = ledger.size()
        born = ada.post(users, json={"username": "dual", "display_name": "Dual",
                                     "roles": ["opr", "admin"]})  # fmt: skip
        _cited(born, "users.opr_not_admin")
        _refused_on_ledger(gateway, before, born)
        assert ada.get(f"{users}/dual").status_code == 404  # nothing was created
        assert ada.get(f"{users}/otto").json()["roles"] == ["opr"]
    with gateway.client("alice") as alice:
        before = ledger.size()
        listed = alice.get(users)
        _cited(listed, "users.admin_only")
        _refused_on_ledger(gateway, before, listed)
        _cited(alice.post(f"{users}/alice/roles", json={"role": "admin"}), "users.admin_only")
    with gateway.client("otto") as otto:
        before = ledger.size()
        created = otto.post(users, json={"username": "ghost", "display_name": "G"})
        rules = _cited(created, "opr.read_only")
        assert "users.admin_only" in rules
        _refused_on_ledger(gateway, before, created)
        # The auditor finds the refusal through the ledger route too.
        page = otto.get("/api/v1/ledger/entries", params={"start": before, "end": before + 1})
        assert page.status_code == 200, page.text
        [entry] = [json.loads(e["entry"]) for e in page.json()["entries"]]
        assert entry["actor"]["id"] == gateway.users["otto"]
        assert entry["outcome"] == "denied"
        assert "opr.read_only" in {c["rule"] for c in entry["citations"]}


def test_bad_input_and_conflicts_are_named(gateway: Gateway) -> None:
    users = "/api/v1/admin/users"
    with gateway.client("ada") as ada:
        unknown_role = ada.post(users, json={"username": "w", "display_name": "W",
                                             "roles": ["wizard"]})  # fmt: skip
        assert unknown_role.status_code == 422, unknown_role.text
        assert "wizard" in unknown_role.json()["message"]
        assert all(r in unknown_role.json()["message"] for r in ROLES)
        grant = ada.post(f"{users}/alice/roles", json={"role": "wizard"})
        assert grant.status_code == 422
        assert "valid roles" in grant.json()["message"]
        for name in ("Upper", "has space", "x" * 65, "", "émile"):
            bad = ada.post(users, json={"username": name, "display_name": "N"})
            assert bad.status_code == 422, (name, bad.text)
            assert "username" in bad.json()["message"]
        bad_email = ada.post(users, json={"username": "n", "display_name": "N",
                                          "email": "not-an-address"})  # fmt: skip
        assert bad_email.status_code == 422
        assert "email" in bad_email.json()["message"]
        half = ada.post(users, json={"username": "n", "display_name": "N",
                                     "oidc_subject": "abc"})  # fmt: skip
        assert half.status_code == 422
        assert "oidc_issuer" in half.json()["message"]
        extra = ada.post(users, json={"username": "n", "display_name": "N", "admin": True})
        assert extra.status_code == 422

        taken = ada.post(users, json={"username": "alice", "display_name": "Another Alice"})
        assert taken.status_code == 409
        assert "'alice'" in taken.json()["message"]
        first = ada.post(users, json={
            "username": "nora", "display_name": "Nora", "email": "nora@example.gov",
            "oidc_issuer": "https://idp.example/realms/frs", "oidc_subject": "s-1",
        })  # fmt: skip
        assert first.status_code == 201, first.text
        same_mail = ada.post(users, json={"username": "nora2", "display_name": "N",
                                          "email": "NORA@example.gov"})  # fmt: skip
        assert same_mail.status_code == 409
        assert "nora@example.gov" in same_mail.json()["message"]
        same_oidc = ada.patch(f"{users}/alice", json={
            "oidc_issuer": "https://idp.example/realms/frs", "oidc_subject": "s-1"})  # fmt: skip
        assert same_oidc.status_code == 409
        assert "OIDC identity" in same_oidc.json()["message"]
        assert "'nora'" in same_oidc.json()["message"]

        missing = ada.get(f"{users}/nobody")
        assert missing.status_code == 404
        assert "'nobody'" in missing.json()["message"]
        assert ada.post(f"{users}/nobody/roles", json={"role": "agent"}).status_code == 404
        no_boss = ada.post(users, json={"username": "n3", "display_name": "N",
                                        "supervisor": "nobody"})  # fmt: skip
        assert no_boss.status_code == 404
        assert "supervisor" in no_boss.json()["message"]
        self_boss = ada.patch(f"{users}/alice", json={"supervisor": "alice"})
        assert self_boss.status_code == 422
        assert "supervisor" in self_boss.json()["message"]
        held = ada.post(f"{users}/alice/roles", json={"role": "agent"})
        assert held.status_code == 409
        assert "already holds" in held.json()["message"]
        not_held = ada.delete(f"{users}/alice/roles/igp")
        assert not_held.status_code == 409
        assert "does not hold" in not_held.json()["message"]
        no_name = ada.patch(f"{users}/alice", json={"display_name": None})
        assert no_name.status_code == 422
        assert "display_name" in no_name.json()["message"]
        assert ada.post(f"{users}/alice/enable").status_code == 409  # already active
    with read_only(gateway.runtime.engine) as uow:
        names = {u.username for u in uow.users.list_all()}
    assert not names & {"w", "n", "nora2", "n3", "Upper"}


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_env(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    """The command line configured for the gateway's installation."""
    monkeypatch.setenv("FRSGATE_HOME", str(gateway.settings.home))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", gateway.settings.effective_database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.setenv("FRSGATE_CHECKPOINT_INTERVAL_SECONDS", "0")
    monkeypatch.delenv("FRSGATE_OPERATOR", raising=False)
    return gateway


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _fails_in_one_line(args: tuple[str, ...], *words: str) -> str:
    code, out, err = _run(*args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_the_users_commands(cli_env: Gateway) -> None:
    gateway = cli_env
    before = gateway.runtime.ledger.size()
    code, out, err = _run("users", "add", "kim", "--display-name", "Kim Examiner", "--role",
                          "examiner", "--role", "agent", "--office", "Houston", "--supervisor",
                          "sam", "--as", "ada")  # fmt: skip
    assert code == 0, err
    assert out.count("\n") == 1
    assert out.startswith("created kim")
    created = _only(_entries(gateway, before), "user:account:create")
    assert created["source"] == "cli"
    assert created["actor"]["id"] == gateway.users["ada"]
    assert created["details"]["after"]["roles"] == ["agent", "examiner"]

    code, out, _ = _run("users", "list", "--as", "ada")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == len(gateway.users) + 1
    assert any(line.startswith("kim ") and "office=Houston" in line for line in lines)
    code, out, _ = _run("users", "list", "--json", "--as", "ada")
    assert "kim" in {u["username"] for u in json.loads(out)["users"]}
    code, out, _ = _run("users", "show", "kim", "--json", "--as", "ada")
    kim = json.loads(out)
    assert kim["supervisor"] == "sam"
    assert kim["roles"] == ["agent", "examiner"]
    code, out, _ = _run("users", "show", "kim", "--as", "ada")
    assert out.count("\n") == 1
    assert "supervisor=sam" in out

    before = gateway.runtime.ledger.size()
    code, out, err = _run("users", "update", "kim", "--office", "", "--email", "kim@example.gov",
                          "--as", "ada")  # fmt: skip
    assert code == 0, err
    update = _only(_entries(gateway, before), "user:account:update")
    assert update["details"]["before"]["office"] == "Houston"
    assert update["details"]["after"]["office"] is None  # an empty value clears
    assert update["details"]["after"]["email"] == "kim@example.gov"

    assert _run("users", "grant", "kim", "supervisor", "--as", "ada")[0] == 0
    assert _run("users", "revoke", "kim", "agent", "--as", "ada")[0] == 0
    code, out, _ = _run("users", "show", "kim", "--json", "--as", "ada")
    assert json.loads(out)["roles"] == ["examiner", "supervisor"]
    assert _run("users", "disable", "kim", "--reason", "moved", "--as", "ada")[0] == 0
    assert json.loads(_run("users", "show", "kim", "--json", "--as", "ada")[1])["status"] == (
        "disabled"
    )
    assert _run("users", "enable", "kim", "--as", "ada")[0] == 0

    # Errors: one line each, exit 2; a refusal cites the rule and is on the ledger.
    _fails_in_one_line(("users", "grant", "kim", "wizard", "--as", "ada"), "valid roles")
    before = gateway.runtime.ledger.size()
    _fails_in_one_line(("users", "grant", "ada", "igp", "--as", "ada"), "another administrator")
    [decision] = _entries(gateway, before)
    assert decision["outcome"] == "denied"
    assert decision["source"] == "cli"
    assert "users.not_self" in {c["rule"] for c in decision["citations"]}
    _fails_in_one_line(("users", "list", "--as", "alice"), "Only an administrator")
    _fails_in_one_line(("users", "list", "--as", "nobody"), "nobody")
    _fails_in_one_line(("users", "show", "ghost", "--as", "ada"), "'ghost'")
    _fails_in_one_line(("users", "add", "kim", "--display-name", "K", "--as", "ada"), "'kim'")


def test_token_issue_takes_a_username_and_a_bounded_ttl(cli_env: Gateway) -> None:
    code, out, err = _run("token", "issue", "alice", "--ttl", "120")
    assert code == 0, err
    token = out.strip()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=cli_env.url, headers=headers, timeout=30) as c:
        assert c.get("/api/v1/submissions").status_code == 200
    _fails_in_one_line(("token", "issue", "alice", "--ttl", "5"), "--ttl", "60")
    _fails_in_one_line(("token", "issue", "alice", "--ttl", "999999"),
                       "FRSGATE_TOKEN_MAX_LIFETIME_SECONDS")  # fmt: skip
    _fails_in_one_line(("token", "issue", "nobody"), "nobody")


# --- the first administrator --------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path: Path, database_url: str, sandbox_url: str,
          monkeypatch: pytest.MonkeyPatch) -> Path:  # fmt: skip
    """A new installation's environment (nothing initialized yet)."""
    settings = gateway_settings(tmp_path / "fresh", database_url, sandbox_url)
    monkeypatch.setenv("FRSGATE_HOME", str(settings.home))
    monkeypatch.setenv("FRSGATE_DATABASE_URL", database_url)
    monkeypatch.setenv("FRSGATE_SANDBOX_FRS", "false")
    monkeypatch.setenv("FRSGATE_CHECKPOINT_INTERVAL_SECONDS", "0")
    return settings.home


def test_the_first_administrator_activates_a_new_installation(fresh: Path) -> None:
    code, out, err = _run("init", "--admin", "root", "--display-name", "Root Administrator")
    assert code == 0, err
    assert "administrator: root" in out
    _fails_in_one_line(("init", "--admin", "second"),
                       "an administrator already exists; use `frsgate users grant`")  # fmt: skip
    _fails_in_one_line(("init", "--display-name", "X"), "--admin")
    from frsgate.config import load_settings

    settings = load_settings()
    with Runtime.open(settings, periodic_checkpoints=False) as runtime:
        ledger = runtime.ledger
        entries = [json.loads(e) for e in ledger.entries(0, ledger.size())]
        with read_only(runtime.engine) as uow:
            everyone = uow.users.list_all()
        assert [(u.username, sorted(u.roles)) for u in everyone] == [("root", ["admin"])]
        root = everyone[0]
        assert root.display_name == "Root Administrator"
        made = [e for e in entries if e["subject"] == f"user:{root.id}"]
        assert [e["event"] for e in made] == ["user:account:create", "user:role:grant"]
        assert all(e["actor"] == {"id": "system", "role": "system"} for e in made)
        assert made[1]["details"]["after"]["roles"] == ["admin"]
        assert not runtime.gate.active

        # The administrator creates the privacy office's approvers, asks for the pack's
        # activation, and one of them approves it (memo fn2).
        with serve_in_thread(create_app(runtime)) as url:

            def client(user_id: str) -> httpx.Client:
                token = issue_local_token(settings, user_id)
                headers = {"Authorization": f"Bearer {token}"}
                return httpx.Client(base_url=url, headers=headers, timeout=30)

            with client(root.id) as admin:
                ids = {}
                for name in ("ivan", "iris"):
                    made_igp = admin.post(
                        "/api/v1/admin/users",
                        json={"username": name, "display_name": name.title(), "roles": ["igp"]},
                    )
                    assert made_igp.status_code == 201, made_igp.text
                    ids[name] = made_igp.json()["id"]
                # Only account administration is decided before activation.
                before = admin.get("/api/v1/admin/cases")
                assert before.status_code == 403
                assert "pack.not_activated" in {
                    c["rule"] for c in before.json()["decision"]["citations"]
                }
                asked = admin.post("/api/v1/policy/activations", json={"reason": "go live"})
                assert asked.status_code == 201, asked.text
                approval = asked.json()["approval"]["id"]
            with client(ids["iris"]) as iris:
                decided = iris.post(f"/api/v1/approvals/{approval}/decision",
                                    json={"approve": True, "note": "pack reviewed"})  # fmt: skip
                assert decided.status_code == 200, decided.text
            assert runtime.gate.active
            with client(root.id) as admin:
                assert admin.get("/api/v1/admin/cases").status_code == 200
