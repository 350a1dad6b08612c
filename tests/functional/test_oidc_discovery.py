"""Finding the identity provider's keys by OpenID Connect Discovery 1.0: the test is a
Keycloak-shaped provider (its discovery document at `ISSUER/.well-known/openid-configuration`
naming its keys at `.../protocol/openid-connect/certs`, never at `/.well-known/jwks.json`) whose
answers the test changes, and drives the real app with FRSGATE_OIDC_JWKS_URL unset.

Covered: discovery finds the keys and they are held, not fetched per token; a discovery
document naming another issuer is refused with both issuers named; a provider that cannot be
reached, or is briefly down, answers 503 (never 500, never quoting the token) while the
service keeps answering /healthz, and sign-in works once it is back; a rotated key is picked
up, while tokens naming unknown keys cannot make the gateway fetch more often than the
refresh interval.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Response
from harness import Gateway, running_gateway

from frsgate.connectors.serve import serve_in_thread
from frsgate.services import tokens

REALM = "/realms/frs"
CERTS = f"{REALM}/protocol/openid-connect/certs"
DISCOVERY = f"{REALM}/.well-known/openid-configuration"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return jwk


@dataclass
class Provider:
    """The identity provider; the test changes what it publishes and counts what it serves."""

    base: str = ""
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    issuer_named: str | None = None  # what the discovery document claims (None: the truth)
    down: bool = False  # answer 503 to everything
    served: dict[str, int] = field(default_factory=lambda: {"discovery": 0, "certs": 0})

    @property
    def issuer(self) -> str:
        return self.base + REALM

    def token(self, kid: str, *, issuer: str | None = None, key: Any = None) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer or self.issuer, "aud": ["frsgate", "account"], "sub": "ignored",
            "preferred_username": "alice", "iat": now, "exp": now + 300,
            "jti": str(uuid.uuid4()), "typ": "Bearer",
        }  # fmt: skip
        signer = key or self.keys[kid]
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def provider() -> Iterator[Provider]:
    state = Provider(keys={"k1": _new_key()})
    app = FastAPI()

    @app.get(DISCOVERY)
    def discovery(response: Response) -> dict[str, Any]:
        state.served["discovery"] += 1
        if state.down:
            response.status_code = 503
            return {}
        return {
            "issuer": state.issuer if state.issuer_named is None else state.issuer_named,
            "jwks_uri": state.base + CERTS,
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    @app.get(CERTS)
    def certs(response: Response) -> dict[str, Any]:
        state.served["certs"] += 1
        if state.down:
            response.status_code = 503
            return {}
        # Keycloak publishes an encryption key beside the signing keys.
        encryption = {**_jwk(_new_key(), "enc-1"), "use": "enc", "alg": "RSA-OAEP"}
        return {"keys": [_jwk(k, kid) for kid, k in state.keys.items()] + [encryption]}

    with serve_in_thread(app) as url:
        state.base = url.rstrip("/")
        yield state


@pytest.fixture
def gateway_for(tmp_path: Path, database_url: str, sandbox_url: str) -> Iterator[Any]:
    """Start a gateway whose OIDC issuer is `issuer` (keys by discovery: no JWKS URL)."""
    opened: list[Any] = []

    def start(issuer: str) -> Gateway:
        context = running_gateway(
            tmp_path / f"home{len(opened)}", database_url, sandbox_url, oidc_issuer=issuer,
            oidc_user_claim="preferred_username", oidc_timeout_seconds=2.0,
        )  # fmt: skip
        opened.append(context)
        return context.__enter__()

    yield start
    for context in reversed(opened):
        context.__exit__(None, None, None)


def _get(gateway: Gateway, token: str) -> httpx.Response:
    with httpx.Client(base_url=gateway.url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:  # fmt: skip
        return client.get("/api/v1/submissions")


def _healthz(gateway: Gateway) -> int:
    with gateway.anonymous() as client:
        return client.get("/healthz").status_code


def _unavailable(response: httpx.Response, token: str, *words: str) -> str:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "IdentityProviderUnavailable"
    message: str = body["message"]
    for word in words:
        assert word in message, message
    assert token not in message
    return message


def test_discovery_finds_the_keys_and_holds_them(gateway_for: Any, provider: Provider) -> None:
    gateway: Gateway = gateway_for(provider.issuer)
    assert gateway.settings.oidc_jwks_url is None
    assert provider.served == {"discovery": 0, "certs": 0}  # nothing fetched at start-up
    first = _get(gateway, provider.token("k1"))
    assert first.status_code == 200, first.text
    assert provider.served == {"discovery": 1, "certs": 1}
    for _ in range(3):
        assert _get(gateway, provider.token("k1")).status_code == 200
    assert provider.served == {"discovery": 1, "certs": 1}  # held, not fetched per token

    # A key the provider does not publish, under a known key id: refused, not fetched again.
    forged = provider.token("k1", key=_new_key())
    assert _get(gateway, forged).status_code == 401
    # A token naming the encryption key: that key never signs, so it is not held.
    enc = provider.token("enc-1", key=_new_key())
    response = _get(gateway, enc)
    assert response.status_code == 401, response.text
    assert "does not publish" in response.json()["message"]


def test_a_discovery_document_naming_another_issuer_is_refused(
    gateway_for: Any, provider: Provider
) -> None:
    # The commonest real mismatch: the provider's issuer ends in "/", the setting does not.
    provider.issuer_named = provider.issuer + "/"
    gateway: Gateway = gateway_for(provider.issuer)
    token = provider.token("k1")
    message = _unavailable(_get(gateway, token), token, repr(provider.issuer + "/"),
                           repr(provider.issuer), "FRSGATE_OIDC_ISSUER")  # fmt: skip
    assert "identical" in message
    assert provider.served["certs"] == 0  # the other issuer's keys are never read
    assert _healthz(gateway) == 200


def test_an_unreachable_identity_provider_answers_503_and_the_service_stays_up(
    gateway_for: Any, provider: Provider
) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    issuer = f"http://127.0.0.1:{port}{REALM}"
    gateway: Gateway = gateway_for(issuer)  # starts although the provider cannot be reached
    assert _healthz(gateway) == 200
    token = provider.token("k1", issuer=issuer)
    for _ in range(2):  # the second answered from the remembered failure, still a 503
        _unavailable(_get(gateway, token), token, "cannot be reached", issuer)
    assert _healthz(gateway) == 200


def test_a_provider_briefly_down_is_used_once_it_is_back(
    gateway_for: Any, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "RETRY_AFTER_FAILURE_SECONDS", 0.0)
    provider.down = True
    gateway: Gateway = gateway_for(provider.issuer)
    token = provider.token("k1")
    _unavailable(_get(gateway, token), token, "HTTP 503", provider.issuer)
    assert _healthz(gateway) == 200
    provider.down = False
    response = _get(gateway, token)
    assert response.status_code == 200, response.text


def test_a_rotated_key_is_picked_up_but_unknown_keys_are_not_chased(
    gateway_for: Any, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway: Gateway = gateway_for(provider.issuer)
    assert _get(gateway, provider.token("k1")).status_code == 200
    assert provider.served["certs"] == 1

    # The provider rotates to k2 and stops publishing k1.
    provider.keys = {"k2": _new_key()}
    rotated = provider.token("k2")
    # Within the refresh interval of the last fetch the keys are not fetched again.
    refused = _get(gateway, rotated)
    assert refused.status_code == 401, refused.text
    assert provider.served["certs"] == 1

    interval = 1.0
    monkeypatch.setattr(tokens, "KEY_REFRESH_INTERVAL_SECONDS", interval)
    time.sleep(interval + 0.1)
    picked = _get(gateway, rotated)
    assert picked.status_code == 200, picked.text
    assert provider.served["certs"] == 2

    # Tokens naming made-up key ids, right after: refused without another fetch.
    for kid in ("made-up-1", "made-up-2"):
        assert _get(gateway, provider.token(kid, key=_new_key())).status_code == 401
    assert provider.served["certs"] == 2
    # k1 is withdrawn: its tokens are refused now that the keys were fetched again.
    old = provider.token("k1", key=_new_key())
    assert _get(gateway, old).status_code == 401


def test_a_configured_jwks_url_wins_over_discovery(
    tmp_path: Path, database_url: str, sandbox_url: str, provider: Provider
) -> None:
    provider.issuer_named = "https://not-this-one.example/realms/frs"  # would be refused
    with running_gateway(
        tmp_path / "home", database_url, sandbox_url, oidc_issuer=provider.issuer,
        oidc_jwks_url=provider.base + CERTS, oidc_user_claim="preferred_username",
    ) as gateway:  # fmt: skip
        response = _get(gateway, provider.token("k1"))
        assert response.status_code == 200, response.text
    assert provider.served == {"discovery": 0, "certs": 1}
