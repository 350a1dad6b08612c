"""Bearer tokens: a local Ed25519 issuer for the embedded default, OIDC/JWKS for deployments.

The token only says *who* the caller is (its subject is the FRS Gate user id); what the caller
may do comes from the store and the policy pack, never from claims the token carries.

Every token must say when it was issued (`iat`) and when it expires (`exp`); one whose lifetime
exceeds FRSGATE_TOKEN_MAX_LIFETIME_SECONDS, or that claims to be issued in the future, is
refused. Refusals say which rule failed and never quote the token.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, TypeGuard

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from frsgate.config import Settings
from frsgate.errors import FrsGateError, ValidationFailed
from frsgate.keyfiles import load_or_create_ed25519_key

LOCAL_ISSUER = "frsgate-local"
OIDC_ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]
# Clock skew tolerated between the issuer and us, for `exp` and `nbf`.
EXPIRY_LEEWAY_SECONDS = 30
# How far in the future `iat` may be before the token is refused (issuer clock skew).
IAT_LEEWAY_SECONDS = 60


class AuthenticationFailed(FrsGateError):
    """The bearer token is missing, malformed, expired or not from a trusted issuer."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: the user id the token names, and the token's id for the audit trail."""

    user_id: str
    token_id: str
    issuer: str


def issue_local_token(settings: Settings, user_id: str, *, ttl_seconds: int | None = None) -> str:
    """Sign a short-lived token for `user_id` with the local issuer key (development only)."""
    if not settings.is_development:
        raise AuthenticationFailed(
            "the local token issuer is disabled in production; use the OIDC issuer "
            "(FRSGATE_OIDC_ISSUER)"
        )
    maximum = settings.token_max_lifetime_seconds
    if ttl_seconds is None:
        # The configured default is capped rather than refused, so lowering the maximum alone
        # is enough to shorten every local token.
        ttl = min(settings.local_token_ttl_seconds, maximum)
    elif ttl_seconds > maximum:
        raise ValidationFailed(
            f"token lifetime {ttl_seconds} s exceeds the maximum of {maximum} s "
            "(FRSGATE_TOKEN_MAX_LIFETIME_SECONDS); verifiers would refuse it"
        )
    else:
        ttl = ttl_seconds
    key = load_or_create_ed25519_key(settings.token_key_path, create=False)
    now = int(time.time())
    claims = {
        "iss": LOCAL_ISSUER,
        "sub": user_id,
        "aud": settings.oidc_audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm="EdDSA")


class TokenVerifier:
    """Verifies bearer tokens against the configured issuer; built once per process."""

    def __init__(self, settings: Settings) -> None:
        self._audience = settings.oidc_audience
        self._issuer = settings.oidc_issuer or LOCAL_ISSUER
        self._user_claim = "sub"
        self._max_lifetime = settings.token_max_lifetime_seconds
        self._local_key: Ed25519PrivateKey | None = None
        self._jwks: jwt.PyJWKClient | None = None
        if settings.oidc_issuer:
            jwks_url = settings.oidc_jwks_url or (
                settings.oidc_issuer.rstrip("/") + "/.well-known/jwks.json"
            )
            self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300)
        else:
            self._local_key = load_or_create_ed25519_key(settings.token_key_path, create=False)

    def verify(self, token: str) -> Identity:
        """Return the caller's identity or raise AuthenticationFailed saying why."""
        try:
            if self._jwks is not None:
                signing_key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = OIDC_ALGORITHMS
            else:
                assert self._local_key is not None
                signing_key = self._local_key.public_key()
                algorithms = ["EdDSA"]
            claims = jwt.decode(
                token,
                signing_key,
                algorithms=algorithms,
                audience=self._audience,
                issuer=self._issuer,
                # `iat` is checked below, with its own leeway and message.
                options={"require": ["exp", "iat", "sub", "aud", "iss"], "verify_iat": False},
                leeway=EXPIRY_LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("bearer token has expired; obtain a new one") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthenticationFailed(
                f"bearer token rejected: it lacks the required claim {exc.claim!r}"
            ) from None
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed(f"bearer token rejected: {exc}") from None
        self._check_lifetime(claims)
        subject = claims.get(self._user_claim)
        if not isinstance(subject, str) or not subject:
            raise AuthenticationFailed("bearer token names no user (claim 'sub')")
        return Identity(user_id=subject, token_id=str(claims.get("jti", "")), issuer=self._issuer)

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        """Refuse a token issued in the future or living longer than the configured maximum.

        A long-lived token outlives the revocation of the user it names, whatever its issuer
        intended, so the limit is ours, not the issuer's. The messages give the rule and the
        configured limit, never the token's own values.
        """
        issued, expires = claims.get("iat"), claims.get("exp")
        if not (_is_number(issued) and _is_number(expires)):
            raise AuthenticationFailed("bearer token rejected: 'iat' and 'exp' must be numbers")
        if issued > time.time() + IAT_LEEWAY_SECONDS:
            raise AuthenticationFailed(
                "bearer token rejected: it is issued in the future ('iat' is more than "
                f"{IAT_LEEWAY_SECONDS} s ahead of this server's clock)"
            )
        if expires - issued > self._max_lifetime:
            raise AuthenticationFailed(
                "bearer token rejected: its lifetime ('exp' - 'iat') exceeds the maximum of "
                f"{self._max_lifetime} s (FRSGATE_TOKEN_MAX_LIFETIME_SECONDS)"
            )


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int subclass; `"iat": true` is malformed, not the epoch plus one second.
    return isinstance(value, int | float) and not isinstance(value, bool)
