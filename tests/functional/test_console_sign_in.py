"""The console's sign-in, sessions and request protections, over HTTP on the backend under test.

The identity provider of the OIDC tests is the test itself: a discovery document, a JWKS, an
authorization endpoint that hands out a code bound to the PKCE challenge, nonce and redirect
URI it was given, and a token endpoint that redeems a code only with the matching verifier
(RFC 7636 §4.6) and returns an RS256 ID token. The browser is an httpx client that follows the
redirects itself, so each step can be tampered with.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from harness import Gateway, csrf_of, running_gateway
from sqlalchemy import select, update

from frsgate.connectors.serve import serve_in_thread
from frsgate.policy.facts import Action
from frsgate.services import accounts
from frsgate.services.administration import operator
from frsgate.services.oidc_signin import code_challenge
from frsgate.store.schema.sessions import web_sessions
from frsgate.store.unit import unit_of_work
from frsgate.web.context import SESSION_COOKIE
from frsgate.web.security import CONTENT_SECURITY_POLICY

CLIENT_ID = "frsgate-console"


def _signed_in(gateway: Gateway, username: str) -> httpx.Client:
    client = httpx.Client(base_url=gateway.url, timeout=30)
    page = client.get("/console/sign-in")
    answer = client.post("/console/sign-in", data={
        "username": username, "csrf": csrf_of(page.text), "next": "/console/"})  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client


def _rows(gateway: Gateway) -> list[Any]:
    with unit_of_work(gateway.runtime.engine) as uow:
        return list(uow.conn.execute(select(web_sessions)).all())


def test_demo_sign_in_opens_a_server_side_session(gateway: Gateway) -> None:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        page = client.get("/console/sign-in?next=/console/")
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-frame-options"] == "DENY"
        answer = client.post("/console/sign-in", data={
            "username": "alice", "csrf": csrf_of(page.text), "next": "/console/"})  # fmt: skip
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/"
        cookie = answer.headers["set-cookie"]
        assert f"{SESSION_COOKIE}=" in cookie
        for flag in ("HttpOnly", "Path=/console", "SameSite=lax"):
            assert flag.lower() in cookie.lower(), cookie
        token = client.cookies[SESSION_COOKIE]
        home = client.get("/console/")
        assert home.status_code == 200
        assert "Alice Agent" in home.text
    # The store keeps the token's SHA-256, never the token.
    rows = [r for r in _rows(gateway) if r.user_id == gateway.users["alice"]]
    assert [r.token_sha256 for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in json.dumps([dict(r._mapping) for r in rows], default=str)


def test_sign_in_refuses_a_form_without_its_token_and_unknown_users(gateway: Gateway) -> None:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        client.get("/console/sign-in")
        forged = client.post("/console/sign-in", data={"username": "alice", "csrf": "x" * 43})
        assert forged.status_code == 403
        assert "security token" in forged.text
        page = client.get("/console/sign-in")
        unknown = client.post("/console/sign-in", data={
            "username": "mallory", "csrf": csrf_of(page.text)})  # fmt: skip
        assert unknown.status_code == 401
        assert "No active user has that username" in unknown.text
        # A disabled account gets the same words: the page does not say which names exist.
        caller = operator(gateway.runtime.gate, "ada", Action.user_manage)
        accounts.disable_account(gateway.runtime.gate, caller, "aaron", reason="test")
        disabled = client.post("/console/sign-in", data={
            "username": "aaron", "csrf": csrf_of(unknown.text)})  # fmt: skip
        assert disabled.status_code == 401
        assert "No active user has that username" in disabled.text
    assert _rows(gateway) == []


def test_signing_in_replaces_a_planted_session_and_never_leaves_the_console(
    gateway: Gateway,
) -> None:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", path="/console")
        page = client.get("/console/sign-in")
        answer = client.post("/console/sign-in", data={
            "username": "alice", "csrf": csrf_of(page.text),
            "next": "//evil.example/console/"})  # fmt: skip
        assert answer.headers["location"] == "/console/"  # not another site
        issued = answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        assert issued
        assert issued != "planted-by-an-attacker"
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        client.cookies.set(SESSION_COOKIE, issued, path="/console")
        for target in ("https://evil.example/", "/api/v1/submissions", "/console\\@evil"):
            again = client.get("/console/sign-in", params={"next": target})
            assert again.headers["location"] == "/console/", target


def test_a_post_needs_the_sessions_token_and_this_origin(gateway: Gateway) -> None:
    client = _signed_in(gateway, "alice")
    with closing(client):
        home = client.get("/console/")
        token = csrf_of(home.text)
        # Without the token, or with another session's, sign-out does nothing.
        assert client.post("/console/sign-out", data={}).status_code == 403
        other = _signed_in(gateway, "sam")
        other_token = csrf_of(other.get("/console/").text)
        refused = client.post("/console/sign-out", data={"csrf": other_token})
        assert refused.status_code == 403
        # From another origin, even with the right token.
        hostile = client.post("/console/sign-out", data={"csrf": token},
                              headers={"Origin": "https://evil.example"})  # fmt: skip
        assert hostile.status_code == 403
        assert "another site" in hostile.text
        assert client.get("/console/").status_code == 200  # still signed in
        # The header form (HTMX) is accepted like the field.
        done = client.post("/console/sign-out", headers={"X-CSRF-Token": token})
        assert done.status_code == 303
        assert client.get("/console/").status_code == 303  # to the sign-in page
        other.close()


def test_sign_out_ends_the_session_on_the_server(gateway: Gateway) -> None:
    client = _signed_in(gateway, "alice")
    token = client.cookies[SESSION_COOKIE]
    token_csrf = csrf_of(client.get("/console/").text)
    assert client.post("/console/sign-out", data={"csrf": token_csrf}).status_code == 303
    client.close()
    # Replaying the old cookie gets nothing.
    with httpx.Client(base_url=gateway.url, timeout=30) as replay:
        replay.cookies.set(SESSION_COOKIE, token, path="/console")
        answer = replay.get("/console/")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/sign-in")
    assert [r for r in _rows(gateway) if r.user_id == gateway.users["alice"]] == []


@pytest.mark.parametrize("which", ["idle", "absolute"])
def test_sessions_end_after_the_idle_and_absolute_timeouts(gateway: Gateway, which: str) -> None:
    client = _signed_in(gateway, "alice")
    settings = gateway.settings
    now = datetime.now(UTC)
    if which == "idle":
        values = {"last_seen_at": now - timedelta(minutes=settings.web_idle_minutes, seconds=5)}
    else:
        # Active a moment ago, but signed in longer ago than the absolute limit.
        values = {"created_at": now - timedelta(hours=settings.web_absolute_hours, seconds=5),
                  "last_seen_at": now}  # fmt: skip
    with unit_of_work(gateway.runtime.engine) as uow:
        uow.conn.execute(update(web_sessions).values(**values))
    with closing(client):
        answer = client.get("/console/")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/sign-in?next=/console/")
    assert _rows(gateway) == []  # the ended session is deleted, not just ignored


def test_a_sign_in_sweeps_away_abandoned_sessions(gateway: Gateway) -> None:
    _signed_in(gateway, "alice").close()  # never signed out
    _signed_in(gateway, "sam").close()
    stale = datetime.now(UTC) - timedelta(minutes=gateway.settings.web_idle_minutes, seconds=5)
    with unit_of_work(gateway.runtime.engine) as uow:
        uow.conn.execute(
            update(web_sessions)
            .where(web_sessions.c.user_id == gateway.users["alice"])
            .values(last_seen_at=stale)
        )
    _signed_in(gateway, "erin").close()
    left = sorted(r.user_id for r in _rows(gateway))
    assert left == sorted([gateway.users["sam"], gateway.users["erin"]])


def test_a_user_disabled_while_signed_in_is_sent_out(gateway: Gateway) -> None:
    client = _signed_in(gateway, "alice")
    caller = operator(gateway.runtime.gate, "ada", Action.user_manage)
    accounts.disable_account(gateway.runtime.gate, caller, "alice", reason="left the agency")
    with closing(client):
        answer = client.get("/console/")
        assert answer.status_code == 303
        assert "disabled" in answer.headers["location"]


def test_console_errors_are_pages(gateway: Gateway) -> None:
    with closing(_signed_in(gateway, "alice")) as client:
        missing = client.get("/console/no-such-page")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert "There is no page at /console/no-such-page" in missing.text
        assert missing.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # The API keeps its JSON errors.
    with gateway.anonymous() as api:
        assert api.get("/api/v1/no-such").json()["error"] == "NotFound"
        root = api.get("/")
        assert root.status_code == 303
        assert root.headers["location"] == "/console/"


def test_pages_carry_no_inline_script_or_style(gateway: Gateway) -> None:
    with closing(_signed_in(gateway, "ada")) as client:
        for path in ("/console/", "/console/sign-in?reason=x"):
            text = client.get(path).text
            assert "<script>" not in text, path
            assert "style=" not in text, path
            assert '<script src="/console/static/htmx.min.js"' in text
        script = client.get("/console/static/htmx.min.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert client.get("/console/static/../app.py").status_code == 404


# --- OIDC: the authorization-code flow with PKCE -------------------------------------------


@dataclass
class Issued:
    challenge: str
    method: str
    nonce: str
    redirect_uri: str
    client_id: str


@dataclass
class Provider:
    issuer: str
    key: rsa.RSAPrivateKey
    codes: dict[str, Issued] = field(default_factory=dict)
    subject: str = ""
    nonce_override: str | None = None


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "console-rs256", "use": "sig", "alg": "RS256"})
    app = FastAPI()
    state: dict[str, Provider] = {}

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        issuer = state["p"].issuer
        return {"issuer": issuer, "jwks_uri": f"{issuer}/certs",
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token"}  # fmt: skip

    @app.get("/certs")
    def certs() -> dict[str, Any]:
        return {"keys": [jwk]}

    @app.get("/authorize")
    def authorize(request: Request) -> RedirectResponse:
        q = request.query_params
        assert q["response_type"] == "code"
        assert "openid" in q["scope"].split()
        code = secrets.token_urlsafe(16)
        state["p"].codes[code] = Issued(
            challenge=q["code_challenge"], method=q["code_challenge_method"], nonce=q["nonce"],
            redirect_uri=q["redirect_uri"], client_id=q["client_id"],
        )  # fmt: skip
        return RedirectResponse(f"{q['redirect_uri']}?code={code}&state={q['state']}", 302)

    @app.post("/token")
    def token(
        code: str = Form(), code_verifier: str = Form(), redirect_uri: str = Form(),
        grant_type: str = Form(), client_id: str = Form(),
    ) -> JSONResponse:  # fmt: skip
        p = state["p"]
        issued = p.codes.pop(code, None)  # a code is redeemed once
        if (issued is None or grant_type != "authorization_code"
                or redirect_uri != issued.redirect_uri or client_id != issued.client_id
                or issued.method != "S256"
                or code_challenge(code_verifier) != issued.challenge):  # fmt: skip
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": p.issuer, "sub": p.subject, "aud": issued.client_id, "iat": now,
                  "exp": now + 300, "nonce": p.nonce_override or issued.nonce,
                  "jti": str(uuid.uuid4())}  # fmt: skip
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "console-rs256"})
        return JSONResponse(
            {"id_token": id_token, "access_token": "opaque", "token_type": "Bearer"}
        )

    with serve_in_thread(app) as url:
        p = Provider(issuer=url.rstrip("/"), key=key)
        state["p"] = p
        yield p


@pytest.fixture
def oidc_gateway(
    tmp_path: Path, database_url: str, sandbox_url: str, provider: Provider
) -> Iterator[Gateway]:
    with running_gateway(
        tmp_path / "home", database_url, sandbox_url, oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
    ) as gateway:  # fmt: skip
        # The provider redirects to FRSGATE_PUBLIC_BASE_URL's callback; the test's browser
        # follows it to this server (`_callback_path`).
        subject = str(uuid.uuid4())
        caller = operator(gateway.runtime.gate, "ada", Action.user_manage)
        accounts.update_account(gateway.runtime.gate, caller, "alice", accounts.AccountUpdate(
            oidc_issuer=provider.issuer, oidc_subject=subject))  # fmt: skip
        provider.subject = subject
        provider.nonce_override = None
        yield gateway


def _begin(client: httpx.Client) -> httpx.Response:
    """The browser starts the flow and follows the provider's redirect back to us."""
    start = client.get("/console/sign-in/oidc", params={"next": "/console/"})
    assert start.status_code == 303, start.text
    location = start.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [CLIENT_ID]
    assert "code_verifier" not in location  # the verifier never leaves the server
    back = httpx.get(location, follow_redirects=False, timeout=30)
    assert back.status_code == 302
    return back


