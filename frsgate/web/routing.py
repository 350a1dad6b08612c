"""Console routers: errors become pages, with the memo section and what to do next.

`console_router()` makes a router whose routes answer every deliberate error as an HTML page
with the API's status code (`api.errors.status_for`): a policy refusal shows each citation
(the memo section, and the rule's message, which says what the user must do); an act waiting
for approval shows which approval it waits for and who gives it; bad input names the field.
A request without a live session goes to the sign-in page (HTMX: `HX-Redirect`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from frsgate.api.errors import status_for
from frsgate.domain.errors import DomainError
from frsgate.errors import FrsGateError, ValidationFailed
from frsgate.services.errors import ApprovalRequired, AuthenticationFailed, PolicyDenied
from frsgate.web.context import SESSION_COOKIE, CsrfRefused, SignInRequired
from frsgate.web.render import render

log = structlog.get_logger("frsgate.web")

SIGN_IN_PATH = "/console/sign-in"

# What to do next after a refusal the memo does not govern, in plain words.
_NEXT_STEP: tuple[tuple[type[BaseException], str], ...] = (
    (CsrfRefused, "Reload the page and send the form again."),
    (
        ApprovalRequired,
        "Nothing more is needed from you now: the approver named below has it "
        "in their queue. The act takes effect once it is approved.",
    ),
    (
        PolicyDenied,
        "The policy refused this act. Each reason below names the memo section and "
        "what must change before it can be allowed.",
    ),
)


def sign_in_redirect(request: Request, next_path: str, *, reason: str = "") -> Response:
    target = f"{SIGN_IN_PATH}?next={quote(next_path, safe='/')}"
    if reason:
        target += f"&reason={quote(reason)}"
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": target})
    response = RedirectResponse(target, status_code=303)
    return response


def error_page(
    request: Request,
    exc: FrsGateError | DomainError,
    *,
    template: str = "error.html",
    **extra: Any,
) -> Response:
    """The refusal page of `exc`; a page may name a template extending error.html and the
    `extra` values it shows beside the refusal (what was kept, where to go on)."""
    status = status_for(exc)
    next_step = next((text for kind, text in _NEXT_STEP if isinstance(exc, kind)), "")
    decision: dict[str, Any] | None = None
    awaiting: list[dict[str, Any]] = []
    if isinstance(exc, PolicyDenied | ApprovalRequired):
        decision = exc.decision
    if isinstance(exc, ApprovalRequired):
        awaiting = exc.awaiting
    user = getattr(request.state, "console_user", None)
    nav = getattr(request.state, "console_nav", [])
    csrf = getattr(request.state, "console_csrf", "")
    return render(
        request,
        template,
        {
            **extra,
            "title": "Refused" if status in (403, 409) else "Could not be done",
            "status": status,
            "kind": type(exc).__name__,
            "message": exc.message if isinstance(exc, FrsGateError) else str(exc),
            "decision": decision,
            "awaiting": awaiting,
            "next_step": next_step,
            "back": request.headers.get("referer", ""),
            "user": user,
            "nav": nav,
            "csrf": csrf,
        },
        status_code=status,
    )


class ConsoleRoute(APIRoute):
    """A route whose errors are pages, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                return sign_in_redirect(request, exc.next_path)
            except AuthenticationFailed as exc:
                # A user disabled while signed in: the session is over.
                response = sign_in_redirect(request, "/console/", reason=exc.message)
                response.delete_cookie(SESSION_COOKIE, path="/console")
                return response
            except (FrsGateError, DomainError) as exc:
                return error_page(request, exc)
            except RequestValidationError as exc:
                problems = []
                for err in exc.errors():
                    where = ".".join(
                        str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")
                    )
                    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
                    problems.append(f"{where}: {message}" if where else message)
                return error_page(
                    request, FrsGateValidation("; ".join(problems) or "the form is incomplete")
                )

        return answer


class FrsGateValidation(ValidationFailed):
    """A form the console could not read: names each field and what is wrong with it."""


def console_router(prefix: str = "/console") -> APIRouter:
    return APIRouter(prefix=prefix, route_class=ConsoleRoute, include_in_schema=False)


def is_console_path(path: str) -> bool:
    return path == "/console" or path.startswith("/console/")


def console_http_error(
    request: Request, status: int, headers: Mapping[str, str] | None = None
) -> Response:
    """Starlette's own errors under /console (no such page, method not allowed) as a page."""
    message = {
        404: f"There is no page at {request.url.path}.",
        405: f"{request.url.path} cannot be {request.method}-ed; use the page's own form.",
    }.get(status, "The request could not be handled.")
    return render(
        request, "error.html",
        {"title": "Not found" if status == 404 else "Could not be done", "status": status,
         "kind": "HTTPError", "message": message, "decision": None, "awaiting": [],
         "next_step": "Use the navigation to find the page you need.", "back": ""},
        status_code=status, headers=dict(headers or {}),
    )  # fmt: skip
