"""The web console's sign-in with the OIDC issuer: the authorization-code flow with PKCE.

OpenID Connect Core 1.0 §3.1 with RFC 7636 (PKCE, method S256). `begin` makes the state (ties
the callback to the browser that started it), the nonce (ties the ID token to this sign-in,
Core §3.1.2.1) and the code verifier (proves at the token endpoint that whoever redeems the code
started the flow), and the URL to send the browser to. The three are kept server-side, in the
sign-in's session row, never in the URL or a cookie. `complete` checks the state, redeems the
code, verifies the ID token with the same verifier the API's bearer tokens use (issuer, key,
lifetime, and the audience being our client id), then checks the nonce; the user is found in
the store by the configured claim (`Gate.caller_for`). Nothing here imports a web framework.

The endpoints come from the issuer's discovery document (OpenID Connect Discovery 1.0), whose
`issuer` must equal FRSGATE_OIDC_ISSUER exactly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from frsgate.config import Settings
from frsgate.services.tokens import (
    DISCOVERY_PATH,
    AuthenticationFailed,
    Identity,
    IdentityProviderUnavailable,
    TokenVerifier,
)

SCOPE = "openid profile email"


def code_challenge(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))), without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class Flow:
    """A sign-in under way: what the callback must match, kept in the session row."""

    state: str
    nonce: str
    code_verifier: str
    next_path: str

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state, "nonce": self.nonce,
            "code_verifier": self.code_verifier, "next": self.next_path,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Flow:
        if not data or not all(
            isinstance(data.get(k), str) for k in ("state", "nonce", "code_verifier")
        ):
            raise AuthenticationFailed("no sign-in is under way in this browser; start again")
        next_path = data.get("next")
        return cls(
            state=data["state"], nonce=data["nonce"], code_verifier=data["code_verifier"],
            next_path=next_path if isinstance(next_path, str) else "/console/",
        )  # fmt: skip


class OidcSignIn:
    """The authorization-code flow against the configured issuer (one per process)."""

    def __init__(
        self,
        settings: Settings,
        verifier: TokenVerifier,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not settings.oidc_issuer:
            raise AuthenticationFailed("no OIDC issuer is configured (FRSGATE_OIDC_ISSUER)")
        self._issuer = settings.oidc_issuer
        self._client_id = settings.oidc_client_id or settings.oidc_audience
        self._secret = settings.oidc_client_secret
        self._redirect_uri = settings.public_base_url.rstrip("/") + "/console/oidc/callback"
        self._timeout = settings.oidc_timeout_seconds
        self._verifier = verifier
        self._transport = transport

    def _client(self) -> httpx.Client:
        return httpx.Client(timeout=self._timeout, transport=self._transport)

    def _endpoints(self) -> tuple[str, str]:
        url = self._issuer.rstrip("/") + DISCOVERY_PATH
        try:
            with self._client() as client:
                response = client.get(url)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise IdentityProviderUnavailable(
                f"the identity provider's discovery document ({url}) cannot be read: "
                f"{type(exc).__name__}"
            ) from None
        if not isinstance(document, dict) or document.get("issuer") != self._issuer:
            raise IdentityProviderUnavailable(
                f"the discovery document at {url} does not name FRSGATE_OIDC_ISSUER as its issuer"
            )
        authorize, token = document.get("authorization_endpoint"), document.get("token_endpoint")
        if not isinstance(authorize, str) or not isinstance(token, str):
            raise IdentityProviderUnavailable(
                f"the discovery document at {url} names no authorization or token endpoint"
            )
        return authorize, token

    def begin(self, *, next_path: str) -> tuple[Flow, str]:
        """A new flow and the URL of the issuer's authorization endpoint to send the browser."""
        authorize, _ = self._endpoints()
        flow = Flow(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            # RFC 7636 §4.1: 43-128 characters of the unreserved set; 64 bytes give 86.
            code_verifier=secrets.token_urlsafe(64),
            next_path=next_path,
        )
        query = urlencode({
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": self._redirect_uri,
            "scope": SCOPE,
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": code_challenge(flow.code_verifier),
            "code_challenge_method": "S256",
        })  # fmt: skip
        separator = "&" if "?" in authorize else "?"
        return flow, f"{authorize}{separator}{query}"

    def complete(self, flow: Flow, *, state: str | None, code: str | None,
                 error: str | None = None) -> Identity:  # fmt: skip
        """Check the callback against the flow, redeem the code, verify the ID token."""
        if error:
            raise AuthenticationFailed(
                f"the identity provider refused the sign-in ({error[:80]}); try again"
            )
        if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
            raise AuthenticationFailed(
                "the sign-in's state does not match the one this browser started; start again"
            )
        if not code:
            raise AuthenticationFailed("the identity provider returned no authorization code")
        _, token_endpoint = self._endpoints()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self._redirect_uri,
            "code_verifier": flow.code_verifier,
            "client_id": self._client_id,
        }
        try:
            with self._client() as client:
                if self._secret is not None:
                    # client_secret_basic (Core §9), the method every provider supports.
                    secret = (self._client_id, self._secret.get_secret_value())
                    response = client.post(token_endpoint, data=form, auth=secret)
                else:
                    response = client.post(token_endpoint, data=form)
        except httpx.HTTPError as exc:
            raise IdentityProviderUnavailable(
                f"the identity provider's token endpoint cannot be reached: {type(exc).__name__}"
            ) from None
        if response.status_code != 200:
            raise AuthenticationFailed(
                f"the identity provider refused to redeem the code (HTTP {response.status_code})"
            )
        try:
            body = response.json()
        except ValueError:
            raise AuthenticationFailed("the token endpoint answered with no JSON") from None
        id_token = body.get("id_token") if isinstance(body, dict) else None
        if not isinstance(id_token, str):
            raise AuthenticationFailed("the token endpoint returned no ID token")
        identity, claims = self._verifier.verify_claims(id_token, audience=self._client_id)
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(
            nonce.encode(), flow.nonce.encode()
        ):
            raise AuthenticationFailed(
                "the ID token's nonce does not match this sign-in (a replayed token?)"
            )
        return identity