def _callback_path(back: httpx.Response) -> str:
    parts = urlsplit(back.headers["location"])
    assert parts.path == "/console/oidc/callback"
    return f"{parts.path}?{parts.query}"


def _sent_back(answer: httpx.Response, words: str) -> None:
    """A refused sign-in goes back to the sign-in page, which says why."""
    assert answer.status_code == 303
    location = unquote(answer.headers["location"])
    assert location.startswith("/console/sign-in?")
    assert words in location, location


def test_oidc_sign_in_with_pkce(oidc_gateway: Gateway, provider: Provider) -> None:
    with httpx.Client(base_url=oidc_gateway.url, timeout=30) as client:
        page = client.get("/console/sign-in")
        assert "Sign in with your agency account" in page.text
        assert 'name="username"' not in page.text  # no demo sign-in beside an issuer
        # Even a well-formed post of the demo form is refused beside an issuer.
        local = client.post("/console/sign-in", data={
            "username": "alice", "csrf": client.cookies["frsgate_sign_in"]})  # fmt: skip
        assert local.status_code == 403
        assert "agency account" in local.text
        back = _begin(client)
        answer = client.get(_callback_path(back))
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/"
        home = client.get("/console/")
        assert home.status_code == 200
        assert "Alice Agent" in home.text
        # The flow was used once: its callback replayed gets nothing.
        _sent_back(client.get(_callback_path(back)), "no sign-in is under way")


