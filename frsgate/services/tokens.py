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

An OIDC issuer's keys are found as OpenID Connect Discovery 1.0 says (`OidcKeys`): its
`/.well-known/openid-configuration` document, whose `issuer` must equal FRSGATE_OIDC_ISSUER
exactly, names the JWKS (`jwks_uri`); FRSGATE_OIDC_JWKS_URL, when set, names it instead. The
keys are fetched on the first token, not at start-up, so the service starts while the identity
provider is briefly down; until it answers, a token gets a 503 (`IdentityProviderUnavailable`),
never a 500 and never a refusal blaming the caller.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard

import httpx
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
DISCOVERY_PATH = "/.well-known/openid-configuration"
# A token naming a key we do not hold may follow a key rotation, so the keys are fetched again;
# but at most this often, so tokens with made-up key ids cannot make us hammer the provider.
KEY_REFRESH_INTERVAL_SECONDS = 60.0
# Keys held this long are fetched again on the next token, so a key the provider withdrew
# stops being trusted; if that fetch fails the keys held are kept (tokens are checked offline
# precisely so that sign-in survives an identity provider's outage).
KEYS_MAX_AGE_SECONDS = 300.0
# Until the first keys arrive, a failed fetch is answered at once for this long, rather than
# every request waiting out the timeout against a provider that is down.
RETRY_AFTER_FAILURE_SECONDS = 5.0
# What the provider says is quoted in messages up to this length (it is not ours to trust).
QUOTED_MAX = 200

log = logging.getLogger(__name__)


class AuthenticationFailed(FrsGateError):
    """The bearer token is missing, malformed, expired or not from a trusted issuer."""


