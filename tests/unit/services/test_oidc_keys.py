"""The identity provider's keys held by `OidcKeys`, on a clock the test moves: when they are
fetched again (a key id miss, at most every KEY_REFRESH_INTERVAL_SECONDS; keys older than
KEYS_MAX_AGE_SECONDS), what is kept when the provider is down, and a token without a key id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Response

from frsgate.connectors.serve import serve_in_thread
from frsgate.services.tokens import (
    KEY_REFRESH_INTERVAL_SECONDS,
    KEYS_MAX_AGE_SECONDS,
    RETRY_AFTER_FAILURE_SECONDS,
    AuthenticationFailed,
    IdentityProviderUnavailable,
    OidcKeys,
)


def _jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@dataclass
class Idp:
    url: str = ""
    published: list[dict[str, Any]] = field(default_factory=lambda: [_jwk("k1")])
    down: bool = False
    fetches: int = 0


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def idp() -> Iterator[Idp]:
    state = Idp()
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery(response: Response) -> dict[str, Any]:
        if state.down:
            response.status_code = 502
            return {}
        return {"issuer": state.url, "jwks_uri": state.url + "/certs"}

    @app.get("/certs")
    def certs(response: Response) -> dict[str, Any]:
        state.fetches += 1
        if state.down:
            response.status_code = 502
            return {}
        return {"keys": state.published}

    with serve_in_thread(app) as url:
        state.url = url
        yield state


def _keys(idp: Idp, clock: Clock) -> OidcKeys:
    return OidcKeys(idp.url, jwks_url=None, timeout_seconds=2.0, clock=clock)


def test_a_key_id_miss_fetches_again_at_most_every_interval(idp: Idp) -> None:
    clock = Clock()
    keys = _keys(idp, clock)
    assert keys.key_for("k1") is not None
    assert idp.fetches == 1
    idp.published = [_jwk("k2")]
    clock.now += KEY_REFRESH_INTERVAL_SECONDS - 1
    with pytest.raises(AuthenticationFailed, match="does not publish"):
        keys.key_for("k2")
    assert idp.fetches == 1  # too soon after the last fetch
    clock.now += 1
    assert keys.key_for("k2") is not None
    assert idp.fetches == 2
    clock.now += 1
    with pytest.raises(AuthenticationFailed, match="does not publish"):
        keys.key_for("k1")  # withdrawn, and not chased
    assert idp.fetches == 2


def test_old_keys_are_fetched_again_and_kept_when_the_provider_is_down(idp: Idp) -> None:
    clock = Clock()
    keys = _keys(idp, clock)
    held = keys.key_for("k1")
    clock.now += KEYS_MAX_AGE_SECONDS
    idp.down = True
    assert keys.key_for("k1") is held  # the provider is down: the keys held still serve
    assert idp.fetches == 1  # discovery failed, so the keys were not asked for
    # A key id the held keys lack may be a rotation we cannot see: the provider's fault.
    with pytest.raises(IdentityProviderUnavailable, match="HTTP 502"):
        keys.key_for("k2")
    idp.down = False
    idp.published = [_jwk("k3")]
    clock.now += KEY_REFRESH_INTERVAL_SECONDS
    with pytest.raises(AuthenticationFailed, match="does not publish"):
        keys.key_for("k1")  # fetched again: k1 is withdrawn
    assert idp.fetches == 2


def test_until_the_first_keys_a_failure_is_remembered_briefly(idp: Idp) -> None:
    clock = Clock()
    idp.down = True
    keys = _keys(idp, clock)
    with pytest.raises(IdentityProviderUnavailable, match="HTTP 502"):
        keys.key_for("k1")
    idp.down = False
    clock.now += RETRY_AFTER_FAILURE_SECONDS - 0.5
    with pytest.raises(IdentityProviderUnavailable):
        keys.key_for("k1")  # answered from the failure, without asking
    assert idp.fetches == 0
    clock.now += 0.5
    assert keys.key_for("k1") is not None
    assert idp.fetches == 1


def test_a_token_without_a_key_id_needs_a_single_key(idp: Idp) -> None:
    clock = Clock()
    keys = _keys(idp, clock)
    assert keys.key_for(None) is not None
    idp.published = [_jwk("k1"), _jwk("k2")]
    clock.now += KEYS_MAX_AGE_SECONDS
    with pytest.raises(AuthenticationFailed, match="names no signing key"):
        keys.key_for(None)


def test_a_provider_publishing_no_signing_keys_is_unusable(idp: Idp) -> None:
    keys = OidcKeys(idp.url, jwks_url=None, timeout_seconds=2.0)
    idp.published = []
    with pytest.raises(IdentityProviderUnavailable, match="cannot be used"):
        keys.key_for("k1")
    assert keys.discovery_url == idp.url.rstrip("/") + "/.well-known/openid-configuration"
