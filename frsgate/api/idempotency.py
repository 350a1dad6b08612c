"""The `Idempotency-Key` header on acts: one helper a route wraps its service call in.

    return answer_once(runtime, caller, route=ROUTE, key=key, request=fields, act=act)

Without a key the act runs as before. With one, `frsgate.services.idempotency` claims it for
(user, route) before the act and stores the answer after, and a retry of the same request
gets that answer again, marked `Idempotent-Replayed: true`, without acting. Which answers are
remembered is decided here, where errors become statuses: every answer of the act itself,
including a refusal the gateway recorded (4xx: policy denial, unknown probe, bad state); but
not a rate limit (429 says "try again later", so pinning it to the key would be wrong) nor a
failure (5xx or an unexpected error), whose claim is released so the client may retry.

Known limit of releasing on 5xx: a submission whose dispatch intent committed and whose
outcome could then not be stored (the database failed mid-request) has acted once; a retry
with the same key acts again. Both are on the ledger, and start-up recovery puts the first
in front of a supervisor as `outcome_unknown`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import structlog
from fastapi import Header
from fastapi.responses import JSONResponse

from frsgate.api.errors import error_body, status_for
from frsgate.domain.errors import DomainError
from frsgate.errors import FrsGateError
from frsgate.services.gate import Caller
from frsgate.services.idempotency import (
    KEY_MAX_LENGTH,
    Claim,
    claim,
    complete,
    release,
    request_digest,
)
from frsgate.services.runtime import Runtime

log = structlog.get_logger("frsgate.api")

REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=KEY_MAX_LENGTH,
        # The characters are checked by the service, whose message says what a key may hold.
        description=(
            "Optional, 1-128 printable ASCII characters, yours alone, per route. The same key "
            "with the same request answers the first response again without acting again; "
            "with another request it is 409. A request sent while the first with its key is "
            "still running is 409 too: retry it later for the answer."
        ),
    ),
]

Act = Callable[[], tuple[int, Any]]


def answer_once(
    runtime: Runtime,
    caller: Caller,
    *,
    route: str,
    key: str | None,
    request: Mapping[str, Any],
    act: Act,
) -> JSONResponse:
    """Run `act` (which returns the status code and JSON body) at most once per key."""
    if key is None:
        status_code, body = act()
        return JSONResponse(body, status_code=status_code)
    outcome = claim(
        runtime.engine,
        user_id=caller.user_id,
        route=route,
        key=key,
        request_sha256=request_digest(request),
        at=runtime.now(),
    )
    if not isinstance(outcome, Claim):
        return JSONResponse(
            outcome.body, status_code=outcome.status_code, headers={REPLAYED_HEADER: "true"}
        )
    try:
        status_code, body = act()
    except BaseException as exc:
        status = status_for(exc)
        if isinstance(exc, FrsGateError | DomainError) and _remembered(status):
            _finish(runtime, outcome, status, error_body(exc))
        else:
            _release(runtime, outcome)
        raise
    _finish(runtime, outcome, status_code, body)
    return JSONResponse(body, status_code=status_code)


def _remembered(status: int) -> bool:
    return 400 <= status < 500 and status != 429


def _finish(runtime: Runtime, held: Claim, status_code: int, body: Any) -> None:
    # The act has happened: its answer goes to the client even if it cannot be remembered.
    # The claim then stays in progress, and a retry is told so rather than acting again.
    try:
        complete(runtime.engine, held, status_code, body, at=runtime.now())
    except Exception as exc:
        log.error("idempotency answer not stored", route=held.route, error_type=type(exc).__name__)


def _release(runtime: Runtime, held: Claim) -> None:
    # Never hides the act's own error, which the caller re-raises.
    try:
        release(runtime.engine, held)
    except Exception as exc:
        log.error("idempotency claim not released", route=held.route, error_type=type(exc).__name__)
