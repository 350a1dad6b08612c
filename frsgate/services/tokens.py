"""Bearer tokens: a local Ed25519 issuer for the embedded default, OIDC/JWKS for deployments.

The token only says *who* the caller is; what the caller may do comes from the store and the
policy pack, never from claims the token carries. A local token's subject is the FRS Gate user
id. An OIDC token names the user by the claim FRSGATE_OIDC_USER_CLAIM names: "sub" (the
default) by the identity provider's (issuer, subject), matched to the user's stored OIDC
identity; "email" by the user's e-mail address (refused when the token says the address is not
verified); any other claim (such as "preferred_username") by the username. The verifier says
which claim and value name the user (`Identity`); `Gate.caller_for` finds the user in the store.

Every token must say when it was issued (`iat`) and when it expires (`exp`); one whose lifetime
exceeds FRSGATE_TOKEN_MAX_LIFETIME_SECONDS, or that claims to be issued in the future, is
refused. Refusals say which rule failed and never quote the token.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
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


class Match(StrEnum):
    """How a token's claim is matched to a stored user."""

    user_id = "user_id"  # the local issuer: `sub` is the user id
    oidc_subject = "oidc_subject"  # (iss, sub) = the user's (oidc_issuer, oidc_subject)
    email = "email"  # the `email` claim = the user's e-mail address
    username = "username"  # any other claim (e.g. preferred_username) = the username


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: the claim that names the user and its value, how it is matched to a
    stored user, the issuer, and the token's id for the audit trail."""

    claim: str
    value: str
    match: Match
    issuer: str
    token_id: str


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
        self._user_claim = settings.oidc_user_claim if settings.oidc_issuer else "sub"
        self._match = _match_for(self._user_claim) if settings.oidc_issuer else Match.user_id
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
        claim = self._user_claim
        value = claims.get(claim)
        if not isinstance(value, str) or not value:
            raise AuthenticationFailed(f"bearer token names no user (claim {claim!r})")
        if self._match is Match.email and claims.get("email_verified") is False:
            # An address the identity provider has not verified could be anyone's.
            raise AuthenticationFailed(
                "bearer token rejected: its 'email' claim is not verified ('email_verified')"
            )
        return Identity(
            claim=claim, value=value, match=self._match, issuer=self._issuer,
            token_id=str(claims.get("jti", "")),
        )  # fmt: skip

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


def _match_for(claim: str) -> Match:
    if claim == "sub":
        return Match.oidc_subject
    if claim == "email":
        return Match.email
    return Match.username


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int subclass; `"iat": true` is malformed, not the epoch plus one second.
    return isinstance(value, int | float) and not isinstance(value, bool)