def test_oidc_callback_with_another_state_or_nonce_signs_in_nobody(
    oidc_gateway: Gateway, provider: Provider
) -> None:
    with httpx.Client(base_url=oidc_gateway.url, timeout=30) as client:
        back = _begin(client)
        path = _callback_path(back).replace("state=", "state=x")
        _sent_back(client.get(path), "state does not match")
        assert client.get("/console/").status_code == 303

        provider.nonce_override = "another-sign-in"
        back = _begin(client)
        _sent_back(client.get(_callback_path(back)), "nonce does not match")
        assert client.get("/console/").status_code == 303

    # A callback in a browser that never started a flow (login CSRF) signs in nobody.
    provider.nonce_override = None
    with httpx.Client(base_url=oidc_gateway.url, timeout=30) as attacker:
        back = _begin(attacker)
    with httpx.Client(base_url=oidc_gateway.url, timeout=30) as victim:
        _sent_back(victim.get(_callback_path(back)), "no sign-in is under way")
    assert [r for r in _rows(oidc_gateway) if r.user_id is not None] == []


def test_the_token_endpoint_refuses_a_code_without_its_verifier(provider: Provider) -> None:
    """The provider double checks PKCE, so the test above proves the verifier was sent."""
    with httpx.Client(timeout=30) as client:
        verifier = secrets.token_urlsafe(64)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        provider.codes["c1"] = Issued(challenge=challenge.rstrip(b"=").decode(), method="S256",
                                      nonce="n", redirect_uri="r", client_id=CLIENT_ID)  # fmt: skip
        wrong = client.post(f"{provider.issuer}/token", data={
            "code": "c1", "code_verifier": "y" * 50, "redirect_uri": "r",
            "grant_type": "authorization_code", "client_id": CLIENT_ID})  # fmt: skip
        assert wrong.status_code == 400
