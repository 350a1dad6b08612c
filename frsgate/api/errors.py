"""The one place an error becomes an HTTP status (STYLE: the edge decides the status code).

Each deliberate error kind has its own status; anything else is a 500 whose body says nothing
about internals (the log line has the request id to find it).
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from frsgate.connectors.errors import ConnectorError
from frsgate.domain.errors import DomainError, IllegalTransition, SelfApproval
from frsgate.errors import (
    ConfigurationError,
    Conflict,
    FrsGateError,
    LedgerUnavailable,
    NotFound,
    PermissionDenied,
    StoreError,
    ValidationFailed,
)
from frsgate.services.errors import (
    ApprovalRequired,
    AuthenticationFailed,
    PolicyDenied,
    RateLimited,
)
from frsgate.services.tokens import IdentityProviderUnavailable

log = structlog.get_logger("frsgate.api")

# Order matters: the first matching class wins, so subclasses come before their bases.
_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (AuthenticationFailed, 401),
    (PolicyDenied, 403),
    (ApprovalRequired, 409),
    (PermissionDenied, 403),
    (SelfApproval, 403),
    (NotFound, 404),
    (IllegalTransition, 409),
    (Conflict, 409),
    (RateLimited, 429),
    (ValidationFailed, 422),
    (DomainError, 422),
    (ConnectorError, 502),
    (LedgerUnavailable, 503),  # the store cannot take the act's ledger entry
    (StoreError, 503),
    (IdentityProviderUnavailable, 503),
    (ConfigurationError, 500),
    (FrsGateError, 400),
)


def status_for(exc: BaseException) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_body(exc: FrsGateError | DomainError) -> dict[str, Any]:
    """The JSON body of a deliberate error (also what an idempotent replay answers)."""
    name = getattr(exc, "error_name", "") or type(exc).__name__
    body: dict[str, Any] = {"error": name, "message": exc.message}
    if isinstance(exc, PolicyDenied):
        body["decision"] = exc.decision
    if isinstance(exc, ApprovalRequired):
        body["decision"] = exc.decision
        body["awaiting"] = exc.awaiting
    return body


def install_error_handlers(app: FastAPI) -> None:
    async def on_known(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FrsGateError | DomainError)
        status = status_for(exc)
        headers: dict[str, str] = {}
        if isinstance(exc, AuthenticationFailed):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        if isinstance(exc, LedgerUnavailable):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        return JSONResponse(error_body(exc), status_code=status, headers=headers)

    async def on_request_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
            message = str(err.get("msg", "invalid"))
            # A check across fields names its field itself; pydantic's prefix adds nothing.
            message = message.removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        return JSONResponse(
            {"error": "ValidationFailed", "message": "; ".join(problems), "problems": problems},
            status_code=422,
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", error_type=type(exc).__name__)
        return JSONResponse(
            {"error": "InternalError", "message": "internal error; see the service log"},
            status_code=500,
        )

    app.add_exception_handler(FrsGateError, on_known)
    app.add_exception_handler(DomainError, on_known)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(Exception, on_unexpected)
