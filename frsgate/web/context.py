"""What a console page is handed: the signed-in caller, bound to the actions the page declares.

`page(Action.X)` is to a console page what `api.deps.requires` is to a route: it finds the
session the cookie names, refuses a post that does not carry the session's CSRF token (or that
comes from another origin), loads the user from the store and hands the page a `Console`
whose caller may be decided for the declared actions only. Without a live session the browser
is sent to sign in, and back afterwards. What the user may see or do is decided by the
decision point inside the services, never here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.responses import HTMLResponse

from frsgate.errors import PermissionDenied
from frsgate.policy.facts import Action
from frsgate.services.gate import Caller, Gate
from frsgate.services.runtime import Runtime
from frsgate.services.web_sessions import SessionStore, WebSession
from frsgate.web.render import NavItem, render

SESSION_COOKIE = "frsgate_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
PAGE_ACTIONS_ATTRIBUTE = "__frsgate_page_actions__"


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page, then back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(PermissionDenied):
    """A post without the session's CSRF token, or from another origin: nothing was done."""


def now() -> datetime:
    return datetime.now(UTC)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def sessions_of(request: Request) -> SessionStore:
    store: SessionStore = request.app.state.console_sessions
    return store


def nav_of(request: Request) -> Sequence[NavItem]:
    items: Sequence[NavItem] = request.app.state.console_nav
    return items


@dataclass
class Console:
    """A signed-in request: the caller (bound to the page's actions), its session, the
    runtime's parts a page uses, and `render` with the console's common values."""

    request: Request
    runtime: Runtime
    session: WebSession
    caller: Caller
    nav: list[NavItem] = field(default_factory=list)

    @property
    def gate(self) -> Gate:
        return self.runtime.gate

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        values = {
            "user": self.caller.user,
            "nav": self.nav,
            "csrf": self.session.csrf_token,
        }
        values.update(context)
        return render(self.request, template, values, status_code=status_code)


def signed_in_session(request: Request) -> WebSession | None:
    """The live, signed-in session the cookie names, or None."""
    session = sessions_of(request).find(request.cookies.get(SESSION_COOKIE), now=now())
    if session is None or session.user_id is None:
        return None
    return session


def _same_origin(request: Request) -> bool:
    """A browser names the page a post comes from (`Origin`, else `Referer`); one from another
    origin is refused even with a token (defence in depth, OWASP CSRF cheat sheet)."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return claimed is None
    parts = urlsplit(claimed)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


async def check_csrf(request: Request, session: WebSession) -> None:
    """Refuse a state-changing request without the session's token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if not _same_origin(request):
        raise CsrfRefused(
            "this form was sent from another site; nothing was done. Open the console "
            "yourself and try again"
        )
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not session.csrf_matches(presented):
        raise CsrfRefused(
            "this form's security token is missing or out of date (was the page open across "
            "a sign-in?); nothing was done. Reload the page and try again"
        )


def _visible_nav(request: Request, caller: Caller) -> list[NavItem]:
    """The links of the user's roles, each page once (a user may hold two roles that both
    have it, e.g. OPR and IGP the annual report)."""
    seen: set[str] = set()
    items = []
    for item in nav_of(request):
        if item.role in caller.user.roles and item.path not in seen:
            seen.add(item.path)
            items.append(item)
    return items


def page(*actions: Action) -> Any:
    """The dependency a console page declares: a signed-in `Console` whose caller may be
    decided for `actions` and nothing else (none: a page that decides nothing, such as the
    home page, which shows only the user's own navigation)."""

    async def dependency(request: Request) -> Console:
        session = signed_in_session(request)
        if session is None or session.user_id is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target)
        await check_csrf(request, session)
        runtime = runtime_of(request)
        source = request.client.host if request.client else "unknown"
        caller = runtime.gate.caller(session.user_id, source=source).acting_for(*actions)
        nav = _visible_nav(request, caller)
        # For the error page, should the page's service refuse.
        request.state.console_user = caller.user
        request.state.console_nav = nav
        request.state.console_csrf = session.csrf_token
        return Console(request=request, runtime=runtime, session=session, caller=caller, nav=nav)

    setattr(dependency, PAGE_ACTIONS_ATTRIBUTE, actions)
    dependency.__name__ = "page_" + ("_or_".join(a.value.replace(".", "_") for a in actions)
                                     or "signed_in")  # fmt: skip
    return Depends(dependency)


def declared_page_actions(call: Callable[..., Any]) -> tuple[Action, ...] | None:
    """The actions a console dependency declares; None if it is not one."""
    value = getattr(call, PAGE_ACTIONS_ATTRIBUTE, None)
    if value is None:
        return None
    return tuple(a for a in value if isinstance(a, Action))
