"""Signing in with an OIDC identity provider shaped like Keycloak: the test is the provider (an
RSA key, its JWKS and discovery document served on a local port, RS256 tokens with Keycloak's
claims) and drives the real app under each FRSGATE_OIDC_USER_CLAIM mapping.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from harness import Gateway, running_gateway

from frsgate.connectors.serve import serve_in_thread
from frsgate.policy.facts import Action
from frsgate.services import accounts
from frsgate.services.administration import operator

REALM = "/realms/frs"
CERTS = f"{REALM}/protocol/openid-connect/certs"


@dataclass
class Provider:
    issuer: str
    key: rsa.RSAPrivateKey

    def token(self, *, sub: str, username: str, email: str, **over: Any) -> str:
        """A Keycloak-style access token (RS256, `kid` header)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "exp": now + 300, "iat": now, "auth_time": now, "jti": str(uuid.uuid4()),
            "iss": self.issuer, "aud": ["frsgate", "account"], "sub": sub, "typ": "Bearer",
            "azp": "frsgate", "session_state": str(uuid.uuid4()), "acr": "1",
            "realm_access": {"roles": ["default-roles-frs", "offline_access"]},
            "scope": "openid profile email", "email_verified": True,
            "name": username.title(), "preferred_username": username, "email": email,
        }  # fmt: skip
        key = over.pop("signed_by", None) or self.key
        claims.update(over)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "frs-rs256"})


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "frs-rs256", "use": "sig", "alg": "RS256"})
    app = FastAPI()
    where: dict[str, str] = {}

    @app.get(f"{REALM}/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        issuer = where["url"] + REALM
        return {"issuer": issuer, "jwks_uri": where["url"] + CERTS,
                "id_token_signing_alg_values_supported": ["RS256"]}  # fmt: skip

    @app.get(CERTS)
    def certs() -> dict[str, Any]:
        return {"keys": [jwk]}

    with serve_in_thread(app) as url:
        where["url"] = url.rstrip("/")
        yield Provider(issuer=where["url"] + REALM, key=key)


@pytest.fixture
def make_gateway(
    tmp_path: Path, database_url: str, sandbox_url: str, provider: Provider
) -> Iterator[Any]:
    opened: list[Any] = []

    def start(claim: str) -> Gateway:
        context = running_gateway(
            tmp_path / "home", database_url, sandbox_url, oidc_issuer=provider.issuer,
            oidc_jwks_url=provider.issuer.replace(REALM, "") + CERTS, oidc_user_claim=claim,
        )  # fmt: skip
        opened.append(context)
        return context.__enter__()

    yield start
    for context in reversed(opened):
        context.__exit__(None, None, None)


def _get(gateway: Gateway, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    # 30 s like every other client of the suite (httpx's own 5 s is short on a busy machine).
    with httpx.Client(base_url=gateway.url, headers=headers, timeout=30) as c:
        return c.get("/api/v1/submissions")


def _last_actor(gateway: Gateway) -> str:
    ledger = gateway.runtime.ledger
    actor: str = json.loads(ledger.entries(ledger.size() - 1, ledger.size())[0])["actor"]["id"]
    return actor


def _administer(gateway: Gateway, username: str, **fields: Any) -> None:
    """ada records alice's e-mail or OIDC identity, as an administrator would."""
    caller = operator(gateway.runtime.gate, "ada", Action.user_manage)
    accounts.update_account(
        gateway.runtime.gate, caller, username, accounts.AccountUpdate(**fields)
    )


def _refused(response: httpx.Response, *words: str, token: str, value: str) -> str:
    assert response.status_code == 401, response.text
    message: str = response.json()["message"]
    for word in words:
        assert word.lower() in message.lower(), message
    assert token not in message
    assert value not in message
    return message


@pytest.mark.parametrize("claim", ["sub", "email", "preferred_username"])
def test_each_mapping_signs_in_the_right_user(
    make_gateway: Any, provider: Provider, claim: str
) -> None:
    gateway: Gateway = make_gateway(claim)
    subject = str(uuid.uuid4())
    _administer(gateway, "alice", email="alice@hsi.example",
                oidc_issuer=provider.issuer, oidc_subject=subject)  # fmt: skip
    good = provider.token(sub=subject, username="alice", email="alice@hsi.example")
    response = _get(gateway, good)
    assert response.status_code == 200, response.text
    assert _last_actor(gateway) == gateway.users["alice"]  # the ledger names who read

    # Unknown to the store under this mapping: 401 naming the claim, never the token.
    unknown = str(uuid.uuid4())
    stranger = provider.token(sub=unknown, username="mallory",
                              email="mallory@hsi.example")  # fmt: skip
    value = {"sub": unknown, "email": "mallory@hsi.example",
             "preferred_username": "mallory"}[claim]  # fmt: skip
    _refused(_get(gateway, stranger), repr(claim), token=stranger, value=value)

    # Only the mapped claim names the user: alice's `sub` beside sam's username and an
    # address no account holds.
    mixed = provider.token(sub=subject, username="sam", email="nobody@hsi.example")
    if claim == "email":
        _refused(_get(gateway, mixed), "'email'", token=mixed, value="nobody@hsi.example")
    else:
        assert _get(gateway, mixed).status_code == 200
        expected = "alice" if claim == "sub" else "sam"
        assert _last_actor(gateway) == gateway.users[expected]

    # Wrong audience, wrong issuer, a key the provider does not publish, a local token.
    wrong_aud = provider.token(sub=subject, username="alice", email="alice@hsi.example",
                               aud="another-client", azp="another-client")  # fmt: skip
    _refused(_get(gateway, wrong_aud), "audience", token=wrong_aud, value=subject)
    wrong_iss = provider.token(sub=subject, username="alice", email="alice@hsi.example",
                               iss="http://127.0.0.1:1/realms/other")  # fmt: skip
    _refused(_get(gateway, wrong_iss), "issuer", token=wrong_iss, value=subject)
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = provider.token(sub=subject, username="alice", email="alice@hsi.example",
                            signed_by=stranger_key)  # fmt: skip
    _refused(_get(gateway, forged), "rejected", token=forged, value=subject)

    # A disabled account's valid token is refused.
    caller = operator(gateway.runtime.gate, "ada", Action.user_manage)
    accounts.disable_account(gateway.runtime.gate, caller, "alice", reason="test")
    _refused(_get(gateway, good), "disabled", token=good, value=subject)


def test_an_unverified_email_signs_in_nobody(make_gateway: Any, provider: Provider) -> None:
    gateway: Gateway = make_gateway("email")
    _administer(gateway, "alice", email="alice@hsi.example")
    token = provider.token(sub=str(uuid.uuid4()), username="alice", email="alice@hsi.example",
                           email_verified=False)  # fmt: skip
    _refused(_get(gateway, token), "email_verified", token=token, value="alice@hsi.example")


def test_sub_matches_only_the_issuer_recorded(make_gateway: Any, provider: Provider) -> None:
    gateway: Gateway = make_gateway("sub")
    subject = str(uuid.uuid4())
    # alice's subject is recorded for another identity provider: same `sub`, not her.
    _administer(gateway, "alice", oidc_issuer="https://other-idp.example/realms/frs",
                oidc_subject=subject)  # fmt: skip
    token = provider.token(sub=subject, username="alice", email="alice@hsi.example")
    _refused(_get(gateway, token), "'sub'", token=token, value=subject)
