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
from frsgate.errors import ValidationFailed
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
    assert identity.value == "user_1"
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
    where: dict[str, str] = {}

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {"issuer": where["url"], "jwks_uri": where["url"] + "/keys"}

    @app.get("/keys")
    def jwks() -> dict[str, Any]:
        return {"keys": [jwk]}

    with serve_in_thread(app) as url:
        where["url"] = url
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
    assert verifier.verify(_oidc_token(url, key)).value == "user_9"
    with pytest.raises(AuthenticationFailed):
        verifier.verify(_oidc_token("https://elsewhere.example", key))
    with pytest.raises(AuthenticationFailed):
        verifier.verify(_oidc_token(url, key, aud="another-service"))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthenticationFailed):
        verifier.verify(_oidc_token(url, stranger))


def _local_token(settings: Any, **claims: Any) -> str:
    """A token signed by the local issuer key with exactly `claims` over the usual ones."""
    now = int(time.time())
    body = {"iss": "frsgate-local", "sub": "user_1", "aud": "frsgate", "iat": now, "exp": now + 60}
    body.update(claims)
    body = {name: value for name, value in body.items() if value is not None}
    key = load_or_create_ed25519_key(settings.token_key_path, create=False)
    return jwt.encode(body, key, algorithm="EdDSA")


def _refused(verifier: TokenVerifier, token: str, match: str) -> None:
    with pytest.raises(AuthenticationFailed, match=match) as caught:
        verifier.verify(token)
    message = str(caught.value)
    assert token not in message
    assert "user_1" not in message
    assert "user_9" not in message


def test_token_without_iat_is_refused(local_settings: Any) -> None:
    _refused(TokenVerifier(local_settings), _local_token(local_settings, iat=None), "'iat'")


def test_token_with_non_numeric_times_is_refused(local_settings: Any) -> None:
    _refused(TokenVerifier(local_settings), _local_token(local_settings, iat="soon"), "numbers")


def test_token_living_longer_than_the_maximum_is_refused(local_settings: Any) -> None:
    now = int(time.time())
    verifier = TokenVerifier(local_settings)
    at_limit = _local_token(local_settings, iat=now, exp=now + 3600)
    assert verifier.verify(at_limit).value == "user_1"
    too_long = _local_token(local_settings, iat=now, exp=now + 3601)
    _refused(verifier, too_long, "lifetime .* exceeds the maximum of 3600 s")


def test_token_issued_in_the_future_is_refused(local_settings: Any) -> None:
    now = int(time.time())
    verifier = TokenVerifier(local_settings)
    skewed = _local_token(local_settings, iat=now + 30, exp=now + 90)  # within the leeway
    assert verifier.verify(skewed).value == "user_1"
    future = _local_token(local_settings, iat=now + 300, exp=now + 600)
    _refused(verifier, future, "issued in the future")


def test_lower_maximum_applies_to_verification(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, token_max_lifetime_seconds=600)
    load_or_create_ed25519_key(settings.token_key_path)
    now = int(time.time())
    _refused(
        TokenVerifier(settings),
        _local_token(settings, iat=now, exp=now + 900),
        "maximum of 600 s",
    )


def test_local_issuer_stays_within_the_maximum(tmp_path: Path) -> None:
    settings = load_settings(
        home=tmp_path, local_token_ttl_seconds=7200, token_max_lifetime_seconds=900
    )
    load_or_create_ed25519_key(settings.token_key_path)
    token = issue_local_token(settings, "user_1")  # the longer configured default is capped
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 900
    assert TokenVerifier(settings).verify(token).value == "user_1"
    with pytest.raises(ValidationFailed, match="exceeds the maximum of 900 s"):
        issue_local_token(settings, "user_1", ttl_seconds=901)
    shorter = issue_local_token(settings, "user_1", ttl_seconds=120)
    claims = jwt.decode(shorter, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_oidc_token_lifetime_rules(
    tmp_path: Path, oidc_issuer: tuple[str, rsa.RSAPrivateKey]
) -> None:
    url, key = oidc_issuer
    verifier = TokenVerifier(load_settings(home=tmp_path, oidc_issuer=url))
    now = int(time.time())
    assert verifier.verify(_oidc_token(url, key, iat=now, exp=now + 3600)).value == "user_9"
    _refused(verifier, _oidc_token(url, key, iat=now, exp=now + 86400), "lifetime")
    _refused(verifier, _oidc_token(url, key, iat=now + 600, exp=now + 900), "future")
    no_iat = jwt.encode(
        {"iss": url, "sub": "user_9", "aud": "frsgate", "exp": now + 300},
        key,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    _refused(verifier, no_iat, "'iat'")
