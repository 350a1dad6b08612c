"""Signing in and out of the console.

With an OIDC issuer configured (every production deployment) the only way in is the issuer's
authorization-code flow with PKCE (`services.oidc_signin`). On the embedded default (development,
no issuer) the demo users sign in by username, as `frsgate token issue` gives them tokens: there
is no password because there is no real person; the form is refused in production and whenever
an issuer is configured. Signing in always opens a new session (new token, new CSRF token), and
signing out deletes it server-side.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from frsgate.services.errors import AuthenticationFailed
from frsgate.services.oidc_signin import Flow, OidcSignIn
from frsgate.services.tokens import LOCAL_ISSUER, Identity, Match
from frsgate.services.web_sessions import WebSession
from frsgate.web.context import (
    SESSION_COOKIE,
    CsrfRefused,
    check_csrf,
    now,
    runtime_of,
    sessions_of,
    signed_in_session,
)
from frsgate.web.render import render
from frsgate.web.routing import console_router
from frsgate.web.security import CONSOLE_PREFIX

router = console_router()
NAV = ()
# The sign-in form's own CSRF token (there is no session yet): a cookie and a form field that
# must match (double submit), so another site cannot sign a browser in as someone else.
SIGN_IN_CSRF_COOKIE = "frsgate_sign_in"
USERNAME_MAX = 64


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path only, never another site (open redirect)."""
    if (
        not value
        or not value.startswith(CONSOLE_PREFIX + "/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 for c in value)
    ):
        return CONSOLE_PREFIX + "/"
    return value


def _secure(request: Request) -> bool:
    return (not runtime_of(request).settings.is_development) or request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, path=CONSOLE_PREFIX, httponly=True, samesite="lax",
        secure=_secure(request),
    )  # fmt: skip


def _local_allowed(request: Request) -> bool:
    settings = runtime_of(request).settings
    return settings.is_development and not settings.oidc_issuer


@router.get("/sign-in")
def sign_in_form(request: Request, next: str = "", reason: str = "") -> Response:
    if signed_in_session(request) is not None and not reason:
        return RedirectResponse(safe_next(next), status_code=303)
    token = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", {
        "title": "Sign in", "next": safe_next(next), "reason": reason[:300],
        "local": _local_allowed(request),
        "oidc": request.app.state.console_oidc is not None,
        "sign_in_csrf": token, "error": "",
    })  # fmt: skip
    response.set_cookie(
        SIGN_IN_CSRF_COOKIE, token, path=CONSOLE_PREFIX, httponly=True, samesite="strict",
        secure=_secure(request), max_age=1800,
    )  # fmt: skip
    return response


def _open_session(request: Request, user_id: str, via: str, next_path: str) -> Response:
    # Sessions abandoned without signing out are deleted here rather than by a timer: a
    # sign-in is rare enough to pay for it, and it needs no process of its own.
    sessions_of(request).sweep(now=now())
    token, _ = sessions_of(request).open(user_id=user_id, via=via, now=now())
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        sessions_of(request).end(old)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path=CONSOLE_PREFIX)
    return response


@router.post("/sign-in")
def sign_in_local(
    request: Request,
    username: Annotated[str, Form(max_length=USERNAME_MAX)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    cookie = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    if not cookie or not csrf or not hmac.compare_digest(cookie.encode(), csrf.encode()):
        raise CsrfRefused(
            "the sign-in form's security token is missing or out of date; nothing was done. "
            "Reload the sign-in page and try again"
        )

    def again(error: str, status: int) -> Response:
        token = secrets.token_urlsafe(32)
        response = render(request, "sign_in.html", {
            "title": "Sign in", "next": safe_next(next), "reason": "",
            "local": _local_allowed(request),
            "oidc": request.app.state.console_oidc is not None,
            "sign_in_csrf": token, "error": error, "username": username,
        }, status_code=status)  # fmt: skip
        response.set_cookie(
            SIGN_IN_CSRF_COOKIE, token, path=CONSOLE_PREFIX, httponly=True, samesite="strict",
            secure=_secure(request), max_age=1800,
        )  # fmt: skip
        return response

    if not _local_allowed(request):
        return again(
            "Signing in by username is only for the embedded demo; sign in with your "
            "agency account instead.", 403,
        )  # fmt: skip
    name = username.strip()
    if not name:
        return again("Enter a username.", 422)
    identity = Identity(
        claim="username", value=name, match=Match.username, issuer=LOCAL_ISSUER,
        token_id="",
    )  # fmt: skip
    source = request.client.host if request.client else "unknown"
    try:
        caller = runtime_of(request).gate.caller_for(identity, source=source)
    except AuthenticationFailed:
        # The same words for an unknown and a disabled user: the page must not tell which
        # usernames exist.
        return again("No active user has that username.", 401)
    return _open_session(request, caller.user_id, "local", next)


def _oidc(request: Request) -> OidcSignIn:
    signin: OidcSignIn | None = request.app.state.console_oidc
    if signin is None:
        raise AuthenticationFailed("no OIDC issuer is configured (FRSGATE_OIDC_ISSUER)")
    return signin


@router.get("/sign-in/oidc")
def sign_in_oidc(request: Request, next: str = "") -> Response:
    flow, url = _oidc(request).begin(next_path=safe_next(next))
    token, _ = sessions_of(request).open(user_id=None, via="oidc", now=now(),
                                         flow=flow.as_json())  # fmt: skip
    response = RedirectResponse(url, status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.get("/oidc/callback")
def oidc_callback(
    request: Request,
    state: str | None = None,
    code: str | None = None,
    error: str | None = None,
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    pending: WebSession | None = sessions_of(request).find(token, now=now())
    if token is None or pending is None or pending.user_id is not None:
        raise AuthenticationFailed("no sign-in is under way in this browser; start again")
    # The flow is used once, whatever the outcome.
    sessions_of(request).end(token)
    flow = Flow.from_json(pending.flow)
    identity = _oidc(request).complete(flow, state=state, code=code, error=error)
    source = request.client.host if request.client else "unknown"
    caller = runtime_of(request).gate.caller_for(identity, source=source)
    return _open_session(request, caller.user_id, "oidc", flow.next_path)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    session = signed_in_session(request)
    if session is not None:
        await check_csrf(request, session)
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            sessions_of(request).end(token)
    response = RedirectResponse(CONSOLE_PREFIX + "/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=CONSOLE_PREFIX)
    return response