class IdentityProviderUnavailable(FrsGateError):
    """The identity provider cannot be reached, or what it publishes cannot be used: no token
    can be checked until it can. The caller is not at fault (an HTTP 503)."""


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
        self._oidc_keys: OidcKeys | None = None
        if settings.oidc_issuer:
            # Nothing is fetched here: the service starts while the provider is down.
            self._oidc_keys = OidcKeys(
                settings.oidc_issuer,
                jwks_url=settings.oidc_jwks_url or None,
                timeout_seconds=settings.oidc_timeout_seconds,
            )
        else:
            self._local_key = load_or_create_ed25519_key(settings.token_key_path, create=False)

    def verify(self, token: str) -> Identity:
        """Return the caller's identity or raise AuthenticationFailed saying why."""
        return self.verify_claims(token)[0]

    def verify_claims(
        self, token: str, *, audience: str | None = None
    ) -> tuple[Identity, dict[str, Any]]:
        """The caller's identity and the token's verified claims. `audience` replaces the
        configured audience: an OIDC ID token's audience is the client it was issued to (the
        web console's sign-in checks its nonce among the claims)."""
        try:
            if self._oidc_keys is not None:
                kid = jwt.get_unverified_header(token).get("kid")
                signing_key: Any = self._oidc_keys.key_for(kid if isinstance(kid, str) else None)
                algorithms = OIDC_ALGORITHMS
            else:
                assert self._local_key is not None
                signing_key = self._local_key.public_key()
                algorithms = ["EdDSA"]
            claims = jwt.decode(
                token,
                signing_key,
                algorithms=algorithms,
                audience=audience or self._audience,
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
        identity = Identity(
            claim=claim, value=value, match=self._match, issuer=self._issuer,
            token_id=str(claims.get("jti", "")),
        )  # fmt: skip
        return identity, claims

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


class OidcKeys:
    """The identity provider's signing keys, found by OpenID Connect Discovery 1.0.

    Fetched on the first token and held; fetched again when a token names a key id we do not
    hold (a key rotation), no more often than every KEY_REFRESH_INTERVAL_SECONDS, and when the
    keys held are older than KEYS_MAX_AGE_SECONDS. Every fetch reads the discovery document
    again (unless FRSGATE_OIDC_JWKS_URL names the keys), so its issuer is checked each time.
    One instance serves every request thread of the process.
    """

    def __init__(
        self,
        issuer: str,
        *,
        jwks_url: str | None,
        timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer
        self._configured_jwks_url = jwks_url
        self._timeout = timeout_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[jwt.PyJWK] | None = None
        self._fetched_at = -math.inf
        self._attempted_at = -math.inf
        self._failure: IdentityProviderUnavailable | None = None

    @property
    def discovery_url(self) -> str:
        # Discovery 1.0 section 4: the issuer with any trailing "/" removed, then the path.
        return self._issuer.rstrip("/") + DISCOVERY_PATH

    def key_for(self, kid: str | None) -> Any:
        """The public key a token whose header names `kid` must be signed with.

        Raises AuthenticationFailed when the provider publishes no such key, and
        IdentityProviderUnavailable when its keys cannot be had (the caller is not at fault).
        """
        with self._lock:
            now = self._clock()
            if self._keys is None:
                self._fetch(now)
            elif now - self._attempted_at >= KEY_REFRESH_INTERVAL_SECONDS and (
                _find(self._keys, kid) is None or now - self._fetched_at >= KEYS_MAX_AGE_SECONDS
            ):
                try:
                    self._fetch(now)
                except IdentityProviderUnavailable as exc:
                    # The keys held still verify the tokens they signed; a key id they lack
                    # may be a rotation we cannot see, which is the provider's fault below.
                    log.warning("keeping the identity provider's keys held: %s", exc)
            assert self._keys is not None
            key = _find(self._keys, kid)
            failure = self._failure
        if key is not None:
            return key.key
        if failure is not None:
            raise failure
        if kid is None:
            raise AuthenticationFailed(
                "bearer token rejected: its header names no signing key ('kid') and the "
                "identity provider publishes several"
            )
        raise AuthenticationFailed(
            "bearer token rejected: it names a signing key ('kid') the identity provider "
            "does not publish"
        )

    def _fetch(self, now: float) -> None:
        """Read the discovery document and the keys it names, or raise (and remember) why not."""
        if (
            self._keys is None
            and self._failure is not None
            and now - self._attempted_at < RETRY_AFTER_FAILURE_SECONDS
        ):
            raise self._failure
        self._attempted_at = now
        try:
            jwks_url = self._configured_jwks_url or self._discover()
            keys = self._read_keys(jwks_url)
        except IdentityProviderUnavailable as exc:
            self._failure = exc
            log.error("%s", exc)
            raise
        self._keys, self._fetched_at, self._failure = keys, now, None

    def _discover(self) -> str:
        url = self.discovery_url
        document = self._get_json(url, "its discovery document")
        found = document.get("issuer")
        if found != self._issuer:
            # Discovery 1.0 section 4.3: the issuer returned MUST be identical to the one the
            # document was fetched for, or the keys it names may be another issuer's.
            raise IdentityProviderUnavailable(
                f"the identity provider's discovery document at {url} names the issuer "
                f"{_quoted(found)}, not FRSGATE_OIDC_ISSUER {self._issuer!r}; the two must be "
                "identical (OpenID Connect Discovery 1.0, section 4.3): correct the setting"
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise IdentityProviderUnavailable(
                f"the identity provider's discovery document at {url} names no usable "
                f"'jwks_uri' (found {_quoted(jwks_uri)}); set FRSGATE_OIDC_JWKS_URL"
            )
        return jwks_uri

    def _read_keys(self, url: str) -> list[jwt.PyJWK]:
        document = self._get_json(url, "its keys (JWKS)")
        entries = document.get("keys")
        usable = [
            entry
            for entry in (entries if isinstance(entries, list) else [])
            # A key published for encryption never signs a token.
            if isinstance(entry, dict) and entry.get("use", "sig") == "sig"
        ]
        try:
            return list(jwt.PyJWKSet(usable).keys)
        except jwt.PyJWTError as exc:
            raise IdentityProviderUnavailable(
                f"the identity provider's keys at {url} cannot be used: {exc}"
            ) from None

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self._timeout, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise IdentityProviderUnavailable(
                f"the identity provider {self._issuer} cannot be reached ({what} at {url}: "
                f"{reason}); no bearer token can be verified until it answers"
            ) from None
        if response.status_code != 200:
            raise IdentityProviderUnavailable(
                f"the identity provider {self._issuer} answered HTTP {response.status_code} "
                f"for {what} at {url}; no bearer token can be verified until it serves them"
            )
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise IdentityProviderUnavailable(
                f"the identity provider's answer for {what} at {url} is not a JSON object"
            )
        return document


def _find(keys: list[jwt.PyJWK], kid: str | None) -> jwt.PyJWK | None:
    if kid is None:
        # A token without a key id can only mean the provider's one key.
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.key_id == kid), None)


def _quoted(value: object) -> str:
    text = repr(value)
    return text if len(text) <= QUOTED_MAX else text[:QUOTED_MAX] + "..."


def _match_for(claim: str) -> Match:
    if claim == "sub":
        return Match.oidc_subject
    if claim == "email":
        return Match.email
    return Match.username


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int subclass; `"iat": true` is malformed, not the epoch plus one second.
    return isinstance(value, int | float) and not isinstance(value, bool)
