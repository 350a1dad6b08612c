"""Bearer tokens: the local issuer, and OIDC tokens checked against a real JWKS endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from frsgate.config import Environment, load_settings
from frsgate.connectors.serve import serve_in_thread
from frsgate.keyfiles import load_or_create_ed25519_key
from frsgate.services.tokens import AuthenticationFailed, TokenVerifier, issue_local_token


@pytest.fixture
def local_settings(tmp_path: Path) -> Any:
    settings = load_settings(home=tmp_path)
    load_or_create_ed25519_key(settings.token_key_path)
    return settings


def test_local_token_round_trip(local_settings: Any) -> None:
    token = issue_local_token(local_settings, "user_1")
    identity = TokenVerifier(local_settings).verify(token)
    assert identity.user_id == "user_1"
    assert identity.issuer == "frsgate-local"


def test_expired_and_tampered_tokens_are_refused(local_settings: Any) -> None:
    verifier = TokenVerifier(local_settings)
    expired = issue_local_token(local_settings, "user_1", ttl_seconds=-120)
    with pytest.raises(AuthenticationFailed, match="expired"):
        verifier.verify(expired)
    good = issue_local_token(local_settings, "user_1")
    head, _body, sig = good.split(".")
    forged = jwt.utils.base64url_encode(
        json.dumps(
            {**jwt.decode(good, options={"verify_signature": False}), "sub": "admin"}
        ).encode()
    ).decode()
    with pytest.raises(AuthenticationFailed, match="rejected"):
        verifier.verify(f"{head}.{forged}.{sig}")
    with pytest.raises(AuthenticationFailed):
        verifier.verify("not-a-jwt")


def test_token_from_another_local_key_is_refused(local_settings: Any, tmp_path: Path) -> None:
    other = load_settings(home=tmp_path / "other")
    load_or_create_ed25519_key(other.token_key_path)
    with pytest.raises(AuthenticationFailed):
        TokenVerifier(local_settings).verify(issue_local_token(other, "user_1"))


def test_local_issuer_is_disabled_in_production(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, environment=Environment.production)
    with pytest.raises(AuthenticationFailed, match="production"):
        issue_local_token(settings, "user_1")


@pytest.fixture
def oidc_issuer() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "k1", "use": "sig", "alg": "RS256"})
    app = FastAPI()

    @app.get("/.well-known/jwks.json")
    def jwks() -> dict[str, Any]:
        return {"keys": [jwk]}

    with serve_in_thread(app) as url:
        yield url, key


def _oidc_token(issuer: str, key: rsa.RSAPrivateKey, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": issuer, "sub": "user_9", "aud": "frsgate", "iat": now, "exp": now + 300}
    body.update(claims)
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


def test_oidc_token_verified_against_the_issuer_jwks(
    tmp_path: Path, oidc_issuer: tuple[str, rsa.RSAPrivateKey]
) -> None:
    url, key = oidc_issuer
    settings = load_settings(home=tmp_path, oidc_issuer=url)
    verifier = TokenVerifier(settings)
    assert verifier.verify(_oidc_token(url, key)).user_id == "user_9"
    with pytest.raises(AuthenticationFailed):
        verifier.verify(_oidc_token("https://elsewhere.example", key))
    with pytest.raises(AuthenticationFailed):
        verifier.verify(_oidc_token(url, key, aud="another-service"))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthenticationFailed):
        verifier.verify(_oidc_token(url, stranger))
