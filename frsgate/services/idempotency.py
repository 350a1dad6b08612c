"""Client idempotency keys: an act retried with the same key answers again instead of acting twice.

A client that sends `Idempotency-Key` with an act (a probe intake, a submission) and loses the
answer can send the same request again: the gateway answers the first response again, with no
second act, ledger entry or dispatch to the FRS. The edge calls, per request:

    outcome = claim(engine, user_id=..., route=..., key=..., request_sha256=..., at=now)
    Replay -> answer outcome.status_code and outcome.body, do nothing else
    Claim  -> act, then complete(engine, outcome, status_code, body, at=now),
              or release(engine, outcome) if the act failed in a way worth retrying

Keys are scoped per user and per route (the primary key of `idempotency_keys`), so one user's
key never touches another's. The claim commits in its own short transaction *before* the act,
so a concurrent request with the same key finds it taken and is refused with a `Conflict`
("in progress") rather than waiting: it never acts, and the client retries for the answer
(draft-ietf-httpapi-idempotency-key-header answers a request still in progress the same way).
A key reused with a different request is a `Conflict` too, naming that.

What is remembered is decided by the caller: a refusal the gateway recorded (a policy denial,
an unknown probe) is an answer and is replayed; a failure (5xx) or a rate limit is released,
so the same key may be tried again. If the process dies between claim and complete, the claim
stays in progress: the message says so, and the client then looks up what happened (its
submissions) and uses a new key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from frsgate.errors import Conflict, ValidationFailed
from frsgate.store.repositories.idempotency import IdempotencyRecord
from frsgate.store.unit import unit_of_work

KEY_MAX_LENGTH = 128
# Printable ASCII, space to tilde: what a header carries unambiguously on every stack.
_KEY = re.compile(rf"[\x20-\x7e]{{1,{KEY_MAX_LENGTH}}}")
_CLAIM_ATTEMPTS = 3


class KeyReused(Conflict):
    """The key was used before with another request (a `Conflict` to API clients)."""

    error_name = "Conflict"


class KeyInProgress(Conflict):
    """The request that holds the key has not answered yet (a `Conflict` to API clients)."""

    error_name = "Conflict"


@dataclass(frozen=True, slots=True)
class Claim:
    """This request holds the key: act, then `complete` or `release` it."""

    user_id: str
    route: str
    key: str


@dataclass(frozen=True, slots=True)
class Replay:
    """The key was used before with this very request: answer what it answered."""

    status_code: int
    body: Any


def request_digest(request: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a request's parsed fields (sorted keys, no spaces), so
    the same request hashes alike however the client ordered or spaced it."""
    canonical = json.dumps(
        request, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValidationFailed(
            f"Idempotency-Key must be 1-{KEY_MAX_LENGTH} printable ASCII characters "
            "(space to '~'); choose a new one, a UUID for example"
        )
    return key


def claim(
    engine: Engine, *, user_id: str, route: str, key: str, request_sha256: str, at: datetime
) -> Replay | Claim:
    """Take `key` for this request, or say why not: a `Replay` of the answer it had, or a
    `Conflict` when it is in progress or was used with another request."""
    check_key(key)
    record = IdempotencyRecord(
        user_id=user_id, route=route, key=key, request_sha256=request_sha256, created_at=at
    )
    for _ in range(_CLAIM_ATTEMPTS):
        with unit_of_work(engine) as uow:
            if uow.idempotency.claim(record):
                return Claim(user_id=user_id, route=route, key=key)
            held = uow.idempotency.find_key(user_id, route, key)
        if held is None:
            continue  # released between our insert and our read: the key is free again
        if held.request_sha256 != request_sha256:
            raise KeyReused(
                f"Idempotency-Key was already used with a different request on {route}; "
                "send the same request to get its answer again, or use a new key"
            )
        if held.status_code is None or held.response is None:
            raise KeyInProgress(
                f"a request with this Idempotency-Key is in progress (since "
                f"{held.created_at.isoformat()}); retry later for its answer. If none comes, "
                "it was interrupted: check what it did (your submissions) and use a new key"
            )
        return Replay(status_code=held.status_code, body=json.loads(held.response))
    # Claimed and released again between each of our attempts: somebody is busy with it.
    raise KeyInProgress("a request with this Idempotency-Key is in progress; retry later")


def complete(engine: Engine, held: Claim, status_code: int, body: Any, *, at: datetime) -> None:
    """Remember the answer to the claimed request, for its retries."""
    # Key order is kept (not sorted) so a replay renders byte for byte what the first answered.
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    with unit_of_work(engine) as uow:
        uow.idempotency.complete(
            held.user_id, held.route, held.key, status_code=status_code, response=text, at=at
        )


def release(engine: Engine, held: Claim) -> None:
    """Give the key up unanswered, so the client may send the request again with it."""
    with unit_of_work(engine) as uow:
        uow.idempotency.release(held.user_id, held.route, held.key)
