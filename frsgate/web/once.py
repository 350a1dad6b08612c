"""A console form that acts (a probe and its submission) acts once per rendering of the form.

A double click, a reload that re-posts, or a second tab sending the same rendered form would
otherwise be two uses of an FRS, each decided and recorded but one of them nobody meant. The
form carries a one-time key (`new_form_key`, a hidden field); the post claims it with the same
store the API's `Idempotency-Key` uses (`frsgate.services.idempotency`), scoped to the user and
the form:

- the first post acts; its answer (where the act led, or why it was refused) is kept;
- a post of the same form while the first is still running waits for the first's answer and
  shows it (a double click lands on the one result); if none comes in time it is refused (409)
  and does nothing;
- a post of the same form after it was answered goes where the first went, or is told the
  first was refused and why, without acting again;
- the same key with other fields (the form edited and sent again) is refused: a new form has a
  new key.

As for the API, a rate limit (429) or a failure (5xx) releases the key so the form may be sent
again; any other refusal the gateway recorded is the form's answer.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from starlette.responses import RedirectResponse, Response

from frsgate.api.errors import status_for
from frsgate.domain.errors import DomainError
from frsgate.errors import Conflict, FrsGateError, ValidationFailed
from frsgate.services import idempotency
from frsgate.web.context import Console

log = structlog.get_logger("frsgate.web")

FORM_KEY_FIELD = "form_key"
# How long a repeat of a form waits for the first post's answer (a dispatch to an FRS takes
# seconds), and how often it looks.
WAIT_FOR_FIRST_S = 20.0
_POLL_S = 0.1


def new_form_key() -> str:
    """A key for one rendering of a form: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


class Refused(Exception):
    """What `act_once` answers for a refusal the act returns as a page rather than raises:
    the page, and the words a repeat of the form is told."""

    def __init__(self, page: Response, message: str) -> None:
        super().__init__(message)
        self.page = page
        self.message = message


def act_once(
    console: Console,
    *,
    form: str,
    key: str,
    fields: Mapping[str, Any],
    act: Callable[[], Response],
) -> Response:
    """Run `act` (which answers a redirect, or raises `Refused` or a gateway error) at most once
    for this user, `form` and `key`; `fields` are what the form asked, to tell a repeat from an
    edited form."""
    if not key:
        raise ValidationFailed(
            f"{FORM_KEY_FIELD}: this form has no one-time key; reload the form and send it again"
        )
    outcome = _claim(console, f"console {form}", key, idempotency.request_digest(dict(fields)))
    if isinstance(outcome, idempotency.Replay):
        if outcome.status_code == 303:
            return RedirectResponse(str(outcome.body["location"]), status_code=303)
        raise Conflict(
            "this form was sent already and was refused: "
            f"{outcome.body['message']} Nothing was done again. Open a new form to try again."
        )
    held = outcome
    try:
        response = act()
    except Refused as refused:
        _keep(console, held, 409, {"message": refused.message})
        return refused.page
    except BaseException as exc:
        status = status_for(exc)
        if isinstance(exc, FrsGateError | DomainError) and 400 <= status < 500 and status != 429:
            message = exc.message if isinstance(exc, FrsGateError) else str(exc)
            _keep(console, held, status, {"message": message})
        else:
            _release(console, held)
        raise
    _keep(console, held, 303, {"location": response.headers["location"]})
    return response


def _claim(
    console: Console, route: str, key: str, digest: str
) -> idempotency.Claim | idempotency.Replay:
    """Claim the form's key; while the first post of the form is still running (a double
    click), wait up to `WAIT_FOR_FIRST_S` for its answer, so the second click shows the first's
    result instead of a refusal."""
    runtime = console.runtime
    deadline = time.monotonic() + WAIT_FOR_FIRST_S
    while True:
        try:
            return idempotency.claim(
                runtime.engine, user_id=console.caller.user_id, route=route, key=key,
                request_sha256=digest, at=runtime.now(),
            )  # fmt: skip
        except ValidationFailed as bad:
            raise ValidationFailed(
                f"{FORM_KEY_FIELD}: not a key this console wrote; reload the form and send it again"
            ) from bad
        except idempotency.KeyReused as reused:
            raise Conflict(
                "this form was sent already with other answers; a changed form is a new one: "
                "open a new form and send it"
            ) from reused
        except idempotency.KeyInProgress as busy:
            if time.monotonic() >= deadline:
                raise Conflict(
                    "this form is still being sent (a second click or tab); nothing more was "
                    "done. Its result will be in your submissions"
                ) from busy
            time.sleep(_POLL_S)


def _keep(console: Console, held: idempotency.Claim, status: int, body: Any) -> None:
    """Remember the form's answer; the act has happened, so a failure here only means a repeat
    of the form is told it is still in progress."""
    try:
        idempotency.complete(console.runtime.engine, held, status, body, at=console.runtime.now())
    except Exception as exc:  # the act's answer still goes to the user
        log.error("form answer not stored", form=held.route, error_type=type(exc).__name__)


def _release(console: Console, held: idempotency.Claim) -> None:
    # Never hides the act's own error, which the caller re-raises.
    try:
        idempotency.release(console.runtime.engine, held)
    except Exception as exc:
        log.error("form key not released", form=held.route, error_type=type(exc).__name__)
